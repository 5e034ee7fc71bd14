//! Sign-ins, generated lazily: each user's events of each hour come from a hash of the seed, the
//! user and the hour, so any time range can be produced on demand, in any order, in memory that
//! does not grow with the number of sign-ins served. Planted and late-arriving sign-ins are kept
//! apart (a few hundred) and merged in.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use entra_model::{
    AppliedConditionalAccessPolicy, AppliedConditionalAccessPolicyResult, AuthenticationDetail,
    AuthenticationProtocol, AuthenticationRequirementPolicy, ClientCredentialType,
    ConditionalAccessStatus, CrossTenantAccessType, DeviceDetail, GeoCoordinates,
    IncomingTokenType, ManagedIdentity, NetworkLocationDetail, RiskDetail, RiskLevel, RiskState,
    ServicePrincipalType, SignIn, SignInEventType, SignInIdentifierType, SignInLocation,
    SignInStatus, TokenIssuerType, UserType,
};
use time::OffsetDateTime;

use crate::catalog::{self, City};
use crate::config::TenantLicence;
use crate::rng::{hash, mix, poisson, uuid_from, Rng};
use crate::tenant::{Activity, Tenant};

const HOUR_NS: i64 = 3_600_000_000_000;
const RETENTION_DAYS: i64 = 30;
const TAG_COUNT: u64 = 0xC0;
const TAG_EVENT: u64 = 0xE1;
const TAG_DETAIL: u64 = 0xD7;
const TAG_SP: u64 = 0x5B;

const DIURNAL: [f64; 24] = [
    0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.4, 0.9, 1.6, 2.0, 2.0, 1.9, 1.5, 1.8, 2.0, 1.9, 1.7, 1.2, 0.8,
    0.6, 0.5, 0.4, 0.3, 0.2,
];

/// The kind of a sign-in, as the beta `signInEventTypes` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Interactive,
    NonInteractive,
    ServicePrincipal,
    ManagedIdentity,
}

impl Kind {
    pub(crate) fn from_wire(s: &str) -> Option<Kind> {
        Some(match s {
            "interactiveUser" => Kind::Interactive,
            "nonInteractiveUser" => Kind::NonInteractive,
            "servicePrincipal" => Kind::ServicePrincipal,
            "managedIdentity" => Kind::ManagedIdentity,
            _ => return None,
        })
    }
}

/// Which kinds a query selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KindFilter {
    Only(Kind),
    Except(Kind),
}

impl KindFilter {
    fn accepts(self, k: Kind) -> bool {
        match self {
            KindFilter::Only(x) => k == x,
            KindFilter::Except(x) => k != x,
        }
    }
}

/// A planted or late-arriving sign-in, held in full.
#[derive(Debug, Clone)]
pub(crate) struct Extra {
    pub(crate) t: i64,
    pub(crate) id: (u64, u64),
    pub(crate) visible_from: i64,
    pub(crate) kind: Kind,
    pub(crate) sign_in: SignIn,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Src {
    User { u: u32, k: u16, interactive: bool },
    Sp { s: u32, k: u16 },
    Extra(u32),
}

/// The key of one sign-in: enough to rebuild it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Slot {
    pub(crate) t: i64,
    pub(crate) id: (u64, u64),
    pub(crate) src: Src,
}

/// A few recently generated hours, so that consecutive pages do not regenerate them.
#[derive(Debug, Default)]
pub(crate) struct SlotCache {
    map: HashMap<i64, Arc<Vec<Slot>>>,
    order: VecDeque<i64>,
}

impl SlotCache {
    const CAPACITY: usize = 8;

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
}

/// A position in the sign-in log: (createdDateTime in ns, id).
pub(crate) type Cursor = (i64, (u64, u64));

/// A predicate of `$filter` that needs the sign-in's content.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Pred {
    Id(String),
    UserId(String),
    Upn(String),
    AppId(String),
    Ip(String),
    ErrorCode { eq: bool, code: i64 },
}

impl Pred {
    fn matches(&self, s: &SignIn) -> bool {
        match self {
            Pred::Id(v) => &s.id == v,
            Pred::UserId(v) => s.user_id.as_deref() == Some(v.as_str()),
            Pred::Upn(v) => s
                .user_principal_name
                .as_deref()
                .is_some_and(|u| u.eq_ignore_ascii_case(v)),
            Pred::AppId(v) => s.app_id.as_deref() == Some(v.as_str()),
            Pred::Ip(v) => s.ip_address.as_deref() == Some(v.as_str()),
            Pred::ErrorCode { eq, code } => (s.error_code() == Some(*code)) == *eq,
        }
    }
}

/// A parsed sign-in query.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    /// Lower bound on createdDateTime (ns), inclusive flag.
    pub(crate) lo: Option<(i64, bool)>,
    /// Upper bound on createdDateTime (ns), inclusive flag.
    pub(crate) hi: Option<(i64, bool)>,
    pub(crate) kinds: KindFilter,
    pub(crate) preds: Vec<Pred>,
}

impl Query {
    pub(crate) fn all(kinds: KindFilter) -> Self {
        Query {
            lo: None,
            hi: None,
            kinds,
            preds: Vec::new(),
        }
    }

    fn in_range(&self, t: i64) -> bool {
        let lo_ok = match self.lo {
            Some((lo, true)) => t >= lo,
            Some((lo, false)) => t > lo,
            None => true,
        };
        let hi_ok = match self.hi {
            Some((hi, true)) => t <= hi,
            Some((hi, false)) => t < hi,
            None => true,
        };
        lo_ok && hi_ok
    }
}

pub(crate) fn ns(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos()) as i64
}

pub(crate) fn from_ns(t: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t)).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

pub(crate) fn location(c: &City) -> SignInLocation {
    let mut l = SignInLocation::default();
    l.city = Some(c.name.to_owned());
    l.state = Some(c.state.to_owned());
    l.country_or_region = Some(c.country.to_owned());
    let mut g = GeoCoordinates::default();
    g.latitude = Some(c.lat);
    g.longitude = Some(c.lon);
    l.geo_coordinates = Some(g);
    l
}

pub(crate) fn id_string(id: (u64, u64)) -> String {
    uuid_from(id.0, id.1)
}

fn pick_code(rng: &mut Rng, table: &[(i64, f64)]) -> i64 {
    let weights: Vec<f64> = table.iter().map(|x| x.1).collect();
    table[rng.weighted(&weights)].0
}

/// Clears the beta-only properties, for v1.0 answers.
pub(crate) fn strip_beta(s: &mut SignIn) {
    s.alternate_sign_in_name = None;
    s.applied_event_listeners.clear();
    s.app_token_protection_status = None;
    s.authentication_app_policy_evaluation_details.clear();
    s.authentication_context_class_references.clear();
    s.authentication_details.clear();
    s.authentication_methods_used.clear();
    s.authentication_processing_details.clear();
    s.authentication_protocol = None;
    s.authentication_requirement = None;
    s.authentication_requirement_policies.clear();
    s.autonomous_system_number = None;
    s.azure_resource_id = None;
    s.client_credential_type = None;
    s.conditional_access_audiences.clear();
    s.cross_tenant_access_type = None;
    s.federated_credential_id = None;
    s.flagged_for_review = None;
    s.global_secure_access_ip_address = None;
    s.home_tenant_name = None;
    s.incoming_token_type = None;
    s.ip_address_from_resource_provider = None;
    s.is_tenant_restricted = None;
    s.is_through_global_secure_access = None;
    s.managed_service_identity = None;
    s.mfa_detail = None;
    s.network_location_details.clear();
    s.original_request_id = None;
    s.original_transfer_method = None;
    s.private_link_details = None;
    s.processing_time_in_milliseconds = None;
    s.resource_service_principal_id = None;
    s.service_principal_credential_key_id = None;
    s.service_principal_credential_thumbprint = None;
    s.session_lifetime_policies.clear();
    s.sign_in_event_types.clear();
    s.sign_in_identifier = None;
    s.sign_in_identifier_type = None;
    s.sign_in_token_protection_status = None;
    s.token_issuer_name = None;
    s.token_issuer_type = None;
    s.unique_token_identifier = None;
    s.user_type = None;
    s.session_id = None;
    s.token_protection_status_details = None;
}

/// What the caller may see of a sign-in: licence and permissions.
#[derive(Debug, Clone, Copy)]
pub(crate) struct View {
    pub(crate) beta: bool,
    pub(crate) ca_visible: bool,
}

impl Tenant {
    fn day_weight_sum() -> f64 {
        DIURNAL.iter().sum()
    }

    /// The slots of one hour, newest first.
    pub(crate) fn bucket_slots(&mut self, b: i64) -> Arc<Vec<Slot>> {
        if let Some(s) = self.cache.map.get(&b) {
            return Arc::clone(s);
        }
        let slots = Arc::new(self.gen_bucket(b));
        if self.cache.order.len() >= SlotCache::CAPACITY {
            if let Some(old) = self.cache.order.pop_front() {
                self.cache.map.remove(&old);
            }
        }
        self.cache.order.push_back(b);
        self.cache.map.insert(b, Arc::clone(&slots));
        slots
    }

    fn user_rate(&self, u: usize, b: i64) -> f64 {
        let rec = &self.users[u];
        let c = rec.city();
        let utc_hour = b.rem_euclid(24);
        let local = (utc_hour + c.utc_offset).rem_euclid(24) as usize;
        let day = (b + c.utc_offset).div_euclid(24);
        let weekday = (day + 3).rem_euclid(7); // 1970-01-01 was a Thursday; 0 = Monday
        let day_factor = if weekday >= 5 { 0.25 } else { 1.0 };
        self.cfg.sign_ins_per_user_per_day * rec.rate * DIURNAL[local] / Self::day_weight_sum()
            * day_factor
    }

    fn gen_bucket(&self, b: i64) -> Vec<Slot> {
        let seed = self.cfg.seed;
        let start = b * HOUR_NS;
        let genesis = ns(self.genesis);
        let mut out = Vec::new();
        if start + HOUR_NS > genesis {
            for u in 0..self.users.len() {
                self.user_slots(u, b, &mut out);
            }
            for (s, rec) in self.sps.iter().enumerate() {
                if !rec.signs_in {
                    continue;
                }
                let lambda = if rec.app.is_some() { 1.5 } else { 3.0 };
                let n = poisson(
                    lambda,
                    (hash(&[seed, TAG_SP, s as u64, b as u64]) >> 11) as f64 / (1u64 << 53) as f64,
                );
                for k in 0..n {
                    let h = hash(&[seed, TAG_SP, 1, s as u64, b as u64, u64::from(k)]);
                    let t = start + ((h % 36_000_000_000) * 100) as i64;
                    if t < genesis {
                        continue;
                    }
                    out.push(Slot {
                        t,
                        id: (mix(h ^ 0x3F), mix(h ^ 0x4A)),
                        src: Src::Sp {
                            s: s as u32,
                            k: k as u16,
                        },
                    });
                }
            }
        }
        for (i, e) in self.extras.iter().enumerate() {
            if e.t >= start && e.t < start + HOUR_NS {
                out.push(Slot {
                    t: e.t,
                    id: e.id,
                    src: Src::Extra(i as u32),
                });
            }
        }
        out.sort_unstable_by_key(|s| std::cmp::Reverse((s.t, s.id)));
        out
    }

    /// The baseline sign-ins of one user in one hour (unsorted).
    fn user_slots(&self, u: usize, b: i64, out: &mut Vec<Slot>) {
        let seed = self.cfg.seed;
        let rec = &self.users[u];
        if rec.activity != Activity::Active {
            return;
        }
        let start = b * HOUR_NS;
        let genesis = ns(self.genesis);
        if start + HOUR_NS <= genesis {
            return;
        }
        let lambda = self.user_rate(u, b);
        let n = poisson(
            lambda,
            (hash(&[seed, TAG_COUNT, u as u64, b as u64]) >> 11) as f64 / (1u64 << 53) as f64,
        );
        if n == 0 {
            return;
        }
        let deleted = rec.deleted_at.map(ns);
        let quiet = self.quiet.get(&u);
        for k in 0..n.min(u32::from(u16::MAX)) {
            let h = hash(&[seed, TAG_EVENT, u as u64, b as u64, u64::from(k)]);
            let t = start + ((h % 36_000_000_000) * 100) as i64;
            if t < genesis || deleted.is_some_and(|d| t >= d) {
                continue;
            }
            if quiet.is_some_and(|q| q.iter().any(|(a, z)| t >= *a && t <= *z)) {
                continue;
            }
            let interactive =
                ((mix(h) >> 11) as f64 / (1u64 << 53) as f64) < self.cfg.interactive_share;
            out.push(Slot {
                t,
                id: (mix(h ^ 0x1D), mix(h ^ 0x2E)),
                src: Src::User {
                    u: u as u32,
                    k: k as u16,
                    interactive,
                },
            });
        }
    }

    /// The user's `signInActivity` as Graph computes it from the log, at the clock's now.
    pub(crate) fn sign_in_activity(&self, u: usize) -> Option<entra_model::SignInActivity> {
        let rec = &self.users[u];
        let now = ns(self.clock.now());
        let mine: Vec<usize> = (0..self.extras.len())
            .filter(|&i| {
                self.extras[i].sign_in.user_id.as_deref() == Some(rec.id())
                    && self.extras[i].visible_from <= now
                    && self.extras[i].t <= now
            })
            .collect();
        let mut a = entra_model::SignInActivity::default();
        if rec.activity == Activity::Inactive {
            let last = rec.last_before_history?;
            let rid = self.uuid_for(&[0xAC, u as u64]);
            a.last_sign_in_date_time = Some(last);
            a.last_sign_in_request_id = Some(rid.clone());
            a.last_successful_sign_in_date_time = Some(last);
            a.last_successful_sign_in_request_id = Some(rid);
        }
        if rec.activity != Activity::Active && mine.is_empty() {
            return (rec.activity == Activity::Inactive).then_some(a);
        }
        let genesis = ns(self.genesis);
        let mut b = now.div_euclid(HOUR_NS);
        let view = View {
            beta: true,
            ca_visible: true,
        };
        let (mut got_i, mut got_n, mut got_s) = (false, false, false);
        let mut slots = Vec::new();
        while b * HOUR_NS + HOUR_NS > genesis && !(got_i && got_n && got_s) {
            slots.clear();
            self.user_slots(u, b, &mut slots);
            for &i in &mine {
                let e = &self.extras[i];
                if e.t.div_euclid(HOUR_NS) == b {
                    slots.push(Slot {
                        t: e.t,
                        id: e.id,
                        src: Src::Extra(i as u32),
                    });
                }
            }
            slots.sort_unstable_by_key(|s| std::cmp::Reverse((s.t, s.id)));
            for s in &slots {
                if s.t > now {
                    continue;
                }
                let si = self.materialize(s, view);
                let when = si.created_date_time;
                let interactive = si.is_interactive == Some(true);
                if interactive && !got_i {
                    got_i = true;
                    a.last_sign_in_date_time = when;
                    a.last_sign_in_request_id = Some(si.id.clone());
                }
                if !interactive && !got_n {
                    got_n = true;
                    a.last_non_interactive_sign_in_date_time = when;
                    a.last_non_interactive_sign_in_request_id = Some(si.id.clone());
                }
                if si.is_success() && !got_s {
                    got_s = true;
                    a.last_successful_sign_in_date_time = when;
                    a.last_successful_sign_in_request_id = Some(si.id.clone());
                }
            }
            b -= 1;
        }
        if rec.activity == Activity::Active {
            // Before the generated history: a sign-in a day or two earlier.
            let before = self.genesis
                - time::Duration::seconds(
                    (hash(&[self.cfg.seed, 0xBE, u as u64]) % 172_800) as i64 + 3600,
                );
            let rid = self.uuid_for(&[0xBF, u as u64]);
            if !got_i {
                a.last_sign_in_date_time = Some(before);
                a.last_sign_in_request_id = Some(rid.clone());
            }
            if !got_n {
                a.last_non_interactive_sign_in_date_time = Some(before);
                a.last_non_interactive_sign_in_request_id = Some(rid.clone());
            }
            if !got_s {
                a.last_successful_sign_in_date_time = Some(before);
                a.last_successful_sign_in_request_id = Some(rid);
            }
        }
        (a != entra_model::SignInActivity::default()).then_some(a)
    }

    fn slot_kind(&self, s: &Slot) -> Kind {
        match s.src {
            Src::User {
                interactive: true, ..
            } => Kind::Interactive,
            Src::User { .. } => Kind::NonInteractive,
            Src::Sp { s, .. } => {
                if self.sps[s as usize].sp.service_principal_type
                    == Some(ServicePrincipalType::ManagedIdentity)
                {
                    Kind::ManagedIdentity
                } else {
                    Kind::ServicePrincipal
                }
            }
            Src::Extra(i) => self.extras[i as usize].kind,
        }
    }

    fn slot_visible(&self, s: &Slot, now: i64) -> bool {
        match s.src {
            Src::Extra(i) => self.extras[i as usize].visible_from <= now && s.t <= now,
            _ => s.t <= now,
        }
    }

    /// One page of a sign-in query, newest first, strictly older than `cursor`. Returns the
    /// page and the cursor of its last item when more match.
    pub(crate) fn sign_in_page(
        &mut self,
        q: &Query,
        cursor: Option<Cursor>,
        top: usize,
        view: View,
    ) -> (Vec<SignIn>, Option<Cursor>) {
        let now = ns(self.clock.now());
        let retention_lo = ns(self.genesis).max(now - RETENTION_DAYS * 24 * HOUR_NS);
        let mut upper = now;
        if let Some((hi, _)) = q.hi {
            upper = upper.min(hi);
        }
        if let Some((c, _)) = cursor {
            upper = upper.min(c);
        }
        let mut lower = retention_lo;
        if let Some((lo, _)) = q.lo {
            lower = lower.max(lo);
        }
        let mut out: Vec<SignIn> = Vec::new();
        let mut last = None;
        if upper < lower {
            return (out, None);
        }
        let (b_hi, b_lo) = (upper.div_euclid(HOUR_NS), lower.div_euclid(HOUR_NS));
        let mut b = b_hi;
        while b >= b_lo {
            let slots = self.bucket_slots(b);
            for s in slots.iter() {
                if s.t > upper || s.t < lower {
                    continue;
                }
                if let Some(c) = cursor {
                    if (s.t, s.id) >= c {
                        continue;
                    }
                }
                if !q.in_range(s.t)
                    || !self.slot_visible(s, now)
                    || !q.kinds.accepts(self.slot_kind(s))
                {
                    continue;
                }
                let item = if q.preds.is_empty() {
                    None
                } else {
                    let full = self.materialize(
                        s,
                        View {
                            beta: true,
                            ca_visible: true,
                        },
                    );
                    if !q.preds.iter().all(|p| p.matches(&full)) {
                        continue;
                    }
                    Some(())
                };
                let _ = item;
                if out.len() == top {
                    return (out, last);
                }
                out.push(self.materialize(s, view));
                last = Some((s.t, s.id));
            }
            b -= 1;
        }
        (out, None)
    }

    /// Every sign-in of the given kinds with `start <= createdDateTime < end` that is visible
    /// now, newest first, in the beta shape.
    pub(crate) fn collect_sign_ins(
        &mut self,
        start: OffsetDateTime,
        end: OffsetDateTime,
        kinds: KindFilter,
    ) -> Vec<SignIn> {
        let mut q = Query::all(kinds);
        q.lo = Some((ns(start), true));
        q.hi = Some((ns(end), false));
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (page, next) = self.sign_in_page(
                &q,
                cursor,
                5000,
                View {
                    beta: true,
                    ca_visible: true,
                },
            );
            all.extend(page);
            match next {
                Some(c) => cursor = Some(c),
                None => return all,
            }
        }
    }

    pub(crate) fn materialize(&self, s: &Slot, view: View) -> SignIn {
        let mut si = match s.src {
            Src::User { u, k, interactive } => {
                self.user_sign_in(u as usize, s, k, interactive, view)
            }
            Src::Sp { s: sp, k } => self.sp_sign_in(sp as usize, s, k),
            Src::Extra(i) => self.extras[i as usize].sign_in.clone(),
        };
        if !view.ca_visible {
            si.applied_conditional_access_policies.clear();
        }
        if self.cfg.licence != TenantLicence::P2 && si.user_id.is_some() {
            si.risk_detail = Some(RiskDetail::Hidden);
            si.risk_level_aggregated = Some(RiskLevel::Hidden);
            si.risk_level_during_sign_in = Some(RiskLevel::Hidden);
            si.risk_state = Some(RiskState::None);
            si.risk_event_types_v2.clear();
            si.risk_event_types.clear();
        }
        if !view.beta {
            strip_beta(&mut si);
        }
        si
    }

    /// The common frame of a user sign-in (also used for planted ones).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn user_frame(
        &self,
        u: usize,
        t: i64,
        id: (u64, u64),
        interactive: bool,
        city: &City,
        ip: &str,
        code: i64,
        rng: &mut Rng,
    ) -> SignIn {
        let rec = &self.users[u];
        let mut s = SignIn::default();
        s.id = id_string(id);
        s.created_date_time = Some(from_ns(t));
        s.user_id = Some(rec.user.id.clone());
        s.user_principal_name = Some(rec.log_upn.clone());
        s.user_display_name = rec.user.display_name.clone();
        let app = if interactive {
            rng.pick(catalog::INTERACTIVE_APPS)
        } else {
            rng.pick(catalog::NON_INTERACTIVE_APPS)
        };
        s.app_id = Some(app.app_id.to_owned());
        s.app_display_name = Some(app.name.to_owned());
        s.resource_id = Some(app.resource_id.to_owned());
        s.resource_display_name = Some(app.resource_name.to_owned());
        s.ip_address = Some(ip.to_owned());
        let mobile = rng.chance(0.3);
        let (os, browser, ua, _) = if mobile {
            catalog::MOBILE_PROFILES[rec.mobile]
        } else {
            catalog::DEVICE_PROFILES[rec.desktop]
        };
        s.client_app_used = Some(
            if interactive && !mobile {
                "Browser"
            } else {
                "Mobile Apps and Desktop clients"
            }
            .to_owned(),
        );
        s.user_agent = Some(ua.to_owned());
        let mut d = DeviceDetail::default();
        d.operating_system = Some(os.to_owned());
        d.browser = Some(browser.to_owned());
        if !mobile {
            if let Some(dev) = &rec.device_id {
                d.device_id = Some(dev.clone());
                d.display_name = Some(format!("CONTOSO-{}", &dev[..5].to_uppercase()));
                d.is_compliant = Some(true);
                d.is_managed = Some(self.cfg.intune);
                d.trust_type = Some("Azure AD joined".to_owned());
            }
        }
        s.device_detail = Some(d);
        s.location = Some(location(city));
        s.correlation_id = Some(uuid_from(mix(id.0 ^ 7), mix(id.1 ^ 7)));
        s.is_interactive = Some(interactive);
        s.resource_tenant_id = Some(self.tenant_id.clone());
        s.home_tenant_id = Some(
            rec.home_tenant
                .clone()
                .unwrap_or_else(|| self.tenant_id.clone()),
        );
        let mut st = SignInStatus::default();
        st.error_code = Some(code);
        if code != 0 {
            st.failure_reason = Some(catalog::failure_reason(code).to_owned());
            if code == 500121 {
                st.additional_details =
                    Some("MFA denied; user did not respond to mobile app notification".to_owned());
            }
        }
        s.status = Some(st);
        let ca_fail = matches!(code, 53003 | 53000);
        s.conditional_access_status = Some(if ca_fail {
            ConditionalAccessStatus::Failure
        } else if code == 0 && rec.home_tenant.is_none() {
            ConditionalAccessStatus::Success
        } else {
            ConditionalAccessStatus::NotApplied
        });
        s.applied_conditional_access_policies = self
            .ca_policies
            .iter()
            .take(3)
            .enumerate()
            .map(|(i, p)| {
                let mut a = AppliedConditionalAccessPolicy::default();
                a.id = Some(p.id.clone());
                a.display_name = p.display_name.clone();
                let result = match (i, code) {
                    (2, _) => AppliedConditionalAccessPolicyResult::ReportOnlyNotApplied,
                    (1, 0) => AppliedConditionalAccessPolicyResult::Success,
                    (1, 53003) => AppliedConditionalAccessPolicyResult::Failure,
                    _ => AppliedConditionalAccessPolicyResult::NotApplied,
                };
                if result == AppliedConditionalAccessPolicyResult::Success {
                    a.enforced_grant_controls = vec!["Mfa".to_owned()];
                }
                a.result = Some(result);
                a
            })
            .collect();
        s.risk_detail = Some(RiskDetail::None);
        s.risk_level_aggregated = Some(RiskLevel::None);
        s.risk_level_during_sign_in = Some(RiskLevel::None);
        s.risk_state = Some(RiskState::None);
        // beta
        let mfa = code == 0
            && interactive
            && rec
                .methods
                .iter()
                .any(entra_model::AuthenticationMethod::is_mfa_capable);
        s.authentication_requirement = Some(
            if mfa {
                "multiFactorAuthentication"
            } else {
                "singleFactorAuthentication"
            }
            .to_owned(),
        );
        let mut step = AuthenticationDetail::default();
        step.authentication_step_date_time = s.created_date_time;
        step.authentication_method = Some(
            if interactive {
                "Password"
            } else {
                "Previously satisfied"
            }
            .to_owned(),
        );
        step.authentication_method_detail = Some(
            if rec.user.on_premises_sync_enabled == Some(true) {
                "Password Hash Sync"
            } else {
                "Password in the cloud"
            }
            .to_owned(),
        );
        step.succeeded = Some(!matches!(code, 50126 | 50053 | 50056 | 50034));
        step.authentication_step_result_detail = Some(
            if step.succeeded == Some(true) {
                "Correct password"
            } else {
                "Invalid username or password or Invalid on-premise username or password."
            }
            .to_owned(),
        );
        step.authentication_step_requirement = Some("Primary authentication".to_owned());
        s.authentication_details = vec![step];
        if mfa {
            let mut m = AuthenticationDetail::default();
            m.authentication_step_date_time = s.created_date_time;
            m.authentication_method = Some(
                match rec.preferred {
                    Some("sms") => "Text message",
                    Some("fido2") => "FIDO2 security key",
                    _ => "Mobile app notification",
                }
                .to_owned(),
            );
            m.succeeded = Some(true);
            m.authentication_step_result_detail = Some("MFA successfully completed".to_owned());
            m.authentication_step_requirement = Some("Multi-factor authentication".to_owned());
            s.authentication_details.push(m);
            s.authentication_methods_used =
                vec!["Password".to_owned(), "Authenticator App".to_owned()];
            let mut p = AuthenticationRequirementPolicy::default();
            p.requirement_provider = Some("multiConditionalAccess".to_owned());
            p.detail = Some("Conditional Access".to_owned());
            s.authentication_requirement_policies = vec![p];
        }
        s.authentication_protocol = Some(AuthenticationProtocol::None);
        s.autonomous_system_number = Some(city.asn);
        s.client_credential_type = Some(ClientCredentialType::None);
        s.cross_tenant_access_type = Some(if rec.home_tenant.is_some() {
            CrossTenantAccessType::B2bCollaboration
        } else {
            CrossTenantAccessType::None
        });
        s.flagged_for_review = Some(false);
        s.incoming_token_type = Some(if interactive {
            IncomingTokenType::None
        } else {
            IncomingTokenType::PrimaryRefreshToken
        });
        s.is_tenant_restricted = Some(false);
        s.is_through_global_secure_access = Some(false);
        if rec.office_ip.as_deref() == Some(ip) {
            let mut n = NetworkLocationDetail::default();
            n.network_type = Some("namedNetwork".to_owned());
            n.network_names = vec![format!("{} office", city.name)];
            s.network_location_details = vec![n];
        }
        s.original_request_id = Some(s.id.clone());
        s.processing_time_in_milliseconds = Some(rng.range(40, 900));
        s.sign_in_event_types = vec![if interactive {
            SignInEventType::InteractiveUser
        } else {
            SignInEventType::NonInteractiveUser
        }];
        if interactive {
            s.sign_in_identifier = Some(rec.log_upn.clone());
            s.sign_in_identifier_type = Some(SignInIdentifierType::UserPrincipalName);
        }
        s.token_issuer_type = Some(TokenIssuerType::AzureAd);
        s.token_issuer_name = Some(String::new());
        s.unique_token_identifier = Some(crate::jwt::b64(&id.0.to_le_bytes()));
        s.user_type = Some(if rec.home_tenant.is_some() {
            UserType::from_wire("guest")
        } else {
            UserType::from_wire("member")
        });
        s.session_id = Some(uuid_from(
            mix(u as u64 ^ self.cfg.seed),
            t as u64 / (HOUR_NS as u64 * 24),
        ));
        s
    }

    fn user_sign_in(
        &self,
        u: usize,
        slot: &Slot,
        k: u16,
        interactive: bool,
        _view: View,
    ) -> SignIn {
        let rec = &self.users[u];
        let b = slot.t.div_euclid(HOUR_NS);
        let mut rng = Rng::new(hash(&[
            self.cfg.seed,
            TAG_DETAIL,
            u as u64,
            b as u64,
            u64::from(k),
        ]));
        let disabled = rec.disabled_at.is_some_and(|d| slot.t >= ns(d));
        let mut code = if disabled {
            50057
        } else if interactive {
            pick_code(&mut rng, catalog::INTERACTIVE_CODES)
        } else {
            pick_code(&mut rng, catalog::NON_INTERACTIVE_CODES)
        };
        if rec.home_tenant.is_some() && code != 0 && code != 50126 && code != 50057 {
            code = 0;
        }
        let ip = match &rec.office_ip {
            Some(o) if catalog::shared_ip_code(code) && rng.chance(0.5) => o.clone(),
            _ => rec.ip.clone(),
        };
        self.user_frame(
            u,
            slot.t,
            slot.id,
            interactive,
            rec.city(),
            &ip,
            code,
            &mut rng,
        )
    }

    fn sp_sign_in(&self, s: usize, slot: &Slot, k: u16) -> SignIn {
        let rec = &self.sps[s];
        let b = slot.t.div_euclid(HOUR_NS);
        let mut rng = Rng::new(hash(&[
            self.cfg.seed,
            TAG_DETAIL,
            0x5050,
            s as u64,
            b as u64,
            u64::from(k),
        ]));
        let mut si = SignIn::default();
        si.id = id_string(slot.id);
        si.created_date_time = Some(from_ns(slot.t));
        si.app_id = rec.sp.app_id.clone();
        si.app_display_name = rec.sp.display_name.clone();
        si.service_principal_id = Some(rec.sp.id.clone());
        si.service_principal_name = rec.sp.display_name.clone();
        let c = &catalog::AZURE_CITY;
        si.ip_address = Some(format!(
            "{}.{}.{}.{}",
            c.net.0,
            c.net.1,
            s % 250,
            10 + rng.below(200)
        ));
        si.location = Some(location(c));
        si.resource_id = Some(catalog::GRAPH_APP_ID.to_owned());
        si.resource_display_name = Some("Microsoft Graph".to_owned());
        si.resource_tenant_id = Some(self.tenant_id.clone());
        si.home_tenant_id = Some(self.tenant_id.clone());
        si.correlation_id = Some(rng.uuid());
        si.is_interactive = Some(false);
        si.conditional_access_status = Some(ConditionalAccessStatus::NotApplied);
        si.autonomous_system_number = Some(c.asn);
        si.token_issuer_type = Some(TokenIssuerType::AzureAd);
        si.original_request_id = Some(si.id.clone());
        let now = self.cfg.now;
        let mut code = 0;
        if let Some(a) = rec.app {
            let app = &self.apps[a];
            si.sign_in_event_types = vec![SignInEventType::ServicePrincipal];
            let at = from_ns(slot.t);
            // Prefer a credential valid at that time; an app left with only expired secrets fails.
            let valid = app
                .password_credentials
                .iter()
                .find(|c| c.end_date_time.is_some_and(|e| e > at));
            let cert = app
                .key_credentials
                .iter()
                .find(|c| c.end_date_time.is_some_and(|e| e > at));
            if let Some(k) = cert.filter(|_| valid.is_none() || rng.chance(0.5)) {
                si.client_credential_type = Some(ClientCredentialType::Certificate);
                si.service_principal_credential_key_id = k.key_id.clone();
                si.service_principal_credential_thumbprint = k.custom_key_identifier.clone();
            } else if let Some(p) = valid {
                si.client_credential_type = Some(ClientCredentialType::ClientSecret);
                si.service_principal_credential_key_id = p.key_id.clone();
                if rng.chance(0.01) {
                    code = 7000215;
                }
            } else {
                si.client_credential_type = Some(ClientCredentialType::ClientSecret);
                si.service_principal_credential_key_id = app
                    .password_credentials
                    .first()
                    .or(None)
                    .and_then(|p| p.key_id.clone());
                code = 7000222;
            }
            let _ = now;
        } else {
            si.sign_in_event_types = vec![SignInEventType::ManagedIdentity];
            si.client_credential_type = Some(ClientCredentialType::ManagedIdentity);
            let mut m = ManagedIdentity::default();
            m.msi_type = Some("systemAssigned".to_owned());
            m.associated_resource_id = Some(format!(
                "/subscriptions/{}/resourceGroups/rg-prod/providers/Microsoft.Web/sites/{}",
                self.uuid_for(&[99]),
                rec.sp.display_name.clone().unwrap_or_default()
            ));
            si.azure_resource_id = m.associated_resource_id.clone();
            si.managed_service_identity = Some(m);
            si.resource_id = Some("cfa8b339-82a2-471a-a3c9-0fc0be7a4093".to_owned());
            si.resource_display_name = Some("Azure Key Vault".to_owned());
        }
        let mut st = SignInStatus::default();
        st.error_code = Some(code);
        if code != 0 {
            st.failure_reason = Some(catalog::failure_reason(code).to_owned());
        }
        si.status = Some(st);
        si
    }
}

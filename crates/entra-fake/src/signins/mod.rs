//! Sign-ins, generated lazily: each user's events of each hour come from a hash of the seed, the
//! user and the hour, so any time range can be produced on demand, in any order, in memory that
//! does not grow with the number of sign-ins served. Planted and late-arriving sign-ins are kept
//! apart (a few hundred) and merged in.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use entra_model::{GeoCoordinates, ServicePrincipalType, SignIn, SignInLocation};
use time::OffsetDateTime;

use crate::catalog::City;
use crate::rng::{hash, mix, poisson, uuid_from, Rng};
use crate::tenant::{Activity, Tenant};

mod detail;

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
}

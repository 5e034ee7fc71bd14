//! Posture checks over a directory snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use entra_model::{
    Application, AuthenticationMethod, Capability, DirectoryRole, Group, Licence, RiskLevel,
    RiskState, RiskyUser, ServicePrincipal, User, UserRegistrationDetails,
};
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::check::{CheckId, Severity};
use crate::config::CheckConfig;
use crate::finding::{Finding, Subject};
use crate::Error;

mod credentials;

/// Why some tenant data could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum UnavailableReason {
    /// The tenant lacks a licence.
    MissingLicence {
        /// The licence needed.
        licence: Licence,
    },
    /// The app lacks a permission.
    MissingPermission {
        /// Permissions that would grant access (any one of them).
        any_of: Vec<String>,
    },
    /// Anything else (the collector's message).
    Other {
        /// What happened.
        message: String,
    },
}

impl fmt::Display for UnavailableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnavailableReason::MissingLicence { licence } => {
                write!(f, "needs {}", licence.product_name())
            }
            UnavailableReason::MissingPermission { any_of } => {
                write!(f, "needs permission {}", any_of.join(" or "))
            }
            UnavailableReason::Other { message } => f.write_str(message),
        }
    }
}

/// A capability the collector could not read, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Unavailable {
    /// What could not be read.
    pub capability: Capability,
    /// Why.
    pub reason: UnavailableReason,
}

impl Unavailable {
    /// A capability that could not be read.
    pub fn new(capability: Capability, reason: UnavailableReason) -> Self {
        Unavailable { capability, reason }
    }
}

/// The directory state posture checks read, as the collector last synced it.
///
/// Every collection may be empty; what could not be read is listed in `unavailable`, so the
/// checks that need it are skipped (their open findings kept, not resolved) and reported in one
/// `licence-gap` finding.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct DirectorySnapshot {
    /// Users, with `signInActivity` when the tenant and permissions allow.
    pub users: Vec<User>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Group object id to member object ids.
    pub group_members: BTreeMap<String, Vec<String>>,
    /// Activated directory roles.
    pub roles: Vec<DirectoryRole>,
    /// Role object id to member object ids (users, groups, service principals).
    pub role_members: BTreeMap<String, Vec<String>>,
    /// Application registrations with their credentials.
    pub applications: Vec<Application>,
    /// Service principals with their credentials.
    pub service_principals: Vec<ServicePrincipal>,
    /// User id to that user's authentication methods, for the users whose methods were read.
    pub authentication_methods: BTreeMap<String, Vec<AuthenticationMethod>>,
    /// The MFA registration report.
    pub registration_details: Vec<UserRegistrationDetails>,
    /// Risky users.
    pub risky_users: Vec<RiskyUser>,
    /// What could not be read, and why.
    pub unavailable: Vec<Unavailable>,
    /// The streams with items set aside because this version does not read them.
    pub rejected: Vec<RejectedStream>,
}

/// Items of one collection stream set aside because this version's models do not read them
/// (the store's rejected items).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedStream {
    /// The stream.
    pub stream: oort_store::StreamKind,
    /// How many items are set aside.
    pub count: u64,
    /// The error of the oldest one.
    pub first_error: String,
    /// The keys (ids) of the oldest ones, at most ten.
    pub first_ids: Vec<String>,
}

impl RejectedStream {
    /// `count` items of `stream` set aside, the oldest failing with `first_error`.
    pub fn new(
        stream: oort_store::StreamKind,
        count: u64,
        first_error: impl Into<String>,
        first_ids: Vec<String>,
    ) -> Self {
        RejectedStream {
            stream,
            count,
            first_error: first_error.into(),
            first_ids,
        }
    }
}

impl DirectorySnapshot {
    /// Whether `capability` was read (not listed in `unavailable`).
    pub fn is_available(&self, capability: Capability) -> bool {
        !self.unavailable.iter().any(|u| u.capability == capability)
    }
}

/// The result of [`run_posture`].
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PostureReport {
    /// Findings, sorted by fingerprint.
    pub findings: Vec<Finding>,
    /// Checks that ran with their data available: pass this to [`crate::merge`] so their fixed
    /// findings resolve.
    pub evaluated: BTreeSet<CheckId>,
}

struct Mfa {
    capable: bool,
    phishing_resistant: bool,
}

struct Ctx<'a> {
    snap: &'a DirectorySnapshot,
    config: &'a CheckConfig,
    now: OffsetDateTime,
    findings: Vec<Finding>,
    evaluated: BTreeSet<CheckId>,
}

fn days(d: u32) -> Duration {
    Duration::days(i64::from(d))
}

fn user_subject(u: &User) -> Subject {
    Subject::user(Some(&u.id), u.user_principal_name.as_deref())
}

fn who(u: &User) -> &str {
    u.user_principal_name.as_deref().unwrap_or(&u.id)
}

fn date(t: OffsetDateTime) -> String {
    t.date().to_string()
}

fn enabled(u: &User) -> bool {
    u.is_enabled() != Some(false)
}

impl Ctx<'_> {
    fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    fn finding(
        &self,
        check: CheckId,
        severity: Severity,
        subject: Subject,
        facet: &str,
        summary: String,
    ) -> Finding {
        Finding::new(check, severity, subject, facet, summary, self.now)
    }

    fn mfa(&self, user_id: &str) -> Option<Mfa> {
        if let Some(methods) = self.snap.authentication_methods.get(user_id) {
            return Some(Mfa {
                capable: methods.iter().any(AuthenticationMethod::is_mfa_capable),
                phishing_resistant: methods
                    .iter()
                    .any(AuthenticationMethod::is_phishing_resistant),
            });
        }
        let r = self
            .snap
            .registration_details
            .iter()
            .find(|r| r.id == user_id)?;
        Some(Mfa {
            capable: r.is_mfa_capable?,
            phishing_resistant: r.has_phishing_resistant_method(),
        })
    }

    fn mfa_data(&self) -> bool {
        self.snap.is_available(Capability::RegistrationDetails)
            || !self.snap.authentication_methods.is_empty()
    }

    /// Users whose `signInActivity` is usable: the capability was read and at least one user
    /// carries it (a collector that did not select it leaves every user without).
    fn sign_in_activity(&self) -> bool {
        self.snap.is_available(Capability::Users)
            && self.snap.is_available(Capability::SignInActivity)
            && (self.snap.users.is_empty()
                || self.snap.users.iter().any(|u| u.sign_in_activity.is_some()))
    }

    fn app_credentials(&mut self) {
        let ce = &self.config.app_credential_expiring;
        let ll = &self.config.app_credential_long_lived;
        if !self.snap.is_available(Capability::Applications) || !(ce.enabled || ll.enabled) {
            return;
        }
        if ce.enabled {
            self.evaluated.insert(CheckId::AppCredentialExpiring);
        }
        if ll.enabled {
            self.evaluated.insert(CheckId::AppCredentialLongLived);
        }
        let owners = self
            .snap
            .applications
            .iter()
            .map(|a| {
                (
                    "application",
                    a.id.as_str(),
                    a.app_id.as_deref(),
                    a.display_name.as_deref(),
                    a.credentials(),
                )
            })
            .chain(self.snap.service_principals.iter().map(|s| {
                (
                    "service principal",
                    s.id.as_str(),
                    s.app_id.as_deref(),
                    s.display_name.as_deref(),
                    s.credentials(),
                )
            }))
            .collect::<Vec<_>>();
        for (object, object_id, app_id, name, creds) in owners {
            for (i, cred) in creds.iter().enumerate() {
                self.credential(object, object_id, app_id, name, i, cred);
            }
        }
    }

    fn activity(&mut self) {
        let c = self.config;
        if !self.sign_in_activity() {
            return;
        }
        for (check, on) in [
            (CheckId::InactiveUser, c.inactive_user.enabled),
            (CheckId::InactiveGuest, c.inactive_guest.enabled),
            (CheckId::NeverSignedIn, c.never_signed_in.enabled),
        ] {
            if on {
                self.evaluated.insert(check);
            }
        }
        let now = self.now;
        for u in &self.snap.users {
            if !enabled(u) || u.removed.is_some() || u.deleted_date_time.is_some() {
                continue;
            }
            let upn = u.user_principal_name.as_deref();
            let last = u.last_successful_sign_in().or_else(|| u.last_sign_in());
            let created = u.created_date_time;
            if u.is_guest() {
                let cfg = &c.inactive_guest;
                let limit = days(cfg.more_than_days);
                let stale = match last {
                    Some(last) => now - last > limit,
                    None => created.is_none_or(|c| now - c > limit),
                };
                if cfg.enabled && stale && !cfg.ignore.ignores_user(Some(&u.id), upn) {
                    let summary = match last {
                        Some(last) => format!(
                            "Guest {} has not signed in successfully for {} days (last {})",
                            who(u),
                            (now - last).whole_days(),
                            date(last)
                        ),
                        None => format!("Guest {} has never signed in", who(u)),
                    };
                    let mut f = self.finding(
                        CheckId::InactiveGuest,
                        Severity::Medium,
                        user_subject(u),
                        "",
                        summary,
                    );
                    if let Some(last) = last {
                        f.evidence
                            .set_fact("last_sign_in", entra_model::timestamp::format(&last));
                    }
                    f.recommendation =
                        Some("Delete the guest user (oort remediate delete-guest).".to_owned());
                    self.findings.push(f);
                }
            } else {
                let cfg = &c.inactive_user;
                if let Some(last) = last {
                    if cfg.enabled
                        && now - last > days(cfg.more_than_days)
                        && !cfg.ignore.ignores_user(Some(&u.id), upn)
                    {
                        let mut f = self.finding(
                            CheckId::InactiveUser,
                            Severity::Low,
                            user_subject(u),
                            "",
                            format!(
                                "{} has not signed in successfully for {} days (last {})",
                                who(u),
                                (now - last).whole_days(),
                                date(last)
                            ),
                        );
                        f.evidence
                            .set_fact("last_sign_in", entra_model::timestamp::format(&last));
                        f.recommendation =
                            Some("Disable the account if it is no longer needed.".to_owned());
                        self.findings.push(f);
                    }
                }
            }
            let cfg = &c.never_signed_in;
            if cfg.enabled
                && u.last_sign_in().is_none()
                && created.is_none_or(|c| now - c > days(cfg.created_more_than_days))
                && !cfg.ignore.ignores_user(Some(&u.id), upn)
            {
                let summary = match created {
                    Some(c) => format!(
                        "{} was created {} days ago ({}) and has never signed in",
                        who(u),
                        (now - c).whole_days(),
                        date(c)
                    ),
                    None => format!("{} has never signed in", who(u)),
                };
                let mut f = self.finding(
                    CheckId::NeverSignedIn,
                    Severity::Medium,
                    user_subject(u),
                    "",
                    summary,
                );
                if let Some(c) = created {
                    f.evidence
                        .set_fact("created", entra_model::timestamp::format(&c));
                }
                self.findings.push(f);
            }
        }
    }

    fn no_mfa(&mut self) {
        let cfg = &self.config.no_mfa;
        if !cfg.enabled || !self.snap.is_available(Capability::Users) || !self.mfa_data() {
            return;
        }
        self.evaluated.insert(CheckId::NoMfa);
        let now = self.now;
        let mut out = Vec::new();
        for u in &self.snap.users {
            if u.is_guest() || !enabled(u) || u.removed.is_some() {
                continue;
            }
            if u.created_date_time
                .is_some_and(|c| now - c <= days(cfg.grace_days))
            {
                continue;
            }
            if cfg
                .ignore
                .ignores_user(Some(&u.id), u.user_principal_name.as_deref())
            {
                continue;
            }
            if let Some(Mfa { capable: false, .. }) = self.mfa(&u.id) {
                let mut f = self.finding(
                    CheckId::NoMfa,
                    Severity::High,
                    user_subject(u),
                    "",
                    format!("{} has no MFA-capable authentication method", who(u)),
                );
                f.recommendation = Some(
                    "Require MFA registration (conditional access or registration campaign)."
                        .to_owned(),
                );
                out.push(f);
            }
        }
        self.findings.extend(out);
    }

    /// User ids in a role, through role-assignable groups.
    fn role_users(&self, role: &DirectoryRole) -> BTreeSet<&str> {
        let users: BTreeSet<&str> = self.snap.users.iter().map(|u| u.id.as_str()).collect();
        let mut out = BTreeSet::new();
        for m in self.snap.role_members.get(&role.id).into_iter().flatten() {
            if let Some(members) = self.snap.group_members.get(m) {
                out.extend(
                    members
                        .iter()
                        .map(String::as_str)
                        .filter(|id| users.contains(id)),
                );
            } else if users.contains(m.as_str()) {
                out.insert(m.as_str());
            }
        }
        out
    }

    fn admins(&mut self) {
        if !self.snap.is_available(Capability::DirectoryRoles) {
            return;
        }
        let c = self.config;
        // global-admin-count
        let gac = &c.global_admin_count;
        if gac.enabled {
            if let Some(ga) = self.snap.roles.iter().find(|r| r.is_global_administrator()) {
                self.evaluated.insert(CheckId::GlobalAdminCount);
                let members = self.role_users(ga);
                let n = members.len() as u32;
                if n < gac.min || n > gac.max {
                    let mut f = self.finding(
                        CheckId::GlobalAdminCount,
                        Severity::Medium,
                        Subject::Tenant,
                        "",
                        format!(
                            "The tenant has {n} Global Administrators (recommended: {} to {})",
                            gac.min, gac.max
                        ),
                    );
                    let by_id: BTreeMap<&str, &User> =
                        self.snap.users.iter().map(|u| (u.id.as_str(), u)).collect();
                    for id in members {
                        let name = by_id.get(id).map_or(id, |u| who(u));
                        f.evidence.users.insert(name.to_owned());
                    }
                    f.evidence.set_fact("global_administrators", n);
                    self.push(f);
                }
            }
        }
        // admin-without-mfa
        let awm = &c.admin_without_mfa;
        if !awm.enabled || !self.mfa_data() {
            return;
        }
        self.evaluated.insert(CheckId::AdminWithoutMfa);
        let mut roles_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for role in self.snap.roles.iter().filter(|r| r.is_privileged()) {
            let name = role.display_name.as_deref().unwrap_or(&role.id);
            for id in self.role_users(role) {
                roles_of.entry(id).or_default().push(name);
            }
        }
        let mut out = Vec::new();
        for u in &self.snap.users {
            let Some(roles) = roles_of.get(u.id.as_str()) else {
                continue;
            };
            if !enabled(u)
                || awm
                    .ignore
                    .ignores_user(Some(&u.id), u.user_principal_name.as_deref())
            {
                continue;
            }
            let Some(mfa) = self.mfa(&u.id) else { continue };
            let (severity, what) = if !mfa.capable {
                (Severity::Critical, "no MFA-capable method")
            } else if awm.require_phishing_resistant && !mfa.phishing_resistant {
                (
                    Severity::High,
                    "no phishing-resistant method (FIDO2, Windows Hello, certificate)",
                )
            } else {
                continue;
            };
            let mut f = self.finding(
                CheckId::AdminWithoutMfa,
                severity,
                user_subject(u),
                "",
                format!("Administrator {} ({}) has {what}", who(u), roles.join(", ")),
            );
            f.evidence.set_fact("roles", serde_json::json!(roles));
            out.push(f);
        }
        self.findings.extend(out);
    }

    fn risky_users(&mut self) {
        let cfg = &self.config.risky_user;
        if !cfg.enabled || !self.snap.is_available(Capability::RiskyUsers) {
            return;
        }
        self.evaluated.insert(CheckId::RiskyUser);
        let mut out = Vec::new();
        for r in &self.snap.risky_users {
            let at_risk = matches!(
                r.risk_state,
                Some(RiskState::AtRisk | RiskState::ConfirmedCompromised)
            );
            if r.risk_level != Some(RiskLevel::High)
                || !at_risk
                || r.is_deleted == Some(true)
                || cfg
                    .ignore
                    .ignores_user(Some(&r.id), r.user_principal_name.as_deref())
            {
                continue;
            }
            let state = r.risk_state.as_ref().map_or("", |s| s.as_str());
            let mut f = self.finding(
                CheckId::RiskyUser,
                Severity::High,
                Subject::user(Some(&r.id), r.user_principal_name.as_deref()),
                "",
                format!(
                    "{} is a high-risk user ({state})",
                    r.user_principal_name.as_deref().unwrap_or(&r.id)
                ),
            );
            f.evidence.set_fact("risk_state", state);
            if let Some(t) = r.risk_last_updated_date_time {
                f.evidence
                    .set_fact("risk_last_updated", entra_model::timestamp::format(&t));
            }
            f.recommendation = Some(
                "Investigate the user's recent sign-ins; revoke sessions and reset the password if compromised."
                    .to_owned(),
            );
            out.push(f);
        }
        self.findings.extend(out);
    }

    fn licence_gap(&mut self) {
        if !self.config.licence_gap.enabled {
            return;
        }
        self.evaluated.insert(CheckId::LicenceGap);
        let mut gaps: Vec<(String, String, Vec<CheckId>)> = self
            .snap
            .unavailable
            .iter()
            .map(|u| {
                (
                    u.capability.as_str().to_owned(),
                    u.reason.to_string(),
                    blinded_checks(u.capability),
                )
            })
            .collect();
        if self.snap.is_available(Capability::SignInActivity)
            && self.snap.is_available(Capability::Users)
            && !self.sign_in_activity()
        {
            gaps.push((
                Capability::SignInActivity.as_str().to_owned(),
                format!(
                    "no user carries signInActivity (needs {} and AuditLog.Read.All)",
                    Licence::P1.product_name()
                ),
                blinded_checks(Capability::SignInActivity),
            ));
        }
        if gaps.is_empty() {
            return;
        }
        gaps.sort();
        gaps.dedup_by(|a, b| a.0 == b.0);
        let list: Vec<String> = gaps
            .iter()
            .map(|(cap, why, _)| format!("{cap} ({why})"))
            .collect();
        let blind: BTreeSet<&str> = gaps
            .iter()
            .flat_map(|(_, _, checks)| checks.iter().map(|c| c.as_str()))
            .collect();
        let mut summary = format!("Data unavailable: {}", list.join("; "));
        if !blind.is_empty() {
            summary.push_str(&format!(
                "; checks not run: {}",
                blind.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
        let mut f = self.finding(
            CheckId::LicenceGap,
            Severity::Info,
            Subject::Tenant,
            "",
            summary,
        );
        for (cap, why, checks) in &gaps {
            f.evidence.set_fact(
                cap,
                serde_json::json!({
                    "reason": why,
                    "checks": checks.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                }),
            );
        }
        self.push(f);
    }
}

impl Ctx<'_> {
    /// One `collection-gap` finding per stream with items set aside: the analysis does not see
    /// them until a version that reads them re-reads them.
    fn collection_gap(&mut self) {
        if !self.config.collection_gap.enabled {
            return;
        }
        self.evaluated.insert(CheckId::CollectionGap);
        for r in &self.snap.rejected {
            if r.count == 0 {
                continue;
            }
            let stream = r.stream.as_str();
            let mut f = self.finding(
                CheckId::CollectionGap,
                Severity::Medium,
                Subject::Stream {
                    stream: stream.to_owned(),
                },
                "",
                format!(
                    "{} item(s) of stream {stream} could not be read by this version and were set aside (first error: {})",
                    r.count, r.first_error
                ),
            );
            f.evidence.set_fact("stream", stream);
            f.evidence.set_fact("count", r.count);
            f.evidence.set_fact("first_error", r.first_error.as_str());
            f.evidence
                .set_fact("first_rejected_ids", r.first_ids.clone());
            f.recommendation = Some(
                "The analysis does not see these items. Upgrade oort, then re-read them with `oort collect --retry-rejected`; `oort status` lists them per stream."
                    .to_owned(),
            );
            self.push(f);
        }
    }
}

/// The checks that cannot run without `capability`.
pub fn blinded_checks(capability: Capability) -> Vec<CheckId> {
    use CheckId as C;
    match capability {
        Capability::SignIns | Capability::NonInteractiveSignIns => CheckId::ALL
            .iter()
            .copied()
            .filter(|c| c.kind() == crate::FindingKind::Threat)
            .collect(),
        Capability::Users => vec![
            C::InactiveUser,
            C::InactiveGuest,
            C::NeverSignedIn,
            C::NoMfa,
        ],
        Capability::SignInActivity => vec![C::InactiveUser, C::InactiveGuest, C::NeverSignedIn],
        Capability::RegistrationDetails | Capability::AuthenticationMethods => {
            vec![C::NoMfa, C::AdminWithoutMfa]
        }
        Capability::DirectoryRoles => vec![C::AdminWithoutMfa, C::GlobalAdminCount],
        Capability::Applications => vec![C::AppCredentialExpiring, C::AppCredentialLongLived],
        Capability::RiskyUsers => vec![C::RiskyUser],
        _ => Vec::new(),
    }
}

/// Runs every enabled posture check over `snapshot` at `now`.
///
/// Checks whose data is unavailable are skipped and named in one `licence-gap` finding.
pub fn run_posture(
    snapshot: &DirectorySnapshot,
    config: &CheckConfig,
    now: OffsetDateTime,
) -> Result<PostureReport, Error> {
    config.validate()?;
    let mut ctx = Ctx {
        snap: snapshot,
        config,
        now,
        findings: Vec::new(),
        evaluated: BTreeSet::new(),
    };
    ctx.app_credentials();
    ctx.activity();
    ctx.no_mfa();
    ctx.admins();
    ctx.risky_users();
    ctx.licence_gap();
    ctx.collection_gap();
    let mut findings = ctx.findings;
    findings.sort_by(|a, b| a.fingerprint.cmp(&b.fingerprint));
    findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
    Ok(PostureReport {
        findings,
        evaluated: ctx.evaluated,
    })
}

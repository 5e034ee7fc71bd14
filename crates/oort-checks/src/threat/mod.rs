//! Threat detections over sign-ins consumed in time order.
//!
//! [`ThreatEngine`] is fed sign-ins one by one ([`ThreatEngine::feed`]) or in batches, in
//! non-decreasing `createdDateTime` order, and keeps only what its windows need: per user, per
//! IP and tenant-wide sliding windows of the events that can still matter, evicted as event time
//! moves on (eviction is driven by the sign-ins' own timestamps, never by the clock). Memory is
//! bounded by the events inside the longest window plus one small record per user (the last
//! successful location and recent countries), independent of how many sign-ins pass.
//!
//! # Incremental runs
//! Sign-ins fed twice within [`crate::CheckConfig::duplicate_horizon_minutes`] (by `id`) are
//! counted once, so each collection may be fed with the collector's overlap behind its
//! watermark. A sign-in older than the latest one fed is still analysed (counted in
//! [`EngineStats::out_of_order`]); windows assume time order, so a late sign-in may be judged
//! against slightly more or less history than an on-time one.
//!
//! The engine's state is not serialised: a long-lived process keeps the engine and feeds it each
//! new collection; a process that starts fresh rebuilds the state by replaying the sign-ins of
//! the last [`ThreatEngine::lookback`] (8 days by default: the 7-day windows of
//! `account-under-attack` and `new-country` plus a day) before the new ones, and merges the
//! findings with [`crate::merge`]: findings of the replayed part have the fingerprints already
//! stored, so the replay adds nothing.
//!
//! # Findings
//! A detection firing for a subject on a UTC day opens (or extends) one finding with fingerprint
//! `(check, subject, day)`: an attack that goes on updates `last_seen`, evidence and figures of
//! that finding instead of adding one per event. [`ThreatEngine::take_findings`] returns the
//! findings opened or changed since the last call, complete (not deltas), sorted by fingerprint.
//!
//! # Layout
//! The engine ([`ThreatEngine`]) owns the order of time: duplicates, the watermark, the hourly
//! sweep and the findings. Each detection is a module implementing `detection::Detection` with
//! its own configuration and state; the detections are grouped by the subject of their state
//! (`scope`): per user, per IP, or tenant-wide (which includes the detections of single
//! sign-ins, without state), and each group is a tuple called through static dispatch. The
//! shared machinery is named after what it holds: `event` (a sign-in as the windows keep it),
//! `window`, `incident` (open findings), `recent_ids`.

use std::sync::Arc;
use std::time::Duration;

use entra_model::SignIn;
use time::OffsetDateTime;

use crate::config::CheckConfig;
use crate::finding::Finding;
use crate::Error;

mod detection;
mod event;
mod incident;
mod recent_ids;
mod scope;
mod window;

mod account_under_attack;
mod break_glass;
mod brute_force;
mod ca_bypass_attempt;
mod denied_territory;
mod disabled_account_probing;
mod distributed_cracking;
mod high_activity;
mod impossible_travel;
mod legacy_auth;
mod lockout_storm;
mod mfa_fatigue;
mod mfa_fraud_reported;
mod new_country;
mod password_spray;
mod risky_sign_in;

#[cfg(test)]
mod testing;

use detection::SignInEvent;
use event::{millis, nonempty, Ev};
use incident::Incidents;
use recent_ids::RecentIds;
use scope::{PerKey, TenantWide};
use window::{minutes, MS_PER_HOUR};

/// Hash maps with foldhash: randomly seeded per process (keys are attacker-chosen UPNs and IPs)
/// and several times faster than SipHash on short keys.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// How often (in event time) stale keys are swept out of the maps.
const SWEEP_EVERY_MS: i64 = MS_PER_HOUR;
/// Country names kept for sharing between events (Graph sends two-letter codes: about 250).
const MAX_COUNTRIES: usize = 1024;

/// The detections of single sign-ins (no state), and `lockout-storm` (one tenant-wide window).
type TenantDetections = (
    break_glass::BreakGlassSignIn,
    risky_sign_in::RiskySignIn,
    legacy_auth::LegacyAuth,
    denied_territory::DeniedTerritory,
    mfa_fraud_reported::MfaFraudReported,
    lockout_storm::LockoutStorm,
);

/// The detections with state per user.
type UserDetections = (
    mfa_fatigue::MfaFatigue,
    brute_force::BruteForce,
    distributed_cracking::DistributedCracking,
    ca_bypass_attempt::CaBypassAttempt,
    disabled_account_probing::DisabledAccountProbing,
    high_activity::HighActivity,
    impossible_travel::ImpossibleTravel,
    new_country::NewCountry,
);

/// The detections with state per IP.
type IpDetections = (
    password_spray::PasswordSpray,
    account_under_attack::AccountUnderAttack,
);

/// How much state an engine retains: what its windows hold, for monitoring and for tests that
/// memory stays bounded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StateSize {
    /// Users with retained state.
    pub users: usize,
    /// IPs with retained state.
    pub ips: usize,
    /// Events held in windows, plus per-user records (last location, recent countries).
    pub entries: usize,
    /// Findings held open for updates.
    pub findings: usize,
    /// Sign-in ids remembered to skip duplicates.
    pub recent_ids: usize,
}

impl StateSize {
    /// Everything together.
    pub fn total(&self) -> usize {
        self.users + self.ips + self.entries + self.findings + self.recent_ids
    }
}

/// Counters of what an engine has seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EngineStats {
    /// Sign-ins analysed.
    pub analysed: u64,
    /// Sign-ins skipped: no `createdDateTime`.
    pub skipped_without_time: u64,
    /// Sign-ins skipped: no user id or UPN (service principals, managed identities).
    pub skipped_without_user: u64,
    /// Sign-ins older than an earlier one (analysed anyway; windows assume time order).
    pub out_of_order: u64,
    /// Sign-ins skipped because one with the same id was fed within the duplicate horizon
    /// (overlapping collection windows).
    pub duplicates: u64,
}

/// Runs every enabled threat detection of the catalogue over sign-ins in time order.
///
/// ```
/// use entra_model::SignIn;
/// use oort_checks::{CheckConfig, CheckId, ThreatEngine};
///
/// let mut config = CheckConfig::default();
/// config.break_glass_accounts = vec!["breakglass@contoso.com".into()];
/// let mut engine = ThreatEngine::new(config).unwrap();
/// let sign_in: SignIn = serde_json::from_str(r#"{
///     "id": "1", "createdDateTime": "2024-05-01T10:00:00Z",
///     "userId": "u1", "userPrincipalName": "breakglass@contoso.com",
///     "ipAddress": "203.0.113.9", "status": {"errorCode": 0}
/// }"#).unwrap();
/// engine.feed(&sign_in);
/// let findings = engine.take_findings();
/// assert_eq!(findings.len(), 1);
/// assert_eq!(findings[0].check_id, CheckId::BreakGlassSignIn);
/// ```
#[derive(Debug)]
pub struct ThreatEngine {
    config: CheckConfig,
    tenant: TenantWide<TenantDetections>,
    users: PerKey<UserDetections>,
    ips: PerKey<IpDetections>,
    /// Country names seen, shared by the events (see [`ThreatEngine::country`]).
    countries: std::collections::HashSet<Arc<str>, foldhash::fast::RandomState>,
    recent_ids: RecentIds,
    incidents: Incidents,
    watermark: Option<i64>,
    next_sweep: i64,
    stats: EngineStats,
}

impl ThreatEngine {
    /// An engine with `config` (validated) and empty state.
    pub fn new(config: CheckConfig) -> Result<ThreatEngine, Error> {
        config.validate()?;
        Ok(ThreatEngine {
            tenant: TenantWide::new(&config),
            users: PerKey::new(&config),
            ips: PerKey::new(&config),
            countries: Default::default(),
            recent_ids: RecentIds::default(),
            incidents: Incidents::new(config.evidence_limit),
            watermark: None,
            next_sweep: i64::MIN,
            stats: EngineStats::default(),
            config,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &CheckConfig {
        &self.config
    }

    /// How far back to replay sign-ins to rebuild this engine's state from scratch: the longest
    /// window (`account-under-attack`, `new-country`) plus one day.
    pub fn lookback(&self) -> Duration {
        let longest = self
            .config
            .account_under_attack
            .window_days
            .max(self.config.new_country.window_days);
        Duration::from_secs(86_400 * (u64::from(longest) + 1))
    }

    /// The latest sign-in time seen.
    pub fn watermark(&self) -> Option<OffsetDateTime> {
        let ms = self.watermark?;
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()
    }

    /// What the engine has seen.
    pub fn stats(&self) -> EngineStats {
        self.stats
    }

    /// The state retained now.
    pub fn state_size(&self) -> StateSize {
        StateSize {
            users: self.users.len(),
            ips: self.ips.len(),
            entries: self.users.size() + self.ips.size() + self.tenant.size(),
            findings: self.incidents.len(),
            recent_ids: self.recent_ids.len(),
        }
    }

    /// Findings opened or changed since the last call, each complete, sorted by fingerprint.
    pub fn take_findings(&mut self) -> Vec<Finding> {
        let out = self.incidents.take();
        if let Some(w) = self.watermark {
            self.incidents.evict(w);
        }
        out
    }

    /// Feeds sign-ins in time order; equivalent to calling [`ThreatEngine::feed`] on each.
    pub fn feed_all<'a>(&mut self, sign_ins: impl IntoIterator<Item = &'a SignIn>) {
        for s in sign_ins {
            self.feed(s);
        }
    }

    /// Feeds one sign-in (the next in time order).
    pub fn feed(&mut self, s: &SignIn) {
        let Some(time) = s.created_date_time else {
            self.stats.skipped_without_time += 1;
            return;
        };
        let Some(raw_key) = nonempty(&s.user_id).or(nonempty(&s.user_principal_name)) else {
            self.stats.skipped_without_user += 1;
            return;
        };
        let t = millis(time);
        if !s.id.is_empty() {
            let horizon = minutes(self.config.duplicate_horizon_minutes);
            self.recent_ids
                .evict(self.watermark.unwrap_or(t).max(t) - horizon);
            if !self.recent_ids.insert(&s.id, t) {
                self.stats.duplicates += 1;
                return;
            }
        }
        match self.watermark {
            Some(w) if t < w => self.stats.out_of_order += 1,
            _ => self.watermark = Some(t),
        }
        self.stats.analysed += 1;
        let watermark = self.watermark.unwrap_or(t);
        if watermark >= self.next_sweep {
            self.sweep(watermark);
            self.next_sweep = watermark + SWEEP_EVERY_MS;
        }

        let user = if raw_key.bytes().any(|b| b.is_ascii_uppercase()) {
            self.users.share(&raw_key.to_ascii_lowercase())
        } else {
            self.users.share(raw_key)
        };
        let ip = nonempty(&s.ip_address).map(|ip| self.ips.share(ip));
        let country = s.country().and_then(|c| self.country(c));
        let ev = Arc::new(Ev::of_sign_in(s, time, ip, country));
        let e = SignInEvent {
            sign_in: s,
            ev: &ev,
            user: &user,
        };
        self.tenant.on_sign_in(&e, &mut self.incidents);
        self.users.on_sign_in(&user, &e, &mut self.incidents);
        if let Some(ip) = &ev.ip {
            self.ips.on_sign_in(ip, &e, &mut self.incidents);
        }
    }

    /// `country` in upper case, shared with the events before it; `None` when empty. Graph's
    /// countries are two-letter codes: past [`MAX_COUNTRIES`] names, new ones are not kept.
    fn country(&mut self, country: &str) -> Option<Arc<str>> {
        if country.is_empty() {
            return None;
        }
        let upper;
        let c = if country.bytes().any(|b| b.is_ascii_lowercase()) {
            upper = country.to_ascii_uppercase();
            upper.as_str()
        } else {
            country
        };
        if let Some(shared) = self.countries.get(c) {
            return Some(Arc::clone(shared));
        }
        let shared: Arc<str> = Arc::from(c);
        if self.countries.len() < MAX_COUNTRIES {
            self.countries.insert(Arc::clone(&shared));
        }
        Some(shared)
    }

    /// Evicts every window to `watermark` and drops keys with nothing left.
    fn sweep(&mut self, watermark: i64) {
        self.users.sweep(watermark);
        self.ips.sweep(watermark);
        self.tenant.sweep(watermark);
        self.incidents.evict(watermark);
    }
}

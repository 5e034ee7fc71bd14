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

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use entra_model::{ConditionalAccessStatus, RiskLevel, RiskState, SignIn};
use time::OffsetDateTime;

use crate::check::{CheckId, Severity};
use crate::config::CheckConfig;
use crate::finding::{Finding, Subject};
use crate::{geo, Error};

mod event;
mod incident;
mod recent_ids;
mod window;

use event::{millis, nonempty, Ev};
use incident::{Fire, Incidents};
use recent_ids::RecentIds;
use window::{days, hours, minutes, Window, MS_PER_DAY, MS_PER_HOUR};

/// Hash maps with foldhash: randomly seeded per process (keys are attacker-chosen UPNs and IPs)
/// and several times faster than SipHash on short keys.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// How often (in event time) stale keys are swept out of the maps.
const SWEEP_EVERY_MS: i64 = MS_PER_HOUR;
/// Country names kept for sharing between events (Graph sends two-letter codes: about 250).
const MAX_COUNTRIES: usize = 1024;

/// Whether `haystack` contains `needle` (already lower case), ignoring ASCII case.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some(first) = n.first() else { return true };
    h.windows(n.len())
        .any(|w| w[0].eq_ignore_ascii_case(first) && w.eq_ignore_ascii_case(n))
}

#[derive(Debug)]
struct Fix {
    t: i64,
    point: (f64, f64),
    device: Option<Box<str>>,
    ev: Arc<Ev>,
}

#[derive(Debug, Default)]
struct UserState {
    brute: Window<()>,
    cracking: Window<Box<str>>,
    mfa: Window<()>,
    ca: Window<Arc<str>>,
    probing: Window<(Arc<str>, Box<str>)>,
    travel: Option<Fix>,
    countries: Vec<(Box<str>, i64)>,
    first_success: Option<i64>,
    day: i64,
    day_count: u32,
}

impl UserState {
    fn size(&self) -> usize {
        self.brute.len()
            + self.cracking.len()
            + self.mfa.len()
            + self.ca.len()
            + self.probing.len()
            + usize::from(self.travel.is_some())
            + self.countries.len()
    }
}

#[derive(Debug, Default)]
struct IpState {
    spray_fail: Window<Arc<str>>,
    spray_ok: Window<Arc<str>>,
    attack_fail: Window<Arc<str>>,
    /// Last success per account, kept only while the IP has failures in the window.
    attack_ok: HashMap<Arc<str>, i64>,
}

impl IpState {
    fn size(&self) -> usize {
        self.spray_fail.len() + self.spray_ok.len() + self.attack_fail.len() + self.attack_ok.len()
    }
}

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
    users: HashMap<Arc<str>, UserState>,
    ips: HashMap<Arc<str>, IpState>,
    lockouts: Window<Arc<str>>,
    /// Country names seen, shared by the events (see [`ThreatEngine::country`]).
    countries: HashSet<Arc<str>, foldhash::fast::RandomState>,
    recent_ids: RecentIds,
    incidents: Incidents,
    watermark: Option<i64>,
    next_sweep: i64,
    stats: EngineStats,
    legacy_apps: Vec<String>,
    legacy_agents: Vec<String>,
    fraud_phrases: Vec<String>,
    denied_countries: Vec<String>,
}

fn lower(list: &[String]) -> Vec<String> {
    list.iter().map(|s| s.to_ascii_lowercase()).collect()
}

impl ThreatEngine {
    /// An engine with `config` (validated) and empty state.
    pub fn new(config: CheckConfig) -> Result<ThreatEngine, Error> {
        config.validate()?;
        Ok(ThreatEngine {
            legacy_apps: lower(&config.legacy_auth.client_apps),
            legacy_agents: lower(&config.legacy_auth.user_agents),
            fraud_phrases: lower(&config.mfa_fraud_reported.phrases),
            denied_countries: config
                .denied_countries
                .iter()
                .map(|c| c.to_ascii_uppercase())
                .collect(),
            incidents: Incidents::new(config.evidence_limit),
            config,
            users: HashMap::default(),
            ips: HashMap::default(),
            lockouts: Window::default(),
            countries: Default::default(),
            recent_ids: RecentIds::default(),
            watermark: None,
            next_sweep: i64::MIN,
            stats: EngineStats::default(),
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
            entries: self.users.values().map(UserState::size).sum::<usize>()
                + self.ips.values().map(IpState::size).sum::<usize>()
                + self.lockouts.len(),
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
        let user_id = nonempty(&s.user_id);
        let upn = nonempty(&s.user_principal_name);
        let Some(raw_key) = user_id.or(upn) else {
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

        let user_key: Arc<str> = {
            let lowered;
            let k = if raw_key.bytes().any(|b| b.is_ascii_uppercase()) {
                lowered = raw_key.to_ascii_lowercase();
                lowered.as_str()
            } else {
                raw_key
            };
            match self.users.get_key_value(k) {
                Some((k, _)) => Arc::clone(k),
                None => Arc::from(k),
            }
        };
        let ip: Option<Arc<str>> =
            nonempty(&s.ip_address).map(|ip| match self.ips.get_key_value(ip) {
                Some((k, _)) => Arc::clone(k),
                None => Arc::from(ip),
            });
        let country = s.country().and_then(|c| self.country(c));
        let ev = Arc::new(Ev::of_sign_in(s, time, ip, country));
        self.single_event_checks(s, &ev);
        self.user_checks(s, &ev, Arc::clone(&user_key));
        self.ip_checks(&ev, &user_key);
        self.lockout_check(&ev, &user_key);
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

    fn single_event_checks(&mut self, s: &SignIn, ev: &Arc<Ev>) {
        let c = &self.config;
        let success = ev.code == Some(0);

        if c.break_glass_sign_in.enabled
            && c.is_break_glass(ev.user_id(), ev.upn())
            && !ev.is_ignored(&c.break_glass_sign_in.ignore)
        {
            let result = match ev.code {
                Some(0) => "succeeded".to_owned(),
                Some(code) => format!("failed with {code}"),
                None => "had no result".to_owned(),
            };
            self.incidents.fire(
                Fire {
                    check: CheckId::BreakGlassSignIn,
                    severity: Severity::Critical,
                    subject: ev.subject(),
                    summary: format!(
                        "Break-glass account {} signed in from {} ({}) and {result}",
                        ev.who(),
                        ev.ip_str(),
                        ev.country_str()
                    ),
                    facts: vec![],
                    recommendation: Some("Confirm with the account's custodians that the use was planned; otherwise reset its credentials."),
                    trigger: ev,
                },
                [],
            );
        }

        if c.risky_sign_in.enabled && !ev.is_ignored(&c.risky_sign_in.ignore) {
            let high = s.risk_level_aggregated == Some(RiskLevel::High)
                || s.risk_level_during_sign_in == Some(RiskLevel::High);
            let cleared = matches!(
                s.risk_state,
                Some(RiskState::Remediated | RiskState::Dismissed | RiskState::ConfirmedSafe)
            );
            if high && !cleared {
                let state = s.risk_state.as_ref().map_or("none", |r| r.as_str());
                self.incidents.fire(
                    Fire {
                        check: CheckId::RiskySignIn,
                        severity: Severity::High,
                        subject: ev.subject(),
                        summary: format!(
                            "High-risk sign-in of {} from {} ({}), risk state {state}",
                            ev.who(),
                            ev.ip_str(),
                            ev.country_str()
                        ),
                        facts: vec![("risk_event_types", serde_json::json!(s.risk_event_types_v2))],
                        recommendation: None,
                        trigger: ev,
                    },
                    [],
                );
            }
        }

        if success && c.legacy_auth.enabled && !ev.is_ignored(&c.legacy_auth.ignore) {
            let app = nonempty(&s.client_app_used);
            let by_app =
                app.is_some_and(|a| self.legacy_apps.iter().any(|l| l.eq_ignore_ascii_case(a)));
            let agent = nonempty(&s.user_agent);
            let by_agent = agent.is_some_and(|a| {
                self.legacy_agents
                    .iter()
                    .any(|l| contains_ignore_case(a, l))
            });
            if by_app || by_agent {
                let via = if by_app {
                    app.unwrap_or_default()
                } else {
                    agent.unwrap_or_default()
                };
                self.incidents.fire(
                    Fire {
                        check: CheckId::LegacyAuth,
                        severity: Severity::Medium,
                        subject: ev.subject(),
                        summary: format!(
                            "{} signed in with legacy authentication ({via}) from {}",
                            ev.who(),
                            ev.ip_str()
                        ),
                        facts: vec![("client", via.into())],
                        recommendation: Some(
                            "Block legacy authentication with a conditional access policy.",
                        ),
                        trigger: ev,
                    },
                    [],
                );
            }
        }

        if success && c.denied_territory.enabled && !ev.is_ignored(&c.denied_territory.ignore) {
            let loc = s.location.as_ref();
            let state = loc.and_then(|l| nonempty(&l.state));
            let city = loc.and_then(|l| nonempty(&l.city));
            let country = ev.country();
            let by_country = country.is_some_and(|k| self.denied_countries.iter().any(|d| d == k));
            let region = c
                .denied_regions
                .iter()
                .any(|r| r.matches(country, state, city));
            if by_country || region {
                let place = match (state, by_country) {
                    (Some(state), false) => format!("{state}, {}", ev.country_str()),
                    _ => ev.country_str().to_owned(),
                };
                self.incidents.fire(
                    Fire {
                        check: CheckId::DeniedTerritory,
                        severity: Severity::High,
                        subject: ev.subject(),
                        summary: format!(
                            "{} signed in successfully from denied territory {place} ({})",
                            ev.who(),
                            ev.ip_str()
                        ),
                        facts: vec![("territory", place.clone().into())],
                        recommendation: None,
                        trigger: ev,
                    },
                    [],
                );
            }
        }

        if ev.code == Some(500_121)
            && c.mfa_fraud_reported.enabled
            && !ev.is_ignored(&c.mfa_fraud_reported.ignore)
        {
            let status = s.status.as_ref();
            let texts = status
                .and_then(|st| st.additional_details.as_deref())
                .into_iter()
                .chain(status.and_then(|st| st.failure_reason.as_deref()))
                .chain(
                    s.authentication_details
                        .iter()
                        .filter_map(|d| d.authentication_step_result_detail.as_deref()),
                );
            let mut matched = None;
            for text in texts {
                let lowered = text.to_ascii_lowercase();
                if self
                    .fraud_phrases
                    .iter()
                    .any(|p| lowered.contains(p.as_str()))
                {
                    matched = Some(text.to_owned());
                    break;
                }
            }
            if let Some(detail) = matched {
                self.incidents.fire(
                    Fire {
                        check: CheckId::MfaFraudReported,
                        severity: Severity::Medium,
                        subject: ev.subject(),
                        summary: format!(
                            "{} declined an MFA prompt or reported fraud (sign-in from {})",
                            ev.who(),
                            ev.ip_str()
                        ),
                        facts: vec![("detail", detail.into())],
                        recommendation: Some("Ask the user; if they did not start the sign-in, the password is known to someone else: reset it."),
                        trigger: ev,
                    },
                    [],
                );
            }
        }
    }

    fn user_checks(&mut self, s: &SignIn, ev: &Arc<Ev>, key: Arc<str>) {
        let c = &self.config;
        let incidents = &mut self.incidents;
        let user = self.users.entry(key).or_default();
        let t = ev.t;
        let code = ev.code;
        let success = code == Some(0);

        // mfa-fatigue
        let mf = &c.mfa_fatigue;
        if mf.enabled && !ev.is_ignored(&mf.ignore) {
            let burst = i64::from(mf.window_seconds) * 1000;
            let success_window = minutes(mf.success_window_minutes);
            if code == Some(500_121) {
                user.mfa.push(t, (), ev);
                user.mfa.evict(t - burst.max(success_window));
                let n = user.mfa.count_since(t - burst);
                if n >= mf.min_failures as usize {
                    incidents.fire(
                        Fire {
                            check: CheckId::MfaFatigue,
                            severity: Severity::Medium,
                            subject: ev.subject(),
                            summary: format!(
                                "{} got {n} failed MFA prompts within {} seconds (MFA fatigue)",
                                ev.who(),
                                mf.window_seconds
                            ),
                            facts: vec![("mfa_failures_in_burst", n.into())],
                            recommendation: Some("Ask the user whether they started these sign-ins; enable number matching."),
                            trigger: ev,
                        },
                        user.mfa.since(t - burst),
                    );
                }
            } else if success {
                user.mfa.evict(t - burst.max(success_window));
                let n = user.mfa.count_since(t - success_window);
                if n > mf.more_than_denials_before_success as usize {
                    incidents.fire(
                        Fire {
                            check: CheckId::MfaFatigue,
                            severity: Severity::High,
                            subject: ev.subject(),
                            summary: format!(
                                "{} signed in after {n} failed MFA prompts within {} minutes (MFA fatigue accepted)",
                                ev.who(),
                                mf.success_window_minutes
                            ),
                            facts: vec![("mfa_failures_before_success", n.into())],
                            recommendation: Some("Revoke the user's sessions and reset the password: the prompt was likely accepted under pressure."),
                            trigger: ev,
                        },
                        user.mfa.since(t - success_window),
                    );
                }
            }
        }

        // brute-force
        let bf = &c.brute_force;
        if bf.enabled && !ev.is_ignored(&bf.ignore) {
            let burst = minutes(bf.burst_window_minutes);
            let success_window = minutes(bf.success_window_minutes);
            let keep = burst.max(success_window);
            if code.is_some_and(|k| bf.failure_codes.contains(&k)) {
                user.brute.push(t, (), ev);
                user.brute.evict(t - keep);
                let n = user.brute.count_since(t - burst);
                if n >= bf.burst_failures as usize {
                    incidents.fire(
                        Fire {
                            check: CheckId::BruteForce,
                            severity: Severity::Medium,
                            subject: ev.subject(),
                            summary: format!(
                                "{} had {n} failed sign-ins within {} minutes (brute force)",
                                ev.who(),
                                bf.burst_window_minutes
                            ),
                            facts: vec![("failures_in_burst", n.into())],
                            recommendation: None,
                            trigger: ev,
                        },
                        user.brute.since(t - burst),
                    );
                }
            } else if success {
                user.brute.evict(t - keep);
                let n = user.brute.count_since(t - success_window);
                if n >= bf.failures_before_success as usize {
                    incidents.fire(
                        Fire {
                            check: CheckId::BruteForce,
                            severity: Severity::High,
                            subject: ev.subject(),
                            summary: format!(
                                "{} signed in successfully from {} after {n} failures within {} minutes (brute force succeeded)",
                                ev.who(),
                                ev.ip_str(),
                                bf.success_window_minutes
                            ),
                            facts: vec![("failures_before_success", n.into())],
                            recommendation: Some("Revoke the user's sessions and reset the password."),
                            trigger: ev,
                        },
                        user.brute.since(t - success_window),
                    );
                }
            }
        }

        // distributed-cracking
        let dc = &c.distributed_cracking;
        if dc.enabled
            && code.is_some_and(|k| dc.failure_codes.contains(&k))
            && !ev.is_ignored(&dc.ignore)
        {
            let loc = s.location.as_ref();
            let city = loc.and_then(|l| nonempty(&l.city));
            let location: Option<Box<str>> = match (ev.country(), city) {
                (Some(country), Some(city)) => {
                    Some(format!("{country}/{}", city.to_ascii_lowercase()).into())
                }
                (Some(country), None) => Some(country.into()),
                (None, _) => ev.ip.as_deref().map(|ip| format!("ip:{ip}").into()),
            };
            if let Some(location) = location {
                user.cracking.push(t, location, ev);
            }
            user.cracking.evict(t - hours(dc.window_hours));
            let n = user.cracking.len();
            let places = user.cracking.distinct();
            if n > dc.more_than_failures as usize && places >= dc.min_locations as usize {
                incidents.fire(
                    Fire {
                        check: CheckId::DistributedCracking,
                        severity: Severity::Medium,
                        subject: ev.subject(),
                        summary: format!(
                            "{} had {n} password failures from {places} locations within {} hours (distributed cracking)",
                            ev.who(),
                            dc.window_hours
                        ),
                        facts: vec![("failures", n.into()), ("locations", places.into())],
                        recommendation: None,
                        trigger: ev,
                    },
                    user.cracking.events(),
                );
            }
        }

        // ca-bypass-attempt
        let ca = &c.ca_bypass_attempt;
        if ca.enabled
            && s.conditional_access_status == Some(ConditionalAccessStatus::Failure)
            && !ev.is_ignored(&ca.ignore)
        {
            if let Some(ip) = &ev.ip {
                user.ca.push(t, Arc::clone(ip), ev);
                user.ca.evict(t - hours(ca.window_hours));
                let n = user.ca.distinct();
                if n > ca.more_than_ips as usize {
                    incidents.fire(
                        Fire {
                            check: CheckId::CaBypassAttempt,
                            severity: Severity::Low,
                            subject: ev.subject(),
                            summary: format!(
                                "{} failed conditional access from {n} IPs within {} hours",
                                ev.who(),
                                ca.window_hours
                            ),
                            facts: vec![("distinct_ips", n.into())],
                            recommendation: None,
                            trigger: ev,
                        },
                        user.ca.events(),
                    );
                }
            }
        }

        // disabled-account-probing
        let dp = &c.disabled_account_probing;
        if dp.enabled && code == Some(50_057) && !ev.is_ignored(&dp.ignore) {
            if let (Some(ip), Some(app)) = (&ev.ip, ev.app()) {
                user.probing
                    .push(t, (Arc::clone(ip), app.to_ascii_lowercase().into()), ev);
                user.probing.evict(t - hours(dp.window_hours));
                let apps = user.probing.keys().filter(|(i, _)| i == ip).count();
                if apps >= dp.min_apps as usize {
                    incidents.fire(
                        Fire {
                            check: CheckId::DisabledAccountProbing,
                            severity: Severity::Low,
                            subject: ev.subject(),
                            summary: format!(
                                "Disabled account {} was tried from {} against {apps} applications",
                                ev.who(),
                                ev.ip_str()
                            ),
                            facts: vec![("applications", apps.into())],
                            recommendation: None,
                            trigger: ev,
                        },
                        user.probing
                            .keyed_events()
                            .filter(|((i, _), _)| i == ip)
                            .map(|(_, e)| e),
                    );
                }
            }
        }

        // high-activity
        let ha = &c.high_activity;
        if ha.enabled && !ev.is_ignored(&ha.ignore) {
            let day = t.div_euclid(MS_PER_DAY);
            if user.day != day {
                user.day = day;
                user.day_count = 0;
            }
            user.day_count += 1;
            if user.day_count > ha.more_than_sign_ins {
                let n = user.day_count;
                incidents.fire(
                    Fire {
                        check: CheckId::HighActivity,
                        severity: Severity::Low,
                        subject: ev.subject(),
                        summary: format!("{} made {n} sign-ins in one day", ev.who()),
                        facts: vec![("sign_ins_today", n.into())],
                        recommendation: None,
                        trigger: ev,
                    },
                    [],
                );
            }
        }

        // impossible-travel
        let it = &c.impossible_travel;
        if success && it.enabled && !ev.is_ignored(&it.ignore) {
            if let Some(point) = s.coordinates().filter(|p| geo::valid(*p)) {
                let device = s
                    .device_detail
                    .as_ref()
                    .and_then(|d| nonempty(&d.device_id))
                    .map(Box::<str>::from);
                if let Some(prev) = &user.travel {
                    let same_device =
                        it.skip_same_known_device && device.is_some() && device == prev.device;
                    let km = geo::distance_km(prev.point, point);
                    let hours = (t - prev.t) as f64 / MS_PER_HOUR as f64;
                    let kmh = if hours > 0.0 {
                        km / hours
                    } else {
                        f64::INFINITY
                    };
                    if !same_device && km >= it.min_distance_km && kmh >= it.min_speed_kmh {
                        let speed = if kmh.is_finite() {
                            serde_json::json!(kmh.round())
                        } else {
                            serde_json::Value::Null
                        };
                        incidents.fire(
                            Fire {
                                check: CheckId::ImpossibleTravel,
                                severity: Severity::High,
                                subject: ev.subject(),
                                summary: format!(
                                    "{} signed in from {} and {} {:.0} km apart within {:.0} minutes ({})",
                                    ev.who(),
                                    prev.ev.country_str(),
                                    ev.country_str(),
                                    km,
                                    hours * 60.0,
                                    if kmh.is_finite() { format!("{kmh:.0} km/h") } else { "at once".to_owned() }
                                ),
                                facts: vec![
                                    ("distance_km", serde_json::json!(km.round())),
                                    ("speed_kmh", speed),
                                ],
                                recommendation: None,
                                trigger: ev,
                            },
                            [&prev.ev],
                        );
                    }
                }
                user.travel = Some(Fix {
                    t,
                    point,
                    device,
                    ev: Arc::clone(ev),
                });
            }
        }

        // new-country
        let nc = &c.new_country;
        if nc.enabled && !ev.is_ignored(&nc.ignore) {
            if let Some(country) = ev.country() {
                let window = days(nc.window_days);
                let correct = code.is_some_and(|k| nc.password_correct_codes.contains(&k));
                if correct {
                    user.countries.retain(|(_, last)| *last >= t - window);
                    let known = user.countries.iter().any(|(c, _)| &**c == country);
                    let history = user.first_success.is_some_and(|f| t - f >= window);
                    if history && !known {
                        let seen: Vec<&str> = user.countries.iter().map(|(c, _)| &**c).collect();
                        incidents.fire(
                            Fire {
                                check: CheckId::NewCountry,
                                severity: Severity::Medium,
                                subject: ev.subject(),
                                summary: format!(
                                    "{} used a correct password from {country}, a country without a successful sign-in in {} days",
                                    ev.who(),
                                    nc.window_days
                                ),
                                facts: vec![
                                    ("new_country", country.into()),
                                    ("recent_countries", serde_json::json!(seen)),
                                ],
                                recommendation: None,
                                trigger: ev,
                            },
                            [],
                        );
                    }
                }
                if success {
                    match user.countries.iter_mut().find(|(c, _)| &**c == country) {
                        Some(entry) => entry.1 = entry.1.max(t),
                        None => user.countries.push((country.into(), t)),
                    }
                    user.first_success.get_or_insert(t);
                }
            }
        }
    }

    fn ip_checks(&mut self, ev: &Arc<Ev>, user_key: &Arc<str>) {
        let Some(ip) = ev.ip.clone() else { return };
        let c = &self.config;
        let t = ev.t;
        let ps = &c.password_spray;
        let aa = &c.account_under_attack;
        let off = (false, false);
        let (spray_fail, spray_ok) = if ps.enabled {
            ev.outcome(&ps.failure_codes, &ps.ignore)
        } else {
            off
        };
        let (attack_fail, attack_ok) = if aa.enabled {
            ev.outcome(&aa.failure_codes, &aa.ignore)
        } else {
            off
        };
        if !(spray_fail || spray_ok || attack_fail || attack_ok) {
            return;
        }
        let state = self.ips.entry(ip).or_default();
        let incidents = &mut self.incidents;

        if spray_fail || spray_ok {
            let window = minutes(ps.window_minutes);
            if spray_fail {
                state.spray_fail.push(t, Arc::clone(user_key), ev);
            } else {
                state.spray_ok.push(t, Arc::clone(user_key), ev);
            }
            state.spray_fail.evict(t - window);
            state.spray_ok.evict(t - window);
            let failed = state.spray_fail.distinct();
            let succeeded = state.spray_ok.distinct();
            if spray_fail && failed >= ps.min_users as usize && failed > succeeded {
                incidents.fire(
                    Fire {
                        check: CheckId::PasswordSpray,
                        severity: Severity::High,
                        subject: Subject::Ip {
                            address: ev.ip_str().to_owned(),
                        },
                        summary: format!(
                            "IP {} failed passwords on {failed} users within {} minutes (password spray)",
                            ev.ip_str(),
                            ps.window_minutes
                        ),
                        facts: vec![
                            ("failed_users", failed.into()),
                            ("successful_users", succeeded.into()),
                        ],
                        recommendation: Some("Block the IP with a named location; check the targeted users' sign-ins for a success from it."),
                        trigger: ev,
                    },
                    state.spray_fail.events(),
                );
            }
        }

        if attack_fail || attack_ok {
            let window = days(aa.window_days);
            if attack_fail {
                state.attack_fail.push(t, Arc::clone(user_key), ev);
            }
            state.attack_fail.evict(t - window);
            if state.attack_fail.len() == 0 {
                state.attack_ok.clear();
            } else if attack_ok {
                state.attack_ok.insert(Arc::clone(user_key), t);
                let failed = state.attack_fail.distinct();
                let others = failed - usize::from(state.attack_fail.contains(user_key));
                let majority = || {
                    let succeeded = state
                        .attack_ok
                        .values()
                        .filter(|last| **last >= t - window)
                        .count();
                    failed > succeeded
                };
                if others >= aa.min_other_users as usize
                    && (!aa.require_failed_majority || majority())
                {
                    incidents.fire(
                        Fire {
                            check: CheckId::AccountUnderAttack,
                            severity: Severity::High,
                            subject: ev.subject(),
                            summary: format!(
                                "{} signed in successfully from {}, which failed on {others} other accounts within {} days",
                                ev.who(),
                                ev.ip_str(),
                                aa.window_days
                            ),
                            facts: vec![("other_failed_users", others.into())],
                            recommendation: Some("Revoke the user's sessions and reset the password; block the IP."),
                            trigger: ev,
                        },
                        state.attack_fail.events(),
                    );
                }
            }
        }
        if state.size() == 0 {
            self.ips.remove(ev.ip_str());
        }
    }

    fn lockout_check(&mut self, ev: &Arc<Ev>, user_key: &Arc<str>) {
        let ls = &self.config.lockout_storm;
        if !ls.enabled || ev.code != Some(50_053) || ev.is_ignored(&ls.ignore) {
            return;
        }
        self.lockouts.push(ev.t, Arc::clone(user_key), ev);
        self.lockouts.evict(ev.t - minutes(ls.window_minutes));
        let n = self.lockouts.len();
        let users = self.lockouts.distinct();
        if n >= ls.min_events as usize && users >= ls.min_users as usize {
            self.incidents.fire(
                Fire {
                    check: CheckId::LockoutStorm,
                    severity: Severity::High,
                    subject: Subject::Tenant,
                    summary: format!(
                        "{n} account lockouts across {users} users within {} minutes",
                        ls.window_minutes
                    ),
                    facts: vec![("lockouts", n.into()), ("locked_users", users.into())],
                    recommendation: None,
                    trigger: ev,
                },
                self.lockouts.events(),
            );
        }
    }

    /// Evicts every window to `watermark` and drops keys with nothing left.
    fn sweep(&mut self, watermark: i64) {
        let c = &self.config;
        let mfa_keep = (i64::from(c.mfa_fatigue.window_seconds) * 1000)
            .max(minutes(c.mfa_fatigue.success_window_minutes));
        let brute_keep = minutes(c.brute_force.burst_window_minutes)
            .max(minutes(c.brute_force.success_window_minutes));
        let crack_keep = hours(c.distributed_cracking.window_hours);
        let ca_keep = hours(c.ca_bypass_attempt.window_hours);
        let probe_keep = hours(c.disabled_account_probing.window_hours);
        let country_keep = days(c.new_country.window_days);
        // Beyond this gap no distance on Earth needs the minimum speed.
        let travel_keep = ((geo::EARTH_RADIUS_KM * std::f64::consts::PI
            / c.impossible_travel.min_speed_kmh)
            * MS_PER_HOUR as f64)
            .ceil() as i64;
        let today = watermark.div_euclid(MS_PER_DAY);
        self.users.retain(|_, u| {
            u.mfa.evict(watermark - mfa_keep);
            u.brute.evict(watermark - brute_keep);
            u.cracking.evict(watermark - crack_keep);
            u.ca.evict(watermark - ca_keep);
            u.probing.evict(watermark - probe_keep);
            if u.travel
                .as_ref()
                .is_some_and(|f| f.t < watermark - travel_keep)
            {
                u.travel = None;
            }
            u.countries
                .retain(|(_, last)| *last >= watermark - country_keep);
            if u.day < today {
                u.day_count = 0;
            }
            u.size() > 0 || u.first_success.is_some() || u.day_count > 0
        });
        let spray_keep = minutes(c.password_spray.window_minutes);
        let attack_keep = days(c.account_under_attack.window_days);
        self.ips.retain(|_, s| {
            s.spray_fail.evict(watermark - spray_keep);
            s.spray_ok.evict(watermark - spray_keep);
            s.attack_fail.evict(watermark - attack_keep);
            if s.attack_fail.len() == 0 {
                s.attack_ok.clear();
            } else {
                s.attack_ok
                    .retain(|_, last| *last >= watermark - attack_keep);
            }
            s.size() > 0
        });
        self.lockouts
            .evict(watermark - minutes(c.lockout_storm.window_minutes));
        self.incidents.evict(watermark);
    }
}

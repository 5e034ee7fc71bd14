//! Identity threat analysis over Entra ID data: posture checks over a directory snapshot,
//! streaming threat detections over sign-ins, and de-duplicated findings with evidence.
//!
//! `oort-checks` implements oort's catalogue of checks (`detections.md`): every check id,
//! default and severity, each switchable and tunable through [`CheckConfig`] (serde-loadable,
//! every field defaulted to the catalogue).
//!
//! - [`ThreatEngine`] consumes sign-ins **in time order as a stream** and keeps only what its
//!   windows need, so the same engine analyses a 30-day backfill, each new collection and an
//!   Event Hub stream, with memory bounded by the windows, not by the number of sign-ins.
//! - [`run_posture`] evaluates a [`DirectorySnapshot`] at a given `now` (expiring and long-lived
//!   app credentials, inactive users and guests, missing MFA, admin hygiene, risky users), and
//!   reports missing data as one `licence-gap` finding instead of finding nothing.
//! - [`Finding`]s carry a stable [`Fingerprint`]; [`merge`] folds a run's findings into the
//!   stored ones (new, updated, reopened, resolved), so a rerun adds nothing and a fixed posture
//!   problem resolves.
//! - [`notify`] tells people about new and reopened findings by e-mail (SMTP), Microsoft Teams
//!   or a JSON webhook, once per status change and channel, with retries and a digest mode.
//!
//! It is not for collecting data (no Graph calls: that is `oort-collector`), nor for storing
//! findings (`oort-store`'s traits are used by [`run_checks`] and [`notify::notify_findings`]
//! only).
//!
//! # Features
//! - `store` (default): [`run_checks`] over a store of `oort-store` ([`ChecksStore`]).
//! - `notify` (default): the notification channels (SMTP, Teams, webhook: reqwest and lettre).
//!
//! Without them (`default-features = false`) the engine, the posture checks and the findings
//! need only `entra-model` and `oort-store`'s vocabulary (severity, kind, status; no database
//! backend, no HTTP client). The analysis does no I/O; the notifiers' network I/O is the only I/O of the crate.
//! The clock is never read: "now" is a parameter and windows run on the sign-ins' own
//! timestamps.
//!
//! # Choices where the catalogue is silent
//! - A threat finding is keyed by (check, subject, UTC day of the event that fired it): an
//!   attack that goes on all day updates one finding; the next day opens another.
//! - Windows run on the sign-ins' `createdDateTime`, never on the clock. "In one day" is a
//!   rolling 24 hours, except `high-activity`, which counts per UTC calendar day so that it keeps
//!   a counter per user instead of every sign-in of the day.
//! - `brute-force` and `distributed-cracking` count 50126 (bad password) and 50053 (locked);
//!   `password-spray` and `account-under-attack` also 50055, as the catalogue says. Each list is
//!   a setting.
//! - `account-under-attack` fires only when the IP's failed accounts outnumber its successful
//!   ones in the window, as `password-spray` does, so an office NAT where five colleagues
//!   mistyped a password in a week is not reported
//!   ([`AccountUnderAttackConfig::require_failed_majority`]).
//! - `new-country` measures a user's history from their first successful sign-in seen.
//! - `distributed-cracking` locations are (country, city), the IP when the location is unknown;
//!   `disabled-account-probing` looks back 24 hours.
//! - Posture checks whose data is unavailable are not evaluated: their open findings stay open
//!   (not resolved) and `licence-gap` names the missing data and the blinded checks. Users
//!   without any `signInActivity` are read as missing data, not as users who never signed in.
//!
//! # Example
//! ```
//! use std::collections::BTreeSet;
//! use entra_model::SignIn;
//! use oort_checks::{merge, CheckConfig, CheckId, Severity, ThreatEngine};
//!
//! // Five users fail their password from one IP within a minute: a password spray.
//! let sign_ins: Vec<SignIn> = (0..5)
//!     .map(|i| {
//!         serde_json::from_value(serde_json::json!({
//!             "id": format!("s{i}"),
//!             "createdDateTime": format!("2024-05-01T10:00:{:02}Z", i * 10),
//!             "userId": format!("u{i}"),
//!             "userPrincipalName": format!("user{i}@contoso.com"),
//!             "ipAddress": "198.51.100.7",
//!             "status": {"errorCode": 50126},
//!         }))
//!         .unwrap()
//!     })
//!     .collect();
//!
//! let mut engine = ThreatEngine::new(CheckConfig::default())?;
//! engine.feed_all(&sign_ins);
//! let found = engine.take_findings();
//! assert_eq!(found.len(), 1);
//! assert_eq!(found[0].check_id, CheckId::PasswordSpray);
//! assert_eq!(found[0].severity, Severity::High);
//! assert_eq!(found[0].evidence.users.len(), 5);
//!
//! // Stored findings are merged by fingerprint: a rerun over the same data adds nothing.
//! let now = sign_ins[4].created_date_time.unwrap();
//! let first = merge(&[], &found, &BTreeSet::new(), now, 50);
//! assert_eq!(first.new.len(), 1);
//! let mut rerun = ThreatEngine::new(CheckConfig::default())?;
//! rerun.feed_all(&sign_ins);
//! let again = merge(&first.new, &rerun.take_findings(), &BTreeSet::new(), now, 50);
//! assert!(again.is_empty());
//! # Ok::<(), oort_checks::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod check;
mod config;
mod error;
mod finding;
pub mod geo;
#[cfg(feature = "notify")]
pub mod notify;
mod posture;
#[cfg(feature = "store")]
mod run;
mod threat;

pub use check::{CheckId, FindingKind, Severity};
pub use config::{
    AccountUnderAttackConfig, AdminWithoutMfaConfig, AppCredentialExpiringConfig,
    AppCredentialLongLivedConfig, BreakGlassSignInConfig, BruteForceConfig, CaBypassAttemptConfig,
    CheckConfig, CollectionGapConfig, DeniedRegion, DeniedTerritoryConfig,
    DisabledAccountProbingConfig, DistributedCrackingConfig, GlobalAdminCountConfig,
    HighActivityConfig, IgnoreList, ImpossibleTravelConfig, InactiveGuestConfig,
    InactiveUserConfig, LegacyAuthConfig, LicenceGapConfig, LockoutStormConfig, MfaFatigueConfig,
    MfaFraudReportedConfig, NeverSignedInConfig, NewCountryConfig, NoMfaConfig,
    PasswordSprayConfig, RiskySignInConfig, RiskyUserConfig,
};
pub use error::Error;
pub use finding::{
    merge, Changes, Evidence, EvidenceSignIn, Finding, FindingStatus, Fingerprint, Subject,
};
pub use posture::{
    blinded_checks, run_posture, DirectorySnapshot, PostureReport, RejectedStream, Unavailable,
    UnavailableReason,
};
#[cfg(feature = "store")]
pub use run::{
    analysis_state, run_checks, run_checks_with, AnalysisState, ChecksStore, ChecksSummary,
    RunError, RunOptions,
};
pub use threat::{EngineStats, StateSize, ThreatEngine};

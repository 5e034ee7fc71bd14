//! Builders for sign-ins and directory objects, from JSON as Graph sends them.

#![allow(dead_code, unreachable_pub)]

use std::cell::Cell;

use entra_model::SignIn;
use oort_checks::{CheckConfig, CheckId, Finding, ThreatEngine};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

/// 2024-05-01T00:00:00Z.
pub fn base() -> OffsetDateTime {
    time::macros::datetime!(2024-05-01 00:00:00 UTC)
}

/// `base()` plus `secs` seconds.
pub fn at(secs: i64) -> OffsetDateTime {
    base() + Duration::seconds(secs)
}

pub const MIN: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Resets the sign-in id counter (so two builds of one scenario have the same ids).
pub fn reset_ids() {
    NEXT_ID.with(|n| n.set(0));
}

/// A sign-in under construction.
#[derive(Debug, Clone)]
pub struct B(Value);

/// A successful sign-in of `user` (`<user>@contoso.com`, id `id-<user>`) at `at(secs)` from
/// 192.0.2.1 in Paris.
pub fn sign_in(user: &str, secs: i64) -> B {
    let id = NEXT_ID.with(|n| {
        let v = n.get();
        n.set(v + 1);
        v
    });
    B(json!({
        "id": format!("si-{id:06}"),
        "createdDateTime": entra_model::timestamp::format(&at(secs)),
        "userId": format!("id-{user}"),
        "userPrincipalName": format!("{user}@contoso.com"),
        "appId": "app-portal",
        "appDisplayName": "Azure Portal",
        "ipAddress": "192.0.2.1",
        "clientAppUsed": "Browser",
        "status": {"errorCode": 0},
        "location": {"city": "Paris", "state": "Ile-de-France", "countryOrRegion": "FR",
                     "geoCoordinates": {"latitude": 48.8566, "longitude": 2.3522}},
    }))
}

impl B {
    pub fn code(mut self, code: i64) -> Self {
        self.0["status"] = json!({"errorCode": code});
        self
    }
    pub fn details(mut self, text: &str) -> Self {
        self.0["status"]["additionalDetails"] = json!(text);
        self
    }
    pub fn ip(mut self, ip: &str) -> Self {
        self.0["ipAddress"] = json!(ip);
        self
    }
    pub fn app(mut self, name: &str) -> Self {
        self.0["appDisplayName"] = json!(name);
        self.0["appId"] = json!(format!("app-{name}"));
        self
    }
    pub fn place(mut self, city: &str, state: &str, country: &str, lat: f64, lon: f64) -> Self {
        self.0["location"] = json!({"city": city, "state": state, "countryOrRegion": country,
            "geoCoordinates": {"latitude": lat, "longitude": lon}});
        self
    }
    pub fn country(self, country: &str) -> Self {
        match country {
            "FR" => self.place("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
            "DE" => self.place("Berlin", "Berlin", "DE", 52.52, 13.405),
            "US" => self.place("New York", "New York", "US", 40.7128, -74.006),
            "JP" => self.place("Tokyo", "Tokyo", "JP", 35.6762, 139.6503),
            "IR" => self.place("Tehran", "Tehran", "IR", 35.6892, 51.389),
            other => self.place("Somewhere", "Somewhere", other, 0.0, 0.0),
        }
    }
    pub fn no_coordinates(mut self) -> Self {
        self.0["location"]["geoCoordinates"] = Value::Null;
        self
    }
    pub fn device(mut self, id: &str) -> Self {
        self.0["deviceDetail"] = json!({"deviceId": id, "displayName": "laptop"});
        self
    }
    pub fn client_app(mut self, app: &str) -> Self {
        self.0["clientAppUsed"] = json!(app);
        self
    }
    pub fn user_agent(mut self, ua: &str) -> Self {
        self.0["userAgent"] = json!(ua);
        self
    }
    pub fn ca_failure(mut self) -> Self {
        self.0["conditionalAccessStatus"] = json!("failure");
        self
    }
    pub fn risk(mut self, during: &str, aggregated: &str, state: &str) -> Self {
        self.0["riskLevelDuringSignIn"] = json!(during);
        self.0["riskLevelAggregated"] = json!(aggregated);
        self.0["riskState"] = json!(state);
        self
    }
    pub fn build(self) -> SignIn {
        serde_json::from_value(self.0).expect("a valid sign-in")
    }
}

/// Runs a fresh engine with `config` over `sign_ins` (sorted by time first).
pub fn run(config: &CheckConfig, sign_ins: &[SignIn]) -> Vec<Finding> {
    let mut sorted = sign_ins.to_vec();
    sorted.sort_by_key(|s| s.created_date_time);
    let mut engine = ThreatEngine::new(config.clone()).expect("valid config");
    engine.feed_all(&sorted);
    engine.take_findings()
}

/// The findings of one check.
pub fn of(findings: &[Finding], check: CheckId) -> Vec<Finding> {
    findings
        .iter()
        .filter(|f| f.check_id == check)
        .cloned()
        .collect()
}

/// Runs the default config and returns the findings of `check`.
pub fn detect(check: CheckId, sign_ins: &[SignIn]) -> Vec<Finding> {
    of(&run(&CheckConfig::default(), sign_ins), check)
}

/// The ignore list of `check` in `config`.
pub fn ignore_of(config: &mut CheckConfig, check: CheckId) -> &mut oort_checks::IgnoreList {
    use CheckId as C;
    match check {
        C::PasswordSpray => &mut config.password_spray.ignore,
        C::AccountUnderAttack => &mut config.account_under_attack.ignore,
        C::BruteForce => &mut config.brute_force.ignore,
        C::DistributedCracking => &mut config.distributed_cracking.ignore,
        C::LockoutStorm => &mut config.lockout_storm.ignore,
        C::MfaFatigue => &mut config.mfa_fatigue.ignore,
        C::MfaFraudReported => &mut config.mfa_fraud_reported.ignore,
        C::ImpossibleTravel => &mut config.impossible_travel.ignore,
        C::NewCountry => &mut config.new_country.ignore,
        C::DeniedTerritory => &mut config.denied_territory.ignore,
        C::LegacyAuth => &mut config.legacy_auth.ignore,
        C::DisabledAccountProbing => &mut config.disabled_account_probing.ignore,
        C::BreakGlassSignIn => &mut config.break_glass_sign_in.ignore,
        C::HighActivity => &mut config.high_activity.ignore,
        C::RiskySignIn => &mut config.risky_sign_in.ignore,
        C::CaBypassAttempt => &mut config.ca_bypass_attempt.ignore,
        C::AppCredentialExpiring => &mut config.app_credential_expiring.ignore,
        C::AppCredentialLongLived => &mut config.app_credential_long_lived.ignore,
        C::InactiveUser => &mut config.inactive_user.ignore,
        C::InactiveGuest => &mut config.inactive_guest.ignore,
        C::NeverSignedIn => &mut config.never_signed_in.ignore,
        C::NoMfa => &mut config.no_mfa.ignore,
        C::AdminWithoutMfa => &mut config.admin_without_mfa.ignore,
        C::GlobalAdminCount => &mut config.global_admin_count.ignore,
        C::RiskyUser => &mut config.risky_user.ignore,
        C::LicenceGap => &mut config.licence_gap.ignore,
        C::CollectionGap => &mut config.collection_gap.ignore,
        other => panic!("no ignore list for {other}"),
    }
}

/// A planted attack for every threat detection: (check, sign-ins, config that enables it).
pub fn planted() -> Vec<(CheckId, Vec<SignIn>, CheckConfig)> {
    let d = CheckConfig::default;
    let mut out = Vec::new();
    // password-spray: 5 users fail from one IP within 4 minutes.
    out.push((
        CheckId::PasswordSpray,
        (0..5)
            .map(|i| {
                sign_in(&format!("sp{i}"), i * MIN)
                    .ip("203.0.113.50")
                    .code(50126)
                    .build()
            })
            .collect(),
        d(),
    ));
    // account-under-attack: an IP fails on 5 accounts over 3 days, then `victim` succeeds from it.
    let mut v: Vec<SignIn> = (0..5)
        .map(|i| {
            sign_in(&format!("aua{i}"), i * 14 * HOUR)
                .ip("203.0.113.60")
                .code(50126)
                .build()
        })
        .collect();
    v.push(sign_in("victim", 3 * DAY).ip("203.0.113.60").build());
    out.push((CheckId::AccountUnderAttack, v, d()));
    // brute-force: 10 failures then a success within 20 minutes.
    let mut v: Vec<SignIn> = (0..10)
        .map(|i| {
            sign_in("bf", i * MIN)
                .ip("203.0.113.70")
                .code(50126)
                .build()
        })
        .collect();
    v.push(sign_in("bf", 15 * MIN).ip("203.0.113.70").build());
    out.push((CheckId::BruteForce, v, d()));
    // distributed-cracking: 31 failures from 3 countries over 15.5 hours.
    let countries = ["FR", "DE", "JP"];
    out.push((
        CheckId::DistributedCracking,
        (0..31)
            .map(|i| {
                sign_in("dc", i * 30 * MIN)
                    .country(countries[i as usize % 3])
                    .ip(&format!("198.51.100.{}", i % 3))
                    .code(50126)
                    .build()
            })
            .collect(),
        d(),
    ));
    // lockout-storm: 30 lockouts across 25 users in 29 minutes.
    out.push((
        CheckId::LockoutStorm,
        (0..30)
            .map(|i| {
                sign_in(&format!("lo{}", i % 25), i * MIN)
                    .ip(&format!("198.51.100.{i}"))
                    .code(50053)
                    .build()
            })
            .collect(),
        d(),
    ));
    // mfa-fatigue: 5 MFA failures in 40 seconds.
    out.push((
        CheckId::MfaFatigue,
        (0..5)
            .map(|i| sign_in("mf", i * 10).code(500121).build())
            .collect(),
        d(),
    ));
    // mfa-fraud-reported.
    out.push((
        CheckId::MfaFraudReported,
        vec![sign_in("fr", 0)
            .code(500121)
            .details("MFA denied; user reported fraud")
            .build()],
        d(),
    ));
    // impossible-travel: Paris then New York one hour later.
    out.push((
        CheckId::ImpossibleTravel,
        vec![
            sign_in("it", 0).country("FR").build(),
            sign_in("it", HOUR)
                .country("US")
                .ip("198.51.100.80")
                .build(),
        ],
        d(),
    ));
    // new-country: FR for 8 days, then a correct password from JP.
    let mut v: Vec<SignIn> = (0..9)
        .map(|day| sign_in("nc", day * DAY).country("FR").build())
        .collect();
    v.push(
        sign_in("nc", 8 * DAY + HOUR)
            .country("JP")
            .ip("198.51.100.90")
            .code(50074)
            .build(),
    );
    out.push((CheckId::NewCountry, v, d()));
    // denied-territory: a success from Iran.
    out.push((
        CheckId::DeniedTerritory,
        vec![sign_in("dt", 0).country("IR").ip("198.51.100.100").build()],
        d(),
    ));
    // legacy-auth: a success over IMAP4.
    out.push((
        CheckId::LegacyAuth,
        vec![sign_in("la", 0).client_app("IMAP4").build()],
        d(),
    ));
    // disabled-account-probing: 50057 from one IP against 3 apps.
    out.push((
        CheckId::DisabledAccountProbing,
        ["Teams", "Outlook", "Portal"]
            .iter()
            .enumerate()
            .map(|(i, app)| {
                sign_in("dp", i as i64 * MIN)
                    .ip("198.51.100.110")
                    .app(app)
                    .code(50057)
                    .build()
            })
            .collect(),
        d(),
    ));
    // break-glass-sign-in.
    let mut bg = d();
    bg.break_glass_accounts = vec!["BG@contoso.com".into()];
    out.push((
        CheckId::BreakGlassSignIn,
        vec![sign_in("bg", 0).build()],
        bg,
    ));
    // high-activity: 1,001 sign-ins in a day.
    out.push((
        CheckId::HighActivity,
        (0..1001).map(|i| sign_in("ha", i * 60).build()).collect(),
        d(),
    ));
    // risky-sign-in.
    out.push((
        CheckId::RiskySignIn,
        vec![sign_in("rs", 0).risk("high", "medium", "atRisk").build()],
        d(),
    ));
    // ca-bypass-attempt: CA failures from 2 IPs.
    out.push((
        CheckId::CaBypassAttempt,
        vec![
            sign_in("ca", 0)
                .ip("198.51.100.120")
                .code(53003)
                .ca_failure()
                .build(),
            sign_in("ca", HOUR)
                .ip("198.51.100.121")
                .code(53003)
                .ca_failure()
                .build(),
        ],
        d(),
    ));
    out
}

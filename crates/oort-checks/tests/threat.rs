//! Every threat detection: fires on its minimal planted case, silent on the nearest benign one,
//! respects its ignore list.

use crate::common::*;
use oort_checks::{CheckConfig, CheckId, FindingKind, Severity, Subject};

fn expected_severity(check: CheckId) -> Severity {
    use CheckId as C;
    match check {
        C::PasswordSpray
        | C::AccountUnderAttack
        | C::BruteForce
        | C::LockoutStorm
        | C::ImpossibleTravel
        | C::DeniedTerritory
        | C::RiskySignIn => Severity::High,
        C::DistributedCracking
        | C::MfaFatigue
        | C::MfaFraudReported
        | C::NewCountry
        | C::LegacyAuth => Severity::Medium,
        C::DisabledAccountProbing | C::HighActivity | C::CaBypassAttempt => Severity::Low,
        C::BreakGlassSignIn => Severity::Critical,
        other => panic!("{other} is not a threat detection"),
    }
}

#[test]
fn every_threat_detection_has_a_planted_case() {
    let planted: Vec<CheckId> = planted().iter().map(|(c, _, _)| *c).collect();
    for check in CheckId::ALL
        .iter()
        .filter(|c| c.kind() == FindingKind::Threat)
    {
        assert!(planted.contains(check), "{check} has no planted case");
    }
}

#[test]
fn every_planted_attack_fires_its_detection_once_with_the_catalogue_severity() {
    for (check, sign_ins, config) in planted() {
        let found = of(&run(&config, &sign_ins), check);
        assert_eq!(found.len(), 1, "{check}: {found:#?}");
        let f = &found[0];
        assert_eq!(f.severity, expected_severity(check), "{check}");
        assert_eq!(f.kind, FindingKind::Threat);
        assert!(!f.evidence.sign_ins.is_empty(), "{check} cites no sign-in");
        assert!(
            !f.summary.is_empty() && !f.summary.contains('\n'),
            "{check}"
        );
        assert!(f.first_seen <= f.last_seen);
    }
}

#[test]
fn ignoring_the_users_of_a_planted_attack_silences_its_detection() {
    for (check, sign_ins, mut config) in planted() {
        let users: Vec<String> = sign_ins
            .iter()
            .filter_map(|s| s.user_principal_name.clone())
            .collect();
        ignore_of(&mut config, check).users = users;
        assert!(of(&run(&config, &sign_ins), check).is_empty(), "{check}");
    }
}

#[test]
fn ignoring_the_ips_of_a_planted_attack_silences_its_detection() {
    for (check, sign_ins, mut config) in planted() {
        let ips: Vec<String> = sign_ins
            .iter()
            .filter_map(|s| s.ip_address.clone())
            .collect();
        ignore_of(&mut config, check).ips = ips;
        assert!(of(&run(&config, &sign_ins), check).is_empty(), "{check}");
    }
}

#[test]
fn ignoring_the_countries_of_a_planted_attack_silences_its_detection() {
    for (check, sign_ins, mut config) in planted() {
        let countries: Vec<String> = sign_ins
            .iter()
            .filter_map(|s| s.country().map(str::to_lowercase))
            .collect();
        ignore_of(&mut config, check).countries = countries;
        assert!(of(&run(&config, &sign_ins), check).is_empty(), "{check}");
    }
}

#[test]
fn ignoring_an_unrelated_user_changes_nothing() {
    for (check, sign_ins, mut config) in planted() {
        ignore_of(&mut config, check).users = vec!["someone-else@contoso.com".into()];
        assert_eq!(of(&run(&config, &sign_ins), check).len(), 1, "{check}");
    }
}

#[test]
fn a_disabled_detection_does_not_fire() {
    for (check, sign_ins, config) in planted() {
        // Switch it off the way a config file does: `<check_id with underscores>.enabled`.
        let mut json = serde_json::to_value(&config).unwrap();
        let key = check.as_str().replace('-', "_");
        assert!(json.get(&key).is_some(), "config has no section {key}");
        json[&key]["enabled"] = serde_json::json!(false);
        let config: CheckConfig = serde_json::from_value(json).unwrap();
        assert!(of(&run(&config, &sign_ins), check).is_empty(), "{check}");
    }
}

// password-spray

#[test]
fn password_spray_names_the_ip_and_every_failed_user() {
    let s: Vec<_> = (0..6)
        .map(|i| {
            sign_in(&format!("u{i}"), i * MIN)
                .ip("203.0.113.5")
                .code(50126)
                .build()
        })
        .collect();
    let f = detect(CheckId::PasswordSpray, &s);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].subject,
        Subject::Ip {
            address: "203.0.113.5".into()
        }
    );
    assert_eq!(f[0].evidence.users.len(), 6);
    assert_eq!(f[0].evidence.sign_ins.len(), 6);
    assert_eq!(f[0].evidence.facts["failed_users"], 6);
}

#[test]
fn password_spray_is_silent_at_four_users() {
    let s: Vec<_> = (0..4)
        .map(|i| {
            sign_in(&format!("u{i}"), i * MIN)
                .ip("203.0.113.5")
                .code(50126)
                .build()
        })
        .collect();
    assert!(detect(CheckId::PasswordSpray, &s).is_empty());
}

#[test]
fn password_spray_is_silent_when_five_failures_span_more_than_twenty_minutes() {
    let s: Vec<_> = (0..5)
        .map(|i| {
            sign_in(&format!("u{i}"), i * 6 * MIN)
                .ip("203.0.113.5")
                .code(50126)
                .build()
        })
        .collect();
    assert!(detect(CheckId::PasswordSpray, &s).is_empty());
}

#[test]
fn password_spray_is_silent_when_successful_users_are_as_many_as_failed_ones() {
    // A shared office NAT: five users mistype, five others sign in fine.
    let mut s: Vec<_> = (0..5)
        .map(|i| {
            sign_in(&format!("ok{i}"), i * MIN)
                .ip("203.0.113.5")
                .build()
        })
        .collect();
    s.extend((0..5).map(|i| {
        sign_in(&format!("u{i}"), 5 * MIN + i * MIN)
            .ip("203.0.113.5")
            .code(50126)
            .build()
    }));
    assert!(detect(CheckId::PasswordSpray, &s).is_empty());
}

#[test]
fn password_spray_that_goes_on_all_day_updates_one_finding() {
    // One failure a minute across 20 users for ten hours.
    let s: Vec<_> = (0..600)
        .map(|i| {
            sign_in(&format!("u{}", i % 20), HOUR + i * MIN)
                .ip("203.0.113.5")
                .code(50126)
                .build()
        })
        .collect();
    let f = detect(CheckId::PasswordSpray, &s);
    assert_eq!(f.len(), 1, "one finding per IP and day");
    assert_eq!(f[0].first_seen, s[0].created_date_time.unwrap());
    assert_eq!(f[0].last_seen, s[599].created_date_time.unwrap());
    assert_eq!(f[0].evidence.users.len(), 20);
}

// account-under-attack

#[test]
fn account_under_attack_is_silent_when_the_ip_failed_on_four_other_accounts() {
    let mut s: Vec<_> = (0..4)
        .map(|i| {
            sign_in(&format!("a{i}"), i * HOUR)
                .ip("203.0.113.6")
                .code(50126)
                .build()
        })
        .collect();
    // The victim's own failure does not count as another account.
    s.push(
        sign_in("victim", 5 * HOUR)
            .ip("203.0.113.6")
            .code(50126)
            .build(),
    );
    s.push(sign_in("victim", 6 * HOUR).ip("203.0.113.6").build());
    assert!(detect(CheckId::AccountUnderAttack, &s).is_empty());
}

#[test]
fn account_under_attack_forgets_failures_older_than_seven_days() {
    let mut s: Vec<_> = (0..5)
        .map(|i| {
            sign_in(&format!("a{i}"), i * HOUR)
                .ip("203.0.113.6")
                .code(50126)
                .build()
        })
        .collect();
    s.push(sign_in("victim", 8 * DAY).ip("203.0.113.6").build());
    assert!(detect(CheckId::AccountUnderAttack, &s).is_empty());
}

#[test]
fn account_under_attack_is_silent_on_a_shared_egress_where_more_accounts_succeed_than_fail() {
    let mut s = Vec::new();
    for i in 0..10 {
        s.push(
            sign_in(&format!("ok{i}"), i * MIN)
                .ip("203.0.113.6")
                .build(),
        );
    }
    for i in 0..5 {
        s.push(
            sign_in(&format!("a{i}"), HOUR + i * HOUR)
                .ip("203.0.113.6")
                .code(50126)
                .build(),
        );
        s.push(
            sign_in(&format!("ok{i}"), HOUR + i * HOUR + MIN)
                .ip("203.0.113.6")
                .build(),
        );
    }
    s.push(sign_in("victim", DAY).ip("203.0.113.6").build());
    assert!(detect(CheckId::AccountUnderAttack, &s).is_empty());
    let mut config = CheckConfig::default();
    config.account_under_attack.require_failed_majority = false;
    let f = of(&run(&config, &s), CheckId::AccountUnderAttack);
    // Without the guard: ok4 (after the fifth failure) and the victim.
    let users: Vec<_> = f.iter().map(|f| f.subject.to_string()).collect();
    assert_eq!(users, ["ok4@contoso.com", "victim@contoso.com"]);
}

// brute-force

#[test]
fn brute_force_is_silent_after_nine_failures_and_a_success() {
    let mut s: Vec<_> = (0..9)
        .map(|i| sign_in("bf", i * MIN).code(50126).build())
        .collect();
    s.push(sign_in("bf", 12 * MIN).build());
    assert!(detect(CheckId::BruteForce, &s).is_empty());
}

#[test]
fn brute_force_burst_of_thirty_failures_in_five_minutes_is_medium() {
    let s: Vec<_> = (0..30)
        .map(|i| sign_in("bf", i * 9).code(50126).build())
        .collect();
    let f = detect(CheckId::BruteForce, &s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Medium);
    assert_eq!(f[0].evidence.facts["failures_in_burst"], 30);
}

#[test]
fn brute_force_is_silent_at_twenty_nine_failures_in_five_minutes() {
    let s: Vec<_> = (0..29)
        .map(|i| sign_in("bf", i * 9).code(50126).build())
        .collect();
    assert!(detect(CheckId::BruteForce, &s).is_empty());
}

#[test]
fn brute_force_burst_followed_by_success_raises_the_finding_to_high() {
    let mut s: Vec<_> = (0..30)
        .map(|i| sign_in("bf", i * 9).code(50126).build())
        .collect();
    s.push(sign_in("bf", 5 * MIN).build());
    let f = detect(CheckId::BruteForce, &s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High);
}

// distributed-cracking

#[test]
fn distributed_cracking_is_silent_at_thirty_failures() {
    let c = ["FR", "DE", "JP"];
    let s: Vec<_> = (0..30)
        .map(|i| {
            sign_in("dc", i * 30 * MIN)
                .country(c[i as usize % 3])
                .code(50126)
                .build()
        })
        .collect();
    assert!(detect(CheckId::DistributedCracking, &s).is_empty());
}

#[test]
fn distributed_cracking_is_silent_from_two_locations() {
    let c = ["FR", "DE"];
    let s: Vec<_> = (0..40)
        .map(|i| {
            sign_in("dc", i * 30 * MIN)
                .country(c[i as usize % 2])
                .code(50126)
                .build()
        })
        .collect();
    assert!(detect(CheckId::DistributedCracking, &s).is_empty());
}

// lockout-storm

#[test]
fn lockout_storm_is_silent_at_twenty_nine_lockouts() {
    let s: Vec<_> = (0..29)
        .map(|i| sign_in(&format!("lo{i}"), i * MIN).code(50053).build())
        .collect();
    assert!(detect(CheckId::LockoutStorm, &s).is_empty());
}

#[test]
fn lockout_storm_is_silent_with_thirty_lockouts_of_twenty_four_users() {
    let s: Vec<_> = (0..30)
        .map(|i| {
            sign_in(&format!("lo{}", i % 24), i * MIN)
                .code(50053)
                .build()
        })
        .collect();
    assert!(detect(CheckId::LockoutStorm, &s).is_empty());
}

#[test]
fn lockout_storm_is_a_tenant_finding() {
    let (_, s, _) = planted()
        .into_iter()
        .find(|(c, _, _)| *c == CheckId::LockoutStorm)
        .unwrap();
    let f = detect(CheckId::LockoutStorm, &s);
    assert_eq!(f[0].subject, Subject::Tenant);
    assert_eq!(f[0].evidence.users.len(), 25);
}

// mfa-fatigue

#[test]
fn mfa_fatigue_is_silent_at_four_failures_in_a_minute() {
    let s: Vec<_> = (0..4)
        .map(|i| sign_in("mf", i * 10).code(500121).build())
        .collect();
    assert!(detect(CheckId::MfaFatigue, &s).is_empty());
}

#[test]
fn mfa_fatigue_is_silent_when_five_failures_span_more_than_a_minute() {
    let s: Vec<_> = (0..5)
        .map(|i| sign_in("mf", i * 20).code(500121).build())
        .collect();
    assert!(detect(CheckId::MfaFatigue, &s).is_empty());
}

#[test]
fn mfa_fatigue_with_eleven_denials_then_success_is_high() {
    let mut s: Vec<_> = (0..11)
        .map(|i| sign_in("mf", i * 25).code(500121).build())
        .collect();
    s.push(sign_in("mf", 11 * 25).build());
    let f = detect(CheckId::MfaFatigue, &s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High);
    assert_eq!(f[0].evidence.facts["mfa_failures_before_success"], 11);
}

#[test]
fn mfa_fatigue_is_silent_with_ten_slow_denials_then_success() {
    let mut s: Vec<_> = (0..10)
        .map(|i| sign_in("mf", i * 25).code(500121).build())
        .collect();
    s.push(sign_in("mf", 10 * 25).build());
    assert!(detect(CheckId::MfaFatigue, &s).is_empty());
}

// mfa-fraud-reported

#[test]
fn mfa_fraud_reported_fires_when_the_user_declined() {
    let s = [sign_in("fr", 0)
        .code(500121)
        .details("MFA denied; user declined the authentication")
        .build()];
    assert_eq!(detect(CheckId::MfaFraudReported, &s).len(), 1);
}

#[test]
fn mfa_fraud_reported_is_silent_when_the_user_did_not_answer() {
    let s = [sign_in("fr", 0)
        .code(500121)
        .details("MFA denied; user did not respond to mobile app notification")
        .build()];
    assert!(detect(CheckId::MfaFraudReported, &s).is_empty());
}

// impossible-travel

#[test]
fn impossible_travel_reports_distance_and_speed() {
    let s = [
        sign_in("it", 0).country("FR").build(),
        sign_in("it", HOUR).country("US").build(),
    ];
    let f = detect(CheckId::ImpossibleTravel, &s);
    assert_eq!(f.len(), 1);
    let km = f[0].evidence.facts["distance_km"].as_f64().unwrap();
    assert!((km - 5837.0).abs() < 15.0, "{km}");
    assert_eq!(f[0].evidence.sign_ins.len(), 2);
}

#[test]
fn impossible_travel_is_silent_at_a_plausible_speed() {
    // Paris to New York in 10 hours: 584 km/h.
    let s = [
        sign_in("it", 0).country("FR").build(),
        sign_in("it", 10 * HOUR).country("US").build(),
    ];
    assert!(detect(CheckId::ImpossibleTravel, &s).is_empty());
}

#[test]
fn impossible_travel_is_silent_below_five_hundred_km() {
    // Paris to Lyon (392 km) in 10 minutes.
    let s = [
        sign_in("it", 0).country("FR").build(),
        sign_in("it", 10 * MIN)
            .place("Lyon", "Auvergne-Rhone-Alpes", "FR", 45.764, 4.8357)
            .build(),
    ];
    assert!(detect(CheckId::ImpossibleTravel, &s).is_empty());
}

#[test]
fn impossible_travel_is_silent_from_the_same_known_device() {
    let s = [
        sign_in("it", 0).country("FR").device("dev-1").build(),
        sign_in("it", HOUR).country("US").device("dev-1").build(),
    ];
    assert!(detect(CheckId::ImpossibleTravel, &s).is_empty());
    let mut config = CheckConfig::default();
    config.impossible_travel.skip_same_known_device = false;
    assert_eq!(of(&run(&config, &s), CheckId::ImpossibleTravel).len(), 1);
}

#[test]
fn impossible_travel_fires_between_different_devices() {
    let s = [
        sign_in("it", 0).country("FR").device("dev-1").build(),
        sign_in("it", HOUR).country("US").device("dev-2").build(),
    ];
    assert_eq!(detect(CheckId::ImpossibleTravel, &s).len(), 1);
}

#[test]
fn impossible_travel_skips_sign_ins_without_coordinates() {
    let s = [
        sign_in("it", 0).country("FR").build(),
        sign_in("it", HOUR).country("US").no_coordinates().build(),
    ];
    assert!(detect(CheckId::ImpossibleTravel, &s).is_empty());
}

#[test]
fn impossible_travel_ignores_failed_sign_ins() {
    let s = [
        sign_in("it", 0).country("FR").build(),
        sign_in("it", HOUR).country("US").code(50126).build(),
    ];
    assert!(detect(CheckId::ImpossibleTravel, &s).is_empty());
}

// new-country

fn history(user: &str) -> Vec<entra_model::SignIn> {
    (0..9)
        .map(|d| sign_in(user, d * DAY).country("FR").build())
        .collect()
}

#[test]
fn new_country_is_silent_from_the_same_country() {
    let mut s = history("nc");
    s.push(
        sign_in("nc", 8 * DAY + HOUR)
            .country("FR")
            .code(50074)
            .build(),
    );
    assert!(detect(CheckId::NewCountry, &s).is_empty());
}

#[test]
fn new_country_is_silent_for_a_user_with_less_than_seven_days_of_history() {
    let s = [
        sign_in("nc", 0).country("FR").build(),
        sign_in("nc", 6 * DAY).country("JP").build(),
    ];
    assert!(detect(CheckId::NewCountry, &s).is_empty());
}

#[test]
fn new_country_is_silent_when_the_password_was_wrong() {
    let mut s = history("nc");
    s.push(
        sign_in("nc", 8 * DAY + HOUR)
            .country("JP")
            .code(50126)
            .build(),
    );
    assert!(detect(CheckId::NewCountry, &s).is_empty());
}

#[test]
fn new_country_names_the_new_and_the_recent_countries() {
    let mut s = history("nc");
    s.push(sign_in("nc", 8 * DAY + HOUR).country("JP").build());
    let f = detect(CheckId::NewCountry, &s);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.facts["new_country"], "JP");
    assert_eq!(
        f[0].evidence.facts["recent_countries"],
        serde_json::json!(["FR"])
    );
}

// denied-territory

#[test]
fn denied_territory_is_silent_for_a_failed_sign_in_from_a_denied_country() {
    let s = [sign_in("dt", 0).country("IR").code(50126).build()];
    assert!(detect(CheckId::DeniedTerritory, &s).is_empty());
}

#[test]
fn denied_territory_is_silent_from_an_allowed_country() {
    let s = [sign_in("dt", 0).country("DE").build()];
    assert!(detect(CheckId::DeniedTerritory, &s).is_empty());
}

#[test]
fn denied_territory_matches_an_occupied_region_by_its_geolocated_state() {
    let crimea = [sign_in("dt", 0)
        .place("Simferopol", "Crimea", "UA", 44.95, 34.1)
        .build()];
    assert_eq!(detect(CheckId::DeniedTerritory, &crimea).len(), 1);
    let kyiv = [sign_in("dt", 0)
        .place("Kyiv", "Kyiv City", "UA", 50.45, 30.52)
        .build()];
    assert!(detect(CheckId::DeniedTerritory, &kyiv).is_empty());
}

#[test]
fn denied_territory_respects_its_country_ignore_list() {
    let s = [sign_in("dt", 0).country("IR").build()];
    let mut config = CheckConfig::default();
    config.denied_territory.ignore.countries = vec!["ir".into()];
    assert!(of(&run(&config, &s), CheckId::DeniedTerritory).is_empty());
}

// legacy-auth

#[test]
fn legacy_auth_fires_on_a_ropc_user_agent() {
    let s = [sign_in("la", 0)
        .user_agent("python-requests Bav2Ropc/1.0")
        .build()];
    assert_eq!(detect(CheckId::LegacyAuth, &s).len(), 1);
}

#[test]
fn legacy_auth_is_silent_for_a_browser_and_for_a_failed_legacy_attempt() {
    let s = [
        sign_in("la", 0).build(),
        sign_in("la", MIN).client_app("IMAP4").code(50126).build(),
    ];
    assert!(detect(CheckId::LegacyAuth, &s).is_empty());
}

// disabled-account-probing

#[test]
fn disabled_account_probing_is_silent_at_two_applications() {
    let s: Vec<_> = ["Teams", "Outlook"]
        .iter()
        .enumerate()
        .map(|(i, a)| sign_in("dp", i as i64 * MIN).app(a).code(50057).build())
        .collect();
    assert!(detect(CheckId::DisabledAccountProbing, &s).is_empty());
}

#[test]
fn disabled_account_probing_is_silent_when_each_application_comes_from_another_ip() {
    let s: Vec<_> = ["Teams", "Outlook", "Portal"]
        .iter()
        .enumerate()
        .map(|(i, a)| {
            sign_in("dp", i as i64 * MIN)
                .app(a)
                .ip(&format!("198.51.100.{i}"))
                .code(50057)
                .build()
        })
        .collect();
    assert!(detect(CheckId::DisabledAccountProbing, &s).is_empty());
}

// break-glass-sign-in

#[test]
fn break_glass_sign_in_is_silent_for_other_accounts_and_matches_by_object_id() {
    let mut config = CheckConfig::default();
    config.break_glass_accounts = vec!["id-bg".into()];
    let s = [
        sign_in("someone", 0).build(),
        sign_in("bg", MIN).code(50126).build(),
    ];
    let f = of(&run(&config, &s), CheckId::BreakGlassSignIn);
    assert_eq!(f.len(), 1, "a failed attempt is reported too");
    assert_eq!(
        f[0].subject,
        Subject::user(Some("id-bg"), Some("bg@contoso.com"))
    );
}

// high-activity

#[test]
fn high_activity_is_silent_at_one_thousand_sign_ins_in_a_day() {
    let s: Vec<_> = (0..1000).map(|i| sign_in("ha", i * 60).build()).collect();
    assert!(detect(CheckId::HighActivity, &s).is_empty());
}

#[test]
fn high_activity_counts_per_utc_day() {
    // 1,200 sign-ins, 600 on each side of midnight.
    let s: Vec<_> = (0..1200)
        .map(|i| sign_in("ha", DAY - 600 * 60 + i * 60).build())
        .collect();
    assert!(detect(CheckId::HighActivity, &s).is_empty());
}

// risky-sign-in

#[test]
fn risky_sign_in_is_silent_when_remediated_or_not_high() {
    let s = [
        sign_in("rs", 0).risk("high", "high", "remediated").build(),
        sign_in("rs", MIN).risk("high", "high", "dismissed").build(),
        sign_in("rs", 2 * MIN)
            .risk("medium", "medium", "atRisk")
            .build(),
        sign_in("rs", 3 * MIN)
            .risk("hidden", "hidden", "none")
            .build(),
    ];
    assert!(detect(CheckId::RiskySignIn, &s).is_empty());
}

// ca-bypass-attempt

#[test]
fn ca_bypass_attempt_is_silent_from_one_ip() {
    let s = [
        sign_in("ca", 0).code(53003).ca_failure().build(),
        sign_in("ca", HOUR).code(53003).ca_failure().build(),
    ];
    assert!(detect(CheckId::CaBypassAttempt, &s).is_empty());
}

#[test]
fn ca_bypass_attempt_is_silent_when_the_ips_are_more_than_a_day_apart() {
    let s = [
        sign_in("ca", 0)
            .ip("198.51.100.1")
            .code(53003)
            .ca_failure()
            .build(),
        sign_in("ca", DAY + HOUR)
            .ip("198.51.100.2")
            .code(53003)
            .ca_failure()
            .build(),
    ];
    assert!(detect(CheckId::CaBypassAttempt, &s).is_empty());
}

// benign traffic

#[test]
fn ordinary_office_traffic_fires_nothing() {
    // 50 users, 8 sign-ins a day each for 10 days from the office, a few typos.
    let mut s = Vec::new();
    for day in 0..10 {
        for u in 0..50 {
            for k in 0..8 {
                let t = day * DAY + 8 * HOUR + u * 37 + k * HOUR;
                let b = sign_in(&format!("user{u}"), t).ip("192.0.2.10");
                s.push(
                    if (u + k + day) % 17 == 0 {
                        b.code(50126)
                    } else {
                        b
                    }
                    .build(),
                );
            }
        }
    }
    let found = run(&CheckConfig::default(), &s);
    assert!(found.is_empty(), "{found:#?}");
}

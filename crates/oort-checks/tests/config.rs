//! The configuration: catalogue defaults, loading, validation.

use oort_checks::{CheckConfig, CheckId, Error};

#[test]
fn defaults_are_the_catalogue_values() {
    let c = CheckConfig::default();
    assert_eq!(c.password_spray.min_users, 5);
    assert_eq!(c.password_spray.window_minutes, 20);
    assert_eq!(c.password_spray.failure_codes, [50126, 50053, 50055]);
    assert_eq!(c.account_under_attack.min_other_users, 5);
    assert_eq!(c.account_under_attack.window_days, 7);
    assert_eq!(
        (
            c.brute_force.failures_before_success,
            c.brute_force.success_window_minutes
        ),
        (10, 20)
    );
    assert_eq!(
        (
            c.brute_force.burst_failures,
            c.brute_force.burst_window_minutes
        ),
        (30, 5)
    );
    assert_eq!(
        (
            c.distributed_cracking.more_than_failures,
            c.distributed_cracking.min_locations
        ),
        (30, 3)
    );
    assert_eq!(
        (
            c.lockout_storm.min_events,
            c.lockout_storm.min_users,
            c.lockout_storm.window_minutes
        ),
        (30, 25, 30)
    );
    assert_eq!(
        (c.mfa_fatigue.min_failures, c.mfa_fatigue.window_seconds),
        (5, 60)
    );
    assert_eq!(
        (
            c.mfa_fatigue.more_than_denials_before_success,
            c.mfa_fatigue.success_window_minutes
        ),
        (10, 5)
    );
    assert_eq!(
        (
            c.impossible_travel.min_distance_km,
            c.impossible_travel.min_speed_kmh
        ),
        (500.0, 800.0)
    );
    assert!(c.impossible_travel.skip_same_known_device);
    assert_eq!(c.new_country.window_days, 7);
    assert_eq!(c.new_country.password_correct_codes.len(), 17);
    assert_eq!(c.denied_countries, ["CU", "IR", "KP", "SY"]);
    assert!(c
        .legacy_auth
        .client_apps
        .iter()
        .any(|a| a == "Exchange ActiveSync"));
    assert_eq!(
        c.legacy_auth.user_agents,
        ["BAV2ROPC", "CBAinPROD", "CBAinTAR"]
    );
    assert_eq!(c.disabled_account_probing.min_apps, 3);
    assert_eq!(c.high_activity.more_than_sign_ins, 1000);
    assert_eq!(c.ca_bypass_attempt.more_than_ips, 1);
    assert_eq!(
        (
            c.app_credential_expiring.within_days,
            c.app_credential_expiring.high_within_days
        ),
        (90, 30)
    );
    assert_eq!(
        (
            c.app_credential_long_lived.max_secret_days,
            c.app_credential_long_lived.max_certificate_days
        ),
        (180, 365)
    );
    assert_eq!(c.inactive_user.more_than_days, 30);
    assert_eq!(c.inactive_guest.more_than_days, 30);
    assert_eq!(c.never_signed_in.created_more_than_days, 7);
    assert_eq!(c.no_mfa.grace_days, 14);
    assert_eq!((c.global_admin_count.min, c.global_admin_count.max), (2, 8));
    assert!(c.break_glass_accounts.is_empty());
    assert!(c.oort_client_id.is_none());
}

#[test]
fn an_empty_document_is_the_default_configuration() {
    assert_eq!(
        CheckConfig::from_json("{}").unwrap(),
        CheckConfig::default()
    );
}

#[test]
fn a_document_changes_only_the_settings_it_names() {
    let c = CheckConfig::from_json(
        r#"{"password_spray": {"min_users": 8, "ignore": {"ips": ["192.0.2.1"]}},
            "break_glass_accounts": ["bg@contoso.com"], "oort_client_id": "abc",
            "new_country": {"enabled": false}}"#,
    )
    .unwrap();
    assert_eq!(c.password_spray.min_users, 8);
    assert_eq!(c.password_spray.window_minutes, 20);
    assert_eq!(c.password_spray.ignore.ips, ["192.0.2.1"]);
    assert!(!c.new_country.enabled);
    assert_eq!(c.new_country.window_days, 7);
    assert_eq!(c.break_glass_accounts, ["bg@contoso.com"]);
    assert_eq!(c.oort_client_id.as_deref(), Some("abc"));
}

#[test]
fn the_configuration_round_trips_through_json() {
    let c = CheckConfig::default();
    let text = serde_json::to_string(&c).unwrap();
    assert_eq!(CheckConfig::from_json(&text).unwrap(), c);
}

#[test]
fn every_check_has_a_config_section_named_after_its_id() {
    let json = serde_json::to_value(CheckConfig::default()).unwrap();
    for c in CheckId::ALL {
        let key = c.as_str().replace('-', "_");
        assert_eq!(json[&key]["enabled"], true, "{key}");
    }
}

#[test]
fn a_misspelt_setting_is_an_error_not_ignored() {
    let err = CheckConfig::from_json(r#"{"password_spray": {"min_user": 8}}"#).unwrap_err();
    assert!(err.is_config());
    assert!(matches!(err, Error::ConfigSyntax { .. }));
    assert!(err.to_string().contains("min_user"), "{err}");
}

#[test]
fn a_zero_threshold_is_rejected_naming_the_setting() {
    let err = CheckConfig::from_json(r#"{"lockout_storm": {"min_users": 0}}"#).unwrap_err();
    match &err {
        Error::InvalidConfig { setting, .. } => assert_eq!(setting, "lockout_storm.min_users"),
        other => panic!("{other:?}"),
    }
    let err =
        CheckConfig::from_json(r#"{"global_admin_count": {"min": 9, "max": 8}}"#).unwrap_err();
    assert!(err.to_string().contains("global_admin_count.min"), "{err}");
    assert!(oort_checks::ThreatEngine::new({
        let mut c = CheckConfig::default();
        c.impossible_travel.min_speed_kmh = f64::NAN;
        c
    })
    .is_err());
}

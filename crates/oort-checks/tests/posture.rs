//! Every posture check: fires on the minimal case, silent on the nearest benign one, respects
//! its ignore list; licence gaps; resolution through merge.

use std::collections::BTreeSet;

use crate::common::*;
use entra_model::{Application, Capability, DirectoryRole, Licence, User};
use oort_checks::{
    merge, run_posture, CheckConfig, CheckId, DirectorySnapshot, Finding, FindingStatus, Severity,
    Subject, Unavailable, UnavailableReason,
};
use serde_json::json;
use time::{Duration, OffsetDateTime};

fn now() -> OffsetDateTime {
    at(400 * DAY)
}

fn ago(days: i64) -> String {
    entra_model::timestamp::format(&(now() - Duration::days(days)))
}

fn ahead(days: i64) -> String {
    entra_model::timestamp::format(&(now() + Duration::days(days)))
}

/// An enabled member created 200 days ago who last signed in successfully `last` days ago.
fn member(id: &str, last: Option<i64>) -> serde_json::Value {
    let mut u = json!({
        "id": id, "userPrincipalName": format!("{id}@contoso.com"), "accountEnabled": true,
        "userType": "Member", "createdDateTime": ago(200),
        "signInActivity": {}
    });
    if let Some(d) = last {
        u["signInActivity"] =
            json!({"lastSignInDateTime": ago(d), "lastSuccessfulSignInDateTime": ago(d)});
    }
    u
}

fn users(values: Vec<serde_json::Value>) -> Vec<User> {
    values
        .into_iter()
        .map(|v| serde_json::from_value(v).unwrap())
        .collect()
}

fn snapshot() -> DirectorySnapshot {
    DirectorySnapshot::default()
}

fn run_with(snap: &DirectorySnapshot, config: &CheckConfig) -> Vec<Finding> {
    run_posture(snap, config, now()).unwrap().findings
}

fn check(snap: &DirectorySnapshot, id: CheckId) -> Vec<Finding> {
    of(&run_with(snap, &CheckConfig::default()), id)
}

fn silenced_by_ignoring(snap: &DirectorySnapshot, id: CheckId, who: &str) -> bool {
    let mut config = CheckConfig::default();
    let ignore = ignore_of(&mut config, id);
    ignore.users.push(who.to_owned());
    ignore.apps.push(who.to_owned());
    of(&run_with(snap, &config), id).is_empty()
}

// app-credential-expiring and app-credential-long-lived

fn app(app_id: &str, secrets: &[(&str, i64, i64)], certs: &[(&str, i64, i64)]) -> Application {
    let cred = |(key, start, end): &(&str, i64, i64)| json!({"keyId": key, "displayName": format!("{key} name"), "startDateTime": ahead(*start), "endDateTime": ahead(*end)});
    serde_json::from_value(json!({
        "id": format!("obj-{app_id}"), "appId": app_id, "displayName": format!("App {app_id}"),
        "passwordCredentials": secrets.iter().map(cred).collect::<Vec<_>>(),
        "keyCredentials": certs.iter().map(cred).collect::<Vec<_>>(),
    }))
    .unwrap()
}

fn with_apps(apps: Vec<Application>) -> DirectorySnapshot {
    let mut s = snapshot();
    s.applications = apps;
    s
}

#[test]
fn a_secret_expiring_within_thirty_days_is_high_and_within_ninety_medium() {
    let s = with_apps(vec![app(
        "a1",
        &[("k20", -100, 20), ("k60", -100, 60), ("k90", -60, 90)],
        &[],
    )]);
    let f = check(&s, CheckId::AppCredentialExpiring);
    let sev: Vec<_> = f
        .iter()
        .map(|f| {
            (
                f.evidence.credential_key_ids.first().unwrap().clone(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        sev,
        [
            ("k20".into(), Severity::High),
            ("k60".into(), Severity::Medium),
            ("k90".into(), Severity::Medium)
        ]
    );
    assert!(
        matches!(&f[0].subject, Subject::Application { key_id: Some(k), app_id: Some(a), .. } if k == "k20" && a == "a1")
    );
    assert_eq!(f[0].evidence.facts["days_left"], 20);
}

#[test]
fn a_secret_ending_in_ninety_one_days_is_not_reported() {
    let s = with_apps(vec![app("a1", &[("k", -60, 91)], &[])]);
    assert!(check(&s, CheckId::AppCredentialExpiring).is_empty());
}

#[test]
fn an_expired_credential_gets_its_own_high_finding() {
    let s = with_apps(vec![app("a1", &[], &[("c", -400, -3)])]);
    let f = check(&s, CheckId::AppCredentialExpiring);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::High);
    assert!(
        f[0].fingerprint.as_str().ends_with("|expired"),
        "{}",
        f[0].fingerprint
    );
    assert!(f[0].summary.contains("expired"));
}

#[test]
fn the_credential_oort_itself_uses_gets_its_own_finding() {
    let apps = vec![
        app("oort-app", &[("mine", -100, 21)], &[]),
        app("other", &[("theirs", -100, 21)], &[]),
    ];
    let mut config = CheckConfig::default();
    config.oort_client_id = Some("OORT-APP".into());
    let f = of(
        &run_with(&with_apps(apps), &config),
        CheckId::AppCredentialExpiring,
    );
    assert_eq!(f.len(), 2);
    let own: Vec<_> = f
        .iter()
        .filter(|f| f.fingerprint.as_str().ends_with("|oort-app"))
        .collect();
    assert_eq!(own.len(), 1);
    assert!(
        own[0].summary.contains("oort itself uses"),
        "{}",
        own[0].summary
    );
    assert_eq!(own[0].evidence.facts["oort_app"], true);
}

#[test]
fn service_principal_credentials_are_checked_too() {
    let mut s = snapshot();
    s.service_principals = vec![serde_json::from_value(json!({
        "id": "sp1", "appId": "a9", "displayName": "SAML app",
        "keyCredentials": [{"keyId": "saml", "startDateTime": ago(300), "endDateTime": ahead(10)}]
    }))
    .unwrap()];
    let f = check(&s, CheckId::AppCredentialExpiring);
    assert_eq!(f.len(), 1);
    assert!(f[0].summary.contains("service principal"));
}

#[test]
fn app_credential_checks_respect_their_ignore_lists() {
    let s = with_apps(vec![app("a1", &[("k", -400, 20)], &[])]);
    assert!(silenced_by_ignoring(
        &s,
        CheckId::AppCredentialExpiring,
        "a1"
    ));
    assert!(silenced_by_ignoring(
        &s,
        CheckId::AppCredentialLongLived,
        "obj-a1"
    ));
}

#[test]
fn a_secret_valid_for_181_days_is_long_lived_and_180_is_not() {
    let s = with_apps(vec![app("a1", &[("long", -1, 180), ("ok", -1, 179)], &[])]);
    let f = check(&s, CheckId::AppCredentialLongLived);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Low);
    assert!(f[0].evidence.credential_key_ids.contains("long"));
}

#[test]
fn a_certificate_valid_for_366_days_is_long_lived_and_365_is_not() {
    let s = with_apps(vec![app("a1", &[], &[("long", -1, 365), ("ok", -1, 364)])]);
    let f = check(&s, CheckId::AppCredentialLongLived);
    assert_eq!(f.len(), 1);
    assert!(f[0].evidence.credential_key_ids.contains("long"));
}

// inactive-user, inactive-guest, never-signed-in

fn with_users(values: Vec<serde_json::Value>) -> DirectorySnapshot {
    let mut s = snapshot();
    s.users = users(values);
    s
}

#[test]
fn a_member_without_a_successful_sign_in_for_31_days_is_inactive_and_29_is_not() {
    let s = with_users(vec![member("old", Some(31)), member("recent", Some(29))]);
    let f = check(&s, CheckId::InactiveUser);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].subject,
        Subject::user(Some("old"), Some("old@contoso.com"))
    );
    assert_eq!(f[0].severity, Severity::Low);
    assert!(silenced_by_ignoring(
        &s,
        CheckId::InactiveUser,
        "OLD@contoso.com"
    ));
}

#[test]
fn a_disabled_member_is_not_inactive() {
    let mut u = member("old", Some(90));
    u["accountEnabled"] = json!(false);
    assert!(check(&with_users(vec![u]), CheckId::InactiveUser).is_empty());
}

#[test]
fn an_inactive_guest_is_medium_and_suggests_deleting_it() {
    let mut g = member("guest", Some(31));
    g["userType"] = json!("Guest");
    let mut fresh = member("fresh", Some(2));
    fresh["userType"] = json!("Guest");
    let s = with_users(vec![g, fresh]);
    let f = check(&s, CheckId::InactiveGuest);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(f[0]
        .recommendation
        .as_deref()
        .unwrap()
        .contains("Delete the guest"));
    assert!(
        check(&s, CheckId::InactiveUser).is_empty(),
        "guests are not members"
    );
    assert!(silenced_by_ignoring(&s, CheckId::InactiveGuest, "guest"));
}

#[test]
fn an_account_created_eight_days_ago_that_never_signed_in_is_reported_and_six_days_is_not() {
    let mut eight = member("eight", None);
    eight["createdDateTime"] = json!(ago(8));
    let mut six = member("six", None);
    six["createdDateTime"] = json!(ago(6));
    let s = with_users(vec![eight, six, member("active", Some(1))]);
    let f = check(&s, CheckId::NeverSignedIn);
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].subject,
        Subject::user(Some("eight"), Some("eight@contoso.com"))
    );
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(silenced_by_ignoring(&s, CheckId::NeverSignedIn, "eight"));
}

// no-mfa, admin-without-mfa, global-admin-count

fn registration(id: &str, capable: bool, methods: &[&str]) -> entra_model::UserRegistrationDetails {
    serde_json::from_value(json!({"id": id, "isMfaCapable": capable, "methodsRegistered": methods}))
        .unwrap()
}

#[test]
fn a_member_past_the_grace_period_without_mfa_is_high() {
    let mut young = member("young", Some(1));
    young["createdDateTime"] = json!(ago(10));
    let mut s = with_users(vec![
        member("nomfa", Some(1)),
        member("mfa", Some(1)),
        young,
    ]);
    s.registration_details = vec![
        registration("nomfa", false, &[]),
        registration("mfa", true, &["microsoftAuthenticatorPush"]),
        registration("young", false, &[]),
    ];
    let f = check(&s, CheckId::NoMfa);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(
        f[0].subject,
        Subject::user(Some("nomfa"), Some("nomfa@contoso.com"))
    );
    assert_eq!(f[0].severity, Severity::High);
    assert!(silenced_by_ignoring(&s, CheckId::NoMfa, "nomfa"));
}

#[test]
fn per_user_methods_decide_mfa_when_read() {
    let mut s = with_users(vec![member("u", Some(1))]);
    s.registration_details = vec![registration("u", false, &[])];
    s.authentication_methods.insert(
        "u".into(),
        vec![serde_json::from_value(
            json!({"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "f"}),
        )
        .unwrap()],
    );
    assert!(check(&s, CheckId::NoMfa).is_empty());
}

fn role(id: &str, template: &str, name: &str) -> DirectoryRole {
    serde_json::from_value(json!({"id": id, "roleTemplateId": template, "displayName": name}))
        .unwrap()
}

fn admins_snapshot(global_admins: usize) -> DirectorySnapshot {
    let mut vals = vec![];
    let mut ids = vec![];
    for i in 0..global_admins {
        vals.push(member(&format!("ga{i}"), Some(1)));
        ids.push(format!("ga{i}"));
    }
    let mut s = with_users(vals);
    s.roles = vec![role(
        "r-ga",
        DirectoryRole::GLOBAL_ADMINISTRATOR_TEMPLATE_ID,
        "Global Administrator",
    )];
    s.role_members.insert("r-ga".into(), ids.clone());
    s.registration_details = ids
        .iter()
        .map(|id| registration(id, true, &["fido2"]))
        .collect();
    s
}

#[test]
fn one_global_administrator_is_too_few_and_two_are_enough() {
    let f = check(&admins_snapshot(1), CheckId::GlobalAdminCount);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].subject, Subject::Tenant);
    assert_eq!(f[0].severity, Severity::Medium);
    assert!(check(&admins_snapshot(2), CheckId::GlobalAdminCount).is_empty());
}

#[test]
fn nine_global_administrators_are_too_many_and_eight_are_not() {
    let f = check(&admins_snapshot(9), CheckId::GlobalAdminCount);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.facts["global_administrators"], 9);
    assert_eq!(f[0].evidence.users.len(), 9);
    assert!(check(&admins_snapshot(8), CheckId::GlobalAdminCount).is_empty());
}

#[test]
fn global_administrators_are_counted_through_role_assignable_groups() {
    let mut s = admins_snapshot(1);
    s.users.extend(users(vec![member("viagroup", Some(1))]));
    s.group_members
        .insert("g-admins".into(), vec!["viagroup".into(), "ga0".into()]);
    s.role_members
        .get_mut("r-ga")
        .unwrap()
        .push("g-admins".into());
    assert!(
        check(&s, CheckId::GlobalAdminCount).is_empty(),
        "ga0 and viagroup: 2"
    );
}

#[test]
fn an_admin_without_mfa_is_critical_and_without_phishing_resistance_high() {
    let mut s = admins_snapshot(3);
    s.registration_details = vec![
        registration("ga0", false, &[]),
        registration("ga1", true, &["microsoftAuthenticatorPush"]),
        registration("ga2", true, &["windowsHelloForBusiness"]),
    ];
    let f = check(&s, CheckId::AdminWithoutMfa);
    let got: Vec<_> = f
        .iter()
        .map(|f| (f.subject.to_string(), f.severity))
        .collect();
    assert_eq!(
        got,
        [
            ("ga0@contoso.com".to_owned(), Severity::Critical),
            ("ga1@contoso.com".to_owned(), Severity::High)
        ]
    );
    assert!(f[0].summary.contains("Global Administrator"));
    let mut config = CheckConfig::default();
    config.admin_without_mfa.require_phishing_resistant = false;
    assert_eq!(
        of(&run_with(&s, &config), CheckId::AdminWithoutMfa).len(),
        1
    );
    assert!(
        !silenced_by_ignoring(&s, CheckId::AdminWithoutMfa, "ga0"),
        "ga1 is still reported"
    );
}

#[test]
fn admin_without_mfa_respects_its_ignore_list() {
    let mut s = admins_snapshot(1);
    s.registration_details = vec![registration("ga0", false, &[])];
    assert!(silenced_by_ignoring(
        &s,
        CheckId::AdminWithoutMfa,
        "ga0@contoso.com"
    ));
}

#[test]
fn members_of_unprivileged_roles_are_not_admins() {
    let mut s = with_users(vec![member("reader", Some(1))]);
    s.roles = vec![role(
        "r-x",
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        "Directory Readers",
    )];
    s.role_members.insert("r-x".into(), vec!["reader".into()]);
    s.registration_details = vec![registration(
        "reader",
        true,
        &["microsoftAuthenticatorPush"],
    )];
    assert!(check(&s, CheckId::AdminWithoutMfa).is_empty());
}

// risky-user

#[test]
fn a_high_risk_user_at_risk_is_reported_and_remediated_or_medium_ones_are_not() {
    let mut s = snapshot();
    s.risky_users = [
        ("r1", "high", "atRisk"),
        ("r2", "high", "confirmedCompromised"),
        ("r3", "high", "remediated"),
        ("r4", "medium", "atRisk"),
    ]
    .iter()
    .map(|(id, level, state)| {
        serde_json::from_value(json!({"id": id, "userPrincipalName": format!("{id}@contoso.com"), "riskLevel": level, "riskState": state})).unwrap()
    })
    .collect();
    let f = check(&s, CheckId::RiskyUser);
    let who: Vec<_> = f.iter().map(|f| f.subject.to_string()).collect();
    assert_eq!(who, ["r1@contoso.com", "r2@contoso.com"]);
    assert!(f.iter().all(|f| f.severity == Severity::High));
    let mut config = CheckConfig::default();
    config.risky_user.ignore.users = vec!["r1".into(), "r2@contoso.com".into()];
    assert!(of(&run_with(&s, &config), CheckId::RiskyUser).is_empty());
}

// licence-gap

#[test]
fn missing_data_gives_one_tenant_finding_naming_what_is_missing() {
    let mut s = with_users(vec![member("u", Some(90))]);
    s.unavailable = vec![
        Unavailable::new(
            Capability::SignInActivity,
            UnavailableReason::MissingLicence {
                licence: Licence::P1,
            },
        ),
        Unavailable::new(
            Capability::RiskyUsers,
            UnavailableReason::MissingLicence {
                licence: Licence::P2,
            },
        ),
        Unavailable::new(
            Capability::RegistrationDetails,
            UnavailableReason::MissingPermission {
                any_of: vec!["AuditLog.Read.All".into()],
            },
        ),
    ];
    let report = run_posture(&s, &CheckConfig::default(), now()).unwrap();
    let gaps = of(&report.findings, CheckId::LicenceGap);
    assert_eq!(gaps.len(), 1);
    let g = &gaps[0];
    assert_eq!(g.subject, Subject::Tenant);
    assert_eq!(g.severity, Severity::Info);
    for needle in [
        "sign_in_activity",
        "Microsoft Entra ID P1",
        "risky_users",
        "Microsoft Entra ID P2",
        "AuditLog.Read.All",
        "inactive-user",
        "no-mfa",
        "risky-user",
    ] {
        assert!(g.summary.contains(needle), "{needle} not in {}", g.summary);
    }
    // The blinded checks neither ran nor found anything.
    assert!(of(&report.findings, CheckId::InactiveUser).is_empty());
    for c in [CheckId::InactiveUser, CheckId::NoMfa, CheckId::RiskyUser] {
        assert!(!report.evaluated.contains(&c), "{c}");
    }
    assert!(report.evaluated.contains(&CheckId::LicenceGap));
}

#[test]
fn users_without_any_sign_in_activity_are_reported_as_a_gap_not_as_never_signed_in() {
    let mut u = member("u", None);
    u.as_object_mut().unwrap().remove("signInActivity");
    let report = run_posture(&with_users(vec![u]), &CheckConfig::default(), now()).unwrap();
    assert!(of(&report.findings, CheckId::NeverSignedIn).is_empty());
    let gaps = of(&report.findings, CheckId::LicenceGap);
    assert_eq!(gaps.len(), 1);
    assert!(gaps[0].summary.contains("signInActivity"));
}

#[test]
fn a_complete_snapshot_has_no_licence_gap() {
    let s = with_users(vec![member("u", Some(1))]);
    assert!(check(&s, CheckId::LicenceGap).is_empty());
}

// resolution

#[test]
fn renewing_an_expiring_secret_resolves_its_finding() {
    let config = CheckConfig::default();
    let before = run_posture(
        &with_apps(vec![app("a1", &[("k", -100, 20)], &[])]),
        &config,
        now(),
    )
    .unwrap();
    let stored = merge(&[], &before.findings, &before.evaluated, now(), 50).new;
    assert_eq!(stored.len(), 1);

    let after = run_posture(
        &with_apps(vec![app("a1", &[("k2", -1, 170)], &[])]),
        &config,
        now(),
    )
    .unwrap();
    let changes = merge(&stored, &after.findings, &after.evaluated, now(), 50);
    assert_eq!(changes.resolved.len(), 1);
    assert_eq!(changes.resolved[0].status, FindingStatus::Resolved);
    assert!(changes.new.is_empty());

    // The same snapshot again: nothing new.
    let again = run_posture(
        &with_apps(vec![app("a1", &[("k", -100, 20)], &[])]),
        &config,
        now(),
    )
    .unwrap();
    assert!(merge(&stored, &again.findings, &again.evaluated, now(), 50).is_empty());
}

#[test]
fn a_check_whose_data_became_unavailable_keeps_its_findings_open() {
    let config = CheckConfig::default();
    let s = with_apps(vec![app("a1", &[("k", -100, 20)], &[])]);
    let stored = merge(
        &[],
        &run_posture(&s, &config, now()).unwrap().findings,
        &BTreeSet::new(),
        now(),
        50,
    )
    .new;
    let mut blind = snapshot();
    blind.unavailable = vec![Unavailable::new(
        Capability::Applications,
        UnavailableReason::MissingPermission {
            any_of: vec!["Application.Read.All".into()],
        },
    )];
    let report = run_posture(&blind, &config, now()).unwrap();
    let changes = merge(&stored, &report.findings, &report.evaluated, now(), 50);
    assert!(changes.resolved.is_empty());
    assert_eq!(changes.new.len(), 1, "the licence gap");
    assert_eq!(changes.new[0].check_id, CheckId::LicenceGap);
}

//! Findings: fingerprints, serialisation, and the merge into stored findings.

use std::collections::BTreeSet;

use crate::common::*;
use oort_checks::{
    merge, CheckId, Evidence, Finding, FindingKind, FindingStatus, Fingerprint, Severity, Subject,
};

fn threat(upn: &str, first: i64, last: i64, severity: Severity) -> Finding {
    let subject = Subject::user(Some(&format!("id-{upn}")), Some(upn));
    let mut f = Finding::new(
        CheckId::BruteForce,
        severity,
        subject,
        "2024-05-01",
        format!("{upn} attacked"),
        at(first),
    );
    f.last_seen = at(last);
    f.evidence.users.insert(upn.to_owned());
    f
}

fn posture(user: &str, severity: Severity) -> Finding {
    let subject = Subject::user(Some(user), None);
    Finding::new(
        CheckId::NoMfa,
        severity,
        subject,
        "",
        format!("{user} has no MFA"),
        at(0),
    )
}

fn none() -> BTreeSet<CheckId> {
    BTreeSet::new()
}

#[test]
fn fingerprint_is_check_subject_and_facet_and_ignores_display_names() {
    let a = Subject::user(Some("ID-1"), Some("a@contoso.com"));
    let b = Subject::user(Some("id-1"), Some("renamed@contoso.com"));
    assert_eq!(
        Fingerprint::new(CheckId::NoMfa, &a, ""),
        Fingerprint::new(CheckId::NoMfa, &b, "")
    );
    assert_eq!(
        Fingerprint::new(
            CheckId::PasswordSpray,
            &Subject::Ip {
                address: "203.0.113.1".into()
            },
            "2024-05-01"
        )
        .as_str(),
        "password-spray|ip:203.0.113.1|2024-05-01"
    );
    assert_ne!(
        Fingerprint::new(CheckId::NoMfa, &a, ""),
        Fingerprint::new(CheckId::InactiveUser, &a, "")
    );
}

#[test]
fn a_finding_serialises_with_the_fields_the_design_names() {
    let f = threat("a@contoso.com", 0, 60, Severity::High);
    let json = serde_json::to_value(&f).unwrap();
    for key in [
        "check_id",
        "kind",
        "severity",
        "subject",
        "summary",
        "evidence",
        "first_seen",
        "last_seen",
        "status",
        "fingerprint",
    ] {
        assert!(json.get(key).is_some(), "{key} missing in {json}");
    }
    assert_eq!(json["check_id"], "brute-force");
    assert_eq!(json["kind"], "threat");
    assert_eq!(json["severity"], "high");
    assert_eq!(json["status"], "open");
    assert_eq!(
        json["subject"],
        serde_json::json!({"type": "user", "id": "id-a@contoso.com", "upn": "a@contoso.com"})
    );
    assert_eq!(json["first_seen"], "2024-05-01T00:00:00Z");
    let back: Finding = serde_json::from_value(json).unwrap();
    assert_eq!(back, f);
}

#[test]
fn merge_reports_unknown_fingerprints_as_new() {
    let f = threat("a@contoso.com", 0, 60, Severity::High);
    let changes = merge(&[], std::slice::from_ref(&f), &none(), at(100), 50);
    assert_eq!(changes.new, vec![f]);
    assert!(
        changes.updated.is_empty() && changes.resolved.is_empty() && changes.reopened.is_empty()
    );
}

#[test]
fn merge_of_the_same_findings_changes_nothing() {
    let f = threat("a@contoso.com", 0, 60, Severity::High);
    let same = std::slice::from_ref(&f);
    assert!(merge(same, same, &none(), at(100), 50).is_empty());
}

#[test]
fn an_ongoing_attack_updates_last_seen_and_evidence_of_the_stored_finding() {
    let stored = threat("a@contoso.com", 0, 60, Severity::Medium);
    let mut later = threat("a@contoso.com", 30, 600, Severity::High);
    later.evidence.ips.insert("203.0.113.9".into());
    let changes = merge(&[stored], &[later], &none(), at(700), 50);
    assert!(changes.new.is_empty());
    assert_eq!(changes.updated.len(), 1);
    let u = &changes.updated[0];
    assert_eq!(u.first_seen, at(0));
    assert_eq!(u.last_seen, at(600));
    assert_eq!(u.severity, Severity::High);
    assert!(u.evidence.ips.contains("203.0.113.9"));
    assert!(u.evidence.users.contains("a@contoso.com"));
}

#[test]
fn a_threat_finding_keeps_its_highest_severity() {
    let stored = threat("a@contoso.com", 0, 60, Severity::High);
    let lower = threat("a@contoso.com", 0, 90, Severity::Medium);
    let changes = merge(&[stored], &[lower], &none(), at(100), 50);
    assert_eq!(changes.updated[0].severity, Severity::High);
}

#[test]
fn a_fixed_posture_problem_is_resolved_when_its_check_ran() {
    let stored = posture("u1", Severity::High);
    let evaluated: BTreeSet<_> = [CheckId::NoMfa].into();
    let changes = merge(std::slice::from_ref(&stored), &[], &evaluated, at(500), 50);
    assert_eq!(changes.resolved.len(), 1);
    assert_eq!(changes.resolved[0].status, FindingStatus::Resolved);
    assert_eq!(changes.resolved[0].resolved_at, Some(at(500)));
    // A run in which the check could not run (its data was missing) resolves nothing.
    assert!(merge(&[stored], &[], &none(), at(500), 50).is_empty());
}

#[test]
fn threat_findings_are_never_resolved_by_a_run() {
    let stored = threat("a@contoso.com", 0, 60, Severity::High);
    let evaluated: BTreeSet<_> = CheckId::ALL.iter().copied().collect();
    assert!(merge(&[stored], &[], &evaluated, at(500), 50).is_empty());
}

#[test]
fn a_resolved_posture_finding_that_holds_again_is_reopened() {
    let mut stored = posture("u1", Severity::High);
    stored.status = FindingStatus::Resolved;
    stored.resolved_at = Some(at(10));
    let again = posture("u1", Severity::High);
    let changes = merge(&[stored], &[again], &[CheckId::NoMfa].into(), at(500), 50);
    assert_eq!(changes.reopened.len(), 1);
    assert_eq!(changes.reopened[0].status, FindingStatus::Open);
    assert_eq!(changes.reopened[0].resolved_at, None);
}

#[test]
fn a_resolved_threat_reopens_only_on_new_activity() {
    let mut stored = threat("a@contoso.com", 0, 60, Severity::High);
    stored.status = FindingStatus::Resolved;
    let replay = threat("a@contoso.com", 0, 60, Severity::High);
    assert!(merge(&[stored.clone()], &[replay], &none(), at(100), 50).is_empty());
    let newer = threat("a@contoso.com", 0, 120, Severity::High);
    assert_eq!(
        merge(&[stored], &[newer], &none(), at(200), 50)
            .reopened
            .len(),
        1
    );
}

#[test]
fn a_suppressed_finding_is_updated_but_stays_suppressed() {
    let mut stored = threat("a@contoso.com", 0, 60, Severity::High);
    stored.status = FindingStatus::Suppressed;
    let newer = threat("a@contoso.com", 0, 120, Severity::High);
    let changes = merge(&[stored], &[newer], &none(), at(200), 50);
    assert_eq!(changes.updated.len(), 1);
    assert_eq!(changes.updated[0].status, FindingStatus::Suppressed);
    assert!(changes.new.is_empty() && changes.reopened.is_empty());
}

#[test]
fn posture_severity_follows_the_current_state() {
    let stored = posture("u1", Severity::High);
    let better = posture("u1", Severity::Medium);
    let changes = merge(&[stored], &[better], &[CheckId::NoMfa].into(), at(0), 50);
    assert_eq!(changes.updated[0].severity, Severity::Medium);
}

#[test]
fn evidence_lists_are_capped_keeping_the_earliest_sign_ins() {
    let mut e = Evidence::default();
    for i in (0..10).rev() {
        let s: oort_checks::EvidenceSignIn = serde_json::from_value(serde_json::json!({
            "id": format!("s{i}"), "time": entra_model::timestamp::format(&at(i)), "user": format!("u{i}")
        })).unwrap();
        e.add_sign_in(s.clone(), 3);
        e.add_sign_in(s, 3);
    }
    let ids: Vec<_> = e.sign_ins.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["s0", "s1", "s2"]);
    assert_eq!(e.users.len(), 3);
}

#[test]
fn kinds_and_severities_order_and_print_as_the_catalogue() {
    assert!(Severity::Info < Severity::Low && Severity::High < Severity::Critical);
    assert_eq!(CheckId::PasswordSpray.kind(), FindingKind::Threat);
    assert_eq!(CheckId::LicenceGap.kind(), FindingKind::Posture);
    for c in CheckId::ALL {
        assert_eq!(c.as_str().parse::<CheckId>().unwrap(), *c);
        assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
    }
    assert_eq!(CheckId::ALL.len(), 27);
    assert_eq!(CheckId::CollectionGap.kind(), FindingKind::Posture);
    assert!("password_spray".parse::<CheckId>().is_err());
}

//! A store written by an earlier release opens, migrates and reads back every table.
//!
//! `fixtures/oort-0.1.0.db` was written by oort 0.1.0 (commit 7ba9a0a, schema version 7) with the
//! program kept beside it (`fixtures/make_fixture.rs.txt`): a row or two of every table, the way
//! that release's `SqliteStore` wrote them. A later release must read all of it.

use std::path::PathBuf;

use oort_store::prelude::*;
use oort_store::{
    AuditOutcome, FindingFilter, FindingKind, FindingStatus, ItemKind, RunStatus, Severity,
    SignInQuery, SkipCause, SqliteStore, StreamKind,
};
use time::macros::datetime;

/// A copy of the fixture in a temp dir (opening it migrates it in place).
fn fixture_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("oort-migration-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("oort.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let fixture = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oort-0.1.0.db");
    std::fs::copy(fixture, &path).unwrap();
    path
}

const T: &str = "contoso";

#[tokio::test]
async fn a_store_written_by_oort_0_1_0_opens_and_reads_back_activity_and_directory() {
    let store = SqliteStore::open(fixture_copy("activity")).expect("the 0.1.0 store opens");

    let sign_ins = store.sign_ins(T, SignInQuery::default()).await.unwrap();
    let ids: Vec<_> = sign_ins.iter().map(|s| s.value().id.as_str()).collect();
    assert_eq!(ids, ["s1", "s2"]);
    assert_eq!(
        sign_ins[0].value().created_date_time,
        Some(datetime!(2026-11-30 10:00:00.1234567 UTC)),
        "100 ns digits survive"
    );
    assert!(
        sign_ins[0].json().contains("aFieldOortDoesNotModel"),
        "unknown fields are kept in the raw JSON"
    );
    assert_eq!(store.directory_audit_count(T).await.unwrap(), 1);
    let changes = store
        .sign_in_changes(T)
        .await
        .unwrap()
        .expect("a change mark");
    assert_eq!(changes.earliest, datetime!(2026-11-30 10:00:00.1234567 UTC));

    let users = store.users(T).await.unwrap();
    assert_eq!(users.len(), 3);
    let deleted: Vec<_> = users
        .iter()
        .filter(|u| u.deleted_at.is_some())
        .map(|u| u.user.value().id.as_str())
        .collect();
    assert_eq!(deleted, ["u3"]);
    let adele = users.iter().find(|u| u.user.value().id == "u1").unwrap();
    assert!(adele.activity().is_some(), "signInActivity is read back");
    assert_eq!(store.groups(T).await.unwrap().len(), 1);
    assert_eq!(store.group_members(T).await.unwrap()[0].member_id, "u1");
    assert_eq!(store.role_members(T).await.unwrap()[0].container_id, "r1");
    let credentials = store.app_credentials(T).await.unwrap();
    assert_eq!(credentials.len(), 1);
    assert_eq!(credentials[0].credential.key_id.as_deref(), Some("k1"));
    assert_eq!(
        credentials[0].credential.end,
        Some(datetime!(2027-01-01 00:00:00 UTC))
    );
    assert_eq!(store.applications(T).await.unwrap().len(), 1);
    assert_eq!(store.service_principals(T).await.unwrap().len(), 1);
    assert_eq!(store.auth_methods(T).await.unwrap().len(), 1);
    assert_eq!(store.items(T, ItemKind::RiskyUsers).await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_store_written_by_oort_0_1_0_reads_back_runs_checkpoints_findings_and_the_audit_trail() {
    let store = SqliteStore::open(fixture_copy("records")).expect("the 0.1.0 store opens");

    let runs = store.runs(T, 10).await.unwrap();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    let skipped = &runs[0].report[1];
    assert_eq!(
        serde_json::from_value::<StreamKind>(skipped["stream"].clone()).unwrap(),
        StreamKind::RiskDetections
    );
    assert!(matches!(
        serde_json::from_value::<SkipCause>(skipped["cause"].clone()).unwrap(),
        SkipCause::LicenceRequired { .. }
    ));
    assert_eq!(store.checkpoints(T, "sign_ins").await.unwrap().len(), 1);
    assert_eq!(store.checkpoints(T, "checks").await.unwrap().len(), 1);
    let delta = store.checkpoints(T, "users").await.unwrap();
    assert!(delta[0].value["delta_link"]
        .as_str()
        .unwrap()
        .contains("deltatoken"));

    let findings = store.findings(T, FindingFilter::default()).await.unwrap();
    assert_eq!(findings.len(), 2);
    let spray = &findings[0];
    assert_eq!(spray.check_id, "password-spray");
    assert_eq!(
        (spray.kind, spray.severity, spray.status),
        (FindingKind::Threat, Severity::High, FindingStatus::Open)
    );
    assert_eq!(spray.notified_status, Some(FindingStatus::Open));
    let resolved = store
        .findings(T, FindingFilter::status(FindingStatus::Resolved))
        .await
        .unwrap();
    assert_eq!(resolved.len(), 1);
    assert_eq!(resolved[0].kind, FindingKind::Posture);
    let notified = store.notifications(T).await.unwrap();
    assert_eq!(
        (notified[0].channel.as_str(), notified[0].status),
        ("webhook", FindingStatus::Open)
    );

    let audit = store.audit_log(T, 10).await.unwrap();
    let outcomes: Vec<_> = audit.iter().map(|a| (a.id.as_str(), a.outcome)).collect();
    assert_eq!(
        outcomes,
        [
            ("audit-2", AuditOutcome::Incomplete),
            ("audit-1", AuditOutcome::Success)
        ]
    );
    assert_eq!(audit[1].target_upn.as_deref(), Some("adele@contoso.com"));
    // The migration chained the entries of 0.1.0 in time order.
    let chained = store.verify_audit_chain(T).await.unwrap();
    assert!(chained.is_intact(), "{:?}", chained.problem);
    assert_eq!(chained.entries, 2);
    assert_eq!(audit[1].link.as_ref().unwrap().seq, 1);

    // The lease worker-1 took at 12:00 for 5 minutes still holds.
    let other = store
        .acquire_lease(
            "worker-2",
            time::Duration::minutes(5),
            datetime!(2026-11-30 12:01 UTC),
        )
        .await
        .unwrap();
    assert_eq!(other, None);
}

#[tokio::test]
async fn a_migrated_store_takes_new_writes_and_reopens() {
    let path = fixture_copy("writes");
    {
        let store = SqliteStore::open(&path).unwrap();
        let done = store
            .clear_sign_in_changes(T, store.sign_in_changes(T).await.unwrap().unwrap().version)
            .await
            .unwrap();
        assert!(done);
    }
    let reopened = SqliteStore::open(&path).expect("a migrated store reopens");
    assert_eq!(reopened.sign_in_changes(T).await.unwrap(), None);
    assert_eq!(reopened.sign_in_count(T).await.unwrap(), 2);
}

#[tokio::test]
async fn a_stored_value_that_does_not_read_is_corrupt_naming_its_row_not_a_default() {
    let path = fixture_copy("corrupt");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "UPDATE findings SET severity = 'urgent' WHERE check_id = 'password-spray';
             UPDATE audit_log SET at = 'yesterday' WHERE id = 'audit-1';
             UPDATE collection_runs SET started_at = '' WHERE id = 'run-1';",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let corrupt = |e: oort_store::StoreError| match e.kind() {
        oort_store::StoreErrorKind::Corrupt { table, id } => (table.to_string(), id.clone()),
        other => panic!("expected Corrupt, got {other:?}: {e}"),
    };

    let err = store
        .findings(T, FindingFilter::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("password-spray|203.0.113.7|2026-11-30"),
        "{err}"
    );
    assert_eq!(corrupt(err).0, "findings");
    let err = store.audit_log(T, 10).await.unwrap_err();
    assert_eq!(corrupt(err), ("audit_log".into(), "audit-1".into()));
    let err = store.runs(T, 10).await.unwrap_err();
    assert_eq!(corrupt(err), ("collection_runs".into(), "run-1".into()));
}

//! What the store holds and this version cannot read is an error, never skipped: a stored
//! finding that does not read (it would be notified again as new once skipped), an analysis
//! checkpoint that is not a time (it would silently replay everything).

use std::sync::Arc;

use oort_checks::notify::{notify_findings, DispatchError, Notifier};
use oort_checks::{run_checks, CheckConfig, RunError, Severity};
use oort_store::prelude::*;
use oort_store::{
    Checkpoint, CollectionRun, FindingKind, FindingStatus, RunStatus, SqliteStore, StoredFinding,
    WriteContext,
};

use crate::notify::{now, quick, Recorder};

/// A store with one collection run, and a finding whose JSON is not a finding of this version.
async fn store_with_an_unreadable_finding() -> SqliteStore {
    let store = SqliteStore::in_memory().unwrap();
    let mut run = CollectionRun::new("run-1", now());
    run.status = RunStatus::Succeeded;
    run.report = serde_json::json!([]);
    store.record_run("t1", &run).await.unwrap();
    let unreadable = StoredFinding::new(
        "password-spray|203.0.113.7|2024-05-01",
        "password-spray",
        FindingKind::Threat,
        Severity::High,
        FindingStatus::Open,
        "203.0.113.7",
        "written by a newer oort",
        now(),
        now(),
        serde_json::json!({"schema": 99, "check": {"id": "password-spray"}}),
    );
    store
        .upsert_findings(
            WriteContext {
                tenant: "t1",
                now: now(),
            },
            vec![unreadable],
        )
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn a_stored_finding_that_does_not_read_fails_the_checks_naming_it() {
    let store = store_with_an_unreadable_finding().await;
    let err = run_checks(&store, "t1", &CheckConfig::default(), now())
        .await
        .unwrap_err();
    let RunError::CorruptFinding { fingerprint, .. } = &err else {
        panic!("expected CorruptFinding, got {err:?}");
    };
    assert_eq!(fingerprint, "password-spray|203.0.113.7|2024-05-01");
    assert!(
        err.to_string()
            .contains("password-spray|203.0.113.7|2024-05-01"),
        "{err}"
    );
}

#[tokio::test]
async fn a_stored_finding_that_does_not_read_stops_the_notifications_and_sends_nothing() {
    let store = store_with_an_unreadable_finding().await;
    let teams = Recorder::new("teams");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![teams.clone()];
    let err = notify_findings(&store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DispatchError::CorruptFinding { fingerprint, .. } if fingerprint.starts_with("password-spray")),
        "{err:?}"
    );
    assert_eq!(teams.attempts(), 0, "nothing is sent");
    assert!(store.notifications("t1").await.unwrap().is_empty());
}

#[tokio::test]
async fn an_analysis_checkpoint_that_is_not_a_time_fails_the_checks_instead_of_replaying_all() {
    let store = SqliteStore::in_memory().unwrap();
    let mut run = CollectionRun::new("run-1", now());
    run.status = RunStatus::Succeeded;
    run.report = serde_json::json!([]);
    store.record_run("t1", &run).await.unwrap();
    store
        .save_checkpoint(
            "t1",
            Checkpoint::new("checks", "sign_ins_analysed_through", serde_json::json!(42)),
        )
        .await
        .unwrap();
    let err = run_checks(&store, "t1", &CheckConfig::default(), now())
        .await
        .unwrap_err();
    assert!(matches!(err, RunError::CorruptCheckpoint { .. }), "{err:?}");
    assert!(
        err.to_string().contains("--full"),
        "says how to recover: {err}"
    );
}

#[tokio::test]
async fn rejected_items_raise_one_collection_gap_finding_per_stream_resolved_once_re_read() {
    use oort_checks::{CheckId, FindingKind as Kind, Subject};
    use oort_store::{RejectedItem, StreamKind};
    let store = SqliteStore::in_memory().unwrap();
    let mut run = CollectionRun::new("run-1", now());
    run.status = RunStatus::Succeeded;
    run.report = serde_json::json!([]);
    store.record_run("t1", &run).await.unwrap();
    let ctx = WriteContext {
        tenant: "t1",
        now: now(),
    };
    let items = [
        RejectedItem::new(
            StreamKind::SignIns,
            "s1",
            r#"{"id":"s1","createdDateTime":"noon"}"#,
            "invalid timestamp",
        ),
        RejectedItem::new(StreamKind::SignIns, "s2", r#"{"id":"s2"}"#, "bad"),
        RejectedItem::new(StreamKind::Users, "u1", r#"{"id":1}"#, "wrong type"),
    ];
    store.record_rejected(ctx, &items).await.unwrap();
    let summary = run_checks(&store, "t1", &CheckConfig::default(), now())
        .await
        .unwrap();
    let gaps: Vec<_> = summary
        .findings
        .iter()
        .filter(|f| f.check_id == CheckId::CollectionGap)
        .collect();
    assert_eq!(gaps.len(), 2, "one per stream: {gaps:#?}");
    let sign_ins = gaps
        .iter()
        .find(|f| {
            f.subject
                == Subject::Stream {
                    stream: "sign_ins".into(),
                }
        })
        .unwrap();
    assert_eq!(sign_ins.kind, Kind::Posture);
    assert_eq!(sign_ins.severity, Severity::Medium);
    assert_eq!(sign_ins.status, FindingStatus::Open);
    let facts = serde_json::to_value(&sign_ins.evidence).unwrap();
    let text = facts.to_string();
    for needle in ["\"count\":2", "invalid timestamp", "s1", "s2"] {
        assert!(text.contains(needle), "{needle} not in {text}");
    }
    // Re-read (here: deleted as a successful retry would): the findings resolve.
    store
        .delete_rejected("t1", StreamKind::SignIns, &["s1".into(), "s2".into()])
        .await
        .unwrap();
    store
        .delete_rejected("t1", StreamKind::Users, &["u1".into()])
        .await
        .unwrap();
    let summary = run_checks(&store, "t1", &CheckConfig::default(), now())
        .await
        .unwrap();
    assert_eq!(summary.resolved, 2);
}

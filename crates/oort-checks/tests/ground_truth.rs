//! Recall and precision of the threat detections on the `entra-fake` tenant: collected through
//! `oort-collector` into a store, analysed with `run_checks`, and compared with the fake's ground
//! truth (planted attacks) and benign look-alikes. Prints the confusion table.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use entra_auth::Clock;
use entra_fake::connect::{FakeClockAdapter, FakeConnection};
use entra_fake::{FakeTenant, Throttling};
use oort_checks::{run_checks, run_checks_with, CheckConfig, FindingKind, RunOptions, Subject};
use oort_collector::{Collector, CollectorConfig, StreamKind};
use oort_store::prelude::*;
use oort_store::{Batch, FindingFilter, SignInQuery, SqliteStore, WriteContext};

fn subject_key(subject: &Subject) -> String {
    match subject {
        Subject::User { upn: Some(upn), .. } => upn.to_ascii_lowercase(),
        Subject::User { id: Some(id), .. } => id.clone(),
        Subject::Ip { address } => address.clone(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// The fake tenant of these tests: 10 days of history with every planted attack.
async fn fake_tenant() -> FakeTenant {
    FakeTenant::builder()
        .seed(7)
        .members(60)
        .guests(8)
        .history_days(10)
        .sign_ins_per_user_per_day(3.0)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap()
}

/// Collects the fake tenant (11 days back) into a fresh store, without the `disabled` streams.
async fn collect(
    fake: &FakeTenant,
    clock: &Arc<dyn Clock>,
    disabled: &[StreamKind],
) -> Arc<dyn Store> {
    let FakeConnection {
        credential,
        client,
        scope,
        ..
    } = FakeConnection::builder(fake)
        .clock(clock.clone())
        .graph(|client| client.throttling(false))
        .build()
        .unwrap();
    let granted = credential.get_token(&scope).await.unwrap().claims.roles;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = CollectorConfig::default();
    config.backfill = time::Duration::days(11);
    config.disabled = disabled.to_vec();
    let report = Collector::new(
        client,
        store.clone(),
        fake.tenant_id(),
        granted,
        clock.clone(),
    )
    .config(config)
    .collect_now()
    .await
    .unwrap();
    assert!(report.is_success(), "{report:#?}");
    store
}

/// The stored threat findings as (check, subject).
async fn threat_findings(store: &dyn Store, tenant: &str) -> BTreeSet<(String, String)> {
    store
        .findings(tenant, FindingFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|f| f.kind == FindingKind::Threat)
        .map(|f| (f.check_id, f.subject))
        .collect()
}

#[tokio::test]
async fn every_planted_attack_is_found_and_no_benign_subject_is_flagged() {
    let fake = fake_tenant().await;
    let clock: Arc<dyn Clock> = Arc::new(FakeClockAdapter::new(fake.clock().clone()));
    let store = collect(&fake, &clock, &[]).await;

    let mut checks = CheckConfig::default();
    checks.break_glass_accounts = fake.break_glass_accounts();
    let summary = run_checks(&*store, fake.tenant_id(), &checks, clock.now())
        .await
        .unwrap();

    let found: BTreeSet<(String, String)> = summary
        .findings
        .iter()
        .filter(|f| f.kind == FindingKind::Threat)
        .map(|f| (f.check_id.as_str().to_owned(), subject_key(&f.subject)))
        .collect();
    let truth: BTreeSet<(String, String)> = fake
        .ground_truth()
        .into_iter()
        .map(|g| (g.detection, g.subject.to_ascii_lowercase()))
        .collect();
    assert!(!truth.is_empty(), "the fake planted attacks");

    // The confusion table, per detection.
    let mut table: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for t in &truth {
        let e = table.entry(t.0.clone()).or_default();
        if found.contains(t) {
            e.0 += 1
        } else {
            e.1 += 1
        }
    }
    for f in found.difference(&truth) {
        table.entry(f.0.clone()).or_default().2 += 1;
    }
    println!("{:<28} {:>4} {:>4} {:>4}", "detection", "TP", "FN", "FP");
    for (id, (tp, fn_, fp)) in &table {
        println!("{id:<28} {tp:>4} {fn_:>4} {fp:>4}");
    }
    let missed: Vec<_> = truth.difference(&found).collect();
    let extra: Vec<_> = found.difference(&truth).collect();
    let tp = truth.len() - missed.len();
    println!("recall {tp}/{} precision {tp}/{}", truth.len(), found.len());
    assert!(
        missed.is_empty(),
        "planted attacks not found (recall < 1): {missed:?}"
    );
    assert!(
        extra.is_empty(),
        "threat findings on subjects nothing was planted on (precision < 1): {extra:?}"
    );

    let benign: BTreeSet<String> = fake
        .benign_cases()
        .into_iter()
        .map(|b| b.subject.to_ascii_lowercase())
        .collect();
    assert!(!benign.is_empty(), "the fake planted benign look-alikes");
    let flagged: Vec<_> = found.iter().filter(|(_, s)| benign.contains(s)).collect();
    assert!(
        flagged.is_empty(),
        "benign look-alikes flagged: {flagged:?}"
    );
}

#[tokio::test]
async fn incremental_runs_find_what_a_full_run_finds_reading_only_what_is_new() {
    let fake = fake_tenant().await;
    let clock: Arc<dyn Clock> = Arc::new(FakeClockAdapter::new(fake.clock().clone()));
    let tenant = fake.tenant_id();
    let mut checks = CheckConfig::default();
    checks.break_glass_accounts = fake.break_glass_accounts();
    let full_store = collect(&fake, &clock, &[]).await;
    let full = run_checks(&*full_store, tenant, &checks, clock.now())
        .await
        .unwrap();
    assert_eq!(full.since, None, "a first run reads every sign-in");
    let expected = threat_findings(&*full_store, tenant).await;
    assert!(!expected.is_empty());

    // The same directory, and the same sign-ins arriving a day at a time for the last five
    // days, then the five days before them at once (a stream's late backfill, behind what the
    // analysis has already seen), with a run after each write.
    let sign_in_streams = [
        StreamKind::SignIns,
        StreamKind::NonInteractiveSignIns,
        StreamKind::ServicePrincipalSignIns,
        StreamKind::ManagedIdentitySignIns,
    ];
    let store = collect(&fake, &clock, &sign_in_streams).await;
    let now = clock.now();
    let day = |d: i64| now - time::Duration::days(11 - d);
    let mut chunks: Vec<(time::OffsetDateTime, time::OffsetDateTime)> =
        (6..11).map(|d| (day(d), day(d + 1))).collect();
    chunks.push((day(0), day(6)));
    let mut runs = Vec::new();
    for (from, until) in chunks {
        let items = full_store
            .sign_ins(tenant, SignInQuery::between(from, until, 1_000_000))
            .await
            .unwrap();
        let ctx = WriteContext { tenant, now };
        store.write(ctx, Batch::SignIns(items), None).await.unwrap();
        let summary = run_checks(&*store, tenant, &checks, now).await.unwrap();
        runs.push((from, summary));
    }
    let total = full.sign_ins;
    let read: Vec<u64> = runs.iter().map(|(_, r)| r.sign_ins).collect();
    println!("full run: {total} sign-ins; incremental runs read {read:?}");
    let (_, first) = &runs[0];
    assert_eq!(first.since, None, "nothing analysed before: every sign-in");
    for (from, run) in &runs[1..] {
        let since = run.since.expect("later runs read from a point");
        assert!(since <= *from, "the run reads back to what was written");
    }
    let (_, middle) = &runs[3];
    assert!(
        middle.sign_ins < total,
        "a day's run reads the day and the look-back, not everything ({} of {total})",
        middle.sign_ins
    );
    let (backfill_from, backfill) = &runs[5];
    assert!(backfill.since.unwrap() <= *backfill_from);
    assert_eq!(
        threat_findings(&*store, tenant).await,
        expected,
        "incremental runs found what the full run found"
    );
    // Nothing new: the next run reads only the look-back and changes nothing.
    let again = run_checks(&*store, tenant, &checks, now).await.unwrap();
    assert_eq!((again.new, again.updated, again.reopened), (0, 0, 0));
    assert!(again.sign_ins < total);
    // A full run over the same store adds nothing either.
    let full_again = run_checks_with(&*store, tenant, &checks, now, &RunOptions::full())
        .await
        .unwrap();
    assert_eq!(full_again.since, None);
    assert_eq!(full_again.sign_ins, total);
    assert_eq!(full_again.new, 0);
}

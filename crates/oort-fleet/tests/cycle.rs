//! The collect -> checks -> notify cycle against the fake tenant: collection into an in-memory
//! SQLite store, the planted attacks found, a webhook (wiremock) told once, failures reported in
//! the cycle's report and retried by the next cycle.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use entra_auth::{Clock, ManualClock};
use entra_fake::connect::FakeConnection;
use entra_fake::{FakeTenant, Throttling};
use oort_checks::notify::{NotifyConfig, WebhookConfig};
use oort_checks::CheckConfig;
use oort_collector::{CancelHandle, Collector};
use oort_fleet::{CycleOptions, CycleReport, FleetError, Pipeline, Stage};
use oort_store::prelude::*;
use oort_store::SqliteStore;
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The fake tenant of the ground-truth tests: 10 days of history with every planted attack.
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

/// A collector of `fake` into a fresh in-memory store, on a clock stopped at the fake's now.
async fn collector(
    fake: &FakeTenant,
    cancel: CancelHandle,
) -> (Collector, Arc<dyn Store>, Arc<dyn Clock>) {
    let clock: Arc<dyn Clock> = Arc::new(ManualClock::new(fake.clock().now()));
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
    let collector = Collector::new(
        client,
        store.clone(),
        fake.tenant_id(),
        granted,
        clock.clone(),
    )
    .cancel_handle(cancel);
    (collector, store, clock)
}

/// A webhook endpoint: `POST /hook` answers each `(status, times)` in turn (the last one for
/// good), each expected exactly `times` times; anything else fails loudly.
async fn webhook(answers: &[(u16, u64)]) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(&server)
        .await;
    for (i, &(status, times)) in answers.iter().enumerate() {
        let mut mock = Mock::given(method("POST"))
            .and(path("/hook"))
            .respond_with(ResponseTemplate::new(status));
        if i + 1 < answers.len() {
            mock = mock.up_to_n_times(times);
        }
        mock.expect(times)
            .with_priority(u8::try_from(i + 1).unwrap())
            .named(format!("answer {} of the webhook: {status}", i + 1))
            .mount(&server)
            .await;
    }
    server
}

/// The fake tenant, a webhook answering `answers`, and a pipeline over a fresh store.
struct Scene {
    fake: FakeTenant,
    _hook: MockServer,
    cancel: CancelHandle,
    collector: Collector,
    store: Arc<dyn Store>,
    pipeline: Pipeline,
}

async fn scene(answers: &[(u16, u64)]) -> Scene {
    let fake = fake_tenant().await;
    let hook = webhook(answers).await;
    let cancel = CancelHandle::new();
    let (collector, store, clock) = collector(&fake, cancel.clone()).await;
    let pipeline =
        Pipeline::new(store.clone(), fake.tenant_id(), clock).options(options(&fake, &hook));
    Scene {
        fake,
        _hook: hook,
        cancel,
        collector,
        store,
        pipeline,
    }
}

/// Checks and one webhook digest per cycle, no retry within a cycle.
fn options(fake: &FakeTenant, hook: &MockServer) -> CycleOptions {
    let mut checks = CheckConfig::default();
    checks.break_glass_accounts = fake.break_glass_accounts();
    let mut notify = NotifyConfig::default();
    notify.digest = true;
    notify.retry_attempts = 1;
    notify.webhook = Some(WebhookConfig::new(SecretString::from(format!(
        "{}/hook",
        hook.uri()
    ))));
    let notifiers = notify.notifiers().unwrap();
    CycleOptions::new().checks(checks).notify(notifiers, notify)
}

fn check_ids(cycle: &CycleReport) -> BTreeSet<String> {
    cycle
        .checks()
        .unwrap()
        .findings
        .iter()
        .map(|f| f.check_id.as_str().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_collects_finds_the_planted_attacks_and_notifies_the_webhook_once() {
    let scene = scene(&[(200, 1)]).await;
    let Scene {
        fake,
        collector,
        store,
        pipeline,
        ..
    } = &scene;

    let cycle = pipeline.run_cycle(collector).await.unwrap();
    assert!(cycle.is_success(), "{cycle:#?}");
    assert!(cycle.collection.is_success());
    let planted: BTreeSet<String> = fake
        .ground_truth()
        .into_iter()
        .map(|g| g.detection)
        .collect();
    assert!(!planted.is_empty(), "the fake planted attacks");
    let found = check_ids(&cycle);
    let missed: Vec<_> = planted.difference(&found).collect();
    assert!(missed.is_empty(), "planted attacks not found: {missed:?}");
    let sent = cycle.notifications().unwrap();
    assert_eq!(sent.sent().count(), 1, "{sent:#?}");
    assert!(sent.is_success());
    // The findings are in the store, the delivery recorded.
    let stored = store
        .findings(fake.tenant_id(), Default::default())
        .await
        .unwrap();
    assert_eq!(stored.len(), cycle.checks().unwrap().findings.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_cycle_over_the_same_tenant_notifies_nothing_new() {
    // One digest over both cycles.
    let scene = scene(&[(200, 1)]).await;
    let Scene {
        collector,
        pipeline,
        ..
    } = &scene;

    let first = pipeline.run_cycle(collector).await.unwrap();
    assert_eq!(first.notifications().unwrap().sent().count(), 1);
    let second = pipeline.run_cycle(collector).await.unwrap();
    assert!(second.is_success(), "{second:#?}");
    let checks = second.checks().unwrap();
    assert_eq!((checks.new, checks.reopened), (0, 0), "{checks:#?}");
    assert!(second.notifications().unwrap().deliveries.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_notifier_is_reported_and_retried_by_the_next_cycle_of_the_watch() {
    // The first delivery fails; the one after it is accepted.
    let scene = scene(&[(500, 1), (200, 1)]).await;
    let Scene {
        cancel,
        collector,
        pipeline,
        ..
    } = &scene;

    let mut cycles = Vec::new();
    let report = pipeline
        .watch(
            collector,
            Duration::from_millis(10),
            Duration::ZERO,
            async |cycle: &CycleReport| {
                let sent = cycle.notifications().unwrap();
                cycles.push((
                    cycle.analysis_failed(),
                    sent.sent().count(),
                    sent.failures().count(),
                ));
                if cycles.len() == 2 {
                    cancel.cancel();
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(
        cycles,
        [(true, 0, 1), (false, 1, 0)],
        "failed, then retried and sent"
    );
    assert_eq!(report.collection.runs, 2);
    assert_eq!(report.collection.failed_runs, 0);
    assert_eq!(report.analysis_failures, 1);
    assert!(!report.is_success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_checks_are_reported_in_each_cycle_and_do_not_stop_the_watch() {
    let fake = fake_tenant().await;
    let cancel = CancelHandle::new();
    let (collector, store, clock) = collector(&fake, cancel.clone()).await;
    let mut checks = CheckConfig::default();
    checks.password_spray.min_users = 0;
    let pipeline =
        Pipeline::new(store, fake.tenant_id(), clock).options(CycleOptions::new().checks(checks));

    let mut stages = Vec::new();
    let report = pipeline
        .watch(
            &collector,
            Duration::from_millis(10),
            Duration::ZERO,
            async |cycle: &CycleReport| {
                assert!(cycle.collection.is_success());
                stages.push(cycle.analysis_error().map(FleetError::stage));
                if stages.len() == 2 {
                    cancel.cancel();
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(stages, [Some(Stage::Checks), Some(Stage::Checks)]);
    assert_eq!(report.collection.runs, 2);
    assert_eq!(report.analysis_failures, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_without_checks_only_collects() {
    let fake = fake_tenant().await;
    let (collector, store, clock) = collector(&fake, CancelHandle::new()).await;
    let pipeline = Pipeline::new(store.clone(), fake.tenant_id(), clock);

    let cycle = pipeline.run_cycle(&collector).await.unwrap();
    assert!(cycle.is_success());
    assert!(cycle.analysis.is_none());
    assert!(store
        .findings(fake.tenant_id(), Default::default())
        .await
        .unwrap()
        .is_empty());
}

//! Connectivity and collection against the `entra-fake` tenant.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use entra_auth::{
    AccessToken, AuthError, ClientSecretCredential, Clock, Cloud, TokenCache, TokenCredential,
};
use entra_fake::connect::FakeClockAdapter;
use entra_fake::{FakeTenant, SignInKind, TenantLicence, Throttling};
use entra_model::{Capability, Licence, PermissionSet, RemediationAction};
use graph_client::{GraphClient, RetryPolicy};
use oort_collector::*;
use oort_store::prelude::*;
use oort_store::{SignInQuery, SqliteStore};
use secrecy::SecretString;
use time::{Duration, OffsetDateTime};

/// The round trip of every request, on tokio time: the client asks its credential right before
/// each attempt, so a credential that waits first delays each request by the latency. (The fake's
/// own latency is a delay on wiremock's server thread, in real time, which paused time cannot
/// skip.) On paused time the waits take no real time, and a task that is ready, such as a test's
/// watcher reacting to a progress event, always runs before time moves on.
#[derive(Debug)]
struct RoundTrip {
    credential: Arc<dyn TokenCredential>,
    latency: Arc<Mutex<StdDuration>>,
}

#[async_trait::async_trait]
impl TokenCredential for RoundTrip {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        let latency = *self.latency.lock().unwrap();
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        self.credential.get_token(scope).await
    }

    async fn invalidate(&self, scope: &str) {
        self.credential.invalidate(scope).await
    }
}

struct Setup {
    fake: FakeTenant,
    clock: Arc<dyn Clock>,
    credential: Arc<dyn TokenCredential>,
    scope: String,
    client: GraphClient,
    latency: Arc<Mutex<StdDuration>>,
}

impl Setup {
    /// Sets the round-trip latency of the client's requests (tokio time).
    fn set_latency(&self, latency: StdDuration) {
        *self.latency.lock().unwrap() = latency;
    }
}

/// An HTTP client for the token endpoint with no timers of its own: on paused time, tokio moves
/// the clock to the next timer whenever it waits for the fake's answer, and a request timeout
/// would then fire at once.
fn token_http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(None)
        .build()
        .unwrap()
}

async fn setup(builder: entra_fake::FakeTenantBuilder) -> Setup {
    let fake = builder
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let clock: Arc<dyn Clock> = Arc::new(FakeClockAdapter::new(fake.clock().clone()));
    let cloud = Cloud::custom(&fake.authority_host(), &fake.graph_url()).unwrap();
    let scope = cloud.graph_scope();
    let secret = ClientSecretCredential::builder(
        fake.tenant_id(),
        fake.client_id(),
        SecretString::from(fake.client_secret().to_owned()),
    )
    .cloud(cloud)
    .clock(clock.clone())
    .http_client(token_http())
    .build()
    .unwrap();
    let credential: Arc<dyn TokenCredential> = Arc::new(
        TokenCache::builder(Arc::new(secret))
            .clock(clock.clone())
            .build(),
    );
    let latency = Arc::new(Mutex::new(StdDuration::ZERO));
    let round_trip: Arc<dyn TokenCredential> = Arc::new(RoundTrip {
        credential: credential.clone(),
        latency: latency.clone(),
    });
    // No timers of the client's own (timeouts, idle connections): see `token_http`.
    let client = GraphClient::builder()
        .credential(round_trip)
        .base_url(fake.graph_url())
        .scope(scope.clone())
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .throttling(false)
        .retry_policy(
            RetryPolicy::default()
                .with_initial_delay(std::time::Duration::from_millis(10))
                .with_max_delay(std::time::Duration::from_millis(50))
                .with_jitter(false),
        )
        .clock(clock.clone())
        .build()
        .unwrap();
    Setup {
        fake,
        clock,
        credential,
        scope,
        client,
        latency,
    }
}

fn small() -> entra_fake::FakeTenantBuilder {
    FakeTenant::builder()
        .seed(11)
        .members(15)
        .guests(4)
        .groups(4)
        .applications(3)
        .history_days(3)
        .sign_ins_per_user_per_day(3.0)
}

fn config() -> CollectorConfig {
    let mut c = CollectorConfig::default();
    c.backfill = Duration::days(3);
    c.slice = Duration::hours(12);
    c.page_size = 50;
    c
}

async fn granted(s: &Setup) -> PermissionSet {
    s.credential.get_token(&s.scope).await.unwrap().claims.roles
}

async fn collector(s: &Setup, store: Arc<dyn Store>) -> Collector {
    Collector::new(
        s.client.clone(),
        store,
        s.fake.tenant_id(),
        granted(s).await,
        s.clock.clone(),
    )
    .config(config())
}

/// The ids of every interactive sign-in the fake has in `[from, to)`.
fn truth(s: &Setup, from: OffsetDateTime, to: OffsetDateTime) -> BTreeSet<String> {
    s.fake
        .with_tenant(|t| t.sign_ins(from, to, SignInKind::Interactive))
        .into_iter()
        .map(|x| x.id)
        .collect()
}

async fn stored(store: &dyn Store, tenant: &str) -> BTreeSet<String> {
    let all = store
        .sign_ins(tenant, SignInQuery::default().limit_to(1_000_000))
        .await
        .unwrap();
    let ids: Vec<String> = all.iter().map(|s| s.value().id.clone()).collect();
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(set.len(), ids.len(), "no sign-in is stored twice");
    set
}

fn window(s: &Setup) -> (OffsetDateTime, OffsetDateTime) {
    let now = s.clock.now();
    let floor = |t: OffsetDateTime| t.replace_nanosecond(0).unwrap();
    (
        floor(now - Duration::days(3)),
        floor(now - Duration::minutes(2)),
    )
}

#[tokio::test(start_paused = true)]
async fn connectivity_reports_connected_and_every_capability_of_a_full_tenant() {
    let s = setup(small().intune(false)).await;
    let report = test_connectivity(s.credential.clone(), &s.scope, &s.client)
        .await
        .unwrap();
    assert!(report.is_connected());
    assert_eq!(report.tenant_id.as_deref(), Some(s.fake.tenant_id()));
    for cap in [
        Capability::SignIns,
        Capability::NonInteractiveSignIns,
        Capability::Users,
        Capability::SignInActivity,
        Capability::GroupsAndMembers,
        Capability::Applications,
        Capability::RiskyUsers,
    ] {
        assert_eq!(report.status(cap), Some(&CapabilityStatus::Ok), "{cap}");
    }
    assert_eq!(
        report.status(Capability::ManagedDevices),
        Some(&CapabilityStatus::LicenceRequired {
            licence: Licence::Intune
        }),
        "Intune is off"
    );
}

#[tokio::test(start_paused = true)]
async fn connectivity_probes_exactly_the_capabilities_a_stream_or_a_remediation_uses() {
    let s = setup(small().intune(true)).await;
    let report = test_connectivity(s.credential.clone(), &s.scope, &s.client)
        .await
        .unwrap();
    let mut used: BTreeSet<Capability> = StreamKind::ALL.iter().map(|k| k.capability()).collect();
    for action in RemediationAction::ALL {
        for clause in action.requirement().clauses {
            for &c in Capability::ALL {
                if c.requirement()
                    .clauses
                    .iter()
                    .any(|x| x.call == clause.call)
                {
                    used.insert(c);
                }
            }
        }
    }
    let probed: BTreeSet<Capability> = report.capabilities.iter().map(|c| c.capability).collect();
    assert_eq!(probed, used);
    assert_eq!(report.capabilities.len(), used.len(), "one row each");
    for row in &report.capabilities {
        assert_eq!(row.status, CapabilityStatus::Ok, "{}", row.capability);
    }
}

/// A client for a wiremock Graph that answers every list with one item, except
/// `deviceManagement/managedDevices`, which answers `status` with `code` and `message`.
async fn intune_answer(status: u16, code: &str, message: &str) -> CapabilityStatus {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let s = setup(small()).await;
    let graph = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/deviceManagement/managedDevices"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("request-id", "req-intune")
                .set_body_json(
                    serde_json::json!({"error": {"code": code, "message": message,
                "innerError": {"request-id": "req-intune", "date": "2024-05-01T10:00:00"}}}),
                ),
        )
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            serde_json::json!({"value": [{"id": "00000000-0000-0000-0000-000000000001"}]}),
        ))
        .with_priority(10)
        .mount(&graph)
        .await;
    let client = GraphClient::builder()
        .credential(s.credential.clone())
        .base_url(graph.uri())
        .scope(s.scope.clone())
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .throttling(false)
        .build()
        .unwrap();
    let report = test_connectivity(s.credential.clone(), &s.scope, &client)
        .await
        .unwrap();
    report.status(Capability::ManagedDevices).unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn intunes_not_applicable_to_target_tenant_answer_is_licence_required() {
    let status = intune_answer(
        400,
        "BadRequest",
        "Request not applicable to target tenant.",
    )
    .await;
    assert_eq!(
        status,
        CapabilityStatus::LicenceRequired {
            licence: Licence::Intune
        }
    );
}

#[tokio::test(start_paused = true)]
async fn other_intune_400_403_and_404_answers_are_errors_with_graphs_code_and_request_id() {
    for (http, code) in [
        (400, "BadRequest"),
        (403, "Forbidden"),
        (404, "ResourceNotFound"),
    ] {
        let status = intune_answer(http, code, "Something else went wrong.").await;
        match status {
            CapabilityStatus::Error {
                http_status,
                code: got,
                request_id,
                ..
            } => {
                assert_eq!(http_status, Some(http));
                assert_eq!(got.as_deref(), Some(code));
                assert_eq!(request_id.as_deref(), Some("req-intune"));
            }
            other => panic!("{http}: expected an error row, got {other:?}"),
        }
    }
}

#[tokio::test(start_paused = true)]
async fn connectivity_on_a_free_tenant_reports_licence_required_for_sign_ins_but_connects() {
    let s = setup(small().licence(TenantLicence::Free)).await;
    let report = test_connectivity(s.credential.clone(), &s.scope, &s.client)
        .await
        .unwrap();
    assert!(report.is_connected());
    assert_eq!(
        report.status(Capability::SignIns),
        Some(&CapabilityStatus::LicenceRequired {
            licence: Licence::P1
        })
    );
    assert!(matches!(
        report.status(Capability::RiskyUsers),
        Some(CapabilityStatus::LicenceRequired { .. })
    ));
}

#[tokio::test(start_paused = true)]
async fn connectivity_without_audit_log_permission_names_the_permission_to_grant() {
    let s = setup(small().permissions([
        "User.Read.All",
        "GroupMember.Read.All",
        "Application.Read.All",
    ]))
    .await;
    let report = test_connectivity(s.credential.clone(), &s.scope, &s.client)
        .await
        .unwrap();
    assert!(report.is_connected());
    match report.status(Capability::SignIns).unwrap() {
        status @ CapabilityStatus::MissingPermission { grant_any_of, .. } => {
            assert_eq!(
                grant_any_of.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
                ["AuditLog.Read.All", "Directory.Read.All"]
            );
            assert!(status.advice().contains("AuditLog.Read.All"));
        }
        other => panic!("expected missing_permission, got {other:?}"),
    }
}

#[tokio::test]
async fn connectivity_with_a_wrong_secret_fails_with_the_operator_message() {
    let s = setup(small()).await;
    let cloud = Cloud::custom(&s.fake.authority_host(), &s.fake.graph_url()).unwrap();
    let wrong: Arc<dyn TokenCredential> = Arc::new(
        ClientSecretCredential::builder(
            s.fake.tenant_id(),
            s.fake.client_id(),
            SecretString::from("wrong-secret".to_owned()),
        )
        .cloud(cloud)
        .build()
        .unwrap(),
    );
    let err = test_connectivity(wrong, &s.scope, &s.client)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("secret"), "{text}");
    assert!(
        !text.contains("wrong-secret"),
        "the secret never appears: {text}"
    );
}

#[tokio::test(start_paused = true)]
async fn first_collection_stores_exactly_the_window_and_the_second_only_what_is_new() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    let (from, to) = window(&s);
    let report = c.collect_now().await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    let expected = truth(&s, from, to);
    assert!(
        expected.len() > 50,
        "the fake generated sign-ins: {}",
        expected.len()
    );
    let interactive: BTreeSet<String> = stored(&*store, s.fake.tenant_id())
        .await
        .into_iter()
        .filter(|id| expected.contains(id))
        .collect();
    assert_eq!(
        interactive, expected,
        "every interactive sign-in of the window, no more, no less"
    );
    let r = report.stream(StreamKind::SignIns).unwrap();
    assert_eq!(r.inserted as usize, expected.len());
    assert!(report.stream(StreamKind::Users).unwrap().inserted > 15);
    assert_eq!(
        report.stream(StreamKind::SignInActivity).unwrap().status,
        StreamStatus::Succeeded
    );
    let users = store.users(s.fake.tenant_id()).await.unwrap();
    assert!(
        users.iter().any(|u| u
            .activity()
            .is_some_and(|a| a.last_successful_sign_in_date_time.is_some())),
        "sign-in activity stored"
    );
    assert!(store.users(s.fake.tenant_id()).await.unwrap().len() > 15);
    assert!(!store
        .app_credentials(s.fake.tenant_id())
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        report.stream(StreamKind::ManagedDevices).unwrap().status,
        StreamStatus::Skipped {
            reason: "Intune devices are not enabled (set OORT_DEVICES=true)".into(),
            cause: SkipCause::DevicesNotEnabled,
        }
    );

    // An hour later: only the new sign-ins (plus the 30-minute overlap, as updates).
    s.fake.clock().advance(Duration::hours(1));
    let report = c.collect_now().await.unwrap();
    assert!(report.is_success());
    let (_, to2) = window(&s);
    let new = truth(&s, to, to2);
    let r = report.stream(StreamKind::SignIns).unwrap();
    assert_eq!(
        r.inserted as usize,
        new.len(),
        "only new sign-ins are inserted"
    );
    let all_expected: BTreeSet<String> = truth(&s, from, to2);
    let all_stored: BTreeSet<String> = stored(&*store, s.fake.tenant_id())
        .await
        .into_iter()
        .filter(|id| all_expected.contains(id))
        .collect();
    assert_eq!(all_stored, all_expected);
}

#[tokio::test(start_paused = true)]
async fn a_backfill_cancelled_half_way_resumes_without_loss_or_duplicates() {
    let s = setup(small()).await;
    // Small pages and a round trip that is long beside the watcher's reaction: the cancel lands
    // while most pages are still to be fetched, however the tasks are scheduled.
    s.set_latency(StdDuration::from_millis(40));
    let mut small_pages = config();
    small_pages.page_size = 4;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let cancel = CancelHandle::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = collector(&s, store.clone())
        .await
        .config(small_pages)
        .progress(tx)
        .cancel_handle(cancel.clone());
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let mut pages = 0;
            while let Some(event) = rx.recv().await {
                if let Progress::PageStored {
                    stream: StreamKind::SignIns,
                    ..
                } = event
                {
                    pages += 1;
                    if pages == 2 {
                        cancel.cancel();
                    }
                }
            }
        })
    };
    let (from, to) = window(&s);
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Cancelled);
    let partial = stored(&*store, s.fake.tenant_id()).await;
    let expected = truth(&s, from, to);
    assert!(
        !partial.is_empty() && partial.len() < expected.len(),
        "stopped half way: {} of {}",
        partial.len(),
        expected.len()
    );
    drop(c);
    let _ = watcher.await;

    s.set_latency(StdDuration::ZERO);
    let c = collector(&s, store.clone()).await;
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Succeeded);
    assert_eq!(
        stored(&*store, s.fake.tenant_id()).await,
        expected,
        "no loss, no duplicates"
    );
}

#[tokio::test(start_paused = true)]
async fn the_retention_deletes_sign_ins_older_than_it_after_each_run() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let mut keep_three_days = config();
    keep_three_days.retention = Some(Duration::days(3));
    let c = collector(&s, store.clone()).await.config(keep_three_days);
    assert!(c.collect_now().await.unwrap().is_success());
    let before = store.sign_in_count(s.fake.tenant_id()).await.unwrap();

    s.fake.clock().advance(Duration::days(1));
    let report = c.collect_now().await.unwrap();
    assert!(report.is_success());
    let now = s.clock.now();
    let kept = store
        .sign_ins(
            s.fake.tenant_id(),
            SignInQuery::default().limit_to(1_000_000),
        )
        .await
        .unwrap();
    assert!(report.pruned.sign_ins > 0, "a day of sign-ins aged out");
    assert_eq!(
        kept.len() as u64,
        before
            + report.stream(StreamKind::SignIns).unwrap().inserted
            + report
                .stream(StreamKind::NonInteractiveSignIns)
                .unwrap()
                .inserted
            + report
                .stream(StreamKind::ServicePrincipalSignIns)
                .unwrap()
                .inserted
            + report
                .stream(StreamKind::ManagedIdentitySignIns)
                .unwrap()
                .inserted
            - report.pruned.sign_ins,
        "only what aged out is gone"
    );
    assert!(
        kept.iter()
            .all(|k| k.value().created_date_time.unwrap() >= now - Duration::days(3)),
        "nothing older than the retention is kept"
    );
    let ids: BTreeSet<String> = kept.iter().map(|k| k.value().id.clone()).collect();
    let expected = truth(&s, now - Duration::days(3), now - Duration::minutes(2));
    assert!(expected.is_subset(&ids), "everything within it is kept");
}

#[tokio::test(start_paused = true)]
async fn late_sign_ins_within_the_overlap_are_collected_by_the_next_run() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    assert_eq!(
        c.run_stream(StreamKind::SignIns).await.status,
        StreamStatus::Succeeded
    );
    s.fake.clock().advance(Duration::minutes(10));
    // Sign-ins that happened 15 minutes ago (behind the watermark) become visible only now.
    let late = s.fake.insert_late_sign_ins(3, Duration::minutes(15));
    assert_eq!(
        c.run_stream(StreamKind::SignIns).await.status,
        StreamStatus::Succeeded
    );
    let all = stored(&*store, s.fake.tenant_id()).await;
    for id in late {
        assert!(all.contains(&id), "late sign-in {id} collected");
    }
}

#[tokio::test(start_paused = true)]
async fn a_free_tenant_skips_sign_ins_with_licence_required_and_collects_the_directory() {
    let s = setup(small().licence(TenantLicence::Free)).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let report = collector(&s, store.clone())
        .await
        .collect_now()
        .await
        .unwrap();
    assert!(
        report.is_success(),
        "skipped streams are not failures: {report:#?}"
    );
    match &report.stream(StreamKind::SignIns).unwrap().status {
        StreamStatus::Skipped { reason, cause } => {
            assert!(reason.starts_with("licence_required"), "{reason}");
            assert_eq!(
                *cause,
                SkipCause::LicenceRequired {
                    licence: Licence::P1
                }
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!store.users(s.fake.tenant_id()).await.unwrap().is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_token_without_audit_log_permission_skips_sign_ins_with_missing_permission() {
    let s = setup(small().permissions(["User.Read.All", "GroupMember.Read.All"])).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let report = collector(&s, store.clone())
        .await
        .collect_now()
        .await
        .unwrap();
    match &report.stream(StreamKind::SignIns).unwrap().status {
        StreamStatus::Skipped { reason, cause } => {
            assert!(
                reason.contains("missing_permission") && reason.contains("AuditLog.Read.All"),
                "{reason}"
            );
            match cause {
                SkipCause::MissingPermission { grant_any_of, .. } => {
                    assert!(grant_any_of.iter().any(|p| p == "AuditLog.Read.All"))
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(store.sign_in_count(s.fake.tenant_id()).await.unwrap(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_malformed_page_fails_the_stream_and_keeps_the_checkpoint_before_it() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    let (from, to) = window(&s);
    s.fake.inject_malformed_page();
    let report = c.run_stream(StreamKind::SignIns).await;
    assert!(
        matches!(report.status, StreamStatus::Failed { .. }),
        "{report:?}"
    );
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Succeeded);
    assert_eq!(
        stored(&*store, s.fake.tenant_id()).await,
        truth(&s, from, to)
    );
}

#[tokio::test(start_paused = true)]
async fn a_503_burst_slows_the_run_but_does_not_fail_it() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    s.fake.inject_unavailable(3);
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Succeeded);
}

#[tokio::test(start_paused = true)]
async fn a_deleted_guest_is_marked_deleted_after_the_next_delta_run() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    assert_eq!(
        c.run_stream(StreamKind::Users).await.status,
        StreamStatus::Succeeded
    );
    let users = store.users(s.fake.tenant_id()).await.unwrap();
    let guest = users
        .iter()
        .find(|u| u.user.value().is_guest())
        .expect("the fake has guests");
    let guest_id = guest.user.value().id.clone();
    assert!(guest.deleted_at.is_none());
    s.client
        .send_empty(graph_client::GraphRequest::delete(format!(
            "users/{guest_id}"
        )))
        .await
        .unwrap();
    s.fake.clock().advance(Duration::minutes(5));
    let report = c.run_stream(StreamKind::Users).await;
    assert_eq!(report.status, StreamStatus::Succeeded);
    assert_eq!(report.removed, 1, "{report:?}");
    let after = store.users(s.fake.tenant_id()).await.unwrap();
    let guest = after
        .iter()
        .find(|u| u.user.value().id == guest_id)
        .expect("kept, not erased");
    assert_eq!(
        guest.deleted_at,
        Some(s.clock.now()),
        "marked with the time of the run"
    );
    assert_eq!(after.len(), users.len());
}

#[tokio::test(start_paused = true)]
async fn groups_delta_stores_memberships_with_member_types() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    let report = c.run_stream(StreamKind::Groups).await;
    assert_eq!(report.status, StreamStatus::Succeeded, "{report:?}");
    let groups = store.groups(s.fake.tenant_id()).await.unwrap();
    assert!(!groups.is_empty());
    let members = store.group_members(s.fake.tenant_id()).await.unwrap();
    assert!(members
        .iter()
        .any(|m| m.member_type.as_deref() == Some("user")));
    let roles = c.run_stream(StreamKind::DirectoryRoles).await;
    assert_eq!(roles.status, StreamStatus::Succeeded, "{roles:?}");
    assert!(!store
        .role_members(s.fake.tenant_id())
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test(start_paused = true)]
async fn the_schedule_collects_every_interval_until_cancelled_reporting_each_run() {
    let s = setup(small()).await;
    // Small pages and a round trip that is long beside the watcher's reaction: the cancel lands
    // while most pages are still to be fetched, however the tasks are scheduled.
    s.set_latency(StdDuration::from_millis(40));
    let mut small_pages = config();
    small_pages.page_size = 4;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let cancel = CancelHandle::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = collector(&s, store.clone())
        .await
        .config(small_pages)
        .progress(tx)
        .cancel_handle(cancel.clone());
    let loop_task = tokio::spawn(async move {
        c.run_every(
            std::time::Duration::from_millis(200),
            std::time::Duration::from_millis(50),
        )
        .await
    });
    // Cancel after the third run has started; the channel closes when the loop ends.
    let mut started = 0;
    let mut finished = Vec::new();
    while let Some(event) = rx.recv().await {
        match event {
            Progress::StreamStarted {
                stream: StreamKind::Users,
            } => {
                started += 1;
                if started == 3 {
                    cancel.cancel();
                }
            }
            Progress::RunFinished { report } => finished.push(report),
            _ => {}
        }
    }
    let summary = loop_task.await.unwrap().unwrap();
    assert_eq!(summary.runs, 3, "three runs, then a clean stop");
    assert!(summary.is_success());
    assert_eq!(store.runs(s.fake.tenant_id(), 10).await.unwrap().len(), 3);
    assert_eq!(finished.len(), 3, "one RunFinished event per run");
    assert_eq!(
        summary.last.as_ref(),
        finished.last(),
        "the summary keeps the last report"
    );
}

#[tokio::test(start_paused = true)]
async fn the_schedule_awaits_the_after_run_hook_with_each_report_before_the_next_run() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let cancel = CancelHandle::new();
    let c = collector(&s, store.clone())
        .await
        .cancel_handle(cancel.clone());
    let mut seen: Vec<(String, usize)> = Vec::new();
    let summary = c
        .run_every_then(
            std::time::Duration::from_millis(10),
            std::time::Duration::ZERO,
            async |report| {
                // The run is recorded before the hook runs.
                let recorded = store.runs(s.fake.tenant_id(), 10).await.unwrap().len();
                seen.push((report.run_id.clone(), recorded));
                if seen.len() == 2 {
                    cancel.cancel();
                }
            },
        )
        .await
        .unwrap();
    assert_eq!(summary.runs, 2, "the cancel in the hook ends the loop");
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].1, 1);
    assert_eq!(seen[1].1, 2);
    assert_ne!(seen[0].0, seen[1].0);
    assert_eq!(summary.last.unwrap().run_id, seen[1].0);
}

/// One slice for the whole window and small pages: the first page is full, so the slice splits.
fn splitting_config() -> CollectorConfig {
    let mut c = config();
    c.slice = Duration::days(31);
    c.page_size = 10;
    c
}

#[tokio::test(start_paused = true)]
async fn a_full_first_page_splits_the_window_into_concurrent_slices_without_loss_or_duplicates() {
    let s = setup(
        small()
            .sign_ins_per_user_per_day(12.0)
            .record_requests(true),
    )
    .await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = collector(&s, store.clone())
        .await
        .config(splitting_config())
        .progress(tx);
    let (from, to) = window(&s);
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Succeeded);
    let expected = truth(&s, from, to);
    assert_eq!(stored(&*store, s.fake.tenant_id()).await, expected);
    assert_eq!(report.inserted as usize, expected.len(), "each stored once");

    drop(c);
    let mut slices = 0;
    while let Some(event) = rx.recv().await {
        if let Progress::SliceDone { .. } = event {
            slices += 1;
        }
    }
    assert!(
        slices >= 2,
        "the one planned slice was split: {slices} slices done"
    );
    // Splitting costs at most one partly filled page per piece, and the first page of each
    // split slice.
    let requests = s
        .fake
        .recorded_requests()
        .unwrap()
        .iter()
        .filter(|r| r.path_and_query.contains("auditLogs/signIns"))
        .count();
    let pages = expected.len().div_ceil(10);
    assert!(
        requests <= pages + 2 * slices,
        "{requests} requests for {pages} pages of data and {slices} slices"
    );
    // Nothing left pending: the next run starts from the window's end.
    let state = store
        .checkpoints(s.fake.tenant_id(), "sign_ins")
        .await
        .unwrap();
    let state = &state.iter().find(|c| c.key == "state").unwrap().value;
    assert_eq!(state["pending"], serde_json::json!([]));
    assert_eq!(
        state["watermark"].as_str().unwrap(),
        entra_model::timestamp::format(&to)
    );
}

#[tokio::test(start_paused = true)]
async fn a_split_backfill_cancelled_half_way_resumes_without_loss_or_duplicates() {
    let s = setup(small().sign_ins_per_user_per_day(12.0)).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let cancel = CancelHandle::new();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = collector(&s, store.clone())
        .await
        .config(splitting_config())
        .progress(tx)
        .cancel_handle(cancel.clone());
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let mut pages = 0;
            while let Some(event) = rx.recv().await {
                if let Progress::PageStored { .. } = event {
                    pages += 1;
                    if pages == 4 {
                        cancel.cancel();
                    }
                }
            }
        })
    };
    let (from, to) = window(&s);
    assert_eq!(
        c.run_stream(StreamKind::SignIns).await.status,
        StreamStatus::Cancelled
    );
    let expected = truth(&s, from, to);
    let partial = stored(&*store, s.fake.tenant_id()).await;
    assert!(!partial.is_empty() && partial.len() < expected.len());
    drop(c);
    let _ = watcher.await;

    let c = collector(&s, store.clone())
        .await
        .config(splitting_config());
    assert_eq!(
        c.run_stream(StreamKind::SignIns).await.status,
        StreamStatus::Succeeded
    );
    assert_eq!(
        stored(&*store, s.fake.tenant_id()).await,
        expected,
        "no loss, no duplicates"
    );
}

#[tokio::test(start_paused = true)]
async fn paced_requests_are_reported_as_throttled_progress_events() {
    let s = setup(small()).await;
    let client =
        GraphClient::builder()
            .credential(s.credential.clone())
            .base_url(s.fake.graph_url())
            .scope(s.scope.clone())
            .throttle_limits(graph_client::ThrottleLimits::default().reports(
                graph_client::Rate::new(1, std::time::Duration::from_millis(400)),
            ))
            .timeout(None)
            .connect_timeout(None)
            .pool_idle_timeout(None)
            .clock(s.clock.clone())
            .build()
            .unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut config = config();
    config.page_size = 40;
    let c = Collector::new(
        client,
        store,
        s.fake.tenant_id(),
        granted(&s).await,
        s.clock.clone(),
    )
    .config(config)
    .progress(tx);
    assert_eq!(
        c.run_stream(StreamKind::SignIns).await.status,
        StreamStatus::Succeeded
    );
    drop(c);
    let mut waits = Vec::new();
    while let Some(event) = rx.recv().await {
        if let Progress::Throttled {
            stream,
            wait,
            status,
        } = event
        {
            assert_eq!(stream, StreamKind::SignIns);
            assert_eq!(status, None, "paced by the client, not refused by Graph");
            waits.push(wait);
        }
    }
    assert!(
        !waits.is_empty()
            && waits
                .iter()
                .all(|w| *w >= std::time::Duration::from_millis(250)),
        "{waits:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn graph_503s_are_reported_as_throttled_progress_events_and_the_run_succeeds() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = collector(&s, store).await.progress(tx);
    s.fake.inject_unavailable(2);
    assert_eq!(
        c.run_stream(StreamKind::SignIns).await.status,
        StreamStatus::Succeeded
    );
    drop(c);
    let mut refused = 0;
    while let Some(event) = rx.recv().await {
        if let Progress::Throttled {
            status: Some(503), ..
        } = event
        {
            refused += 1;
        }
    }
    assert_eq!(refused, 2, "each 503 answer is reported");
}

#[tokio::test(start_paused = true)]
async fn an_unreadable_checkpoint_fails_its_stream_naming_the_reset_and_the_others_go_on() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let tenant = s.fake.tenant_id();
    // A windowed stream and a delta stream, each with a checkpoint it cannot read.
    for (stream, garbage) in [
        ("sign_ins", serde_json::json!("garbage")),
        ("users", serde_json::json!({ "delta_link": 42 })),
    ] {
        store
            .save_checkpoint(
                tenant,
                oort_store::Checkpoint::new(stream, "state", garbage),
            )
            .await
            .unwrap();
    }
    let c = collector(&s, store.clone()).await;
    let report = c.collect_now().await.unwrap();
    assert!(!report.is_success());
    for kind in [StreamKind::SignIns, StreamKind::Users] {
        let r = report.stream(kind).unwrap();
        match &r.status {
            StreamStatus::Failed { error } => {
                assert!(
                    error.contains(&format!("the checkpoint of stream {kind}"))
                        && error.contains("cannot be read")
                        && error.contains(&format!(
                            "delete_checkpoint(\"{tenant}\", \"{kind}\", \"state\")"
                        ))
                        && error.contains(&format!(
                            "DELETE FROM checkpoints WHERE tenant_id = '{tenant}' AND stream = \
                             '{kind}' AND key = 'state'"
                        )),
                    "{error}"
                );
            }
            other => panic!("{kind}: {other:?}"),
        }
        assert_eq!((r.inserted, r.pages), (0, 0), "{kind}: nothing collected");
        let kept = store.checkpoints(tenant, kind.as_str()).await.unwrap();
        assert_eq!(
            kept.len(),
            1,
            "{kind}: the checkpoint is left for the operator"
        );
    }
    for kind in [
        StreamKind::NonInteractiveSignIns,
        StreamKind::DirectoryAudits,
        StreamKind::Groups,
        StreamKind::Applications,
    ] {
        assert_eq!(
            report.stream(kind).unwrap().status,
            StreamStatus::Succeeded,
            "{kind}"
        );
    }
    assert!(
        store.sign_in_count(tenant).await.unwrap() > 0,
        "the other sign-in streams stored theirs"
    );

    // The reset the message names works: the stream starts over with its backfill.
    let (from, to) = window(&s);
    store
        .delete_checkpoint(tenant, "sign_ins", "state")
        .await
        .unwrap();
    let r = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(r.status, StreamStatus::Succeeded);
    let all = stored(&*store, tenant).await;
    assert!(truth(&s, from, to).is_subset(&all), "the backfill ran");
}

/// A clock that moves a microsecond forward at every reading: shared by two collections, the
/// times they record are in the order they were read, so their runs' intervals show whether
/// they overlapped.
#[derive(Debug)]
struct Ticking {
    base: Arc<dyn Clock>,
    ticks: std::sync::atomic::AtomicI64,
}

impl Clock for Ticking {
    fn now(&self) -> OffsetDateTime {
        let tick = self.ticks.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.base.now() + Duration::microseconds(tick)
    }
}

fn lease_options(owner: &str, wait: bool) -> LeaseOptions {
    let mut lease = LeaseOptions::default();
    lease.owner = owner.to_owned();
    lease.wait = wait;
    lease.poll = StdDuration::from_millis(200);
    lease
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("oort-collector-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("oort.db");
    let _ = std::fs::remove_file(&path);
    path
}

/// Two `oort collect` started together on one store file (two connections, as two processes
/// have) and one tenant: the second waits for the first's lease, so their runs never overlap,
/// both succeed, and every sign-in of the window is stored exactly once (inserted by one run,
/// only updated by the other).
#[tokio::test(start_paused = true)]
async fn two_collections_started_together_take_turns_and_store_every_sign_in_once() {
    let s = setup(small()).await;
    let tenant = s.fake.tenant_id().to_owned();
    let path = temp_db("lease-turns");
    let clock: Arc<dyn Clock> = Arc::new(Ticking {
        base: s.clock.clone(),
        ticks: 0.into(),
    });
    let granted = granted(&s).await;
    let collectors: Vec<Collector> = ["collector-a", "collector-b"]
        .into_iter()
        .map(|owner| {
            let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
            Collector::new(
                s.client.clone(),
                store,
                tenant.clone(),
                granted.clone(),
                clock.clone(),
            )
            .config(config())
            .lease_options(lease_options(owner, true))
        })
        .collect();
    let (from, to) = window(&s);
    let (a, b) = tokio::join!(collectors[0].collect_now(), collectors[1].collect_now());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert!(a.is_success() && b.is_success(), "{a:#?}\n{b:#?}");

    let store = SqliteStore::open(&path).unwrap();
    let mut runs = store.runs(&tenant, 10).await.unwrap();
    assert_eq!(runs.len(), 2);
    runs.sort_by_key(|r| r.started_at);
    let first_end = runs[0].finished_at.expect("the first run finished");
    assert!(
        first_end < runs[1].started_at,
        "the second run started at {} before the first ended at {first_end}",
        runs[1].started_at
    );
    let expected = truth(&s, from, to);
    assert!(expected.len() > 50, "the fake generated sign-ins");
    let interactive: BTreeSet<String> = stored(&store, &tenant)
        .await
        .into_iter()
        .filter(|id| expected.contains(id))
        .collect();
    assert_eq!(interactive, expected);
    let inserted: u64 = [&a, &b]
        .iter()
        .map(|r| r.stream(StreamKind::SignIns).unwrap().inserted)
        .sum();
    assert_eq!(
        inserted as usize,
        expected.len(),
        "each sign-in inserted by one run only"
    );
    assert_eq!(
        store.lease(&tenant).await.unwrap(),
        None,
        "both gave it back"
    );
    std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
}

/// A collection of a tenant whose lease another live collection holds sends no request and
/// records no run: it fails at once naming the holder and since when. Once the holder's lease
/// expired (the process died), the next collection takes it over and runs.
#[tokio::test(start_paused = true)]
async fn a_collection_of_a_tenant_another_holds_fails_naming_the_holder_until_its_lease_expires() {
    let s = setup(small().record_requests(true)).await;
    let tenant = s.fake.tenant_id().to_owned();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let now = s.clock.now();
    let since = now - Duration::minutes(1);
    store
        .claim_lease(
            &tenant,
            "oort-collector on host-b pid 42",
            Duration::minutes(2),
            since,
        )
        .await
        .unwrap();
    let c = collector(&s, store.clone())
        .await
        .lease_options(lease_options("oort-collector on host-a pid 7", false));
    let requests_before = s.fake.recorded_requests().unwrap().len();
    let err = c.collect_now().await.unwrap_err();
    assert!(err.is_busy(), "{err}");
    let holder = err.holder().unwrap();
    assert_eq!(
        (holder.owner.as_str(), holder.since),
        ("oort-collector on host-b pid 42", Some(since))
    );
    let text = err.to_string();
    assert!(
        text.contains("host-b pid 42") && text.contains("since") && text.contains("--wait"),
        "{text}"
    );
    assert_eq!(
        s.fake.recorded_requests().unwrap().len(),
        requests_before,
        "no request to Graph"
    );
    assert!(store.runs(&tenant, 10).await.unwrap().is_empty(), "no run");

    // host-b died: its lease runs out two minutes after it was last renewed.
    store
        .claim_lease(
            &tenant,
            "oort-collector on host-b pid 42",
            Duration::minutes(2),
            since - Duration::minutes(5),
        )
        .await
        .unwrap();
    let report = c.collect_now().await.unwrap();
    assert!(report.is_success(), "{report:#?}");
    assert_eq!(
        store.lease(&tenant).await.unwrap(),
        None,
        "released after the run"
    );
}

// Pages that never wedge a stream.

#[tokio::test(start_paused = true)]
async fn an_unreadable_sign_in_is_set_aside_and_the_rest_of_its_page_is_stored_and_the_window_moves_on(
) {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    let (from, to) = window(&s);
    s.fake.inject_unreadable_sign_ins(1);
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Succeeded, "{report:?}");
    assert_eq!(report.rejected, 1);
    let tenant = s.fake.tenant_id();
    let rejected = store
        .rejected_items(tenant, Some(StreamKind::SignIns), 10)
        .await
        .unwrap();
    assert_eq!(rejected.len(), 1);
    let item = &rejected[0].item;
    assert!(
        item.raw_json.contains("yesterday at noon"),
        "the JSON as sent"
    );
    assert!(!item.error.is_empty());
    let expected = truth(&s, from, to);
    assert!(
        expected.contains(&item.item_key),
        "keyed by the sign-in's id"
    );
    let mut others = expected.clone();
    others.remove(&item.item_key);
    assert_eq!(
        stored(&*store, tenant).await,
        others,
        "every other sign-in of the window is stored"
    );
    // The window moved on: the next run starts from the watermark, not from the bad item.
    s.fake.clock().advance(Duration::minutes(20));
    let report = c.run_stream(StreamKind::SignIns).await;
    assert_eq!(report.status, StreamStatus::Succeeded);
    assert_eq!(report.rejected, 0);
    let (_, to2) = window(&s);
    let mut all = truth(&s, from, to2);
    all.remove(&item.item_key);
    assert_eq!(stored(&*store, tenant).await, all);
    let counts = store.rejected_counts(tenant).await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].count, 1, "still set aside, once");
    // Today's model still does not read it: kept, with the current error.
    let retry = c.retry_rejected().await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(
        (retry[0].retried, retry[0].stored, retry[0].still_rejected),
        (1, 0, 1)
    );
}

#[tokio::test(start_paused = true)]
async fn retry_rejected_stores_the_items_todays_models_read_and_removes_them() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let c = collector(&s, store.clone()).await;
    let tenant = s.fake.tenant_id();
    // Set aside by an older version whose model did not read them.
    let readable = oort_store::RejectedItem::new(
        StreamKind::SignIns,
        "late-1",
        r#"{"id":"late-1","createdDateTime":"2025-06-01T10:00:00Z","userId":"u1","futureField":{"x":1}}"#,
        "unknown variant (an older model)",
    );
    let unreadable = oort_store::RejectedItem::new(
        StreamKind::SignIns,
        "late-2",
        r#"{"id":"late-2","createdDateTime":"noon"}"#,
        "invalid timestamp",
    );
    let ctx = oort_store::WriteContext {
        tenant,
        now: s.clock.now(),
    };
    store
        .record_rejected(ctx, &[readable, unreadable])
        .await
        .unwrap();
    let retry = c.retry_rejected().await.unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].stream, StreamKind::SignIns);
    assert_eq!(
        (retry[0].retried, retry[0].stored, retry[0].still_rejected),
        (2, 1, 1)
    );
    let stored = store
        .sign_ins(tenant, SignInQuery::default().limit_to(10))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].value().id, "late-1");
    assert!(
        stored[0].json().contains("futureField"),
        "the raw JSON kept"
    );
    let left = store.rejected_items(tenant, None, 10).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].item.item_key, "late-2");
}

#[tokio::test(start_paused = true)]
async fn a_slice_past_the_page_limit_fails_its_stream_for_the_run_and_the_others_go_on() {
    let s = setup(small()).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let mut limited = config();
    limited.page_size = 4;
    limited.max_concurrency = 1;
    limited.max_pages = 2;
    let c = collector(&s, store.clone()).await.config(limited);
    let (from, to) = window(&s);
    let report = c.collect_now().await.unwrap();
    match &report.stream(StreamKind::SignIns).unwrap().status {
        StreamStatus::Failed { error } => {
            assert!(error.contains("limit of 2 pages"), "{error}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        report.stream(StreamKind::Users).unwrap().status,
        StreamStatus::Succeeded
    );
    let inserted = report.stream(StreamKind::SignIns).unwrap().inserted as usize;
    assert!(
        inserted > 0 && inserted < truth(&s, from, to).len(),
        "the pages before the limit are stored, not the rest: {inserted}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_next_link_graph_no_longer_accepts_is_dropped_and_the_rest_of_the_slice_queried_afresh() {
    for status in [400, 410] {
        let s = setup(small()).await;
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let mut small_pages = config();
        small_pages.page_size = 4;
        small_pages.max_concurrency = 1;
        let c = collector(&s, store.clone()).await.config(small_pages);
        let (from, to) = window(&s);
        s.fake.inject_stale_next_links([status, status]);
        let report = c.run_stream(StreamKind::SignIns).await;
        assert_eq!(
            report.status,
            StreamStatus::Succeeded,
            "{status}: {report:?}"
        );
        assert_eq!(
            stored(&*store, s.fake.tenant_id()).await,
            truth(&s, from, to),
            "{status}: no loss, no duplicates"
        );
    }
}

/// A clock `offset` away from the fake tenant's (the machine's clock when it is off).
#[derive(Debug)]
struct Skewed {
    fake: FakeClockAdapter,
    offset: Duration,
}

impl Clock for Skewed {
    fn now(&self) -> OffsetDateTime {
        self.fake.now() + self.offset
    }
}

#[tokio::test(start_paused = true)]
async fn with_the_local_clock_40_minutes_ahead_or_behind_no_sign_in_between_two_runs_is_missed() {
    for minutes in [40, -40] {
        // Busy enough that sign-ins arrive every minute.
        let s = setup(small().history_days(1).sign_ins_per_user_per_day(150.0)).await;
        let skewed: Arc<dyn Clock> = Arc::new(Skewed {
            fake: FakeClockAdapter::new(s.fake.clock().clone()),
            offset: Duration::minutes(minutes),
        });
        // The whole process runs on the skewed clock: the collector and the Graph client.
        let client = GraphClient::builder()
            .credential(s.credential.clone())
            .base_url(s.fake.graph_url())
            .scope(s.scope.clone())
            .timeout(None)
            .connect_timeout(None)
            .pool_idle_timeout(None)
            .throttling(false)
            .clock(skewed.clone())
            .build()
            .unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
        let c = Collector::new(
            client,
            store.clone(),
            s.fake.tenant_id(),
            granted(&s).await,
            skewed.clone(),
        )
        .config(config());
        let (from, first_end) = window(&s);
        let report = c.collect_now().await.unwrap();
        assert!(report.is_success(), "{minutes}: {report:#?}");
        let skew = report.clock_skew_seconds.expect("the skew is reported");
        assert!(
            (skew + minutes * 60).abs() <= 2,
            "{minutes}: Graph minus local is about {} s: {skew}",
            -minutes * 60
        );
        // Sign-ins keep arriving; half an hour later, the second collection.
        s.fake.clock().advance(Duration::minutes(30));
        let report = c.collect_now().await.unwrap();
        assert!(report.is_success(), "{minutes}: {report:#?}");
        let (_, second_end) = window(&s);
        let between = truth(&s, first_end, second_end);
        assert!(!between.is_empty(), "sign-ins arrived between the runs");
        let all = stored(&*store, s.fake.tenant_id()).await;
        let missed: Vec<_> = between.difference(&all).collect();
        assert!(
            missed.is_empty(),
            "{minutes}: {} of {} sign-ins that arrived between the runs are missing",
            missed.len(),
            between.len()
        );
        assert!(truth(&s, from, second_end).is_subset(&all), "{minutes}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_permission_granted_between_runs_is_used_by_the_next_run_that_reads_the_grants_again() {
    // At start the app reads the directory but not the sign-ins.
    let directory_only = [
        "User.Read.All",
        "GroupMember.Read.All",
        "Application.Read.All",
    ];
    let s = setup(small().intune(false).permissions(directory_only)).await;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let at_start = granted(&s).await;
    let rereading = collector(&s, store.clone())
        .await
        .granted_from(s.credential.clone(), s.scope.clone());
    let first = rereading.collect_now().await.unwrap();
    assert!(
        matches!(
            first.stream(StreamKind::SignIns).unwrap().status,
            StreamStatus::Skipped { .. }
        ),
        "{:?}",
        first.stream(StreamKind::SignIns).unwrap().status
    );
    // An administrator grants AuditLog.Read.All (and consents) while the service runs.
    let mut more: Vec<String> = directory_only.iter().map(|p| p.to_string()).collect();
    more.push("AuditLog.Read.All".to_owned());
    s.fake.with_tenant(|t| t.set_granted_permissions(more));
    // A collector that keeps the grants of its start goes on skipping the sign-ins...
    let keeping = Collector::new(
        s.client.clone(),
        store.clone(),
        s.fake.tenant_id(),
        at_start,
        s.clock.clone(),
    )
    .config(config());
    s.fake.clock().advance(Duration::minutes(15));
    let kept = keeping.collect_now().await.unwrap();
    assert!(
        matches!(
            kept.stream(StreamKind::SignIns).unwrap().status,
            StreamStatus::Skipped { .. }
        ),
        "{:?}",
        kept.stream(StreamKind::SignIns).unwrap().status
    );
    // ...the one that reads them again collects them at its next run.
    s.fake.clock().advance(Duration::minutes(15));
    let second = rereading.collect_now().await.unwrap();
    let report = second.stream(StreamKind::SignIns).unwrap();
    assert_eq!(report.status, StreamStatus::Succeeded, "{report:?}");
    assert!(report.inserted > 0, "{report:?}");
}

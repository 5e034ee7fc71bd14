//! Recall and precision of the threat detections on the `entra-fake` tenant: collected through
//! `oort-collector` into a store, analysed with `run_checks`, and compared with the fake's ground
//! truth (planted attacks) and benign look-alikes. Prints the confusion table.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use entra_auth::{ClientSecretCredential, Clock, Cloud, TokenCache, TokenCredential};
use entra_fake::{FakeClock, FakeTenant, Throttling};
use graph_client::GraphClient;
use oort_checks::{run_checks, CheckConfig, Kind, Subject};
use oort_collector::store::{SqliteStore, Store};
use oort_collector::{Collector, CollectorConfig};
use secrecy::SecretString;

#[derive(Debug, Clone)]
struct FakeNow(FakeClock);

impl Clock for FakeNow {
    fn now(&self) -> time::OffsetDateTime {
        self.0.now()
    }
}

fn subject_key(subject: &Subject) -> String {
    match subject {
        Subject::User { upn: Some(upn), .. } => upn.to_ascii_lowercase(),
        Subject::User { id: Some(id), .. } => id.clone(),
        Subject::Ip { address } => address.clone(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

#[tokio::test]
async fn every_planted_attack_is_found_and_no_benign_subject_is_flagged() {
    let fake = FakeTenant::builder()
        .seed(7)
        .members(60)
        .guests(8)
        .history_days(10)
        .sign_ins_per_user_per_day(3.0)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let clock: Arc<dyn Clock> = Arc::new(FakeNow(fake.clock().clone()));
    let cloud = Cloud::custom(&fake.authority_host(), &fake.graph_url()).unwrap();
    let scope = cloud.graph_scope();
    let secret = ClientSecretCredential::builder(
        fake.tenant_id(),
        fake.client_id(),
        SecretString::from(fake.client_secret().to_owned()),
    )
    .cloud(cloud)
    .clock(clock.clone())
    .build()
    .unwrap();
    let credential: Arc<dyn TokenCredential> = Arc::new(
        TokenCache::builder(Arc::new(secret))
            .clock(clock.clone())
            .build(),
    );
    let client = GraphClient::builder()
        .credential(credential.clone())
        .base_url(fake.graph_url())
        .scope(scope.clone())
        .throttling(false)
        .clock(clock.clone())
        .build()
        .unwrap();
    let granted = credential.get_token(&scope).await.unwrap().claims.roles;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = CollectorConfig::default();
    config.backfill = time::Duration::days(11);
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

    let mut checks = CheckConfig::default();
    checks.break_glass_accounts = fake.break_glass_accounts();
    let summary = run_checks(&*store, fake.tenant_id(), &checks, clock.now())
        .await
        .unwrap();

    let found: BTreeSet<(String, String)> = summary
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Threat)
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

//! What is sent and recorded, run after run, over SQLite and PostgreSQL.

use std::sync::Arc;

use oort_checks::notify::{
    notify_findings, DeliveryOutcome, DispatchError, Event, Notifier, NotifyConfig, WebhookConfig,
    WebhookNotifier,
};
use oort_checks::{CheckId, Finding, FindingStatus, Severity};
use oort_store::prelude::*;
use oort_store::{PostgresStore, SqliteStore};
use secrecy::SecretString;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{finding, now, put, quick, Recorder};

fn spray() -> Finding {
    finding(
        CheckId::PasswordSpray,
        Severity::High,
        "203.0.113.7",
        "spray",
    )
}

fn fingerprints(store_records: &[oort_store::NotificationRecord]) -> Vec<(String, String, String)> {
    store_records
        .iter()
        .map(|r| {
            (
                r.fingerprint.clone(),
                r.channel.clone(),
                r.status.to_string(),
            )
        })
        .collect()
}

async fn a_new_finding_is_sent_once_and_a_rerun_sends_nothing(store: &dyn Store) {
    put(store, &[spray()]).await;
    let teams = Recorder::new("teams");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![teams.clone()];
    let first = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert_eq!(first.sent().count(), 1);
    assert!(first.is_success());
    let sent = teams.sent();
    assert_eq!(sent.len(), 1);
    assert!(!sent[0].is_digest());
    assert_eq!(sent[0].events()[0].event, Event::Opened);
    assert_eq!(sent[0].events()[0].finding.summary, "spray");

    let second = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert!(second.deliveries.is_empty(), "nothing new: {second:?}");
    assert_eq!(teams.sent().len(), 1);
    let stored = store.findings("t1", Default::default()).await.unwrap();
    assert_eq!(stored[0].notified_status, Some(FindingStatus::Open));
}

async fn a_failed_channel_is_retried_alone_on_the_next_run(store: &dyn Store) {
    put(store, &[spray()]).await;
    let (email, teams) = (Recorder::new("email"), Recorder::new("teams"));
    teams.fail(true);
    let notifiers: Vec<Arc<dyn Notifier>> = vec![email.clone(), teams.clone()];
    let first = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert!(!first.is_success());
    let failed: Vec<_> = first.failures().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].channel, "teams");
    assert_eq!(failed[0].outcome, DeliveryOutcome::Failed);
    assert_eq!(failed[0].fingerprints, [spray().fingerprint.as_str()]);
    assert_eq!(failed[0].attempts, 1, "a 403 is not retried");
    assert_eq!(teams.attempts(), 1);
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap_or_default()
            .contains("HTTP 403"),
        "{failed:?}"
    );
    assert_eq!(email.sent().len(), 1);
    assert_eq!(
        fingerprints(&store.notifications("t1").await.unwrap()),
        [(
            spray().fingerprint.as_str().to_owned(),
            "email".to_owned(),
            "open".to_owned()
        )],
        "only the channel that succeeded is recorded"
    );

    teams.fail(false);
    let second = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert!(second.is_success());
    assert_eq!(second.deliveries.len(), 1);
    assert_eq!(second.deliveries[0].channel, "teams");
    assert_eq!(email.sent().len(), 1, "e-mail is not sent again");
    assert_eq!(teams.sent().len(), 1);
}

async fn a_resolved_then_reopened_finding_is_notified_again(store: &dyn Store) {
    let teams = Recorder::new("teams");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![teams.clone()];
    let mut f = finding(
        CheckId::InactiveGuest,
        Severity::Medium,
        "guest",
        "inactive guest",
    );
    put(store, &[f.clone()]).await;
    notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();

    f.status = FindingStatus::Resolved;
    put(store, &[f.clone()]).await;
    let resolved = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert!(
        resolved.deliveries.is_empty(),
        "a resolution is not sent by default"
    );
    assert_eq!(resolved.resolutions_recorded, 1, "but it is recorded");
    assert_eq!(
        store.notifications("t1").await.unwrap()[0].status,
        FindingStatus::Resolved
    );

    f.status = FindingStatus::Open;
    put(store, &[f.clone()]).await;
    let reopened = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert_eq!(reopened.sent().count(), 1);
    let sent = teams.sent();
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1].events()[0].event, Event::Reopened);

    // With notify_resolved, the resolution is a message of its own.
    let mut config = quick();
    config.notify_resolved = true;
    f.status = FindingStatus::Resolved;
    put(store, &[f.clone()]).await;
    notify_findings(store, "t1", &notifiers, &config, now())
        .await
        .unwrap();
    let sent = teams.sent();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].events()[0].event, Event::Resolved);
}

async fn findings_below_the_minimum_severity_or_suppressed_are_not_sent(store: &dyn Store) {
    let low = finding(CheckId::HighActivity, Severity::Low, "198.51.100.1", "busy");
    let mut muted = finding(
        CheckId::BruteForce,
        Severity::Critical,
        "198.51.100.2",
        "muted",
    );
    muted.status = FindingStatus::Suppressed;
    put(store, &[low, muted, spray()]).await;
    let teams = Recorder::new("teams");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![teams.clone()];
    let summary = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    assert_eq!(summary.deliveries.len(), 1);
    assert_eq!(teams.sent()[0].events()[0].finding.summary, "spray");

    let mut strict = quick();
    strict.min_severity = Severity::Critical;
    let high_only = Recorder::new("email");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![high_only.clone()];
    notify_findings(store, "t1", &notifiers, &strict, now())
        .await
        .unwrap();
    assert!(high_only.sent().is_empty(), "high is below critical");
    assert_eq!(
        store.notifications("t1").await.unwrap().len(),
        1,
        "what is not sent is not recorded"
    );
}

async fn digest_mode_sends_one_message_listing_every_finding(store: &dyn Store) {
    let findings: Vec<Finding> = (0..4)
        .map(|i| {
            finding(
                CheckId::PasswordSpray,
                if i == 2 {
                    Severity::Critical
                } else {
                    Severity::High
                },
                &format!("203.0.113.{i}"),
                &format!("spray {i}"),
            )
        })
        .collect();
    put(store, &findings).await;
    let teams = Recorder::new("teams");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![teams.clone()];
    let mut config = quick();
    config.digest = true;
    let summary = notify_findings(store, "t1", &notifiers, &config, now())
        .await
        .unwrap();
    assert_eq!(summary.deliveries.len(), 1);
    assert!(summary.deliveries[0].digest);
    assert_eq!(summary.deliveries[0].fingerprints.len(), 4);
    let sent = teams.sent();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].is_digest());
    assert_eq!(sent[0].len(), 4);
    assert_eq!(
        sent[0].title(),
        "4 findings to review (4 new; most severe: critical)"
    );
    let text = sent[0].text();
    for i in 0..4 {
        assert!(text.contains(&format!("Summary: spray {i}")), "{text}");
    }
    assert_eq!(
        sent[0].events()[0].finding.summary,
        "spray 2",
        "most severe first"
    );
    assert_eq!(store.notifications("t1").await.unwrap().len(), 4);
    let again = notify_findings(store, "t1", &notifiers, &config, now())
        .await
        .unwrap();
    assert!(again.deliveries.is_empty());
}

async fn a_first_run_over_many_findings_sends_one_capped_digest(store: &dyn Store) {
    let findings: Vec<Finding> = (0..40)
        .map(|i| {
            finding(
                CheckId::BruteForce,
                Severity::High,
                &format!("198.51.100.{i}"),
                &format!("brute {i}"),
            )
        })
        .collect();
    put(store, &findings).await;
    let teams = Recorder::new("teams");
    let notifiers: Vec<Arc<dyn Notifier>> = vec![teams.clone()];
    let summary = notify_findings(store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap();
    let sent = teams.sent();
    assert_eq!(sent.len(), 1, "40 > the threshold of 10: one digest");
    assert!(sent[0].is_digest());
    assert_eq!(sent[0].events().len(), 25, "listed up to the limit");
    assert_eq!(sent[0].len(), 40, "the rest counted");
    assert_eq!(summary.deliveries[0].fingerprints.len(), 40);
    assert_eq!(
        store.notifications("t1").await.unwrap().len(),
        40,
        "every finding covered is recorded"
    );
}

async fn a_500_then_200_is_retried_and_recorded_once(store: &dyn Store) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .with_priority(2)
        .mount(&server)
        .await;
    put(store, &[spray()]).await;
    let config = quick();
    let hook = WebhookNotifier::new(
        &WebhookConfig::new(SecretString::from(format!("{}/in", server.uri()))),
        config.timeout(),
    )
    .unwrap();
    let notifiers: Vec<Arc<dyn Notifier>> = vec![Arc::new(hook)];
    let summary = notify_findings(store, "t1", &notifiers, &config, now())
        .await
        .unwrap();
    assert!(summary.is_success(), "{summary:?}");
    assert_eq!(summary.deliveries[0].attempts, 2);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    assert_eq!(store.notifications("t1").await.unwrap().len(), 1);
    let again = notify_findings(store, "t1", &notifiers, &config, now())
        .await
        .unwrap();
    assert!(again.deliveries.is_empty());
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "recorded once, sent once"
    );
}

async fn a_400_is_not_retried_and_is_reported_without_the_url(store: &dyn Store) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400))
        .mount(&server)
        .await;
    put(store, &[spray()]).await;
    let config = quick();
    let url = format!("{}/in/TOKEN-IN-PATH", server.uri());
    let hook = WebhookNotifier::new(
        &WebhookConfig::new(SecretString::from(url)),
        config.timeout(),
    )
    .unwrap();
    let notifiers: Vec<Arc<dyn Notifier>> = vec![Arc::new(hook)];
    let summary = notify_findings(store, "t1", &notifiers, &config, now())
        .await
        .unwrap();
    let failed: Vec<_> = summary.failures().collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].attempts, 1);
    let error = failed[0].error.clone().unwrap();
    assert!(
        error.contains("webhook") && error.contains("HTTP 400"),
        "{error}"
    );
    assert!(!error.contains("TOKEN-IN-PATH"), "{error}");
    assert!(!serde_json::to_string(&summary)
        .unwrap()
        .contains("TOKEN-IN-PATH"));
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
    assert!(
        store.notifications("t1").await.unwrap().is_empty(),
        "left for the next run"
    );
}

macro_rules! on_both_stores {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = super::SqliteStore::in_memory().unwrap();
                    super::$name(&store).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test]
                #[cfg_attr(not(oort_postgres), ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL")]
                async fn $name() {
                    let url = oort_store::testing::fresh_database().await;
                    let store = super::PostgresStore::connect(&url).await.unwrap();
                    super::$name(&store).await;
                }
            )+
        }
    };
}

on_both_stores!(
    a_new_finding_is_sent_once_and_a_rerun_sends_nothing,
    a_failed_channel_is_retried_alone_on_the_next_run,
    a_resolved_then_reopened_finding_is_notified_again,
    findings_below_the_minimum_severity_or_suppressed_are_not_sent,
    digest_mode_sends_one_message_listing_every_finding,
    a_first_run_over_many_findings_sends_one_capped_digest,
    a_500_then_200_is_retried_and_recorded_once,
    a_400_is_not_retried_and_is_reported_without_the_url,
);

#[tokio::test]
async fn two_notifiers_with_one_name_are_refused() {
    let store = SqliteStore::in_memory().unwrap();
    let notifiers: Vec<Arc<dyn Notifier>> = vec![Recorder::new("teams"), Recorder::new("teams")];
    let err = notify_findings(&store, "t1", &notifiers, &quick(), now())
        .await
        .unwrap_err();
    assert!(
        matches!(err, DispatchError::DuplicateChannel { .. }),
        "{err}"
    );
}

#[test]
fn the_configuration_loads_with_defaults_refuses_unknown_keys_and_redacts_secrets() {
    let c: NotifyConfig = serde_json::from_value(serde_json::json!({})).unwrap();
    assert_eq!(c.min_severity, Severity::Medium);
    assert!(!c.digest && !c.notify_resolved && !c.has_channels());
    assert_eq!(
        (c.digest_threshold, c.digest_limit, c.retry_attempts),
        (10, 25, 4)
    );
    assert!(
        serde_json::from_value::<NotifyConfig>(serde_json::json!({"min_severty": "low"})).is_err()
    );

    let c: NotifyConfig = serde_json::from_value(serde_json::json!({
        "min_severity": "high",
        "digest": true,
        "email": {"host": "smtp.contoso.com", "username": "oort", "password": "SMTP-PW",
                  "from": "oort@contoso.com", "to": ["soc@contoso.com"]},
        "teams": {"url": "https://x.webhook.office.com/TEAMS-SIG"},
        "webhook": {"url": "https://hooks.contoso.com/WEBHOOK-TOKEN", "secret": "HMAC-KEY",
                    "headers": {"Authorization": "Bearer HEADER-TOKEN"}},
    }))
    .unwrap();
    assert_eq!(c.min_severity, Severity::High);
    assert_eq!(c.email.as_ref().unwrap().effective_port(), 587);
    let debug = format!("{c:?}");
    for secret in [
        "SMTP-PW",
        "TEAMS-SIG",
        "WEBHOOK-TOKEN",
        "HMAC-KEY",
        "HEADER-TOKEN",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
    let notifiers = c.notifiers().unwrap();
    let names: Vec<&str> = notifiers.iter().map(|n| n.channel()).collect();
    assert_eq!(names, ["email", "teams", "webhook"]);
    let debug = format!("{notifiers:?}");
    for secret in [
        "SMTP-PW",
        "TEAMS-SIG",
        "WEBHOOK-TOKEN",
        "HMAC-KEY",
        "HEADER-TOKEN",
    ] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn retry_delays_double_from_the_base_up_to_the_maximum() {
    let mut c = NotifyConfig::default();
    c.retry_base_delay_ms = 100;
    c.retry_max_delay_ms = 500;
    let ms: Vec<u128> = (1..=5).map(|r| c.retry_delay(r).as_millis()).collect();
    assert_eq!(ms, [100, 200, 400, 500, 500]);
}

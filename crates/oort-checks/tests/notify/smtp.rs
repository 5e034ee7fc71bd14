//! E-mail against a real SMTP server on loopback (the in-process sink).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use oort_checks::notify::{
    notify_findings, DeliveryOutcome, Event, FindingEvent, Notification, Notifier, NotifyError,
    SmtpConfig, SmtpNotifier, SmtpSecurity,
};
use oort_checks::{CheckId, Severity};
use oort_store::prelude::*;
use oort_store::SqliteStore;
use secrecy::SecretString;
use tokio::sync::oneshot;

use super::smtp_sink::SmtpSink;
use super::{finding, now, put, quick};

fn config(port: u16) -> SmtpConfig {
    let mut c = SmtpConfig::new(
        "127.0.0.1",
        "oort <oort@contoso.com>",
        vec!["soc@contoso.com".to_owned(), "ciso@contoso.com".to_owned()],
    );
    c.port = Some(port);
    c.security = SmtpSecurity::None;
    c
}

#[tokio::test]
async fn email_reaches_the_smtp_server_with_recipients_subject_and_summary() {
    let sink = SmtpSink::start().await;
    let email = SmtpNotifier::new(&config(sink.port), Duration::from_secs(10)).unwrap();
    let message = Notification::finding(
        "t1",
        now(),
        FindingEvent::new(
            Event::Opened,
            finding(
                CheckId::PasswordSpray,
                Severity::High,
                "203.0.113.7",
                "203.0.113.7 sprayed passwords at 2 users",
            ),
        ),
    );
    email.send(&message).await.unwrap();

    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.from, "oort@contoso.com");
    assert_eq!(mail.to, ["soc@contoso.com", "ciso@contoso.com"]);
    assert_eq!(
        mail.header("subject").as_deref(),
        Some("[oort] [HIGH] New password-spray: 203.0.113.7 sprayed passwords at 2 users")
    );
    assert_eq!(
        mail.header("date").as_deref(),
        Some("Thu, 02 May 2024 08:00:00 +0000"),
        "dated by the dispatcher's clock"
    );
    let body = mail.body();
    for expected in [
        "Summary: 203.0.113.7 sprayed passwords at 2 users",
        "Severity: high",
        "Subject: IP 203.0.113.7",
        "First seen: 2024-05-01 10:00:00 UTC",
        "Last seen: 2024-05-01 10:20:00 UTC",
        "Users: adele@contoso.com, bob@contoso.com",
        "failed users: 2",
        "Recommendation: Block the IP in a named location.",
    ] {
        assert!(body.contains(expected), "{expected:?} in:\n{body}");
    }
}

/// Wraps a notifier: counts attempts and reports the first failure on a channel.
#[derive(Debug)]
struct Watch {
    inner: SmtpNotifier,
    attempts: AtomicU32,
    first_failure: Mutex<Option<oneshot::Sender<()>>>,
}

#[async_trait]
impl Notifier for Watch {
    fn channel(&self) -> &str {
        self.inner.channel()
    }

    async fn send(&self, message: &Notification) -> Result<(), NotifyError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        let result = self.inner.send(message).await;
        if result.is_err() {
            if let Some(tx) = self.first_failure.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
        result
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_is_retried_after_a_refused_connection_and_then_delivered_once() {
    // A free port where nothing listens yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let (tx, rx) = oneshot::channel();
    let watch = Arc::new(Watch {
        inner: SmtpNotifier::new(&config(port), Duration::from_secs(10)).unwrap(),
        attempts: AtomicU32::new(0),
        first_failure: Mutex::new(Some(tx)),
    });
    let store = SqliteStore::in_memory().unwrap();
    put(
        &store,
        &[finding(
            CheckId::PasswordSpray,
            Severity::High,
            "203.0.113.7",
            "spray",
        )],
    )
    .await;
    // Generous: up to 10 attempts, 200 ms then doubling up to 2 s between them.
    let mut cfg = quick();
    cfg.retry_attempts = 10;
    cfg.retry_base_delay_ms = 200;
    cfg.retry_max_delay_ms = 2_000;
    let notifiers: Vec<Arc<dyn Notifier>> = vec![watch.clone()];
    let dispatch = {
        let notifiers = notifiers.clone();
        let cfg = cfg.clone();
        let store = store.clone();
        tokio::spawn(async move { notify_findings(&store, "t1", &notifiers, &cfg, now()).await })
    };
    rx.await.expect("the first attempt is refused");
    let sink = SmtpSink::start_on(port).await;
    let summary = dispatch.await.unwrap().unwrap();

    assert_eq!(summary.deliveries.len(), 1);
    let d = &summary.deliveries[0];
    assert_eq!(d.outcome, DeliveryOutcome::Sent, "{d:?}");
    assert!(d.attempts > 1, "retried: {d:?}");
    assert_eq!(d.attempts, watch.attempts.load(Ordering::SeqCst));
    let mails = sink.wait_for(1).await;
    assert_eq!(mails.len(), 1, "delivered once");
    assert!(mails[0].body().contains("Summary: spray"));
    assert_eq!(
        store.notifications("t1").await.unwrap().len(),
        1,
        "recorded"
    );
}

#[test]
fn credentials_over_plain_smtp_to_a_remote_host_are_refused_and_never_printed() {
    let mut c = config(25);
    c.host = "smtp.contoso.com".to_owned();
    c.username = Some("oort".to_owned());
    c.password = Some(SecretString::from("P4ssw0rd!".to_owned()));
    let err = SmtpNotifier::new(&c, Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("starttls"), "{err}");
    assert!(!format!("{c:?}").contains("P4ssw0rd!"));

    c.security = SmtpSecurity::StartTls;
    c.port = None;
    let ok = SmtpNotifier::new(&c, Duration::from_secs(1)).unwrap();
    let debug = format!("{ok:?}");
    assert!(!debug.contains("P4ssw0rd!"), "{debug}");
    assert!(
        debug.contains("587"),
        "STARTTLS defaults to port 587: {debug}"
    );
}

#[test]
fn a_bad_address_is_a_configuration_error_naming_it() {
    let mut c = config(25);
    c.to = vec!["not an address".to_owned()];
    let err = SmtpNotifier::new(&c, Duration::from_secs(1)).unwrap_err();
    assert!(err.to_string().contains("not an address"), "{err}");
    assert!(!err.is_retriable());
}

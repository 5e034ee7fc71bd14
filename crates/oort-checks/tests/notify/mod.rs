//! Notifications: the channels against local servers (wiremock, an in-process SMTP server),
//! and the dispatch over real stores.

#![allow(unreachable_pub)]

mod channels;
mod dispatch;
mod smtp;
mod smtp_sink;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use async_trait::async_trait;
use oort_checks::notify::{Notification, Notifier, NotifyConfig, NotifyError, NotifyErrorKind};
use oort_checks::{CheckId, Finding, Severity, Subject};
use oort_store::prelude::*;
use oort_store::{StoredFinding, WriteContext};
use time::OffsetDateTime;

pub fn now() -> OffsetDateTime {
    time::macros::datetime!(2024-05-02 08:00:00 UTC)
}

/// An open threat finding about `ip`, with some evidence.
pub fn finding(check: CheckId, severity: Severity, ip: &str, summary: &str) -> Finding {
    let first = time::macros::datetime!(2024-05-01 10:00:00 UTC);
    let mut f = Finding::new(
        check,
        severity,
        Subject::Ip {
            address: ip.to_owned(),
        },
        "2024-05-01",
        summary.to_owned(),
        first,
    );
    f.last_seen = first + time::Duration::minutes(20);
    for (i, user) in ["adele@contoso.com", "bob@contoso.com"].iter().enumerate() {
        let s = serde_json::from_value(serde_json::json!({
            "id": format!("si-{i}"),
            "time": format!("2024-05-01T10:0{i}:00Z"),
            "user": user,
            "ip": ip,
            "country": "NL",
            "error_code": 50126,
        }))
        .unwrap();
        f.evidence.add_sign_in(s, 50);
    }
    f.evidence.set_fact("failed_users", 2);
    f.recommendation = Some("Block the IP in a named location.".to_owned());
    f
}

/// Stores `findings` as `run_checks` does.
pub async fn put(store: &dyn Store, findings: &[Finding]) {
    let rows = findings
        .iter()
        .map(|f| {
            StoredFinding::new(
                f.fingerprint.as_str(),
                f.check_id.as_str(),
                f.kind,
                f.severity,
                f.status,
                f.subject.to_string(),
                f.summary.clone(),
                f.first_seen,
                f.last_seen,
                serde_json::to_value(f).unwrap(),
            )
        })
        .collect();
    store
        .upsert_findings(
            WriteContext {
                tenant: "t1",
                now: now(),
            },
            rows,
        )
        .await
        .unwrap();
}

/// Defaults with quick retries (the delays are waited for real, a few milliseconds).
pub fn quick() -> NotifyConfig {
    let mut c = NotifyConfig::default();
    c.retry_base_delay_ms = 5;
    c.retry_max_delay_ms = 20;
    c
}

/// A channel that keeps what it is sent, or refuses everything while `failing`.
#[derive(Debug)]
pub struct Recorder {
    pub name: &'static str,
    pub sent: Mutex<Vec<Notification>>,
    pub attempts: AtomicU32,
    pub failing: Mutex<bool>,
}

impl Recorder {
    pub fn new(name: &'static str) -> std::sync::Arc<Recorder> {
        std::sync::Arc::new(Recorder {
            name,
            sent: Mutex::new(Vec::new()),
            attempts: AtomicU32::new(0),
            failing: Mutex::new(false),
        })
    }

    pub fn fail(&self, failing: bool) {
        *self.failing.lock().unwrap() = failing;
    }

    pub fn sent(&self) -> Vec<Notification> {
        self.sent.lock().unwrap().clone()
    }

    pub fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl Notifier for Recorder {
    fn channel(&self) -> &str {
        self.name
    }

    async fn send(&self, message: &Notification) -> Result<(), NotifyError> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if *self.failing.lock().unwrap() {
            return Err(NotifyError::new(
                self.name,
                NotifyErrorKind::Status {
                    status: 403,
                    retry_after: None,
                },
            ));
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(())
    }
}

#[test]
fn notification_types_are_send_and_sync() {
    fn is<T: Send + Sync>() {}
    is::<Notification>();
    is::<NotifyConfig>();
    is::<NotifyError>();
    is::<oort_checks::notify::SmtpNotifier>();
    is::<oort_checks::notify::TeamsNotifier>();
    is::<oort_checks::notify::WebhookNotifier>();
    is::<oort_checks::notify::NotifySummary>();
}

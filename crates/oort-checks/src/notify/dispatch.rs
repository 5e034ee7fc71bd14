//! What to notify, on which channel, with retries, recorded per channel in the store.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use oort_store::{FindingFilter, FindingStore, NotificationRecord, NotificationStore, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use super::{Event, FindingEvent, Notification, Notifier, NotifyConfig, NotifyError};
use crate::{Finding, FindingStatus};

/// Why notifications could not be dispatched at all (a delivery failure is not one of these:
/// it is reported in [`NotifySummary`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// Two notifiers share a channel name, so their deliveries could not be told apart.
    #[error("two notifiers are named {channel:?}: give each channel its own name")]
    DuplicateChannel {
        /// The name.
        channel: String,
    },
    /// The store could not be read, or a resolution could not be recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored finding's JSON does not read as a finding of this version: nothing is sent
    /// rather than skipping it (it would be notified again as new once it reads).
    #[error("the stored finding {fingerprint} cannot be read: upgrade oort if a newer one wrote it, or delete its row from the findings table")]
    CorruptFinding {
        /// The finding's fingerprint.
        fingerprint: String,
        /// Why it does not read.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// How one message ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeliveryOutcome {
    /// Accepted by the channel and recorded.
    Sent,
    /// Still failing after the retries (or not retriable): not recorded, retried next run.
    Failed,
    /// Accepted by the channel, but the store failed to record it: the next run sends it
    /// again.
    SentNotRecorded,
}

/// One message on one channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Delivery {
    /// The channel (`email`, `teams`, `webhook`).
    pub channel: String,
    /// Whether the message was a digest.
    pub digest: bool,
    /// The message's title.
    pub title: String,
    /// The findings it covers (a digest: listed and omitted ones).
    pub fingerprints: Vec<String>,
    /// Attempts made.
    pub attempts: u32,
    /// How it ended.
    pub outcome: DeliveryOutcome,
    /// The error, with its causes, when it did not end as [`DeliveryOutcome::Sent`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What [`notify_findings`] did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct NotifySummary {
    /// Every message, per channel in the notifiers' order.
    pub deliveries: Vec<Delivery>,
    /// Resolutions recorded without a message ([`NotifyConfig::notify_resolved`] unset).
    pub resolutions_recorded: usize,
}

impl NotifySummary {
    /// Messages accepted and recorded.
    pub fn sent(&self) -> impl Iterator<Item = &Delivery> {
        self.deliveries
            .iter()
            .filter(|d| d.outcome == DeliveryOutcome::Sent)
    }

    /// Messages that failed, or were sent but not recorded.
    pub fn failures(&self) -> impl Iterator<Item = &Delivery> {
        self.deliveries
            .iter()
            .filter(|d| d.outcome != DeliveryOutcome::Sent)
    }

    /// Whether every message was sent and recorded.
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none()
    }
}

/// Sends what each channel has not been told yet about the findings stored for `tenant`, and
/// records each delivery per channel (see the [module documentation](super) for the rules).
///
/// Channels are served concurrently; one channel's messages are sent in order, most severe
/// first, each recorded as soon as it is accepted. A delivery that still fails after
/// [`NotifyConfig::retry_attempts`] is reported in the summary and left unrecorded: the next
/// call retries it. `now` stamps the records and the messages.
///
/// Errors only when the store cannot be read or the notifiers' names collide; delivery
/// failures are in [`NotifySummary::failures`].
pub async fn notify_findings<S: FindingStore + NotificationStore + ?Sized>(
    store: &S,
    tenant: &str,
    notifiers: &[Arc<dyn Notifier>],
    config: &NotifyConfig,
    now: OffsetDateTime,
) -> Result<NotifySummary, DispatchError> {
    let mut names = HashSet::new();
    for n in notifiers {
        if !names.insert(n.channel()) {
            return Err(DispatchError::DuplicateChannel {
                channel: n.channel().to_owned(),
            });
        }
    }
    let mut summary = NotifySummary::default();
    if notifiers.is_empty() {
        return Ok(summary);
    }

    let mut findings: Vec<Finding> = Vec::new();
    for stored in store.findings(tenant, FindingFilter::default()).await? {
        match serde_json::from_value::<Finding>(stored.json) {
            Ok(f) => findings.push(f),
            Err(e) => {
                return Err(DispatchError::CorruptFinding {
                    fingerprint: stored.fingerprint,
                    source: Box::new(e),
                })
            }
        }
    }
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.last_seen.cmp(&a.last_seen))
            .then_with(|| a.fingerprint.cmp(&b.fingerprint))
    });
    let mut last: HashMap<(String, String), FindingStatus> = HashMap::new();
    for r in store.notifications(tenant).await? {
        last.insert((r.fingerprint, r.channel), r.status);
    }

    let mut silent: Vec<NotificationRecord> = Vec::new();
    let mut plans: Vec<(&Arc<dyn Notifier>, Vec<FindingEvent>)> = Vec::new();
    for notifier in notifiers {
        let channel = notifier.channel();
        let mut events = Vec::new();
        for f in &findings {
            let previous = last
                .get(&(f.fingerprint.as_str().to_owned(), channel.to_owned()))
                .copied();
            match f.status {
                FindingStatus::Open
                    if f.severity >= config.min_severity
                        && previous != Some(FindingStatus::Open) =>
                {
                    let event = if previous == Some(FindingStatus::Resolved) {
                        Event::Reopened
                    } else {
                        Event::Opened
                    };
                    events.push(FindingEvent::new(event, f.clone()));
                }
                FindingStatus::Resolved if previous == Some(FindingStatus::Open) => {
                    if config.notify_resolved {
                        events.push(FindingEvent::new(Event::Resolved, f.clone()));
                    } else {
                        silent.push(NotificationRecord::new(
                            f.fingerprint.as_str(),
                            channel,
                            FindingStatus::Resolved,
                            now,
                        ));
                    }
                }
                _ => {}
            }
        }
        plans.push((notifier, events));
    }
    if !silent.is_empty() {
        store.record_channel_notifications(tenant, &silent).await?;
        summary.resolutions_recorded = silent.len();
    }

    let runs = plans
        .into_iter()
        .filter(|(_, events)| !events.is_empty())
        .map(|(notifier, events)| deliver_channel(store, tenant, &**notifier, events, config, now));
    for deliveries in futures::future::join_all(runs).await {
        summary.deliveries.extend(deliveries);
    }
    Ok(summary)
}

/// Sends one channel's messages in order, recording each once accepted.
async fn deliver_channel<S: FindingStore + NotificationStore + ?Sized>(
    store: &S,
    tenant: &str,
    notifier: &dyn Notifier,
    mut events: Vec<FindingEvent>,
    config: &NotifyConfig,
    now: OffsetDateTime,
) -> Vec<Delivery> {
    let channel = notifier.channel();
    let record = |e: &FindingEvent| {
        NotificationRecord::new(
            e.finding.fingerprint.as_str(),
            channel,
            e.event.status(),
            now,
        )
    };
    let mut messages: Vec<(Notification, Vec<NotificationRecord>)> = Vec::new();
    if config.digest || events.len() > config.digest_threshold {
        let covered: Vec<NotificationRecord> = events.iter().map(record).collect();
        let limit = config.digest_limit.max(1).min(events.len());
        let omitted = events.split_off(limit).len();
        messages.push((Notification::digest(tenant, now, events, omitted), covered));
    } else {
        for e in events {
            let covered = vec![record(&e)];
            messages.push((Notification::finding(tenant, now, e), covered));
        }
    }

    let mut out = Vec::with_capacity(messages.len());
    for (message, covered) in messages {
        let (attempts, result) = send_with_retry(notifier, &message, config).await;
        let (outcome, error) = match result {
            Ok(()) => match store.record_channel_notifications(tenant, &covered).await {
                Ok(()) => {
                    tracing::info!(channel, title = %message.title(), attempts, "notification sent");
                    (DeliveryOutcome::Sent, None)
                }
                Err(e) => {
                    tracing::error!(channel, error = %e, "notification sent but not recorded; it will be sent again");
                    (
                        DeliveryOutcome::SentNotRecorded,
                        Some(format!(
                            "sent, but not recorded ({e}): the next run sends it again"
                        )),
                    )
                }
            },
            Err(e) => {
                let report = e.report();
                tracing::error!(channel, attempts, error = %report, "notification failed; the next run retries it");
                (DeliveryOutcome::Failed, Some(report))
            }
        };
        out.push(Delivery {
            channel: channel.to_owned(),
            digest: message.is_digest(),
            title: message.title(),
            fingerprints: covered.into_iter().map(|r| r.fingerprint).collect(),
            attempts,
            outcome,
            error,
        });
    }
    out
}

/// Sends with retries: a retriable error waits the backoff (or `Retry-After`, capped) and
/// tries again, up to the configured attempts. Returns the attempts made and the last result.
async fn send_with_retry(
    notifier: &dyn Notifier,
    message: &Notification,
    config: &NotifyConfig,
) -> (u32, Result<(), NotifyError>) {
    let attempts = config.retry_attempts.max(1);
    let max = std::time::Duration::from_millis(config.retry_max_delay_ms);
    let mut attempt = 0;
    loop {
        attempt += 1;
        match notifier.send(message).await {
            Ok(()) => return (attempt, Ok(())),
            Err(e) if e.is_retriable() && attempt < attempts => {
                let delay = e
                    .retry_after()
                    .map_or_else(|| config.retry_delay(attempt), |d| d.min(max));
                tracing::warn!(
                    channel = notifier.channel(),
                    attempt,
                    delay_ms = delay.as_millis() as u64,
                    error = %e.report(),
                    "notification failed; retrying"
                );
                tokio::time::sleep(delay).await;
            }
            Err(e) => return (attempt, Err(e)),
        }
    }
}

//! Notifications of findings: e-mail over SMTP, Microsoft Teams and a generic JSON webhook.
//!
//! A [`Notifier`] delivers one [`Notification`] on one channel, in one attempt: either one
//! finding that changed state ([`Notification::Finding`]) or a run's changes in one message
//! ([`Notification::Digest`]). Every notifier renders both. The channels shipped here are
//! [`SmtpNotifier`], [`TeamsNotifier`] and [`WebhookNotifier`], built from a serde-loadable
//! [`NotifyConfig`] by [`NotifyConfig::notifiers`].
//!
//! [`notify_findings`] is the integration with the store: it decides what each channel must be
//! told, sends it with retries and records it per channel.
//!
//! # What is sent, and when
//! - A finding is notified once per **status change, per channel**. The store keeps, for each
//!   (finding, channel), the last status that channel was told about (`finding_notifications`).
//! - An `open` finding at or above [`NotifyConfig::min_severity`] (default `medium`) is sent
//!   when the channel was never told about it (event `finding.opened`) or was last told it was
//!   resolved (`finding.reopened`). A finding below the threshold is neither sent nor
//!   recorded, so it is sent if its severity rises later while it is open.
//! - A `resolved` finding that a channel was told was open is recorded as resolved on that
//!   channel, and sent (`finding.resolved`) only when [`NotifyConfig::notify_resolved`] is set:
//!   recording it either way is what makes a later reopening a change to notify.
//! - `suppressed` findings are never sent nor recorded. A change of severity, evidence or
//!   `last_seen` alone is not a status change and is not notified again.
//!
//! # Delivery guarantees
//! - **Send, then record.** A message is recorded only after the channel accepted it, so a
//!   crash between the two resends that one message (at most once) on the next run, and never
//!   loses it.
//! - **Per channel.** One channel failing does not resend on the others: the next run retries
//!   only what the failed channel was not told.
//! - **Retries.** A retriable failure (connection refused or timed out, HTTP 429 or 5xx, an
//!   SMTP transient `4xx` reply) is retried with exponential backoff
//!   ([`NotifyConfig::retry_attempts`], [`NotifyConfig::retry_base_delay_ms`]; HTTP
//!   `Retry-After` is honoured up to [`NotifyConfig::retry_max_delay_ms`]). A permanent
//!   failure (HTTP 4xx, an SMTP `5xx` reply, an invalid setting) is not retried. Either way,
//!   what still failed is reported in [`NotifySummary`] (channel, findings, error) and left
//!   unrecorded, so the next run tries again: nothing is lost silently.
//!
//! # No flood on a first run
//! Turning notifications on over a store that already holds hundreds of findings must not send
//! hundreds of messages. In per-finding mode, when a run has more than
//! [`NotifyConfig::digest_threshold`] (default 10) messages for one channel, that channel gets
//! one digest instead. A digest lists at most [`NotifyConfig::digest_limit`] (default 25)
//! findings, most severe first, and counts the rest ("and 212 more: run `oort findings`");
//! every finding it covers, listed or counted, is recorded as notified. [`NotifyConfig::digest`]
//! makes every run's messages a digest.
//!
//! # Secrets
//! The SMTP password, the Teams URL (a Workflows or incoming webhook URL carries its signature)
//! and the webhook URL and signing secret are [`secrecy::SecretString`]s: `Debug` of every type
//! here prints `[REDACTED]` for them, and errors name the channel and the HTTP status, never
//! the URL.
//!
//! # Example
//! ```no_run
//! use std::sync::Arc;
//! use oort_checks::notify::{notify_findings, NotifyConfig};
//! use oort_store::SqliteStore;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config: NotifyConfig = serde_json::from_value(serde_json::json!({
//!     "min_severity": "high",
//!     "teams": { "url": "https://example.webhook.office.com/webhookb2/..." },
//! }))?;
//! let notifiers = config.notifiers()?;
//! let store = SqliteStore::open("oort.db")?;
//! let now = time::OffsetDateTime::UNIX_EPOCH; // the caller's clock
//! let summary = notify_findings(&store, "tenant-id", &notifiers, &config, now).await?;
//! for failed in summary.failures() {
//!     eprintln!("{}: {}", failed.channel, failed.error.as_deref().unwrap_or(""));
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Finding, FindingStatus};

mod config;
mod dispatch;
mod email;
mod error;
mod http;
mod render;
mod teams;
mod webhook;

pub use config::{NotifyConfig, SmtpConfig, SmtpSecurity, TeamsConfig, WebhookConfig};
pub use dispatch::{notify_findings, Delivery, DeliveryOutcome, DispatchError, NotifySummary};
pub use email::SmtpNotifier;
pub use error::{NotifyError, NotifyErrorKind};
pub use teams::TeamsNotifier;
pub use webhook::WebhookNotifier;

/// A delivery channel: e-mail, Teams, a webhook, or one of the caller's own.
///
/// [`send`](Notifier::send) makes **one** attempt; retries, backoff and recording are the
/// dispatcher's ([`notify_findings`]). A notifier says through
/// [`NotifyError::is_retriable`] whether another attempt may succeed.
#[async_trait]
pub trait Notifier: Send + Sync + fmt::Debug {
    /// The channel's name, the key under which deliveries are recorded (`email`, `teams`,
    /// `webhook`). Two notifiers given to one dispatch must not share a name.
    fn channel(&self) -> &str;

    /// Delivers `message`.
    async fn send(&self, message: &Notification) -> Result<(), NotifyError>;
}

/// Why a finding is notified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Event {
    /// Open, and never notified on this channel.
    #[serde(rename = "finding.opened")]
    Opened,
    /// Open again after this channel was told it was resolved.
    #[serde(rename = "finding.reopened")]
    Reopened,
    /// Resolved after this channel was told it was open (sent only with
    /// [`NotifyConfig::notify_resolved`]).
    #[serde(rename = "finding.resolved")]
    Resolved,
}

impl Event {
    /// `finding.opened`, `finding.reopened` or `finding.resolved`: the webhook's `event`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Opened => "finding.opened",
            Event::Reopened => "finding.reopened",
            Event::Resolved => "finding.resolved",
        }
    }

    /// `New`, `Reopened` or `Resolved`, for people.
    pub fn label(self) -> &'static str {
        match self {
            Event::Opened => "New",
            Event::Reopened => "Reopened",
            Event::Resolved => "Resolved",
        }
    }

    /// The finding status this event tells about (`open` or `resolved`).
    pub fn status(self) -> FindingStatus {
        match self {
            Event::Opened | Event::Reopened => FindingStatus::Open,
            Event::Resolved => FindingStatus::Resolved,
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding and why it is notified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FindingEvent {
    /// Why.
    pub event: Event,
    /// The finding as stored.
    pub finding: Finding,
}

impl FindingEvent {
    /// `finding` notified for `event`.
    pub fn new(event: Event, finding: Finding) -> Self {
        FindingEvent { event, finding }
    }
}

/// What a notifier delivers: one finding, or a run's findings in one message.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notification {
    /// One finding changed state.
    Finding {
        /// The tenant id.
        tenant: String,
        /// When the notification was made (the dispatcher's `now`).
        at: OffsetDateTime,
        /// The finding and why.
        event: Box<FindingEvent>,
    },
    /// Several findings in one message, most severe first.
    Digest {
        /// The tenant id.
        tenant: String,
        /// When the notification was made (the dispatcher's `now`).
        at: OffsetDateTime,
        /// The findings listed, most severe first.
        events: Vec<FindingEvent>,
        /// How many more findings the digest covers without listing them (beyond
        /// [`NotifyConfig::digest_limit`]).
        omitted: usize,
    },
}

impl Notification {
    /// A notification of one finding.
    pub fn finding(tenant: impl Into<String>, at: OffsetDateTime, event: FindingEvent) -> Self {
        Notification::Finding {
            tenant: tenant.into(),
            at,
            event: Box::new(event),
        }
    }

    /// A digest listing `events` and counting `omitted` more.
    pub fn digest(
        tenant: impl Into<String>,
        at: OffsetDateTime,
        events: Vec<FindingEvent>,
        omitted: usize,
    ) -> Self {
        Notification::Digest {
            tenant: tenant.into(),
            at,
            events,
            omitted,
        }
    }

    /// The tenant id.
    pub fn tenant(&self) -> &str {
        match self {
            Notification::Finding { tenant, .. } | Notification::Digest { tenant, .. } => tenant,
        }
    }

    /// When it was made.
    pub fn at(&self) -> OffsetDateTime {
        match self {
            Notification::Finding { at, .. } | Notification::Digest { at, .. } => *at,
        }
    }

    /// The findings listed (one for [`Notification::Finding`]).
    pub fn events(&self) -> &[FindingEvent] {
        match self {
            Notification::Finding { event, .. } => std::slice::from_ref(&**event),
            Notification::Digest { events, .. } => events,
        }
    }

    /// Findings covered: listed plus omitted.
    pub fn len(&self) -> usize {
        match self {
            Notification::Finding { .. } => 1,
            Notification::Digest {
                events, omitted, ..
            } => events.len() + omitted,
        }
    }

    /// Whether it covers no finding (an empty digest; never sent by the dispatcher).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether it is a digest.
    pub fn is_digest(&self) -> bool {
        matches!(self, Notification::Digest { .. })
    }

    /// A one-line title: `[HIGH] New: password-spray - IP 203.0.113.7` for a finding,
    /// `3 findings to review (2 new, 1 reopened; most severe: high)` for a digest (the
    /// new/reopened counts only when every finding is listed).
    pub fn title(&self) -> String {
        render::title(self)
    }

    /// The plain-text rendering (the e-mail body): title, severity, summary, evidence, first
    /// and last seen for each finding.
    pub fn text(&self) -> String {
        render::text(self)
    }
}

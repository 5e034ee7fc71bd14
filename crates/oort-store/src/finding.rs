//! Findings as the store keeps them, and the notifications sent about them.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::names::stored_names;

stored_names! {
    /// Whether a finding comes from directory state or from sign-in events.
    pub enum FindingKind ("finding kind") {
        /// Computed from a directory snapshot; open while the state holds, resolved when fixed.
        Posture = "posture",
        /// Computed from sign-ins in time order; carries the events that made it fire.
        Threat = "threat",
    }
}

stored_names! {
    /// How urgent a finding is. Ordered: `Info < Low < Medium < High < Critical`.
    pub enum Severity ("severity") {
        /// For information (e.g. a licence gap).
        Info = "info",
        /// Low.
        Low = "low",
        /// Medium.
        Medium = "medium",
        /// High.
        High = "high",
        /// Critical.
        Critical = "critical",
    }
}

stored_names! {
    /// The state of a finding (also the state a notification told a channel about).
    pub enum FindingStatus ("finding status") {
        /// Needs attention.
        Open = "open",
        /// The state was fixed (posture) or an operator closed it.
        Resolved = "resolved",
        /// An operator muted it; it is still updated, never reopened or notified.
        Suppressed = "suppressed",
    }
}

impl Default for FindingStatus {
    /// A new finding is open.
    fn default() -> Self {
        FindingStatus::Open
    }
}

/// A finding as the store keeps it: the columns findings are listed and de-duplicated by, and the
/// finding's full JSON (its shape belongs to `oort-checks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredFinding {
    /// Stable fingerprint: the de-duplication key across runs.
    pub fingerprint: String,
    /// The check's catalogue id, e.g. `password-spray`.
    pub check_id: String,
    /// Posture or threat.
    pub kind: FindingKind,
    /// How urgent it is.
    pub severity: Severity,
    /// Open, resolved or suppressed.
    pub status: FindingStatus,
    /// The subject in display form (a UPN, an IP, an application and key id, the tenant).
    pub subject: String,
    /// One-line summary.
    pub summary: String,
    /// When the finding was first seen.
    #[serde(with = "entra_model::timestamp")]
    pub first_seen: OffsetDateTime,
    /// When it was last seen.
    #[serde(with = "entra_model::timestamp")]
    pub last_seen: OffsetDateTime,
    /// The status last notified, if any (a notification is sent once per status change).
    pub notified_status: Option<FindingStatus>,
    /// When it was notified.
    #[serde(with = "entra_model::timestamp::option")]
    pub notified_at: Option<OffsetDateTime>,
    /// The whole finding as JSON.
    pub json: serde_json::Value,
}

impl StoredFinding {
    /// A finding record; `notified_*` start empty.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        fingerprint: impl Into<String>,
        check_id: impl Into<String>,
        kind: FindingKind,
        severity: Severity,
        status: FindingStatus,
        subject: impl Into<String>,
        summary: impl Into<String>,
        first_seen: OffsetDateTime,
        last_seen: OffsetDateTime,
        json: serde_json::Value,
    ) -> Self {
        StoredFinding {
            fingerprint: fingerprint.into(),
            check_id: check_id.into(),
            kind,
            severity,
            status,
            subject: subject.into(),
            summary: summary.into(),
            first_seen,
            last_seen,
            notified_status: None,
            notified_at: None,
            json,
        }
    }
}

/// That one status of a finding was notified on one channel: a row of `finding_notifications`.
///
/// Notifications are recorded per channel (e-mail, Teams, a webhook...), so that a channel that
/// failed is retried on the next run without resending on the channels that succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationRecord {
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// The channel's name, as the notifier names itself (e.g. `email`, `teams`, `webhook`).
    pub channel: String,
    /// The finding status this channel was told about.
    pub status: FindingStatus,
    /// When it was recorded.
    #[serde(with = "entra_model::timestamp")]
    pub notified_at: OffsetDateTime,
}

impl NotificationRecord {
    /// A record of `status` of finding `fingerprint` notified on `channel` at `notified_at`.
    pub fn new(
        fingerprint: impl Into<String>,
        channel: impl Into<String>,
        status: FindingStatus,
        notified_at: OffsetDateTime,
    ) -> Self {
        NotificationRecord {
            fingerprint: fingerprint.into(),
            channel: channel.into(),
            status,
            notified_at,
        }
    }
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FindingFilter {
    /// Only this status.
    pub status: Option<FindingStatus>,
    /// Only this check.
    pub check_id: Option<String>,
}

impl FindingFilter {
    /// Findings of one status.
    pub fn status(status: FindingStatus) -> Self {
        FindingFilter {
            status: Some(status),
            check_id: None,
        }
    }
}

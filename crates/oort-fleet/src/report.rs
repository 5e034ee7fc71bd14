//! What a cycle, and a watch of cycles, did.

use oort_checks::notify::NotifySummary;
use oort_checks::ChecksSummary;
use oort_collector::{CollectionReport, WatchSummary};
use serde::Serialize;

use crate::FleetError;

/// What the checks and notifications after a collection did.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Analysis {
    /// What the checks changed.
    pub checks: ChecksSummary,
    /// What was sent, when notifications are configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotifySummary>,
}

impl Analysis {
    /// Whether every notification was sent and recorded (true without notifications).
    pub fn is_success(&self) -> bool {
        self.notifications
            .as_ref()
            .is_none_or(NotifySummary::is_success)
    }
}

/// What one cycle did: the collection, then the analysis when the options ask for it.
#[derive(Debug)]
#[non_exhaustive]
pub struct CycleReport {
    /// The collection's report.
    pub collection: CollectionReport,
    /// The checks and notifications: `None` when the options ask for neither, an error when
    /// the checks or the dispatch failed (the next cycle runs them again).
    pub analysis: Option<Result<Analysis, FleetError>>,
}

impl CycleReport {
    /// The checks' summary, when they ran.
    pub fn checks(&self) -> Option<&ChecksSummary> {
        self.analysis().map(|a| &a.checks)
    }

    /// The notifications' summary, when they ran.
    pub fn notifications(&self) -> Option<&NotifySummary> {
        self.analysis().and_then(|a| a.notifications.as_ref())
    }

    /// The analysis, when it ran and did not fail.
    pub fn analysis(&self) -> Option<&Analysis> {
        self.analysis.as_ref().and_then(|r| r.as_ref().ok())
    }

    /// Why the checks or the notifications failed, when they did.
    pub fn analysis_error(&self) -> Option<&FleetError> {
        self.analysis.as_ref().and_then(|r| r.as_ref().err())
    }

    /// Whether the checks or the dispatch failed, or a notification was not delivered.
    pub fn analysis_failed(&self) -> bool {
        match &self.analysis {
            None => false,
            Some(Ok(a)) => !a.is_success(),
            Some(Err(_)) => true,
        }
    }

    /// Whether no stream failed and the analysis (when it ran) succeeded.
    pub fn is_success(&self) -> bool {
        self.collection.is_success() && !self.analysis_failed()
    }
}

/// What a [`Pipeline::watch`](crate::Pipeline::watch) did: the collections' counts and last
/// report, and how many cycles had a failed analysis.
#[derive(Debug, Clone, Default, Serialize)]
#[non_exhaustive]
pub struct WatchReport {
    /// The collections.
    #[serde(flatten)]
    pub collection: WatchSummary,
    /// Cycles whose checks or notifications failed ([`CycleReport::analysis_failed`]).
    pub analysis_failures: u64,
}

impl WatchReport {
    /// Whether every collection and every analysis succeeded.
    pub fn is_success(&self) -> bool {
        self.collection.is_success() && self.analysis_failures == 0
    }
}

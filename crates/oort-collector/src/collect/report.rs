//! What a run reports: each stream's outcome and counts, the run's report, the schedule's
//! summary, and the progress events sent while it runs.

use serde::Serialize;
use time::OffsetDateTime;

use oort_store::{PruneSummary, SkipCause, StreamKind, WriteSummary};

/// How a stream ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamStatus {
    /// Everything in the window was stored.
    Succeeded,
    /// Not collected: switched off, or a permission or licence is missing (the reason says which
    /// and what to do). Not a failure.
    Skipped {
        /// Why, for a person.
        reason: String,
        /// Why, for a program.
        cause: SkipCause,
    },
    /// Stopped by cancellation after saving its checkpoint; the next run resumes it.
    Cancelled,
    /// Failed; the checkpoint before the failure is kept.
    Failed {
        /// What went wrong.
        error: String,
    },
}

/// What one stream did in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StreamReport {
    /// The stream.
    pub stream: StreamKind,
    /// How it ended.
    #[serde(flatten)]
    pub status: StreamStatus,
    /// Items written for the first time.
    pub inserted: u64,
    /// Items written again (the overlap, changed objects).
    pub updated: u64,
    /// Items marked removed or deleted.
    pub removed: u64,
    /// Pages fetched.
    pub pages: u64,
    /// Items set aside because this version's models do not read them (stored in the store's
    /// rejected items, with their JSON and the error; the rest of their pages was stored).
    pub rejected: u64,
    /// Wall time of the stream in milliseconds (from the injected clock).
    pub duration_ms: i64,
}

/// The report of a collection run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CollectionReport {
    /// Run id.
    pub run_id: String,
    /// Start.
    #[serde(with = "entra_model::timestamp")]
    pub started_at: OffsetDateTime,
    /// End.
    #[serde(with = "entra_model::timestamp")]
    pub finished_at: OffsetDateTime,
    /// One report per stream.
    pub streams: Vec<StreamReport>,
    /// What the retention deleted after the streams ([`CollectorConfig::retention`](crate::CollectorConfig::retention)).
    pub pruned: PruneSummary,
    /// The local clock's distance from Graph's (Graph's `Date` header minus the local clock),
    /// in seconds, when it is more than [`CLOCK_SKEW_WARNING`](crate::CLOCK_SKEW_WARNING) off.
    /// The windows of the activity logs end by Graph's clock either way; this says that the
    /// machine's clock needs fixing (it also decides token and schedule times).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_skew_seconds: Option<i64>,
}

impl CollectionReport {
    /// Whether no stream failed (skipped streams are not failures).
    pub fn is_success(&self) -> bool {
        !self
            .streams
            .iter()
            .any(|s| matches!(s.status, StreamStatus::Failed { .. }))
    }

    /// The report of one stream.
    pub fn stream(&self, kind: StreamKind) -> Option<&StreamReport> {
        self.streams.iter().find(|s| s.stream == kind)
    }
}

/// What [`Collector::retry_rejected`](crate::Collector::retry_rejected) did for one stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct RetryReport {
    /// The stream.
    pub stream: StreamKind,
    /// Rejected items read again.
    pub retried: u64,
    /// Those that now read: stored, and removed from the rejected items.
    pub stored: u64,
    /// Those that still do not read (kept, with the current error).
    pub still_rejected: u64,
}

/// What a [`Collector::run_every`](crate::Collector::run_every) loop did: counts, and the last run's report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WatchSummary {
    /// Runs completed.
    pub runs: u64,
    /// Runs in which at least one stream failed.
    pub failed_runs: u64,
    /// The last run's report (`None` when cancelled before the first run).
    pub last: Option<CollectionReport>,
}

impl WatchSummary {
    /// Runs in which no stream failed.
    pub fn succeeded_runs(&self) -> u64 {
        self.runs - self.failed_runs
    }

    /// Whether every run succeeded.
    pub fn is_success(&self) -> bool {
        self.failed_runs == 0
    }
}

/// Progress events, for progress bars and logs. The library prints nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A stream started.
    StreamStarted {
        /// The stream.
        stream: StreamKind,
    },
    /// A page was stored.
    PageStored {
        /// The stream.
        stream: StreamKind,
        /// Items in the page.
        items: usize,
        /// What the write changed.
        summary: WriteSummary,
    },
    /// A time slice of a windowed stream is completely stored.
    SliceDone {
        /// The stream.
        stream: StreamKind,
        /// Slice start.
        start: OffsetDateTime,
        /// Slice end.
        end: OffsetDateTime,
    },
    /// A request of the stream waited for Graph's throttle: paced by the client-side limiter
    /// (the budget of its throttle class is in use) or told to retry later by Graph (429, 503).
    Throttled {
        /// The stream.
        stream: StreamKind,
        /// How long the request waits.
        wait: std::time::Duration,
        /// Graph's status when Graph answered (429, 503, 504), `None` when the client-side
        /// limiter paced the request before sending it.
        status: Option<u16>,
    },
    /// A stream ended (see its report for how).
    StreamFinished {
        /// Its report.
        report: StreamReport,
    },
    /// A collection run ended and its record is stored: every stream has finished. Under
    /// [`Collector::run_every`](crate::Collector::run_every), one per run, before the wait for the next.
    RunFinished {
        /// The run's report.
        report: CollectionReport,
    },
}

impl StreamReport {
    /// An empty report of `stream`, succeeded until told otherwise.
    pub(super) fn new(stream: StreamKind) -> Self {
        StreamReport {
            stream,
            status: StreamStatus::Succeeded,
            inserted: 0,
            updated: 0,
            removed: 0,
            pages: 0,
            rejected: 0,
            duration_ms: 0,
        }
    }

    /// Counts one stored page.
    pub(super) fn count_page(&mut self, summary: WriteSummary) {
        self.count_pages(summary, 1);
    }

    /// Counts `pages` pages stored together.
    pub(super) fn count_pages(&mut self, summary: WriteSummary, pages: u64) {
        self.inserted += summary.inserted;
        self.updated += summary.updated;
        self.removed += summary.removed;
        self.pages += pages;
    }
}

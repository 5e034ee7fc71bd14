//! Collection: the streams, their windows and checkpoints, and the run report.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

use entra_auth::Clock;
use entra_model::{
    Application, ConditionalAccessPolicy, DirectoryAudit, DirectoryObject, DirectoryRole, Group,
    ManagedDevice, PermissionSet, Raw, RiskDetection, RiskyUser, ServicePrincipal, SignIn, User,
    UserRegistrationDetails,
};
use futures::{FutureExt, Stream, TryStreamExt};
use graph_client::{
    ApiVersion, Continuation, GraphClient, GraphError, GraphRequest, Page, PageStream, RequestEvent,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tokio::sync::mpsc::UnboundedSender;

use crate::connectivity::{classify, CapabilityStatus};
use oort_store::prelude::*;
use oort_store::{
    Batch, Checkpoint, CollectionRun, PruneSummary, RunStatus, SkipCause, SnapshotScope,
    StoreError, StreamKind, WriteContext, WriteSummary,
};

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
    /// What the retention deleted after the streams ([`CollectorConfig::retention`]).
    pub pruned: PruneSummary,
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

/// What a [`Collector::run_every`] loop did: counts, and the last run's report.
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
    /// [`Collector::run_every`], one per run, before the wait for the next.
    RunFinished {
        /// The run's report.
        report: CollectionReport,
    },
}

/// A handle that stops a collection cleanly: the page in hand is stored with its checkpoint,
/// then the run ends. Clones share the same flag.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle(Arc<AtomicBool>);

impl CancelHandle {
    /// A handle not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the collection to stop after the page in hand.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Collection settings. Defaults follow `DESIGN.md`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CollectorConfig {
    /// How far back the first run reaches. Default: 30 days.
    #[serde(with = "duration_secs")]
    pub backfill: Duration,
    /// How far behind the watermark later runs start again (sign-ins appear late). Default: 30 min.
    #[serde(with = "duration_secs")]
    pub overlap: Duration,
    /// How far behind now a window ends. Default: 2 min.
    #[serde(with = "duration_secs")]
    pub settle_delay: Duration,
    /// Longest time slice a window is cut into (each slice is one query, checkpointed on its own
    /// with its nextLink). Default: 31 days, i.e. a 30-day backfill or an incremental window is
    /// one query: under the reports throttle (5 requests / 10 s) a small tenant then costs one
    /// request per stream, and a large one pages through full pages. Shorter slices advance the
    /// watermark sooner during a long backfill.
    #[serde(with = "duration_secs")]
    pub slice: Duration,
    /// Page size of sign-in and audit queries (Graph's maximum is 1,000). Default: 1,000.
    pub page_size: u32,
    /// Most slices of one time-windowed stream fetched at once. A slice whose first page is full
    /// is split (its remaining time range cut into pieces fetched concurrently), and the number
    /// fetched at once adapts to the throttle: it grows while requests go out without waiting,
    /// holds while the client-side limiter paces them (the budget is in use: more would only
    /// queue), and halves on a 429 or 503. Default: 4. 1 fetches slices one after the other.
    pub max_concurrency: usize,
    /// Collect Intune managed devices (Intune is optional). Default: false.
    pub devices: bool,
    /// Streams switched off by configuration. Default: none.
    pub disabled: Vec<StreamKind>,
    /// How long sign-ins and directory audit entries are kept: after each run, those older than
    /// this (by their own time) are deleted. `None` keeps everything. Keep at least the
    /// backfill (less deletes what a first run fetched) and the analysis's look-back (8 days by
    /// default). Default: `None`.
    #[serde(default, with = "opt_duration_secs")]
    pub retention: Option<Duration>,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            backfill: Duration::days(30),
            overlap: Duration::minutes(30),
            settle_delay: Duration::minutes(2),
            slice: Duration::days(31),
            page_size: 1_000,
            max_concurrency: 4,
            devices: false,
            disabled: Vec::new(),
            retention: None,
        }
    }
}

mod opt_duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.whole_seconds()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<i64>::deserialize(d).map(|v| v.map(Duration::seconds))
    }
}

mod duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.whole_seconds())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::seconds)
    }
}

/// A group of pages being written in the background (see `Collector::drain`).
struct InFlightWrite {
    write: tokio::task::JoinHandle<Result<WriteSummary, StoreError>>,
    pages: u64,
    items: usize,
    done: Vec<Slice>,
}

/// Why a stream's work stopped early.
enum StreamError {
    Graph(GraphError),
    Store(StoreError),
    Cancelled,
    /// A stream of the store's vocabulary that this collector cannot collect.
    Unknown(StreamKind),
}

impl From<GraphError> for StreamError {
    fn from(e: GraphError) -> Self {
        StreamError::Graph(e)
    }
}

impl From<StoreError> for StreamError {
    fn from(e: StoreError) -> Self {
        StreamError::Store(e)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slice {
    #[serde(with = "entra_model::timestamp")]
    start: OffsetDateTime,
    #[serde(with = "entra_model::timestamp")]
    end: OffsetDateTime,
    continuation: Option<Continuation>,
}

impl Slice {
    fn key(&self) -> SliceKey {
        (self.start, self.end)
    }
}

/// A slice's identity: its range (the slices of a window never overlap).
type SliceKey = (OffsetDateTime, OffsetDateTime);

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct WindowState {
    /// Everything before it is stored.
    #[serde(with = "entra_model::timestamp::option", default)]
    watermark: Option<OffsetDateTime>,
    /// The slices not completely stored yet, oldest first.
    #[serde(default)]
    pending: Vec<Slice>,
    /// The end of the window being collected.
    #[serde(with = "entra_model::timestamp::option", default)]
    window_end: Option<OffsetDateTime>,
}

impl WindowState {
    /// The slice is completely stored.
    fn finish(&mut self, key: SliceKey) {
        self.pending.retain(|s| s.key() != key);
        if self.window_end.is_none() && self.pending.is_empty() {
            // A state saved before windows had an end: the last slice's end is the window's.
            self.window_end = Some(key.1);
        }
        self.advance();
    }

    /// The slice's next page is at `continuation`.
    fn set_continuation(&mut self, key: SliceKey, continuation: Option<Continuation>) {
        if let Some(s) = self.pending.iter_mut().find(|s| s.key() == key) {
            s.continuation = continuation;
        }
    }

    /// The slice is split: what is left of it is `pieces`.
    fn replace(&mut self, key: SliceKey, pieces: Vec<Slice>) {
        self.pending.retain(|s| s.key() != key);
        self.pending.extend(pieces);
        self.pending.sort_by_key(|s| s.start);
        self.advance();
    }

    /// Moves the watermark up to the oldest slice still pending (or the window's end).
    fn advance(&mut self) {
        let mark = match self.pending.iter().map(|s| s.start).min() {
            Some(start) => Some(start),
            None => self.window_end,
        };
        if let Some(mark) = mark {
            self.watermark = Some(self.watermark.map_or(mark, |w| w.max(mark)));
        }
    }

    /// Pending slices not being fetched.
    fn unstarted<T>(&self, active: &[ActiveSlice<T>]) -> usize {
        self.pending
            .iter()
            .filter(|s| !active.iter().any(|a| a.key == s.key()))
            .count()
    }
}

/// A slice being fetched.
struct ActiveSlice<T> {
    key: SliceKey,
    /// No page of it has been seen since its query started (its first page may split it).
    fresh: bool,
    pages: PageStream<Raw<T>>,
}

/// What a time-windowed stream queries.
struct WindowQuery<'a, T> {
    kind: StreamKind,
    request: &'a (dyn Fn() -> GraphRequest + Sync),
    field: &'a str,
    extra_filter: Option<&'a str>,
    batch: fn(Vec<Raw<T>>) -> Batch,
}

/// An item of a time-windowed stream: its time.
trait Timed {
    fn time(&self) -> Option<OffsetDateTime>;
}

impl Timed for SignIn {
    fn time(&self) -> Option<OffsetDateTime> {
        self.created_date_time
    }
}

impl Timed for DirectoryAudit {
    fn time(&self) -> Option<OffsetDateTime> {
        self.activity_date_time
    }
}

/// The next page of any active slice, polling them in turn (from `turn`) for fairness.
async fn next_page<T>(
    active: &mut [ActiveSlice<T>],
    turn: usize,
) -> (usize, Option<Result<Page<Raw<T>>, GraphError>>)
where
    T: DeserializeOwned + Send + 'static,
{
    let n = active.len();
    futures::future::poll_fn(|cx| {
        for k in 0..n {
            let i = (turn + k) % n;
            if let std::task::Poll::Ready(x) =
                std::pin::Pin::new(&mut active[i].pages).poll_next(cx)
            {
                return std::task::Poll::Ready((i, x));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// The pieces a slice is split into after its first page, or none. Graph answers newest first:
/// a full first page holds every item from its oldest item's second (`cut`) to the slice's end,
/// so what is left is `[start, cut)`. Its size is estimated from the page's density; it is cut
/// into equal time pieces of two pages or more each (a piece's partly filled last page is the
/// cost of a split), at most `2 * max`.
fn split_pieces<T: Timed>(
    slice: &Slice,
    items: &[Raw<T>],
    page_size: u32,
    max: usize,
) -> Vec<Slice> {
    if items.len() < page_size as usize {
        return Vec::new();
    }
    let Some(oldest) = items.iter().filter_map(|r| r.value().time()).min() else {
        return Vec::new();
    };
    let cut = floor_seconds(oldest) + Duration::SECOND;
    if oldest < slice.start || cut >= slice.end {
        return Vec::new();
    }
    let covered = (slice.end - oldest).as_seconds_f64();
    let rest = (cut - slice.start).whole_seconds();
    if covered <= 0.0 || rest < 2 {
        return Vec::new();
    }
    let pages_left = rest as f64 / covered;
    // Up to twice as many pieces as run at once: when one ends early (sign-ins are not evenly
    // spread over time), another is waiting, and the tail of the window is not one slice alone.
    let pieces = ((pages_left / 2.0).floor() as usize).min(2 * max);
    if pieces < 2 {
        return Vec::new();
    }
    let step = (rest / pieces as i64).max(1);
    let mut out = Vec::with_capacity(pieces);
    let mut start = slice.start;
    for k in 0..pieces {
        let end = if k + 1 == pieces {
            cut
        } else {
            (start + Duration::seconds(step)).min(cut)
        };
        if start < end {
            out.push(Slice {
                start,
                end,
                continuation: None,
            });
        }
        start = end;
    }
    out
}

/// Throttle feedback of one stream, counted by its request observer.
#[derive(Debug, Default)]
struct Feedback {
    paced: AtomicU32,
    throttled: AtomicU32,
}

/// Most items written in one transaction by a time-windowed stream (pages ready at once).
const GROUP_ITEMS: usize = 4_000;

/// Paced waits shorter than this are the limiter smoothing a burst, not a budget in use.
const PACED_SIGNAL: std::time::Duration = std::time::Duration::from_millis(100);
/// Waits shorter than this are not worth a progress event.
const THROTTLED_EVENT: std::time::Duration = std::time::Duration::from_millis(250);

impl Feedback {
    /// The number of slices to fetch at once after a page: halved on a throttling answer, held
    /// while the limiter paces requests, one more otherwise (at most `max`).
    fn next_target(&self, target: usize, max: usize) -> usize {
        let throttled = self.throttled.swap(0, Ordering::Relaxed);
        let paced = self.paced.swap(0, Ordering::Relaxed);
        if throttled > 0 {
            (target / 2).max(1)
        } else if paced > 0 {
            target.min(max)
        } else {
            (target + 1).min(max)
        }
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct DeltaState {
    /// Mid-round position (a nextLink), if a round was interrupted.
    #[serde(default)]
    continuation: Option<Continuation>,
    /// The deltaLink of the last completed round.
    #[serde(default)]
    delta_link: Option<Continuation>,
    /// Start of the full sync in progress, if any (for reconciling what vanished).
    #[serde(with = "entra_model::timestamp::option", default)]
    full_sync_started: Option<OffsetDateTime>,
}

const STATE_KEY: &str = "state";

/// Collects a tenant into a [`Store`] through a [`GraphClient`].
#[derive(Clone)]
pub struct Collector {
    client: GraphClient,
    store: Arc<dyn Store>,
    tenant: String,
    granted: PermissionSet,
    clock: Arc<dyn Clock>,
    config: CollectorConfig,
    progress: Option<UnboundedSender<Progress>>,
    cancel: CancelHandle,
}

impl fmt::Debug for Collector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Collector")
            .field("tenant", &self.tenant)
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

fn filter_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn floor_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

impl Collector {
    /// A collector for `tenant` writing into `store`. `granted` are the app's permissions (the
    /// token's roles, e.g. from the connectivity report): streams without them are skipped.
    pub fn new(
        client: GraphClient,
        store: Arc<dyn Store>,
        tenant: impl Into<String>,
        granted: PermissionSet,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Collector {
            client,
            store,
            tenant: tenant.into(),
            granted,
            clock,
            config: CollectorConfig::default(),
            progress: None,
            cancel: CancelHandle::new(),
        }
    }

    /// Sets the configuration. Default: [`CollectorConfig::default`].
    pub fn config(mut self, config: CollectorConfig) -> Self {
        self.config = config;
        self
    }

    /// Sends progress events to `sender`. Default: none.
    pub fn progress(mut self, sender: UnboundedSender<Progress>) -> Self {
        self.progress = Some(sender);
        self
    }

    /// Uses `cancel` to stop runs cleanly. Default: a handle nobody holds.
    pub fn cancel_handle(mut self, cancel: CancelHandle) -> Self {
        self.cancel = cancel;
        self
    }

    /// The request observer of a stream: counts throttle feedback and reports long waits.
    fn observer(&self, stream: StreamKind, feedback: Arc<Feedback>) -> graph_client::Observer {
        let progress = self.progress.clone();
        Arc::new(move |event: &RequestEvent| {
            let (wait, status) = match event {
                RequestEvent::Paced { wait, .. } => {
                    if *wait >= PACED_SIGNAL {
                        feedback.paced.fetch_add(1, Ordering::Relaxed);
                    }
                    (*wait, None)
                }
                RequestEvent::Retrying { wait, status, .. } => {
                    if event.is_throttled() {
                        feedback.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    match status {
                        Some(_) => (*wait, *status),
                        None => return,
                    }
                }
                _ => return,
            };
            if let Some(tx) = &progress {
                if wait >= THROTTLED_EVENT || status.is_some() {
                    let _ = tx.send(Progress::Throttled {
                        stream,
                        wait,
                        status,
                    });
                }
            }
        })
    }

    fn emit(&self, event: Progress) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(event);
        }
    }

    fn ctx(&self) -> WriteContext<'_> {
        WriteContext {
            tenant: &self.tenant,
            now: self.clock.now(),
        }
    }

    /// One collection of every enabled stream ("Collect Now"). A stream that lacks a permission
    /// or licence is skipped with the reason and the others go on; a failed stream keeps its
    /// checkpoint and does not stop the others.
    pub async fn collect_now(&self) -> Result<CollectionReport, StoreError> {
        let started_at = self.clock.now();
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let run_id = format!(
            "run-{}-{}",
            started_at.unix_timestamp_nanos(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        );
        let mut run = CollectionRun::new(run_id.clone(), started_at);
        self.store.record_run(&self.tenant, &run).await?;
        // Two lanes at once: the time-windowed streams (reports API: sign-ins and audits, each
        // its own task sharing the reports budget) and the directory streams, in order (sign-in
        // activity is written onto the users the users stream stored).
        let one = |kind: StreamKind| async move {
            let report = self.run_stream(kind).await;
            self.emit(Progress::StreamFinished {
                report: report.clone(),
            });
            report
        };
        let windowed = futures::future::join_all(
            StreamKind::ALL
                .iter()
                .filter(|k| k.is_windowed())
                .map(|&k| one(k)),
        );
        let directory = async {
            let mut reports = Vec::new();
            for &kind in StreamKind::ALL.iter().filter(|k| !k.is_windowed()) {
                reports.push(one(kind).await);
            }
            reports
        };
        let (mut streams, directory) = futures::join!(windowed, directory);
        streams.extend(directory);
        streams.sort_by_key(|r| StreamKind::ALL.iter().position(|k| *k == r.stream));
        let pruned = match self.config.retention {
            Some(keep) if !self.cancel.is_cancelled() => {
                self.store
                    .prune(&self.tenant, self.clock.now() - keep)
                    .await?
            }
            _ => PruneSummary::default(),
        };
        let report = CollectionReport {
            run_id,
            started_at,
            finished_at: self.clock.now(),
            streams,
            pruned,
        };
        run.finished_at = Some(report.finished_at);
        run.status = if report.is_success() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        run.report = serde_json::to_value(&report.streams).unwrap_or_default();
        self.store.record_run(&self.tenant, &run).await?;
        self.emit(Progress::RunFinished {
            report: report.clone(),
        });
        Ok(report)
    }

    /// Collects every `interval` (plus up to `jitter` more, so a fleet does not call Graph in
    /// lockstep) until the cancel handle fires. Waits use `tokio::time`, so they follow paused
    /// time in tests. A run that fails to record in the store ends the loop with that error.
    /// Memory does not grow with the number of runs: each run's report goes out as
    /// [`Progress::RunFinished`], and the summary keeps counts and the last report.
    pub async fn run_every(
        &self,
        interval: std::time::Duration,
        jitter: std::time::Duration,
    ) -> Result<WatchSummary, StoreError> {
        self.run_every_then(interval, jitter, async |_: &CollectionReport| {})
            .await
    }

    /// [`Collector::run_every`], awaiting `after_run` with each run's report before the wait
    /// for the next: where a service analyses what was collected and sends its notifications.
    /// Cancellation is checked again after it.
    ///
    /// ```no_run
    /// # async fn demo(collector: oort_collector::Collector) -> Result<(), oort_store::StoreError> {
    /// let every = std::time::Duration::from_secs(15 * 60);
    /// let summary = collector
    ///     .run_every_then(every, every / 10, async |report| {
    ///         let new: u64 = report.streams.iter().map(|s| s.inserted).sum();
    ///         tracing::info!(run = %report.run_id, new, "collected; analysing");
    ///     })
    ///     .await?;
    /// assert_eq!(summary.runs, summary.failed_runs + summary.succeeded_runs());
    /// # Ok(()) }
    /// ```
    pub async fn run_every_then(
        &self,
        interval: std::time::Duration,
        jitter: std::time::Duration,
        mut after_run: impl AsyncFnMut(&CollectionReport),
    ) -> Result<WatchSummary, StoreError> {
        let mut summary = WatchSummary::default();
        while !self.cancel.is_cancelled() {
            let report = self.collect_now().await?;
            summary.runs += 1;
            if !report.is_success() {
                summary.failed_runs += 1;
            }
            after_run(&report).await;
            summary.last = Some(report);
            let deadline = tokio::time::Instant::now() + interval + entra_auth::jitter(jitter);
            // Wake up at least every second to notice cancellation.
            while !self.cancel.is_cancelled() && tokio::time::Instant::now() < deadline {
                let step =
                    (deadline - tokio::time::Instant::now()).min(std::time::Duration::from_secs(1));
                tokio::time::sleep(step).await;
            }
        }
        Ok(summary)
    }

    /// Runs one stream now.
    pub async fn run_stream(&self, kind: StreamKind) -> StreamReport {
        let started = self.clock.now();
        let mut report = StreamReport {
            stream: kind,
            status: StreamStatus::Succeeded,
            inserted: 0,
            updated: 0,
            removed: 0,
            pages: 0,
            duration_ms: 0,
        };
        if self.config.disabled.contains(&kind) {
            report.status = StreamStatus::Skipped {
                reason: "switched off by configuration".to_owned(),
                cause: SkipCause::Disabled,
            };
            return report;
        }
        if kind == StreamKind::ManagedDevices && !self.config.devices {
            report.status = StreamStatus::Skipped {
                reason: "Intune devices are not enabled (set OORT_DEVICES=true)".to_owned(),
                cause: SkipCause::DevicesNotEnabled,
            };
            return report;
        }
        let capability = kind.capability();
        if let Some(clause) = capability.requirement().missing(&self.granted).first() {
            report.status = StreamStatus::Skipped {
                reason: format!("missing_permission: {clause}"),
                cause: SkipCause::MissingPermission {
                    call: clause.call.to_owned(),
                    grant_any_of: clause
                        .any_of
                        .iter()
                        .map(|p| p.as_str().to_owned())
                        .collect(),
                },
            };
            return report;
        }
        if self.cancel.is_cancelled() {
            report.status = StreamStatus::Cancelled;
            return report;
        }
        self.emit(Progress::StreamStarted { stream: kind });
        let feedback = Arc::new(Feedback::default());
        let result = graph_client::observe(
            self.observer(kind, Arc::clone(&feedback)),
            self.dispatch(kind, &mut report, &feedback),
        )
        .await;
        report.status = match result {
            Ok(()) => StreamStatus::Succeeded,
            Err(StreamError::Cancelled) => StreamStatus::Cancelled,
            Err(StreamError::Graph(e)) => match classify(capability, &e) {
                CapabilityStatus::LicenceRequired { licence } => StreamStatus::Skipped {
                    reason: format!("licence_required: needs {}", licence.product_name()),
                    cause: SkipCause::LicenceRequired { licence },
                },
                CapabilityStatus::MissingPermission { call, grant_any_of }
                    if e.is_permission_denied() =>
                {
                    StreamStatus::Skipped {
                        reason: format!("missing_permission: Graph refused {call}: {e}"),
                        cause: SkipCause::MissingPermission {
                            call,
                            grant_any_of: grant_any_of
                                .iter()
                                .map(|p| p.as_str().to_owned())
                                .collect(),
                        },
                    }
                }
                _ => StreamStatus::Failed {
                    error: e.to_string(),
                },
            },
            Err(StreamError::Store(e)) => StreamStatus::Failed {
                error: e.to_string(),
            },
            Err(StreamError::Unknown(kind)) => StreamStatus::Failed {
                error: format!("this oort-collector cannot collect the stream {kind}: upgrade it"),
            },
        };
        report.duration_ms = (self.clock.now() - started).whole_milliseconds() as i64;
        report
    }

    async fn dispatch(
        &self,
        kind: StreamKind,
        report: &mut StreamReport,
        feedback: &Feedback,
    ) -> Result<(), StreamError> {
        let top = self.config.page_size;
        match kind {
            StreamKind::SignIns => {
                let req = move || GraphRequest::get("auditLogs/signIns").top(top);
                self.window::<SignIn>(
                    WindowQuery {
                        kind,
                        request: &req,
                        field: "createdDateTime",
                        extra_filter: None,
                        batch: Batch::SignIns,
                    },
                    report,
                    feedback,
                )
                .await
            }
            StreamKind::NonInteractiveSignIns
            | StreamKind::ServicePrincipalSignIns
            | StreamKind::ManagedIdentitySignIns => {
                let event = match kind {
                    StreamKind::NonInteractiveSignIns => "nonInteractiveUser",
                    StreamKind::ServicePrincipalSignIns => "servicePrincipal",
                    _ => "managedIdentity",
                };
                let req = move || {
                    GraphRequest::get("auditLogs/signIns")
                        .version(ApiVersion::Beta)
                        .prefer("include-unknown-enum-members")
                        .top(top)
                };
                let extra = format!("signInEventTypes/any(t: t eq '{event}')");
                self.window::<SignIn>(
                    WindowQuery {
                        kind,
                        request: &req,
                        field: "createdDateTime",
                        extra_filter: Some(extra.as_str()),
                        batch: Batch::SignIns,
                    },
                    report,
                    feedback,
                )
                .await
            }
            StreamKind::DirectoryAudits => {
                let req = move || GraphRequest::get("auditLogs/directoryAudits").top(top);
                self.window::<DirectoryAudit>(
                    WindowQuery {
                        kind,
                        request: &req,
                        field: "activityDateTime",
                        extra_filter: None,
                        batch: Batch::DirectoryAudits,
                    },
                    report,
                    feedback,
                )
                .await
            }
            StreamKind::Users => {
                let req = || {
                    GraphRequest::get("users/delta").select([
                        "id",
                        "userPrincipalName",
                        "displayName",
                        "givenName",
                        "surname",
                        "mail",
                        "userType",
                        "accountEnabled",
                        "createdDateTime",
                        "creationType",
                        "externalUserState",
                        "onPremisesSyncEnabled",
                        "signInSessionsValidFromDateTime",
                        "assignedLicenses",
                        "identities",
                        "otherMails",
                        "jobTitle",
                        "department",
                    ])
                };
                self.delta::<User>(kind, &req, Batch::Users, SnapshotScope::Users, report)
                    .await
            }
            StreamKind::Groups => {
                let req = || {
                    GraphRequest::get("groups/delta").select([
                        "id",
                        "displayName",
                        "description",
                        "groupTypes",
                        "securityEnabled",
                        "mailEnabled",
                        "mail",
                        "membershipRule",
                        "onPremisesSyncEnabled",
                        "visibility",
                        "isAssignableToRole",
                        "createdDateTime",
                        "members",
                    ])
                };
                self.delta::<Group>(kind, &req, Batch::Groups, SnapshotScope::Groups, report)
                    .await?;
                Ok(())
            }
            StreamKind::SignInActivity => {
                // 500 per page is the documented maximum with signInActivity.
                let mut stream: PageStream<Raw<User>> = self.client.pages(
                    GraphRequest::get("users")
                        .select(["id", "signInActivity"])
                        .top(500),
                );
                while let Some(page) = stream.try_next().await? {
                    let items = page.items.len();
                    let summary = self
                        .store
                        .write(self.ctx(), Batch::SignInActivity(page.items), None)
                        .await?;
                    Self::count(report, summary);
                    self.emit(Progress::PageStored {
                        stream: kind,
                        items,
                        summary,
                    });
                }
                Ok(())
            }
            StreamKind::DirectoryRoles => self.directory_roles(report).await,
            StreamKind::Applications => {
                let req = GraphRequest::get("applications")
                    .select([
                        "id",
                        "appId",
                        "displayName",
                        "createdDateTime",
                        "signInAudience",
                        "passwordCredentials",
                        "keyCredentials",
                        "publisherDomain",
                    ])
                    .top(999);
                self.snapshot::<Application>(
                    kind,
                    req,
                    Batch::Applications,
                    SnapshotScope::Applications,
                    report,
                )
                .await
            }
            StreamKind::ServicePrincipals => {
                let req = GraphRequest::get("servicePrincipals")
                    .select([
                        "id",
                        "appId",
                        "displayName",
                        "servicePrincipalType",
                        "appOwnerOrganizationId",
                        "accountEnabled",
                        "passwordCredentials",
                        "keyCredentials",
                        "tags",
                    ])
                    .top(999);
                self.snapshot::<ServicePrincipal>(
                    kind,
                    req,
                    Batch::ServicePrincipals,
                    SnapshotScope::ServicePrincipals,
                    report,
                )
                .await
            }
            StreamKind::AuthMethods => {
                let req =
                    GraphRequest::get("reports/authenticationMethods/userRegistrationDetails")
                        .top(999);
                self.snapshot::<UserRegistrationDetails>(
                    kind,
                    req,
                    Batch::RegistrationDetails,
                    SnapshotScope::Items(oort_store::ItemKind::RegistrationDetails),
                    report,
                )
                .await
            }
            StreamKind::RiskyUsers => {
                let req = GraphRequest::get("identityProtection/riskyUsers").top(500);
                self.snapshot::<RiskyUser>(
                    kind,
                    req,
                    Batch::RiskyUsers,
                    SnapshotScope::Items(oort_store::ItemKind::RiskyUsers),
                    report,
                )
                .await
            }
            StreamKind::RiskDetections => {
                let req = GraphRequest::get("identityProtection/riskDetections").top(500);
                self.snapshot::<RiskDetection>(
                    kind,
                    req,
                    Batch::RiskDetections,
                    SnapshotScope::Items(oort_store::ItemKind::RiskDetections),
                    report,
                )
                .await
            }
            StreamKind::ConditionalAccessPolicies => {
                let req = GraphRequest::get("identity/conditionalAccess/policies");
                self.snapshot::<ConditionalAccessPolicy>(
                    kind,
                    req,
                    Batch::ConditionalAccessPolicies,
                    SnapshotScope::Items(oort_store::ItemKind::ConditionalAccessPolicies),
                    report,
                )
                .await
            }
            StreamKind::ManagedDevices => {
                let req = GraphRequest::get("deviceManagement/managedDevices").top(1000);
                self.snapshot::<ManagedDevice>(
                    kind,
                    req,
                    Batch::ManagedDevices,
                    SnapshotScope::Items(oort_store::ItemKind::ManagedDevices),
                    report,
                )
                .await
            }
            other => Err(StreamError::Unknown(other)),
        }
    }

    async fn load_state<S: DeserializeOwned + Default>(
        &self,
        stream: StreamKind,
    ) -> Result<S, StoreError> {
        let checkpoints = self
            .store
            .checkpoints(&self.tenant, stream.as_str())
            .await?;
        Ok(checkpoints
            .into_iter()
            .find(|c| c.key == STATE_KEY)
            .and_then(|c| serde_json::from_value(c.value).ok())
            .unwrap_or_default())
    }

    fn state_checkpoint<S: Serialize>(stream: StreamKind, state: &S) -> Checkpoint {
        Checkpoint::new(
            stream.as_str(),
            STATE_KEY,
            serde_json::to_value(state).unwrap_or_default(),
        )
    }

    fn count(report: &mut StreamReport, s: WriteSummary) {
        Self::count_pages(report, s, 1);
    }

    fn count_pages(report: &mut StreamReport, s: WriteSummary, pages: u64) {
        report.inserted += s.inserted;
        report.updated += s.updated;
        report.removed += s.removed;
        report.pages += pages;
    }

    /// Plans the slices of the window `[from, to)` for a time-windowed stream.
    fn plan(&self, state: &mut WindowState) {
        let now = self.clock.now();
        let to = floor_seconds(now - self.config.settle_delay);
        let from = floor_seconds(match state.watermark {
            Some(w) => w - self.config.overlap,
            None => now - self.config.backfill,
        });
        let mut start = from;
        while start < to {
            let end = (start + self.config.slice).min(to);
            state.pending.push(Slice {
                start,
                end,
                continuation: None,
            });
            start = end;
        }
        if from < to {
            state.window_end = Some(to);
        }
    }

    /// A time-windowed stream: sign-ins or audits in `[from, to)` slices, each checkpointed with
    /// its nextLink; the watermark advances over completely stored slices only. An interrupted
    /// run's slices are finished first, then the window catches up to the present.
    async fn window<T>(
        &self,
        query: WindowQuery<'_, T>,
        report: &mut StreamReport,
        feedback: &Feedback,
    ) -> Result<(), StreamError>
    where
        T: Timed + DeserializeOwned + Send + 'static,
    {
        let kind = query.kind;
        let mut state: WindowState = self.load_state(kind).await?;
        let resumed = !state.pending.is_empty();
        if !resumed {
            self.plan(&mut state);
            self.store
                .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state))
                .await?;
        }
        self.drain(&query, &mut state, report, feedback).await?;
        if resumed {
            self.plan(&mut state);
            if !state.pending.is_empty() {
                self.store
                    .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state))
                    .await?;
                self.drain(&query, &mut state, report, feedback).await?;
            }
        }
        Ok(())
    }

    /// The page stream of a slice: resumed from its nextLink, or a fresh query of its range.
    fn open_slice<T>(&self, q: &WindowQuery<'_, T>, slice: &Slice) -> PageStream<Raw<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        // Slices fetched at once already overlap Graph's latency, and a group of pages is
        // written while the next is gathered: each slice holds one page ahead (not
        // graph-client's default three), which bounds the memory of a concurrent window.
        let stream = match &slice.continuation {
            Some(c) => self.client.resume(c.clone()),
            None => {
                let field = q.field;
                let mut filter = format!(
                    "{field} ge {} and {field} lt {}",
                    filter_time(slice.start),
                    filter_time(slice.end)
                );
                if let Some(extra) = q.extra_filter {
                    filter = format!("{extra} and {filter}");
                }
                self.client.pages((q.request)().filter(filter))
            }
        };
        stream.ahead(1)
    }

    /// Fetches and stores every pending slice. Up to [`CollectorConfig::max_concurrency`] slices
    /// are fetched at once (as many as the throttle feedback allows), their pages stored one at a
    /// time, each with the whole window state as its checkpoint. A slice whose first page is
    /// full is split: Graph answers newest first, so the page holds everything after its oldest
    /// item's second, and the range before it is cut into pieces (their queries start afresh:
    /// one second may be fetched twice, and the upsert by id stores it once).
    async fn drain<T>(
        &self,
        q: &WindowQuery<'_, T>,
        state: &mut WindowState,
        report: &mut StreamReport,
        feedback: &Feedback,
    ) -> Result<(), StreamError>
    where
        T: Timed + DeserializeOwned + Send + 'static,
    {
        let max = self.config.max_concurrency.max(1);
        let mut target = 1usize;
        let mut active: Vec<ActiveSlice<T>> = Vec::new();
        let mut turn = 0usize;
        // The group being written while the next one is gathered. Writes stay in order: every
        // store operation waits for it first, so checkpoints commit in the order they were made.
        let mut in_flight: Option<InFlightWrite> = None;
        loop {
            // Start pending slices, oldest first, up to the target.
            while active.len() < target {
                let Some(slice) = state
                    .pending
                    .iter()
                    .find(|s| !active.iter().any(|a| a.key == s.key()))
                else {
                    break;
                };
                active.push(ActiveSlice {
                    key: slice.key(),
                    fresh: slice.continuation.is_none(),
                    pages: self.open_slice(q, slice),
                });
            }
            if active.is_empty() {
                self.settle(q.kind, &mut in_flight, report).await?;
                return Ok(());
            }
            turn = turn.wrapping_add(1);
            // The next page of any slice, then every page the other slices have ready by now:
            // all go in one transaction (when the store is the slow side, pages queue up and
            // are written together, which rewrites each index page once instead of per page).
            let mut next = state.clone();
            let mut items: Vec<Raw<T>> = Vec::new();
            let mut pages = 0u64;
            let mut done: Vec<Slice> = Vec::new();
            let mut failure: Option<GraphError> = None;
            let mut polled = Some(next_page(&mut active, turn).await);
            while let Some((i, outcome)) = polled.take() {
                let key = active[i].key;
                let Some(slice) = next.pending.iter().find(|s| s.key() == key).cloned() else {
                    // Not reachable (a slice leaves `active` when it leaves `pending`); stop
                    // the group here rather than store a page no slice accounts for.
                    active.remove(i);
                    break;
                };
                match outcome {
                    Some(Err(e)) => {
                        failure = Some(e);
                        break;
                    }
                    None => {
                        // The stream ended without a last page (nothing to read): done.
                        active.remove(i);
                        next.finish(key);
                        done.push(slice);
                    }
                    Some(Ok(page)) => {
                        let fresh = std::mem::replace(&mut active[i].fresh, false);
                        let continuation = page.continuation();
                        let finished = continuation.is_none();
                        let mut split = false;
                        target = feedback.next_target(target, max);
                        if finished {
                            next.finish(key);
                        } else {
                            let running = active.len() + next.unstarted(&active);
                            let pieces = if fresh && running < target {
                                split_pieces(&slice, &page.items, self.config.page_size, max)
                            } else {
                                Vec::new()
                            };
                            if pieces.is_empty() {
                                next.set_continuation(key, continuation);
                            } else {
                                next.replace(key, pieces);
                                split = true;
                            }
                        }
                        items.extend(page.items);
                        pages += 1;
                        if finished || split {
                            // Dropping a split slice's stream stops its prefetch.
                            active.remove(i);
                        }
                        if finished {
                            done.push(slice);
                        }
                    }
                }
                if active.is_empty() || items.len() >= GROUP_ITEMS {
                    break;
                }
                turn = turn.wrapping_add(1);
                polled = next_page(&mut active, turn).now_or_never();
            }
            let stored = items.len();
            let checkpoint = Self::state_checkpoint(q.kind, &next);
            self.settle(q.kind, &mut in_flight, report).await?;
            if pages > 0 {
                // Written in the background while the next group is gathered.
                let (store, tenant, now) =
                    (self.store.clone(), self.tenant.clone(), self.clock.now());
                let batch = (q.batch)(items);
                let write = tokio::spawn(async move {
                    let ctx = WriteContext {
                        tenant: &tenant,
                        now,
                    };
                    store.write(ctx, batch, Some(checkpoint)).await
                });
                in_flight = Some(InFlightWrite {
                    write,
                    pages,
                    items: stored,
                    done,
                });
            } else if !done.is_empty() {
                self.store.save_checkpoint(&self.tenant, checkpoint).await?;
                self.slices_done(q.kind, done);
            }
            *state = next;
            if let Some(e) = failure {
                self.settle(q.kind, &mut in_flight, report).await?;
                return Err(e.into());
            }
            if self.cancel.is_cancelled() {
                self.settle(q.kind, &mut in_flight, report).await?;
                return Err(StreamError::Cancelled);
            }
        }
    }

    /// Waits for the group being written, if any, and reports it.
    async fn settle(
        &self,
        kind: StreamKind,
        in_flight: &mut Option<InFlightWrite>,
        report: &mut StreamReport,
    ) -> Result<(), StreamError> {
        let Some(w) = in_flight.take() else {
            return Ok(());
        };
        let summary = w
            .write
            .await
            .map_err(|e| StoreError::task(format!("write a group of pages: {e}")))??;
        Self::count_pages(report, summary, w.pages);
        self.emit(Progress::PageStored {
            stream: kind,
            items: w.items,
            summary,
        });
        self.slices_done(kind, w.done);
        Ok(())
    }

    fn slices_done(&self, kind: StreamKind, done: Vec<Slice>) {
        for slice in done {
            self.emit(Progress::SliceDone {
                stream: kind,
                start: slice.start,
                end: slice.end,
            });
        }
    }

    /// A delta stream (users, groups): full sync ending with a deltaLink, then changes; a
    /// resync answer starts a full sync that reconciles what vanished.
    async fn delta<T>(
        &self,
        kind: StreamKind,
        request: &(dyn Fn() -> GraphRequest + Sync),
        batch: fn(Vec<Raw<T>>) -> Batch,
        scope: SnapshotScope,
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let mut state: DeltaState = self.load_state(kind).await?;
        let mut resynced = false;
        loop {
            let mut stream: PageStream<Raw<T>> = if let Some(c) = &state.continuation {
                self.client.resume(c.clone())
            } else if let Some(d) = &state.delta_link {
                self.client.resume(d.clone())
            } else {
                state.full_sync_started = Some(self.clock.now());
                self.client.delta(request())
            };
            let outcome: Result<(), StreamError> = async {
                while let Some(page) = stream.try_next().await? {
                    let items = page.items.len();
                    let mut next = state.clone();
                    match (&page.next_link, page.continuation()) {
                        (Some(_), c) => next.continuation = c,
                        (None, c) => {
                            next.continuation = None;
                            next.delta_link = c;
                        }
                    }
                    let summary = self
                        .store
                        .write(
                            self.ctx(),
                            batch(page.items),
                            Some(Self::state_checkpoint(kind, &next)),
                        )
                        .await?;
                    state = next;
                    Self::count(report, summary);
                    self.emit(Progress::PageStored {
                        stream: kind,
                        items,
                        summary,
                    });
                    if state.continuation.is_some() && self.cancel.is_cancelled() {
                        return Err(StreamError::Cancelled);
                    }
                }
                Ok(())
            }
            .await;
            match outcome {
                Err(StreamError::Graph(e)) if e.is_resync_required() && !resynced => {
                    // The deltaLink expired: start over with a full sync that reconciles.
                    resynced = true;
                    state = DeltaState::default();
                    self.store
                        .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state))
                        .await?;
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            if let Some(started) = state.full_sync_started.take() {
                let ctx = self.ctx();
                report.removed += self
                    .store
                    .finish_snapshot(ctx, scope.clone(), started)
                    .await?;
                if scope == SnapshotScope::Groups {
                    report.removed += self
                        .store
                        .finish_snapshot(ctx, SnapshotScope::AllGroupMembers, started)
                        .await?;
                }
                self.store
                    .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state))
                    .await?;
            }
            return Ok(());
        }
    }

    /// A snapshot stream: every page stored, then what was not seen is removed.
    async fn snapshot<T>(
        &self,
        kind: StreamKind,
        request: GraphRequest,
        batch: fn(Vec<Raw<T>>) -> Batch,
        scope: SnapshotScope,
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let started = self.clock.now();
        let mut stream: PageStream<Raw<T>> = self.client.pages(request);
        while let Some(page) = stream.try_next().await? {
            let items = page.items.len();
            let summary = self
                .store
                .write(self.ctx(), batch(page.items), None)
                .await?;
            Self::count(report, summary);
            self.emit(Progress::PageStored {
                stream: kind,
                items,
                summary,
            });
        }
        report.removed += self
            .store
            .finish_snapshot(self.ctx(), scope, started)
            .await?;
        Ok(())
    }

    async fn directory_roles(&self, report: &mut StreamReport) -> Result<(), StreamError> {
        let started = self.clock.now();
        let roles: Vec<Raw<DirectoryRole>> = self
            .client
            .items(GraphRequest::get("directoryRoles"))
            .try_collect()
            .await?;
        for role in roles {
            let members: Vec<DirectoryObject> = self
                .client
                .items(
                    GraphRequest::get(format!("directoryRoles/{}/members", role.value().id))
                        .select(["id", "userPrincipalName", "displayName", "appId"]),
                )
                .try_collect()
                .await?;
            let summary = self
                .store
                .write(self.ctx(), Batch::RoleMembers { role, members }, None)
                .await?;
            Self::count(report, summary);
        }
        report.removed += self
            .store
            .finish_snapshot(self.ctx(), SnapshotScope::RoleMembers, started)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sign_ins(times: &[OffsetDateTime]) -> Vec<Raw<SignIn>> {
        times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let json = format!(
                    r#"{{"id":"s{i}","createdDateTime":"{}"}}"#,
                    entra_model::timestamp::format(t)
                );
                Raw::from_json(&json).unwrap()
            })
            .collect()
    }

    fn slice(start: OffsetDateTime, end: OffsetDateTime) -> Slice {
        Slice {
            start,
            end,
            continuation: None,
        }
    }

    #[test]
    fn a_full_first_page_covering_a_tenth_of_the_slice_splits_the_rest_into_max_pieces() {
        let s = slice(
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-11 0:00 UTC),
        );
        // 10 items over the last day, the oldest at 2025-06-10 00:00:00.5.
        let times: Vec<_> = (0..10)
            .map(|i| datetime!(2025-06-10 0:00:00.5 UTC) + Duration::hours(2 * i))
            .collect();
        let pieces = split_pieces(&s, &sign_ins(&times), 10, 4);
        assert_eq!(pieces.len(), 4, "about 9 pages left: 4 pieces of 2+ pages");
        let pieces = split_pieces(&s, &sign_ins(&times), 10, 1);
        assert_eq!(pieces.len(), 2, "at most twice the concurrency");
        assert_eq!(pieces[0].start, s.start);
        assert_eq!(
            pieces.last().unwrap().end,
            datetime!(2025-06-10 0:00:01 UTC),
            "the rest ends after the oldest item's second"
        );
        for w in pieces.windows(2) {
            assert_eq!(w[0].end, w[1].start, "contiguous, no gap, no overlap");
        }
    }

    #[test]
    fn a_page_that_is_not_full_or_leaves_little_does_not_split() {
        let s = slice(
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-11 0:00 UTC),
        );
        let recent: Vec<_> = (0..10)
            .map(|i| datetime!(2025-06-10 0:00 UTC) + Duration::hours(i))
            .collect();
        assert!(
            split_pieces(&s, &sign_ins(&recent[..9]), 10, 4).is_empty(),
            "not full: the slice is complete"
        );
        // A full page covering 4 of the 10 days: 1.5 pages left, not worth a split.
        let wide: Vec<_> = (0..10)
            .map(|i| datetime!(2025-06-07 0:00 UTC) + Duration::hours(9 * i))
            .collect();
        assert!(split_pieces(&s, &sign_ins(&wide), 10, 4).is_empty());
    }

    #[test]
    fn concurrency_grows_without_waits_holds_when_paced_and_halves_on_throttling() {
        let f = Feedback::default();
        assert_eq!(f.next_target(1, 4), 2);
        assert_eq!(f.next_target(4, 4), 4, "capped at max");
        f.paced.fetch_add(1, Ordering::Relaxed);
        assert_eq!(f.next_target(3, 4), 3, "paced: the budget is in use");
        f.throttled.fetch_add(2, Ordering::Relaxed);
        f.paced.fetch_add(1, Ordering::Relaxed);
        assert_eq!(f.next_target(3, 4), 1);
        assert_eq!(f.next_target(1, 4), 2, "counters reset after each decision");
    }

    #[test]
    fn the_watermark_moves_to_the_oldest_pending_slice_and_to_the_window_end_when_none_is_left() {
        let a = slice(
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-02 0:00 UTC),
        );
        let b = slice(
            datetime!(2025-06-02 0:00 UTC),
            datetime!(2025-06-03 0:00 UTC),
        );
        let mut w = WindowState {
            watermark: Some(datetime!(2025-06-01 0:30 UTC)),
            pending: vec![a.clone(), b.clone()],
            window_end: Some(b.end),
        };
        w.finish(b.key());
        assert_eq!(
            w.watermark,
            Some(datetime!(2025-06-01 0:30 UTC)),
            "a newer slice done first does not move it, nor does an older start move it back"
        );
        w.finish(a.key());
        assert_eq!(w.watermark, Some(b.end));
        assert!(w.pending.is_empty());
    }
}

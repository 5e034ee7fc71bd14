//! Collection: the [`Collector`], one run of every stream and its report.
//!
//! The streams are a table (`streams`): each entry says what the stream reads from Graph and
//! which collection mode drives it: `window` (activity logs in time windows with a watermark),
//! `delta` (users, groups) or `snapshot` (the rest). `schedule` runs collections every interval;
//! `feedback` turns throttle waits into progress events and the windows' concurrency.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use entra_auth::{Clock, TokenCredential};
use entra_model::{PermissionSet, Raw};
use graph_client::{GraphClient, GraphError, Lenient};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

use crate::connectivity::{classify, CapabilityStatus};
use oort_store::prelude::*;
use oort_store::{
    Batch, Checkpoint, CollectionRun, PruneSummary, RunStatus, SkipCause, StoreError, StreamKind,
    WriteContext, WriteSummary,
};

mod config;
mod delta;
mod feedback;
mod lease;
mod rejected;
mod report;
mod schedule;
mod snapshot;
mod streams;
mod window;

pub use config::CollectorConfig;
pub use lease::{CollectError, LeaseOptions};
pub use report::{
    CollectionReport, Progress, RetryReport, StreamReport, StreamStatus, WatchSummary,
};

/// How far the local clock may be from Graph's before a run reports it: 2 minutes (the default
/// settle delay; windows end by Graph's clock either way).
pub const CLOCK_SKEW_WARNING: time::Duration = time::Duration::minutes(2);

use feedback::Feedback;
use streams::{Mode, StreamSpec};

/// A handle that stops a collection cleanly: the page in hand is stored with its checkpoint,
/// then the run ends. Clones share the same flag.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    flag: Arc<AtomicBool>,
    /// Another handle that cancels this one too (a run's lost lease).
    also: Option<Arc<AtomicBool>>,
}

impl CancelHandle {
    /// A handle not yet cancelled.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks the collection to stop after the page in hand.
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
            || self.also.as_ref().is_some_and(|f| f.load(Ordering::SeqCst))
    }

    /// This handle, also cancelled when `other` is (cancelling it cancels this one's flag).
    fn or(&self, other: &CancelHandle) -> CancelHandle {
        CancelHandle {
            flag: Arc::clone(&self.flag),
            also: Some(Arc::clone(&other.flag)),
        }
    }
}

/// Why a stream's work stopped early.
enum StreamError {
    Graph(GraphError),
    Store(StoreError),
    /// The stream's checkpoint cannot be read or written: what, and how to reset it.
    Checkpoint(String),
    Cancelled,
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

/// The key of a stream's checkpoint: its whole state is one value.
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
    lease: LeaseOptions,
    /// Where the granted permissions are read again before each run, when set.
    granted_from: Option<(Arc<dyn TokenCredential>, String)>,
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
            lease: LeaseOptions::default(),
            granted_from: None,
        }
    }

    /// Reads the granted permissions again before every run, from a fresh token of
    /// `credential` for `scope` (its cached token is dropped first), instead of keeping the ones
    /// given to [`Collector::new`]: a service that runs for months sees a permission granted or
    /// withdrawn by the next run, and a credential that reads its secret from a file (rotated
    /// on disk) is asked for a token with the new one. When the token cannot be had, the run
    /// goes on with the permissions given to `new` and the failure shows in its streams.
    pub fn granted_from(
        mut self,
        credential: Arc<dyn TokenCredential>,
        scope: impl Into<String>,
    ) -> Self {
        self.granted_from = Some((credential, scope.into()));
        self
    }

    /// The permissions for the next run (see [`Collector::granted_from`]).
    async fn granted_now(&self) -> PermissionSet {
        let Some((credential, scope)) = &self.granted_from else {
            return self.granted.clone();
        };
        credential.invalidate(scope).await;
        match credential.get_token(scope).await {
            Ok(token) => {
                if token.claims.roles != self.granted {
                    tracing::info!(
                        tenant = %self.tenant,
                        granted = ?token.claims.roles,
                        "the app's granted permissions differ from those at start: using the token's"
                    );
                }
                token.claims.roles
            }
            Err(e) => {
                tracing::warn!(
                    tenant = %self.tenant,
                    "cannot read the granted permissions from a new token ({e}): using those at start"
                );
                self.granted.clone()
            }
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

    /// How collections hold the tenant's lease in the store (owner name, time to live, whether
    /// to wait for another holder). Default: [`LeaseOptions::default`].
    pub fn lease_options(mut self, options: LeaseOptions) -> Self {
        self.lease = options;
        self
    }

    fn emit(&self, event: Progress) {
        if let Some(tx) = &self.progress {
            let _ = tx.send(event);
        }
    }

    /// "Now" by Graph's clock (from the `Date` header of its answers, tracked by the client),
    /// for the ends of the activity windows: sign-ins carry Graph's times, and a local clock
    /// that is off would end a window in Graph's future (its sign-ins then skipped by the next
    /// window, which starts from the watermark) or in its past. When the client has seen no
    /// answer yet, one small request (`GET /organization/{tenant}?$select=id`,
    /// `api-reference/v1.0/api/organization-get.md`; any answer, an error included, carries a
    /// `Date`) tells it. The local clock only when Graph's cannot be read.
    async fn graph_now(&self) -> time::OffsetDateTime {
        if self.client.server_now().is_none() {
            let probe = graph_client::GraphRequest::get(format!("organization/{}", self.tenant))
                .select(["id"]);
            if let Err(e) = self.client.execute(probe).await {
                tracing::debug!(error = %e, "the clock probe failed (its Date is read anyway)");
            }
        }
        match self.client.server_now() {
            Some(now) => now,
            None => {
                tracing::warn!(
                    "Graph's clock could not be read (no Date header): the window ends by the local clock"
                );
                self.clock.now()
            }
        }
    }

    /// How far the local clock is from Graph's, when more than [`CLOCK_SKEW_WARNING`]: warned
    /// once (per run) and returned for the run's report.
    async fn clock_skew(&self) -> Option<time::Duration> {
        let graph = self.graph_now().await;
        let skew = graph - self.clock.now();
        if skew.abs() <= CLOCK_SKEW_WARNING {
            return None;
        }
        tracing::warn!(
            skew_seconds = skew.whole_seconds(),
            "the local clock is {} seconds {} Graph's: collection windows follow Graph's clock, but fix the machine's clock (NTP)",
            skew.whole_seconds().abs(),
            if skew.is_positive() { "behind" } else { "ahead of" }
        );
        Some(skew)
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
    ///
    /// The collection holds the tenant's lease in the store for its whole run (see
    /// [`LeaseOptions`]): taken before the first request, renewed while it runs, given back at
    /// the end. When another collection holds it, this one waits
    /// ([`LeaseOptions::wait`]) or returns [`CollectError::TenantBusy`] naming the holder,
    /// without a request to Graph. A run that loses its lease stops after the page in hand and
    /// returns [`CollectError::LeaseLost`] (its run is recorded).
    pub async fn collect_now(&self) -> Result<CollectionReport, CollectError> {
        let lease = self.take_lease().await?;
        let run = Collector {
            cancel: self.cancel.or(&lease.lost_handle()),
            granted: self.granted_now().await,
            ..self.clone()
        };
        let report = run.collect_leased().await;
        let lost = lease.is_lost();
        let released = lease.release().await;
        let report = report?;
        if lost {
            return Err(CollectError::LeaseLost {
                tenant: self.tenant.clone(),
                owner: self.lease.owner.clone(),
            });
        }
        released?;
        Ok(report)
    }

    /// [`Collector::collect_now`] once the lease is held.
    async fn collect_leased(&self) -> Result<CollectionReport, StoreError> {
        let started_at = self.clock.now();
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let run_id = format!(
            "run-{}-{}",
            started_at.unix_timestamp_nanos(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        );
        let mut run = CollectionRun::new(run_id.clone(), started_at);
        self.store.record_run(&self.tenant, &run).await?;
        let skew = self.clock_skew().await;
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
        let windowed = |k: &&StreamKind| streams::spec(**k).is_some_and(StreamSpec::is_windowed);
        let windowed_lane =
            futures::future::join_all(StreamKind::ALL.iter().filter(windowed).map(|&k| one(k)));
        let directory = async {
            let mut reports = Vec::new();
            for &kind in StreamKind::ALL.iter().filter(|k| !windowed(k)) {
                reports.push(one(kind).await);
            }
            reports
        };
        let (mut streams, directory) = futures::join!(windowed_lane, directory);
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
            clock_skew_seconds: skew.map(|s| s.whole_seconds()),
        };
        run.finished_at = Some(report.finished_at);
        run.status = if report.is_success() {
            RunStatus::Succeeded
        } else {
            RunStatus::Failed
        };
        // Not `null` when it cannot be written (it always can: plain derived data): the run's
        // record says why its report is missing.
        run.report = serde_json::to_value(&report.streams).unwrap_or_else(|e| {
            serde_json::json!({ "error": format!("the run's report cannot be serialised: {e}") })
        });
        self.store.record_run(&self.tenant, &run).await?;
        self.emit(Progress::RunFinished {
            report: report.clone(),
        });
        Ok(report)
    }

    /// Runs one stream now.
    pub async fn run_stream(&self, kind: StreamKind) -> StreamReport {
        let started = self.clock.now();
        let mut report = StreamReport::new(kind);
        let Some(spec) = streams::spec(kind) else {
            report.status = StreamStatus::Failed {
                error: format!("this oort-collector cannot collect the stream {kind}: upgrade it"),
            };
            return report;
        };
        if let Some(skipped) = self.skipped(spec) {
            report.status = skipped;
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
            self.collect_stream(spec, &mut report, &feedback),
        )
        .await;
        report.status = match result {
            Ok(()) => StreamStatus::Succeeded,
            Err(e) => status_of(spec, e),
        };
        report.duration_ms = (self.clock.now() - started).whole_milliseconds() as i64;
        report
    }

    /// Why the stream is not collected, if it is not: switched off, devices not enabled, or a
    /// permission the app was not granted.
    fn skipped(&self, spec: &StreamSpec) -> Option<StreamStatus> {
        let kind = spec.kind;
        if self.config.disabled.contains(&kind) {
            return Some(StreamStatus::Skipped {
                reason: "switched off by configuration".to_owned(),
                cause: SkipCause::Disabled,
            });
        }
        if kind == StreamKind::ManagedDevices && !self.config.devices {
            return Some(StreamStatus::Skipped {
                reason: "Intune devices are not enabled (set OORT_DEVICES=true)".to_owned(),
                cause: SkipCause::DevicesNotEnabled,
            });
        }
        let requirement = spec.capability.requirement();
        let missing = requirement.missing(&self.granted);
        let clause = missing.first()?;
        Some(StreamStatus::Skipped {
            reason: format!("missing_permission: {clause}"),
            cause: SkipCause::MissingPermission {
                call: clause.call.to_owned(),
                grant_any_of: clause
                    .any_of
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            },
        })
    }

    /// Collects the stream with the driver of its mode.
    async fn collect_stream(
        &self,
        spec: &'static StreamSpec,
        report: &mut StreamReport,
        feedback: &Feedback,
    ) -> Result<(), StreamError> {
        match &spec.mode {
            Mode::Windowed(window) => {
                window
                    .items
                    .window(self, spec, window, report, feedback)
                    .await
            }
            Mode::Delta { items, reconcile } => items.delta(self, spec, reconcile, report).await,
            Mode::Snapshot { items, reconcile } => {
                items.snapshot(self, spec, reconcile.as_ref(), report).await
            }
            Mode::RoleMembers { member_select } => {
                self.role_members(spec, member_select, report).await
            }
        }
    }

    /// The saved state of a stream (its checkpoint), or a fresh state when it has none. A
    /// checkpoint that no longer reads (written by another version, or damaged) fails the
    /// stream: starting afresh would silently restart its backfill (or full sync), so the
    /// operator decides, and the error says how to reset it.
    async fn load_state<S: DeserializeOwned + Default>(
        &self,
        stream: StreamKind,
    ) -> Result<S, StreamError> {
        let checkpoints = self
            .store
            .checkpoints(&self.tenant, stream.as_str())
            .await?;
        let Some(saved) = checkpoints.into_iter().find(|c| c.key == STATE_KEY) else {
            return Ok(S::default());
        };
        serde_json::from_value(saved.value).map_err(|e| {
            let tenant = &self.tenant;
            StreamError::Checkpoint(format!(
                "the checkpoint of stream {stream} (tenant {tenant}, key {STATE_KEY}) cannot be \
                 read: {e}; nothing was collected for this stream. Delete it to restart the \
                 stream's collection from scratch (a first run's backfill or full sync): \
                 CheckpointStore::delete_checkpoint(\"{tenant}\", \"{stream}\", \"{STATE_KEY}\"), or \
                 in the database: DELETE FROM checkpoints WHERE tenant_id = '{tenant}' AND \
                 stream = '{stream}' AND key = '{STATE_KEY}'"
            ))
        })
    }

    /// Stores a page read leniently: its items that do not read are set aside first (recorded
    /// again, once, if the page is read again after a crash), then the others are written with
    /// the checkpoint after the page.
    async fn store_page<T>(
        &self,
        kind: StreamKind,
        batch: fn(Vec<Raw<T>>) -> Batch,
        items: Vec<Lenient<Raw<T>>>,
        checkpoint: Option<Checkpoint>,
        report: &mut StreamReport,
    ) -> Result<WriteSummary, StreamError> {
        let sorted = rejected::sort(kind, items);
        if !sorted.rejected.is_empty() {
            self.store
                .record_rejected(self.ctx(), &sorted.rejected)
                .await?;
            report.rejected += sorted.rejected.len() as u64;
        }
        Ok(self
            .store
            .write(self.ctx(), batch(sorted.parsed), checkpoint)
            .await?)
    }

    /// The checkpoint holding a stream's state.
    fn state_checkpoint<S: Serialize>(
        stream: StreamKind,
        state: &S,
    ) -> Result<Checkpoint, StreamError> {
        // Saving `null` instead would lose the stream's progress at the next run.
        let value = serde_json::to_value(state).map_err(|e| {
            StreamError::Checkpoint(format!(
                "the checkpoint of stream {stream} cannot be saved: {e}; its last saved \
                 checkpoint is kept"
            ))
        })?;
        Ok(Checkpoint::new(stream.as_str(), STATE_KEY, value))
    }
}

/// How a stream that stopped early ended: cancelled, skipped (Graph refused it for a licence or
/// a permission the token claimed but the tenant denies), or failed.
fn status_of(spec: &StreamSpec, error: StreamError) -> StreamStatus {
    match error {
        StreamError::Cancelled => StreamStatus::Cancelled,
        StreamError::Graph(e) => match classify(spec.capability, &e) {
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
                        grant_any_of: grant_any_of.iter().map(|p| p.as_str().to_owned()).collect(),
                    },
                }
            }
            _ => StreamStatus::Failed {
                error: e.to_string(),
            },
        },
        StreamError::Store(e) => StreamStatus::Failed {
            error: e.to_string(),
        },
        StreamError::Checkpoint(error) => StreamStatus::Failed { error },
    }
}

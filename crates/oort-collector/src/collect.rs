//! Collection: the streams, their windows and checkpoints, and the run report.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use entra_auth::Clock;
use entra_model::{
    Application, Capability, ConditionalAccessPolicy, DirectoryAudit, DirectoryObject,
    DirectoryRole, Group, ManagedDevice, PermissionSet, Raw, RiskDetection, RiskyUser,
    ServicePrincipal, SignIn, User, UserRegistrationDetails,
};
use futures::TryStreamExt;
use graph_client::{ApiVersion, Continuation, GraphClient, GraphError, GraphRequest, PageStream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tokio::sync::mpsc::UnboundedSender;

use crate::connectivity::{classify, CapabilityStatus};
use crate::store::{
    Batch, Checkpoint, CollectionRun, SnapshotScope, Store, StoreError, WriteContext, WriteSummary,
};

/// A collection stream: one kind of data, collected with its own progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamKind {
    /// Interactive sign-ins (v1.0).
    SignIns,
    /// Non-interactive user sign-ins (beta).
    NonInteractiveSignIns,
    /// Service principal sign-ins (beta).
    ServicePrincipalSignIns,
    /// Managed identity sign-ins (beta).
    ManagedIdentitySignIns,
    /// Directory audit log.
    DirectoryAudits,
    /// Users (delta).
    Users,
    /// Users' `signInActivity` (needs P1/P2 and `AuditLog.Read.All`).
    SignInActivity,
    /// Groups and their members (delta with `members`).
    Groups,
    /// Directory roles and their members.
    DirectoryRoles,
    /// App registrations and their credentials.
    Applications,
    /// Service principals and their credentials.
    ServicePrincipals,
    /// MFA registration state (the registration details report).
    AuthMethods,
    /// Risky users.
    RiskyUsers,
    /// Risk detections.
    RiskDetections,
    /// Conditional access policies.
    ConditionalAccessPolicies,
    /// Intune managed devices (only when devices are enabled).
    ManagedDevices,
}

impl StreamKind {
    /// Every stream, in collection order.
    pub const ALL: &'static [StreamKind] = &[
        StreamKind::Users,
        StreamKind::SignInActivity,
        StreamKind::Groups,
        StreamKind::DirectoryRoles,
        StreamKind::Applications,
        StreamKind::ServicePrincipals,
        StreamKind::AuthMethods,
        StreamKind::RiskyUsers,
        StreamKind::RiskDetections,
        StreamKind::ConditionalAccessPolicies,
        StreamKind::ManagedDevices,
        StreamKind::DirectoryAudits,
        StreamKind::SignIns,
        StreamKind::NonInteractiveSignIns,
        StreamKind::ServicePrincipalSignIns,
        StreamKind::ManagedIdentitySignIns,
    ];

    /// Snake-case name (also the checkpoint stream name).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::SignIns => "sign_ins",
            StreamKind::NonInteractiveSignIns => "non_interactive_sign_ins",
            StreamKind::ServicePrincipalSignIns => "service_principal_sign_ins",
            StreamKind::ManagedIdentitySignIns => "managed_identity_sign_ins",
            StreamKind::DirectoryAudits => "directory_audits",
            StreamKind::Users => "users",
            StreamKind::SignInActivity => "sign_in_activity",
            StreamKind::Groups => "groups",
            StreamKind::DirectoryRoles => "directory_roles",
            StreamKind::Applications => "applications",
            StreamKind::ServicePrincipals => "service_principals",
            StreamKind::AuthMethods => "auth_methods",
            StreamKind::RiskyUsers => "risky_users",
            StreamKind::RiskDetections => "risk_detections",
            StreamKind::ConditionalAccessPolicies => "conditional_access_policies",
            StreamKind::ManagedDevices => "managed_devices",
        }
    }

    /// The capability the stream needs.
    pub fn capability(self) -> Capability {
        match self {
            StreamKind::SignIns => Capability::SignIns,
            StreamKind::NonInteractiveSignIns
            | StreamKind::ServicePrincipalSignIns
            | StreamKind::ManagedIdentitySignIns => Capability::NonInteractiveSignIns,
            StreamKind::DirectoryAudits => Capability::DirectoryAudits,
            StreamKind::Users => Capability::Users,
            StreamKind::SignInActivity => Capability::SignInActivity,
            StreamKind::Groups => Capability::GroupsAndMembers,
            StreamKind::DirectoryRoles => Capability::DirectoryRoles,
            StreamKind::Applications | StreamKind::ServicePrincipals => Capability::Applications,
            StreamKind::AuthMethods => Capability::RegistrationDetails,
            StreamKind::RiskyUsers => Capability::RiskyUsers,
            StreamKind::RiskDetections => Capability::RiskDetections,
            StreamKind::ConditionalAccessPolicies => Capability::ConditionalAccessPolicies,
            StreamKind::ManagedDevices => Capability::ManagedDevices,
        }
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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
        /// Why.
        reason: String,
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
#[derive(Debug, Clone, Serialize)]
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
    /// A stream ended (see its report for how).
    StreamFinished {
        /// Its report.
        report: StreamReport,
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
    /// Collect Intune managed devices (Intune is optional). Default: false.
    pub devices: bool,
    /// Streams switched off by configuration. Default: none.
    pub disabled: Vec<StreamKind>,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            backfill: Duration::days(30),
            overlap: Duration::minutes(30),
            settle_delay: Duration::minutes(2),
            slice: Duration::days(31),
            page_size: 1_000,
            devices: false,
            disabled: Vec::new(),
        }
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

/// Why a stream's work stopped early.
enum StreamError {
    Graph(GraphError),
    Store(StoreError),
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

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slice {
    #[serde(with = "entra_model::timestamp")]
    start: OffsetDateTime,
    #[serde(with = "entra_model::timestamp")]
    end: OffsetDateTime,
    continuation: Option<Continuation>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct WindowState {
    #[serde(with = "entra_model::timestamp::option", default)]
    watermark: Option<OffsetDateTime>,
    #[serde(default)]
    pending: Vec<Slice>,
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
        let mut streams = Vec::new();
        for &kind in StreamKind::ALL {
            let report = self.run_stream(kind).await;
            self.emit(Progress::StreamFinished {
                report: report.clone(),
            });
            streams.push(report);
        }
        let report = CollectionReport {
            run_id,
            started_at,
            finished_at: self.clock.now(),
            streams,
        };
        run.finished_at = Some(report.finished_at);
        run.status = if report.is_success() {
            "succeeded"
        } else {
            "failed"
        }
        .to_owned();
        run.report = serde_json::to_value(&report.streams).unwrap_or_default();
        self.store.record_run(&self.tenant, &run).await?;
        Ok(report)
    }

    /// Collects every `interval` (plus up to `jitter` more, so a fleet does not call Graph in
    /// lockstep) until the cancel handle fires; returns the reports of every run. Waits use
    /// `tokio::time`, so they follow paused time in tests. A run that fails to record in the
    /// store ends the loop with that error.
    pub async fn run_every(
        &self,
        interval: std::time::Duration,
        jitter: std::time::Duration,
    ) -> Result<Vec<CollectionReport>, StoreError> {
        let mut reports = Vec::new();
        let mut seed = self.clock.now().unix_timestamp_nanos() as u64 | 1;
        while !self.cancel.is_cancelled() {
            reports.push(self.collect_now().await?);
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let extra = if jitter.is_zero() {
                std::time::Duration::ZERO
            } else {
                std::time::Duration::from_millis(seed % (jitter.as_millis() as u64 + 1))
            };
            let deadline = tokio::time::Instant::now() + interval + extra;
            // Wake up at least every second to notice cancellation.
            while !self.cancel.is_cancelled() && tokio::time::Instant::now() < deadline {
                let step =
                    (deadline - tokio::time::Instant::now()).min(std::time::Duration::from_secs(1));
                tokio::time::sleep(step).await;
            }
        }
        Ok(reports)
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
            };
            return report;
        }
        if kind == StreamKind::ManagedDevices && !self.config.devices {
            report.status = StreamStatus::Skipped {
                reason: "Intune devices are not enabled (set OORT_DEVICES=true)".to_owned(),
            };
            return report;
        }
        let capability = kind.capability();
        if let Some(clause) = capability.requirement().missing(&self.granted).first() {
            report.status = StreamStatus::Skipped {
                reason: format!("missing_permission: {clause}"),
            };
            return report;
        }
        if self.cancel.is_cancelled() {
            report.status = StreamStatus::Cancelled;
            return report;
        }
        self.emit(Progress::StreamStarted { stream: kind });
        let result = self.dispatch(kind, &mut report).await;
        report.status = match result {
            Ok(()) => StreamStatus::Succeeded,
            Err(StreamError::Cancelled) => StreamStatus::Cancelled,
            Err(StreamError::Graph(e)) => match classify(capability, &e) {
                CapabilityStatus::LicenceRequired { licence } => StreamStatus::Skipped {
                    reason: format!("licence_required: needs {}", licence.product_name()),
                },
                CapabilityStatus::MissingPermission { call, .. } if e.is_permission_denied() => {
                    StreamStatus::Skipped {
                        reason: format!("missing_permission: Graph refused {call}: {e}"),
                    }
                }
                _ => StreamStatus::Failed {
                    error: e.to_string(),
                },
            },
            Err(StreamError::Store(e)) => StreamStatus::Failed {
                error: e.to_string(),
            },
        };
        report.duration_ms = (self.clock.now() - started).whole_milliseconds() as i64;
        report
    }

    async fn dispatch(
        &self,
        kind: StreamKind,
        report: &mut StreamReport,
    ) -> Result<(), StreamError> {
        let top = self.config.page_size;
        match kind {
            StreamKind::SignIns => {
                let req = move || GraphRequest::get("auditLogs/signIns").top(top);
                self.window::<SignIn>(kind, &req, "createdDateTime", None, Batch::SignIns, report)
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
                    kind,
                    &req,
                    "createdDateTime",
                    Some(&extra),
                    Batch::SignIns,
                    report,
                )
                .await
            }
            StreamKind::DirectoryAudits => {
                let req = move || GraphRequest::get("auditLogs/directoryAudits").top(top);
                self.window::<DirectoryAudit>(
                    kind,
                    &req,
                    "activityDateTime",
                    None,
                    Batch::DirectoryAudits,
                    report,
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
                    SnapshotScope::Items(crate::store::ItemKind::RegistrationDetails),
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
                    SnapshotScope::Items(crate::store::ItemKind::RiskyUsers),
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
                    SnapshotScope::Items(crate::store::ItemKind::RiskDetections),
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
                    SnapshotScope::Items(crate::store::ItemKind::ConditionalAccessPolicies),
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
                    SnapshotScope::Items(crate::store::ItemKind::ManagedDevices),
                    report,
                )
                .await
            }
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
        report.inserted += s.inserted;
        report.updated += s.updated;
        report.removed += s.removed;
        report.pages += 1;
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
    }

    /// A time-windowed stream: sign-ins or audits in `[from, to)` slices, each checkpointed with
    /// its nextLink; the watermark advances over completely stored slices only. An interrupted
    /// run's slices are finished first, then the window catches up to the present.
    async fn window<T>(
        &self,
        kind: StreamKind,
        request: &(dyn Fn() -> GraphRequest + Sync),
        field: &str,
        extra_filter: Option<&str>,
        batch: fn(Vec<Raw<T>>) -> Batch,
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let mut state: WindowState = self.load_state(kind).await?;
        let resumed = !state.pending.is_empty();
        if !resumed {
            self.plan(&mut state);
            self.store
                .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state))
                .await?;
        }
        self.drain(
            kind,
            &mut state,
            request,
            field,
            extra_filter,
            batch,
            report,
        )
        .await?;
        if resumed {
            self.plan(&mut state);
            if !state.pending.is_empty() {
                self.store
                    .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state))
                    .await?;
                self.drain(
                    kind,
                    &mut state,
                    request,
                    field,
                    extra_filter,
                    batch,
                    report,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Fetches and stores every pending slice, oldest first.
    #[allow(clippy::too_many_arguments)]
    async fn drain<T>(
        &self,
        kind: StreamKind,
        state: &mut WindowState,
        request: &(dyn Fn() -> GraphRequest + Sync),
        field: &str,
        extra_filter: Option<&str>,
        batch: fn(Vec<Raw<T>>) -> Batch,
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        while let Some(slice) = state.pending.first().cloned() {
            let mut stream: PageStream<Raw<T>> = match &slice.continuation {
                Some(c) => self.client.resume(c.clone()),
                None => {
                    let mut filter = format!(
                        "{field} ge {} and {field} lt {}",
                        filter_time(slice.start),
                        filter_time(slice.end)
                    );
                    if let Some(extra) = extra_filter {
                        filter = format!("{extra} and {filter}");
                    }
                    self.client.pages(request().filter(filter))
                }
            };
            let mut finished = false;
            while let Some(page) = stream.try_next().await? {
                let continuation = page.continuation();
                let items = page.items.len();
                let mut next = state.clone();
                finished = continuation.is_none();
                if finished {
                    next.pending.remove(0);
                    next.watermark = Some(next.watermark.map_or(slice.end, |w| w.max(slice.end)));
                } else if let Some(first) = next.pending.first_mut() {
                    first.continuation = continuation;
                }
                let summary = self
                    .store
                    .write(
                        self.ctx(),
                        batch(page.items),
                        Some(Self::state_checkpoint(kind, &next)),
                    )
                    .await?;
                *state = next;
                Self::count(report, summary);
                self.emit(Progress::PageStored {
                    stream: kind,
                    items,
                    summary,
                });
                if finished {
                    break;
                }
                if self.cancel.is_cancelled() {
                    return Err(StreamError::Cancelled);
                }
            }
            if !finished {
                // The stream ended without a page (nothing to read): the slice is done.
                state.pending.remove(0);
                state.watermark = Some(state.watermark.map_or(slice.end, |w| w.max(slice.end)));
                self.store
                    .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &*state))
                    .await?;
            }
            self.emit(Progress::SliceDone {
                stream: kind,
                start: slice.start,
                end: slice.end,
            });
            if self.cancel.is_cancelled() {
                return Err(StreamError::Cancelled);
            }
        }
        Ok(())
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

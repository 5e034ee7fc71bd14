//! Storage of collected data: the [`Store`] trait and its SQLite and PostgreSQL implementations.
//!
//! Every item is kept twice: the typed columns oort queries, and the raw JSON text exactly as Graph
//! sent it (so a property this version does not model is never lost). A batch of items and the
//! checkpoint that covers it are written in one transaction, so a crash can never record progress
//! over data that was not stored, nor store data twice (writes are upserts by id).

use std::fmt;

use async_trait::async_trait;
use entra_model::{
    AppCredential, Application, AuthenticationMethod, ConditionalAccessPolicy, DirectoryAudit,
    DirectoryObject, DirectoryRole, Group, ManagedDevice, Raw, RiskDetection, RiskyUser,
    ServicePrincipal, SignIn, SignInActivity, User, UserRegistrationDetails,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

mod error;
mod postgres;
mod rows;
mod schema;
mod sqlite;

pub use error::{StoreError, StoreErrorKind};
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Who writes and when: the tenant the data belongs to and the collection's notion of "now"
/// (used for `seen_at`, `removed_at` and `deleted_at` marks).
#[derive(Debug, Clone, Copy)]
pub struct WriteContext<'a> {
    /// Tenant id.
    pub tenant: &'a str,
    /// The time of the write, from the collector's clock.
    pub now: OffsetDateTime,
}

/// Kinds of directory data kept as (id, raw JSON) snapshots in the `directory_items` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemKind {
    /// `userRegistrationDetails` (the MFA registration report).
    RegistrationDetails,
    /// Risky users.
    RiskyUsers,
    /// Risk detections.
    RiskDetections,
    /// Conditional access policies.
    ConditionalAccessPolicies,
    /// Intune managed devices.
    ManagedDevices,
    /// Directory roles (their members are in `role_members`).
    DirectoryRoles,
}

impl ItemKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::RegistrationDetails => "registration_details",
            ItemKind::RiskyUsers => "risky_users",
            ItemKind::RiskDetections => "risk_detections",
            ItemKind::ConditionalAccessPolicies => "conditional_access_policies",
            ItemKind::ManagedDevices => "managed_devices",
            ItemKind::DirectoryRoles => "directory_roles",
        }
    }
}

/// A batch of collected items of one stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Batch {
    /// Sign-ins of any event type (upserted by id).
    SignIns(Vec<Raw<SignIn>>),
    /// Directory audit entries (upserted by id).
    DirectoryAudits(Vec<Raw<DirectoryAudit>>),
    /// Users from a list or delta page; an entry with `@removed` marks the user deleted.
    Users(Vec<Raw<User>>),
    /// Users' `signInActivity` (`GET /users?$select=id,signInActivity`): updates the sign-in
    /// times of known users without touching the rest of their JSON.
    SignInActivity(Vec<Raw<User>>),
    /// Groups from a list or delta page; `@removed` marks the group deleted and `members@delta`
    /// adds members or marks them removed.
    Groups(Vec<Raw<Group>>),
    /// A page of a group's member listing (`/groups/{id}/members`): members are (re)added.
    GroupMembers {
        /// The group.
        group_id: String,
        /// Its members.
        members: Vec<DirectoryObject>,
    },
    /// A directory role and its members (the role list does not page).
    RoleMembers {
        /// The role.
        role: Raw<DirectoryRole>,
        /// Its members.
        members: Vec<DirectoryObject>,
    },
    /// App registrations; their credentials go to `app_credentials`.
    Applications(Vec<Raw<Application>>),
    /// Service principals; their credentials go to `app_credentials`.
    ServicePrincipals(Vec<Raw<ServicePrincipal>>),
    /// The complete set of one user's authentication methods (replaces the previous set).
    AuthMethods {
        /// The user.
        user_id: String,
        /// Every method the user has.
        methods: Vec<Raw<AuthenticationMethod>>,
    },
    /// MFA registration report rows.
    RegistrationDetails(Vec<Raw<UserRegistrationDetails>>),
    /// Risky users.
    RiskyUsers(Vec<Raw<RiskyUser>>),
    /// Risk detections.
    RiskDetections(Vec<Raw<RiskDetection>>),
    /// Conditional access policies.
    ConditionalAccessPolicies(Vec<Raw<ConditionalAccessPolicy>>),
    /// Intune managed devices.
    ManagedDevices(Vec<Raw<ManagedDevice>>),
}

impl Batch {
    /// Number of items in the batch.
    pub fn len(&self) -> usize {
        match self {
            Batch::SignIns(v) => v.len(),
            Batch::DirectoryAudits(v) => v.len(),
            Batch::Users(v) => v.len(),
            Batch::SignInActivity(v) => v.len(),
            Batch::Groups(v) => v.len(),
            Batch::GroupMembers { members, .. } => members.len(),
            Batch::RoleMembers { members, .. } => members.len() + 1,
            Batch::Applications(v) => v.len(),
            Batch::ServicePrincipals(v) => v.len(),
            Batch::AuthMethods { methods, .. } => methods.len(),
            Batch::RegistrationDetails(v) => v.len(),
            Batch::RiskyUsers(v) => v.len(),
            Batch::RiskDetections(v) => v.len(),
            Batch::ConditionalAccessPolicies(v) => v.len(),
            Batch::ManagedDevices(v) => v.len(),
        }
    }

    /// Whether the batch holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Saved progress of a stream: an opaque JSON value under a key (a time slice, a delta link...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The stream, e.g. `sign_ins`.
    pub stream: String,
    /// The key within the stream, e.g. a slice's start time, or `delta`.
    pub key: String,
    /// The progress (watermark, nextLink, deltaLink, ...), as the collector defines it.
    pub value: serde_json::Value,
}

impl Checkpoint {
    /// A checkpoint.
    pub fn new(
        stream: impl Into<String>,
        key: impl Into<String>,
        value: serde_json::Value,
    ) -> Self {
        Checkpoint {
            stream: stream.into(),
            key: key.into(),
            value,
        }
    }
}

/// What [`Store::prune`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PruneSummary {
    /// Sign-ins deleted.
    pub sign_ins: u64,
    /// Directory audit entries deleted.
    pub directory_audits: u64,
}

/// What a write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WriteSummary {
    /// Items not stored before.
    pub inserted: u64,
    /// Items stored before and written again.
    pub updated: u64,
    /// Items marked removed or deleted.
    pub removed: u64,
}

impl std::ops::AddAssign for WriteSummary {
    fn add_assign(&mut self, rhs: Self) {
        self.inserted += rhs.inserted;
        self.updated += rhs.updated;
        self.removed += rhs.removed;
    }
}

/// What a finished snapshot run reconciles: rows not written since the run started are marked
/// removed (users, groups, memberships) or deleted (everything else).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotScope {
    /// Users missing from a full sync are marked deleted.
    Users,
    /// Groups missing from a full sync are marked deleted.
    Groups,
    /// Members missing from one group's full listing are marked removed.
    GroupMembers {
        /// The group.
        group_id: String,
    },
    /// Memberships of every group missing from a full listing are marked removed.
    AllGroupMembers,
    /// Role memberships (and roles) missing from the run are deleted.
    RoleMembers,
    /// Applications (and their credentials) missing from the run are deleted.
    Applications,
    /// Service principals (and their credentials) missing from the run are deleted.
    ServicePrincipals,
    /// Items of this kind missing from the run are deleted.
    Items(ItemKind),
}

/// Sign-ins written since an analysis last looked ([`Store::sign_in_changes`]): how far back it
/// must read to see them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInChanges {
    /// The earliest `created_at` among them.
    pub earliest: OffsetDateTime,
    /// The mark's version: the number of batches that moved it. Clearing it with this version
    /// fails when a batch was written after it was read.
    pub version: i64,
}

/// Which sign-ins to read, in (created_at, id) order.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SignInQuery {
    /// Only sign-ins at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only sign-ins before this time.
    pub until: Option<OffsetDateTime>,
    /// Keyset cursor: only sign-ins after this (created_at, id).
    pub after: Option<(OffsetDateTime, String)>,
    /// At most this many (default 1,000 when 0).
    pub limit: usize,
}

impl StoredUser {
    /// The sign-in activity: the dedicated read when there is one, else what the user JSON had.
    pub fn activity(&self) -> Option<&SignInActivity> {
        self.sign_in_activity
            .as_ref()
            .or(self.user.value().sign_in_activity.as_ref())
    }
}

impl SignInQuery {
    /// Sign-ins in `[from, until)`, `limit` at a time.
    pub fn between(from: OffsetDateTime, until: OffsetDateTime, limit: usize) -> Self {
        SignInQuery {
            from: Some(from),
            until: Some(until),
            after: None,
            limit,
        }
    }

    /// Sets the page size.
    pub fn limit_to(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The next page after the last sign-in returned.
    pub fn after(mut self, last: &Raw<SignIn>) -> Self {
        if let Some(t) = last.value().created_date_time {
            self.after = Some((t, last.value().id.clone()));
        }
        self
    }
}

/// A stored user with its deletion mark.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoredUser {
    /// The user as last seen (the raw JSON of the last list or delta entry).
    pub user: Raw<User>,
    /// The user's sign-in activity from the last `signInActivity` read, when licensed.
    pub sign_in_activity: Option<SignInActivity>,
    /// When oort saw the user deleted, if it did.
    pub deleted_at: Option<OffsetDateTime>,
}

/// A membership of a group or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Membership {
    /// The group or role id.
    pub container_id: String,
    /// The member's object id.
    pub member_id: String,
    /// The member's type (`user`, `group`, `servicePrincipal`, `device`, ...), when known.
    pub member_type: Option<String>,
    /// When oort saw the membership end, if it did.
    #[serde(with = "entra_model::timestamp::option")]
    pub removed_at: Option<OffsetDateTime>,
}

/// Who owns an application credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialOwner {
    /// An app registration.
    Application,
    /// A service principal.
    ServicePrincipal,
}

impl CredentialOwner {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialOwner::Application => "application",
            CredentialOwner::ServicePrincipal => "service_principal",
        }
    }
}

/// A secret or certificate of an application or service principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredCredential {
    /// Application or service principal.
    pub owner_kind: CredentialOwner,
    /// The owner's object id.
    pub owner_id: String,
    /// The owner's application (client) id.
    pub app_id: Option<String>,
    /// The owner's display name.
    pub owner_display_name: Option<String>,
    /// The credential.
    pub credential: AppCredential,
}

/// One collection run, as recorded for `oort status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CollectionRun {
    /// Run id.
    pub id: String,
    /// Start time.
    #[serde(with = "entra_model::timestamp")]
    pub started_at: OffsetDateTime,
    /// End time, when finished.
    #[serde(with = "entra_model::timestamp::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// `running`, `succeeded`, `failed`, ...
    pub status: String,
    /// The run's report (per-stream counts), as JSON.
    pub report: serde_json::Value,
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
    /// `posture` or `threat`.
    pub kind: String,
    /// `info`, `low`, `medium`, `high` or `critical`.
    pub severity: String,
    /// `open`, `resolved` or `suppressed`.
    pub status: String,
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
    pub notified_status: Option<String>,
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
        kind: impl Into<String>,
        severity: impl Into<String>,
        status: impl Into<String>,
        subject: impl Into<String>,
        summary: impl Into<String>,
        first_seen: OffsetDateTime,
        last_seen: OffsetDateTime,
        json: serde_json::Value,
    ) -> Self {
        StoredFinding {
            fingerprint: fingerprint.into(),
            check_id: check_id.into(),
            kind: kind.into(),
            severity: severity.into(),
            status: status.into(),
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
    /// The finding status this channel was told about (`open`, `resolved`, ...).
    pub status: String,
    /// When it was recorded.
    #[serde(with = "entra_model::timestamp")]
    pub notified_at: OffsetDateTime,
}

impl NotificationRecord {
    /// A record of `status` of finding `fingerprint` notified on `channel` at `notified_at`.
    pub fn new(
        fingerprint: impl Into<String>,
        channel: impl Into<String>,
        status: impl Into<String>,
        notified_at: OffsetDateTime,
    ) -> Self {
        NotificationRecord {
            fingerprint: fingerprint.into(),
            channel: channel.into(),
            status: status.into(),
            notified_at,
        }
    }
}

/// Which findings to list.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FindingFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this check.
    pub check_id: Option<String>,
}

impl FindingFilter {
    /// Findings of one status.
    pub fn status(status: impl Into<String>) -> Self {
        FindingFilter {
            status: Some(status.into()),
            check_id: None,
        }
    }
}

/// One entry of the remediation audit trail. Appended before the first Graph call (the intent,
/// `outcome` = `incomplete`) and completed once after; never otherwise changed or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// Entry id.
    pub id: String,
    /// When the attempt was made.
    #[serde(with = "entra_model::timestamp")]
    pub at: OffsetDateTime,
    /// Operator name.
    pub operator: String,
    /// Operator role.
    pub role: String,
    /// Action, e.g. `log_out`.
    pub action: String,
    /// Target object id, once resolved.
    pub target_id: Option<String>,
    /// Target UPN, once known.
    pub target_upn: Option<String>,
    /// `incomplete`, `refused`, `dry_run`, `success`, `partial` or `failed`.
    pub outcome: String,
    /// When the outcome was recorded.
    #[serde(with = "entra_model::timestamp::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// The rest (plan, gates, per-call statuses and request ids), as the remediation crate defines it.
    pub entry: serde_json::Value,
}

impl AuditRecord {
    /// An entry with outcome `incomplete` (an intent).
    pub fn intent(
        id: impl Into<String>,
        at: OffsetDateTime,
        operator: impl Into<String>,
        role: impl Into<String>,
        action: impl Into<String>,
        entry: serde_json::Value,
    ) -> Self {
        AuditRecord {
            id: id.into(),
            at,
            operator: operator.into(),
            role: role.into(),
            action: action.into(),
            target_id: None,
            target_upn: None,
            outcome: "incomplete".to_owned(),
            completed_at: None,
            entry,
        }
    }
}

impl CollectionRun {
    /// A run that started at `started_at`, status `running`, empty report.
    pub fn new(id: impl Into<String>, started_at: OffsetDateTime) -> Self {
        CollectionRun {
            id: id.into(),
            started_at,
            finished_at: None,
            status: "running".to_owned(),
            report: serde_json::Value::Object(Default::default()),
        }
    }
}

/// Everything collection and analysis need from storage. Implemented by [`SqliteStore`] (the
/// default, one file) and [`PostgresStore`] (shared by a fleet of collectors).
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Writes a batch and, in the same transaction, the checkpoint that covers it.
    async fn write(
        &self,
        ctx: WriteContext<'_>,
        batch: Batch,
        checkpoint: Option<Checkpoint>,
    ) -> Result<WriteSummary, StoreError>;

    /// Ends a snapshot run that started at `started_at`: rows of `scope` not written since are
    /// marked removed or deleted. Returns how many rows it changed.
    async fn finish_snapshot(
        &self,
        ctx: WriteContext<'_>,
        scope: SnapshotScope,
        started_at: OffsetDateTime,
    ) -> Result<u64, StoreError>;

    /// Saves (or replaces) a checkpoint on its own.
    async fn save_checkpoint(&self, tenant: &str, checkpoint: Checkpoint)
        -> Result<(), StoreError>;

    /// The checkpoints of a stream.
    async fn checkpoints(&self, tenant: &str, stream: &str) -> Result<Vec<Checkpoint>, StoreError>;

    /// Deletes one checkpoint.
    async fn delete_checkpoint(
        &self,
        tenant: &str,
        stream: &str,
        key: &str,
    ) -> Result<(), StoreError>;

    /// The sign-ins written since the analysis last cleared the mark (every sign-in batch moves
    /// it in its own transaction): the earliest `created_at` among them, and the mark's version.
    /// `None` when none was written since. A store that does not keep the mark answers
    /// [`StoreErrorKind::Unsupported`] (the default), and the analysis reads every sign-in.
    async fn sign_in_changes(&self, tenant: &str) -> Result<Option<SignInChanges>, StoreError> {
        let _ = tenant;
        Err(StoreError::unsupported("sign_in_changes"))
    }

    /// Clears the mark of [`Store::sign_in_changes`] if it is still at `version` (no batch was
    /// written since it was read); returns whether it did.
    async fn clear_sign_in_changes(&self, tenant: &str, version: i64) -> Result<bool, StoreError> {
        let _ = (tenant, version);
        Err(StoreError::unsupported("clear_sign_in_changes"))
    }

    /// Deletes the sign-ins created and the directory audit entries logged before `before`
    /// (retention), in batches of their own transactions so that writers are not held up.
    /// Rows without a time are kept. The default answers [`StoreErrorKind::Unsupported`].
    async fn prune(
        &self,
        tenant: &str,
        before: OffsetDateTime,
    ) -> Result<PruneSummary, StoreError> {
        let _ = (tenant, before);
        Err(StoreError::unsupported("prune"))
    }

    /// Records (inserts or updates) a collection run.
    async fn record_run(&self, tenant: &str, run: &CollectionRun) -> Result<(), StoreError>;

    /// The most recent runs, newest first.
    async fn runs(&self, tenant: &str, limit: usize) -> Result<Vec<CollectionRun>, StoreError>;

    /// Sign-ins in (created_at, id) order.
    async fn sign_ins(
        &self,
        tenant: &str,
        query: SignInQuery,
    ) -> Result<Vec<Raw<SignIn>>, StoreError>;

    /// Number of stored sign-ins.
    async fn sign_in_count(&self, tenant: &str) -> Result<u64, StoreError>;

    /// Number of stored directory audit entries.
    async fn directory_audit_count(&self, tenant: &str) -> Result<u64, StoreError>;

    /// Users, with their deletion marks.
    async fn users(&self, tenant: &str) -> Result<Vec<StoredUser>, StoreError>;

    /// Groups (deleted ones excluded).
    async fn groups(&self, tenant: &str) -> Result<Vec<Raw<Group>>, StoreError>;

    /// Group memberships, removed ones included (with `removed_at`).
    async fn group_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError>;

    /// Directory role memberships (`container_id` is the role id).
    async fn role_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError>;

    /// Secrets and certificates of applications and service principals.
    async fn app_credentials(&self, tenant: &str) -> Result<Vec<StoredCredential>, StoreError>;

    /// Applications.
    async fn applications(&self, tenant: &str) -> Result<Vec<Raw<Application>>, StoreError>;

    /// Service principals.
    async fn service_principals(
        &self,
        tenant: &str,
    ) -> Result<Vec<Raw<ServicePrincipal>>, StoreError>;

    /// Authentication methods as (user id, method).
    async fn auth_methods(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Raw<AuthenticationMethod>)>, StoreError>;

    /// Raw JSON of the snapshot items of a kind.
    async fn items(&self, tenant: &str, kind: ItemKind) -> Result<Vec<String>, StoreError>;

    /// Inserts or updates findings by fingerprint (the notification columns are kept).
    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError>;

    /// Findings, most recently seen first.
    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError>;

    /// Records that a finding's `status` was notified at `at` (the `notified_*` columns of the
    /// finding only; per-channel state is [`record_channel_notifications`](Store::record_channel_notifications)).
    async fn record_notification(
        &self,
        tenant: &str,
        fingerprint: &str,
        status: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The per-channel notification state of a tenant's findings: one record per (finding,
    /// channel) that was ever notified, ordered by fingerprint then channel.
    ///
    /// The default implementation fails with [`StoreErrorKind::Unsupported`]: a store written
    /// before notifications were recorded per channel keeps compiling, and says so when used.
    async fn notifications(&self, tenant: &str) -> Result<Vec<NotificationRecord>, StoreError> {
        let _ = tenant;
        Err(StoreError::unsupported("notifications"))
    }

    /// Records, in one transaction, that each record's status was notified on its channel:
    /// inserts or replaces the (finding, channel) row, and sets the finding's `notified_status`
    /// and `notified_at` to the record's (so they hold the last status notified on any channel).
    ///
    /// The default implementation fails with [`StoreErrorKind::Unsupported`].
    async fn record_channel_notifications(
        &self,
        tenant: &str,
        records: &[NotificationRecord],
    ) -> Result<(), StoreError> {
        let _ = (tenant, records);
        Err(StoreError::unsupported("record_channel_notifications"))
    }

    /// Appends an audit entry (fails if the id exists: entries are never overwritten).
    async fn append_audit(&self, tenant: &str, record: &AuditRecord) -> Result<(), StoreError>;

    /// Completes an entry with its outcome, once: returns `false` when it was already completed
    /// (or does not exist), leaving it unchanged.
    async fn complete_audit(&self, tenant: &str, record: &AuditRecord) -> Result<bool, StoreError>;

    /// The audit trail, newest first.
    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;

    /// Adds a tenant to the fleet's list (idempotent).
    async fn register_tenant(&self, tenant: &str) -> Result<(), StoreError>;

    /// Takes the lease of a tenant that no live worker holds (`FOR UPDATE SKIP LOCKED` in
    /// PostgreSQL), or `None` when every tenant is leased.
    async fn acquire_lease(
        &self,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError>;

    /// Extends a lease this owner holds; `false` when it lost it (expired and taken).
    async fn renew_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Gives a lease back.
    async fn release_lease(&self, tenant: &str, owner: &str) -> Result<(), StoreError>;
}

//! The store's traits, one per concern. Each is implemented in full by both backends; a crate
//! (or a test double) takes only the ones it needs, and [`Store`] is all of them at once.

use std::fmt;

use async_trait::async_trait;
use entra_model::{Application, AuthenticationMethod, Group, Raw, ServicePrincipal, SignIn};
use time::OffsetDateTime;

use crate::seal::MasterKey;
use crate::{
    AuditRecord, Batch, ChainLink, ChainVerification, Checkpoint, CollectionRun, FindingFilter,
    ItemKind, Lease, LeaseClaim, Membership, NotificationRecord, OperatorChange, OperatorRecord,
    PruneSummary, RejectedCount, RejectedItem, SignInChanges, SignInQuery, SnapshotScope,
    StoreError, StoredCredential, StoredFinding, StoredRejectedItem, StoredRole, StoredUser,
    StreamKind, TenantChange, TenantRecord, TenantState, WriteContext, WriteSummary,
};

/// Writing what collection brings: batches of items with the checkpoint that covers them, and
/// the reconciliation that ends a snapshot.
#[async_trait]
pub trait IngestStore: Send + Sync + fmt::Debug {
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
}

/// Progress of the streams (checkpoints) and the record of collection runs.
#[async_trait]
pub trait CheckpointStore: Send + Sync + fmt::Debug {
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

    /// Records (inserts or updates) a collection run.
    async fn record_run(&self, tenant: &str, run: &CollectionRun) -> Result<(), StoreError>;

    /// The most recent runs, newest first.
    async fn runs(&self, tenant: &str, limit: usize) -> Result<Vec<CollectionRun>, StoreError>;
}

/// The activity logs: sign-ins in time order, counts, what the analysis has not seen yet,
/// retention.
#[async_trait]
pub trait ActivityStore: Send + Sync + fmt::Debug {
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

    /// The sign-ins written since the analysis last cleared the mark (every sign-in batch moves
    /// it in its own transaction): the earliest `created_at` among them, and the mark's version.
    /// `None` when none was written since.
    async fn sign_in_changes(&self, tenant: &str) -> Result<Option<SignInChanges>, StoreError>;

    /// Clears the mark of [`ActivityStore::sign_in_changes`] if it is still at `version` (no
    /// batch was written since it was read); returns whether it did.
    async fn clear_sign_in_changes(&self, tenant: &str, version: i64) -> Result<bool, StoreError>;

    /// Deletes the sign-ins created and the directory audit entries logged before `before`
    /// (retention), in batches of their own transactions so that writers are not held up.
    /// Rows without a time are kept.
    async fn prune(&self, tenant: &str, before: OffsetDateTime)
        -> Result<PruneSummary, StoreError>;
}

/// The directory as last collected.
#[async_trait]
pub trait DirectoryStore: Send + Sync + fmt::Debug {
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
}

/// Findings, de-duplicated by fingerprint.
#[async_trait]
pub trait FindingStore: Send + Sync + fmt::Debug {
    /// Inserts or updates findings by fingerprint (the notification columns are kept).
    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError>;

    /// Findings, most recently seen first. A stored finding that no longer reads (an unknown
    /// severity, JSON that does not parse) is an error, never dropped.
    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError>;
}

/// What was notified about findings, per channel.
#[async_trait]
pub trait NotificationStore: Send + Sync + fmt::Debug {
    /// Records that a finding's `status` was notified at `at` (the `notified_*` columns of the
    /// finding only; per-channel state is
    /// [`record_channel_notifications`](NotificationStore::record_channel_notifications)).
    async fn record_notification(
        &self,
        tenant: &str,
        fingerprint: &str,
        status: crate::FindingStatus,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The per-channel notification state of a tenant's findings: one record per (finding,
    /// channel) that was ever notified, ordered by fingerprint then channel.
    async fn notifications(&self, tenant: &str) -> Result<Vec<NotificationRecord>, StoreError>;

    /// Records, in one transaction, that each record's status was notified on its channel:
    /// inserts or replaces the (finding, channel) row, and sets the finding's `notified_status`
    /// and `notified_at` to the record's (so they hold the last status notified on any channel).
    async fn record_channel_notifications(
        &self,
        tenant: &str,
        records: &[NotificationRecord],
    ) -> Result<(), StoreError>;
}

/// The audit trail: append-only hash chains, one per tenant (remediation) and one for the
/// operators' changes ([`OPERATORS_CHAIN`](crate::OPERATORS_CHAIN)). Entries are appended, never
/// updated nor deleted; an attempt is an intent entry and an outcome entry with the same id.
#[async_trait]
pub trait AuditStore: Send + Sync + fmt::Debug {
    /// Appends an entry at the end of `chain` (a tenant id), with the next position and the
    /// previous entry's hash, in one transaction that concurrent writers wait for. Fails when
    /// the chain already has an intent (outcome `incomplete`) or an outcome entry with this id.
    /// Returns the entry's place in the chain. Its times are kept to the microsecond.
    async fn append_audit(
        &self,
        chain: &str,
        record: &AuditRecord,
    ) -> Result<ChainLink, StoreError>;

    /// The newest `limit` entries of a chain, newest first.
    async fn audit_log(&self, chain: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError>;

    /// The chains that have entries (tenant ids and [`OPERATORS_CHAIN`](crate::OPERATORS_CHAIN)),
    /// in name order.
    async fn audit_chains(&self) -> Result<Vec<String>, StoreError>;

    /// Walks a chain from its first entry and reports the first entry that was changed,
    /// removed or reordered since it was written (every stored column counts, a value that no
    /// longer reads as a change). A removal of the newest entries cannot show in the chain
    /// itself: compare the returned head with one kept elsewhere.
    async fn verify_audit_chain(&self, chain: &str) -> Result<ChainVerification, StoreError>;
}

/// oort's operators: who may act, in which role, as which OS accounts. Every change is
/// recorded in the operators' audit chain ([`OPERATORS_CHAIN`](crate::OPERATORS_CHAIN)) in the
/// same transaction as the change, with `audit` as the entry (the caller says who acted); a
/// change that is refused ([`OperatorChange`] other than `Done`) changes and records nothing.
#[async_trait]
pub trait OperatorStore: Send + Sync + fmt::Debug {
    /// Adds `operator` only when there is no operator at all (the first administrator);
    /// `NotEmpty` otherwise. Atomic: of two concurrent bootstraps, one is refused.
    async fn bootstrap_operator(
        &self,
        operator: &OperatorRecord,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError>;

    /// Adds an operator: `AlreadyExists` when the name is taken, `OsUserTaken` when one of its
    /// OS accounts acts as another operator.
    async fn add_operator(
        &self,
        operator: &OperatorRecord,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError>;

    /// Changes an operator's role (and `updated_at` to `audit.at`): `NotFound`, or
    /// `LastAdministrator` when it would leave no administrator.
    async fn set_operator_role(
        &self,
        name: &str,
        role: StoredRole,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError>;

    /// Removes an operator and its OS accounts: `NotFound`, or `LastAdministrator` when it is
    /// the last administrator.
    async fn remove_operator(
        &self,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError>;

    /// Every operator, by name.
    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError>;

    /// The operator an OS account acts as, if any.
    async fn operator_for_os_user(
        &self,
        os_user: &str,
    ) -> Result<Option<OperatorRecord>, StoreError>;
}

/// The tenant registry: the tenants oort serves, each with its app registration, cloud,
/// settings, state and sealed credential (see [`seal`](crate::seal)). Every change an operator
/// makes is recorded in the tenant's audit chain (the chain named by its tenant id; a re-key in
/// the operators' chain, [`OPERATORS_CHAIN`](crate::OPERATORS_CHAIN)) in the change's
/// transaction, with `audit` as the entry; a change that is refused ([`TenantChange`] other
/// than `Done`) changes and records nothing.
#[async_trait]
pub trait TenantStore: Send + Sync + fmt::Debug {
    /// Adds a tenant (and registers it in the leases' list): `AlreadyExists` when its id is
    /// in the registry.
    async fn add_tenant(
        &self,
        tenant: &TenantRecord,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError>;

    /// A tenant of the registry, `None` when it is not there.
    async fn tenant(&self, tenant_id: &str) -> Result<Option<TenantRecord>, StoreError>;

    /// Every tenant of the registry, by tenant id.
    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError>;

    /// Replaces a tenant's sealed credential (`sealed`, of kind `secret` or `certificate`),
    /// setting `credential_rotated_at` and `updated_at` to `audit.at`: `NotFound`.
    async fn replace_tenant_credential(
        &self,
        tenant_id: &str,
        sealed: &str,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError>;

    /// Sets a tenant's state at `at` (`updated_at` too): an operator's pause or resume with its
    /// audit entry, or a worker's report of a failure or a recovery without one. `NotFound`.
    async fn set_tenant_state(
        &self,
        tenant_id: &str,
        state: &TenantState,
        at: OffsetDateTime,
        audit: Option<&AuditRecord>,
    ) -> Result<TenantChange, StoreError>;

    /// Removes a tenant from the registry (its collected data and audit chain stay):
    /// `NotFound`.
    async fn remove_tenant(
        &self,
        tenant_id: &str,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError>;

    /// Re-seals every tenant's credential from `old` to `new` in one transaction, recorded in
    /// the operators' chain; returns how many credentials were re-sealed. A credential that
    /// does not open under `old` fails the whole re-key ([`StoreErrorKind::Sealed`](crate::StoreErrorKind::Sealed),
    /// naming the tenant) and changes nothing.
    async fn rekey_tenants(
        &self,
        old: &MasterKey,
        new: &MasterKey,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError>;
}

/// Tenants handed out to the workers of a fleet by leases.
#[async_trait]
pub trait LeaseStore: Send + Sync + fmt::Debug {
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

    /// Claims the lease of one named tenant (registering the tenant when it is new): taken when
    /// it is free or expired at `now`, extended to `now + ttl` when `owner` already holds it
    /// (its `since` kept), and otherwise [`LeaseClaim::Held`] with the live holder. Atomic
    /// across processes: of several owners claiming at once, one takes it.
    async fn claim_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LeaseClaim, StoreError>;

    /// The tenant's lease as stored (`None` when nobody holds it): who, since when, until when.
    /// An expired lease is returned too (check [`Lease::is_live`]).
    async fn lease(&self, tenant: &str) -> Result<Option<Lease>, StoreError>;
}

/// Items a collection stream set aside because this version's models do not read them (kept
/// with their JSON and error until a later version re-reads them).
#[async_trait]
pub trait RejectedStore: Send + Sync + fmt::Debug {
    /// Records items set aside at `ctx.now`, in one transaction: a new `(stream, item_key)` is
    /// inserted; one already recorded gets the new JSON, error and `last_rejected_at` (its
    /// `first_rejected_at` is kept). Returns how many were inserted and updated.
    async fn record_rejected(
        &self,
        ctx: WriteContext<'_>,
        items: &[RejectedItem],
    ) -> Result<WriteSummary, StoreError>;

    /// The items set aside, of one stream or of all, oldest first (by `first_rejected_at`,
    /// then stream and key), at most `limit`.
    async fn rejected_items(
        &self,
        tenant: &str,
        stream: Option<StreamKind>,
        limit: usize,
    ) -> Result<Vec<StoredRejectedItem>, StoreError>;

    /// How many items are set aside, per stream (streams with none are left out), in stream
    /// name order.
    async fn rejected_counts(&self, tenant: &str) -> Result<Vec<RejectedCount>, StoreError>;

    /// Deletes the items of `stream` with these keys (they were read again and stored).
    /// Returns how many were deleted.
    async fn delete_rejected(
        &self,
        tenant: &str,
        stream: StreamKind,
        item_keys: &[String],
    ) -> Result<u64, StoreError>;
}

/// Every concern at once: what `SqliteStore` (feature `sqlite`) and
/// `PostgresStore` (feature `postgres`) are, and what a process that collects, analyses and
/// remediates holds (`Arc<dyn Store>`, which coerces to any one concern's `Arc<dyn ...>`).
/// Implemented automatically for every type that implements all of the concerns.
pub trait Store:
    IngestStore
    + CheckpointStore
    + ActivityStore
    + DirectoryStore
    + FindingStore
    + NotificationStore
    + AuditStore
    + OperatorStore
    + TenantStore
    + LeaseStore
    + RejectedStore
{
}

impl<T> Store for T where
    T: IngestStore
        + CheckpointStore
        + ActivityStore
        + DirectoryStore
        + FindingStore
        + NotificationStore
        + AuditStore
        + OperatorStore
        + TenantStore
        + LeaseStore
        + RejectedStore
        + ?Sized
{
}

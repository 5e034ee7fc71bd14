//! The oort store: everything collection, analysis, notification and remediation keep, behind
//! small traits by concern, with an embedded SQLite backend (feature `sqlite`, the default: one
//! file, WAL mode) and a PostgreSQL backend for fleets (feature `postgres`).
//!
//! Every item is kept twice: the typed columns oort queries, and the raw JSON text exactly as Graph
//! sent it (so a property this version does not model is never lost). A batch of items and the
//! checkpoint that covers it are written in one transaction, so a crash can never record progress
//! over data that was not stored, nor store data twice (writes are upserts by id). Opening a store
//! migrates its schema (`docs/store-schema.md`); a database written by a newer oort is refused.
//!
//! It is not for deciding what to collect (that is `oort-collector`) nor for analysing
//! (`oort-checks`); it depends on `entra-model` and nothing else of oort's. Without default
//! features it is only the traits and records, for crates that take a store without choosing
//! one.
//!
//! | trait | concern |
//! | --- | --- |
//! | [`IngestStore`] | batches of collected items with their checkpoint, snapshot reconciliation |
//! | [`CheckpointStore`] | stream checkpoints, collection runs |
//! | [`ActivityStore`] | sign-ins in time order, counts, the change mark, retention |
//! | [`DirectoryStore`] | users, groups, memberships, roles, apps and credentials, methods, items |
//! | [`FindingStore`] | findings by fingerprint |
//! | [`NotificationStore`] | what was notified, per channel |
//! | [`AuditStore`] | the audit trail: append-only hash chains, verified by walking them |
//! | [`OperatorStore`] | oort's operators, their roles and OS accounts (changes audited) |
//! | [`TenantStore`] | the tenant registry: app registration, cloud, settings, state, sealed credential (changes audited) |
//! | [`LeaseStore`] | tenants leased to the workers of a fleet or to one collection: who holds each, since when |
//! | [`Store`] | all of them (what the backends are) |
//!
//! Closed sets are enums ([`Severity`], [`FindingKind`], [`FindingStatus`], [`AuditOutcome`],
//! [`RunStatus`], [`StoredRole`]); a stored value that does not read back (an unknown name, a time that does
//! not parse, JSON that does not) is [`StoreErrorKind::Corrupt`] naming the table and row, never
//! a default.
//!
//! # Example
//! ```
//! use entra_model::{Raw, SignIn};
//! use oort_store::prelude::*;
//! use oort_store::{Batch, Checkpoint, SignInQuery, SqliteStore, WriteContext};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = SqliteStore::in_memory()?;
//! let now = entra_model::timestamp::parse("2024-05-02T00:00:00Z")?;
//! let ctx = WriteContext { tenant: "contoso", now };
//! let page: Vec<Raw<SignIn>> = vec![Raw::from_json(
//!     r#"{"id": "s1", "createdDateTime": "2024-05-01T10:00:00Z", "status": {"errorCode": 50126}}"#,
//! )?];
//! // The page and the progress it represents are stored in one transaction.
//! let progress = Checkpoint::new("sign_ins", "2024-05-01", serde_json::json!({"done": true}));
//! let summary = store.write(ctx, Batch::SignIns(page), Some(progress)).await?;
//! assert_eq!(summary.inserted, 1);
//!
//! let stored = store.sign_ins("contoso", SignInQuery::default()).await?;
//! assert_eq!(stored[0].value().error_code(), Some(50126));
//! assert_eq!(store.checkpoints("contoso", "sign_ins").await?.len(), 1);
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod activity;
mod audit;
mod directory;
mod finding;
mod lease;
mod names;
mod operator;
mod rejected;
mod run;
pub mod seal;
mod tenant;
mod traits;
mod write;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod batch_rows;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod schema;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod tenant_rows;
#[cfg(feature = "test-support")]
pub mod testing;

pub use error::{StoreError, StoreErrorKind};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresOptions, PostgresStore};
#[cfg(feature = "sqlite")]
pub use sqlite::SqliteStore;

pub use activity::{PruneSummary, SignInChanges, SignInQuery};
pub use audit::{
    AuditOutcome, AuditRecord, ChainLink, ChainProblem, ChainProblemKind, ChainVerification,
    ProcessOrigin, GENESIS_HASH, OPERATORS_CHAIN,
};
pub use directory::{CredentialOwner, Membership, StoredCredential, StoredUser};
pub use finding::{
    FindingFilter, FindingKind, FindingStatus, NotificationRecord, Severity, StoredFinding,
};
pub use lease::{Lease, LeaseClaim};
pub use names::UnknownValue;
pub use operator::{OperatorChange, OperatorRecord, StoredRole};
pub use rejected::{RejectedCount, RejectedItem, StoredRejectedItem};
pub use run::{Checkpoint, CollectionRun, RunStatus, SkipCause, StreamKind};
pub use tenant::{
    seal_credential, unseal_credential, SealedCredential, TenantChange, TenantCloud,
    TenantCredentialKind, TenantRecord, TenantState, DEFAULT_INTERVAL_SECONDS,
};
pub use traits::{
    ActivityStore, AuditStore, CheckpointStore, DirectoryStore, FindingStore, IngestStore,
    LeaseStore, NotificationStore, OperatorStore, RejectedStore, Store, TenantStore,
};
pub use write::{Batch, ItemKind, SnapshotScope, WriteContext, WriteSummary};

/// Every trait of the store, to call its methods on a `dyn Store` or a backend:
/// `use oort_store::prelude::*;`.
pub mod prelude {
    pub use crate::traits::{
        ActivityStore, AuditStore, CheckpointStore, DirectoryStore, FindingStore, IngestStore,
        LeaseStore, NotificationStore, OperatorStore, RejectedStore, Store, TenantStore,
    };
}

//! Collects Entra ID sign-ins and directory data through Microsoft Graph into a store.
//!
//! This increment provides the [`store`] layer: the [`store::Store`] trait with everything
//! collection and analysis need (batched upserts with typed columns and raw JSON, delta marks,
//! per-run snapshots, checkpoints written atomically with their data, findings, the remediation
//! audit trail and fleet leases), implemented by [`store::SqliteStore`] (the default: one file, WAL
//! mode) and [`store::PostgresStore`] (for fleets of collectors). The connectivity test and the
//! collection jobs that drive it through `graph-client` arrive next.
//!
//! Not here: HTTP (that is `graph-client`), analysis (`oort-checks`).
//!
//! # Example
//! ```
//! use entra_model::{Raw, SignIn};
//! use oort_collector::store::{Batch, Checkpoint, SignInQuery, SqliteStore, Store, WriteContext};
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

pub mod collect;
pub mod connectivity;
pub mod store;
#[cfg(feature = "test-support")]
pub mod testing;

pub use collect::{
    CancelHandle, CollectionReport, Collector, CollectorConfig, Progress, StreamKind, StreamReport,
    StreamStatus,
};
pub use connectivity::{
    test_connectivity, CapabilityReport, CapabilityStatus, ConnectivityError, ConnectivityReport,
};

//! Collects Entra ID sign-ins and directory data through Microsoft Graph into a store.
//!
//! - [`test_connectivity`]: acquires a token and probes every capability of `entra-model`'s
//!   catalogue with its cheapest request: `ok`, `missing_permission` (naming what to grant),
//!   `licence_required` (P1, P2, Intune) or `error` (Graph's code and request id).
//! - [`Collector`]: one collection ("Collect Now", [`Collector::collect_now`]) or one every
//!   interval ([`Collector::run_every`]). The activity logs (sign-ins of the four event types,
//!   directory audits) are read in time windows: the first run reaches back 30 days, later runs
//!   start 30 minutes behind the watermark (late sign-ins), and upserts by id make the overlap
//!   free of duplicates. A window is cut into slices checkpointed with their nextLinks; a slice
//!   whose first page is full is split and its pieces fetched concurrently, as many at once as
//!   the throttle feedback allows ([`CollectorConfig::max_concurrency`]); the watermark only
//!   passes slices completely stored. Users and groups sync through delta queries (removals
//!   marked, not erased; a resync reconciles), the rest as snapshots replaced per run. The
//!   activity streams and the directory streams run at once; a stream without its permission or
//!   licence is skipped with the reason, and the others go on. Typed [`Progress`] events
//!   (throttled waits included) go to a channel; the library prints nothing.
//! - [`store`]: the [`store::Store`] trait with everything collection and analysis need
//!   (batched upserts with typed columns and raw JSON, delta marks, per-run snapshots,
//!   checkpoints written atomically with their data, findings, the remediation audit trail and
//!   fleet leases), implemented by [`store::SqliteStore`] (the default: one file, WAL mode) and
//!   [`store::PostgresStore`] (for fleets of collectors).
//!
//! Not here: HTTP (that is `graph-client`), analysis (`oort-checks`).
//!
//! # Collecting
//! ```no_run
//! use std::sync::Arc;
//! use entra_auth::{ClientSecretCredential, SystemClock, TokenCache, TokenCredential};
//! use graph_client::GraphClient;
//! use oort_collector::{store::SqliteStore, test_connectivity, Collector, Progress};
//!
//! # async fn run(tenant: &str, client_id: &str, secret: secrecy::SecretString) -> Result<(), Box<dyn std::error::Error>> {
//! let credential: Arc<dyn TokenCredential> = Arc::new(
//!     TokenCache::builder(Arc::new(ClientSecretCredential::builder(tenant, client_id, secret).build()?)).build(),
//! );
//! let client = GraphClient::builder().credential(credential.clone()).background(true).build()?;
//! let report = test_connectivity(credential, "https://graph.microsoft.com/.default", &client).await?;
//! let store = Arc::new(SqliteStore::open("oort.db")?);
//! let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
//! let collector = Collector::new(client, store, tenant, report.granted.clone(), Arc::new(SystemClock))
//!     .progress(tx);
//! tokio::spawn(async move {
//!     while let Some(event) = rx.recv().await {
//!         if let Progress::Throttled { stream, wait, .. } = event {
//!             eprintln!("{stream}: waiting {wait:?} for Graph's throttle");
//!         }
//!     }
//! });
//! let run = collector.collect_now().await?;
//! assert!(run.is_success());
//! # Ok(()) }
//! ```
//!
//! # The store
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
    CancelHandle, CollectionReport, Collector, CollectorConfig, Progress, SkipCause, StreamKind,
    StreamReport, StreamStatus, WatchSummary,
};
pub use connectivity::{
    test_connectivity, CapabilityReport, CapabilityStatus, ConnectivityError, ConnectivityReport,
};

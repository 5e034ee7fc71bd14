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
//! - One collector per tenant: a collection holds the tenant's lease in the store for its whole
//!   run ([`LeaseOptions`]); a second collection of the same tenant into the same store waits
//!   for it or returns [`CollectError::TenantBusy`] naming the holder and since when.
//! - The data goes to a store of `oort-store` (its traits; SQLite or PostgreSQL, the caller
//!   chooses): items with typed columns and raw JSON, checkpoints written atomically with their
//!   data, the run records.
//!
//! Not here: HTTP (that is `graph-client`), storage (`oort-store`), analysis (`oort-checks`).
//!
//! # Collecting
//! ```no_run
//! use std::sync::Arc;
//! use entra_auth::{ClientSecretCredential, SystemClock, TokenCache, TokenCredential};
//! use graph_client::GraphClient;
//! use oort_collector::{test_connectivity, Collector, Progress};
//! use oort_store::SqliteStore;
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
#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

pub mod collect;
pub mod connectivity;

pub use collect::{
    CancelHandle, CollectError, CollectionReport, Collector, CollectorConfig, LeaseOptions,
    Progress, RetryReport, StreamReport, StreamStatus, WatchSummary, CLOCK_SKEW_WARNING,
};
pub use connectivity::{
    test_connectivity, CapabilityReport, CapabilityStatus, ConnectivityError, ConnectivityReport,
};
/// The streams and skip causes are recorded with each run, so they are the store's vocabulary.
pub use oort_store::{SkipCause, StreamKind};

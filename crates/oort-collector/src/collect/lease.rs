//! One collector per tenant: a collection holds the tenant's lease in the store for its whole
//! run.
//!
//! Two collections of one tenant into one store would overwrite each other's checkpoints (and
//! double the Graph traffic under one throttle), so [`Collector::collect_now`] claims the
//! tenant's lease ([`LeaseStore::claim_lease`](oort_store::LeaseStore::claim_lease)) before its first request, renews it in the
//! background every third of its time to live while it runs, and gives it back at the end. A
//! process that dies holds it no longer than the time to live. The lease lives here, not in
//! `oort-fleet`, because every collection needs it, a single `oort collect` or a library user's
//! `collect_now` as much as a fleet worker: a fleet worker that already holds the tenant's
//! lease (from [`LeaseStore::acquire_lease`](oort_store::LeaseStore::acquire_lease)) passes its own owner name
//! ([`LeaseOptions::owner`]), and the collection's claim then extends its lease.

use std::fmt;
use std::sync::Arc;

use entra_auth::Clock;
use oort_store::{Lease, LeaseClaim, StoreError};

use super::{CancelHandle, Collector};

/// How a collection holds its tenant's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseOptions {
    /// Who the lease is held by, as shown to a second collection. Default:
    /// [`LeaseOptions::process_owner`] (`oort-collector on HOST pid PID`).
    pub owner: String,
    /// How long the lease holds without a renewal: how long a crashed collection keeps the
    /// tenant from others. It is renewed every third of this while the collection runs.
    /// Default: 2 minutes.
    pub ttl: time::Duration,
    /// When another collection holds the lease: wait until it is free (`true`), or fail at once
    /// with [`CollectError::TenantBusy`] (`false`). Default: `false`.
    pub wait: bool,
    /// How often a waiting collection asks for the lease again. Default: 5 seconds.
    pub poll: std::time::Duration,
}

impl Default for LeaseOptions {
    fn default() -> Self {
        LeaseOptions {
            owner: LeaseOptions::process_owner(),
            ttl: time::Duration::minutes(2),
            wait: false,
            poll: std::time::Duration::from_secs(5),
        }
    }
}

impl LeaseOptions {
    /// An owner name that finds this process: `oort-collector on HOST pid PID` (the host from
    /// the kernel's host name, or `HOSTNAME` / `COMPUTERNAME`).
    pub fn process_owner() -> String {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .or_else(|| std::env::var("COMPUTERNAME").ok())
            .unwrap_or_else(|| "an unnamed host".to_owned());
        format!("oort-collector on {host} pid {}", std::process::id())
    }

    /// How often a held lease is renewed: a third of its time to live (at least a second).
    fn renew_every(&self) -> std::time::Duration {
        let third = self.ttl / 3;
        std::time::Duration::try_from(third)
            .unwrap_or_default()
            .max(std::time::Duration::from_secs(1))
    }
}

/// Why a collection did not run or did not finish.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectError {
    /// The store failed (the run could not be recorded, or the lease could not be read or
    /// written): check that the store is reachable and writable.
    #[error("the collection could not use the store: check that it is reachable and writable")]
    Store(#[source] StoreError),
    /// Another collection of this tenant holds its lease in this store; it is named, with
    /// since when. Nothing was collected: wait for it (`LeaseOptions::wait`) or try again later.
    #[error("{}", busy_message(.holder))]
    TenantBusy {
        /// Who holds the lease, since when, until when.
        holder: Lease,
    },
    /// The collection's lease expired before it could be renewed (the process stalled longer
    /// than the lease's time to live, or the store was unreachable) and another collection may
    /// have taken over: this run stopped after the page in hand. What it stored is kept (writes
    /// are upserts); the next run goes on from the checkpoints.
    #[error(
        "the collection of tenant {tenant} lost its lease (held as {owner}) before it could renew \
         it, and stopped after the page in hand: raise the lease's time to live if the store or \
         this process stalls for long"
    )]
    LeaseLost {
        /// The tenant.
        tenant: String,
        /// The owner name the lease was held under.
        owner: String,
    },
}

fn busy_message(holder: &Lease) -> String {
    let since = match holder.since {
        Some(since) => format!(" since {}", rfc3339(since)),
        None => String::new(),
    };
    format!(
        "tenant {} is being collected into this store by {}{} (its lease runs until {} unless \
         renewed): wait for it (oort collect --wait) or try again later",
        holder.tenant,
        holder.owner,
        since,
        rfc3339(holder.expires_at)
    )
}

fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

impl CollectError {
    /// Whether another collection holds the tenant's lease (nothing was collected).
    pub fn is_busy(&self) -> bool {
        matches!(self, CollectError::TenantBusy { .. })
    }

    /// The holder of the lease, when another collection holds it.
    pub fn holder(&self) -> Option<&Lease> {
        match self {
            CollectError::TenantBusy { holder } => Some(holder),
            _ => None,
        }
    }
}

impl From<StoreError> for CollectError {
    fn from(e: StoreError) -> Self {
        CollectError::Store(e)
    }
}

/// A held lease: renewed in the background until released (or dropped).
pub(super) struct HeldLease {
    store: Arc<dyn oort_store::Store>,
    tenant: String,
    owner: String,
    /// Fired when a renewal failed: the run stops after the page in hand.
    lost: CancelHandle,
    renewer: tokio::task::JoinHandle<()>,
}

impl fmt::Debug for HeldLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HeldLease")
            .field("tenant", &self.tenant)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

impl HeldLease {
    /// Whether the lease was lost during the run.
    pub(super) fn is_lost(&self) -> bool {
        self.lost.is_cancelled()
    }

    /// The handle fired when the lease is lost.
    pub(super) fn lost_handle(&self) -> CancelHandle {
        self.lost.clone()
    }

    /// Stops the renewals and gives the lease back (unless it was lost: then it may be
    /// another's, and the store's release only releases the owner's own anyway).
    pub(super) async fn release(self) -> Result<(), StoreError> {
        // A renewal still under way when aborted cannot take the lease back: renewing needs
        // the owner to hold it, and the release below clears the owner.
        self.renewer.abort();
        self.store.release_lease(&self.tenant, &self.owner).await
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        // A collection future dropped mid-run (its task aborted): no renewal outlives it, and
        // the lease expires after its time to live.
        self.renewer.abort();
    }
}

impl Collector {
    /// Claims the tenant's lease, waiting for it when the options say so.
    pub(super) async fn take_lease(&self) -> Result<HeldLease, CollectError> {
        let options = &self.lease;
        loop {
            match self
                .store
                .claim_lease(
                    &self.tenant,
                    &options.owner,
                    options.ttl,
                    self.clock.now(),
                )
                .await?
            {
                LeaseClaim::Taken(lease) => {
                    tracing::debug!(tenant = %self.tenant, owner = %lease.owner, "took the tenant's collection lease");
                    return Ok(self.hold());
                }
                LeaseClaim::Held(holder) if options.wait && !self.cancel.is_cancelled() => {
                    tracing::info!(
                        tenant = %self.tenant,
                        holder = %holder.owner,
                        since = ?holder.since,
                        "another collection holds the tenant's lease; waiting for it"
                    );
                    tokio::time::sleep(options.poll).await;
                }
                LeaseClaim::Held(holder) => return Err(CollectError::TenantBusy { holder }),
                _ => {
                    return Err(CollectError::Store(StoreError::task(
                        "the store answered a lease claim this oort-collector does not know: upgrade it",
                    )))
                }
            }
        }
    }

    /// Starts renewing the lease just taken.
    fn hold(&self) -> HeldLease {
        let lost = CancelHandle::new();
        let renewer = {
            let (store, clock): (Arc<dyn oort_store::Store>, Arc<dyn Clock>) =
                (Arc::clone(&self.store), Arc::clone(&self.clock));
            let (tenant, owner, ttl) = (
                self.tenant.clone(),
                self.lease.owner.clone(),
                self.lease.ttl,
            );
            let every = self.lease.renew_every();
            let lost = lost.clone();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(every).await;
                    match store.renew_lease(&tenant, &owner, ttl, clock.now()).await {
                        Ok(true) => {}
                        Ok(false) => {
                            tracing::warn!(%tenant, %owner, "the collection lost its lease; stopping after the page in hand");
                            lost.cancel();
                            return;
                        }
                        // Tried again at the next renewal: the lease holds for the rest of its
                        // time to live.
                        Err(e) => {
                            tracing::warn!(%tenant, error = %e, "the collection lease could not be renewed; trying again")
                        }
                    }
                }
            })
        };
        HeldLease {
            store: Arc::clone(&self.store),
            tenant: self.tenant.clone(),
            owner: self.lease.owner.clone(),
            lost,
            renewer,
        }
    }
}

//! The crate's error.

use oort_checks::notify::DispatchError;
use oort_checks::RunError;
use oort_collector::CollectError;
use oort_store::StoreError;

/// The stage of a cycle that failed (see [`FleetError::stage`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// The collection.
    Collection,
    /// The checks.
    Checks,
    /// The notifications.
    Notify,
}

/// Why a stage of a cycle failed.
///
/// A failed collection ends the cycle (and the watch) with this error: its run could not be
/// recorded in the store, so nothing after it can be trusted. A failed checks or notification
/// stage is reported in the cycle's [`CycleReport`](crate::CycleReport) instead, and the next
/// cycle runs it again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FleetError {
    /// The collection could not record its run in the store.
    #[error("the collection could not record its run in the store: check that the store is reachable and writable")]
    Collection(#[source] StoreError),
    /// The collection did not hold the tenant's lease: another collection of the tenant holds
    /// it ([`CollectError::TenantBusy`], nothing was collected), or this one lost it mid-run
    /// ([`CollectError::LeaseLost`]). The source names the holder.
    #[error("the collection did not hold the tenant's lease")]
    Lease(#[source] CollectError),
    /// The checks could not run over the store (a store failure, an invalid check
    /// configuration, a stored finding or checkpoint that does not read).
    #[error("the checks could not run over the store: the next cycle runs them again")]
    Checks(#[source] RunError),
    /// The notifications could not be dispatched at all (the store could not be read, two
    /// notifiers share a channel name). A message that fails to reach its channel is not this
    /// error: it is a failure in the [`NotifySummary`](oort_checks::notify::NotifySummary).
    #[error("the notifications could not be dispatched: the next cycle tries again")]
    Notify(#[source] DispatchError),
}

impl From<CollectError> for FleetError {
    fn from(e: CollectError) -> Self {
        match e {
            CollectError::Store(e) => FleetError::Collection(e),
            other => FleetError::Lease(other),
        }
    }
}

impl FleetError {
    /// The holder of the tenant's lease, when another collection holds it.
    pub fn lease_holder(&self) -> Option<&oort_store::Lease> {
        match self {
            FleetError::Lease(e) => e.holder(),
            _ => None,
        }
    }

    /// The stage that failed.
    pub fn stage(&self) -> Stage {
        match self {
            FleetError::Collection(_) | FleetError::Lease(_) => Stage::Collection,
            FleetError::Checks(_) => Stage::Checks,
            FleetError::Notify(_) => Stage::Notify,
        }
    }
}

//! The collect -> checks -> notify cycle of one tenant, once or on a schedule.

use std::sync::Arc;
use std::time::Duration;

use entra_auth::Clock;
use oort_checks::notify::notify_findings;
use oort_checks::run_checks_with;
use oort_collector::{CollectionReport, Collector};
use oort_store::Store;

use crate::{Analysis, CycleOptions, CycleReport, FleetError, WatchReport};

/// The cycle of one tenant: a collection, then the checks over the store, then the
/// notifications of what is new.
///
/// A pipeline holds what follows the collection (the store, the tenant, the clock and the
/// [`CycleOptions`]); the [`Collector`] is passed to each call, and must write into the same
/// store for the same tenant. The pipeline prints nothing and decides nothing about
/// presentation: it returns a [`CycleReport`] per cycle.
#[derive(Debug, Clone)]
pub struct Pipeline {
    store: Arc<dyn Store>,
    tenant: String,
    clock: Arc<dyn Clock>,
    options: CycleOptions,
}

impl Pipeline {
    /// A pipeline for `tenant` over `store`, reading "now" (for the checks and the
    /// notifications' records) from `clock`. Its options: [`CycleOptions::default`] (collect
    /// only).
    pub fn new(store: Arc<dyn Store>, tenant: impl Into<String>, clock: Arc<dyn Clock>) -> Self {
        Pipeline {
            store,
            tenant: tenant.into(),
            clock,
            options: CycleOptions::default(),
        }
    }

    /// Sets what follows the collection. Default: [`CycleOptions::default`] (nothing).
    pub fn options(mut self, options: CycleOptions) -> Self {
        self.options = options;
        self
    }

    /// The tenant.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The checks over the store, then (when configured) the notifications, without a
    /// collection: `oort checks`, or a console's "run the checks" button. The checks run
    /// whatever the options say (with [`oort_checks::CheckConfig::default`] when none is set).
    pub async fn analyse(&self) -> Result<Analysis, FleetError> {
        let config = self.options.check_config();
        let checks = run_checks_with(
            self.store.as_ref(),
            &self.tenant,
            &config,
            self.clock.now(),
            &self.options.run_options(),
        )
        .await
        .map_err(FleetError::Checks)?;
        let Some((notifiers, config)) = self.options.notifications() else {
            return Ok(Analysis {
                checks,
                notifications: None,
            });
        };
        let sent = notify_findings(
            self.store.as_ref(),
            &self.tenant,
            notifiers,
            config,
            self.clock.now(),
        )
        .await
        .map_err(FleetError::Notify)?;
        Ok(Analysis {
            checks,
            notifications: Some(sent),
        })
    }

    /// One cycle: one collection by `collector`, then the analysis the options ask for. A
    /// failed stream is in the collection's report; a failed analysis is in
    /// [`CycleReport::analysis`] (the next cycle runs it again). Errs only when the collection
    /// cannot record its run in the store, or does not hold the tenant's lease
    /// ([`FleetError::Lease`]: another collection holds it, see
    /// [`LeaseOptions`](oort_collector::LeaseOptions)).
    pub async fn run_cycle(&self, collector: &Collector) -> Result<CycleReport, FleetError> {
        let collection = collector.collect_now().await.map_err(FleetError::from)?;
        Ok(self.after_collection(collection).await)
    }

    /// Cycles every `interval` (plus up to `jitter`) until the collector's cancel handle fires,
    /// driven by [`Collector::run_every_then`]: each cycle's report goes to `on_cycle` before
    /// the wait for the next. A failed analysis does not stop the watch (it is counted in
    /// [`WatchReport::analysis_failures`] and run again by the next cycle); a collection that
    /// cannot record its run in the store does.
    pub async fn watch(
        &self,
        collector: &Collector,
        interval: Duration,
        jitter: Duration,
        mut on_cycle: impl AsyncFnMut(&CycleReport),
    ) -> Result<WatchReport, FleetError> {
        let mut analysis_failures = 0u64;
        let collection = collector
            .run_every_then(interval, jitter, async |report: &CollectionReport| {
                let cycle = self.after_collection(report.clone()).await;
                if cycle.analysis_failed() {
                    analysis_failures += 1;
                }
                on_cycle(&cycle).await;
            })
            .await
            .map_err(FleetError::from)?;
        Ok(WatchReport {
            collection,
            analysis_failures,
        })
    }

    /// The analysis after `collection`, when the options ask for one. Its failures are
    /// returned in the report, not logged: the caller decides how loud they are.
    async fn after_collection(&self, collection: CollectionReport) -> CycleReport {
        let analysis = if self.options.runs_checks() {
            Some(self.analyse().await)
        } else {
            None
        };
        let cycle = CycleReport {
            collection,
            analysis,
        };
        tracing::debug!(
            tenant = %self.tenant,
            run = %cycle.collection.run_id,
            collected = cycle.collection.is_success(),
            analysis_failed = cycle.analysis_failed(),
            "cycle finished"
        );
        cycle
    }
}

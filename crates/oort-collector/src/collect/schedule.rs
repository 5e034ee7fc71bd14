//! Collection on a schedule: a run every interval, with jitter, until cancelled.

use super::lease::CollectError;
use super::report::{CollectionReport, WatchSummary};
use super::Collector;

impl Collector {
    /// Collects every `interval` (plus up to `jitter` more, so a fleet does not call Graph in
    /// lockstep) until the cancel handle fires. Waits use `tokio::time`, so they follow paused
    /// time in tests. A run that fails to record in the store, or finds the tenant's lease
    /// held by another collection (see [`Collector::collect_now`]), ends the loop with that
    /// error.
    /// Memory does not grow with the number of runs: each run's report goes out as
    /// [`Progress::RunFinished`](super::Progress::RunFinished), and the summary keeps counts and the last report.
    pub async fn run_every(
        &self,
        interval: std::time::Duration,
        jitter: std::time::Duration,
    ) -> Result<WatchSummary, CollectError> {
        self.run_every_then(interval, jitter, async |_: &CollectionReport| {})
            .await
    }

    /// [`Collector::run_every`], awaiting `after_run` with each run's report before the wait
    /// for the next: where a service analyses what was collected and sends its notifications.
    /// Cancellation is checked again after it.
    ///
    /// ```no_run
    /// # async fn demo(collector: oort_collector::Collector) -> Result<(), oort_collector::CollectError> {
    /// let every = std::time::Duration::from_secs(15 * 60);
    /// let summary = collector
    ///     .run_every_then(every, every / 10, async |report| {
    ///         let new: u64 = report.streams.iter().map(|s| s.inserted).sum();
    ///         tracing::info!(run = %report.run_id, new, "collected; analysing");
    ///     })
    ///     .await?;
    /// assert_eq!(summary.runs, summary.failed_runs + summary.succeeded_runs());
    /// # Ok(()) }
    /// ```
    pub async fn run_every_then(
        &self,
        interval: std::time::Duration,
        jitter: std::time::Duration,
        mut after_run: impl AsyncFnMut(&CollectionReport),
    ) -> Result<WatchSummary, CollectError> {
        let mut summary = WatchSummary::default();
        while !self.cancel.is_cancelled() {
            let report = self.collect_now().await?;
            summary.runs += 1;
            if !report.is_success() {
                summary.failed_runs += 1;
            }
            after_run(&report).await;
            summary.last = Some(report);
            let deadline = tokio::time::Instant::now() + interval + entra_auth::jitter(jitter);
            // Wake up at least every second to notice cancellation.
            while !self.cancel.is_cancelled() && tokio::time::Instant::now() < deadline {
                let step =
                    (deadline - tokio::time::Instant::now()).min(std::time::Duration::from_secs(1));
                tokio::time::sleep(step).await;
            }
        }
        Ok(summary)
    }
}

//! Delta streams (users, groups): a full sync that ends with a deltaLink, then only changes;
//! removals are marked, not erased, and a resync answer starts a full sync that reconciles what
//! vanished.

use entra_model::Raw;
use futures::TryStreamExt;
use graph_client::{Continuation, Lenient, PageStream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use oort_store::{Batch, SnapshotScope};

use super::report::{Progress, StreamReport};
use super::streams::StreamSpec;
use super::{Collector, StreamError};

/// The checkpoint of a delta stream.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct DeltaState {
    /// Mid-round position (a nextLink), if a round was interrupted.
    #[serde(default)]
    continuation: Option<Continuation>,
    /// The deltaLink of the last completed round.
    #[serde(default)]
    delta_link: Option<Continuation>,
    /// Start of the full sync in progress, if any (for reconciling what vanished).
    #[serde(with = "entra_model::timestamp::option", default)]
    full_sync_started: Option<OffsetDateTime>,
}

impl Collector {
    /// A delta stream: full sync ending with a deltaLink, then changes; a resync answer starts
    /// a full sync, after which what was not seen in `reconcile` is marked removed.
    pub(super) async fn delta<T>(
        &self,
        spec: &StreamSpec,
        batch: fn(Vec<Raw<T>>) -> Batch,
        reconcile: &[SnapshotScope],
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let kind = spec.kind;
        let mut state: DeltaState = self.load_state(kind).await?;
        let mut resynced = false;
        let mut restarted = false;
        loop {
            let stream: PageStream<Lenient<Raw<T>>> = if let Some(c) = &state.continuation {
                self.client.resume(c.clone())
            } else if let Some(d) = &state.delta_link {
                self.client.resume(d.clone())
            } else {
                state.full_sync_started = Some(self.clock.now());
                self.client.delta(spec.request(self.config.page_size))
            };
            let stream = stream.max_pages(self.config.max_pages);
            match self
                .delta_round(spec, stream, batch, &mut state, report)
                .await
            {
                Err(StreamError::Graph(e))
                    if e.is_stale_continuation()
                        && !e.is_resync_required()
                        && state.continuation.is_some()
                        && !restarted =>
                {
                    // The round's nextLink is no longer accepted (its page token expired:
                    // `concepts/paging.md`, "Error handling"): the round starts again from its
                    // deltaLink (or as a new full sync), which reads what the rest would have.
                    restarted = true;
                    tracing::warn!(
                        stream = kind.as_str(),
                        error = %e,
                        "Graph no longer accepts the saved nextLink of this delta round: dropped, the round starts again"
                    );
                    state.continuation = None;
                    self.store
                        .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state)?)
                        .await?;
                    continue;
                }
                Err(StreamError::Graph(e)) if e.is_resync_required() && !resynced => {
                    // The deltaLink expired: start over with a full sync that reconciles.
                    resynced = true;
                    state = DeltaState::default();
                    self.store
                        .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state)?)
                        .await?;
                    continue;
                }
                Err(e) => return Err(e),
                Ok(()) => {}
            }
            if let Some(started) = state.full_sync_started.take() {
                let ctx = self.ctx();
                for scope in reconcile {
                    report.removed += self
                        .store
                        .finish_snapshot(ctx, scope.clone(), started)
                        .await?;
                }
                self.store
                    .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state)?)
                    .await?;
            }
            return Ok(());
        }
    }

    /// Reads one delta round (or the rest of one) to its deltaLink, storing each page with the
    /// state after it as its checkpoint.
    async fn delta_round<T>(
        &self,
        spec: &StreamSpec,
        mut stream: PageStream<Lenient<Raw<T>>>,
        batch: fn(Vec<Raw<T>>) -> Batch,
        state: &mut DeltaState,
        report: &mut StreamReport,
    ) -> Result<(), StreamError>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let kind = spec.kind;
        while let Some(page) = stream.try_next().await? {
            let items = page.items.len();
            let mut next = state.clone();
            match (&page.next_link, page.continuation()) {
                (Some(_), c) => next.continuation = c,
                (None, c) => {
                    next.continuation = None;
                    next.delta_link = c;
                }
            }
            let checkpoint = Self::state_checkpoint(kind, &next)?;
            let summary = self
                .store_page(kind, batch, page.items, Some(checkpoint), report)
                .await?;
            *state = next;
            report.count_page(summary);
            self.emit(Progress::PageStored {
                stream: kind,
                items,
                summary,
            });
            if state.continuation.is_some() && self.cancel.is_cancelled() {
                return Err(StreamError::Cancelled);
            }
        }
        Ok(())
    }
}

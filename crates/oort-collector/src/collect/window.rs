//! Windowed activity logs (sign-ins, directory audits): the window `[from, to)` planned from
//! the watermark, its slices checkpointed with their nextLinks, slices split when their first
//! page is full and fetched concurrently, and the watermark that passes only slices completely
//! stored.

use entra_model::{DirectoryAudit, Raw, SignIn};
use futures::{FutureExt, Stream};
use graph_client::{Continuation, GraphError, Lenient, Page, PageStream};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use oort_store::{Batch, RejectedItem, StoreError, StreamKind, WriteContext, WriteSummary};

use super::feedback::Feedback;
use super::rejected;
use super::report::{Progress, StreamReport};
use super::streams::{StreamSpec, Window};
use super::{Collector, StreamError};

/// Most items written in one transaction by a time-windowed stream (pages ready at once).
const GROUP_ITEMS: usize = 4_000;

/// Most slices one drain restarts after Graph refused their saved continuation: each restart
/// narrows the slice to what is not stored yet, so this only bounds a service that refuses
/// every nextLink it hands out.
const MAX_RESTARTS: usize = 64;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Slice {
    #[serde(with = "entra_model::timestamp")]
    start: OffsetDateTime,
    #[serde(with = "entra_model::timestamp")]
    end: OffsetDateTime,
    continuation: Option<Continuation>,
    /// The oldest item time stored from this slice's current query (Graph answers newest
    /// first, so `[oldest, end)` is stored): where a query started afresh resumes.
    #[serde(
        with = "entra_model::timestamp::option",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    oldest: Option<OffsetDateTime>,
}

impl Slice {
    fn key(&self) -> SliceKey {
        (self.start, self.end)
    }

    /// A slice of `[start, end)` queried from its start.
    fn new(start: OffsetDateTime, end: OffsetDateTime) -> Self {
        Slice {
            start,
            end,
            continuation: None,
            oldest: None,
        }
    }
}

/// A slice's identity: its range (the slices of a window never overlap).
type SliceKey = (OffsetDateTime, OffsetDateTime);

/// The checkpoint of a windowed stream.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub(super) struct WindowState {
    /// Everything before it is stored.
    #[serde(with = "entra_model::timestamp::option", default)]
    watermark: Option<OffsetDateTime>,
    /// The slices not completely stored yet, oldest first.
    #[serde(default)]
    pending: Vec<Slice>,
    /// The end of the window being collected.
    #[serde(with = "entra_model::timestamp::option", default)]
    window_end: Option<OffsetDateTime>,
}

impl WindowState {
    /// The slice is completely stored.
    fn finish(&mut self, key: SliceKey) {
        self.pending.retain(|s| s.key() != key);
        if self.window_end.is_none() && self.pending.is_empty() {
            // A state saved before windows had an end: the last slice's end is the window's.
            self.window_end = Some(key.1);
        }
        self.advance();
    }

    /// The slice's next page is at `continuation`; the page before it went back to `oldest`.
    fn set_continuation(
        &mut self,
        key: SliceKey,
        continuation: Option<Continuation>,
        oldest: Option<OffsetDateTime>,
    ) {
        if let Some(s) = self.pending.iter_mut().find(|s| s.key() == key) {
            s.continuation = continuation;
            s.oldest = match (s.oldest, oldest) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
    }

    /// Graph no longer accepts the slice's saved continuation: the slice is queried afresh
    /// from its start to just after its oldest stored item (everything newer is stored), or
    /// is done when nothing is left. `false` when the slice had no continuation (the failure
    /// was not one of a continuation).
    fn restart(&mut self, key: SliceKey) -> bool {
        let Some(slice) = self.pending.iter().find(|s| s.key() == key) else {
            return false;
        };
        if slice.continuation.is_none() {
            return false;
        }
        let end = slice
            .oldest
            .map(|o| floor_seconds(o) + Duration::SECOND)
            .filter(|cut| *cut < slice.end)
            .unwrap_or(slice.end);
        let start = slice.start;
        if start < end {
            self.replace(key, vec![Slice::new(start, end)]);
        } else {
            self.finish(key);
        }
        true
    }

    /// The slice is split: what is left of it is `pieces`.
    fn replace(&mut self, key: SliceKey, pieces: Vec<Slice>) {
        self.pending.retain(|s| s.key() != key);
        self.pending.extend(pieces);
        self.pending.sort_by_key(|s| s.start);
        self.advance();
    }

    /// Moves the watermark up to the oldest slice still pending (or the window's end).
    fn advance(&mut self) {
        let mark = match self.pending.iter().map(|s| s.start).min() {
            Some(start) => Some(start),
            None => self.window_end,
        };
        if let Some(mark) = mark {
            self.watermark = Some(self.watermark.map_or(mark, |w| w.max(mark)));
        }
    }

    /// Pending slices not being fetched.
    fn unstarted<T>(&self, active: &[ActiveSlice<T>]) -> usize {
        self.pending
            .iter()
            .filter(|s| !active.iter().any(|a| a.key == s.key()))
            .count()
    }
}

/// A slice being fetched.
struct ActiveSlice<T> {
    key: SliceKey,
    /// No page of it has been seen since its query started (its first page may split it).
    fresh: bool,
    pages: PageStream<Lenient<Raw<T>>>,
}

/// What a windowed stream queries and writes.
struct Query<'a, T> {
    kind: StreamKind,
    spec: &'a StreamSpec,
    window: &'a Window,
    batch: fn(Vec<Raw<T>>) -> Batch,
}

/// An item of a time-windowed stream: its time.
pub(super) trait Timed {
    /// The time the window's `$filter` bounds.
    fn time(&self) -> Option<OffsetDateTime>;
}

impl Timed for SignIn {
    fn time(&self) -> Option<OffsetDateTime> {
        self.created_date_time
    }
}

impl Timed for DirectoryAudit {
    fn time(&self) -> Option<OffsetDateTime> {
        self.activity_date_time
    }
}

/// The next page of any active slice, polling them in turn (from `turn`) for fairness.
async fn next_page<T>(
    active: &mut [ActiveSlice<T>],
    turn: usize,
) -> (usize, Option<Result<Page<Lenient<Raw<T>>>, GraphError>>)
where
    T: DeserializeOwned + Send + 'static,
{
    let n = active.len();
    futures::future::poll_fn(|cx| {
        for k in 0..n {
            let i = (turn + k) % n;
            if let std::task::Poll::Ready(x) =
                std::pin::Pin::new(&mut active[i].pages).poll_next(cx)
            {
                return std::task::Poll::Ready((i, x));
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// The pieces a slice is split into after its first page, or none. Graph answers newest first:
/// a full first page holds every item from its oldest item's second (`cut`) to the slice's end,
/// so what is left is `[start, cut)`. Its size is estimated from the page's density; it is cut
/// into equal time pieces of two pages or more each (a piece's partly filled last page is the
/// cost of a split), at most `2 * max`. `total` counts the page's items, `items` those that read
/// (the others have no time to read).
fn split_pieces<T: Timed>(
    slice: &Slice,
    items: &[Raw<T>],
    total: usize,
    page_size: u32,
    max: usize,
) -> Vec<Slice> {
    if total < page_size as usize {
        return Vec::new();
    }
    let Some(oldest) = items.iter().filter_map(|r| r.value().time()).min() else {
        return Vec::new();
    };
    let cut = floor_seconds(oldest) + Duration::SECOND;
    if oldest < slice.start || cut >= slice.end {
        return Vec::new();
    }
    let covered = (slice.end - oldest).as_seconds_f64();
    let rest = (cut - slice.start).whole_seconds();
    if covered <= 0.0 || rest < 2 {
        return Vec::new();
    }
    let pages_left = rest as f64 / covered;
    // Up to twice as many pieces as run at once: when one ends early (sign-ins are not evenly
    // spread over time), another is waiting, and the tail of the window is not one slice alone.
    let pieces = ((pages_left / 2.0).floor() as usize).min(2 * max);
    if pieces < 2 {
        return Vec::new();
    }
    let step = (rest / pieces as i64).max(1);
    let mut out = Vec::with_capacity(pieces);
    let mut start = slice.start;
    for k in 0..pieces {
        let end = if k + 1 == pieces {
            cut
        } else {
            (start + Duration::seconds(step)).min(cut)
        };
        if start < end {
            out.push(Slice::new(start, end));
        }
        start = end;
    }
    out
}

fn filter_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn floor_seconds(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(0).unwrap_or(t)
}

/// A group of pages being written in the background (see `Collector::drain`).
struct InFlightWrite {
    write: tokio::task::JoinHandle<Result<WriteSummary, StoreError>>,
    pages: u64,
    items: usize,
    rejected: usize,
    done: Vec<Slice>,
}

/// The slices being fetched and the group being written, across the groups of one drain.
struct Drain<T> {
    /// The stream.
    kind: StreamKind,
    active: Vec<ActiveSlice<T>>,
    /// How many slices to fetch at once (see [`Feedback::next_target`]).
    target: usize,
    /// [`CollectorConfig::max_concurrency`](super::CollectorConfig::max_concurrency), at least 1.
    max: usize,
    /// Where polling starts among the active slices (round robin).
    turn: usize,
    /// The group being written while the next one is gathered. Writes stay in order: every
    /// store operation waits for it first, so checkpoints commit in the order they were made.
    in_flight: Option<InFlightWrite>,
    /// Slices restarted after Graph refused their continuation (at most [`MAX_RESTARTS`]).
    restarts: usize,
}

/// The pages gathered for one transaction, and the window state once they are stored.
struct Group<T> {
    next: WindowState,
    items: Vec<Raw<T>>,
    /// Items of the pages that do not read, set aside before the group is written.
    rejected: Vec<RejectedItem>,
    pages: u64,
    /// Slices completely read.
    done: Vec<Slice>,
    /// A slice was restarted (its state changed without a page).
    restarted: bool,
    /// The error that ended the gathering, after the pages before it.
    failure: Option<GraphError>,
}

impl Collector {
    /// Plans the slices of the window `[from, to)` for a time-windowed stream.
    fn plan(&self, state: &mut WindowState, now: OffsetDateTime) {
        let to = floor_seconds(now - self.config.settle_delay);
        let from = floor_seconds(match state.watermark {
            Some(w) => w - self.config.overlap,
            None => now - self.config.backfill,
        });
        let mut start = from;
        while start < to {
            let end = (start + self.config.slice).min(to);
            state.pending.push(Slice::new(start, end));
            start = end;
        }
        if from < to {
            state.window_end = Some(to);
        }
    }

    /// A time-windowed stream: sign-ins or audits in `[from, to)` slices, each checkpointed with
    /// its nextLink; the watermark advances over completely stored slices only. An interrupted
    /// run's slices are finished first, then the window catches up to the present.
    pub(super) async fn window<T>(
        &self,
        spec: &StreamSpec,
        window: &Window,
        batch: fn(Vec<Raw<T>>) -> Batch,
        report: &mut StreamReport,
        feedback: &Feedback,
    ) -> Result<(), StreamError>
    where
        T: Timed + DeserializeOwned + Send + 'static,
    {
        let kind = spec.kind;
        let query = Query {
            kind,
            spec,
            window,
            batch,
        };
        let mut state: WindowState = self.load_state(kind).await?;
        let resumed = !state.pending.is_empty();
        if !resumed {
            let now = self.graph_now().await;
            self.plan(&mut state, now);
            self.store
                .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state)?)
                .await?;
        }
        self.drain(&query, &mut state, report, feedback).await?;
        if resumed {
            let now = self.graph_now().await;
            self.plan(&mut state, now);
            if !state.pending.is_empty() {
                self.store
                    .save_checkpoint(&self.tenant, Self::state_checkpoint(kind, &state)?)
                    .await?;
                self.drain(&query, &mut state, report, feedback).await?;
            }
        }
        Ok(())
    }

    /// The page stream of a slice: resumed from its nextLink, or a fresh query of its range.
    fn open_slice<T>(&self, q: &Query<'_, T>, slice: &Slice) -> PageStream<Lenient<Raw<T>>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        // Slices fetched at once already overlap Graph's latency, and a group of pages is
        // written while the next is gathered: each slice holds one page ahead (not
        // graph-client's default three), which bounds the memory of a concurrent window.
        let stream = match &slice.continuation {
            Some(c) => self.client.resume(c.clone()),
            None => {
                let filter = q
                    .window
                    .filter(&filter_time(slice.start), &filter_time(slice.end));
                self.client
                    .pages(q.spec.request(self.config.page_size).filter(filter))
            }
        };
        stream.ahead(1).max_pages(self.config.max_pages)
    }

    /// Fetches and stores every pending slice. Up to [`CollectorConfig::max_concurrency`] slices
    /// are fetched at once (as many as the throttle feedback allows), their pages stored one at a
    /// time, each with the whole window state as its checkpoint. A slice whose first page is
    /// full is split: Graph answers newest first, so the page holds everything after its oldest
    /// item's second, and the range before it is cut into pieces (their queries start afresh:
    /// one second may be fetched twice, and the upsert by id stores it once).
    ///
    /// [`CollectorConfig::max_concurrency`]: super::CollectorConfig::max_concurrency
    async fn drain<T>(
        &self,
        q: &Query<'_, T>,
        state: &mut WindowState,
        report: &mut StreamReport,
        feedback: &Feedback,
    ) -> Result<(), StreamError>
    where
        T: Timed + DeserializeOwned + Send + 'static,
    {
        let mut d = Drain {
            kind: q.kind,
            active: Vec::new(),
            target: 1,
            max: self.config.max_concurrency.max(1),
            turn: 0,
            in_flight: None,
            restarts: 0,
        };
        loop {
            self.start_slices(q, state, &mut d);
            if d.active.is_empty() {
                self.settle(q.kind, &mut d.in_flight, report).await?;
                return Ok(());
            }
            let group = self.gather(state, &mut d, feedback).await;
            let failure = self.store_group(q, group, state, &mut d, report).await?;
            if let Some(e) = failure {
                self.settle(q.kind, &mut d.in_flight, report).await?;
                return Err(e.into());
            }
            if self.cancel.is_cancelled() {
                self.settle(q.kind, &mut d.in_flight, report).await?;
                return Err(StreamError::Cancelled);
            }
        }
    }

    /// Starts pending slices, oldest first, up to the target.
    fn start_slices<T>(&self, q: &Query<'_, T>, state: &WindowState, d: &mut Drain<T>)
    where
        T: DeserializeOwned + Send + 'static,
    {
        while d.active.len() < d.target {
            let Some(slice) = state
                .pending
                .iter()
                .find(|s| !d.active.iter().any(|a| a.key == s.key()))
            else {
                break;
            };
            d.active.push(ActiveSlice {
                key: slice.key(),
                fresh: slice.continuation.is_none(),
                pages: self.open_slice(q, slice),
            });
        }
    }

    /// The next page of any slice, then every page the other slices have ready by now: all go
    /// in one transaction (when the store is the slow side, pages queue up and are written
    /// together, which rewrites each index page once instead of per page).
    async fn gather<T>(
        &self,
        state: &WindowState,
        d: &mut Drain<T>,
        feedback: &Feedback,
    ) -> Group<T>
    where
        T: Timed + DeserializeOwned + Send + 'static,
    {
        let mut g = Group {
            next: state.clone(),
            items: Vec::new(),
            rejected: Vec::new(),
            pages: 0,
            done: Vec::new(),
            restarted: false,
            failure: None,
        };
        d.turn = d.turn.wrapping_add(1);
        let mut polled = Some(next_page(&mut d.active, d.turn).await);
        while let Some((i, outcome)) = polled.take() {
            let key = d.active[i].key;
            let Some(slice) = g.next.pending.iter().find(|s| s.key() == key).cloned() else {
                // Not reachable (a slice leaves `active` when it leaves `pending`); stop the
                // group here rather than store a page no slice accounts for.
                d.active.remove(i);
                break;
            };
            match outcome {
                Some(Err(e))
                    if e.is_stale_continuation()
                        && d.restarts < MAX_RESTARTS
                        && g.next.restart(key) =>
                {
                    // Graph no longer accepts the slice's nextLink (an expired skip token,
                    // `DirectoryPageTokenNotFoundException` or 410 Gone: `concepts/paging.md`,
                    // "Error handling"; `concepts/errors.md`): the rest of its range is queried
                    // afresh, from its oldest stored item, instead of failing every run.
                    tracing::warn!(
                        stream = d.kind.as_str(),
                        slice_start = %filter_time(slice.start),
                        slice_end = %filter_time(slice.end),
                        error = %e,
                        "Graph no longer accepts the saved nextLink of a slice: dropped, the rest of the slice is queried afresh"
                    );
                    d.restarts += 1;
                    d.active.remove(i);
                    g.restarted = true;
                }
                Some(Err(e)) => {
                    g.failure = Some(e);
                    break;
                }
                None => {
                    // The stream ended without a last page (nothing to read): done.
                    d.active.remove(i);
                    g.next.finish(key);
                    g.done.push(slice);
                }
                Some(Ok(page)) => self.take_page(d, &mut g, i, slice, page, feedback),
            }
            if d.active.is_empty() || g.items.len() >= GROUP_ITEMS {
                break;
            }
            d.turn = d.turn.wrapping_add(1);
            polled = next_page(&mut d.active, d.turn).now_or_never();
        }
        g
    }

    /// Adds a page of the active slice `i` to the group: the slice finishes, goes on at its
    /// nextLink, or (a full first page with room to run more slices) is split.
    fn take_page<T: Timed>(
        &self,
        d: &mut Drain<T>,
        g: &mut Group<T>,
        i: usize,
        slice: Slice,
        page: Page<Lenient<Raw<T>>>,
        feedback: &Feedback,
    ) {
        let key = slice.key();
        let fresh = std::mem::replace(&mut d.active[i].fresh, false);
        let continuation = page.continuation();
        let finished = continuation.is_none();
        let total = page.items.len();
        let sorted = rejected::sort(d.kind, page.items);
        let oldest = sorted.parsed.iter().filter_map(|r| r.value().time()).min();
        let mut split = false;
        d.target = feedback.next_target(d.target, d.max);
        if finished {
            g.next.finish(key);
        } else {
            let running = d.active.len() + g.next.unstarted(&d.active);
            let pieces = if fresh && running < d.target {
                split_pieces(&slice, &sorted.parsed, total, self.config.page_size, d.max)
            } else {
                Vec::new()
            };
            if pieces.is_empty() {
                g.next.set_continuation(key, continuation, oldest);
            } else {
                g.next.replace(key, pieces);
                split = true;
            }
        }
        g.items.extend(sorted.parsed);
        g.rejected.extend(sorted.rejected);
        g.pages += 1;
        if finished || split {
            // Dropping a split slice's stream stops its prefetch.
            d.active.remove(i);
        }
        if finished {
            g.done.push(slice);
        }
    }

    /// Stores a group with the window state after it as its checkpoint, in the background
    /// while the next group is gathered (after the previous group's write), and makes that state
    /// the current one. Returns the group's failure, if any.
    async fn store_group<T>(
        &self,
        q: &Query<'_, T>,
        group: Group<T>,
        state: &mut WindowState,
        d: &mut Drain<T>,
        report: &mut StreamReport,
    ) -> Result<Option<GraphError>, StreamError> {
        let Group {
            next,
            items,
            rejected,
            pages,
            done,
            restarted,
            failure,
        } = group;
        let stored = items.len();
        let checkpoint = Self::state_checkpoint(q.kind, &next)?;
        self.settle(q.kind, &mut d.in_flight, report).await?;
        if pages > 0 {
            let (store, tenant, now) = (self.store.clone(), self.tenant.clone(), self.clock.now());
            let batch = (q.batch)(items);
            let set_aside = rejected.len();
            let write = tokio::spawn(async move {
                let ctx = WriteContext {
                    tenant: &tenant,
                    now,
                };
                // The items that do not read are set aside before the checkpoint passes them
                // (recorded once again if the pages are read again after a crash).
                if !rejected.is_empty() {
                    store.record_rejected(ctx, &rejected).await?;
                }
                store.write(ctx, batch, Some(checkpoint)).await
            });
            d.in_flight = Some(InFlightWrite {
                write,
                pages,
                items: stored,
                rejected: set_aside,
                done,
            });
        } else if !done.is_empty() || restarted {
            self.store.save_checkpoint(&self.tenant, checkpoint).await?;
            self.slices_done(q.kind, done);
        }
        *state = next;
        Ok(failure)
    }

    /// Waits for the group being written, if any, and reports it.
    async fn settle(
        &self,
        kind: StreamKind,
        in_flight: &mut Option<InFlightWrite>,
        report: &mut StreamReport,
    ) -> Result<(), StreamError> {
        let Some(w) = in_flight.take() else {
            return Ok(());
        };
        let summary = w
            .write
            .await
            .map_err(|e| StoreError::task(format!("write a group of pages: {e}")))??;
        report.count_pages(summary, w.pages);
        report.rejected += w.rejected as u64;
        self.emit(Progress::PageStored {
            stream: kind,
            items: w.items,
            summary,
        });
        self.slices_done(kind, w.done);
        Ok(())
    }

    fn slices_done(&self, kind: StreamKind, done: Vec<Slice>) {
        for slice in done {
            self.emit(Progress::SliceDone {
                stream: kind,
                start: slice.start,
                end: slice.end,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn sign_ins(times: &[OffsetDateTime]) -> Vec<Raw<SignIn>> {
        times
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let json = format!(
                    r#"{{"id":"s{i}","createdDateTime":"{}"}}"#,
                    entra_model::timestamp::format(t)
                );
                Raw::from_json(&json).unwrap()
            })
            .collect()
    }

    fn slice(start: OffsetDateTime, end: OffsetDateTime) -> Slice {
        Slice::new(start, end)
    }

    #[test]
    fn a_full_first_page_covering_a_tenth_of_the_slice_splits_the_rest_into_max_pieces() {
        let s = slice(
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-11 0:00 UTC),
        );
        // 10 items over the last day, the oldest at 2025-06-10 00:00:00.5.
        let times: Vec<_> = (0..10)
            .map(|i| datetime!(2025-06-10 0:00:00.5 UTC) + Duration::hours(2 * i))
            .collect();
        let pieces = split_pieces(&s, &sign_ins(&times), 10, 10, 4);
        assert_eq!(pieces.len(), 4, "about 9 pages left: 4 pieces of 2+ pages");
        let pieces = split_pieces(&s, &sign_ins(&times), 10, 10, 1);
        assert_eq!(pieces.len(), 2, "at most twice the concurrency");
        assert_eq!(pieces[0].start, s.start);
        assert_eq!(
            pieces.last().unwrap().end,
            datetime!(2025-06-10 0:00:01 UTC),
            "the rest ends after the oldest item's second"
        );
        for w in pieces.windows(2) {
            assert_eq!(w[0].end, w[1].start, "contiguous, no gap, no overlap");
        }
    }

    #[test]
    fn a_page_that_is_not_full_or_leaves_little_does_not_split() {
        let s = slice(
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-11 0:00 UTC),
        );
        let recent: Vec<_> = (0..10)
            .map(|i| datetime!(2025-06-10 0:00 UTC) + Duration::hours(i))
            .collect();
        assert!(
            split_pieces(&s, &sign_ins(&recent[..9]), 9, 10, 4).is_empty(),
            "not full: the slice is complete"
        );
        // A full page covering 4 of the 10 days: 1.5 pages left, not worth a split.
        let wide: Vec<_> = (0..10)
            .map(|i| datetime!(2025-06-07 0:00 UTC) + Duration::hours(9 * i))
            .collect();
        assert!(split_pieces(&s, &sign_ins(&wide), 10, 10, 4).is_empty());
    }

    #[test]
    fn the_watermark_moves_to_the_oldest_pending_slice_and_to_the_window_end_when_none_is_left() {
        let a = slice(
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-02 0:00 UTC),
        );
        let b = slice(
            datetime!(2025-06-02 0:00 UTC),
            datetime!(2025-06-03 0:00 UTC),
        );
        let mut w = WindowState {
            watermark: Some(datetime!(2025-06-01 0:30 UTC)),
            pending: vec![a.clone(), b.clone()],
            window_end: Some(b.end),
        };
        w.finish(b.key());
        assert_eq!(
            w.watermark,
            Some(datetime!(2025-06-01 0:30 UTC)),
            "a newer slice done first does not move it, nor does an older start move it back"
        );
        w.finish(a.key());
        assert_eq!(w.watermark, Some(b.end));
        assert!(w.pending.is_empty());
    }
}

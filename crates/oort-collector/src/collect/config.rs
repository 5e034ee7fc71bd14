//! Collection settings.

use serde::{Deserialize, Serialize};
use time::Duration;

use oort_store::StreamKind;

/// Collection settings. Defaults follow `DESIGN.md`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CollectorConfig {
    /// How far back the first run reaches. Default: 30 days.
    #[serde(with = "duration_secs")]
    pub backfill: Duration,
    /// How far behind the watermark later runs start again (sign-ins appear late). Default: 30 min.
    #[serde(with = "duration_secs")]
    pub overlap: Duration,
    /// How far behind now a window ends. Default: 2 min.
    #[serde(with = "duration_secs")]
    pub settle_delay: Duration,
    /// Longest time slice a window is cut into (each slice is one query, checkpointed on its own
    /// with its nextLink). Default: 31 days, i.e. a 30-day backfill or an incremental window is
    /// one query: under the reports throttle (5 requests / 10 s) a small tenant then costs one
    /// request per stream, and a large one pages through full pages. Shorter slices advance the
    /// watermark sooner during a long backfill.
    #[serde(with = "duration_secs")]
    pub slice: Duration,
    /// Page size of sign-in and audit queries (Graph's maximum is 1,000). Default: 1,000.
    pub page_size: u32,
    /// Most slices of one time-windowed stream fetched at once. A slice whose first page is full
    /// is split (its remaining time range cut into pieces fetched concurrently), and the number
    /// fetched at once adapts to the throttle: it grows while requests go out without waiting,
    /// holds while the client-side limiter paces them (the budget is in use: more would only
    /// queue), and halves on a 429 or 503. Default: 4. 1 fetches slices one after the other.
    pub max_concurrency: usize,
    /// Most pages one crawl reads in a run (a slice of a window, a delta round, a snapshot):
    /// past it the stream fails for this run, resumable from where it stopped, instead of
    /// reading for ever (a nextLink that leads back to a page already read fails the stream
    /// too). Default: 100,000 (a hundred million sign-ins in pages of 1,000).
    pub max_pages: u64,
    /// Collect Intune managed devices (Intune is optional). Default: false.
    pub devices: bool,
    /// Streams switched off by configuration. Default: none.
    pub disabled: Vec<StreamKind>,
    /// How long sign-ins and directory audit entries are kept: after each run, those older than
    /// this (by their own time) are deleted. `None` keeps everything. Keep at least the
    /// backfill (less deletes what a first run fetched) and the analysis's look-back (8 days by
    /// default). Default: `None`.
    #[serde(default, with = "opt_duration_secs")]
    pub retention: Option<Duration>,
}

impl Default for CollectorConfig {
    fn default() -> Self {
        CollectorConfig {
            backfill: Duration::days(30),
            overlap: Duration::minutes(30),
            settle_delay: Duration::minutes(2),
            slice: Duration::days(31),
            page_size: 1_000,
            max_concurrency: 4,
            max_pages: graph_client::DEFAULT_MAX_PAGES,
            devices: false,
            disabled: Vec::new(),
            retention: None,
        }
    }
}

mod opt_duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.whole_seconds()),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<i64>::deserialize(d).map(|v| v.map(Duration::seconds))
    }
}

mod duration_secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.whole_seconds())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        i64::deserialize(d).map(Duration::seconds)
    }
}

//! Items a collection stream set aside because this version's models do not read them: kept
//! with their JSON text and the error, counted, and re-read after an upgrade.

use time::OffsetDateTime;

use crate::StreamKind;

/// An item a stream could not read with this version's models (a timestamp in an unexpected
/// form, a property of the wrong type), to be kept until a later version reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedItem {
    /// The stream whose page held it.
    pub stream: StreamKind,
    /// Its key within the stream: the item's `id`, or, for an item without one, a fingerprint
    /// of its JSON text (so that reading the same page again records it once).
    pub item_key: String,
    /// The item's JSON text exactly as Graph sent it.
    pub raw_json: String,
    /// Why it did not read.
    pub error: String,
}

impl RejectedItem {
    /// An item of `stream` set aside under `item_key`.
    pub fn new(
        stream: StreamKind,
        item_key: impl Into<String>,
        raw_json: impl Into<String>,
        error: impl Into<String>,
    ) -> Self {
        RejectedItem {
            stream,
            item_key: item_key.into(),
            raw_json: raw_json.into(),
            error: error.into(),
        }
    }
}

/// A rejected item as stored, with when it was first and last set aside.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredRejectedItem {
    /// The item.
    pub item: RejectedItem,
    /// When it was first set aside.
    pub first_rejected_at: OffsetDateTime,
    /// When it was last set aside (a page read again records it again).
    pub last_rejected_at: OffsetDateTime,
}

/// How many items of one stream are set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedCount {
    /// The stream.
    pub stream: StreamKind,
    /// Items set aside.
    pub count: u64,
}

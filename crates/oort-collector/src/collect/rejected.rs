//! Items that do not read: a page's items are parsed one by one (graph-client's [`Lenient`]),
//! and an item this version's models do not read is set aside in the store's rejected items
//! with its JSON and the error, while the rest of the page is stored and the checkpoint moves
//! on. [`Collector::retry_rejected`] reads them again after an upgrade.

use entra_model::Raw;
use graph_client::Lenient;
use oort_store::{Batch, RejectedItem, StoreError, StreamKind};
use serde::de::DeserializeOwned;

use super::report::RetryReport;
use super::streams::{self, Mode};
use super::Collector;

/// The items of a page, parsed or set aside.
pub(super) struct Sorted<T> {
    /// The items that read.
    pub(super) parsed: Vec<Raw<T>>,
    /// The items that do not, as the store keeps them.
    pub(super) rejected: Vec<RejectedItem>,
}

/// Sorts a page's items into those that read and those set aside (with `stream`'s name).
pub(super) fn sort<T>(stream: StreamKind, items: Vec<Lenient<Raw<T>>>) -> Sorted<T> {
    let mut parsed = Vec::with_capacity(items.len());
    let mut rejected = Vec::new();
    for item in items {
        match item {
            Lenient::Parsed(raw) => parsed.push(raw),
            Lenient::Rejected(r) => {
                let key = item_key(r.id(), r.json());
                tracing::warn!(
                    stream = stream.as_str(),
                    item = %key,
                    error = r.error(),
                    "an item does not read with this version's models: set aside (oort collect --retry-rejected re-reads it after an upgrade)"
                );
                let (json, error) = r.into_parts();
                rejected.push(RejectedItem::new(stream, key, json, error));
            }
        }
    }
    Sorted { parsed, rejected }
}

/// A rejected item's key: its id, or `fnv:` and a fingerprint of its JSON text (FNV-1a, 64
/// bits: stable across versions and platforms, so a page read again keys the item the same).
pub(super) fn item_key(id: Option<String>, json: &str) -> String {
    if let Some(id) = id.filter(|id| !id.is_empty()) {
        return id;
    }
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in json.as_bytes() {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("fnv:{hash:016x}")
}

/// Re-reads items of one item type: those that read now, as a batch, with their keys; the
/// others with the current error.
pub(super) trait Reparse: Sync {
    /// Parses `items` with the current model.
    fn reparse(&self, items: Vec<RejectedItem>) -> Reparsed;
}

/// What [`Reparse::reparse`] found.
pub(super) struct Reparsed {
    /// The items that read, as the batch of their stream (`None` when none does).
    pub(super) batch: Option<Batch>,
    /// The keys of the items that read.
    pub(super) keys: Vec<String>,
    /// The items that still do not read, with the current error.
    pub(super) still: Vec<RejectedItem>,
}

impl<T: DeserializeOwned + Send + 'static> Reparse for streams::Items<T> {
    fn reparse(&self, items: Vec<RejectedItem>) -> Reparsed {
        let mut parsed = Vec::new();
        let mut keys = Vec::new();
        let mut still = Vec::new();
        for item in items {
            match Raw::<T>::from_json(&item.raw_json) {
                Ok(raw) => {
                    parsed.push(raw);
                    keys.push(item.item_key);
                }
                Err(e) => still.push(RejectedItem::new(
                    item.stream,
                    item.item_key,
                    item.raw_json,
                    e.to_string(),
                )),
            }
        }
        Reparsed {
            batch: (!parsed.is_empty()).then(|| (self.0)(parsed)),
            keys,
            still,
        }
    }
}

/// How many rejected items one retry reads and writes at a time.
const RETRY_CHUNK: usize = 1_000;

impl Collector {
    /// Re-reads the items set aside in the store's rejected items with this version's models:
    /// those that read now are stored as their stream stores them (and removed from the
    /// rejected items), the others are kept with the current error. Makes no Graph request.
    /// One report per stream that had rejected items.
    pub async fn retry_rejected(&self) -> Result<Vec<RetryReport>, StoreError> {
        let mut reports = Vec::new();
        for count in self.store.rejected_counts(&self.tenant).await? {
            let stream = count.stream;
            let mut report = RetryReport {
                stream,
                retried: 0,
                stored: 0,
                still_rejected: 0,
            };
            let reparse: Option<&dyn Reparse> =
                streams::spec(stream).and_then(|spec| match &spec.mode {
                    Mode::Windowed(window) => Some(window.items.as_reparse()),
                    Mode::Delta { items, .. } | Mode::Snapshot { items, .. } => {
                        Some(items.as_reparse())
                    }
                    Mode::RoleMembers { .. } => None,
                });
            let Some(reparse) = reparse else {
                report.still_rejected = count.count;
                reports.push(report);
                continue;
            };
            // Read in chunks, oldest first; items that still do not read are skipped by the
            // next chunk's offset (they stay in the table).
            let mut seen = 0usize;
            loop {
                let chunk: Vec<RejectedItem> = self
                    .store
                    .rejected_items(&self.tenant, Some(stream), seen + RETRY_CHUNK)
                    .await?
                    .into_iter()
                    .skip(seen)
                    .map(|stored| stored.item)
                    .collect();
                if chunk.is_empty() {
                    break;
                }
                report.retried += chunk.len() as u64;
                let Reparsed { batch, keys, still } = reparse.reparse(chunk);
                if let Some(batch) = batch {
                    self.store.write(self.ctx(), batch, None).await?;
                    self.store
                        .delete_rejected(&self.tenant, stream, &keys)
                        .await?;
                }
                report.stored += keys.len() as u64;
                report.still_rejected += still.len() as u64;
                seen += still.len();
                if !still.is_empty() {
                    self.store.record_rejected(self.ctx(), &still).await?;
                }
            }
            reports.push(report);
        }
        Ok(reports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_without_an_id_is_keyed_by_a_stable_fingerprint_of_its_json() {
        assert_eq!(item_key(Some("abc".into()), "{}"), "abc");
        let a = item_key(None, r#"{"x":1}"#);
        assert_eq!(a, item_key(Some(String::new()), r#"{"x":1}"#));
        assert_ne!(a, item_key(None, r#"{"x":2}"#));
        // FNV-1a of the empty string is its offset basis: the function is the standard one.
        assert_eq!(item_key(None, ""), "fnv:cbf29ce484222325");
    }
}

//! [`RecentIds`]: the sign-in ids fed within the duplicate horizon.

use std::collections::VecDeque;
use std::hash::BuildHasher;

/// Ids of the sign-ins fed within the duplicate horizon, so overlapping batches count once.
/// Ids are kept as 64-bit hashes (Graph's ids are GUIDs: a collision among the few thousand ids
/// of a horizon is negligible), so remembering one costs no allocation.
#[derive(Debug, Default)]
pub(crate) struct RecentIds {
    hasher: foldhash::fast::RandomState,
    seen: std::collections::HashSet<u64, foldhash::fast::RandomState>,
    order: VecDeque<(i64, u64)>,
}

impl RecentIds {
    /// Records `id` at `t`; false when it was already recorded.
    pub(crate) fn insert(&mut self, id: &str, t: i64) -> bool {
        let h = self.hasher.hash_one(id);
        if !self.seen.insert(h) {
            return false;
        }
        self.order.push_back((t, h));
        true
    }

    /// Forgets the ids recorded before `from`.
    pub(crate) fn evict(&mut self, from: i64) {
        while self.order.front().is_some_and(|(t, _)| *t < from) {
            if let Some((_, h)) = self.order.pop_front() {
                self.seen.remove(&h);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_counts_once_until_it_is_evicted() {
        let mut ids = RecentIds::default();
        assert!(ids.insert("a", 0));
        assert!(ids.insert("b", 10));
        assert!(!ids.insert("a", 20));
        ids.evict(10);
        assert_eq!(ids.len(), 1);
        assert!(ids.insert("a", 30));
        assert!(!ids.insert("b", 30));
    }
}

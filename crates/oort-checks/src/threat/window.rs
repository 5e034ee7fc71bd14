//! [`Window`]: a sliding window of events in time order, and the durations windows are measured
//! in (milliseconds of event time).

use std::collections::hash_map::Entry;
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::Arc;

use super::event::Ev;
use super::HashMap;

pub(crate) const MS_PER_MINUTE: i64 = 60_000;
pub(crate) const MS_PER_HOUR: i64 = 60 * MS_PER_MINUTE;
pub(crate) const MS_PER_DAY: i64 = 24 * MS_PER_HOUR;

/// `m` minutes in milliseconds.
pub(crate) fn minutes(m: u32) -> i64 {
    i64::from(m) * MS_PER_MINUTE
}

/// `h` hours in milliseconds.
pub(crate) fn hours(h: u32) -> i64 {
    i64::from(h) * MS_PER_HOUR
}

/// `d` days in milliseconds.
pub(crate) fn days(d: u32) -> i64 {
    i64::from(d) * MS_PER_DAY
}

/// A sliding window of events with a count per key, for distinct counts in O(1).
#[derive(Debug)]
pub(crate) struct Window<K: Hash + Eq + Clone> {
    items: VecDeque<(i64, K, Arc<Ev>)>,
    counts: HashMap<K, u32>,
}

impl<K: Hash + Eq + Clone> Default for Window<K> {
    fn default() -> Self {
        Window {
            items: VecDeque::new(),
            counts: HashMap::default(),
        }
    }
}

impl<K: Hash + Eq + Clone> Window<K> {
    pub(crate) fn push(&mut self, t: i64, key: K, ev: &Arc<Ev>) {
        *self.counts.entry(key.clone()).or_insert(0) += 1;
        self.items.push_back((t, key, Arc::clone(ev)));
    }

    /// Drops events older than `from` (exclusive bound: events at `from` stay).
    pub(crate) fn evict(&mut self, from: i64) {
        while let Some((t, _, _)) = self.items.front() {
            if *t >= from {
                break;
            }
            let Some((_, key, _)) = self.items.pop_front() else {
                break;
            };
            if let Entry::Occupied(mut e) = self.counts.entry(key) {
                *e.get_mut() -= 1;
                if *e.get() == 0 {
                    e.remove();
                }
            }
        }
        if self.items.is_empty() && self.items.capacity() > 64 {
            self.items.shrink_to_fit();
            self.counts.shrink_to_fit();
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    pub(crate) fn distinct(&self) -> usize {
        self.counts.len()
    }

    pub(crate) fn contains(&self, key: &K) -> bool {
        self.counts.contains_key(key)
    }

    /// The distinct keys in the window.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> {
        self.counts.keys()
    }

    /// Events at or after `from`.
    pub(crate) fn since(&self, from: i64) -> impl Iterator<Item = &Arc<Ev>> {
        let start = self.items.partition_point(|(t, _, _)| *t < from);
        self.items.range(start..).map(|(_, _, ev)| ev)
    }

    pub(crate) fn count_since(&self, from: i64) -> usize {
        self.items.len() - self.items.partition_point(|(t, _, _)| *t < from)
    }

    pub(crate) fn events(&self) -> impl Iterator<Item = &Arc<Ev>> {
        self.items.iter().map(|(_, _, ev)| ev)
    }

    /// Events with their keys, oldest first.
    pub(crate) fn keyed_events(&self) -> impl Iterator<Item = (&K, &Arc<Ev>)> {
        self.items.iter().map(|(_, k, ev)| (k, ev))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn ev(t: i64) -> Arc<Ev> {
        let time = OffsetDateTime::from_unix_timestamp(t / 1000).unwrap();
        Arc::new(Ev::new(
            time,
            t,
            None,
            None,
            None,
            [Some("s"), None, None, None],
        ))
    }

    #[test]
    fn eviction_keeps_events_at_the_bound_and_counts_distinct_keys() {
        let mut w = Window::default();
        for (t, k) in [(0, "a"), (1000, "b"), (2000, "a"), (3000, "c")] {
            w.push(t, k, &ev(t));
        }
        assert_eq!((w.len(), w.distinct()), (4, 3));
        assert_eq!(w.count_since(2000), 2);
        w.evict(1000);
        assert_eq!((w.len(), w.distinct()), (3, 3));
        w.evict(2001);
        assert_eq!((w.len(), w.distinct()), (1, 1));
        assert!(w.contains(&"c") && !w.contains(&"a"));
        assert_eq!(w.since(0).count(), 1);
        w.evict(i64::MAX);
        assert_eq!((w.len(), w.distinct()), (0, 0));
    }
}

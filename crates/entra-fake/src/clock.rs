//! The fake tenant's clock: "now" is injected, settable and advanceable.

use std::sync::{Arc, Mutex, PoisonError};

use time::OffsetDateTime;

/// The clock of a fake tenant. Sign-ins become visible as it advances, tokens and secrets expire
/// by it, and throttling windows are measured on it.
///
/// A *manual* clock (the default) stands still until [`FakeClock::set`] or
/// [`FakeClock::advance`]; a *real-time* clock follows the machine's monotonic time from its start
/// value (through `tokio::time::Instant`, so it also follows tokio's paused time).
#[derive(Debug, Clone)]
pub struct FakeClock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug)]
struct ClockState {
    base: OffsetDateTime,
    anchor: Option<tokio::time::Instant>,
}

impl FakeClock {
    /// A clock that stands at `now` until moved.
    pub fn manual(now: OffsetDateTime) -> Self {
        FakeClock {
            inner: Arc::new(Mutex::new(ClockState {
                base: now,
                anchor: None,
            })),
        }
    }

    /// A clock that starts at `now` and runs with real (or tokio-paused) time.
    pub fn real_time(now: OffsetDateTime) -> Self {
        FakeClock {
            inner: Arc::new(Mutex::new(ClockState {
                base: now,
                anchor: Some(tokio::time::Instant::now()),
            })),
        }
    }

    /// The current fake time.
    pub fn now(&self) -> OffsetDateTime {
        let s = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match s.anchor {
            Some(anchor) => s.base + anchor.elapsed(),
            None => s.base,
        }
    }

    /// Sets "now".
    pub fn set(&self, now: OffsetDateTime) {
        let mut s = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        s.base = now;
        if s.anchor.is_some() {
            s.anchor = Some(tokio::time::Instant::now());
        }
    }

    /// Moves "now" forward (or back, with a negative duration).
    pub fn advance(&self, by: time::Duration) {
        let now = self.now();
        self.set(now + by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = FakeClock::manual(datetime!(2025-06-01 12:00 UTC));
        assert_eq!(c.now(), datetime!(2025-06-01 12:00 UTC));
        c.advance(time::Duration::minutes(90));
        assert_eq!(c.now(), datetime!(2025-06-01 13:30 UTC));
        c.set(datetime!(2025-01-01 0:00 UTC));
        assert_eq!(c.now(), datetime!(2025-01-01 0:00 UTC));
    }
}

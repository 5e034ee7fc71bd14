//! Throttle feedback: the request observer of a stream counts the waits Graph's throttle
//! imposes (paced by the client-side limiter, or refused with 429/503), reports the long ones as
//! progress, and the windowed driver sizes its concurrency from the counts.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use graph_client::RequestEvent;
use oort_store::StreamKind;

use super::report::Progress;
use super::Collector;

/// Throttle feedback of one stream, counted by its request observer.
#[derive(Debug, Default)]
pub(super) struct Feedback {
    paced: AtomicU32,
    throttled: AtomicU32,
}

/// Paced waits shorter than this are the limiter smoothing a burst, not a budget in use.
const PACED_SIGNAL: std::time::Duration = std::time::Duration::from_millis(100);
/// Waits shorter than this are not worth a progress event.
const THROTTLED_EVENT: std::time::Duration = std::time::Duration::from_millis(250);

impl Feedback {
    /// The number of slices to fetch at once after a page: halved on a throttling answer, held
    /// while the limiter paces requests, one more otherwise (at most `max`).
    pub(super) fn next_target(&self, target: usize, max: usize) -> usize {
        let throttled = self.throttled.swap(0, Ordering::Relaxed);
        let paced = self.paced.swap(0, Ordering::Relaxed);
        if throttled > 0 {
            (target / 2).max(1)
        } else if paced > 0 {
            target.min(max)
        } else {
            (target + 1).min(max)
        }
    }
}

impl Collector {
    /// The request observer of a stream: counts throttle feedback and reports long waits.
    pub(super) fn observer(
        &self,
        stream: StreamKind,
        feedback: Arc<Feedback>,
    ) -> graph_client::Observer {
        let progress = self.progress.clone();
        Arc::new(move |event: &RequestEvent| {
            let (wait, status) = match event {
                RequestEvent::Paced { wait, .. } => {
                    if *wait >= PACED_SIGNAL {
                        feedback.paced.fetch_add(1, Ordering::Relaxed);
                    }
                    (*wait, None)
                }
                RequestEvent::Retrying { wait, status, .. } => {
                    if event.is_throttled() {
                        feedback.throttled.fetch_add(1, Ordering::Relaxed);
                    }
                    match status {
                        Some(_) => (*wait, *status),
                        None => return,
                    }
                }
                _ => return,
            };
            if let Some(tx) = &progress {
                if wait >= THROTTLED_EVENT || status.is_some() {
                    let _ = tx.send(Progress::Throttled {
                        stream,
                        wait,
                        status,
                    });
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concurrency_grows_without_waits_holds_when_paced_and_halves_on_throttling() {
        let f = Feedback::default();
        assert_eq!(f.next_target(1, 4), 2);
        assert_eq!(f.next_target(4, 4), 4, "capped at max");
        f.paced.fetch_add(1, Ordering::Relaxed);
        assert_eq!(f.next_target(3, 4), 3, "paced: the budget is in use");
        f.throttled.fetch_add(2, Ordering::Relaxed);
        f.paced.fetch_add(1, Ordering::Relaxed);
        assert_eq!(f.next_target(3, 4), 1);
        assert_eq!(f.next_target(1, 4), 2, "counters reset after each decision");
    }
}

//! Observing requests: what the client waited for and why, reported to an observer in scope.
//!
//! A caller that wants to show throttled waits, or to adapt its own concurrency to the throttle,
//! wraps its work in [`observe`]: every request made inside — directly, or by a page stream
//! created inside (its background fetches included) — reports [`RequestEvent`]s to the
//! observer. Events carry no URL query, header or token.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::throttle::ThrottleClass;

/// Something that happened to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestEvent {
    /// The request waited for the client-side throttle of its class before it was sent.
    Paced {
        /// The throttle class.
        class: ThrottleClass,
        /// How long it waited.
        wait: Duration,
    },
    /// Graph answered a retryable status (429, 503, ...) or the transport failed: the client
    /// waits before the next attempt.
    Retrying {
        /// The throttle class.
        class: ThrottleClass,
        /// The status, or `None` for a transport error.
        status: Option<u16>,
        /// How long the client waits (the larger of `Retry-After` and its backoff).
        wait: Duration,
        /// The attempt that failed (1 for the first).
        attempt: u32,
    },
    /// An answer arrived (success or final error) for the request.
    Answered {
        /// The throttle class.
        class: ThrottleClass,
        /// The HTTP status.
        status: u16,
        /// Time from the first attempt to the answer, waits included.
        elapsed: Duration,
    },
}

impl RequestEvent {
    /// Whether the event is a throttling answer from Graph (429, or 503 with `Retry-After`
    /// semantics): the signal to slow down.
    pub fn is_throttled(&self) -> bool {
        matches!(
            self,
            RequestEvent::Retrying {
                status: Some(429 | 503 | 504),
                ..
            }
        )
    }
}

/// An observer of [`RequestEvent`]s. Called on the request's task: keep it short (count, send
/// on a channel).
pub type Observer = Arc<dyn Fn(&RequestEvent) + Send + Sync>;

tokio::task_local! {
    static OBSERVER: Observer;
}

/// Runs `future` with `observer` receiving the events of every request made inside it,
/// including the background fetches of page streams created inside it.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicU64, Ordering}};
/// use graph_client::{observe, RequestEvent};
///
/// # async fn run() {
/// let paced_ms = Arc::new(AtomicU64::new(0));
/// let counter = Arc::clone(&paced_ms);
/// let observer: graph_client::Observer = Arc::new(move |event: &RequestEvent| {
///     if let RequestEvent::Paced { wait, .. } = event {
///         counter.fetch_add(wait.as_millis() as u64, Ordering::Relaxed);
///     }
/// });
/// observe(observer, async { /* client.send(...).await, client.pages(...) */ }).await;
/// # }
/// ```
pub async fn observe<F: Future>(observer: Observer, future: F) -> F::Output {
    OBSERVER.scope(observer, future).await
}

/// The observer in scope, if any.
pub(crate) fn current() -> Option<Observer> {
    OBSERVER.try_with(Arc::clone).ok()
}

/// Reports `event` to the observer in scope.
pub(crate) fn emit(event: impl FnOnce() -> RequestEvent) {
    let _ = OBSERVER.try_with(|o| o(&event()));
}

/// Runs `future` under `observer` if there is one (for tasks spawned on a caller's behalf).
pub(crate) async fn scoped<F: Future>(observer: Option<Observer>, future: F) -> F::Output {
    match observer {
        Some(o) => OBSERVER.scope(o, future).await,
        None => future.await,
    }
}

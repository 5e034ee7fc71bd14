//! The retry policy: which answers are retried, how long to wait, when to give up.

use std::time::{Duration, SystemTime};

/// When and how failed requests are retried.
///
/// Retried always: 429, 503, 504. Retried only for idempotent methods (GET, PUT, DELETE): 408,
/// 500, 502 and transport errors. The wait before retry `n` (1-based) is
/// `max(Retry-After, backoff(n))` where `backoff(n)` is drawn uniformly from
/// `[0, min(max_delay, base_delay * 2^(n-1))]` ("full jitter"). Retrying stops after
/// `max_retries` retries or when the next wait would end after `max_elapsed` since the first
/// attempt; the last error is returned.
///
/// The default is generous, for background collection (sign-in throttling has been seen to last
/// 20+ retries): 30 retries, 2 s base delay, 120 s max delay, 30 minutes in total.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub(crate) max_retries: u32,
    pub(crate) max_elapsed: Duration,
    pub(crate) base_delay: Duration,
    pub(crate) max_delay: Duration,
    pub(crate) jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 30,
            max_elapsed: Duration::from_secs(30 * 60),
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(120),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// A policy for interactive use: 4 retries, 1 s base delay, 30 s max delay, 2 minutes total.
    pub fn interactive() -> Self {
        RetryPolicy {
            max_retries: 4,
            max_elapsed: Duration::from_secs(120),
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }

    /// No retries at all (the 401 token refresh still happens once).
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The most retries after the first attempt. Default: 30.
    pub fn max_retries(mut self, n: u32) -> Self {
        self.max_retries = n;
        self
    }

    /// The longest time from the first attempt to the start of the last retry. Default: 30 min.
    pub fn max_elapsed(mut self, d: Duration) -> Self {
        self.max_elapsed = d;
        self
    }

    /// The backoff of the first retry (before jitter). Default: 2 s.
    pub fn base_delay(mut self, d: Duration) -> Self {
        self.base_delay = d;
        self
    }

    /// The largest backoff (before jitter). Default: 120 s.
    pub fn max_delay(mut self, d: Duration) -> Self {
        self.max_delay = d;
        self
    }

    /// Whether the backoff is drawn at random in `[0, delay]` (full jitter). Default: `true`.
    /// Without jitter the backoff is exactly the exponential delay (useful in tests).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff before retry `retry` (1-based).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        if self.jitter {
            ceiling.mul_f64(fastrand::f64())
        } else {
            ceiling
        }
    }

    /// Whether an answer with `status` is retried for a request that is (not) idempotent.
    pub(crate) fn is_retryable_status(status: u16, idempotent: bool) -> bool {
        match status {
            429 | 503 | 504 => true,
            408 | 500 | 502 => idempotent,
            _ => false,
        }
    }
}

/// Parses `Retry-After`: delta seconds (fractional accepted, e.g. `2.128`; capped at a day) or
/// an HTTP-date. An HTTP-date is measured against the answer's own `Date` header when there is
/// one (no clock skew); without it, `None` is returned here and the caller measures against its
/// clock. For any HTTP answer, Graph's or another service's.
///
/// ```
/// use std::time::Duration;
/// assert_eq!(graph_client::parse_retry_after("2.5", None), Some(Duration::from_millis(2500)));
/// assert_eq!(
///     graph_client::parse_retry_after(
///         "Wed, 21 Oct 2026 07:28:30 GMT",
///         Some("Wed, 21 Oct 2026 07:28:00 GMT"),
///     ),
///     Some(Duration::from_secs(30)),
/// );
/// ```
pub fn parse_retry_after(value: &str, date_header: Option<&str>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let now = httpdate::parse_http_date(date_header?.trim()).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Measures an HTTP-date `Retry-After` against `now` (used when the answer has no `Date`).
pub(crate) fn retry_after_from_clock(value: &str, now: SystemTime) -> Option<Duration> {
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_fractional_seconds() {
        assert_eq!(
            parse_retry_after("2.128", None),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(parse_retry_after("10", None), Some(Duration::from_secs(10)));
        assert_eq!(parse_retry_after("-1", None), None);
    }

    #[test]
    fn retry_after_http_date_is_measured_against_the_date_header() {
        let d = parse_retry_after(
            "Wed, 21 Oct 2015 07:28:07 GMT",
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(d, Some(Duration::from_secs(7)));
        let past = parse_retry_after(
            "Wed, 21 Oct 2015 07:27:00 GMT",
            Some("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(past, Some(Duration::ZERO));
    }

    #[test]
    fn retry_after_http_date_without_a_date_header_is_measured_against_the_clock() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").unwrap();
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:03 GMT", None),
            None
        );
        assert_eq!(
            retry_after_from_clock("Wed, 21 Oct 2015 07:28:03 GMT", now),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let p = RetryPolicy::default()
            .jitter(false)
            .base_delay(Duration::from_secs(1))
            .max_delay(Duration::from_secs(5));
        let waits: Vec<u64> = (1..=5).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 5, 5]);
    }

    #[test]
    fn full_jitter_stays_within_the_exponential_ceiling() {
        let p = RetryPolicy::default().base_delay(Duration::from_secs(1));
        for _ in 0..200 {
            assert!(p.backoff(3) <= Duration::from_secs(4));
        }
    }

    #[test]
    fn only_idempotent_requests_retry_500_502_408() {
        for s in [429, 503, 504] {
            assert!(RetryPolicy::is_retryable_status(s, false));
        }
        for s in [408, 500, 502] {
            assert!(RetryPolicy::is_retryable_status(s, true));
            assert!(!RetryPolicy::is_retryable_status(s, false));
        }
        for s in [400, 401, 403, 404, 410] {
            assert!(!RetryPolicy::is_retryable_status(s, true));
        }
    }
}

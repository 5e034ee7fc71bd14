//! Retries of the token endpoint: bounded, exponential, jittered, honouring `Retry-After`.

use std::time::Duration;

use time::format_description::well_known::Rfc2822;
use time::OffsetDateTime;

/// How the token endpoint is retried after throttling (429, AADSTS90055), an unavailable service
/// (5xx, `temporarily_unavailable`) or a transport failure. Answers that say the credentials are
/// wrong (4xx) are never retried.
///
/// The wait before retry `n` (1-based) is the endpoint's `Retry-After` when it sent one, else
/// `initial_delay * 2^(n-1)` capped at `max_delay`, with "equal jitter" (a random point in the
/// upper half of that delay) so that a fleet of clients does not retry in step. A `Retry-After`
/// longer than `max_delay` ends the retries: the error is returned with
/// [`AuthError::retry_after`](crate::AuthError::retry_after) set. Waits use
/// `tokio::time::sleep`, so tests run them on paused time.
///
/// ```
/// use std::time::Duration;
/// use entra_auth::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_initial_delay(Duration::from_millis(500));
/// assert_eq!(policy.max_retries(), 5);
/// assert_eq!(RetryPolicy::none().max_retries(), 0);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 3 retries, 1 s initial delay, 30 s maximum delay, jitter on.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// No retry at all: the first answer is final.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How many times a failed request is sent again (so at most `max_retries + 1` requests).
    /// Default 3.
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The wait before the first retry when the endpoint gave no `Retry-After`; doubled for each
    /// further retry. Default 1 s.
    pub fn with_initial_delay(mut self, initial_delay: Duration) -> Self {
        self.initial_delay = initial_delay;
        self
    }

    /// The longest wait between two requests, and the longest `Retry-After` honoured (a longer one
    /// ends the retries). Default 30 s.
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// Whether computed backoff delays are jittered (`Retry-After` is honoured as sent). Default
    /// `true`.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The number of retries.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The initial backoff delay.
    pub fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The maximum delay.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// Whether backoff delays are jittered.
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// The wait before retry number `retry` (1-based), or `None` when no retry should be made.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries {
            return None;
        }
        if let Some(wait) = retry_after {
            return (wait <= self.max_delay).then_some(wait);
        }
        let factor = 2u32.saturating_pow(retry - 1);
        let backoff = self
            .initial_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        if !self.jitter {
            return Some(backoff);
        }
        let half = backoff / 2;
        Some(half + half.mul_f64(random_fraction()))
    }
}

/// A uniformly random number in `[0, 1]`.
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 4];
    match aws_lc_rs::rand::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 1.0, // no randomness: the full (unjittered) delay
    }
}

/// Parses `Retry-After`: seconds (integer or fractional, as Graph sends `2.128`) or an HTTP-date.
pub(crate) fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(86_400.0)));
    }
    let at = OffsetDateTime::parse(value, &Rfc2822).ok()?;
    let wait = at - now;
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::default()
            .with_max_retries(6)
            .with_jitter(false)
            .with_max_delay(Duration::from_secs(5));
        let delays: Vec<_> = (1..=7).map(|n| policy.delay(n, None)).collect();
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(delays, [s(1), s(2), s(4), s(5), s(5), s(5), None]);
    }

    #[test]
    fn jitter_stays_in_the_upper_half() {
        let policy = RetryPolicy::default();
        for _ in 0..100 {
            let d = policy.delay(2, None).unwrap();
            assert!(
                d >= Duration::from_secs(1) && d <= Duration::from_secs(2),
                "{d:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        assert_eq!(policy.delay(1, Some(Duration::from_secs(31))), None);
        assert_eq!(RetryPolicy::none().delay(1, None), None);
    }

    #[test]
    fn parses_seconds_and_http_dates() {
        let now = datetime!(2015-10-21 07:27:50 UTC);
        assert_eq!(parse_retry_after("10", now), Some(Duration::from_secs(10)));
        assert_eq!(
            parse_retry_after("2.128", now),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
    }
}

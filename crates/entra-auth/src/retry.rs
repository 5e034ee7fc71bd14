//! Retries of HTTP requests, for the whole workspace: how many, how long to wait, when to give
//! up, how `Retry-After` is read, and the one jitter scheme.
//!
//! The token endpoint (this crate) and Microsoft Graph (`graph-client`, which re-exports these
//! items) retry by the same [`RetryPolicy`]; which answers are retried is each caller's business.

use std::time::{Duration, SystemTime};

use time::OffsetDateTime;

/// How failed requests are retried: how many times, how long to wait before each retry, and how
/// long in all. Which answers are retried is the caller's decision (the token endpoint retries
/// throttling, 5xx and transport failures; Graph's rules are in `graph-client`).
///
/// The wait before retry `n` (1-based) is `max(Retry-After, backoff(n))`: the server's
/// `Retry-After` is a floor, never shortened. `backoff(n)` is drawn uniformly from
/// `[0, min(max_delay, initial_delay * 2^(n-1))]`, "full jitter". Full jitter is the scheme
/// AWS measured as finishing contended work soonest with the fewest calls ("Exponential Backoff
/// And Jitter", AWS Architecture Blog): a fleet of collectors throttled by the same tenant
/// spreads its retries over the whole interval instead of meeting again in its upper half (as
/// "equal jitter" does) or in lockstep (no jitter). The same draw spaces scheduled runs
/// ([`jitter`]).
///
/// Retrying stops after `max_retries` retries, or when the next wait would end more than
/// `max_elapsed` after the first attempt (a `Retry-After` beyond that is returned to the caller,
/// not waited); the last error is returned. Waits are the caller's, made with
/// `tokio::time::sleep` in this workspace, so tests run them on paused time.
///
/// The default is generous, for background collection (sign-in throttling has been seen to last
/// 20+ retries): 30 retries, 2 s initial delay, 120 s maximum delay, 30 minutes in all, jitter on.
/// [`RetryPolicy::interactive`] is for a caller who waits (and is the token endpoint's default).
///
/// ```
/// use std::time::Duration;
/// use entra_auth::RetryPolicy;
///
/// let policy = RetryPolicy::default()
///     .with_max_retries(5)
///     .with_initial_delay(Duration::from_millis(500))
///     .with_jitter(false);
/// assert_eq!(policy.max_retries(), 5);
/// // Retry 3 waits 500 ms doubled twice, or longer when the server says so.
/// let elapsed = Duration::from_secs(1);
/// assert_eq!(policy.delay(3, elapsed, None), Some(Duration::from_secs(2)));
/// assert_eq!(policy.delay(3, elapsed, Some(Duration::from_secs(9))), Some(Duration::from_secs(9)));
/// assert_eq!(policy.delay(6, elapsed, None), None, "five retries at most");
/// assert_eq!(RetryPolicy::none().delay(1, Duration::ZERO, None), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    initial_delay: Duration,
    max_delay: Duration,
    max_elapsed: Duration,
    jitter: bool,
}

impl Default for RetryPolicy {
    /// 30 retries, 2 s initial delay, 120 s maximum delay, 30 minutes in all, jitter on.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 30,
            initial_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(120),
            max_elapsed: Duration::from_secs(30 * 60),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// For a caller who waits for the answer (an operator at a prompt: `oort remediate`,
    /// `oort test-connectivity`; a request waiting for its token): 4 retries, 1 s initial delay,
    /// 20 s maximum delay, 1 minute in all, jitter on. A `Retry-After` that would end later is
    /// returned to the caller at once instead of waited out. The token endpoint's default.
    pub fn interactive() -> Self {
        RetryPolicy {
            max_retries: 4,
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(20),
            max_elapsed: Duration::from_secs(60),
            jitter: true,
        }
    }

    /// No retry at all: the first answer is final.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// How many times a failed request is sent again (so at most `max_retries + 1` requests).
    /// Default 30 ([`interactive`](Self::interactive): 4).
    pub fn with_max_retries(mut self, max_retries: u32) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// The backoff of the first retry (before jitter); doubled for each further retry. Default
    /// 2 s ([`interactive`](Self::interactive): 1 s).
    pub fn with_initial_delay(mut self, initial_delay: Duration) -> Self {
        self.initial_delay = initial_delay;
        self
    }

    /// The largest backoff (before jitter). A longer `Retry-After` is still honoured, within
    /// `max_elapsed`. Default 120 s ([`interactive`](Self::interactive): 20 s).
    pub fn with_max_delay(mut self, max_delay: Duration) -> Self {
        self.max_delay = max_delay;
        self
    }

    /// The longest time from the first attempt to the end of the last wait: a wait (backoff or
    /// `Retry-After`) that would end later is not made, and the last error is returned. Default
    /// 30 minutes ([`interactive`](Self::interactive): 1 minute).
    pub fn with_max_elapsed(mut self, max_elapsed: Duration) -> Self {
        self.max_elapsed = max_elapsed;
        self
    }

    /// Whether the backoff is drawn at random in `[0, backoff]` (full jitter). Without jitter the
    /// backoff is exactly the exponential delay, which makes waits deterministic in tests.
    /// `Retry-After` is honoured as sent either way. Default `true`.
    pub fn with_jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The most retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The backoff of the first retry, before jitter.
    pub fn initial_delay(&self) -> Duration {
        self.initial_delay
    }

    /// The largest backoff, before jitter.
    pub fn max_delay(&self) -> Duration {
        self.max_delay
    }

    /// The longest time from the first attempt to the end of the last wait.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// Whether backoffs are jittered.
    pub fn jitter(&self) -> bool {
        self.jitter
    }

    /// The wait before retry number `retry` (1-based), `elapsed` after the first attempt, when
    /// the failed answer asked for `retry_after`; `None` when the policy says to stop (retries
    /// used up, or the wait would end after `max_elapsed`).
    pub fn delay(
        &self,
        retry: u32,
        elapsed: Duration,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries {
            return None;
        }
        let wait = self
            .backoff(retry)
            .max(retry_after.unwrap_or(Duration::ZERO));
        (elapsed.saturating_add(wait) <= self.max_elapsed).then_some(wait)
    }

    /// The backoff before retry `retry` (1-based), jittered when the policy says so.
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_delay
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
            .min(self.max_delay);
        if self.jitter {
            jitter(ceiling)
        } else {
            ceiling
        }
    }
}

/// A uniformly random duration in `[0, max]`: the workspace's one jitter ("full jitter", see
/// [`RetryPolicy`]), for retry backoffs and for spreading scheduled runs so that a fleet does not
/// call Graph in step. Not for secrets: the generator is fast, not cryptographic.
///
/// ```
/// use std::time::Duration;
///
/// let max = Duration::from_secs(90);
/// assert!(entra_auth::jitter(max) <= max);
/// assert_eq!(entra_auth::jitter(Duration::ZERO), Duration::ZERO);
/// ```
pub fn jitter(max: Duration) -> Duration {
    // `mul_f64` could round past `Duration::MAX` near the top of the range; this cannot panic.
    Duration::try_from_secs_f64(max.as_secs_f64() * fastrand::f64()).map_or(max, |d| d.min(max))
}

/// The longest wait read from a `Retry-After`: a day.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(86_400);

/// Parses an HTTP `Retry-After` value (RFC 9110): delay seconds, fractional accepted (Graph sends
/// `2.128`), or an HTTP-date. An HTTP-date is measured against the answer's own `Date` header
/// (`date`) when it has a readable one, the server's clock, so that a skewed local clock does not
/// matter; else against `now`, the caller's clock; with neither, `None`. A date in the past is a
/// zero wait. Waits are capped at a day; a negative or unreadable value is `None`. For any HTTP
/// answer: the token endpoint's, Graph's or another service's.
///
/// ```
/// use std::time::Duration;
/// use entra_auth::parse_retry_after;
/// use time::macros::datetime;
///
/// assert_eq!(parse_retry_after("2.5", None, None), Some(Duration::from_millis(2500)));
/// let at = "Wed, 21 Oct 2026 07:28:30 GMT";
/// assert_eq!(
///     parse_retry_after(at, Some("Wed, 21 Oct 2026 07:28:00 GMT"), None),
///     Some(Duration::from_secs(30)),
/// );
/// let now = datetime!(2026-10-21 07:28:20 UTC);
/// assert_eq!(parse_retry_after(at, None, Some(now)), Some(Duration::from_secs(10)));
/// assert_eq!(parse_retry_after(at, None, None), None);
/// ```
pub fn parse_retry_after(
    value: &str,
    date: Option<&str>,
    now: Option<OffsetDateTime>,
) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0)
            .then(|| Duration::from_secs_f64(seconds.min(MAX_RETRY_AFTER.as_secs_f64())));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    let now = date
        .and_then(|d| httpdate::parse_http_date(d.trim()).ok())
        .or_else(|| now.map(SystemTime::from))?;
    Some(
        at.duration_since(now)
            .unwrap_or(Duration::ZERO)
            .min(MAX_RETRY_AFTER),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: Duration = Duration::ZERO;

    #[test]
    fn the_interactive_policy_gives_up_within_about_a_minute_where_the_background_one_waits() {
        let interactive = RetryPolicy::interactive().with_jitter(false);
        let background = RetryPolicy::default().with_jitter(false);
        let throttled = Some(Duration::from_secs(30));
        // 40 s into the call, a 30 s Retry-After would end past a minute.
        let elapsed = Duration::from_secs(40);
        assert_eq!(interactive.delay(2, elapsed, throttled), None);
        assert_eq!(background.delay(2, elapsed, throttled), throttled);
        // Its whole backoff fits in the minute: 1 + 2 + 4 + 8 s.
        let mut spent = Duration::ZERO;
        for n in 1..=interactive.max_retries() {
            spent += interactive.delay(n, spent, None).unwrap();
        }
        assert!(spent <= Duration::from_secs(60), "{spent:?}");
        assert_eq!(interactive.max_elapsed(), Duration::from_secs(60));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_without_jitter() {
        let policy = RetryPolicy::default()
            .with_max_retries(6)
            .with_jitter(false)
            .with_initial_delay(Duration::from_secs(1))
            .with_max_delay(Duration::from_secs(5));
        let delays: Vec<_> = (1..=7).map(|n| policy.delay(n, NOW, None)).collect();
        let s = |n| Some(Duration::from_secs(n));
        assert_eq!(delays, [s(1), s(2), s(4), s(5), s(5), s(5), None]);
    }

    #[test]
    fn backoff_does_not_overflow_after_many_retries() {
        let policy = RetryPolicy::default()
            .with_max_retries(u32::MAX)
            .with_max_elapsed(Duration::MAX)
            .with_jitter(false);
        assert_eq!(
            policy.delay(u32::MAX, NOW, None),
            Some(Duration::from_secs(120))
        );
        let unbounded = policy.with_max_delay(Duration::MAX).with_jitter(true);
        assert!(unbounded.delay(200, NOW, None).is_some());
    }

    #[test]
    fn full_jitter_stays_within_the_exponential_ceiling() {
        let policy = RetryPolicy::default().with_initial_delay(Duration::from_secs(1));
        let draws: Vec<Duration> = (0..200)
            .map(|_| policy.delay(3, NOW, None).unwrap())
            .collect();
        assert!(
            draws.iter().all(|d| *d <= Duration::from_secs(4)),
            "{draws:?}"
        );
        // Full, not equal, jitter: the lower half of the interval is used too.
        assert!(
            draws.iter().any(|d| *d < Duration::from_secs(2)),
            "{draws:?}"
        );
    }

    #[test]
    fn jitter_is_bounded_by_its_maximum_even_at_the_top_of_the_range() {
        for max in [Duration::ZERO, Duration::from_millis(1), Duration::MAX] {
            for _ in 0..100 {
                assert!(jitter(max) <= max);
            }
        }
        assert_eq!(jitter(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn retry_after_is_a_floor_honoured_within_the_elapsed_budget() {
        let policy = RetryPolicy::interactive().with_jitter(false);
        assert_eq!(
            policy.delay(1, NOW, Some(Duration::from_secs(7))),
            Some(Duration::from_secs(7))
        );
        // Longer than the backoff cap, still within the 2-minute budget: waited.
        assert_eq!(
            policy.delay(1, NOW, Some(Duration::from_secs(45))),
            Some(Duration::from_secs(45))
        );
        // Shorter than the backoff: the backoff (4 s before retry 3).
        assert_eq!(
            policy.delay(3, NOW, Some(Duration::from_secs(1))),
            Some(Duration::from_secs(4))
        );
        // Would end after the budget: not waited.
        assert_eq!(policy.delay(1, NOW, Some(Duration::from_secs(121))), None);
        assert_eq!(
            policy.delay(2, Duration::from_secs(100), Some(Duration::from_secs(30))),
            None
        );
        assert_eq!(RetryPolicy::none().delay(1, NOW, None), None);
        assert_eq!(policy.delay(0, NOW, None), None);
    }

    #[test]
    fn retrying_stops_after_max_retries() {
        let policy = RetryPolicy::default().with_max_retries(2);
        assert!(policy.delay(1, NOW, None).is_some());
        assert!(policy.delay(2, NOW, None).is_some());
        assert_eq!(policy.delay(3, NOW, None), None);
        assert_eq!(policy.delay(3, NOW, Some(Duration::from_secs(1))), None);
    }

    #[test]
    fn retry_after_accepts_integer_and_fractional_seconds() {
        assert_eq!(
            parse_retry_after("10", None, None),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(" 2.128 ", None, None),
            Some(Duration::from_millis(2128))
        );
        assert_eq!(
            parse_retry_after("999999999", None, None),
            Some(MAX_RETRY_AFTER)
        );
        assert_eq!(parse_retry_after("-1", None, None), None);
        assert_eq!(parse_retry_after("NaN", None, None), None);
        assert_eq!(parse_retry_after("soon", None, None), None);
    }

    #[test]
    fn retry_after_http_date_is_measured_against_the_date_header() {
        let date = Some("Wed, 21 Oct 2015 07:28:00 GMT");
        // The Date header wins over a (skewed) local clock.
        let skewed = Some(datetime!(2015-10-21 07:00:00 UTC));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:07 GMT", date, skewed),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", date, None),
            Some(Duration::ZERO)
        );
        // The other two HTTP-date forms of RFC 9110.
        assert_eq!(
            parse_retry_after("Wednesday, 21-Oct-15 07:28:05 GMT", date, None),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Wed Oct 21 07:28:03 2015", date, None),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn retry_after_http_date_without_a_date_header_is_measured_against_now() {
        let now = datetime!(2015-10-21 07:27:50 UTC);
        let at = "Wed, 21 Oct 2015 07:28:00 GMT";
        assert_eq!(parse_retry_after(at, None, None), None);
        assert_eq!(
            parse_retry_after(at, None, Some(now)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after(at, Some("not a date"), Some(now)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", None, Some(now)),
            Some(Duration::ZERO)
        );
    }
}

//! Graph's documented throttling limits, enforced with real 429 answers.

use std::collections::{HashMap, VecDeque};

/// The throttling a fake tenant enforces.
///
/// [`Throttling::documented`] applies Microsoft Graph's documented limits (graph-reference §7.1):
/// identity and access reports (sign-ins, audits, authentication methods, registration details)
/// 5 requests per 10 s; `signInActivity` 10 requests per minute; identity protection and
/// conditional access 1 request per second, answered without `Retry-After`; directory reads a
/// resource-unit bucket per 10 s (3,500, 5,000 or 8,000 units by tenant size) and writes 3,000
/// per 150 s; Intune 1,000 requests per 20 s. Windows are measured on the tenant's clock, so tests
/// move past them with `FakeTenant::clock().advance(..)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Throttling {
    enabled: bool,
    scale: f64,
}

impl Default for Throttling {
    fn default() -> Self {
        Throttling::documented()
    }
}

impl Throttling {
    /// The documented limits.
    pub fn documented() -> Self {
        Throttling {
            enabled: true,
            scale: 1.0,
        }
    }

    /// No throttling at all.
    pub fn disabled() -> Self {
        Throttling {
            enabled: false,
            scale: 1.0,
        }
    }

    /// The documented limits multiplied by `factor` (at least one request per window), e.g.
    /// `scaled(100.0)` for a benchmark that should not wait on reports limits.
    pub fn scaled(factor: f64) -> Self {
        Throttling {
            enabled: true,
            scale: factor.max(0.0),
        }
    }

    /// Whether any limit is enforced.
    pub fn is_enabled(&self) -> bool {
        self.enabled
    }
}

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Bucket {
    Reports,
    SignInActivity,
    IdentityProtection,
    Directory,
    DirectoryWrite,
    Intune,
}

impl Bucket {
    /// (limit, window in seconds, whether the 429 carries Retry-After, scope name).
    fn spec(self, users: usize) -> (f64, i64, bool) {
        match self {
            Bucket::Reports => (5.0, 10, true),
            Bucket::SignInActivity => (10.0, 60, true),
            Bucket::IdentityProtection => (1.0, 1, false),
            Bucket::Directory => (
                if users < 50 {
                    3500.0
                } else if users <= 500 {
                    5000.0
                } else {
                    8000.0
                },
                10,
                true,
            ),
            Bucket::DirectoryWrite => (3000.0, 150, true),
            Bucket::Intune => (1000.0, 20, true),
        }
    }
}

/// A refusal: retry after this many seconds (`None`: the API sends no Retry-After).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Throttled {
    pub(crate) retry_after: Option<u64>,
    pub(crate) bucket: Bucket,
}

#[derive(Debug, Default)]
pub(crate) struct ThrottleState {
    pub(crate) config: Throttling,
    windows: HashMap<Bucket, (VecDeque<(i64, u32)>, u64)>,
}

impl ThrottleState {
    pub(crate) fn new(config: Throttling) -> Self {
        ThrottleState {
            config,
            windows: HashMap::new(),
        }
    }

    pub(crate) fn set(&mut self, config: Throttling) {
        self.config = config;
        self.windows.clear();
    }

    /// Counts a request of `cost` at `now_ns`, or refuses it.
    pub(crate) fn admit(
        &mut self,
        bucket: Bucket,
        cost: u32,
        now_ns: i64,
        users: usize,
    ) -> Result<(), Throttled> {
        if !self.config.enabled {
            return Ok(());
        }
        let (limit, window_s, retry) = bucket.spec(users);
        let limit = (limit * self.config.scale).round().max(1.0) as u64;
        let window = window_s * 1_000_000_000;
        let (q, sum) = self.windows.entry(bucket).or_default();
        while let Some(&(t, c)) = q.front() {
            if t + window <= now_ns {
                q.pop_front();
                *sum -= u64::from(c);
            } else {
                break;
            }
        }
        if *sum + u64::from(cost) > limit {
            let oldest = q.front().map(|x| x.0).unwrap_or(now_ns);
            let wait_ns = (oldest + window - now_ns).max(1);
            let secs = (wait_ns as u64).div_ceil(1_000_000_000).max(1);
            return Err(Throttled {
                retry_after: retry.then_some(secs),
                bucket,
            });
        }
        q.push_back((now_ns, cost));
        *sum += u64::from(cost);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_bucket_admits_five_per_ten_seconds() {
        let mut s = ThrottleState::new(Throttling::documented());
        for _ in 0..5 {
            assert!(s.admit(Bucket::Reports, 1, 0, 10).is_ok());
        }
        let e = s.admit(Bucket::Reports, 1, 1_000_000_000, 10).unwrap_err();
        assert_eq!(e.retry_after, Some(9));
        assert!(s.admit(Bucket::Reports, 1, 10_000_000_000, 10).is_ok());
    }

    #[test]
    fn identity_protection_refusals_carry_no_retry_after() {
        let mut s = ThrottleState::new(Throttling::documented());
        assert!(s.admit(Bucket::IdentityProtection, 1, 0, 10).is_ok());
        assert_eq!(
            s.admit(Bucket::IdentityProtection, 1, 5, 10)
                .unwrap_err()
                .retry_after,
            None
        );
    }

    #[test]
    fn disabled_throttling_admits_everything() {
        let mut s = ThrottleState::new(Throttling::disabled());
        for _ in 0..100 {
            assert!(s.admit(Bucket::Reports, 1, 0, 10).is_ok());
        }
    }
}

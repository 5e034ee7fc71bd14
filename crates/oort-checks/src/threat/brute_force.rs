//! `brute-force`: many password failures of one user, with or without a success after them.

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{minutes, Window};
use crate::check::{CheckId, Severity};
use crate::config::{BruteForceConfig, CheckConfig};

/// `brute-force`: one user, >= `failures_before_success` failures then a success within
/// `success_window_minutes` (high); or >= `burst_failures` failures within
/// `burst_window_minutes` (medium).
#[derive(Debug)]
pub(crate) struct BruteForce {
    config: BruteForceConfig,
    burst: i64,
    success_window: i64,
}

impl BruteForce {
    fn keep(&self) -> i64 {
        self.burst.max(self.success_window)
    }
}

impl Detection for BruteForce {
    /// The user's password failures.
    type State = Window<()>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.brute_force.clone();
        BruteForce {
            burst: minutes(config.burst_window_minutes),
            success_window: minutes(config.success_window_minutes),
            config,
        }
    }

    fn on_sign_in(
        &self,
        failures: &mut Self::State,
        e: &SignInEvent<'_>,
        incidents: &mut Incidents,
    ) {
        let (ev, bf) = (e.ev, &self.config);
        if !bf.enabled || ev.is_ignored(&bf.ignore) {
            return;
        }
        let t = ev.t;
        if ev.code.is_some_and(|k| bf.failure_codes.contains(&k)) {
            failures.push(t, (), ev);
            failures.evict(t - self.keep());
            let n = failures.count_since(t - self.burst);
            if n >= bf.burst_failures as usize {
                incidents.fire(
                    Fire {
                        check: CheckId::BruteForce,
                        severity: Severity::Medium,
                        subject: ev.subject(),
                        summary: format!(
                            "{} had {n} failed sign-ins within {} minutes (brute force)",
                            ev.who(),
                            bf.burst_window_minutes
                        ),
                        facts: vec![("failures_in_burst", n.into())],
                        recommendation: None,
                        trigger: ev,
                    },
                    failures.since(t - self.burst),
                );
            }
        } else if ev.code == Some(0) {
            failures.evict(t - self.keep());
            let n = failures.count_since(t - self.success_window);
            if n >= bf.failures_before_success as usize {
                incidents.fire(
                    Fire {
                        check: CheckId::BruteForce,
                        severity: Severity::High,
                        subject: ev.subject(),
                        summary: format!(
                            "{} signed in successfully from {} after {n} failures within {} minutes (brute force succeeded)",
                            ev.who(),
                            ev.ip_str(),
                            bf.success_window_minutes
                        ),
                        facts: vec![("failures_before_success", n.into())],
                        recommendation: Some("Revoke the user's sessions and reset the password."),
                        trigger: ev,
                    },
                    failures.since(t - self.success_window),
                );
            }
        }
    }

    fn evict(&self, failures: &mut Self::State, watermark: i64) {
        failures.evict(watermark - self.keep());
    }

    fn size(failures: &Self::State) -> usize {
        failures.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, MINUTE};
    use serde_json::json;

    fn failures(n: i64, every: i64) -> Vec<entra_model::SignIn> {
        (0..n)
            .map(|i| sign_in("u1", i * every, 50126, json!({})))
            .collect()
    }

    #[test]
    fn ten_failures_then_a_success_within_twenty_minutes_fire_high() {
        let mut run = Run::<BruteForce>::new();
        assert!(run.feed_all(&failures(10, MINUTE)).is_empty());
        // Exactly 20 minutes after the first failure: inside the window.
        let f = run.feed(&sign_in("u1", 20 * MINUTE, 0, json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].evidence.sign_ins.len(), 11);
    }

    #[test]
    fn nine_failures_or_a_success_past_the_window_do_not_fire() {
        let mut run = Run::<BruteForce>::new();
        run.feed_all(&failures(9, MINUTE));
        assert!(run
            .feed(&sign_in("u1", 10 * MINUTE, 0, json!({})))
            .is_empty());
        let mut run = Run::<BruteForce>::new();
        run.feed_all(&failures(10, MINUTE));
        assert!(run
            .feed(&sign_in("u1", 20 * MINUTE + 1, 0, json!({})))
            .is_empty());
    }

    #[test]
    fn thirty_failures_within_five_minutes_fire_medium_twenty_nine_do_not() {
        let mut run = Run::<BruteForce>::new();
        assert!(run.feed_all(&failures(29, 10)).is_empty());
        let f = run.feed(&sign_in("u1", 5 * MINUTE, 50053, json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
    }

    #[test]
    fn other_failure_codes_are_not_counted_and_eviction_empties_the_window() {
        let mut run = Run::<BruteForce>::new();
        let mfa: Vec<_> = (0..40)
            .map(|i| sign_in("u1", i, 500_121, json!({})))
            .collect();
        assert!(run.feed_all(&mfa).is_empty());
        assert_eq!(run.held(), (0, false));
        run.feed_all(&failures(3, 1));
        run.evict(20 * MINUTE + 3);
        assert_eq!(run.held(), (0, false));
    }
}

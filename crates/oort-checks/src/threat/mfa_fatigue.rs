//! `mfa-fatigue`: a burst of MFA denials for one user, and a success after many of them.

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{minutes, Window};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, MfaFatigueConfig};

/// `mfa-fatigue`: one user, >= `min_failures` MFA denials (500121) within `window_seconds`
/// (medium); a success after more than `more_than_denials_before_success` denials within
/// `success_window_minutes` (high).
#[derive(Debug)]
pub(crate) struct MfaFatigue {
    config: MfaFatigueConfig,
    burst: i64,
    success_window: i64,
}

impl MfaFatigue {
    fn keep(&self) -> i64 {
        self.burst.max(self.success_window)
    }
}

impl Detection for MfaFatigue {
    /// The user's MFA denials.
    type State = Window<()>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.mfa_fatigue.clone();
        MfaFatigue {
            burst: i64::from(config.window_seconds) * 1000,
            success_window: minutes(config.success_window_minutes),
            config,
        }
    }

    fn on_sign_in(
        &self,
        denials: &mut Self::State,
        e: &SignInEvent<'_>,
        incidents: &mut Incidents,
    ) {
        let (ev, mf) = (e.ev, &self.config);
        if !mf.enabled || ev.is_ignored(&mf.ignore) {
            return;
        }
        let t = ev.t;
        if ev.code == Some(500_121) {
            denials.push(t, (), ev);
            denials.evict(t - self.keep());
            let n = denials.count_since(t - self.burst);
            if n >= mf.min_failures as usize {
                incidents.fire(
                    Fire {
                        check: CheckId::MfaFatigue,
                        severity: Severity::Medium,
                        subject: ev.subject(),
                        summary: format!(
                            "{} got {n} failed MFA prompts within {} seconds (MFA fatigue)",
                            ev.who(),
                            mf.window_seconds
                        ),
                        facts: vec![("mfa_failures_in_burst", n.into())],
                        recommendation: Some("Ask the user whether they started these sign-ins; enable number matching."),
                        trigger: ev,
                    },
                    denials.since(t - self.burst),
                );
            }
        } else if ev.code == Some(0) {
            denials.evict(t - self.keep());
            let n = denials.count_since(t - self.success_window);
            if n > mf.more_than_denials_before_success as usize {
                incidents.fire(
                    Fire {
                        check: CheckId::MfaFatigue,
                        severity: Severity::High,
                        subject: ev.subject(),
                        summary: format!(
                            "{} signed in after {n} failed MFA prompts within {} minutes (MFA fatigue accepted)",
                            ev.who(),
                            mf.success_window_minutes
                        ),
                        facts: vec![("mfa_failures_before_success", n.into())],
                        recommendation: Some("Revoke the user's sessions and reset the password: the prompt was likely accepted under pressure."),
                        trigger: ev,
                    },
                    denials.since(t - self.success_window),
                );
            }
        }
    }

    fn evict(&self, denials: &mut Self::State, watermark: i64) {
        denials.evict(watermark - self.keep());
    }

    fn size(denials: &Self::State) -> usize {
        denials.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, MINUTE};
    use serde_json::json;

    fn denials(n: i64, every: i64) -> Vec<entra_model::SignIn> {
        (0..n)
            .map(|i| sign_in("u1", i * every, 500_121, json!({})))
            .collect()
    }

    #[test]
    fn five_denials_within_a_minute_fire_medium() {
        let mut run = Run::<MfaFatigue>::new();
        // The fifth lands exactly one minute after the first.
        let f = run.feed_all(&denials(5, 15));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
        assert_eq!(f[0].evidence.sign_ins.len(), 5);
    }

    #[test]
    fn four_denials_or_five_over_more_than_a_minute_do_not_fire() {
        let mut run = Run::<MfaFatigue>::new();
        assert!(run.feed_all(&denials(4, 1)).is_empty());
        let mut run = Run::<MfaFatigue>::new();
        assert!(run.feed_all(&denials(5, 16)).is_empty());
    }

    #[test]
    fn a_success_after_more_than_ten_denials_within_five_minutes_fires_high() {
        // 11 denials, 25 s apart (never 5 within a minute), then a success 5 minutes after the first.
        let mut run = Run::<MfaFatigue>::new();
        assert!(run.feed_all(&denials(11, 25)).is_empty());
        let f = run.feed(&sign_in("u1", 5 * MINUTE, 0, json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);
        // Ten denials are not enough.
        let mut run = Run::<MfaFatigue>::new();
        run.feed_all(&denials(10, 25));
        assert!(run
            .feed(&sign_in("u1", 5 * MINUTE, 0, json!({})))
            .is_empty());
    }

    #[test]
    fn eviction_keeps_the_success_window() {
        let mut run = Run::<MfaFatigue>::new();
        run.feed_all(&denials(3, 1));
        run.evict(5 * MINUTE);
        assert_eq!(run.held(), (3, true));
        run.evict(5 * MINUTE + 1);
        assert_eq!(run.held(), (2, true));
        run.evict(6 * MINUTE);
        assert_eq!(run.held(), (0, false));
    }
}

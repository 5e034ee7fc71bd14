//! `password-spray`: one IP failing passwords on many users.

use std::sync::Arc;

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{minutes, Window};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, PasswordSprayConfig};
use crate::finding::Subject;

/// `password-spray`: one IP, >= `min_users` distinct users failing within `window_minutes`,
/// more of them than users succeeding from it.
#[derive(Debug)]
pub(crate) struct PasswordSpray {
    config: PasswordSprayConfig,
    window: i64,
}

/// An IP's failed and successful sign-ins in the window, by user.
#[derive(Debug, Default)]
pub(crate) struct Spray {
    failed: Window<Arc<str>>,
    succeeded: Window<Arc<str>>,
}

impl PasswordSpray {
    /// Whether `e` is a failure, and whether a success, that the rule counts.
    fn outcome(&self, e: &SignInEvent<'_>) -> (bool, bool) {
        let c = &self.config;
        e.ev.outcome(c.enabled, &c.failure_codes, &c.ignore)
    }
}

impl Detection for PasswordSpray {
    type State = Spray;

    fn new(config: &CheckConfig) -> Self {
        let config = config.password_spray.clone();
        PasswordSpray {
            window: minutes(config.window_minutes),
            config,
        }
    }

    fn watches(&self, e: &SignInEvent<'_>) -> bool {
        self.outcome(e) != (false, false)
    }

    fn on_sign_in(&self, ip: &mut Spray, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (failure, success) = self.outcome(e);
        let (ev, ps) = (e.ev, &self.config);
        if failure {
            ip.failed.push(ev.t, Arc::clone(e.user), ev);
        } else if success {
            ip.succeeded.push(ev.t, Arc::clone(e.user), ev);
        } else {
            return;
        }
        self.evict(ip, ev.t);
        let failed = ip.failed.distinct();
        let succeeded = ip.succeeded.distinct();
        if failure && failed >= ps.min_users as usize && failed > succeeded {
            incidents.fire(
                Fire {
                    check: CheckId::PasswordSpray,
                    severity: Severity::High,
                    subject: Subject::Ip {
                        address: ev.ip_str().to_owned(),
                    },
                    summary: format!(
                        "IP {} failed passwords on {failed} users within {} minutes (password spray)",
                        ev.ip_str(),
                        ps.window_minutes
                    ),
                    facts: vec![
                        ("failed_users", failed.into()),
                        ("successful_users", succeeded.into()),
                    ],
                    recommendation: Some("Block the IP with a named location; check the targeted users' sign-ins for a success from it."),
                    trigger: ev,
                },
                ip.failed.events(),
            );
        }
    }

    fn evict(&self, ip: &mut Spray, watermark: i64) {
        ip.failed.evict(watermark - self.window);
        ip.succeeded.evict(watermark - self.window);
    }

    fn size(ip: &Spray) -> usize {
        ip.failed.len() + ip.succeeded.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, MINUTE};
    use serde_json::json;

    /// `n` users failing from one IP, one every `every` seconds.
    fn spray(n: i64, every: i64) -> Vec<entra_model::SignIn> {
        (0..n)
            .map(|i| sign_in(&format!("u{i}"), i * every, 50126, json!({})))
            .collect()
    }

    #[test]
    fn five_users_failing_within_twenty_minutes_fire() {
        let mut run = Run::<PasswordSpray>::new();
        // The fifth fails exactly 20 minutes after the first.
        let f = run.feed_all(&spray(5, 5 * MINUTE));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.users.len(), 5);
        assert_eq!(
            f[0].subject,
            Subject::Ip {
                address: "203.0.113.1".into()
            }
        );
    }

    #[test]
    fn four_users_the_same_user_or_five_across_the_window_edge_do_not_fire() {
        let mut run = Run::<PasswordSpray>::new();
        assert!(run.feed_all(&spray(4, 1)).is_empty());
        let mut run = Run::<PasswordSpray>::new();
        let one: Vec<_> = (0..10)
            .map(|i| sign_in("u1", i, 50126, json!({})))
            .collect();
        assert!(run.feed_all(&one).is_empty());
        let mut run = Run::<PasswordSpray>::new();
        assert!(run.feed_all(&spray(5, 5 * MINUTE + 1)).is_empty());
        run.evict(60 * MINUTE);
        assert_eq!(run.held(), (0, false));
    }

    #[test]
    fn as_many_successful_users_as_failed_ones_silence_it() {
        let mut run = Run::<PasswordSpray>::new();
        let ok: Vec<_> = (0..5)
            .map(|i| sign_in(&format!("ok{i}"), i, 0, json!({})))
            .collect();
        run.feed_all(&ok);
        assert!(run.feed_all(&spray(5, 1)).is_empty());
        assert!(run.feed(&sign_in("u5", 10, 50053, json!({}))).len() == 1);
    }
}

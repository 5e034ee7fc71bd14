//! `account-under-attack`: a success from an IP that failed on many other accounts.

use std::sync::Arc;

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{days, Window};
use super::HashMap;
use crate::check::{CheckId, Severity};
use crate::config::{AccountUnderAttackConfig, CheckConfig};

/// `account-under-attack`: a user signs in successfully from an IP that failed on >=
/// `min_other_users` other accounts within `window_days` (and, by default, whose failed accounts
/// outnumber its successful ones).
#[derive(Debug)]
pub(crate) struct AccountUnderAttack {
    config: AccountUnderAttackConfig,
    window: i64,
}

/// An IP's failures in the window, and its successful accounts while it has failures.
#[derive(Debug, Default)]
pub(crate) struct Attack {
    failed: Window<Arc<str>>,
    /// Last success per account, kept only while the IP has failures in the window.
    succeeded: HashMap<Arc<str>, i64>,
}

impl AccountUnderAttack {
    /// Whether `e` is a failure, and whether a success, that the rule counts.
    fn outcome(&self, e: &SignInEvent<'_>) -> (bool, bool) {
        let c = &self.config;
        e.ev.outcome(c.enabled, &c.failure_codes, &c.ignore)
    }
}

impl Detection for AccountUnderAttack {
    type State = Attack;

    fn new(config: &CheckConfig) -> Self {
        let config = config.account_under_attack.clone();
        AccountUnderAttack {
            window: days(config.window_days),
            config,
        }
    }

    fn watches(&self, e: &SignInEvent<'_>) -> bool {
        self.outcome(e) != (false, false)
    }

    fn on_sign_in(&self, ip: &mut Attack, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (failure, success) = self.outcome(e);
        if !(failure || success) {
            return;
        }
        let (ev, aa, user) = (e.ev, &self.config, e.user);
        let t = ev.t;
        if failure {
            ip.failed.push(t, Arc::clone(user), ev);
        }
        ip.failed.evict(t - self.window);
        if ip.failed.len() == 0 {
            ip.succeeded.clear();
            return;
        }
        if !success {
            return;
        }
        ip.succeeded.insert(Arc::clone(user), t);
        let failed = ip.failed.distinct();
        let others = failed - usize::from(ip.failed.contains(user));
        let majority = || {
            let from = t - self.window;
            failed > ip.succeeded.values().filter(|last| **last >= from).count()
        };
        if others >= aa.min_other_users as usize && (!aa.require_failed_majority || majority()) {
            incidents.fire(
                Fire {
                    check: CheckId::AccountUnderAttack,
                    severity: Severity::High,
                    subject: ev.subject(),
                    summary: format!(
                        "{} signed in successfully from {}, which failed on {others} other accounts within {} days",
                        ev.who(),
                        ev.ip_str(),
                        aa.window_days
                    ),
                    facts: vec![("other_failed_users", others.into())],
                    recommendation: Some("Revoke the user's sessions and reset the password; block the IP."),
                    trigger: ev,
                },
                ip.failed.events(),
            );
        }
    }

    fn evict(&self, ip: &mut Attack, watermark: i64) {
        let from = watermark - self.window;
        ip.failed.evict(from);
        if ip.failed.len() == 0 {
            ip.succeeded.clear();
        } else {
            ip.succeeded.retain(|_, last| *last >= from);
        }
    }

    fn size(ip: &Attack) -> usize {
        ip.failed.len() + ip.succeeded.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, DAY};
    use serde_json::json;

    /// `n` users failing from one IP, one a minute.
    fn failures(n: i64) -> Vec<entra_model::SignIn> {
        (0..n)
            .map(|i| sign_in(&format!("u{i}"), i * 60, 50126, json!({})))
            .collect()
    }

    #[test]
    fn a_success_from_an_ip_that_failed_on_five_other_accounts_fires() {
        let mut run = Run::<AccountUnderAttack>::new();
        run.feed_all(&failures(5));
        // Exactly 7 days after the first failure: still inside the window.
        let f = run.feed(&sign_in("victim", 7 * DAY, 0, json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence.facts.get("other_failed_users"),
            Some(&json!(5))
        );
        assert_eq!(f[0].evidence.sign_ins.len(), 6);
    }

    #[test]
    fn four_others_or_a_failure_past_the_window_do_not_fire() {
        let mut run = Run::<AccountUnderAttack>::new();
        run.feed_all(&failures(5));
        // u0 failed too: only four others.
        assert!(run.feed(&sign_in("u0", 10 * 60, 0, json!({}))).is_empty());
        let mut run = Run::<AccountUnderAttack>::new();
        run.feed_all(&failures(5));
        assert!(run
            .feed(&sign_in("victim", 7 * DAY + 1, 0, json!({})))
            .is_empty());
    }

    #[test]
    fn as_many_successful_accounts_as_failed_ones_silence_it() {
        let mut run = Run::<AccountUnderAttack>::new();
        run.feed_all(&failures(5));
        for i in 0..4 {
            assert_eq!(
                run.feed(&sign_in(&format!("ok{i}"), 600 + i, 0, json!({})))
                    .len(),
                1
            );
        }
        // The fifth success evens the count: five failed, five succeeded.
        assert!(run.feed(&sign_in("ok4", 700, 0, json!({}))).is_empty());
        assert_eq!(run.held(), (10, true));
        run.evict(7 * DAY + 4 * 60 + 1);
        assert_eq!(run.held(), (0, false));
    }

    #[test]
    fn successes_alone_keep_nothing() {
        let mut run = Run::<AccountUnderAttack>::new();
        run.feed(&sign_in("ok", 0, 0, json!({})));
        assert_eq!(run.held(), (0, false));
    }
}

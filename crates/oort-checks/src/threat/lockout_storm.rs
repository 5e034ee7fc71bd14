//! `lockout-storm`: many account lockouts across the tenant within a short window.

use std::sync::Arc;

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{minutes, Window};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, LockoutStormConfig};
use crate::finding::Subject;

/// `lockout-storm`: >= `min_events` lockouts (50053) across >= `min_users` users within
/// `window_minutes`, tenant-wide.
#[derive(Debug)]
pub(crate) struct LockoutStorm {
    config: LockoutStormConfig,
    window: i64,
}

impl Detection for LockoutStorm {
    /// The tenant's lockouts in the window, by user.
    type State = Window<Arc<str>>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.lockout_storm.clone();
        LockoutStorm {
            window: minutes(config.window_minutes),
            config,
        }
    }

    fn on_sign_in(
        &self,
        lockouts: &mut Self::State,
        e: &SignInEvent<'_>,
        incidents: &mut Incidents,
    ) {
        let (ev, ls) = (e.ev, &self.config);
        if !ls.enabled || ev.code != Some(50_053) || ev.is_ignored(&ls.ignore) {
            return;
        }
        lockouts.push(ev.t, Arc::clone(e.user), ev);
        lockouts.evict(ev.t - self.window);
        let n = lockouts.len();
        let users = lockouts.distinct();
        if n >= ls.min_events as usize && users >= ls.min_users as usize {
            incidents.fire(
                Fire {
                    check: CheckId::LockoutStorm,
                    severity: Severity::High,
                    subject: Subject::Tenant,
                    summary: format!(
                        "{n} account lockouts across {users} users within {} minutes",
                        ls.window_minutes
                    ),
                    facts: vec![("lockouts", n.into()), ("locked_users", users.into())],
                    recommendation: None,
                    trigger: ev,
                },
                lockouts.events(),
            );
        }
    }

    fn evict(&self, lockouts: &mut Self::State, watermark: i64) {
        lockouts.evict(watermark - self.window);
    }

    fn size(lockouts: &Self::State) -> usize {
        lockouts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, MINUTE};
    use serde_json::json;

    /// Lockouts at `secs`, of `users` users in turn.
    fn lockouts(secs: impl IntoIterator<Item = i64>, users: usize) -> Vec<entra_model::SignIn> {
        (0..)
            .zip(secs)
            .map(|(i, t)| sign_in(&format!("u{}", i % users), t, 50_053, json!({})))
            .collect()
    }

    /// 29 lockouts a minute apart, then one at `last` seconds.
    fn thirty(last: i64) -> impl Iterator<Item = i64> {
        (0..29).map(|i| i * MINUTE).chain([last])
    }

    #[test]
    fn fires_at_thirty_lockouts_of_twenty_five_users_in_thirty_minutes() {
        let mut run = Run::<LockoutStorm>::new();
        // The 30th lands exactly 30 minutes after the first: still inside the window.
        let f = run.feed_all(&lockouts(thirty(30 * MINUTE), 25));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, Subject::Tenant);
        assert_eq!(f[0].evidence.users.len(), 25);
    }

    #[test]
    fn is_silent_below_either_threshold_or_across_the_window_edge() {
        let mut run = Run::<LockoutStorm>::new();
        assert!(run.feed_all(&lockouts(0..29, 25)).is_empty());
        let mut run = Run::<LockoutStorm>::new();
        assert!(run.feed_all(&lockouts(0..40, 24)).is_empty());
        let mut run = Run::<LockoutStorm>::new();
        assert!(run
            .feed_all(&lockouts(thirty(30 * MINUTE + 1), 25))
            .is_empty());
        assert_eq!(run.held().0, 29);
        run.evict(61 * MINUTE);
        assert_eq!(run.held(), (0, false));
    }
}

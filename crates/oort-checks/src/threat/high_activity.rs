//! `high-activity`: more sign-ins of one user in a UTC day than a person makes.

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::MS_PER_DAY;
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, HighActivityConfig};

/// `high-activity`: more than `more_than_sign_ins` sign-ins of one user in one UTC day (a
/// counter per user, not a window of events).
#[derive(Debug)]
pub(crate) struct HighActivity {
    config: HighActivityConfig,
}

/// The sign-ins of a user on one UTC day.
#[derive(Debug, Default)]
pub(crate) struct DayCount {
    /// Days since the Unix epoch.
    day: i64,
    count: u32,
}

impl Detection for HighActivity {
    type State = DayCount;

    fn new(config: &CheckConfig) -> Self {
        HighActivity {
            config: config.high_activity.clone(),
        }
    }

    fn on_sign_in(&self, today: &mut DayCount, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (ev, ha) = (e.ev, &self.config);
        if !ha.enabled || ev.is_ignored(&ha.ignore) {
            return;
        }
        let day = ev.t.div_euclid(MS_PER_DAY);
        if today.day != day {
            today.day = day;
            today.count = 0;
        }
        today.count += 1;
        if today.count > ha.more_than_sign_ins {
            let n = today.count;
            incidents.fire(
                Fire {
                    check: CheckId::HighActivity,
                    severity: Severity::Low,
                    subject: ev.subject(),
                    summary: format!("{} made {n} sign-ins in one day", ev.who()),
                    facts: vec![("sign_ins_today", n.into())],
                    recommendation: None,
                    trigger: ev,
                },
                [],
            );
        }
    }

    fn evict(&self, today: &mut DayCount, watermark: i64) {
        if today.day < watermark.div_euclid(MS_PER_DAY) {
            today.count = 0;
        }
    }

    /// The counter is not an entry of the windows.
    fn size(_: &DayCount) -> usize {
        0
    }

    fn holds(today: &DayCount) -> bool {
        today.count > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, DAY};
    use serde_json::json;

    fn day_of(n: i64, start: i64) -> Vec<entra_model::SignIn> {
        (0..n)
            .map(|i| sign_in("u1", start + i, 0, json!({})))
            .collect()
    }

    #[test]
    fn the_thousand_and_first_sign_in_of_a_day_fires() {
        let mut run = Run::<HighActivity>::new();
        assert!(run.feed_all(&day_of(1000, 0)).is_empty());
        let f = run.feed(&sign_in("u1", DAY - 1, 50126, json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence.facts.get("sign_ins_today"),
            Some(&json!(1001))
        );
    }

    #[test]
    fn the_count_restarts_at_midnight_utc() {
        let mut run = Run::<HighActivity>::new();
        run.feed_all(&day_of(600, DAY - 600));
        assert!(run.feed_all(&day_of(600, DAY)).is_empty());
        assert_eq!(run.held(), (0, true));
        run.evict(2 * DAY);
        assert_eq!(run.held(), (0, false));
    }
}

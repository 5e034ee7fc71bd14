//! `ca-bypass-attempt`: conditional access failures of one user from several IPs.

use std::sync::Arc;

use entra_model::ConditionalAccessStatus;

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{hours, Window};
use crate::check::{CheckId, Severity};
use crate::config::{CaBypassAttemptConfig, CheckConfig};

/// `ca-bypass-attempt`: one user failing conditional access from more than `more_than_ips`
/// distinct IPs within `window_hours`.
#[derive(Debug)]
pub(crate) struct CaBypassAttempt {
    config: CaBypassAttemptConfig,
    window: i64,
}

impl Detection for CaBypassAttempt {
    /// The user's conditional access failures, by IP.
    type State = Window<Arc<str>>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.ca_bypass_attempt.clone();
        CaBypassAttempt {
            window: hours(config.window_hours),
            config,
        }
    }

    fn on_sign_in(
        &self,
        failures: &mut Self::State,
        e: &SignInEvent<'_>,
        incidents: &mut Incidents,
    ) {
        let (ev, ca) = (e.ev, &self.config);
        if !ca.enabled
            || e.sign_in.conditional_access_status != Some(ConditionalAccessStatus::Failure)
            || ev.is_ignored(&ca.ignore)
        {
            return;
        }
        let Some(ip) = &ev.ip else { return };
        failures.push(ev.t, Arc::clone(ip), ev);
        failures.evict(ev.t - self.window);
        let n = failures.distinct();
        if n > ca.more_than_ips as usize {
            incidents.fire(
                Fire {
                    check: CheckId::CaBypassAttempt,
                    severity: Severity::Low,
                    subject: ev.subject(),
                    summary: format!(
                        "{} failed conditional access from {n} IPs within {} hours",
                        ev.who(),
                        ca.window_hours
                    ),
                    facts: vec![("distinct_ips", n.into())],
                    recommendation: None,
                    trigger: ev,
                },
                failures.events(),
            );
        }
    }

    fn evict(&self, failures: &mut Self::State, watermark: i64) {
        failures.evict(watermark - self.window);
    }

    fn size(failures: &Self::State) -> usize {
        failures.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, DAY};
    use serde_json::json;

    fn ca_failure(secs: i64, ip: &str) -> entra_model::SignIn {
        let extra = json!({"conditionalAccessStatus": "failure", "ipAddress": ip});
        sign_in("u1", secs, 53003, extra)
    }

    #[test]
    fn failures_from_two_ips_within_a_day_fire() {
        let mut run = Run::<CaBypassAttempt>::new();
        assert!(run.feed(&ca_failure(0, "198.51.100.1")).is_empty());
        assert!(run.feed(&ca_failure(10, "198.51.100.1")).is_empty());
        let f = run.feed(&ca_failure(DAY, "198.51.100.2"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.ips.len(), 2);
    }

    #[test]
    fn a_second_ip_past_the_day_or_without_a_failure_does_not_fire() {
        let mut run = Run::<CaBypassAttempt>::new();
        run.feed(&ca_failure(0, "198.51.100.1"));
        assert!(run.feed(&ca_failure(DAY + 1, "198.51.100.2")).is_empty());
        let success = json!({"conditionalAccessStatus": "success", "ipAddress": "198.51.100.3"});
        assert!(run.feed(&sign_in("u1", DAY + 2, 0, success)).is_empty());
        run.evict(2 * DAY + 2);
        assert_eq!(run.held(), (0, false));
    }
}

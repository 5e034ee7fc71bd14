//! `disabled-account-probing`: a disabled account tried from one IP against several apps.

use std::sync::Arc;

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::{hours, Window};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, DisabledAccountProbingConfig};

/// `disabled-account-probing`: 50057 (user disabled) for one user from one IP across
/// at least `min_apps` applications within `window_hours`.
#[derive(Debug)]
pub(crate) struct DisabledAccountProbing {
    config: DisabledAccountProbingConfig,
    window: i64,
}

impl Detection for DisabledAccountProbing {
    /// The user's 50057s, by IP and application (lower case).
    type State = Window<(Arc<str>, Box<str>)>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.disabled_account_probing.clone();
        DisabledAccountProbing {
            window: hours(config.window_hours),
            config,
        }
    }

    fn on_sign_in(&self, tries: &mut Self::State, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (ev, dp) = (e.ev, &self.config);
        if !dp.enabled || ev.code != Some(50_057) || ev.is_ignored(&dp.ignore) {
            return;
        }
        let (Some(ip), Some(app)) = (&ev.ip, ev.app()) else {
            return;
        };
        tries.push(ev.t, (Arc::clone(ip), app.to_ascii_lowercase().into()), ev);
        tries.evict(ev.t - self.window);
        let apps = tries.keys().filter(|(i, _)| i == ip).count();
        if apps >= dp.min_apps as usize {
            incidents.fire(
                Fire {
                    check: CheckId::DisabledAccountProbing,
                    severity: Severity::Low,
                    subject: ev.subject(),
                    summary: format!(
                        "Disabled account {} was tried from {} against {apps} applications",
                        ev.who(),
                        ev.ip_str()
                    ),
                    facts: vec![("applications", apps.into())],
                    recommendation: None,
                    trigger: ev,
                },
                tries
                    .keyed_events()
                    .filter(|((i, _), _)| i == ip)
                    .map(|(_, e)| e),
            );
        }
    }

    fn evict(&self, tries: &mut Self::State, watermark: i64) {
        tries.evict(watermark - self.window);
    }

    fn size(tries: &Self::State) -> usize {
        tries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, DAY};
    use serde_json::json;

    fn tried(secs: i64, ip: &str, app: &str) -> entra_model::SignIn {
        sign_in(
            "u1",
            secs,
            50_057,
            json!({"ipAddress": ip, "appDisplayName": app}),
        )
    }

    #[test]
    fn three_applications_from_one_ip_fire() {
        let mut run = Run::<DisabledAccountProbing>::new();
        run.feed(&tried(0, "198.51.100.1", "Outlook"));
        run.feed(&tried(1, "198.51.100.1", "outlook"));
        run.feed(&tried(2, "198.51.100.2", "Teams"));
        assert!(run.feed(&tried(3, "198.51.100.1", "Teams")).is_empty());
        let f = run.feed(&tried(DAY, "198.51.100.1", "SharePoint"));
        assert_eq!(f.len(), 1);
        // The other IP's try is not cited.
        assert_eq!(f[0].evidence.ips.len(), 1);
        assert_eq!(f[0].evidence.sign_ins.len(), 4);
    }

    #[test]
    fn applications_spread_over_ips_or_past_the_window_do_not_fire() {
        let mut run = Run::<DisabledAccountProbing>::new();
        run.feed(&tried(0, "198.51.100.1", "Outlook"));
        run.feed(&tried(1, "198.51.100.2", "Teams"));
        assert!(run.feed(&tried(2, "198.51.100.3", "SharePoint")).is_empty());
        run.feed(&tried(3, "198.51.100.1", "Teams"));
        assert!(run
            .feed(&tried(DAY + 1, "198.51.100.1", "SharePoint"))
            .is_empty());
        assert!(run
            .feed(&sign_in("u1", DAY + 2, 50126, json!({})))
            .is_empty());
    }
}

//! `new-country`: a correct password from a country the user has not succeeded from lately.

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use super::window::days;
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, NewCountryConfig};

/// `new-country`: a sign-in whose password was correct, from a country without a successful
/// sign-in of the user in `window_days`; users with less history than that are skipped.
#[derive(Debug)]
pub(crate) struct NewCountry {
    config: NewCountryConfig,
    window: i64,
}

/// The countries a user succeeded from lately.
#[derive(Debug, Default)]
pub(crate) struct Countries {
    /// Country and the time of the last success from it.
    recent: Vec<(Box<str>, i64)>,
    /// The first success seen: where the user's history starts.
    first_success: Option<i64>,
}

impl Detection for NewCountry {
    type State = Countries;

    fn new(config: &CheckConfig) -> Self {
        let config = config.new_country.clone();
        NewCountry {
            window: days(config.window_days),
            config,
        }
    }

    fn on_sign_in(&self, user: &mut Countries, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (ev, nc) = (e.ev, &self.config);
        if !nc.enabled || ev.is_ignored(&nc.ignore) {
            return;
        }
        let Some(country) = ev.country() else { return };
        let t = ev.t;
        if ev
            .code
            .is_some_and(|k| nc.password_correct_codes.contains(&k))
        {
            user.recent.retain(|(_, last)| *last >= t - self.window);
            let known = user.recent.iter().any(|(c, _)| &**c == country);
            let history = user.first_success.is_some_and(|f| t - f >= self.window);
            if history && !known {
                let seen: Vec<&str> = user.recent.iter().map(|(c, _)| &**c).collect();
                incidents.fire(
                    Fire {
                        check: CheckId::NewCountry,
                        severity: Severity::Medium,
                        subject: ev.subject(),
                        summary: format!(
                            "{} used a correct password from {country}, a country without a successful sign-in in {} days",
                            ev.who(),
                            nc.window_days
                        ),
                        facts: vec![
                            ("new_country", country.into()),
                            ("recent_countries", serde_json::json!(seen)),
                        ],
                        recommendation: None,
                        trigger: ev,
                    },
                    [],
                );
            }
        }
        if ev.code == Some(0) {
            match user.recent.iter_mut().find(|(c, _)| &**c == country) {
                Some(entry) => entry.1 = entry.1.max(t),
                None => user.recent.push((country.into(), t)),
            }
            user.first_success.get_or_insert(t);
        }
    }

    fn evict(&self, user: &mut Countries, watermark: i64) {
        user.recent
            .retain(|(_, last)| *last >= watermark - self.window);
    }

    fn size(user: &Countries) -> usize {
        user.recent.len()
    }

    fn holds(user: &Countries) -> bool {
        !user.recent.is_empty() || user.first_success.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, DAY};
    use serde_json::json;

    fn from(secs: i64, country: &str, code: i64) -> entra_model::SignIn {
        sign_in(
            "u1",
            secs,
            code,
            json!({"location": {"countryOrRegion": country}}),
        )
    }

    #[test]
    fn a_correct_password_from_a_new_country_after_seven_days_of_history_fires() {
        let mut run = Run::<NewCountry>::new();
        run.feed(&from(0, "FR", 0));
        run.feed(&from(6 * DAY, "FR", 0));
        // Expired password (50055): the password was correct.
        let f = run.feed(&from(7 * DAY, "br", 50055));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.facts.get("new_country"), Some(&json!("BR")));
        assert_eq!(
            f[0].evidence.facts.get("recent_countries"),
            Some(&json!(["FR"]))
        );
    }

    #[test]
    fn short_history_a_known_country_or_a_wrong_password_do_not_fire() {
        let mut run = Run::<NewCountry>::new();
        run.feed(&from(0, "FR", 0));
        assert!(run.feed(&from(7 * DAY - 1, "BR", 0)).is_empty());
        // BR is now known: the success just before counted.
        assert!(run.feed(&from(8 * DAY, "BR", 0)).is_empty());
        assert!(run.feed(&from(8 * DAY, "DE", 50126)).is_empty());
        // FR, last seen more than 7 days before, was dropped by the success from BR.
        assert_eq!(run.held(), (1, true));
    }

    #[test]
    fn a_country_is_forgotten_seven_days_after_its_last_success() {
        let mut run = Run::<NewCountry>::new();
        run.feed(&from(0, "FR", 0));
        run.feed(&from(DAY, "DE", 0));
        assert!(run.feed(&from(8 * DAY, "DE", 0)).is_empty());
        let f = run.feed(&from(8 * DAY + 1, "FR", 0));
        assert_eq!(f.len(), 1);
        run.evict(15 * DAY);
        assert_eq!(run.held(), (2, true));
        run.evict(15 * DAY + 1);
        assert_eq!(run.held(), (1, true));
        run.evict(15 * DAY + 2);
        // The first success is kept: the user's history does not start over.
        assert_eq!(run.held(), (0, true));
    }
}

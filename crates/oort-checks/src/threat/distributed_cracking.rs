//! `distributed-cracking`: many password failures of one user from several locations.

use super::detection::{Detection, SignInEvent};
use super::event::nonempty;
use super::incident::{Fire, Incidents};
use super::window::{hours, Window};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, DistributedCrackingConfig};

/// `distributed-cracking`: one user, more than `more_than_failures` password failures from at
/// least `min_locations` locations (country and city; the IP when the location is unknown)
/// within `window_hours`.
#[derive(Debug)]
pub(crate) struct DistributedCracking {
    config: DistributedCrackingConfig,
    window: i64,
}

impl Detection for DistributedCracking {
    /// The user's password failures, by location.
    type State = Window<Box<str>>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.distributed_cracking.clone();
        DistributedCracking {
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
        let (ev, dc) = (e.ev, &self.config);
        if !dc.enabled
            || !ev.code.is_some_and(|k| dc.failure_codes.contains(&k))
            || ev.is_ignored(&dc.ignore)
        {
            return;
        }
        let city = e.sign_in.location.as_ref().and_then(|l| nonempty(&l.city));
        let location: Option<Box<str>> = match (ev.country(), city) {
            (Some(country), Some(city)) => {
                Some(format!("{country}/{}", city.to_ascii_lowercase()).into())
            }
            (Some(country), None) => Some(country.into()),
            (None, _) => ev.ip.as_deref().map(|ip| format!("ip:{ip}").into()),
        };
        if let Some(location) = location {
            failures.push(ev.t, location, ev);
        }
        failures.evict(ev.t - self.window);
        let n = failures.len();
        let places = failures.distinct();
        if n > dc.more_than_failures as usize && places >= dc.min_locations as usize {
            incidents.fire(
                Fire {
                    check: CheckId::DistributedCracking,
                    severity: Severity::Medium,
                    subject: ev.subject(),
                    summary: format!(
                        "{} had {n} password failures from {places} locations within {} hours (distributed cracking)",
                        ev.who(),
                        dc.window_hours
                    ),
                    facts: vec![("failures", n.into()), ("locations", places.into())],
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
    use crate::threat::testing::{sign_in, Run, HOUR, MINUTE};
    use serde_json::json;

    /// `n` failures 10 minutes apart, cycling through `cities` (of France).
    fn failures(n: i64, cities: &[&str]) -> Vec<entra_model::SignIn> {
        (0..n)
            .map(|i| {
                let city = cities[i as usize % cities.len()];
                let location = json!({"location": {"countryOrRegion": "FR", "city": city}});
                sign_in("u1", i * 10 * MINUTE, 50126, location)
            })
            .collect()
    }

    #[test]
    fn thirty_one_failures_from_three_cities_in_a_day_fire() {
        let mut run = Run::<DistributedCracking>::new();
        let f = run.feed_all(&failures(31, &["Paris", "Lyon", "LYON", "Nice"]));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.facts.get("locations"), Some(&json!(3)));
    }

    #[test]
    fn thirty_failures_or_two_locations_do_not_fire() {
        let mut run = Run::<DistributedCracking>::new();
        assert!(run
            .feed_all(&failures(30, &["Paris", "Lyon", "Nice"]))
            .is_empty());
        let mut run = Run::<DistributedCracking>::new();
        assert!(run.feed_all(&failures(60, &["Paris", "Lyon"])).is_empty());
    }

    #[test]
    fn failures_older_than_the_window_do_not_count() {
        // 31 failures 50 minutes apart span 25 hours: at most 29 are in any 24 hours.
        let mut run = Run::<DistributedCracking>::new();
        let spread: Vec<_> = (0..31)
            .map(|i| {
                let city = ["Paris", "Lyon", "Nice"][i as usize % 3];
                let location = json!({"location": {"countryOrRegion": "FR", "city": city}});
                sign_in("u1", i * 50 * MINUTE, 50126, location)
            })
            .collect();
        assert!(run.feed_all(&spread).is_empty());
        run.evict(60 * HOUR);
        assert_eq!(run.held(), (0, false));
    }
}

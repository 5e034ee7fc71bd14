//! `denied-territory`: a successful sign-in from a denied country or region.

use super::detection::{Detection, SignInEvent};
use super::event::nonempty;
use super::incident::{Fire, Incidents};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, DeniedRegion, DeniedTerritoryConfig};

/// `denied-territory`: a successful sign-in from a country on the deny list, or from a denied
/// region (matched on the location's country, state and city).
#[derive(Debug)]
pub(crate) struct DeniedTerritory {
    config: DeniedTerritoryConfig,
    /// [`CheckConfig::denied_countries`] in upper case.
    countries: Vec<String>,
    regions: Vec<DeniedRegion>,
}

impl Detection for DeniedTerritory {
    type State = ();

    fn new(config: &CheckConfig) -> Self {
        DeniedTerritory {
            config: config.denied_territory.clone(),
            countries: config
                .denied_countries
                .iter()
                .map(|c| c.to_ascii_uppercase())
                .collect(),
            regions: config.denied_regions.clone(),
        }
    }

    fn on_sign_in(&self, _: &mut (), e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (s, ev) = (e.sign_in, e.ev);
        if ev.code != Some(0) || !self.config.enabled || ev.is_ignored(&self.config.ignore) {
            return;
        }
        let loc = s.location.as_ref();
        let state = loc.and_then(|l| nonempty(&l.state));
        let city = loc.and_then(|l| nonempty(&l.city));
        let country = ev.country();
        let by_country = country.is_some_and(|k| self.countries.iter().any(|d| d == k));
        let by_region = self.regions.iter().any(|r| r.matches(country, state, city));
        if !(by_country || by_region) {
            return;
        }
        let place = match (state, by_country) {
            (Some(state), false) => format!("{state}, {}", ev.country_str()),
            _ => ev.country_str().to_owned(),
        };
        incidents.fire(
            Fire {
                check: CheckId::DeniedTerritory,
                severity: Severity::High,
                subject: ev.subject(),
                summary: format!(
                    "{} signed in successfully from denied territory {place} ({})",
                    ev.who(),
                    ev.ip_str()
                ),
                facts: vec![("territory", place.into())],
                recommendation: None,
                trigger: ev,
            },
            [],
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run};
    use serde_json::json;

    #[test]
    fn fires_on_a_success_from_a_denied_country_or_region() {
        let mut run = Run::<DeniedTerritory>::new();
        let f = run.feed(&sign_in(
            "u1",
            0,
            0,
            json!({"location": {"countryOrRegion": "ir"}}),
        ));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.facts.get("territory"), Some(&json!("IR")));
        let crimea = json!({"location": {"countryOrRegion": "UA", "state": "Crimea"}});
        let f = run.feed(&sign_in("u2", 0, 0, crimea));
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].evidence.facts.get("territory"),
            Some(&json!("Crimea, UA"))
        );
    }

    #[test]
    fn is_silent_on_failures_and_allowed_places() {
        let mut run = Run::<DeniedTerritory>::new();
        let iran = json!({"location": {"countryOrRegion": "IR"}});
        assert!(run.feed(&sign_in("u1", 0, 50126, iran)).is_empty());
        let kyiv = json!({"location": {"countryOrRegion": "UA", "state": "Kyiv"}});
        assert!(run.feed(&sign_in("u1", 1, 0, kyiv)).is_empty());
    }
}

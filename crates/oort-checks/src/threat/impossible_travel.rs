//! `impossible-travel`: two successful sign-ins of one user too far apart for the time between.

use std::sync::Arc;

use super::detection::{Detection, SignInEvent};
use super::event::{nonempty, Ev};
use super::incident::{Fire, Incidents};
use super::window::MS_PER_HOUR;
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, ImpossibleTravelConfig};
use crate::geo;

/// `impossible-travel`: two successful sign-ins of one user >= `min_distance_km` apart needing
/// at least `min_speed_kmh`, unless both come from the same known device.
#[derive(Debug)]
pub(crate) struct ImpossibleTravel {
    config: ImpossibleTravelConfig,
    /// Beyond this gap no distance on Earth needs the minimum speed.
    keep: i64,
}

/// Where and when a user last signed in successfully.
#[derive(Debug)]
pub(crate) struct Fix {
    t: i64,
    point: (f64, f64),
    device: Option<Box<str>>,
    /// "City, CC" (or the country alone) for the finding's summary.
    place: Box<str>,
    ev: Arc<Ev>,
}

/// Where sign-in `s` came from, as a person names it: "Lyon, FR", or "FR" without a city.
fn place(s: &entra_model::SignIn, ev: &Ev) -> Box<str> {
    let city = s
        .location
        .as_ref()
        .and_then(|l| nonempty(&l.city))
        .map(str::trim);
    match city {
        Some(city) => format!("{city}, {}", ev.country_str()).into(),
        None => ev.country_str().into(),
    }
}

impl Detection for ImpossibleTravel {
    /// The user's last successful sign-in with coordinates.
    type State = Option<Fix>;

    fn new(config: &CheckConfig) -> Self {
        let config = config.impossible_travel.clone();
        ImpossibleTravel {
            keep: ((geo::EARTH_RADIUS_KM * std::f64::consts::PI / config.min_speed_kmh)
                * MS_PER_HOUR as f64)
                .ceil() as i64,
            config,
        }
    }

    fn on_sign_in(&self, last: &mut Option<Fix>, e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (s, ev, it) = (e.sign_in, e.ev, &self.config);
        if ev.code != Some(0) || !it.enabled || ev.is_ignored(&it.ignore) {
            return;
        }
        let Some(point) = s.coordinates().filter(|p| geo::valid(*p)) else {
            return;
        };
        let device = s
            .device_detail
            .as_ref()
            .and_then(|d| nonempty(&d.device_id))
            .map(Box::<str>::from);
        let place = place(s, ev);
        if let Some(prev) = last {
            let same_device =
                it.skip_same_known_device && device.is_some() && device == prev.device;
            let km = geo::distance_km(prev.point, point);
            let hours = (ev.t - prev.t) as f64 / MS_PER_HOUR as f64;
            let kmh = if hours > 0.0 {
                km / hours
            } else {
                f64::INFINITY
            };
            if !same_device && km >= it.min_distance_km && kmh >= it.min_speed_kmh {
                fire(prev, ev, &place, km, hours, kmh, incidents);
            }
        }
        *last = Some(Fix {
            t: ev.t,
            point,
            device,
            place,
            ev: Arc::clone(ev),
        });
    }

    fn evict(&self, last: &mut Option<Fix>, watermark: i64) {
        if last.as_ref().is_some_and(|f| f.t < watermark - self.keep) {
            *last = None;
        }
    }

    fn size(last: &Option<Fix>) -> usize {
        usize::from(last.is_some())
    }
}

/// Reports the travel from `prev` to `ev` (at `place`): `km` in `hours` at `kmh`.
fn fire(
    prev: &Fix,
    ev: &Arc<Ev>,
    place: &str,
    km: f64,
    hours: f64,
    kmh: f64,
    incidents: &mut Incidents,
) {
    let (speed, pace) = if kmh.is_finite() {
        (serde_json::json!(kmh.round()), format!("{kmh:.0} km/h"))
    } else {
        (serde_json::Value::Null, "at once".to_owned())
    };
    incidents.fire(
        Fire {
            check: CheckId::ImpossibleTravel,
            severity: Severity::High,
            subject: ev.subject(),
            summary: format!(
                "{} signed in from {} and {} {:.0} km apart within {:.0} minutes ({pace})",
                ev.who(),
                prev.place,
                place,
                km,
                hours * 60.0,
            ),
            facts: vec![
                ("from", serde_json::json!(&*prev.place)),
                ("to", serde_json::json!(place)),
                ("distance_km", serde_json::json!(km.round())),
                ("speed_kmh", speed),
            ],
            recommendation: None,
            trigger: ev,
        },
        [&prev.ev],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::threat::testing::{sign_in, Run, HOUR};
    use serde_json::json;

    /// A success at `secs` from (`lat`, `lon`), from `device` when given.
    fn at(secs: i64, lat: f64, lon: f64, device: Option<&str>) -> entra_model::SignIn {
        let extra = json!({
            "location": {"countryOrRegion": "XX", "geoCoordinates": {"latitude": lat, "longitude": lon}},
            "deviceDetail": {"deviceId": device.unwrap_or_default()},
        });
        sign_in("u1", secs, 0, extra)
    }

    // Paris and New York: about 5,840 km apart.
    const PARIS: (f64, f64) = (48.8566, 2.3522);
    const NEW_YORK: (f64, f64) = (40.7128, -74.0060);

    #[test]
    fn paris_then_new_york_an_hour_later_fires() {
        let mut run = Run::<ImpossibleTravel>::new();
        assert!(run.feed(&at(0, PARIS.0, PARIS.1, None)).is_empty());
        let f = run.feed(&at(HOUR, NEW_YORK.0, NEW_YORK.1, None));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.sign_ins.len(), 2);
        let speed = f[0]
            .evidence
            .facts
            .get("speed_kmh")
            .and_then(|v| v.as_f64());
        assert!(speed.is_some_and(|v| v > 5000.0), "{speed:?}");
    }

    #[test]
    fn the_summary_names_both_places_by_city_and_country() {
        let mut run = Run::<ImpossibleTravel>::new();
        let city = |secs, (lat, lon): (f64, f64), city: &str, cc: &str| {
            let extra = json!({
                "location": {"city": city, "countryOrRegion": cc,
                             "geoCoordinates": {"latitude": lat, "longitude": lon}},
            });
            sign_in("u1", secs, 0, extra)
        };
        run.feed(&city(0, PARIS, "Paris", "FR"));
        let f = run.feed(&city(HOUR, NEW_YORK, "New York", "US"));
        assert_eq!(f.len(), 1);
        assert!(
            f[0].summary.contains("from Paris, FR and New York, US"),
            "{}",
            f[0].summary
        );
        assert_eq!(f[0].evidence.facts.get("from"), Some(&json!("Paris, FR")));
        assert_eq!(f[0].evidence.facts.get("to"), Some(&json!("New York, US")));
    }

    #[test]
    fn a_flight_fast_enough_a_short_hop_or_the_same_device_do_not_fire() {
        let mut run = Run::<ImpossibleTravel>::new();
        run.feed(&at(0, PARIS.0, PARIS.1, None));
        // Eight hours: about 730 km/h, under the 800 km/h threshold.
        assert!(run
            .feed(&at(8 * HOUR, NEW_YORK.0, NEW_YORK.1, None))
            .is_empty());
        // Paris to Lyon (about 390 km) at once: under the 500 km minimum.
        let mut run = Run::<ImpossibleTravel>::new();
        run.feed(&at(0, PARIS.0, PARIS.1, None));
        assert!(run.feed(&at(1, 45.764, 4.8357, None)).is_empty());
        let mut run = Run::<ImpossibleTravel>::new();
        run.feed(&at(0, PARIS.0, PARIS.1, Some("d1")));
        assert!(run
            .feed(&at(HOUR, NEW_YORK.0, NEW_YORK.1, Some("d1")))
            .is_empty());
        assert_eq!(run.held(), (1, true));
    }

    #[test]
    fn the_last_fix_is_forgotten_once_no_distance_could_need_the_speed() {
        let mut run = Run::<ImpossibleTravel>::new();
        run.feed(&at(0, PARIS.0, PARIS.1, None));
        // Half the Earth's circumference at 800 km/h: about 25 hours.
        run.evict(25 * HOUR);
        assert_eq!(run.held(), (1, true));
        run.evict(26 * HOUR);
        assert_eq!(run.held(), (0, false));
    }
}

//! Test support for the detections' unit tests: sign-ins built by hand and one detection run
//! alone, as the engine runs it.

use std::sync::Arc;

use entra_model::SignIn;
use time::OffsetDateTime;

use super::detection::{Detection, SignInEvent};
use super::event::{millis, nonempty, Ev};
use super::incident::Incidents;
use crate::config::CheckConfig;
use crate::finding::Finding;

/// 2024-05-01T00:00:00Z.
const T0: i64 = 1_714_521_600;

/// Seconds in a minute, an hour, a day.
pub(super) const MINUTE: i64 = 60;
pub(super) const HOUR: i64 = 60 * MINUTE;
pub(super) const DAY: i64 = 24 * HOUR;

/// A sign-in of `user` (`userId`; UPN `user@contoso.com`) `secs` seconds after 2024-05-01
/// 00:00 UTC from `203.0.113.1` in France, with result `code`; the fields of `extra` (Graph's
/// JSON names) replace or add to those.
pub(super) fn sign_in(user: &str, secs: i64, code: i64, extra: serde_json::Value) -> SignIn {
    let mut json = serde_json::json!({
        "id": format!("{user}-{secs}-{code}"),
        "userId": user,
        "userPrincipalName": format!("{user}@contoso.com"),
        "appDisplayName": "Office 365",
        "ipAddress": "203.0.113.1",
        "location": {"countryOrRegion": "FR", "city": "Paris"},
        "status": {"errorCode": code},
    });
    if let (Some(base), Some(extra)) = (json.as_object_mut(), extra.as_object()) {
        base.extend(extra.clone());
    }
    let mut s: SignIn = serde_json::from_value(json).unwrap();
    s.created_date_time = Some(OffsetDateTime::from_unix_timestamp(T0 + secs).unwrap());
    s
}

/// `secs` seconds after 2024-05-01 00:00 UTC, in the engine's milliseconds.
pub(super) fn ms(secs: i64) -> i64 {
    (T0 + secs) * 1000
}

/// One detection with one state (one user's, one IP's or the tenant's), fed as the engine
/// feeds it.
#[derive(Debug)]
pub(super) struct Run<D: Detection> {
    detection: D,
    state: D::State,
    incidents: Incidents,
}

impl<D: Detection> Run<D> {
    /// The detection with the catalogue's defaults.
    pub(super) fn new() -> Self {
        Self::with(&CheckConfig::default())
    }

    /// The detection with `config`.
    pub(super) fn with(config: &CheckConfig) -> Self {
        config.validate().unwrap();
        Run {
            detection: D::new(config),
            state: D::State::default(),
            incidents: Incidents::new(config.evidence_limit),
        }
    }

    /// Feeds `s`; the findings it opened or changed.
    pub(super) fn feed(&mut self, s: &SignIn) -> Vec<Finding> {
        let time = s.created_date_time.unwrap();
        let ip = nonempty(&s.ip_address).map(Arc::from);
        let country = s.country().map(|c| Arc::from(c.to_ascii_uppercase()));
        let ev = Arc::new(Ev::of_sign_in(s, time, ip, country));
        assert_eq!(ev.t, millis(time));
        let key = ev.user_id().or(ev.upn()).unwrap_or_default();
        let user: Arc<str> = Arc::from(key.to_ascii_lowercase());
        let e = SignInEvent {
            sign_in: s,
            ev: &ev,
            user: &user,
        };
        if self.detection.watches(&e) {
            self.detection
                .on_sign_in(&mut self.state, &e, &mut self.incidents);
        }
        self.incidents.take()
    }

    /// Feeds every sign-in; the findings of the last one.
    pub(super) fn feed_all(&mut self, sign_ins: &[SignIn]) -> Vec<Finding> {
        let mut last = Vec::new();
        for s in sign_ins {
            last = self.feed(s);
        }
        last
    }

    /// Evicts the state to `secs` seconds after 2024-05-01 00:00 UTC, as the engine's sweep.
    pub(super) fn evict(&mut self, secs: i64) {
        self.detection.evict(&mut self.state, ms(secs));
    }

    /// What the state holds: its size and whether it is kept.
    pub(super) fn held(&self) -> (usize, bool) {
        (D::size(&self.state), D::holds(&self.state))
    }
}

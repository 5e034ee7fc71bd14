//! `risky-sign-in`: a sign-in Entra ID rated high risk and did not clear.

use entra_model::{RiskLevel, RiskState};

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, RiskySignInConfig};

/// `risky-sign-in`: `riskLevelAggregated` or `riskLevelDuringSignIn` high, and `riskState` not
/// remediated, dismissed or confirmed safe.
#[derive(Debug)]
pub(crate) struct RiskySignIn {
    config: RiskySignInConfig,
}

impl Detection for RiskySignIn {
    type State = ();

    fn new(config: &CheckConfig) -> Self {
        RiskySignIn {
            config: config.risky_sign_in.clone(),
        }
    }

    fn on_sign_in(&self, _: &mut (), e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (s, ev) = (e.sign_in, e.ev);
        if !self.config.enabled || ev.is_ignored(&self.config.ignore) {
            return;
        }
        let high = s.risk_level_aggregated == Some(RiskLevel::High)
            || s.risk_level_during_sign_in == Some(RiskLevel::High);
        let cleared = matches!(
            s.risk_state,
            Some(RiskState::Remediated | RiskState::Dismissed | RiskState::ConfirmedSafe)
        );
        if !high || cleared {
            return;
        }
        let state = s.risk_state.as_ref().map_or("none", |r| r.as_str());
        incidents.fire(
            Fire {
                check: CheckId::RiskySignIn,
                severity: Severity::High,
                subject: ev.subject(),
                summary: format!(
                    "High-risk sign-in of {} from {} ({}), risk state {state}",
                    ev.who(),
                    ev.ip_str(),
                    ev.country_str()
                ),
                facts: vec![("risk_event_types", serde_json::json!(s.risk_event_types_v2))],
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
    fn fires_on_high_risk_at_risk() {
        let mut run = Run::<RiskySignIn>::new();
        let s = sign_in(
            "u1",
            0,
            0,
            json!({"riskLevelDuringSignIn": "high", "riskState": "atRisk"}),
        );
        let f = run.feed(&s);
        assert_eq!(f.len(), 1);
        assert!(
            f[0].summary.contains("risk state atRisk"),
            "{}",
            f[0].summary
        );
    }

    #[test]
    fn is_silent_on_medium_risk_and_on_cleared_high_risk() {
        let mut run = Run::<RiskySignIn>::new();
        let medium = json!({"riskLevelAggregated": "medium", "riskState": "atRisk"});
        assert!(run.feed(&sign_in("u1", 0, 0, medium)).is_empty());
        let dismissed = json!({"riskLevelAggregated": "high", "riskState": "dismissed"});
        assert!(run.feed(&sign_in("u1", 1, 0, dismissed)).is_empty());
    }
}

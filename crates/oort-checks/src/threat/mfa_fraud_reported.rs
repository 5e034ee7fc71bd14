//! `mfa-fraud-reported`: an MFA denial whose details say the user declined or reported fraud.

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, MfaFraudReportedConfig};

/// `mfa-fraud-reported`: a 500121 whose status or authentication details contain one of the
/// configured phrases.
#[derive(Debug)]
pub(crate) struct MfaFraudReported {
    config: MfaFraudReportedConfig,
    /// [`MfaFraudReportedConfig::phrases`] in lower case.
    phrases: Vec<String>,
}

impl Detection for MfaFraudReported {
    type State = ();

    fn new(config: &CheckConfig) -> Self {
        let config = config.mfa_fraud_reported.clone();
        MfaFraudReported {
            phrases: config
                .phrases
                .iter()
                .map(|p| p.to_ascii_lowercase())
                .collect(),
            config,
        }
    }

    fn on_sign_in(&self, _: &mut (), e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (s, ev) = (e.sign_in, e.ev);
        if ev.code != Some(500_121) || !self.config.enabled || ev.is_ignored(&self.config.ignore) {
            return;
        }
        let status = s.status.as_ref();
        let mut texts = status
            .and_then(|st| st.additional_details.as_deref())
            .into_iter()
            .chain(status.and_then(|st| st.failure_reason.as_deref()))
            .chain(
                s.authentication_details
                    .iter()
                    .filter_map(|d| d.authentication_step_result_detail.as_deref()),
            );
        let Some(detail) = texts.find(|text| {
            let lowered = text.to_ascii_lowercase();
            self.phrases.iter().any(|p| lowered.contains(p.as_str()))
        }) else {
            return;
        };
        incidents.fire(
            Fire {
                check: CheckId::MfaFraudReported,
                severity: Severity::Medium,
                subject: ev.subject(),
                summary: format!(
                    "{} declined an MFA prompt or reported fraud (sign-in from {})",
                    ev.who(),
                    ev.ip_str()
                ),
                facts: vec![("detail", detail.into())],
                recommendation: Some("Ask the user; if they did not start the sign-in, the password is known to someone else: reset it."),
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
    fn fires_on_a_denial_reported_as_fraud() {
        let mut run = Run::<MfaFraudReported>::new();
        let details = json!({"authenticationDetails": [
            {"authenticationStepResultDetail": "MFA denied; user declined the authentication"}
        ]});
        let f = run.feed(&sign_in("u1", 0, 500_121, details));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);
    }

    #[test]
    fn is_silent_on_an_unanswered_prompt_and_on_other_codes() {
        let mut run = Run::<MfaFraudReported>::new();
        let timeout = json!({"status": {"errorCode": 500_121, "additionalDetails": "MFA denied; user did not respond to mobile app notification"}});
        assert!(run.feed(&sign_in("u1", 0, 500_121, timeout)).is_empty());
        let declined = json!({"status": {"errorCode": 50126, "additionalDetails": "user declined the authentication"}});
        assert!(run.feed(&sign_in("u1", 1, 50126, declined)).is_empty());
    }
}

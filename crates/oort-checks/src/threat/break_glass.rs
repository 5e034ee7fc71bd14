//! `break-glass-sign-in`: any sign-in by an account on the break-glass list.

use super::detection::{Detection, SignInEvent};
use super::incident::{Fire, Incidents};
use crate::check::{CheckId, Severity};
use crate::config::{contains_ci, BreakGlassSignInConfig, CheckConfig};

/// `break-glass-sign-in`: any sign-in by an account on the break-glass list.
#[derive(Debug)]
pub(crate) struct BreakGlassSignIn {
    config: BreakGlassSignInConfig,
    /// Object ids or UPNs ([`CheckConfig::break_glass_accounts`]).
    accounts: Vec<String>,
}

impl Detection for BreakGlassSignIn {
    type State = ();

    fn new(config: &CheckConfig) -> Self {
        BreakGlassSignIn {
            config: config.break_glass_sign_in.clone(),
            accounts: config.break_glass_accounts.clone(),
        }
    }

    fn on_sign_in(&self, _: &mut (), e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let ev = e.ev;
        if !self.config.enabled
            || !(contains_ci(&self.accounts, ev.user_id()) || contains_ci(&self.accounts, ev.upn()))
            || ev.is_ignored(&self.config.ignore)
        {
            return;
        }
        let result = match ev.code {
            Some(0) => "succeeded".to_owned(),
            Some(code) => format!("failed with {code}"),
            None => "had no result".to_owned(),
        };
        incidents.fire(
            Fire {
                check: CheckId::BreakGlassSignIn,
                severity: Severity::Critical,
                subject: ev.subject(),
                summary: format!(
                    "Break-glass account {} signed in from {} ({}) and {result}",
                    ev.who(),
                    ev.ip_str(),
                    ev.country_str()
                ),
                facts: vec![],
                recommendation: Some("Confirm with the account's custodians that the use was planned; otherwise reset its credentials."),
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

    fn config() -> CheckConfig {
        CheckConfig {
            break_glass_accounts: vec!["BG@contoso.com".into()],
            ..CheckConfig::default()
        }
    }

    #[test]
    fn fires_on_any_sign_in_of_a_listed_account_matched_without_case() {
        let mut run = Run::<BreakGlassSignIn>::with(&config());
        let f = run.feed(&sign_in("bg", 0, 50126, json!({})));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critical);
        assert!(
            f[0].summary.contains("failed with 50126"),
            "{}",
            f[0].summary
        );
    }

    #[test]
    fn is_silent_for_other_accounts_and_when_ignored() {
        let mut run = Run::<BreakGlassSignIn>::with(&config());
        assert!(run.feed(&sign_in("bg2", 0, 0, json!({}))).is_empty());
        let mut ignoring = config();
        ignoring.break_glass_sign_in.ignore.ips = vec!["203.0.113.1".into()];
        let mut run = Run::<BreakGlassSignIn>::with(&ignoring);
        assert!(run.feed(&sign_in("bg", 0, 0, json!({}))).is_empty());
        assert_eq!(run.held(), (0, false));
    }
}

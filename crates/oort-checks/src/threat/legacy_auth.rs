//! `legacy-auth`: a successful sign-in over a legacy protocol.

use super::detection::{Detection, SignInEvent};
use super::event::nonempty;
use super::incident::{Fire, Incidents};
use crate::check::{CheckId, Severity};
use crate::config::{CheckConfig, LegacyAuthConfig};

/// `legacy-auth`: a successful sign-in whose `clientAppUsed` is a legacy protocol, or whose user
/// agent contains a legacy client's name.
#[derive(Debug)]
pub(crate) struct LegacyAuth {
    config: LegacyAuthConfig,
    /// [`LegacyAuthConfig::client_apps`] in lower case.
    apps: Vec<String>,
    /// [`LegacyAuthConfig::user_agents`] in lower case.
    agents: Vec<String>,
}

/// Whether `haystack` contains `needle` (already lower case), ignoring ASCII case.
fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let Some(first) = n.first() else { return true };
    h.windows(n.len())
        .any(|w| w[0].eq_ignore_ascii_case(first) && w.eq_ignore_ascii_case(n))
}

fn lower(list: &[String]) -> Vec<String> {
    list.iter().map(|s| s.to_ascii_lowercase()).collect()
}

impl Detection for LegacyAuth {
    type State = ();

    fn new(config: &CheckConfig) -> Self {
        let config = config.legacy_auth.clone();
        LegacyAuth {
            apps: lower(&config.client_apps),
            agents: lower(&config.user_agents),
            config,
        }
    }

    fn on_sign_in(&self, _: &mut (), e: &SignInEvent<'_>, incidents: &mut Incidents) {
        let (s, ev) = (e.sign_in, e.ev);
        if ev.code != Some(0) || !self.config.enabled || ev.is_ignored(&self.config.ignore) {
            return;
        }
        let app = nonempty(&s.client_app_used);
        let by_app = app.is_some_and(|a| self.apps.iter().any(|l| l.eq_ignore_ascii_case(a)));
        let agent = nonempty(&s.user_agent);
        let by_agent =
            agent.is_some_and(|a| self.agents.iter().any(|l| contains_ignore_case(a, l)));
        if !(by_app || by_agent) {
            return;
        }
        let via = if by_app { app } else { agent }.unwrap_or_default();
        incidents.fire(
            Fire {
                check: CheckId::LegacyAuth,
                severity: Severity::Medium,
                subject: ev.subject(),
                summary: format!(
                    "{} signed in with legacy authentication ({via}) from {}",
                    ev.who(),
                    ev.ip_str()
                ),
                facts: vec![("client", via.into())],
                recommendation: Some(
                    "Block legacy authentication with a conditional access policy.",
                ),
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
    fn fires_on_a_legacy_client_app_or_user_agent() {
        let mut run = Run::<LegacyAuth>::new();
        let f = run.feed(&sign_in("u1", 0, 0, json!({"clientAppUsed": "imap4"})));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].evidence.facts.get("client"), Some(&json!("imap4")));
        let mut run = Run::<LegacyAuth>::new();
        let agent = json!({"clientAppUsed": "Browser", "userAgent": "Mozilla (bav2ropc)"});
        assert_eq!(run.feed(&sign_in("u2", 0, 0, agent)).len(), 1);
    }

    #[test]
    fn is_silent_on_modern_clients_and_failed_legacy_sign_ins() {
        let mut run = Run::<LegacyAuth>::new();
        let modern = json!({"clientAppUsed": "Browser", "userAgent": "Mozilla/5.0"});
        assert!(run.feed(&sign_in("u1", 0, 0, modern)).is_empty());
        let failed = json!({"clientAppUsed": "IMAP4"});
        assert!(run.feed(&sign_in("u1", 1, 50126, failed)).is_empty());
    }

    #[test]
    fn substring_match_ignores_ascii_case() {
        assert!(contains_ignore_case("xxBAV2ROPCxx", "bav2ropc"));
        assert!(!contains_ignore_case("bav2rop", "bav2ropc"));
        assert!(contains_ignore_case("anything", ""));
    }
}

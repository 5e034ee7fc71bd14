//! The posture ground truth: the findings the directory state produces at the tenant's "now".

use entra_model::{AuthenticationMethod, RiskLevel, RiskState, UserType};
use time::{Duration, OffsetDateTime};

use crate::tenant::{PostureFinding, Tenant};

/// The posture findings the directory state produces at the tenant's "now".
pub(crate) fn posture(t: &Tenant) -> Vec<PostureFinding> {
    let now = t.clock.now();
    let mut out = Vec::new();
    users(t, now, &mut out);
    app_credentials(t, now, &mut out);
    global_admins(t, &mut out);
    risky_users(t, &mut out);
    out
}

/// The list findings are added to.
struct Finding<'a>(&'a mut Vec<PostureFinding>);

impl Finding<'_> {
    /// Adds the finding of `check` about `subject`.
    fn add(&mut self, check: &str, subject: &str, detail: String) {
        self.0.push(PostureFinding {
            check: check.to_owned(),
            subject: subject.to_owned(),
            detail,
        });
    }
}

/// Users never signed in, inactive members and guests, members without MFA, and admins
/// without MFA or without a phishing-resistant method.
fn users(t: &Tenant, now: OffsetDateTime, out: &mut Vec<PostureFinding>) {
    let mut found = Finding(out);
    for (i, r) in t.users.iter().enumerate() {
        if r.deleted_at.is_some() {
            continue;
        }
        let upn = r.upn().to_owned();
        let created = r.user.created_date_time.unwrap_or(now);
        let enabled = r.user.account_enabled == Some(true);
        let act = t.sign_in_activity(i);
        let last_success = act
            .as_ref()
            .and_then(|a| a.last_successful_sign_in_date_time);
        let never = last_success.is_none();
        if never && now - created > Duration::days(7) {
            found.add("never-signed-in", &upn, "never signed in".to_owned());
        }
        let inactive = match last_success {
            Some(l) => now - l > Duration::days(30),
            None => now - created > Duration::days(30),
        };
        if enabled && inactive {
            if r.user.user_type == Some(UserType::Guest) {
                found.add(
                    "inactive-guest",
                    &upn,
                    "no successful sign-in for more than 30 days".to_owned(),
                );
            } else {
                found.add(
                    "inactive-user",
                    &upn,
                    "no successful sign-in for more than 30 days".to_owned(),
                );
            }
        }
        let mfa = r.methods.iter().any(AuthenticationMethod::is_mfa_capable);
        if enabled
            && r.user.user_type == Some(UserType::Member)
            && !mfa
            && now - created > Duration::days(14)
        {
            found.add("no-mfa", &upn, "no MFA-capable method".to_owned());
        }
        // Directly or through a role-assignable group, as the checks read role members.
        let privileged = t.holds_privileged_role(i);
        if privileged {
            if !mfa {
                found.add(
                    "admin-without-mfa",
                    &upn,
                    "no MFA-capable method".to_owned(),
                );
            } else if !r
                .methods
                .iter()
                .any(AuthenticationMethod::is_phishing_resistant)
            {
                found.add(
                    "admin-without-mfa",
                    &upn,
                    "no phishing-resistant method".to_owned(),
                );
            }
        }
    }
}

/// Application secrets and certificates expired or expiring within 90 days.
fn app_credentials(t: &Tenant, now: OffsetDateTime, out: &mut Vec<PostureFinding>) {
    let mut found = Finding(out);
    let horizon = now + Duration::days(90);
    for a in &t.apps {
        let app_id = a.app_id.clone().unwrap_or_default();
        for c in a.credentials() {
            if let Some(end) = c.end {
                if end <= horizon {
                    let detail = if end <= now {
                        "expired".to_owned()
                    } else {
                        format!("{} expires in {} days", c.kind, (end - now).whole_days())
                    };
                    found.add(
                        "app-credential-expiring",
                        &format!("{app_id}/{}", c.key_id.clone().unwrap_or_default()),
                        detail,
                    );
                }
            }
        }
    }
}

/// Fewer than 2 or more than 8 Global Administrators.
fn global_admins(t: &Tenant, out: &mut Vec<PostureFinding>) {
    let mut found = Finding(out);
    let gas = t
        .roles
        .iter()
        .filter(|r| r.role.is_global_administrator())
        .map(|r| r.members.len())
        .sum::<usize>();
    if !(2..=8).contains(&gas) {
        found.add(
            "global-admin-count",
            "tenant",
            format!("{gas} Global Administrators"),
        );
    }
}

/// Users at high risk, at risk or confirmed compromised.
fn risky_users(t: &Tenant, out: &mut Vec<PostureFinding>) {
    let mut found = Finding(out);
    for r in &t.risky_users {
        if r.risk_level == Some(RiskLevel::High)
            && matches!(
                r.risk_state,
                Some(RiskState::AtRisk | RiskState::ConfirmedCompromised)
            )
        {
            found.add(
                "risky-user",
                r.user_principal_name.as_deref().unwrap_or_default(),
                "high risk".to_owned(),
            );
        }
    }
}

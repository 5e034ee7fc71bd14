//! Conditional access policies.

use entra_model::{
    ConditionalAccessApplications, ConditionalAccessConditions, ConditionalAccessGrantControls,
    ConditionalAccessPolicy, ConditionalAccessPolicyState, ConditionalAccessUsers,
};

use crate::catalog;
use crate::rng::Rng;

use super::{dt_days, Tenant, UserKind};

impl Tenant {
    pub(super) fn gen_policies(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        let bg: Vec<String> = self
            .users
            .iter()
            .filter(|u| u.kind == UserKind::BreakGlass)
            .map(|u| u.user.id.clone())
            .collect();
        let specs: &[(&str, ConditionalAccessPolicyState, &str)] = &[
            (
                "Require MFA for administrators",
                ConditionalAccessPolicyState::Enabled,
                "admins",
            ),
            (
                "Require MFA for all users",
                ConditionalAccessPolicyState::Enabled,
                "all",
            ),
            (
                "Block legacy authentication",
                ConditionalAccessPolicyState::EnabledForReportingButNotEnforced,
                "legacy",
            ),
            (
                "Block access from sanctioned countries",
                ConditionalAccessPolicyState::Disabled,
                "countries",
            ),
            (
                "Require compliant device for Azure management",
                ConditionalAccessPolicyState::EnabledForReportingButNotEnforced,
                "azure",
            ),
        ];
        for (name, state, kind) in specs {
            let mut p = ConditionalAccessPolicy::default();
            p.id = rng.uuid();
            p.display_name = Some((*name).to_owned());
            p.state = Some(state.clone());
            p.created_date_time = Some(dt_days(now, rng.range(200, 900), rng));
            p.modified_date_time = Some(dt_days(now, rng.range(5, 150), rng));
            let mut users = ConditionalAccessUsers::default();
            let mut apps = ConditionalAccessApplications::default();
            apps.include_applications = vec!["All".to_owned()];
            let mut cond = ConditionalAccessConditions::default();
            let mut grant = ConditionalAccessGrantControls::default();
            grant.operator = Some("OR".to_owned());
            match *kind {
                "admins" => {
                    users.include_roles = catalog::ROLES
                        .iter()
                        .take(6)
                        .map(|r| r.1.to_owned())
                        .collect();
                    users.exclude_users = bg.clone();
                    grant.built_in_controls = vec!["mfa".to_owned()];
                }
                "all" => {
                    users.include_users = vec!["All".to_owned()];
                    users.exclude_users = bg.clone();
                    grant.built_in_controls = vec!["mfa".to_owned()];
                }
                "legacy" => {
                    users.include_users = vec!["All".to_owned()];
                    cond.client_app_types = vec![
                        entra_model::ConditionalAccessClientApp::ExchangeActiveSync,
                        entra_model::ConditionalAccessClientApp::OtherClients,
                    ];
                    grant.built_in_controls = vec!["block".to_owned()];
                }
                "countries" => {
                    users.include_users = vec!["All".to_owned()];
                    let mut loc = entra_model::ConditionalAccessLocations::default();
                    loc.include_locations = vec![rng.uuid()];
                    cond.locations = Some(loc);
                    grant.built_in_controls = vec!["block".to_owned()];
                }
                _ => {
                    users.include_users = vec!["All".to_owned()];
                    apps.include_applications =
                        vec!["797f4846-ba00-4fd7-ba43-dac1f8f63013".to_owned()];
                    grant.built_in_controls = vec!["compliantDevice".to_owned()];
                }
            }
            cond.users = Some(users);
            cond.applications = Some(apps);
            p.conditions = Some(cond);
            p.grant_controls = Some(grant);
            self.ca_policies.push(p);
        }
    }
}

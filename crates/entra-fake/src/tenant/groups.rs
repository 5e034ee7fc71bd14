//! Directory roles with their members, and groups with nested members.

use entra_model::{
    AuthenticationMethod, DirectoryRole, Group, MicrosoftAuthenticatorAuthenticationMethod,
};

use crate::catalog;
use crate::rng::Rng;

use super::{dt_days, GroupRec, MemberRef, RoleRec, Tenant, UserKind};

impl Tenant {
    pub(super) fn gen_roles(&mut self, rng: &mut Rng) {
        for (name, template) in catalog::ROLES {
            let mut r = DirectoryRole::default();
            r.id = rng.uuid();
            r.display_name = Some((*name).to_owned());
            r.description = Some(format!("Members of this role have the {name} permissions."));
            r.role_template_id = Some((*template).to_owned());
            self.roles.push(RoleRec {
                role: r,
                members: Vec::new(),
            });
        }
        // Break-glass accounts are Global Administrators.
        for i in 0..self.users.len() {
            if self.users[i].kind == UserKind::BreakGlass {
                self.assign_role(0, i);
            }
        }
        let members: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].kind == UserKind::Member)
            .collect();
        if members.is_empty() {
            return;
        }
        let n_admins = (members.len() / 25).clamp(3, 40).min(members.len());
        for k in 0..n_admins {
            let u = members[(k * 7 + 3) % members.len()];
            let role = match k {
                0 | 1 => 0,
                2 => 1,
                _ => 1 + rng.below(catalog::ROLES.len() as u64 - 1) as usize,
            };
            self.assign_role(role, u);
            // Admins usually have strong methods; the first admin past the Global Administrators
            // is planted without any MFA method (posture truth: admin-without-mfa).
            if k == 2 {
                self.users[u]
                    .methods
                    .retain(|m| matches!(m, AuthenticationMethod::Password(_)));
                self.users[u].preferred = None;
            } else if !self.users[u]
                .methods
                .iter()
                .any(AuthenticationMethod::is_mfa_capable)
            {
                let mut a = MicrosoftAuthenticatorAuthenticationMethod::default();
                a.id = rng.uuid();
                a.display_name = Some("iPhone 15".to_owned());
                a.device_tag = Some("SoftwareTokenActivated".to_owned());
                a.phone_app_version = Some("6.8.8".to_owned());
                self.users[u]
                    .methods
                    .push(AuthenticationMethod::MicrosoftAuthenticator(a));
                self.users[u].preferred = Some("push");
            }
        }
        // The fake app's service principal reads reports.
        self.roles[7].members.push(MemberRef::ServicePrincipal(0));
    }

    fn assign_role(&mut self, role: usize, user: usize) {
        if !self.roles[role].members.contains(&MemberRef::User(user)) {
            self.roles[role].members.push(MemberRef::User(user));
            self.users[user].roles.push(role);
        }
    }

    pub(super) fn gen_groups(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        const NAMES: &[&str] = &[
            "All Staff",
            "Sales Team",
            "Engineering",
            "Finance",
            "Project Phoenix",
            "VPN Users",
            "Executives",
            "Contractors",
            "Help Desk",
            "Marketing",
            "Device Admins",
            "Automation Accounts",
        ];
        let users: Vec<usize> = (0..self.users.len()).collect();
        for g in 0..self.cfg.groups as usize {
            let mut gr = Group::default();
            gr.id = rng.uuid();
            let name = NAMES[g % NAMES.len()];
            gr.display_name = Some(if g < NAMES.len() {
                name.to_owned()
            } else {
                format!("{name} {}", g / NAMES.len() + 1)
            });
            gr.description = Some(format!("{name} group"));
            let unified = rng.chance(0.3);
            gr.group_types = if unified {
                vec!["Unified".to_owned()]
            } else {
                Vec::new()
            };
            gr.security_enabled = Some(!unified);
            gr.mail_enabled = Some(unified);
            let nick = name.to_lowercase().replace(' ', "");
            gr.mail_nickname = Some(format!("{nick}{g}"));
            if unified {
                gr.mail = Some(format!("{nick}{g}@{}", self.domain));
            }
            gr.visibility = Some(
                if g % 9 == 8 {
                    "HiddenMembership"
                } else if unified {
                    "Private"
                } else {
                    "Public"
                }
                .to_owned(),
            );
            gr.is_assignable_to_role = Some(g % 5 == 4);
            gr.created_date_time = Some(dt_days(now, rng.range(30, 1500), rng));
            gr.on_premises_sync_enabled = (g % 4 == 1).then_some(true);
            gr.security_identifier = Some(format!(
                "S-1-12-1-{}-{}",
                rng.range(1, 4_000_000_000),
                rng.range(1, 4_000_000_000)
            ));
            let mut members = Vec::new();
            let n = if g == 0 {
                users.len()
            } else {
                rng.range(2, (users.len() as i64 / 4).max(3)) as usize
            };
            for k in 0..n.min(users.len()) {
                let u = if g == 0 {
                    k
                } else {
                    users[rng.below(users.len() as u64) as usize]
                };
                let m = MemberRef::User(u);
                if !members.contains(&m) {
                    members.push(m);
                }
            }
            if g > 0 && rng.chance(0.5) {
                members.push(MemberRef::Group(rng.below(g as u64) as usize));
            }
            if !self.devices.is_empty() && rng.chance(0.4) {
                for _ in 0..rng.range(1, 3) {
                    let m = MemberRef::Device(rng.below(self.devices.len() as u64) as usize);
                    if !members.contains(&m) {
                        members.push(m);
                    }
                }
            }
            if rng.chance(0.25) && self.sps.len() > 1 {
                members.push(MemberRef::ServicePrincipal(
                    1 + rng.below(self.sps.len() as u64 - 1) as usize,
                ));
            }
            self.groups.push(GroupRec {
                group: gr,
                members,
                removed: Vec::new(),
                version: 1,
            });
        }
    }
}

//! Privileged access beyond direct role membership: role assignments to role-assignable groups,
//! eligible assignments (Privileged Identity Management), and the test hooks that set them up,
//! with the hook that sets a user's authentication methods and default method.

use entra_model::{AuthenticationMethod, DirectoryRole, Group};

use crate::catalog;
use crate::error::FakeError;
use crate::rng::Rng;

use super::{EligibilityRec, GroupRec, MemberRef, RoleRec, Tenant, UserKind};

/// The default (preferred) second-factor method names the fake understands, as Graph's
/// `userPreferredMethodForSecondaryAuthentication` spells them.
const DEFAULT_METHODS: &[&str] = &[
    "push",
    "oath",
    "sms",
    "voiceMobile",
    "voiceAlternateMobile",
    "voiceOffice",
    "fido2",
];

impl Tenant {
    /// Generated privileged access beyond direct membership: one plain member eligible for
    /// Global Administrator, and the first role-assignable group whose members are all members
    /// (no guest, no break-glass account) holding Authentication Administrator. Its own random stream, after everything else, so the rest of the
    /// generated tenant does not change.
    pub(super) fn gen_privileged_access(&mut self, rng: &mut Rng) {
        let plain: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].kind == UserKind::Member && self.users[i].roles.is_empty())
            .collect();
        if plain.len() >= 10 {
            let u = plain[rng.below(plain.len() as u64) as usize];
            let id = self.users[u].user.id.clone();
            // Cannot fail: the user exists and the template is in the catalogue.
            let _ = self.add_role_eligibility(&id, DirectoryRole::GLOBAL_ADMINISTRATOR_TEMPLATE_ID);
        }
        // Role-assignable groups hold administrators: the first one without guests (a guest
        // with an admin role through a group would surprise every "act on a guest" example).
        let without_guests = |g: &GroupRec| {
            g.members.iter().all(|m| match m {
                MemberRef::User(u) => self.users[*u].kind == UserKind::Member,
                _ => true,
            })
        };
        if let Some(g) = self
            .groups
            .iter()
            .position(|g| g.group.is_assignable_to_role == Some(true) && without_guests(g))
        {
            let id = self.groups[g].group.id.clone();
            // Cannot fail: the group is role-assignable and the template is in the catalogue.
            let _ = self.assign_directory_role(&id, "c4e39bd9-1100-46d3-8c65-fb160da0071f");
        }
    }

    fn principal(&self, id: &str) -> Result<MemberRef, FakeError> {
        if let Some(u) = self.find_user(id) {
            return Ok(MemberRef::User(u));
        }
        match self.groups.iter().position(|g| g.group.id == id) {
            Some(g) if self.groups[g].group.is_assignable_to_role == Some(true) => {
                Ok(MemberRef::Group(g))
            }
            Some(_) => Err(FakeError::config(
                "directory roles can be assigned to role-assignable groups only (isAssignableToRole)",
            )),
            None => Err(FakeError::Config(format!("no user or group {id}"))),
        }
    }

    /// The activated directory role of a template, activated on first use as Entra does.
    fn role_index(&mut self, template_id: &str) -> Result<usize, FakeError> {
        if let Some(r) = self
            .roles
            .iter()
            .position(|r| r.role.role_template_id.as_deref() == Some(template_id))
        {
            return Ok(r);
        }
        let Some((name, template, _)) = catalog::ROLE_DEFINITIONS
            .iter()
            .find(|(_, t, _)| t.eq_ignore_ascii_case(template_id))
        else {
            return Err(FakeError::Config(format!(
                "role template {template_id} is not among the fake's role definitions"
            )));
        };
        let mut r = DirectoryRole::default();
        r.id = self.uuid_for(&[0x0501e, self.roles.len() as u64]);
        r.display_name = Some((*name).to_owned());
        r.description = Some(format!("Members of this role have the {name} permissions."));
        r.role_template_id = Some((*template).to_owned());
        self.roles.push(RoleRec {
            role: r,
            members: Vec::new(),
        });
        Ok(self.roles.len() - 1)
    }

    /// Assigns a directory role (by template id) to a user or a role-assignable group, active
    /// and at tenant scope; it then appears in `roleManagement/directory/roleAssignments` and
    /// among the role's members. The role is activated if it was not.
    pub fn assign_directory_role(
        &mut self,
        principal_id: &str,
        role_template_id: &str,
    ) -> Result<(), FakeError> {
        let m = self.principal(principal_id)?;
        let r = self.role_index(role_template_id)?;
        if !self.roles[r].members.contains(&m) {
            self.roles[r].members.push(m);
            if let MemberRef::User(u) = m {
                self.users[u].roles.push(r);
            }
        }
        self.bump();
        Ok(())
    }

    /// Makes a user or a role-assignable group eligible for a directory role (by template id)
    /// in Privileged Identity Management, from now on, without end; returns the id of the
    /// eligibility schedule instance.
    pub fn add_role_eligibility(
        &mut self,
        principal_id: &str,
        role_template_id: &str,
    ) -> Result<String, FakeError> {
        let principal = self.principal(principal_id)?;
        if !catalog::ROLE_DEFINITIONS
            .iter()
            .any(|(_, t, _)| t.eq_ignore_ascii_case(role_template_id))
        {
            return Err(FakeError::Config(format!(
                "role template {role_template_id} is not among the fake's role definitions"
            )));
        }
        let id = self.uuid_for(&[0xe119, self.eligibilities.len() as u64]);
        self.eligibilities.push(EligibilityRec {
            id: id.clone(),
            principal,
            role_template_id: role_template_id.to_ascii_lowercase(),
            start: self.clock.now(),
        });
        self.bump();
        Ok(id)
    }

    /// Creates a role-assignable security group (`isAssignableToRole`) with these users as
    /// members; returns its id.
    pub fn add_role_assignable_group(
        &mut self,
        display_name: &str,
        member_ids: &[&str],
    ) -> Result<String, FakeError> {
        let mut members = Vec::new();
        for id in member_ids {
            let u = self
                .find_user(id)
                .ok_or_else(|| FakeError::Config(format!("no user {id}")))?;
            members.push(MemberRef::User(u));
        }
        let mut g = Group::default();
        g.id = self.uuid_for(&[0x6a0b, self.groups.len() as u64]);
        g.display_name = Some(display_name.to_owned());
        g.security_enabled = Some(true);
        g.mail_enabled = Some(false);
        g.is_assignable_to_role = Some(true);
        g.visibility = Some("Private".to_owned());
        g.created_date_time = Some(self.clock.now());
        let id = g.id.clone();
        let version = self.bump();
        self.groups.push(GroupRec {
            group: g,
            members,
            removed: Vec::new(),
            version,
        });
        Ok(id)
    }

    /// Replaces a user's authentication methods and their default second-factor method, named
    /// as Graph's `userPreferredMethodForSecondaryAuthentication` does (`push`, `oath`, `sms`,
    /// `voiceMobile`, `voiceAlternateMobile`, `voiceOffice`, `fido2`), or none.
    pub fn set_authentication_methods(
        &mut self,
        user_id: &str,
        methods: Vec<AuthenticationMethod>,
        default: Option<&str>,
    ) -> Result<(), FakeError> {
        let u = self
            .find_user(user_id)
            .ok_or_else(|| FakeError::Config(format!("no user {user_id}")))?;
        let preferred = match default {
            None => None,
            Some(d) => Some(*DEFAULT_METHODS.iter().find(|x| **x == d).ok_or_else(|| {
                FakeError::Config(format!(
                    "{d:?} is not a default method; use one of {}",
                    DEFAULT_METHODS.join(", ")
                ))
            })?),
        };
        self.users[u].methods = methods;
        self.users[u].preferred = preferred;
        self.cache.clear();
        Ok(())
    }

    /// Whether a user holds an active role that `DirectoryRole::is_privileged` names, directly
    /// or through a role-assignable group they are a member of.
    pub(crate) fn holds_privileged_role(&self, u: usize) -> bool {
        self.roles.iter().any(|r| {
            r.role.is_privileged()
                && r.members.iter().any(|m| match m {
                    MemberRef::User(x) => *x == u,
                    MemberRef::Group(g) => self.groups[*g].members.contains(&MemberRef::User(u)),
                    _ => false,
                })
        })
    }

    /// The groups a user is a member of, directly or through nested groups.
    pub(crate) fn transitive_groups(&self, u: usize) -> Vec<usize> {
        let mut out: Vec<usize> = Vec::new();
        let mut frontier = vec![MemberRef::User(u)];
        while let Some(m) = frontier.pop() {
            for (g, rec) in self.groups.iter().enumerate() {
                if !out.contains(&g) && rec.members.contains(&m) {
                    out.push(g);
                    frontier.push(MemberRef::Group(g));
                }
            }
        }
        out.sort_unstable();
        out
    }
}

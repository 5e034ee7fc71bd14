//! Role management: role definitions, active role assignments, eligible assignments (PIM), and
//! a user's transitive memberships.

use entra_model::Requirement;
use serde_json::{json, Value};

use super::{project, tok, G, R};
use crate::catalog;
use crate::config::TenantLicence;
use crate::odata;
use crate::server::Resp;
use crate::tenant::MemberRef;
use crate::throttle::Bucket;

impl G<'_> {
    /// The permissions of one clause of a requirement, or 403 as Graph answers.
    fn need_clause(&self, req: Requirement, call: &str) -> Result<(), Resp> {
        let ok = req
            .clauses
            .iter()
            .filter(|c| c.call == call)
            .all(|c| c.is_satisfied_by(&self.roles));
        if ok {
            Ok(())
        } else {
            Err(self.denied())
        }
    }

    fn principal_id(&self, m: MemberRef) -> String {
        self.t.member_id(m).to_owned()
    }

    /// `GET /roleManagement/directory/roleDefinitions`: the built-in definitions; `isPrivileged`
    /// only in beta (`api-reference/beta/resources/unifiedroledefinition.md`).
    pub(super) fn role_definitions(&mut self) -> R {
        self.need_clause(
            Requirement::ROLE_DEFINITIONS,
            "GET /beta/roleManagement/directory/roleDefinitions",
        )?;
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let beta = self.beta();
        let items = catalog::ROLE_DEFINITIONS
            .iter()
            .map(|(name, template, privileged)| {
                let mut v = json!({
                    "id": template, "displayName": name, "description": format!("Members of this role have the {name} permissions."),
                    "isBuiltIn": true, "isEnabled": true, "templateId": template, "version": "1",
                    "resourceScopes": ["/"],
                });
                if beta {
                    v["isPrivileged"] = Value::Bool(*privileged);
                }
                v
            })
            .filter(|v| odata::json_matches(v, &filter))
            .map(|v| project(v, sel.as_deref(), None))
            .collect();
        Ok(self.page("roleManagement/directory/roleDefinitions", items, None))
    }

    /// `GET /roleManagement/directory/roleAssignments`: the active assignments at tenant scope,
    /// of users, role-assignable groups and service principals; `$filter` on `principalId` or
    /// `roleDefinitionId` (`api-reference/v1.0/api/rbacapplication-list-roleassignments.md`).
    pub(super) fn role_assignments(&mut self) -> R {
        self.need_clause(
            Requirement::PRIVILEGED_TARGET,
            "GET /roleManagement/directory/roleAssignments",
        )?;
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let mut items = Vec::new();
        for r in &self.t.roles {
            let template = r.role.role_template_id.clone().unwrap_or_default();
            for m in &r.members {
                if matches!(m, MemberRef::User(u) if self.t.users[*u].deleted_at.is_some()) {
                    continue;
                }
                let principal = self.principal_id(*m);
                let v = json!({
                    "id": tok(&format!("{template}:{principal}")),
                    "principalId": principal,
                    "roleDefinitionId": template,
                    "directoryScopeId": "/",
                    "resourceScope": "/",
                });
                if odata::json_matches(&v, &filter) {
                    items.push(project(v, sel.as_deref(), None));
                }
            }
        }
        Ok(self.page("roleManagement/directory/roleAssignments", items, None))
    }

    /// `GET /roleManagement/directory/roleEligibilityScheduleInstances`: Privileged Identity
    /// Management, which needs Microsoft Entra ID P2; without it Graph answers 400
    /// `AadPremiumLicenseRequired` "The tenant needs an AAD Premium 2 license." (observed,
    /// `mondoohq/mql#8955`, `JulianHayward/Azure-MG-Sub-Governance-Reporting#114`).
    pub(super) fn role_eligibilities(&mut self) -> R {
        self.need_clause(
            Requirement::PRIVILEGED_TARGET,
            "GET /roleManagement/directory/roleEligibilityScheduleInstances",
        )?;
        let p2 = matches!(self.t.cfg.licence, TenantLicence::P2);
        if !p2 {
            return Err(self.err(
                400,
                "AadPremiumLicenseRequired",
                "The tenant needs an AAD Premium 2 license.",
            ));
        }
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let items = self
            .t
            .eligibilities
            .iter()
            .filter(|e| !matches!(e.principal, MemberRef::User(u) if self.t.users[u].deleted_at.is_some()))
            .map(|e| {
                json!({
                    "id": e.id,
                    "principalId": self.principal_id(e.principal),
                    "roleDefinitionId": e.role_template_id,
                    "directoryScopeId": "/",
                    "appScopeId": null,
                    "startDateTime": entra_model::timestamp::format(&e.start),
                    "endDateTime": null,
                    "memberType": "Direct",
                    "roleEligibilityScheduleId": e.id,
                })
            })
            .filter(|v| odata::json_matches(v, &filter))
            .map(|v| project(v, sel.as_deref(), None))
            .collect();
        Ok(self.page(
            "roleManagement/directory/roleEligibilityScheduleInstances",
            items,
            None,
        ))
    }

    /// `GET /users/{id}/transitiveMemberOf`: the groups (nested ones flattened) and activated
    /// directory roles the user is a member of (`api-reference/v1.0/api/user-list-transitivememberof.md`;
    /// application permission `User.Read.All` at least).
    pub(super) fn transitive_member_of(&mut self, key: &str) -> R {
        self.need_clause(
            Requirement::PRIVILEGED_TARGET,
            "GET /users/{id}/transitiveMemberOf",
        )?;
        self.admit(Bucket::Directory, 2)?;
        let u = self.user_index(key)?;
        let sel = self.select();
        let mut items: Vec<Value> = Vec::new();
        let groups = self.t.transitive_groups(u);
        for g in &groups {
            let mut v = serde_json::to_value(&self.t.groups[*g].group).unwrap_or(Value::Null);
            v["@odata.type"] = Value::String("#microsoft.graph.group".into());
            items.push(project(v, sel.as_deref(), None));
        }
        for r in &self.t.roles {
            let member = r.members.iter().any(|m| match m {
                MemberRef::User(x) => *x == u,
                MemberRef::Group(g) => groups.contains(g),
                _ => false,
            });
            if member {
                let mut v = serde_json::to_value(&r.role).unwrap_or(Value::Null);
                v["@odata.type"] = Value::String("#microsoft.graph.directoryRole".into());
                items.push(project(v, sel.as_deref(), None));
            }
        }
        Ok(self.page("directoryObjects", items, None))
    }
}

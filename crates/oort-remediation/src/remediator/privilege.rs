//! Whether the target holds or can activate a privileged directory role, the way Entra assigns
//! roles: active assignments to the user or to a role-assignable group they are a member of,
//! and eligible ones (Privileged Identity Management) to either.
//!
//! The reads, each cited in `entra_model::Requirement::PRIVILEGED_TARGET`:
//! 1. `GET /users/{id}/transitiveMemberOf` (`api-reference/v1.0/api/user-list-transitivememberof.md`):
//!    the role-assignable groups (`isAssignableToRole`) among the user's groups; only those can
//!    hold role assignments (`api-reference/v1.0/resources/group.md`).
//! 2. `GET /roleManagement/directory/roleAssignments?$filter=principalId eq '{id}'` for the user
//!    and each of those groups (`api-reference/v1.0/api/rbacapplication-list-roleassignments.md`,
//!    example 2 filters on `principalId`).
//! 3. `GET /roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '{id}'`
//!    for the same principals (`api-reference/v1.0/api/rbacapplication-list-roleeligibilityscheduleinstances.md`,
//!    `$filter` supported). It needs Microsoft Entra ID P2; without it, or without the
//!    permission, Graph answers 400 `AadPremiumLicenseRequired` or 403, and the target is
//!    treated as privileged with the reason in the plan.
//! 4. When a role was found: `GET /beta/roleManagement/directory/roleDefinitions` for
//!    `isPrivileged` (`api-reference/beta/resources/unifiedroledefinition.md`; beta only). A
//!    role is privileged when the tenant marks it so or when it is in
//!    [`DirectoryRole::BUILT_IN_PRIVILEGED_ROLES`]; when the definitions cannot be read, the
//!    built-in list decides alone.

use entra_model::{
    DirectoryObject, DirectoryRole, Requirement, UnifiedRoleAssignment, UnifiedRoleDefinition,
    UnifiedRoleEligibilityScheduleInstance,
};
use graph_client::{ApiVersion, GraphError, GraphRequest};

use super::calls::graph_failure;
use super::Attempt;
use crate::error::RemediationError;
use crate::report::{Privilege, PrivilegedRole, Via};

const MEMBER_OF: &str = "GET /users/{id}/transitiveMemberOf";
const ASSIGNMENTS: &str = "GET /roleManagement/directory/roleAssignments";
const ELIGIBILITY: &str = "GET /roleManagement/directory/roleEligibilityScheduleInstances";

/// A principal whose roles count for the target: the user, or one of their role-assignable
/// groups (id and name).
struct Principal {
    id: String,
    group: Option<(String, Option<String>)>,
}

impl Principal {
    fn via(&self, eligible: bool) -> Via {
        match (&self.group, eligible) {
            (None, false) => Via::Direct,
            (None, true) => Via::Eligible,
            (Some((id, name)), false) => Via::Group {
                group_id: id.clone(),
                group_name: name.clone(),
            },
            (Some((id, name)), true) => Via::EligibleThroughGroup {
                group_id: id.clone(),
                group_name: name.clone(),
            },
        }
    }
}

fn describe(e: &GraphError) -> String {
    let mut text = match e.status() {
        Some(s) => format!("Graph answered {s}"),
        None => e.to_string(),
    };
    if let Some(code) = e.code() {
        text.push_str(&format!(" {code}"));
    }
    if let Some(id) = e.request_id() {
        text.push_str(&format!(" (request-id {id})"));
    }
    text
}

/// An eligibility read that failed for want of a licence or a permission: the tenant may have
/// no Privileged Identity Management, or the app may not read it.
fn is_not_readable(e: &GraphError) -> bool {
    e.is_forbidden() || e.is_licence_required() || e.code() == Some("AadPremiumLicenseRequired")
}

fn by_principal(path: &str, id: &str) -> GraphRequest {
    GraphRequest::get(path).filter(format!("principalId eq '{}'", id.replace('\'', "''")))
}

impl Attempt<'_> {
    fn may(&self, requirement: Requirement, call: &str) -> bool {
        requirement
            .clauses
            .iter()
            .filter(|c| c.call == call)
            .all(|c| c.is_satisfied_by(&self.granted))
    }

    /// Reads whether the user holds or can activate a privileged role. Without the override, a
    /// failed read of groups or assignments fails the attempt; with it, every failed read is
    /// recorded as unreadable (the target is then treated as privileged, which the override
    /// allows). Eligibility that cannot be read for want of a licence or permission is always
    /// recorded, never an error.
    pub(super) async fn privilege(
        &mut self,
        user_id: &str,
        overridden: bool,
    ) -> Result<Privilege, RemediationError> {
        let mut unreadable = Vec::new();
        let mut principals = vec![Principal {
            id: user_id.to_owned(),
            group: None,
        }];

        // 1. The role-assignable groups the user is in.
        if self.may(Requirement::PRIVILEGED_TARGET, MEMBER_OF) {
            let request = GraphRequest::get(format!("/users/{user_id}/transitiveMemberOf"))
                .select(["id", "displayName", "isAssignableToRole"]);
            match self.collection::<DirectoryObject>(request).await {
                Ok(objects) => {
                    for o in objects {
                        if let DirectoryObject::Group(g) = o {
                            if g.is_assignable_to_role == Some(true) {
                                principals.push(Principal {
                                    id: g.id.clone(),
                                    group: Some((g.id.clone(), g.display_name.clone())),
                                });
                            }
                        }
                    }
                }
                Err(e) if overridden => {
                    unreadable.push(format!(
                        "the user's groups could not be read: {}",
                        describe(&e)
                    ));
                }
                Err(e) => return Err(graph_failure(&e, MEMBER_OF)),
            }
        } else {
            unreadable
                .push("the user's groups were not read (the app lacks the permission)".to_owned());
        }

        // 2. Active assignments.
        let mut found: Vec<(String, Via)> = Vec::new();
        if self.may(Requirement::PRIVILEGED_TARGET, ASSIGNMENTS) {
            for p in &principals {
                let request = by_principal("/roleManagement/directory/roleAssignments", &p.id);
                match self.collection::<UnifiedRoleAssignment>(request).await {
                    Ok(list) => found.extend(
                        list.into_iter()
                            .filter_map(|a| a.role_definition_id)
                            .map(|role| (role, p.via(false))),
                    ),
                    Err(e) if overridden => {
                        unreadable.push(format!(
                            "active role assignments could not be read: {}",
                            describe(&e)
                        ));
                        break;
                    }
                    Err(e) => return Err(graph_failure(&e, ASSIGNMENTS)),
                }
            }
        } else {
            unreadable.push(
                "active role assignments were not read (the app lacks the permission)".to_owned(),
            );
        }

        // 3. Eligible assignments (PIM).
        if self.may(Requirement::PRIVILEGED_TARGET, ELIGIBILITY) {
            for p in &principals {
                let request = by_principal(
                    "/roleManagement/directory/roleEligibilityScheduleInstances",
                    &p.id,
                );
                match self
                    .collection::<UnifiedRoleEligibilityScheduleInstance>(request)
                    .await
                {
                    Ok(list) => found.extend(
                        list.into_iter()
                            .filter_map(|e| e.role_definition_id)
                            .map(|role| (role, p.via(true))),
                    ),
                    Err(e) if overridden || is_not_readable(&e) => {
                        unreadable.push(format!(
                            "eligible roles (Privileged Identity Management, needs Microsoft Entra ID P2) could not be read: {}",
                            describe(&e)
                        ));
                        break;
                    }
                    Err(e) => return Err(graph_failure(&e, ELIGIBILITY)),
                }
            }
        } else {
            unreadable.push(
                "eligible roles were not read (the app lacks RoleEligibilitySchedule.Read.Directory or RoleManagement.Read.Directory)"
                    .to_owned(),
            );
        }

        // 4. Which of the roles found are privileged.
        let (definitions, judged_by) = if found.is_empty() {
            (
                Vec::new(),
                "no role assignment or eligibility found".to_owned(),
            )
        } else {
            self.role_definitions().await
        };
        let mut roles: Vec<PrivilegedRole> = Vec::new();
        for (role, via) in found {
            let definition = definitions
                .iter()
                .find(|d| d.id.eq_ignore_ascii_case(&role));
            let built_in = DirectoryRole::built_in_privileged(&role).or_else(|| {
                definition
                    .and_then(|d| d.template_id.as_deref())
                    .and_then(DirectoryRole::built_in_privileged)
            });
            let privileged =
                built_in.is_some() || definition.is_some_and(|d| d.is_privileged == Some(true));
            if !privileged {
                continue;
            }
            let role_name = definition
                .and_then(|d| d.display_name.clone())
                .or_else(|| built_in.map(|(name, _)| name.to_owned()));
            let entry = PrivilegedRole {
                role_definition_id: role,
                role_name,
                via,
            };
            if !roles.contains(&entry) {
                roles.push(entry);
            }
        }
        Ok(Privilege {
            privileged: !roles.is_empty() || !unreadable.is_empty(),
            roles,
            unreadable,
            judged_by,
        })
    }

    /// The tenant's role definitions with `isPrivileged` (beta), or none when they cannot be
    /// read; and what judges privilege in either case.
    async fn role_definitions(&mut self) -> (Vec<UnifiedRoleDefinition>, String) {
        const BUILT_IN: &str =
            "oort's built-in list of privileged roles (the Microsoft Entra built-in roles page)";
        let call = "GET /beta/roleManagement/directory/roleDefinitions";
        if !self.may(Requirement::ROLE_DEFINITIONS, call) {
            return (
                Vec::new(),
                format!("{BUILT_IN}; the app may not read role definitions"),
            );
        }
        let request = GraphRequest::get("/roleManagement/directory/roleDefinitions")
            .version(ApiVersion::Beta)
            .select(["id", "templateId", "displayName", "isPrivileged"]);
        match self.collection::<UnifiedRoleDefinition>(request).await {
            Ok(list) if list.iter().any(|d| d.is_privileged.is_some()) => (
                list,
                format!("the tenant's role definitions (isPrivileged, beta) and {BUILT_IN}"),
            ),
            Ok(list) => (
                list,
                format!("{BUILT_IN}; the role definitions carry no isPrivileged"),
            ),
            Err(e) => (
                Vec::new(),
                format!(
                    "{BUILT_IN}; role definitions could not be read: {}",
                    describe(&e)
                ),
            ),
        }
    }
}

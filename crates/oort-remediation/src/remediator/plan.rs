//! Gate 3 and the dry-run plan: the target resolved, the target rules checked, and the calls
//! each action would make listed in the report.

use entra_model::{AuthenticationMethod, User, UserType, UserTypeUpdate};
use graph_client::GraphRequest;

use super::calls::graph_failure;
use super::Attempt;
use crate::error::{ErrorKind, Protection, RemediationError};
use crate::report::{Gate, GateCheck, MethodResult, MethodStatus, PlannedCall, TargetState};
use crate::request::{Action, OperatorRole, RemediationRequest, Target};

const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "userType",
    "accountEnabled",
    "signInSessionsValidFromDateTime",
    // The marks of an external account (`api-reference/v1.0/resources/user.md`; `$select` only).
    "creationType",
    "externalUserState",
    "identities",
];

/// What planning produced, for execution.
pub(super) enum Plan {
    Single(GraphRequest),
    Methods(Vec<(usize, GraphRequest)>),
}

fn is_object_id(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

impl Attempt<'_> {
    /// Gate 3 and the plan: resolves the target, checks the rules, lists what would be written.
    pub(super) async fn plan(
        &mut self,
        request: &RemediationRequest,
    ) -> Result<Plan, RemediationError> {
        if let Action::UpdateUserType(t) = &request.action {
            if !matches!(t, UserType::Member | UserType::Guest) {
                return Err(RemediationError::new(ErrorKind::InvalidRequest {
                    reason: format!("userType {t} cannot be set; use Member or Guest"),
                }));
            }
        }
        let user = self.resolve(&request.target).await?;
        let name = user
            .user_principal_name
            .clone()
            .unwrap_or_else(|| user.id.clone());
        self.report.target = Some(TargetState {
            id: user.id.clone(),
            user_principal_name: user.user_principal_name.clone(),
            display_name: user.display_name.clone(),
            user_type: user.user_type.clone(),
            account_enabled: user.account_enabled,
            sign_in_sessions_valid_from: user.sign_in_sessions_valid_from_date_time,
            privilege: None,
            external_identity: user.external_identity_marks(),
            methods: Vec::new(),
        });
        let mut checks = self.check_protection(&user, &name, request).await?;
        let user_path = format!("/users/{}", user.id);
        let plan = match &request.action {
            Action::UpdateUserType(to) => {
                self.plan_update_user_type(&user, name, to, &user_path, &mut checks)?
            }
            Action::DeleteGuestUser => {
                self.plan_delete_guest(&user, name, request, &user_path, &mut checks)
                    .await?
            }
            Action::LogOut => self.plan_log_out(&user_path),
            Action::ResetMfa => {
                self.plan_reset_mfa(&user.id, &user_path, &mut checks)
                    .await?
            }
        };
        self.pass(Gate::TargetRules, checks.join("; "));
        Ok(plan)
    }

    /// The target rules every action shares: not a break-glass or configured protected account;
    /// and not privileged (holding or able to activate a privileged directory role) unless an
    /// Administrator overrode that protection with a reason: a privileged target is refused to
    /// any other role at the role gate, whatever the request carries. Returns the checks
    /// passed, for the gate's detail.
    async fn check_protection(
        &mut self,
        user: &User,
        name: &str,
        request: &RemediationRequest,
    ) -> Result<Vec<String>, RemediationError> {
        let id = &user.id;
        let listed = |list: &[String]| {
            list.iter().any(|p| {
                p.eq_ignore_ascii_case(id)
                    || user
                        .user_principal_name
                        .as_deref()
                        .is_some_and(|u| p.eq_ignore_ascii_case(u))
            })
        };
        let protected = |reason| {
            RemediationError::new(ErrorKind::Protected {
                target: name.to_owned(),
                reason,
            })
        };
        if listed(&self.r.break_glass) {
            return Err(protected(Protection::BreakGlass));
        }
        if listed(&self.r.protected) {
            return Err(protected(Protection::Configured));
        }
        let mut checks = vec![format!("{name} ({id}) exists")];
        let overridden = request.override_privileged.as_deref();
        let privilege = self.privilege(id, overridden.is_some()).await?;
        if let Some(t) = self.report.target.as_mut() {
            t.privilege = Some(privilege.clone());
        }
        if privilege.privileged {
            let why = privilege.summary();
            let role = request.operator.role;
            if role != OperatorRole::Administrator {
                let err = RemediationError::new(ErrorKind::PrivilegedNeedsAdministrator {
                    operator: request.operator.name.clone(),
                    role,
                    target: name.to_owned(),
                    why,
                });
                self.report.gates.push(GateCheck {
                    gate: Gate::OperatorRole,
                    passed: false,
                    detail: err.to_string(),
                });
                return Err(err);
            }
            match overridden {
                None => {
                    return Err(RemediationError::new(ErrorKind::PrivilegedTarget {
                        target: name.to_owned(),
                        why,
                    }))
                }
                Some(reason) => checks.push(format!(
                    "privileged ({why}; judged by {}): acting under the Administrator's override, reason: {reason}",
                    privilege.judged_by
                )),
            }
        } else {
            checks.push(format!(
                "not privileged: {} (judged by {})",
                privilege.summary(),
                privilege.judged_by
            ));
        }
        checks.push("not a break-glass or protected account".to_owned());
        Ok(checks)
    }

    /// Update user type: refused when the user already has that type; one PATCH.
    fn plan_update_user_type(
        &mut self,
        user: &User,
        name: String,
        to: &UserType,
        user_path: &str,
        checks: &mut Vec<String>,
    ) -> Result<Plan, RemediationError> {
        if user.user_type.as_ref() == Some(to) {
            return Err(RemediationError::new(ErrorKind::NoChange {
                target: name,
                user_type: to.clone(),
            }));
        }
        let body = UserTypeUpdate::new(to.clone());
        checks.push(format!(
            "userType changes from {} to {to}",
            user.user_type
                .as_ref()
                .map_or_else(|| "unset".to_owned(), ToString::to_string)
        ));
        self.report.plan.push(PlannedCall {
            method: "PATCH".to_owned(),
            path: user_path.to_owned(),
            body: serde_json::to_value(&body).ok(),
            purpose: format!("set userType to {to}"),
        });
        Ok(Plan::Single(GraphRequest::patch(user_path).json(&body)))
    }

    /// Delete guest user: refused for a member, for a guest that is not an external account,
    /// and for the operator who made the user a guest within 7 days; one DELETE, and the
    /// restore call as the undo.
    async fn plan_delete_guest(
        &mut self,
        user: &User,
        name: String,
        request: &RemediationRequest,
        user_path: &str,
        checks: &mut Vec<String>,
    ) -> Result<Plan, RemediationError> {
        if !user.is_guest() {
            return Err(RemediationError::new(ErrorKind::NotAGuest {
                target: name,
                user_type: user.user_type.clone(),
            }));
        }
        let marks = user.external_identity_marks();
        if marks.is_empty() {
            return Err(RemediationError::new(ErrorKind::NotExternal {
                target: name,
            }));
        }
        checks.push(format!(
            "userType is Guest, an external account ({})",
            marks.join(", ")
        ));
        checks.push(
            self.check_guest_history(&user.id, &name, &request.operator.name)
                .await?,
        );
        self.report.plan.push(PlannedCall {
            method: "DELETE".to_owned(),
            path: user_path.to_owned(),
            body: None,
            purpose: "delete the guest (soft delete: deleted items keep it 30 days)".to_owned(),
        });
        self.report.undo = Some(PlannedCall {
            method: "POST".to_owned(),
            path: format!("/directory/deletedItems/{}/restore", user.id),
            body: None,
            purpose: "restore the user within 30 days of the deletion (needs User.ReadWrite.All)"
                .to_owned(),
        });
        Ok(Plan::Single(GraphRequest::delete(user_path)))
    }

    /// Log out: one POST of `revokeSignInSessions`.
    fn plan_log_out(&mut self, user_path: &str) -> Plan {
        let path = format!("{user_path}/revokeSignInSessions");
        self.report.plan.push(PlannedCall {
            method: "POST".to_owned(),
            path: path.clone(),
            body: None,
            purpose: "revoke refresh tokens and session cookies".to_owned(),
        });
        Plan::Single(GraphRequest::post(path))
    }

    /// Reset MFA: reads the user's methods and plans a DELETE of each one oort may remove, in
    /// reset order (the password and unknown method types are kept).
    async fn plan_reset_mfa(
        &mut self,
        user_id: &str,
        user_path: &str,
        checks: &mut Vec<String>,
    ) -> Result<Plan, RemediationError> {
        let mut methods: Vec<AuthenticationMethod> = self
            .collection(GraphRequest::get(format!(
                "{user_path}/authentication/methods"
            )))
            .await
            .map_err(|e| graph_failure(&e, &format!("GET {user_path}/authentication/methods")))?;
        methods.sort_by_key(AuthenticationMethod::reset_order);
        let mut deletes = Vec::new();
        for m in &methods {
            if let Some(delete) = self.plan_method(m, user_id) {
                deletes.push(delete);
            }
        }
        checks.push(format!(
            "{} of {} registered methods to remove, the password kept",
            deletes.len(),
            methods.len()
        ));
        if deletes.is_empty() {
            self.report
                .notes
                .push("the user has no method to remove".to_owned());
        }
        Ok(Plan::Methods(deletes))
    }

    /// Records one authentication method in the report (target state, method result, planned
    /// call) and returns its DELETE with the index of its result, unless it is kept.
    fn plan_method(
        &mut self,
        m: &AuthenticationMethod,
        user_id: &str,
    ) -> Option<(usize, GraphRequest)> {
        let method_type = m.type_name().unwrap_or("unknown").to_owned();
        let mid = m.id().unwrap_or_default().to_owned();
        if let Some(t) = self.report.target.as_mut() {
            t.methods.push((method_type.clone(), mid.clone()));
        }
        let path = m.delete_path(user_id);
        let status = if path.is_some() {
            MethodStatus::Planned
        } else {
            MethodStatus::Kept
        };
        let detail = match m {
            AuthenticationMethod::Password(_) => {
                Some("the password is never deleted by a reset".to_owned())
            }
            _ if path.is_none() => Some(
                "a method type oort does not know is left alone; remove it in the portal if needed"
                    .to_owned(),
            ),
            _ => None,
        };
        let delete = path.as_ref().map(|p| {
            self.report.plan.push(PlannedCall {
                method: "DELETE".to_owned(),
                path: p.clone(),
                body: None,
                purpose: format!("remove {method_type} {mid}"),
            });
            (self.report.methods.len(), GraphRequest::delete(p.clone()))
        });
        self.report.methods.push(MethodResult {
            id: mid,
            method_type,
            path,
            status,
            http_status: None,
            request_id: None,
            detail,
        });
        delete
    }

    /// Reads the target by id, or finds it by UPN.
    async fn resolve(&mut self, target: &Target) -> Result<User, RemediationError> {
        let not_found = || {
            RemediationError::new(ErrorKind::TargetNotFound {
                target: target.as_str().to_owned(),
            })
        };
        match target {
            Target::Id(id) => {
                if !is_object_id(id) {
                    return Err(RemediationError::new(ErrorKind::InvalidRequest {
                        reason: format!(
                            "{id:?} is neither an object id (a GUID) nor a user principal name"
                        ),
                    }));
                }
                let request = GraphRequest::get(format!("/users/{id}")).select(USER_SELECT);
                match self.send(request).await.and_then(|r| r.json::<User>()) {
                    Ok(u) => Ok(u),
                    Err(e) if e.is_not_found() => Err(not_found()),
                    Err(e) => Err(graph_failure(&e, &format!("GET /users/{id}"))),
                }
            }
            Target::Upn(upn) => {
                // A filter rather than `/users/{upn}`: a guest's `#EXT#` needs no path escaping.
                let request = GraphRequest::get("/users")
                    .filter(format!(
                        "userPrincipalName eq '{}'",
                        upn.replace('\'', "''")
                    ))
                    .select(USER_SELECT);
                let users: Vec<User> = self.collection(request).await.map_err(|e| {
                    graph_failure(&e, "GET /users?$filter=userPrincipalName eq ...")
                })?;
                users
                    .into_iter()
                    .find(|u| !u.id.is_empty())
                    .ok_or_else(not_found)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_guids() {
        assert!(is_object_id("62e90394-69f5-4237-9190-012177145e10"));
        assert!(!is_object_id("62e90394-69f5-4237-9190-012177145e1"));
        assert!(!is_object_id("../users/62e90394-69f5-4237-9190-0121771"));
    }
}

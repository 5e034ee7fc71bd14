//! The one error type: refusals by a gate, and failures.

use std::fmt;

use entra_model::{Clause, RemediationAction, UserType};

use crate::report::Report;
use crate::request::OperatorRole;

type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Where an app permission is granted, for the messages.
pub(crate) const GRANT_HINT: &str = "grant it in the Entra admin center > App registrations > (the oort app) > API permissions > Add a permission > Microsoft Graph > Application permissions, then Grant admin consent";

/// Why a target is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Protection {
    /// A break-glass (emergency access) account (`OORT_BREAK_GLASS_ACCOUNTS`).
    BreakGlass,
    /// On the configured protected list (`OORT_PROTECTED_ACCOUNTS`).
    Configured,
}

impl fmt::Display for Protection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protection::BreakGlass => "a break-glass account",
            Protection::Configured => "on the protected accounts list",
        })
    }
}

fn clauses(missing: &[Clause]) -> String {
    let mut text = missing
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ");
    if missing
        .iter()
        .any(|c| c.call.starts_with("GET /roleManagement") || c.call.contains("transitiveMemberOf"))
    {
        text.push_str(" (to check whether the target holds or can activate a privileged directory role; an Administrator's explicit privileged override skips the requirement)");
    }
    text
}

fn fmt_request_id(id: &Option<String>) -> String {
    id.as_deref()
        .map(|id| format!(" (request-id {id})"))
        .unwrap_or_default()
}

fn fmt_user_type(t: &Option<UserType>) -> String {
    t.as_ref()
        .map(|t| t.to_string())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// What went wrong, or which gate refused. Branch on it through [`RemediationError::kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Gate 1: the operator's role does not allow the action.
    #[error("refused: operator {operator} has role {role}, which may not {action}; ask an operator whose role allows it (Administrator may take every action, HelpDesk all but deleting)")]
    RoleNotAllowed {
        /// Operator name.
        operator: String,
        /// Their role.
        role: OperatorRole,
        /// The action.
        action: RemediationAction,
    },

    /// Gate 2: the app's token lacks a permission a Graph call of the action needs.
    #[error("refused: the app lacks a Graph permission {action} needs: {}; {GRANT_HINT}", clauses(.missing))]
    MissingPermissions {
        /// The action.
        action: RemediationAction,
        /// The calls whose permission is missing, each with the permissions Graph accepts.
        missing: Vec<Clause>,
    },

    /// Gate 3: no user has this id or UPN.
    #[error("refused: no user {target} in the tenant; check the object id or user principal name")]
    TargetNotFound {
        /// The target as given.
        target: String,
    },

    /// Gate 3: the request cannot be acted on as given (a malformed id, an unsupported user type).
    #[error("refused: {reason}")]
    InvalidRequest {
        /// What is wrong and how to fix it.
        reason: String,
    },

    /// Gate 3: delete guest user on a user who is not a guest.
    #[error("refused: {target} is not a guest (userType {}); oort deletes guest users only, delete members in the Entra admin center", fmt_user_type(.user_type))]
    NotAGuest {
        /// The target's UPN or id.
        target: String,
        /// Its user type.
        user_type: Option<UserType>,
    },

    /// Gate 1: an operator who is not an `Administrator` gave the privileged override.
    #[error("refused: operator {operator} has role {role}; only an Administrator may override the protection of privileged targets")]
    OverrideNeedsAdministrator {
        /// Operator name.
        operator: String,
        /// Their role.
        role: OperatorRole,
    },

    /// Gate 1, once the target is read: the target is privileged and the operator is not an
    /// `Administrator` (whatever else they pass).
    #[error("refused: {target} is privileged ({why}); operator {operator} has role {role}, and only an Administrator may act on a privileged target")]
    PrivilegedNeedsAdministrator {
        /// Operator name.
        operator: String,
        /// Their role.
        role: OperatorRole,
        /// The target's UPN or id.
        target: String,
        /// Why it is privileged ([`crate::Privilege::summary`]).
        why: String,
    },

    /// Gate 3: the target is privileged and the request carries no override.
    #[error("refused: {target} is privileged ({why}) and protected from remediation; an Administrator may act anyway with an explicit privileged override and its reason (oort remediate ... --override-privileged \"REASON\" --yes)")]
    PrivilegedTarget {
        /// The target's UPN or id.
        target: String,
        /// Why it is privileged ([`crate::Privilege::summary`]).
        why: String,
    },

    /// Gate 3: delete guest user on a guest that is not an external (B2B) account.
    #[error("refused: {target} has userType Guest but no mark of an external account (creationType Invitation, externalUserState, an #EXT# user principal name or an identity issued outside the tenant); it is one of the tenant's own accounts, delete it in the Entra admin center if that is really intended")]
    NotExternal {
        /// The target's UPN or id.
        target: String,
    },

    /// Gate 3: delete guest user by the operator who made the user a guest within the last 7
    /// days (two people for member -> guest -> gone).
    #[error("refused: {operator} changed {target} to Guest at {at} (audit entry {audit_id}); within 7 days another operator must delete the account")]
    SameOperatorMadeGuest {
        /// The target's UPN or id.
        target: String,
        /// The operator.
        operator: String,
        /// When they changed the type (RFC 3339).
        at: String,
        /// The audit entry of that change.
        audit_id: String,
    },

    /// Gate 3: the audit trail holds more entries of the last 7 days than oort reads, so who
    /// made the user a guest cannot be checked.
    #[error("refused: the audit trail holds more than {scanned} entries of the last 7 days, so oort cannot check who made {target} a guest; ask another operator, or retry once the entries are older")]
    GuestHistoryUnverifiable {
        /// The target's UPN or id.
        target: String,
        /// How many entries were read.
        scanned: usize,
    },

    /// Gate 3: the target is protected.
    #[error("refused: {target} is {reason} and protected from remediation; remove it from the protected list in oort's configuration first if this is really intended")]
    Protected {
        /// The target's UPN or id.
        target: String,
        /// Why.
        reason: Protection,
    },

    /// Gate 3: update user type to the type the user already has.
    #[error("refused: {target} is already {user_type}; nothing to change")]
    NoChange {
        /// The target's UPN or id.
        target: String,
        /// The type it already has.
        user_type: UserType,
    },

    /// Graph answered 403 although the app holds the permission the call needs (e.g. the target
    /// holds an admin role, which needs the app's service principal to hold a privileged
    /// directory role too).
    #[error("Microsoft Graph refused {call} with 403 {}{} although the app holds the permission it needs: a target with an admin role needs the app's service principal to hold a privileged directory role too; assign one in the Entra admin center > Roles and administrators (e.g. User Administrator or Privileged Authentication Administrator), or act in the portal", .code.as_deref().unwrap_or("Forbidden"), fmt_request_id(.request_id))]
    Forbidden {
        /// The call, e.g. `DELETE /users/{id}`.
        call: String,
        /// Graph's error code.
        code: Option<String>,
        /// Graph's request-id.
        request_id: Option<String>,
    },

    /// A Graph call failed otherwise (after the client's retries).
    #[error("{call} failed: {message}{}; the report lists what was done before, check the tenant and retry", fmt_request_id(.request_id))]
    Graph {
        /// The call.
        call: String,
        /// HTTP status, when Graph answered.
        status: Option<u16>,
        /// Graph's error code.
        code: Option<String>,
        /// Graph's request-id.
        request_id: Option<String>,
        /// What happened.
        message: String,
    },

    /// No access token could be obtained, so the granted permissions could not be checked;
    /// nothing was sent to Graph.
    #[error("could not get an access token to check the app's permissions; nothing was changed, check the credential (oort test-connectivity)")]
    Token,

    /// The audit trail could not be written; without it nothing is sent to Graph.
    #[error("the audit trail could not be written ({context}); nothing was changed, check the store and retry")]
    Audit {
        /// What was being recorded.
        context: String,
    },

    /// The attempt ended but its outcome entry could not be appended: the attempt stays
    /// `incomplete` in the audit trail (the [`report`](RemediationError::report) says what was done).
    #[error("the attempt ended ({outcome}) but its outcome could not be appended to the audit trail; attempt {audit_id} stays incomplete there, check the store and keep this report")]
    AuditIncomplete {
        /// The entry left incomplete.
        audit_id: String,
        /// How the action ended.
        outcome: oort_store::AuditOutcome,
    },

    /// The remediator is misconfigured.
    #[error("invalid remediation configuration: {0}")]
    Config(String),
}

/// A refusal by a gate, or a failure of an attempt.
///
/// Refusals ([`is_refusal`](Self::is_refusal)) changed nothing and were recorded in the audit
/// trail; a failure after changes carries the [`report`](Self::report) of what was done.
#[derive(Debug)]
pub struct RemediationError(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    audit_id: Option<String>,
    report: Option<Report>,
    source: Option<Source>,
}

impl fmt::Display for RemediationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.kind, f)
    }
}

impl std::error::Error for RemediationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl RemediationError {
    pub(crate) fn new(kind: ErrorKind) -> Self {
        RemediationError(Box::new(Inner {
            kind,
            audit_id: None,
            report: None,
            source: None,
        }))
    }

    pub(crate) fn with_source(mut self, source: Source) -> Self {
        self.0.source = Some(source);
        self
    }

    pub(crate) fn with_report(mut self, report: Report) -> Self {
        self.0.audit_id = Some(report.audit_id.clone());
        self.0.report = Some(report);
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Whether a gate refused (nothing was changed).
    pub fn is_refusal(&self) -> bool {
        matches!(
            self.0.kind,
            ErrorKind::RoleNotAllowed { .. }
                | ErrorKind::MissingPermissions { .. }
                | ErrorKind::TargetNotFound { .. }
                | ErrorKind::InvalidRequest { .. }
                | ErrorKind::NotAGuest { .. }
                | ErrorKind::Protected { .. }
                | ErrorKind::NoChange { .. }
                | ErrorKind::OverrideNeedsAdministrator { .. }
                | ErrorKind::PrivilegedNeedsAdministrator { .. }
                | ErrorKind::PrivilegedTarget { .. }
                | ErrorKind::NotExternal { .. }
                | ErrorKind::SameOperatorMadeGuest { .. }
                | ErrorKind::GuestHistoryUnverifiable { .. }
        )
    }

    /// Whether Graph answered 403 despite the permission gate.
    pub fn is_forbidden(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Forbidden { .. })
    }

    /// The gate that refused, if a gate refused.
    pub fn gate(&self) -> Option<crate::Gate> {
        use crate::Gate;
        match self.0.kind {
            ErrorKind::RoleNotAllowed { .. }
            | ErrorKind::OverrideNeedsAdministrator { .. }
            | ErrorKind::PrivilegedNeedsAdministrator { .. } => Some(Gate::OperatorRole),
            ErrorKind::MissingPermissions { .. } => Some(Gate::Permissions),
            _ if self.is_refusal() => Some(Gate::TargetRules),
            _ => None,
        }
    }

    /// Graph's request-id of the failed call, if any.
    pub fn request_id(&self) -> Option<&str> {
        match &self.0.kind {
            ErrorKind::Forbidden { request_id, .. } | ErrorKind::Graph { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// Id of the audit record of this attempt, when one was written.
    pub fn audit_id(&self) -> Option<&str> {
        self.0.audit_id.as_deref()
    }

    /// The account of the attempt: gates, target state, plan, calls made and their results.
    pub fn report(&self) -> Option<&Report> {
        self.0.report.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_permission_message_names_the_permission_and_where_to_grant_it() {
        let action = RemediationAction::ResetMfa;
        let granted = entra_model::PermissionSet::from_roles([
            "User.Read.All",
            "UserAuthenticationMethod.Read.All",
        ]);
        let err = RemediationError::new(ErrorKind::MissingPermissions {
            action,
            missing: action.requirement().missing(&granted),
        });
        assert_eq!(
            err.to_string(),
            "refused: the app lacks a Graph permission reset-mfa needs: DELETE /users/{id}/authentication/{type}Methods/{id} needs UserAuthenticationMethod.ReadWrite.All; grant it in the Entra admin center > App registrations > (the oort app) > API permissions > Add a permission > Microsoft Graph > Application permissions, then Grant admin consent"
        );
        assert!(err.is_refusal());
        assert_eq!(err.gate(), Some(crate::Gate::Permissions));
    }

    #[test]
    fn forbidden_message_says_it_came_from_graph_despite_the_gate_with_the_request_id() {
        let err = RemediationError::new(ErrorKind::Forbidden {
            call: "DELETE /users/u1".to_owned(),
            code: Some("Authorization_RequestDenied".to_owned()),
            request_id: Some("rid-1".to_owned()),
        });
        let text = err.to_string();
        assert!(text.starts_with("Microsoft Graph refused DELETE /users/u1 with 403 Authorization_RequestDenied (request-id rid-1) although the app holds the permission"), "{text}");
        assert!(text.contains("privileged directory role"), "{text}");
        assert!(!err.is_refusal());
        assert!(err.is_forbidden());
        assert_eq!(err.request_id(), Some("rid-1"));
    }
}

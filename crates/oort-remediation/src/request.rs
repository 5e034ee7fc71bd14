//! What the caller asks for: the action, its target, who asks, and whether to execute.

use std::fmt;
use std::str::FromStr;

use entra_model::{RemediationAction, UserType};
use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, RemediationError};

/// The role of the person acting: the role of their operator record in the store
/// ([`oort_store::StoredRole`], which converts both ways), not from Graph: oort's own separation
/// of duties on top of the app's permissions.
///
/// | role | update user type | delete guest user | log out | reset MFA |
/// | --- | --- | --- | --- | --- |
/// | `Administrator` | yes | yes | yes | yes |
/// | `HelpDesk` | yes | no | yes | yes |
/// | `ReadOnly` | no | no | no | no |
///
/// On a privileged target (one that holds or can activate a privileged directory role) only an
/// `Administrator` may act, and only with an explicit override and its reason.
///
/// ```
/// use entra_model::RemediationAction;
/// use oort_remediation::OperatorRole;
/// let role: OperatorRole = "helpdesk".parse().unwrap();
/// assert_eq!(role, OperatorRole::HelpDesk);
/// assert!(role.may(RemediationAction::LogOut));
/// assert!(!role.may(RemediationAction::DeleteGuestUser));
/// ```
///
/// Named as the store and `oort operators --role` name them (`help-desk`), everywhere; the names
/// of earlier versions (`HelpDesk`) are still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum OperatorRole {
    /// May take every action.
    #[serde(alias = "Administrator")]
    Administrator,
    /// May update a user's type, log a user out and reset MFA; may not delete.
    #[serde(alias = "HelpDesk")]
    HelpDesk,
    /// May take no action.
    #[serde(alias = "ReadOnly")]
    ReadOnly,
}

impl OperatorRole {
    /// `administrator`, `help-desk` or `read-only` (as stored in the audit trail and the
    /// operators' records).
    pub fn as_str(self) -> &'static str {
        match self {
            OperatorRole::Administrator => "administrator",
            OperatorRole::HelpDesk => "help-desk",
            OperatorRole::ReadOnly => "read-only",
        }
    }

    /// Whether this role may take `action`.
    pub fn may(self, action: RemediationAction) -> bool {
        match self {
            OperatorRole::Administrator => true,
            OperatorRole::HelpDesk => action != RemediationAction::DeleteGuestUser,
            OperatorRole::ReadOnly => false,
        }
    }

    /// The actions this role may take.
    pub fn allowed_actions(self) -> Vec<RemediationAction> {
        RemediationAction::ALL
            .iter()
            .copied()
            .filter(|a| self.may(*a))
            .collect()
    }
}

impl From<oort_store::StoredRole> for OperatorRole {
    fn from(role: oort_store::StoredRole) -> Self {
        match role {
            oort_store::StoredRole::Administrator => OperatorRole::Administrator,
            oort_store::StoredRole::HelpDesk => OperatorRole::HelpDesk,
            // A role this version does not know (the store's set is open to additions) may
            // take no action.
            _ => OperatorRole::ReadOnly,
        }
    }
}

impl From<OperatorRole> for oort_store::StoredRole {
    fn from(role: OperatorRole) -> Self {
        match role {
            OperatorRole::Administrator => oort_store::StoredRole::Administrator,
            OperatorRole::HelpDesk => oort_store::StoredRole::HelpDesk,
            OperatorRole::ReadOnly => oort_store::StoredRole::ReadOnly,
        }
    }
}

impl fmt::Display for OperatorRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for OperatorRole {
    type Err = RemediationError;

    /// Parses `Administrator`, `HelpDesk` or `ReadOnly`, ignoring case, `-`, `_` and spaces
    /// (`help-desk`, `read_only`, `admin` is not accepted).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .chars()
            .filter(|c| !matches!(c, '-' | '_' | ' '))
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "administrator" => Ok(OperatorRole::Administrator),
            "helpdesk" => Ok(OperatorRole::HelpDesk),
            "readonly" => Ok(OperatorRole::ReadOnly),
            _ => Err(RemediationError::new(ErrorKind::InvalidRequest {
                reason: format!(
                    "{s:?} is not an operator role; use administrator, help-desk or read-only"
                ),
            })),
        }
    }
}

/// Who asks: the operator's name (for the audit trail), role (for the first gate) and where
/// they act from (for the audit trail). The `oort` command takes all three from the operator
/// record the OS account running it is mapped to, never from its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Operator {
    /// Name (the operator record's).
    pub name: String,
    /// Role (the operator record's).
    pub role: OperatorRole,
    /// The OS account, host and process acting, recorded with every entry. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<oort_store::ProcessOrigin>,
}

impl Operator {
    /// An operator (without origin).
    pub fn new(name: impl Into<String>, role: OperatorRole) -> Self {
        Operator {
            name: name.into(),
            role,
            origin: None,
        }
    }

    /// The same operator, acting from `origin` (recorded in the audit trail).
    pub fn with_origin(mut self, origin: oort_store::ProcessOrigin) -> Self {
        self.origin = Some(origin);
        self
    }
}

/// The user to act on: an object id or a user principal name. A UPN is resolved to the object
/// id before anything is changed, and every write uses the id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Target {
    /// An object id (a GUID).
    Id(String),
    /// A user principal name (guests look like `ann_fabrikam.com#EXT#@contoso.onmicrosoft.com`).
    Upn(String),
}

impl Target {
    /// A target from what an operator typed: a UPN when it contains `@`, else an object id.
    pub fn parse(s: &str) -> Target {
        let s = s.trim();
        if s.contains('@') {
            Target::Upn(s.to_owned())
        } else {
            Target::Id(s.to_owned())
        }
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        match self {
            Target::Id(s) | Target::Upn(s) => s,
        }
    }
}

impl From<&str> for Target {
    fn from(s: &str) -> Self {
        Target::parse(s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An action with its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Set `userType` to `Member` or `Guest` (`PATCH /users/{id}`).
    UpdateUserType(UserType),
    /// Delete a guest user (`DELETE /users/{id}`; restorable for 30 days).
    DeleteGuestUser,
    /// Revoke the user's sign-in sessions (`POST /users/{id}/revokeSignInSessions`).
    LogOut,
    /// Delete every deletable registered authentication method, the password excepted.
    ResetMfa,
}

impl Action {
    /// The action's kind, as `entra-model`'s permission catalogue names it.
    pub fn kind(&self) -> RemediationAction {
        match self {
            Action::UpdateUserType(_) => RemediationAction::UpdateUserType,
            Action::DeleteGuestUser => RemediationAction::DeleteGuestUser,
            Action::LogOut => RemediationAction::LogOut,
            Action::ResetMfa => RemediationAction::ResetMfa,
        }
    }
}

/// One remediation attempt: what, on whom, by whom, and whether to execute it.
///
/// The default is a dry run: the plan is returned and nothing is changed. Executing needs the
/// explicit [`confirm`](RemediationRequest::confirm).
///
/// ```
/// use oort_remediation::{Action, Operator, OperatorRole, RemediationRequest};
/// let request = RemediationRequest::new(
///     Action::LogOut,
///     "adele@contoso.com",
///     Operator::new("alice", OperatorRole::HelpDesk),
/// );
/// assert!(!request.is_confirmed());
/// assert!(request.confirm().is_confirmed());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RemediationRequest {
    /// The action.
    pub action: Action,
    /// The user.
    pub target: Target,
    /// Who asks.
    pub operator: Operator,
    /// Execute (true) or only plan (false, the default).
    pub confirmed: bool,
    /// Act even on a privileged target (one that holds or can activate a privileged directory
    /// role), for this reason; `None` (the default): refused. Only an `Administrator` may give
    /// it; the reason is stored in the audit record. Break-glass and configured protected
    /// accounts stay protected regardless.
    pub override_privileged: Option<String>,
}

impl RemediationRequest {
    /// A dry run of `action` on `target` by `operator`.
    pub fn new(action: Action, target: impl Into<Target>, operator: Operator) -> Self {
        RemediationRequest {
            action,
            target: target.into(),
            operator,
            confirmed: false,
            override_privileged: None,
        }
    }

    /// The explicit confirmation: execute instead of planning. Default: a dry run.
    pub fn confirm(mut self) -> Self {
        self.confirmed = true;
        self
    }

    /// Whether the request will execute.
    pub fn is_confirmed(&self) -> bool {
        self.confirmed
    }

    /// Lifts the protection of privileged targets for this request, for `reason` (an explicit
    /// decision of an `Administrator`, recorded with the reason in the audit trail; any other
    /// role is refused at the role gate). Default: privileged targets are refused.
    pub fn override_privileged(mut self, reason: impl Into<String>) -> Self {
        self.override_privileged = Some(reason.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_allow_the_actions_of_the_issue_table() {
        use RemediationAction as A;
        assert_eq!(
            OperatorRole::Administrator.allowed_actions(),
            [
                A::UpdateUserType,
                A::DeleteGuestUser,
                A::LogOut,
                A::ResetMfa
            ]
        );
        assert_eq!(
            OperatorRole::HelpDesk.allowed_actions(),
            [A::UpdateUserType, A::LogOut, A::ResetMfa]
        );
        assert!(OperatorRole::ReadOnly.allowed_actions().is_empty());
    }

    #[test]
    fn roles_and_actions_are_written_in_one_spelling_and_the_earlier_ones_still_read() {
        assert_eq!(
            serde_json::to_value(OperatorRole::HelpDesk).unwrap(),
            "help-desk"
        );
        assert_eq!(OperatorRole::HelpDesk.to_string(), "help-desk");
        let old: OperatorRole = serde_json::from_value(serde_json::json!("HelpDesk")).unwrap();
        assert_eq!(old, OperatorRole::HelpDesk);
        assert_eq!(
            serde_json::to_value(RemediationAction::LogOut).unwrap(),
            "log-out"
        );
        assert_eq!(RemediationAction::LogOut.to_string(), "log-out");
        let old: RemediationAction = serde_json::from_value(serde_json::json!("log_out")).unwrap();
        assert_eq!(old, RemediationAction::LogOut);
    }

    #[test]
    fn roles_parse_in_any_spelling_and_unknown_ones_say_which_exist() {
        for s in [
            "Administrator",
            "administrator",
            "HelpDesk",
            "help-desk",
            "read_only",
            "ReadOnly",
        ] {
            let role: OperatorRole = s.parse().unwrap();
            let again: OperatorRole = role.as_str().parse().unwrap();
            assert_eq!(role, again);
        }
        let err = "admin".parse::<OperatorRole>().unwrap_err();
        assert!(
            err.to_string()
                .contains("administrator, help-desk or read-only"),
            "{err}"
        );
    }

    #[test]
    fn targets_with_an_at_sign_are_upns_and_others_ids() {
        assert_eq!(
            Target::parse(" ann_fabrikam.com#EXT#@contoso.onmicrosoft.com "),
            Target::Upn("ann_fabrikam.com#EXT#@contoso.onmicrosoft.com".to_owned())
        );
        assert_eq!(
            Target::parse("62e90394-69f5-4237-9190-012177145e10"),
            Target::Id("62e90394-69f5-4237-9190-012177145e10".to_owned())
        );
    }

    #[test]
    fn requests_are_dry_runs_until_confirmed() {
        let r = RemediationRequest::new(
            Action::ResetMfa,
            "a@b.c",
            Operator::new("x", OperatorRole::Administrator),
        );
        assert!(!r.is_confirmed());
        assert_eq!(r.override_privileged, None);
        assert!(r.clone().confirm().is_confirmed());
    }
}

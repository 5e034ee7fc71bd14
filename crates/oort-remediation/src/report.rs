//! What an attempt produced: the gates, the target's state, the plan, the calls made and their
//! results. The same structure is the `entry` of the audit record.

use entra_model::{RemediationAction, UserType};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::request::OperatorRole;

/// Dry run or execution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mode {
    /// Plan only; nothing is written.
    DryRun,
    /// Execute the plan (confirmed by the caller).
    Execute,
}

/// How an attempt ended: the audit trail's outcome, the store's vocabulary.
pub use oort_store::AuditOutcome;

/// The four gates, in the order they are passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Gate {
    /// The operator's role allows the action.
    OperatorRole,
    /// The app's granted permissions cover every Graph call of the action.
    Permissions,
    /// The target may be acted on (exists, not protected, the change is not a no-op, ...).
    TargetRules,
    /// Dry run or confirmed execution.
    Confirmation,
}

/// The result of one gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GateCheck {
    /// Which gate.
    pub gate: Gate,
    /// Whether it let the attempt through.
    pub passed: bool,
    /// What it checked, or why it refused.
    pub detail: String,
}

/// A Graph call of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PlannedCall {
    /// HTTP method.
    pub method: String,
    /// Path relative to the Graph version root, e.g. `/users/{id}`.
    pub path: String,
    /// JSON body, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// What the call does.
    pub purpose: String,
}

/// A Graph call that was made, with Graph's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CallResult {
    /// HTTP method.
    pub method: String,
    /// Path relative to the Graph version root.
    pub path: String,
    /// HTTP status answered (`None` when no answer came).
    pub status: Option<u16>,
    /// Graph's `request-id`, for support cases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Graph's error code, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// What went wrong, on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl CallResult {
    /// Whether Graph answered 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What happened to one authentication method in a reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MethodStatus {
    /// Planned for deletion (dry run).
    Planned,
    /// Deleted.
    Removed,
    /// Graph answered 404: it was already gone.
    AlreadyRemoved,
    /// Never deleted: the password, or a type oort does not know.
    Kept,
    /// Graph refused to delete it as it stands (e.g. the phone that is the user's default
    /// method: change the default in the portal first).
    NotDeletable,
    /// The deletion failed (see the status and error).
    Failed,
}

/// One authentication method of a reset, with its result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MethodResult {
    /// Method id.
    pub id: String,
    /// Short type name, e.g. `phoneAuthenticationMethod`.
    pub method_type: String,
    /// The DELETE path, when deletable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// What happened.
    pub status: MethodStatus,
    /// HTTP status of the DELETE, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Graph's `request-id` of the DELETE, when sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Why it was kept, or Graph's message on failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// How the target holds or can activate a privileged role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Via {
    /// An active assignment to the user.
    Direct,
    /// An active assignment to a role-assignable group the user is a (transitive) member of.
    Group {
        /// Group object id.
        group_id: String,
        /// Group name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_name: Option<String>,
    },
    /// An eligible assignment (Privileged Identity Management) to the user: they can activate it.
    Eligible,
    /// An eligible assignment to a role-assignable group the user is a member of.
    EligibleThroughGroup {
        /// Group object id.
        group_id: String,
        /// Group name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group_name: Option<String>,
    },
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let group = |id: &String, name: &Option<String>| name.clone().unwrap_or_else(|| id.clone());
        match self {
            Via::Direct => f.write_str("assigned directly"),
            Via::Group {
                group_id,
                group_name,
            } => {
                write!(f, "through group {}", group(group_id, group_name))
            }
            Via::Eligible => f.write_str("eligible (can activate it)"),
            Via::EligibleThroughGroup {
                group_id,
                group_name,
            } => write!(f, "eligible through group {}", group(group_id, group_name)),
        }
    }
}

/// A privileged role the target holds or can activate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PrivilegedRole {
    /// Role definition id (the template id of a built-in role).
    pub role_definition_id: String,
    /// Role name, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role_name: Option<String>,
    /// How.
    pub via: Via,
}

impl std::fmt::Display for PrivilegedRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({})",
            self.role_name
                .as_deref()
                .unwrap_or(&self.role_definition_id),
            self.via
        )
    }
}

/// Whether the target holds or can activate a privileged directory role, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Privilege {
    /// Treated as privileged: a privileged role was found, or something that could show one
    /// could not be read.
    pub privileged: bool,
    /// The privileged roles found.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<PrivilegedRole>,
    /// What could not be read, and why (with Graph's request-id); any entry makes the target
    /// privileged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unreadable: Vec<String>,
    /// Where "privileged" came from: the tenant's role definitions (`isPrivileged`, beta) with
    /// the built-in list, or the built-in list alone.
    pub judged_by: String,
}

impl Privilege {
    /// One line for messages: the roles and what could not be read.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self.roles.iter().map(ToString::to_string).collect();
        parts.extend(
            self.unreadable
                .iter()
                .map(|u| format!("{u}, so treated as privileged")),
        );
        if parts.is_empty() {
            "no privileged role, active or eligible".to_owned()
        } else {
            parts.join("; ")
        }
    }
}

/// The target as Graph described it before anything was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TargetState {
    /// Object id.
    pub id: String,
    /// User principal name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// `Member` or `Guest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Whether the account can sign in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// Tokens issued before this time are invalid.
    #[serde(
        default,
        with = "entra_model::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sign_in_sessions_valid_from: Option<OffsetDateTime>,
    /// Whether the user holds or can activate a privileged directory role, and why (`None`:
    /// not checked yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privilege: Option<Privilege>,
    /// What marks the account as an external (B2B) identity, for delete guest user
    /// ([`entra_model::User::external_identity_marks`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_identity: Vec<String>,
    /// Registered authentication methods as `(type, id)` (reset MFA only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<(String, String)>,
}

/// The full account of one attempt: returned by a dry run or an execution, carried by an error
/// after a failed one, and stored as the audit record's `entry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Report {
    /// Id of the audit record.
    pub audit_id: String,
    /// The action.
    pub action: RemediationAction,
    /// The requested user type (update user type only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_user_type: Option<UserType>,
    /// Dry run or execution.
    pub mode: Mode,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// Operator name.
    pub operator: String,
    /// Operator role.
    pub role: OperatorRole,
    /// The OS account, host and process the operator acted from, when the caller said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<oort_store::ProcessOrigin>,
    /// The target as given (id or UPN).
    pub target_given: String,
    /// The reason the operator gave to act on a privileged target
    /// ([`RemediationRequest::override_privileged`](crate::RemediationRequest::override_privileged)),
    /// when they gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privileged_override: Option<String>,
    /// The target's state before any change (once read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetState>,
    /// The gates checked, in order.
    pub gates: Vec<GateCheck>,
    /// The write calls the action makes (or would make), in order.
    pub plan: Vec<PlannedCall>,
    /// Every Graph call made, reads included, with status and request-id.
    pub calls: Vec<CallResult>,
    /// Per-method results (reset MFA).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<MethodResult>,
    /// How to undo it (delete guest user: restore from deleted items within 30 days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undo: Option<PlannedCall>,
    /// What the operator should know about the result.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Why it was refused or failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Report {
    /// The write calls that were sent (a subset of [`calls`](Self::calls)).
    pub fn writes(&self) -> impl Iterator<Item = &CallResult> {
        self.calls.iter().filter(|c| c.method != "GET")
    }

    /// The check of one gate, if it was reached.
    pub fn gate(&self, gate: Gate) -> Option<&GateCheck> {
        self.gates.iter().find(|g| g.gate == gate)
    }
}

//! The remediation audit trail's entries.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::names::stored_names;

stored_names! {
    /// How a remediation attempt ended, as the audit trail keeps it.
    #[non_exhaustive]
    pub enum AuditOutcome ("audit outcome") {
        /// Not finished: the intent recorded before the first Graph call. An entry that stays
        /// `incomplete` was interrupted; check the tenant for what was done.
        Incomplete = "incomplete",
        /// A gate refused; nothing was changed.
        Refused = "refused",
        /// The plan was returned; nothing was changed.
        DryRun = "dry_run",
        /// Every change of the plan was made (or had already been made).
        Success = "success",
        /// Some changes were made and some could not be (see the per-call and per-method results).
        Partial = "partial",
        /// The action failed; the per-call results say how far it got.
        Failed = "failed",
    }
}

/// One entry of the remediation audit trail. Appended before the first Graph call (the intent,
/// `outcome` = `incomplete`) and completed once after; never otherwise changed or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// Entry id.
    pub id: String,
    /// When the attempt was made.
    #[serde(with = "entra_model::timestamp")]
    pub at: OffsetDateTime,
    /// Operator name.
    pub operator: String,
    /// Operator role.
    pub role: String,
    /// Action, e.g. `log_out`.
    pub action: String,
    /// Target object id, once resolved.
    pub target_id: Option<String>,
    /// Target UPN, once known.
    pub target_upn: Option<String>,
    /// How it ended (`Incomplete` until then).
    pub outcome: AuditOutcome,
    /// When the outcome was recorded.
    #[serde(with = "entra_model::timestamp::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// The rest (plan, gates, per-call statuses and request ids), as the remediation crate defines it.
    pub entry: serde_json::Value,
}

impl AuditRecord {
    /// An entry with outcome `incomplete` (an intent).
    pub fn intent(
        id: impl Into<String>,
        at: OffsetDateTime,
        operator: impl Into<String>,
        role: impl Into<String>,
        action: impl Into<String>,
        entry: serde_json::Value,
    ) -> Self {
        AuditRecord {
            id: id.into(),
            at,
            operator: operator.into(),
            role: role.into(),
            action: action.into(),
            target_id: None,
            target_upn: None,
            outcome: AuditOutcome::Incomplete,
            completed_at: None,
            entry,
        }
    }
}

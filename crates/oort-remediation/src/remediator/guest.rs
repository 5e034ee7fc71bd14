//! Two people for member -> guest -> gone: the operator who changed a user's type to Guest
//! through oort may not delete that user within the next 7 days; another operator may.

use entra_model::RemediationAction;
use oort_store::{AuditOutcome, AuditRecord};
use time::Duration;

use super::Attempt;
use crate::error::{ErrorKind, RemediationError};

/// How long the operator who made a user a guest may not delete them.
pub(super) const SAME_OPERATOR_WINDOW: Duration = Duration::days(7);

/// How many audit entries (newest first) are read to find that change; more entries than this
/// within the window refuse the deletion (it cannot be checked).
pub(super) const HISTORY_SCAN: usize = 5_000;

/// Whether an audit entry records `operator` changing `user_id` to Guest, in a way that may have
/// reached the tenant (succeeded, or interrupted after its intent was written).
fn made_guest(r: &AuditRecord, user_id: &str, operator: &str) -> bool {
    (r.action == RemediationAction::UpdateUserType.as_str()
        || r.action == RemediationAction::UpdateUserType.legacy_name())
        && r.target_id.as_deref() == Some(user_id)
        && r.operator == operator
        && matches!(
            r.outcome,
            AuditOutcome::Success | AuditOutcome::Partial | AuditOutcome::Incomplete
        )
        && r.entry["new_user_type"] == "Guest"
        && r.entry["mode"] == "execute"
}

impl Attempt<'_> {
    /// Refuses the deletion when `operator` changed the user to Guest through oort within the
    /// last 7 days (read from the store's audit trail); returns the check's detail otherwise.
    pub(super) async fn check_guest_history(
        &mut self,
        user_id: &str,
        name: &str,
        operator: &str,
    ) -> Result<String, RemediationError> {
        let since = self.at - SAME_OPERATOR_WINDOW;
        let log = self
            .r
            .store
            .audit_log(&self.r.tenant, HISTORY_SCAN)
            .await
            .map_err(|e| {
                RemediationError::new(ErrorKind::Audit {
                    context: "reading who made the user a guest".to_owned(),
                })
                .with_source(Box::new(e))
            })?;
        let recent: Vec<&AuditRecord> = log.iter().filter(|r| r.at >= since).collect();
        if let Some(r) = recent.iter().find(|r| made_guest(r, user_id, operator)) {
            return Err(RemediationError::new(ErrorKind::SameOperatorMadeGuest {
                target: name.to_owned(),
                operator: operator.to_owned(),
                at: entra_model::timestamp::format(&r.at),
                audit_id: r.id.clone(),
            }));
        }
        if log.len() >= HISTORY_SCAN && recent.len() == log.len() {
            return Err(RemediationError::new(ErrorKind::GuestHistoryUnverifiable {
                target: name.to_owned(),
                scanned: log.len(),
            }));
        }
        Ok(format!(
            "{operator} did not make the user a guest through oort in the last 7 days"
        ))
    }
}

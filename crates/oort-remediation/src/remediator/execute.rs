//! Execution of a confirmed plan: the write calls, the per-method results of an MFA reset, and
//! the notes a success leaves for the operator.

use entra_model::{RemediationAction, UserType};
use graph_client::GraphRequest;

use super::calls::graph_failure;
use super::plan::Plan;
use super::Attempt;
use crate::error::{ErrorKind, RemediationError};
use crate::report::{AuditOutcome, MethodStatus};

impl Attempt<'_> {
    pub(super) async fn execute(&mut self, plan: Plan) -> Result<(), RemediationError> {
        match plan {
            Plan::Single(request) => {
                let call = format!("{} {}", request.method(), request.path());
                if let Err(e) = self.send(request).await {
                    return Err(graph_failure(&e, &call));
                }
                self.report.outcome = AuditOutcome::Success;
                self.add_success_notes();
                Ok(())
            }
            Plan::Methods(deletes) => self.reset_methods(deletes).await,
        }
    }

    fn add_success_notes(&mut self) {
        let target = self.report.target.clone();
        let (id, name) = target
            .map(|t| (t.id.clone(), t.user_principal_name.unwrap_or(t.id)))
            .unwrap_or_default();
        match self.report.action {
            RemediationAction::UpdateUserType => {
                let to = self
                    .report
                    .new_user_type
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                self.report.notes.push(format!("{name} is now a {to}"));
            }
            RemediationAction::DeleteGuestUser => self.report.notes.push(format!(
                "{name} was moved to deleted items, where it stays restorable for 30 days: POST /directory/deletedItems/{id}/restore (Entra admin center > Users > Deleted users > Restore)"
            )),
            RemediationAction::LogOut => {
                self.report.notes.push(format!(
                    "refresh tokens and session cookies of {name} issued before now are revoked (Graph applies it within a few minutes)"
                ));
                self.report.notes.push("access tokens already issued stay valid until they expire, up to about an hour (sooner for resources with Continuous Access Evaluation); disable the account as well to stop all access".to_owned());
                if self
                    .report
                    .target
                    .as_ref()
                    .is_some_and(|t| t.user_type == Some(UserType::Guest))
                {
                    self.report.notes.push("a guest signs in at their home tenant: sessions there are not revoked".to_owned());
                }
            }
            _ => {}
        }
    }

    async fn reset_methods(
        &mut self,
        deletes: Vec<(usize, GraphRequest)>,
    ) -> Result<(), RemediationError> {
        let mut done = 0usize;
        let mut first_failure: Option<(ErrorKind, bool)> = None;
        for (index, request) in deletes {
            let call = format!("{} {}", request.method(), request.path());
            let result = self.send(request).await;
            let m = &mut self.report.methods[index];
            match result {
                Ok(resp) => {
                    m.status = MethodStatus::Removed;
                    m.http_status = Some(resp.status());
                    m.request_id = resp.request_id().map(str::to_owned);
                    done += 1;
                }
                Err(e) => {
                    m.http_status = e.status();
                    m.request_id = e.request_id().map(str::to_owned);
                    m.detail = Some(e.message().map_or_else(|| e.to_string(), str::to_owned));
                    if e.is_not_found() {
                        m.status = MethodStatus::AlreadyRemoved;
                        m.detail = Some("already removed (404)".to_owned());
                        done += 1;
                    } else if e.status() == Some(400) {
                        m.status = MethodStatus::NotDeletable;
                        if first_failure.is_none() {
                            first_failure = Some((graph_failure(&e, &call).kind().clone(), false));
                        }
                    } else {
                        m.status = MethodStatus::Failed;
                        if first_failure.as_ref().is_none_or(|(_, hard)| !hard) {
                            first_failure = Some((graph_failure(&e, &call).kind().clone(), true));
                        }
                    }
                }
            }
        }
        let Some((kind, _)) = first_failure else {
            self.report.outcome = AuditOutcome::Success;
            self.report.notes.push("every removable method is gone, the password is kept; the user registers MFA again at the next sign-in".to_owned());
            self.report.notes.push("sessions already open stay valid: log the user out as well to make the next sign-in (and the new registration) happen now".to_owned());
            return Ok(());
        };
        if self
            .report
            .methods
            .iter()
            .any(|m| m.status == MethodStatus::NotDeletable)
        {
            self.report.notes.push("a method Graph would not delete is usually the user's default sign-in method: change the default (Entra admin center > Users > the user > Authentication methods), then run reset MFA again".to_owned());
        }
        if done > 0 {
            self.report.outcome = AuditOutcome::Partial;
            self.report.error = Some(RemediationError::new(kind).to_string());
            Ok(())
        } else {
            Err(RemediationError::new(kind))
        }
    }
}

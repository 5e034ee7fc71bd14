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

    /// Deletes the methods in reset order. A method Graph refuses with 400 (the default
    /// method while others remain: `api-reference/v1.0/api/phoneauthenticationmethod-delete.md`;
    /// Graph answers "Cannot delete default method with other methods configured",
    /// microsoftgraph/microsoft-graph-docs-contrib#2913) is retried once the others are gone,
    /// round after round while a round removes something. The result is `partial` only when
    /// something is still left, and says what and why.
    async fn reset_methods(
        &mut self,
        deletes: Vec<(usize, GraphRequest)>,
    ) -> Result<(), RemediationError> {
        let mut done = 0usize;
        let mut first_failure: Option<ErrorKind> = None;
        let mut pending = deletes;
        let mut round = 0usize;
        loop {
            let mut refused = Vec::new();
            let mut progress = false;
            for (index, request) in pending {
                let call = format!("{} {}", request.method(), request.path());
                let again = request.clone();
                let result = self.send(request).await;
                let m = &mut self.report.methods[index];
                match result {
                    Ok(resp) => {
                        m.status = MethodStatus::Removed;
                        m.http_status = Some(resp.status());
                        m.request_id = resp.request_id().map(str::to_owned);
                        m.detail = (round > 0).then(|| {
                            "removed last: Graph had refused it while other methods remained (the user's default method)".to_owned()
                        });
                        done += 1;
                        progress = true;
                    }
                    Err(e) if e.is_not_found() => {
                        m.status = MethodStatus::AlreadyRemoved;
                        m.http_status = e.status();
                        m.request_id = e.request_id().map(str::to_owned);
                        m.detail = Some("already removed (404)".to_owned());
                        done += 1;
                        progress = true;
                    }
                    Err(e) => {
                        m.http_status = e.status();
                        m.request_id = e.request_id().map(str::to_owned);
                        m.detail = Some(e.message().map_or_else(|| e.to_string(), str::to_owned));
                        if e.status() == Some(400) {
                            m.status = MethodStatus::NotDeletable;
                            refused.push((index, again));
                        } else {
                            m.status = MethodStatus::Failed;
                            first_failure
                                .get_or_insert_with(|| graph_failure(&e, &call).kind().clone());
                        }
                    }
                }
            }
            if refused.is_empty() || !progress {
                break;
            }
            pending = refused;
            round += 1;
        }
        let left: Vec<String> = self
            .report
            .methods
            .iter()
            .filter(|m| matches!(m.status, MethodStatus::NotDeletable | MethodStatus::Failed))
            .map(|m| {
                let mut text = format!("{} {}", m.method_type, m.id);
                if let Some(status) = m.http_status {
                    text.push_str(&format!(": Graph answered {status}"));
                }
                if let Some(detail) = &m.detail {
                    text.push_str(&format!(" ({detail})"));
                }
                if let Some(id) = &m.request_id {
                    text.push_str(&format!(", request-id {id}"));
                }
                text
            })
            .collect();
        if left.is_empty() {
            self.report.outcome = AuditOutcome::Success;
            self.report.notes.push("every removable method is gone, the password is kept; the user registers MFA again at the next sign-in".to_owned());
            self.report.notes.push("sessions already open stay valid: log the user out as well to make the next sign-in (and the new registration) happen now".to_owned());
            return Ok(());
        }
        if self
            .report
            .methods
            .iter()
            .any(|m| m.status == MethodStatus::NotDeletable)
        {
            self.report.notes.push("Graph still refused a method after every other one was gone: change the user's default sign-in method (Entra admin center > Users > the user > Authentication methods), then run reset MFA again".to_owned());
        }
        let summary = format!("still registered: {}", left.join("; "));
        if done > 0 {
            self.report.outcome = AuditOutcome::Partial;
            self.report.error = Some(summary);
            Ok(())
        } else {
            let kind = first_failure.unwrap_or(ErrorKind::Graph {
                call: "DELETE /users/{id}/authentication/{type}Methods/{id}".to_owned(),
                status: Some(400),
                code: None,
                request_id: self
                    .report
                    .methods
                    .iter()
                    .find_map(|m| m.request_id.clone()),
                message: summary,
            });
            Err(RemediationError::new(kind))
        }
    }
}

//! The audit trail of an attempt: the intent appended before the first Graph call, and the
//! outcome appended as a second entry with the same id after the last (or the outcome alone
//! when a gate refused before any call); entries are never updated. And the gate checks the
//! report carries.

use oort_store::AuditRecord;

use super::Attempt;
use crate::error::{ErrorKind, RemediationError};
use crate::report::{AuditOutcome, Gate, GateCheck, Report};

impl Attempt<'_> {
    pub(super) fn pass(&mut self, gate: Gate, detail: String) {
        self.report.gates.push(GateCheck {
            gate,
            passed: true,
            detail,
        });
    }

    fn record(&self) -> AuditRecord {
        // A report always serializes (string keys, no maps with other keys); `Null` is unreachable.
        let entry = serde_json::to_value(&self.report).unwrap_or(serde_json::Value::Null);
        let mut rec = AuditRecord::intent(
            self.report.audit_id.clone(),
            self.at,
            self.report.operator.clone(),
            self.report.role.as_str(),
            self.report.action.as_str(),
            entry,
        )
        .with_origin(self.report.origin.clone());
        if let Some(t) = &self.report.target {
            rec.target_id = Some(t.id.clone());
            rec.target_upn = t.user_principal_name.clone();
        }
        rec
    }

    pub(super) async fn write_intent(&mut self) -> Result<(), RemediationError> {
        let rec = self.record();
        match self.r.store.append_audit(&self.r.tenant, &rec).await {
            Ok(_) => {
                self.intent_written = true;
                Ok(())
            }
            Err(e) => Err(RemediationError::new(ErrorKind::Audit {
                context: format!("the intent of {}", self.report.action),
            })
            .with_source(Box::new(e))),
        }
    }

    /// Writes the outcome entry: after the intent when one was written (the chain then holds
    /// both), or alone when a gate refused before any call (the first two gates).
    async fn write_outcome(&mut self) -> Result<(), RemediationError> {
        let mut rec = self.record();
        rec.outcome = self.report.outcome;
        rec.completed_at = Some(self.r.clock.now());
        tracing::info!(
            audit_id = %rec.id,
            action = %rec.action,
            operator = %rec.operator,
            role = %rec.role,
            os_user = rec.origin.as_ref().map_or("", |o| o.os_user.as_str()),
            target_id = rec.target_id.as_deref().unwrap_or(""),
            outcome = %rec.outcome,
            "remediation attempt"
        );
        match self.r.store.append_audit(&self.r.tenant, &rec).await {
            Ok(_) => Ok(()),
            Err(e) if self.intent_written => {
                Err(RemediationError::new(ErrorKind::AuditIncomplete {
                    audit_id: rec.id,
                    outcome: rec.outcome,
                })
                .with_source(Box::new(e)))
            }
            Err(e) => Err(RemediationError::new(ErrorKind::Audit {
                context: format!("the {} outcome of {}", rec.outcome, rec.action),
            })
            .with_source(Box::new(e))),
        }
    }

    pub(super) async fn refuse(&mut self, gate: Gate, kind: ErrorKind) -> RemediationError {
        let err = RemediationError::new(kind);
        self.report.gates.push(GateCheck {
            gate,
            passed: false,
            detail: err.to_string(),
        });
        self.finish_err(err).await
    }

    pub(super) async fn finish_err(&mut self, err: RemediationError) -> RemediationError {
        if err.is_refusal() {
            self.report.outcome = AuditOutcome::Refused;
            if !self.report.gates.iter().any(|g| !g.passed) {
                let gate = err.gate().unwrap_or(Gate::TargetRules);
                self.report.gates.push(GateCheck {
                    gate,
                    passed: false,
                    detail: err.to_string(),
                });
            }
        } else {
            self.report.outcome = AuditOutcome::Failed;
        }
        self.report.error = Some(err.to_string());
        match self.write_outcome().await {
            Ok(()) => err.with_report(self.report.clone()),
            Err(audit) => audit.with_report(self.report.clone()),
        }
    }

    pub(super) async fn finish_ok(&mut self) -> Result<Report, RemediationError> {
        self.write_outcome()
            .await
            .map_err(|e| e.with_report(self.report.clone()))?;
        Ok(self.report.clone())
    }
}

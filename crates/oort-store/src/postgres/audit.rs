//! The remediation audit trail in PostgreSQL.

use async_trait::async_trait;

use super::PostgresStore;
use crate::error::StoreError;
use crate::rows;
use crate::{AuditRecord, AuditStore};

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, tenant: &str, r: &AuditRecord) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO audit_log (tenant_id, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            &[&tenant, &r.id, &r.at, &r.operator, &r.role, &r.action, &r.target_id, &r.target_upn, &r.outcome.as_str(), &r.completed_at, &r.entry.to_string()],
        )
        .await?;
        Ok(())
    }
    async fn complete_audit(&self, tenant: &str, r: &AuditRecord) -> Result<bool, StoreError> {
        let completed = r.completed_at.unwrap_or(r.at);
        let rows = self
            .query(
                "UPDATE audit_log SET target_id = $3, target_upn = $4, outcome = $5, completed_at = $6, entry_json = $7 WHERE tenant_id = $1 AND id = $2 AND completed_at IS NULL RETURNING id",
                &[&tenant, &r.id, &r.target_id, &r.target_upn, &r.outcome.as_str(), &completed, &r.entry.to_string()],
            )
            .await?;
        Ok(rows.len() == 1)
    }
    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self
            .query("SELECT id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json FROM audit_log WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2", &[&tenant, &(limit as i64)])
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                let entry = serde_json::from_str(r.get(9))
                    .map_err(|e| StoreError::corrupt("audit_log", id.clone(), e))?;
                Ok(AuditRecord {
                    outcome: rows::stored_name("audit_log", &id, r.get(7))?,
                    id,
                    at: r.get(1),
                    operator: r.get(2),
                    role: r.get(3),
                    action: r.get(4),
                    target_id: r.get(5),
                    target_upn: r.get(6),
                    completed_at: r.get(8),
                    entry,
                })
            })
            .collect()
    }
}

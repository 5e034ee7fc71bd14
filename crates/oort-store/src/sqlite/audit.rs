//! The remediation audit trail in SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{opt_ts, required, SqliteStore};
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::{AuditRecord, AuditStore};

/// An audit entry from its 10 columns as text (`audit_log` below).
fn audit_from_text(text: [Option<String>; 10]) -> Result<AuditRecord, StoreError> {
    let [id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry] =
        text;
    let id = id.unwrap_or_default();
    let t = "audit_log";
    Ok(AuditRecord {
        at: rows::stored_ts(t, &id, &required(t, &id, at)?)?,
        operator: required(t, &id, operator)?,
        role: required(t, &id, role)?,
        action: required(t, &id, action)?,
        target_id,
        target_upn,
        outcome: rows::stored_name(t, &id, &required(t, &id, outcome)?)?,
        completed_at: rows::stored_opt_ts(t, &id, completed_at.as_deref())?,
        entry: serde_json::from_str(&required(t, &id, entry)?)
            .map_err(|e| StoreError::corrupt(t, id.clone(), e))?,
        id,
    })
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, tenant: &str, record: &AuditRecord) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        let r = record.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO audit_log (tenant_id, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![tenant, r.id, ts_text(r.at), r.operator, r.role, r.action, r.target_id, r.target_upn, r.outcome.as_str(), opt_ts(r.completed_at), r.entry.to_string()],
            )
            .map_err(db_err("append an audit entry"))?;
            Ok(())
        })
        .await
    }
    async fn complete_audit(&self, tenant: &str, record: &AuditRecord) -> Result<bool, StoreError> {
        let tenant = tenant.to_owned();
        let r = record.clone();
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE audit_log SET target_id = ?3, target_upn = ?4, outcome = ?5, completed_at = ?6, entry_json = ?7 WHERE tenant_id = ?1 AND id = ?2 AND completed_at IS NULL",
                    params![tenant, r.id, r.target_id, r.target_upn, r.outcome.as_str(), opt_ts(Some(r.completed_at.unwrap_or(r.at))), r.entry.to_string()],
                )
                .map_err(db_err("complete an audit entry"))?;
            Ok(n == 1)
        })
        .await
    }
    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json FROM audit_log WHERE tenant_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2")
                .map_err(db_err("read the audit log"))?;
            let rows = stmt
                .query_map(params![tenant, limit as i64], |r| {
                    let text: [Option<String>; 10] = [
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?,
                        r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?,
                    ];
                    Ok(text)
                })
                .map_err(db_err("read the audit log"))?;
            let mut out = Vec::new();
            for row in rows {
                let text = row.map_err(db_err("read an audit entry"))?;
                out.push(audit_from_text(text)?);
            }
            Ok(out)
        })
        .await
    }
}

//! Findings by fingerprint in SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{count, required, upsert, SqliteStore};
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::{FindingFilter, FindingStore, StoredFinding, WriteContext, WriteSummary};

/// A finding from its 12 columns as text (`findings` below).
fn finding_from_text(text: [Option<String>; 12]) -> Result<StoredFinding, StoreError> {
    let [fingerprint, check_id, kind, severity, status, subject, summary, first, last, notified, notified_at, json] =
        text;
    let fingerprint = fingerprint.unwrap_or_default();
    let id = fingerprint.as_str();
    let t = "findings";
    Ok(StoredFinding {
        check_id: required(t, id, check_id)?,
        kind: rows::stored_name(t, id, &required(t, id, kind)?)?,
        severity: rows::stored_name(t, id, &required(t, id, severity)?)?,
        status: rows::stored_name(t, id, &required(t, id, status)?)?,
        subject: required(t, id, subject)?,
        summary: required(t, id, summary)?,
        first_seen: rows::stored_ts(t, id, &required(t, id, first)?)?,
        last_seen: rows::stored_ts(t, id, &required(t, id, last)?)?,
        notified_status: notified.map(|s| rows::stored_name(t, id, &s)).transpose()?,
        notified_at: rows::stored_opt_ts(t, id, notified_at.as_deref())?,
        json: serde_json::from_str(&required(t, id, json)?)
            .map_err(|e| StoreError::corrupt(t, id, e))?,
        fingerprint,
    })
}

#[async_trait]
impl FindingStore for SqliteStore {
    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError> {
        let tenant = ctx.tenant.to_owned();
        let now = ts_text(ctx.now);
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            let mut summary = WriteSummary::default();
            for f in &findings {
                let inserted = upsert(
                    &tx,
                    "INSERT INTO findings (tenant_id, fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, updated_at, finding_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING",
                    "UPDATE findings SET check_id = ?3, kind = ?4, severity = ?5, status = ?6, subject = ?7, summary = ?8, first_seen = ?9, last_seen = ?10, updated_at = ?11, finding_json = ?12 WHERE tenant_id = ?1 AND fingerprint = ?2",
                    &[&tenant, &f.fingerprint, &f.check_id, &f.kind.as_str(), &f.severity.as_str(), &f.status.as_str(), &f.subject, &f.summary, &ts_text(f.first_seen), &ts_text(f.last_seen), &now, &f.json.to_string()],
                )?;
                count(&mut summary, inserted);
            }
            tx.commit().map_err(db_err("commit findings"))?;
            Ok(summary)
        })
        .await
    }
    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, notified_status, notified_at, finding_json FROM findings WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR check_id = ?3) ORDER BY last_seen DESC, fingerprint")
                .map_err(db_err("read findings"))?;
            let rows = stmt
                .query_map(params![tenant, filter.status.map(|s| s.as_str()), filter.check_id], |r| {
                    let text: [Option<String>; 12] = [
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?,
                        r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?,
                    ];
                    Ok(text)
                })
                .map_err(db_err("read findings"))?;
            let mut out = Vec::new();
            for row in rows {
                let text = row.map_err(db_err("read a finding"))?;
                out.push(finding_from_text(text)?);
            }
            Ok(out)
        })
        .await
    }
}

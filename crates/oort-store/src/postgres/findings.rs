//! Findings by fingerprint in PostgreSQL.

use async_trait::async_trait;

use super::{upsert, PostgresStore};
use crate::error::{db_err, StoreError};
use crate::rows;
use crate::{FindingFilter, FindingStore, StoredFinding, WriteContext, WriteSummary};

#[async_trait]
impl FindingStore for PostgresStore {
    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        let mut summary = WriteSummary::default();
        for f in &findings {
            upsert(
                &tx,
                "INSERT INTO findings (tenant_id, fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, updated_at, finding_json) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET check_id = EXCLUDED.check_id, \
                 kind = EXCLUDED.kind, severity = EXCLUDED.severity, status = EXCLUDED.status, subject = EXCLUDED.subject, summary = EXCLUDED.summary, \
                 first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, updated_at = EXCLUDED.updated_at, finding_json = EXCLUDED.finding_json RETURNING (xmax = 0)",
                &[&ctx.tenant, &f.fingerprint, &f.check_id, &f.kind.as_str(), &f.severity.as_str(), &f.status.as_str(), &f.subject, &f.summary, &f.first_seen, &f.last_seen, &ctx.now, &f.json.to_string()],
                &mut summary,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err("commit findings"))?;
        Ok(summary)
    }
    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let rows = self
            .query(
                "SELECT fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, notified_status, notified_at, finding_json FROM findings \
                 WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR check_id = $3) ORDER BY last_seen DESC, fingerprint",
                &[&tenant, &filter.status.map(|s| s.as_str()), &filter.check_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let fingerprint: String = r.get(0);
                let json = serde_json::from_str(r.get(11))
                    .map_err(|e| StoreError::corrupt("findings", fingerprint.clone(), e))?;
                let notified_status: Option<&str> = r.get(9);
                Ok(StoredFinding {
                    check_id: r.get(1),
                    kind: rows::stored_name("findings", &fingerprint, r.get(2))?,
                    severity: rows::stored_name("findings", &fingerprint, r.get(3))?,
                    status: rows::stored_name("findings", &fingerprint, r.get(4))?,
                    subject: r.get(5),
                    summary: r.get(6),
                    first_seen: r.get(7),
                    last_seen: r.get(8),
                    notified_status: notified_status
                        .map(|s| rows::stored_name("findings", &fingerprint, s))
                        .transpose()?,
                    fingerprint,
                    notified_at: r.get(10),
                    json,
                })
            })
            .collect()
    }
}

//! Sign-ins in time order, counts, the change mark and retention in PostgreSQL.

use async_trait::async_trait;
use entra_model::{Raw, SignIn};
use time::OffsetDateTime;

use super::PostgresStore;
use crate::error::{db_err, StoreError};
use crate::rows::{parse_raw, prune_targets, PRUNE_BATCH};
use crate::{ActivityStore, PruneSummary, SignInChanges, SignInQuery};

#[async_trait]
impl ActivityStore for PostgresStore {
    async fn sign_ins(
        &self,
        tenant: &str,
        query: SignInQuery,
    ) -> Result<Vec<Raw<SignIn>>, StoreError> {
        let limit = if query.limit == 0 { 1_000 } else { query.limit } as i64;
        let (after_t, after_id) = match &query.after {
            Some((t, id)) => (Some(*t), Some(id.clone())),
            None => (None, None),
        };
        let rows = self
            .query(
                "SELECT id, raw_json FROM sign_ins WHERE tenant_id = $1 AND created_at IS NOT NULL \
                 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3) \
                 AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::text)) \
                 ORDER BY created_at, id LIMIT $6",
                &[&tenant, &query.from, &query.until, &after_t, &after_id, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| parse_raw("sign_ins", r.get(0), r.get(1)))
            .collect()
    }
    async fn sign_in_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let rows = self
            .query(
                "SELECT COUNT(*) FROM sign_ins WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }
    async fn directory_audit_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let rows = self
            .query(
                "SELECT COUNT(*) FROM directory_audits WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }
    async fn sign_in_changes(&self, tenant: &str) -> Result<Option<SignInChanges>, StoreError> {
        let rows = self
            .query(
                "SELECT earliest, writes FROM sign_in_changes WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        Ok(rows.first().map(|r| SignInChanges {
            earliest: r.get(0),
            version: r.get(1),
        }))
    }
    async fn clear_sign_in_changes(&self, tenant: &str, version: i64) -> Result<bool, StoreError> {
        let rows = self
            .query(
                "DELETE FROM sign_in_changes WHERE tenant_id = $1 AND writes = $2 RETURNING writes",
                &[&tenant, &version],
            )
            .await?;
        Ok(rows.len() == 1)
    }
    async fn prune(
        &self,
        tenant: &str,
        before: OffsetDateTime,
    ) -> Result<PruneSummary, StoreError> {
        let mut summary = PruneSummary::default();
        for (table, column, count) in prune_targets(&mut summary) {
            // Through the time index, a batch per transaction.
            let sql = format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND id IN (SELECT id FROM {table} \
                 WHERE tenant_id = $1 AND {column} < $2 LIMIT {PRUNE_BATCH})"
            );
            loop {
                let deleted = {
                    let client = self.client.lock().await;
                    client
                        .execute(sql.as_str(), &[&tenant, &before])
                        .await
                        .map_err(db_err("delete rows older than the retention"))?
                };
                *count += deleted;
                if deleted < PRUNE_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(summary)
    }
}

//! Items a collection stream set aside, in PostgreSQL.

use async_trait::async_trait;

use super::{upsert, PostgresStore};
use crate::error::{db_err, StoreError};
use crate::rows;
use crate::{
    RejectedCount, RejectedItem, RejectedStore, StoredRejectedItem, StreamKind, WriteContext,
    WriteSummary,
};

#[async_trait]
impl RejectedStore for PostgresStore {
    async fn record_rejected(
        &self,
        ctx: WriteContext<'_>,
        items: &[RejectedItem],
    ) -> Result<WriteSummary, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        let mut summary = WriteSummary::default();
        for item in items {
            // `xmax = 0`: the row was inserted, not updated.
            upsert(
                &tx,
                "INSERT INTO rejected_items (tenant_id, stream, item_key, error, raw_json, first_rejected_at, last_rejected_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT (tenant_id, stream, item_key) DO UPDATE SET error = EXCLUDED.error, raw_json = EXCLUDED.raw_json, last_rejected_at = EXCLUDED.last_rejected_at \
                 RETURNING (xmax = 0)",
                &[
                    &ctx.tenant,
                    &item.stream.as_str(),
                    &item.item_key,
                    &item.error,
                    &item.raw_json,
                    &ctx.now,
                ],
                &mut summary,
            )
            .await?;
        }
        tx.commit().await.map_err(db_err("commit rejected items"))?;
        Ok(summary)
    }

    async fn rejected_items(
        &self,
        tenant: &str,
        stream: Option<StreamKind>,
        limit: usize,
    ) -> Result<Vec<StoredRejectedItem>, StoreError> {
        let stream = stream.map(StreamKind::as_str);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self
            .query(
                "SELECT stream, item_key, error, raw_json, first_rejected_at, last_rejected_at FROM rejected_items \
                 WHERE tenant_id = $1 AND ($2::TEXT IS NULL OR stream = $2) \
                 ORDER BY first_rejected_at, stream, item_key LIMIT $3",
                &[&tenant, &stream, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let key: String = r.get(1);
                Ok(StoredRejectedItem {
                    item: RejectedItem::new(
                        rows::stored_name("rejected_items", &key, r.get(0))?,
                        key.clone(),
                        r.get::<_, String>(3),
                        r.get::<_, String>(2),
                    ),
                    first_rejected_at: r.get(4),
                    last_rejected_at: r.get(5),
                })
            })
            .collect()
    }

    async fn rejected_counts(&self, tenant: &str) -> Result<Vec<RejectedCount>, StoreError> {
        let rows = self
            .query(
                "SELECT stream, COUNT(*) FROM rejected_items WHERE tenant_id = $1 GROUP BY stream ORDER BY stream",
                &[&tenant],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let stream: &str = r.get(0);
                Ok(RejectedCount {
                    stream: rows::stored_name("rejected_items", stream, stream)?,
                    count: r.get::<_, i64>(1).max(0) as u64,
                })
            })
            .collect()
    }

    async fn delete_rejected(
        &self,
        tenant: &str,
        stream: StreamKind,
        item_keys: &[String],
    ) -> Result<u64, StoreError> {
        let client = self.client.lock().await;
        client
            .execute(
                "DELETE FROM rejected_items WHERE tenant_id = $1 AND stream = $2 AND item_key = ANY($3)",
                &[&tenant, &stream.as_str(), &item_keys],
            )
            .await
            .map_err(db_err("delete rejected items"))
    }
}

//! Items a collection stream set aside, in SQLite.

use async_trait::async_trait;
use rusqlite::params;

use super::{count, upsert, SqliteStore};
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::{
    RejectedCount, RejectedItem, RejectedStore, StoredRejectedItem, StreamKind, WriteContext,
    WriteSummary,
};

#[async_trait]
impl RejectedStore for SqliteStore {
    async fn record_rejected(
        &self,
        ctx: WriteContext<'_>,
        items: &[RejectedItem],
    ) -> Result<WriteSummary, StoreError> {
        let tenant = ctx.tenant.to_owned();
        let at = ts_text(ctx.now);
        let items = items.to_vec();
        let summary = self
            .with(move |conn| {
                let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
                let mut summary = WriteSummary::default();
                for item in &items {
                    let inserted = upsert(
                        &tx,
                        "INSERT INTO rejected_items (tenant_id, stream, item_key, error, raw_json, first_rejected_at, last_rejected_at) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING",
                        "UPDATE rejected_items SET error = ?4, raw_json = ?5, last_rejected_at = ?6 \
                         WHERE tenant_id = ?1 AND stream = ?2 AND item_key = ?3",
                        params![tenant, item.stream.as_str(), item.item_key, item.error, item.raw_json, at],
                    )?;
                    count(&mut summary, inserted);
                }
                tx.commit().map_err(db_err("commit rejected items"))?;
                Ok(summary)
            })
            .await?;
        self.committed();
        Ok(summary)
    }

    async fn rejected_items(
        &self,
        tenant: &str,
        stream: Option<StreamKind>,
        limit: usize,
    ) -> Result<Vec<StoredRejectedItem>, StoreError> {
        let tenant = tenant.to_owned();
        let stream = stream.map(StreamKind::as_str);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT stream, item_key, error, raw_json, first_rejected_at, last_rejected_at FROM rejected_items \
                     WHERE tenant_id = ?1 AND (?2 IS NULL OR stream = ?2) \
                     ORDER BY first_rejected_at, stream, item_key LIMIT ?3",
                )
                .map_err(db_err("read rejected items"))?;
            let rows = stmt
                .query_map(params![tenant, stream, limit], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .map_err(db_err("read rejected items"))?;
            let mut out = Vec::new();
            for row in rows {
                let (stream, key, error, raw_json, first, last) =
                    row.map_err(db_err("read a rejected item"))?;
                out.push(StoredRejectedItem {
                    item: RejectedItem::new(
                        rows::stored_name("rejected_items", &key, &stream)?,
                        key.clone(),
                        raw_json,
                        error,
                    ),
                    first_rejected_at: rows::stored_ts("rejected_items", &key, &first)?,
                    last_rejected_at: rows::stored_ts("rejected_items", &key, &last)?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn rejected_counts(&self, tenant: &str) -> Result<Vec<RejectedCount>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT stream, COUNT(*) FROM rejected_items WHERE tenant_id = ?1 GROUP BY stream ORDER BY stream",
                )
                .map_err(db_err("count rejected items"))?;
            let rows = stmt
                .query_map(params![tenant], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })
                .map_err(db_err("count rejected items"))?;
            let mut out = Vec::new();
            for row in rows {
                let (stream, n) = row.map_err(db_err("count rejected items"))?;
                out.push(RejectedCount {
                    stream: rows::stored_name("rejected_items", &stream, &stream)?,
                    count: n.max(0) as u64,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn delete_rejected(
        &self,
        tenant: &str,
        stream: StreamKind,
        item_keys: &[String],
    ) -> Result<u64, StoreError> {
        let tenant = tenant.to_owned();
        let keys = item_keys.to_vec();
        let deleted = self
            .with(move |conn| {
                let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
                let mut deleted = 0u64;
                {
                    let mut stmt = tx
                        .prepare_cached(
                            "DELETE FROM rejected_items WHERE tenant_id = ?1 AND stream = ?2 AND item_key = ?3",
                        )
                        .map_err(db_err("delete rejected items"))?;
                    for key in &keys {
                        deleted += stmt
                            .execute(params![tenant, stream.as_str(), key])
                            .map_err(db_err("delete rejected items"))?
                            as u64;
                    }
                }
                tx.commit().map_err(db_err("commit deleted rejected items"))?;
                Ok(deleted)
            })
            .await?;
        self.committed();
        Ok(deleted)
    }
}

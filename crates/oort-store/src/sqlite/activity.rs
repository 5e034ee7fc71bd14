//! Sign-ins in time order, counts, the change mark and retention in SQLite.

use async_trait::async_trait;
use entra_model::{Raw, SignIn};
use rusqlite::{params, OptionalExtension};
use time::OffsetDateTime;

use super::SqliteStore;
use crate::error::{db_err, StoreError, StoreErrorKind};
use crate::rows::{parse_raw, parse_ts, prune_targets, ts_text, PRUNE_BATCH};
use crate::{ActivityStore, PruneSummary, SignInChanges, SignInQuery};

#[async_trait]
impl ActivityStore for SqliteStore {
    async fn sign_ins(
        &self,
        tenant: &str,
        query: SignInQuery,
    ) -> Result<Vec<Raw<SignIn>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let limit = if query.limit == 0 { 1_000 } else { query.limit } as i64;
            let from = query.from.map(ts_text);
            let until = query.until.map(ts_text);
            let (after_t, after_id) = match &query.after {
                Some((t, id)) => (Some(ts_text(*t)), Some(id.clone())),
                None => (None, None),
            };
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, raw_json FROM sign_ins WHERE tenant_id = ?1 AND created_at IS NOT NULL \
                     AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) \
                     AND (?4 IS NULL OR created_at > ?4 OR (created_at = ?4 AND id > ?5)) \
                     ORDER BY created_at, id LIMIT ?6",
                )
                .map_err(db_err("read sign-ins"))?;
            let rows = stmt
                .query_map(params![tenant, from, until, after_t, after_id, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(db_err("read sign-ins"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, json) = row.map_err(db_err("read a sign-in"))?;
                out.push(parse_raw("sign_ins", &id, &json)?);
            }
            Ok(out)
        })
        .await
    }
    async fn sign_in_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM sign_ins WHERE tenant_id = ?1",
                [tenant],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db_err("count sign-ins"))
        })
        .await
    }
    async fn directory_audit_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM directory_audits WHERE tenant_id = ?1",
                [tenant],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db_err("count directory audits"))
        })
        .await
    }
    async fn sign_in_changes(&self, tenant: &str) -> Result<Option<SignInChanges>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let row = conn
                .query_row(
                    "SELECT earliest, writes FROM sign_in_changes WHERE tenant_id = ?1",
                    [&tenant],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
                )
                .optional()
                .map_err(db_err("read the sign-in changes"))?;
            let Some((earliest, version)) = row else {
                return Ok(None);
            };
            let earliest = parse_ts(&earliest).ok_or_else(|| {
                StoreError::new(
                    StoreErrorKind::Corrupt {
                        table: "sign_in_changes",
                        id: tenant.clone(),
                    },
                    "a stored time",
                    None,
                )
            })?;
            Ok(Some(SignInChanges { earliest, version }))
        })
        .await
    }
    async fn clear_sign_in_changes(&self, tenant: &str, version: i64) -> Result<bool, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM sign_in_changes WHERE tenant_id = ?1 AND writes = ?2",
                params![tenant, version],
            )
            .map(|n| n == 1)
            .map_err(db_err("clear the sign-in changes"))
        })
        .await
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
                "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} \
                 WHERE tenant_id = ?1 AND {column} < ?2 LIMIT {PRUNE_BATCH})"
            );
            loop {
                let (tenant, before, sql) = (tenant.to_owned(), ts_text(before), sql.clone());
                let deleted = self
                    .with(move |conn| {
                        conn.execute(&sql, params![tenant, before])
                            .map_err(db_err("delete rows older than the retention"))
                    })
                    .await?;
                self.committed();
                *count += deleted as u64;
                if deleted < PRUNE_BATCH {
                    break;
                }
            }
        }
        Ok(summary)
    }
}

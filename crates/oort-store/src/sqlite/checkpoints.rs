//! Stream checkpoints and collection runs in SQLite.

use async_trait::async_trait;
use rusqlite::{params, Transaction};

use super::{opt_ts, SqliteStore};
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::{Checkpoint, CheckpointStore, CollectionRun};

pub(super) fn put_checkpoint(
    tx: &Transaction<'_>,
    tenant: &str,
    c: &Checkpoint,
) -> Result<(), StoreError> {
    let value = c.value.to_string();
    tx.prepare_cached(
        "INSERT INTO checkpoints (tenant_id, stream, key, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, stream, key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut s| s.execute(params![tenant, c.stream, c.key, value]))
    .map_err(db_err("save a checkpoint"))?;
    Ok(())
}

#[async_trait]
impl CheckpointStore for SqliteStore {
    async fn save_checkpoint(
        &self,
        tenant: &str,
        checkpoint: Checkpoint,
    ) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            put_checkpoint(&tx, &tenant, &checkpoint)?;
            tx.commit().map_err(db_err("commit a checkpoint"))
        })
        .await
    }
    async fn checkpoints(&self, tenant: &str, stream: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let (tenant, stream) = (tenant.to_owned(), stream.to_owned());
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT key, value FROM checkpoints WHERE tenant_id = ?1 AND stream = ?2 ORDER BY key")
                .map_err(db_err("read checkpoints"))?;
            let rows = stmt
                .query_map(params![tenant, stream], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_err("read checkpoints"))?;
            let mut out = Vec::new();
            for row in rows {
                let (key, value) = row.map_err(db_err("read a checkpoint"))?;
                let value = serde_json::from_str(&value)
                    .map_err(|e| StoreError::corrupt("checkpoints", key.clone(), e))?;
                out.push(Checkpoint::new(stream.clone(), key, value));
            }
            Ok(out)
        })
        .await
    }
    async fn delete_checkpoint(
        &self,
        tenant: &str,
        stream: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let (tenant, stream, key) = (tenant.to_owned(), stream.to_owned(), key.to_owned());
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM checkpoints WHERE tenant_id = ?1 AND stream = ?2 AND key = ?3",
                params![tenant, stream, key],
            )
            .map_err(db_err("delete a checkpoint"))?;
            Ok(())
        })
        .await
    }
    async fn record_run(&self, tenant: &str, run: &CollectionRun) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        let run = run.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO collection_runs (tenant_id, id, started_at, finished_at, status, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status, report = excluded.report",
                params![tenant, run.id, ts_text(run.started_at), opt_ts(run.finished_at), run.status.as_str(), run.report.to_string()],
            )
            .map_err(db_err("record a run"))?;
            Ok(())
        })
        .await
    }
    async fn runs(&self, tenant: &str, limit: usize) -> Result<Vec<CollectionRun>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id, started_at, finished_at, status, report FROM collection_runs WHERE tenant_id = ?1 ORDER BY started_at DESC LIMIT ?2")
                .map_err(db_err("read runs"))?;
            let rows = stmt
                .query_map(params![tenant, limit as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
                })
                .map_err(db_err("read runs"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, started, finished, status, report) = row.map_err(db_err("read a run"))?;
                let report = serde_json::from_str(&report).map_err(|e| StoreError::corrupt("collection_runs", id.clone(), e))?;
                out.push(CollectionRun {
                    started_at: rows::stored_ts("collection_runs", &id, &started)?,
                    finished_at: rows::stored_opt_ts("collection_runs", &id, finished.as_deref())?,
                    status: rows::stored_name("collection_runs", &id, &status)?,
                    id,
                    report,
                });
            }
            Ok(out)
        })
        .await
    }
}

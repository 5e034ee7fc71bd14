//! Stream checkpoints and collection runs in PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::Transaction;

use super::{mark, PostgresStore};
use crate::error::{db_err, StoreError};
use crate::rows;
use crate::{Checkpoint, CheckpointStore, CollectionRun};

pub(super) async fn put_checkpoint(
    tx: &Transaction<'_>,
    tenant: &str,
    c: &Checkpoint,
) -> Result<(), StoreError> {
    mark(
        tx,
        "INSERT INTO checkpoints (tenant_id, stream, key, value) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, stream, key) DO UPDATE SET value = EXCLUDED.value",
        &[&tenant, &c.stream, &c.key, &c.value.to_string()],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl CheckpointStore for PostgresStore {
    async fn save_checkpoint(
        &self,
        tenant: &str,
        checkpoint: Checkpoint,
    ) -> Result<(), StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        put_checkpoint(&tx, tenant, &checkpoint).await?;
        tx.commit().await.map_err(db_err("commit a checkpoint"))
    }
    async fn checkpoints(&self, tenant: &str, stream: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = self.query("SELECT key, value FROM checkpoints WHERE tenant_id = $1 AND stream = $2 ORDER BY key", &[&tenant, &stream]).await?;
        rows.iter()
            .map(|r| {
                let key: String = r.get(0);
                let value: &str = r.get(1);
                let value = serde_json::from_str(value)
                    .map_err(|e| StoreError::corrupt("checkpoints", key.clone(), e))?;
                Ok(Checkpoint::new(stream, key, value))
            })
            .collect()
    }
    async fn delete_checkpoint(
        &self,
        tenant: &str,
        stream: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        self.query("DELETE FROM checkpoints WHERE tenant_id = $1 AND stream = $2 AND key = $3 RETURNING key", &[&tenant, &stream, &key]).await?;
        Ok(())
    }
    async fn record_run(&self, tenant: &str, run: &CollectionRun) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO collection_runs (tenant_id, id, started_at, finished_at, status, report) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET finished_at = EXCLUDED.finished_at, status = EXCLUDED.status, report = EXCLUDED.report RETURNING id",
            &[&tenant, &run.id, &run.started_at, &run.finished_at, &run.status.as_str(), &run.report.to_string()],
        )
        .await?;
        Ok(())
    }
    async fn runs(&self, tenant: &str, limit: usize) -> Result<Vec<CollectionRun>, StoreError> {
        let rows = self.query("SELECT id, started_at, finished_at, status, report FROM collection_runs WHERE tenant_id = $1 ORDER BY started_at DESC LIMIT $2", &[&tenant, &(limit as i64)]).await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                let report = serde_json::from_str(r.get(4))
                    .map_err(|e| StoreError::corrupt("collection_runs", id.clone(), e))?;
                Ok(CollectionRun {
                    started_at: r.get(1),
                    finished_at: r.get(2),
                    status: rows::stored_name("collection_runs", &id, r.get(3))?,
                    report,
                    id,
                })
            })
            .collect()
    }
}

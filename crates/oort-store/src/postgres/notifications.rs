//! What was notified about findings, per channel, in PostgreSQL.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PostgresStore;
use crate::error::{db_err, StoreError};
use crate::rows;
use crate::{FindingStatus, NotificationRecord, NotificationStore};

#[async_trait]
impl NotificationStore for PostgresStore {
    async fn record_notification(
        &self,
        tenant: &str,
        fingerprint: &str,
        status: FindingStatus,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.query("UPDATE findings SET notified_status = $3, notified_at = $4 WHERE tenant_id = $1 AND fingerprint = $2 RETURNING fingerprint", &[&tenant, &fingerprint, &status.as_str(), &at]).await?;
        Ok(())
    }
    async fn notifications(&self, tenant: &str) -> Result<Vec<NotificationRecord>, StoreError> {
        let rows = self
            .query(
                "SELECT fingerprint, channel, status, notified_at FROM finding_notifications WHERE tenant_id = $1 ORDER BY fingerprint, channel",
                &[&tenant],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let fingerprint: String = r.get(0);
                Ok(NotificationRecord {
                    status: rows::stored_name("finding_notifications", &fingerprint, r.get(2))?,
                    fingerprint,
                    channel: r.get(1),
                    notified_at: r.get(3),
                })
            })
            .collect()
    }
    async fn record_channel_notifications(
        &self,
        tenant: &str,
        records: &[NotificationRecord],
    ) -> Result<(), StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        let channel = tx
            .prepare(
                "INSERT INTO finding_notifications (tenant_id, fingerprint, channel, status, notified_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, fingerprint, channel) DO UPDATE SET status = EXCLUDED.status, notified_at = EXCLUDED.notified_at",
            )
            .await
            .map_err(db_err("record a notification"))?;
        let finding = tx
            .prepare("UPDATE findings SET notified_status = $3, notified_at = $4 WHERE tenant_id = $1 AND fingerprint = $2")
            .await
            .map_err(db_err("record a notification"))?;
        for r in records {
            tx.execute(
                &channel,
                &[
                    &tenant,
                    &r.fingerprint,
                    &r.channel,
                    &r.status.as_str(),
                    &r.notified_at,
                ],
            )
            .await
            .map_err(db_err("record a notification"))?;
            tx.execute(
                &finding,
                &[&tenant, &r.fingerprint, &r.status.as_str(), &r.notified_at],
            )
            .await
            .map_err(db_err("record a notification"))?;
        }
        tx.commit().await.map_err(db_err("commit notifications"))
    }
}

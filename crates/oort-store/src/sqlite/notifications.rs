//! What was notified about findings, per channel, in SQLite.

use async_trait::async_trait;
use rusqlite::params;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::{FindingStatus, NotificationRecord, NotificationStore};

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn record_notification(
        &self,
        tenant: &str,
        fingerprint: &str,
        status: FindingStatus,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (tenant, fingerprint, status) =
            (tenant.to_owned(), fingerprint.to_owned(), status.as_str());
        self.with(move |conn| {
            conn.execute(
                "UPDATE findings SET notified_status = ?3, notified_at = ?4 WHERE tenant_id = ?1 AND fingerprint = ?2",
                params![tenant, fingerprint, status, ts_text(at)],
            )
            .map_err(db_err("record a notification"))?;
            Ok(())
        })
        .await
    }
    async fn notifications(&self, tenant: &str) -> Result<Vec<NotificationRecord>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT fingerprint, channel, status, notified_at FROM finding_notifications WHERE tenant_id = ?1 ORDER BY fingerprint, channel")
                .map_err(db_err("read notifications"))?;
            let rows = stmt
                .query_map(params![tenant], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(db_err("read notifications"))?;
            let mut out = Vec::new();
            for row in rows {
                let (fingerprint, channel, status, at) = row.map_err(db_err("read a notification"))?;
                out.push(NotificationRecord {
                    status: rows::stored_name("finding_notifications", &fingerprint, &status)?,
                    notified_at: rows::stored_ts("finding_notifications", &fingerprint, &at)?,
                    fingerprint,
                    channel,
                });
            }
            Ok(out)
        })
        .await
    }
    async fn record_channel_notifications(
        &self,
        tenant: &str,
        records: &[NotificationRecord],
    ) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        let records = records.to_vec();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            {
                let mut channel = tx
                    .prepare_cached("INSERT INTO finding_notifications (tenant_id, fingerprint, channel, status, notified_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, fingerprint, channel) DO UPDATE SET status = excluded.status, notified_at = excluded.notified_at")
                    .map_err(db_err("record a notification"))?;
                let mut finding = tx
                    .prepare_cached("UPDATE findings SET notified_status = ?3, notified_at = ?4 WHERE tenant_id = ?1 AND fingerprint = ?2")
                    .map_err(db_err("record a notification"))?;
                for r in &records {
                    let at = ts_text(r.notified_at);
                    channel
                        .execute(params![tenant, r.fingerprint, r.channel, r.status.as_str(), at])
                        .map_err(db_err("record a notification"))?;
                    finding
                        .execute(params![tenant, r.fingerprint, r.status.as_str(), at])
                        .map_err(db_err("record a notification"))?;
                }
            }
            tx.commit().map_err(db_err("commit notifications"))
        })
        .await
    }
}

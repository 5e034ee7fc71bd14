//! Tenants leased to the workers of a fleet, in SQLite (one connection: a transaction makes
//! the pick-and-claim atomic).

use async_trait::async_trait;
use rusqlite::params;
use time::OffsetDateTime;

use super::SqliteStore;
use crate::error::{db_err, StoreError};
use crate::rows::ts_text;
use crate::LeaseStore;

#[async_trait]
impl LeaseStore for SqliteStore {
    async fn register_tenant(&self, tenant: &str) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO tenants (tenant_id) VALUES (?1) ON CONFLICT DO NOTHING",
                [tenant],
            )
            .map_err(db_err("register a tenant"))?;
            Ok(())
        })
        .await
    }
    async fn acquire_lease(
        &self,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        let owner = owner.to_owned();
        self.with(move |conn| {
            // One connection, one writer: the transaction alone makes the pick-and-claim atomic.
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            let tenant: Option<String> = tx
                .query_row(
                    "SELECT tenant_id FROM tenants WHERE lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?1 ORDER BY lease_expires_at NULLS FIRST, tenant_id LIMIT 1",
                    [ts_text(now)],
                    |r| r.get(0),
                )
                .map(Some)
                .or_else(|e| if e == rusqlite::Error::QueryReturnedNoRows { Ok(None) } else { Err(e) })
                .map_err(db_err("pick a tenant"))?;
            if let Some(t) = &tenant {
                tx.execute(
                    "UPDATE tenants SET lease_owner = ?2, lease_expires_at = ?3 WHERE tenant_id = ?1",
                    params![t, owner, ts_text(now + ttl)],
                )
                .map_err(db_err("take a lease"))?;
            }
            tx.commit().map_err(db_err("commit a lease"))?;
            Ok(tenant)
        })
        .await
    }
    async fn renew_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let (tenant, owner) = (tenant.to_owned(), owner.to_owned());
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE tenants SET lease_expires_at = ?3 WHERE tenant_id = ?1 AND lease_owner = ?2 AND lease_expires_at > ?4",
                    params![tenant, owner, ts_text(now + ttl), ts_text(now)],
                )
                .map_err(db_err("renew a lease"))?;
            Ok(n == 1)
        })
        .await
    }
    async fn release_lease(&self, tenant: &str, owner: &str) -> Result<(), StoreError> {
        let (tenant, owner) = (tenant.to_owned(), owner.to_owned());
        self.with(move |conn| {
            conn.execute(
                "UPDATE tenants SET lease_owner = NULL, lease_expires_at = NULL WHERE tenant_id = ?1 AND lease_owner = ?2",
                params![tenant, owner],
            )
            .map_err(db_err("release a lease"))?;
            Ok(())
        })
        .await
    }
}

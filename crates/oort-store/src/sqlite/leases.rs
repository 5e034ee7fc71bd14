//! Tenants leased to the workers of a fleet or to one collection, in SQLite (a write
//! transaction taken up front makes each pick-and-claim atomic, across processes too).

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension, TransactionBehavior};
use time::OffsetDateTime;

use super::SqliteStore;
use crate::error::{db_err, StoreError};
use crate::rows::{stored_opt_ts, stored_ts, ts_text};
use crate::{Lease, LeaseClaim, LeaseStore};

/// The stored lease of `tenant` (`None` when nobody holds it).
fn stored_lease(conn: &rusqlite::Connection, tenant: &str) -> Result<Option<Lease>, StoreError> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = conn
        .query_row(
            "SELECT lease_owner, lease_since, lease_expires_at FROM tenants WHERE tenant_id = ?1",
            [tenant],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()
        .map_err(db_err("read a lease"))?;
    // An owner without an expiry holds nothing: every claim takes such a lease.
    let Some((Some(owner), since, Some(expires))) = row else {
        return Ok(None);
    };
    Ok(Some(Lease::new(
        tenant,
        owner,
        stored_opt_ts("tenants", tenant, since.as_deref())?,
        stored_ts("tenants", tenant, &expires)?,
    )))
}

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
            // IMMEDIATE: the write lock is taken (waited for) before the pick, so another
            // process cannot pick the same tenant between this one's read and its write.
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("begin a transaction"))?;
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
                    "UPDATE tenants SET lease_owner = ?2, lease_expires_at = ?3, lease_since = ?4 WHERE tenant_id = ?1",
                    params![t, owner, ts_text(now + ttl), ts_text(now)],
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
                "UPDATE tenants SET lease_owner = NULL, lease_expires_at = NULL, lease_since = NULL WHERE tenant_id = ?1 AND lease_owner = ?2",
                params![tenant, owner],
            )
            .map_err(db_err("release a lease"))?;
            Ok(())
        })
        .await
    }
    async fn claim_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LeaseClaim, StoreError> {
        let (tenant, owner) = (tenant.to_owned(), owner.to_owned());
        self.with(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("begin a transaction"))?;
            tx.execute(
                "INSERT INTO tenants (tenant_id) VALUES (?1) ON CONFLICT DO NOTHING",
                [&tenant],
            )
            .map_err(db_err("register a tenant"))?;
            let taken = tx
                .execute(
                    "UPDATE tenants SET \
                       lease_since = CASE WHEN lease_owner = ?2 AND lease_expires_at > ?4 THEN COALESCE(lease_since, ?4) ELSE ?4 END, \
                       lease_owner = ?2, lease_expires_at = ?3 \
                     WHERE tenant_id = ?1 AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= ?4 OR lease_owner = ?2)",
                    params![tenant, owner, ts_text(now + ttl), ts_text(now)],
                )
                .map_err(db_err("claim a lease"))?
                == 1;
            let lease = stored_lease(&tx, &tenant)?.ok_or_else(|| {
                StoreError::corrupt_value(
                    "tenants",
                    &tenant,
                    "a lease",
                    std::io::Error::other("the tenant's lease vanished inside its transaction"),
                )
            })?;
            tx.commit().map_err(db_err("commit a lease"))?;
            Ok(if taken {
                LeaseClaim::Taken(lease)
            } else {
                LeaseClaim::Held(lease)
            })
        })
        .await
    }
    async fn lease(&self, tenant: &str) -> Result<Option<Lease>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| stored_lease(conn, &tenant)).await
    }
}

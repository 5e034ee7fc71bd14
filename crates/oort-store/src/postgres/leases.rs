//! Tenants leased to the workers of a fleet (`FOR UPDATE SKIP LOCKED`) or to one collection,
//! in PostgreSQL.

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PostgresStore;
use crate::error::StoreError;
use crate::{Lease, LeaseClaim, LeaseStore};

#[async_trait]
impl LeaseStore for PostgresStore {
    async fn register_tenant(&self, tenant: &str) -> Result<(), StoreError> {
        self.query("INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING tenant_id", &[&tenant]).await?;
        Ok(())
    }
    async fn acquire_lease(
        &self,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        let expires = now + ttl;
        // Workers racing for tenants skip the rows another worker is claiming.
        let rows = self
            .query(
                "UPDATE tenants SET lease_owner = $1, lease_expires_at = $2, lease_since = $3 WHERE tenant_id = ( \
                   SELECT tenant_id FROM tenants WHERE lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= $3 \
                   ORDER BY lease_expires_at NULLS FIRST, tenant_id LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING tenant_id",
                &[&owner, &expires, &now],
            )
            .await?;
        Ok(rows.first().map(|r| r.get(0)))
    }
    async fn renew_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let rows = self
            .query(
                "UPDATE tenants SET lease_expires_at = $3 WHERE tenant_id = $1 AND lease_owner = $2 AND lease_expires_at > $4 RETURNING tenant_id",
                &[&tenant, &owner, &(now + ttl), &now],
            )
            .await?;
        Ok(rows.len() == 1)
    }
    async fn release_lease(&self, tenant: &str, owner: &str) -> Result<(), StoreError> {
        self.query("UPDATE tenants SET lease_owner = NULL, lease_expires_at = NULL, lease_since = NULL WHERE tenant_id = $1 AND lease_owner = $2 RETURNING tenant_id", &[&tenant, &owner]).await?;
        Ok(())
    }
    async fn claim_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<LeaseClaim, StoreError> {
        self.query(
            "INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING tenant_id",
            &[&tenant],
        )
        .await?;
        let expires = now + ttl;
        // Claimers racing for the row: the second waits on the first's row lock, then
        // re-checks the condition against the row the first wrote (READ COMMITTED) and takes
        // nothing. The holder may give it back between the claim and the read of who holds
        // it: then the claim is tried again.
        for _ in 0..3 {
            let rows = self
                .query(
                    "UPDATE tenants SET \
                       lease_since = CASE WHEN lease_owner = $2 AND lease_expires_at > $4 THEN COALESCE(lease_since, $4) ELSE $4 END, \
                       lease_owner = $2, lease_expires_at = $3 \
                     WHERE tenant_id = $1 AND (lease_owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at <= $4 OR lease_owner = $2) \
                     RETURNING lease_since",
                    &[&tenant, &owner, &expires, &now],
                )
                .await?;
            if let Some(row) = rows.first() {
                return Ok(LeaseClaim::Taken(Lease::new(
                    tenant,
                    owner,
                    row.get::<_, Option<OffsetDateTime>>(0),
                    expires,
                )));
            }
            if let Some(holder) = self.lease(tenant).await? {
                if holder.is_live(now) && holder.owner != owner {
                    return Ok(LeaseClaim::Held(holder));
                }
            }
        }
        Err(StoreError::unavailable(
            format!("claiming the lease of tenant {tenant}"),
            std::io::Error::other(
                "the lease changed hands three times during the claim; try again",
            ),
        ))
    }
    async fn lease(&self, tenant: &str) -> Result<Option<Lease>, StoreError> {
        let rows = self
            .query(
                "SELECT lease_owner, lease_since, lease_expires_at FROM tenants WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        // An owner without an expiry holds nothing: every claim takes such a lease.
        Ok(rows.first().and_then(|r| {
            let owner: Option<String> = r.get(0);
            let expires: Option<OffsetDateTime> = r.get(2);
            Some(Lease::new(tenant, owner?, r.get(1), expires?))
        }))
    }
}

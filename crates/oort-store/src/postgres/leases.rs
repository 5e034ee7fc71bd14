//! Tenants leased to the workers of a fleet, in PostgreSQL (`FOR UPDATE SKIP LOCKED`).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::PostgresStore;
use crate::error::StoreError;
use crate::LeaseStore;

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
                "UPDATE tenants SET lease_owner = $1, lease_expires_at = $2 WHERE tenant_id = ( \
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
        self.query("UPDATE tenants SET lease_owner = NULL, lease_expires_at = NULL WHERE tenant_id = $1 AND lease_owner = $2 RETURNING tenant_id", &[&tenant, &owner]).await?;
        Ok(())
    }
}

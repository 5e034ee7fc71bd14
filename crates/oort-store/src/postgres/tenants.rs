//! The tenant registry in PostgreSQL. Every audited change runs in one transaction with its
//! audit entry; a re-key locks the registry's rows (`FOR UPDATE`) while it re-seals them.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio_postgres::{Row, Transaction};

use super::audit::append_chained;
use super::PostgresStore;
use crate::error::{db_err, StoreError};
use crate::seal::MasterKey;
use crate::tenant_rows::{self, RegistryRow};
use crate::{AuditRecord, TenantChange, TenantRecord, TenantState, TenantStore, OPERATORS_CHAIN};

type Change<'a> = Pin<Box<dyn Future<Output = Result<TenantChange, StoreError>> + Send + 'a>>;

impl PostgresStore {
    /// Runs `change` in a transaction and, when it returns `Done`, appends `audit` (if any) to
    /// `chain` before committing; anything else is rolled back.
    async fn registry_change<F>(
        &self,
        chain: &str,
        audit: Option<&AuditRecord>,
        change: F,
    ) -> Result<TenantChange, StoreError>
    where
        F: for<'t> FnOnce(&'t Transaction<'t>) -> Change<'t> + Send,
    {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        let result = change(&tx).await?;
        if result == TenantChange::Done {
            if let Some(audit) = audit {
                append_chained(&tx, chain, audit).await?;
            }
            tx.commit()
                .await
                .map_err(db_err("commit a registry change"))?;
        }
        Ok(result)
    }
}

const SELECT: &str =
    "SELECT tenant_id, display_name, cloud, authority_host, graph_url, client_id, \
    credential_kind, sealed_credential, identity_client_id, token_file, devices, disabled_streams, \
    interval_seconds, break_glass_accounts, protected_accounts, state, last_error, failing_since, \
    created_at, updated_at, credential_rotated_at FROM tenant_registry";

fn record(r: &Row) -> Result<TenantRecord, StoreError> {
    RegistryRow {
        tenant_id: r.get(0),
        display_name: r.get(1),
        cloud: r.get(2),
        authority_host: r.get(3),
        graph_url: r.get(4),
        client_id: r.get(5),
        credential_kind: r.get(6),
        sealed_credential: r.get(7),
        identity_client_id: r.get(8),
        token_file: r.get(9),
        devices: r.get(10),
        disabled_streams: r.get(11),
        interval_seconds: r.get(12),
        break_glass_accounts: r.get(13),
        protected_accounts: r.get(14),
        state: r.get(15),
        last_error: r.get(16),
        failing_since: r.get(17),
        created_at: r.get(18),
        updated_at: r.get(19),
        credential_rotated_at: r.get(20),
    }
    .into_record()
}

fn changed(n: u64) -> TenantChange {
    if n == 0 {
        TenantChange::NotFound
    } else {
        TenantChange::Done
    }
}

async fn insert(tx: &Transaction<'_>, t: &TenantRecord) -> Result<TenantChange, StoreError> {
    let c = tenant_rows::columns(t)?;
    let inserted = tx
        .execute(
            "INSERT INTO tenant_registry (tenant_id, display_name, cloud, authority_host, graph_url, \
             client_id, credential_kind, sealed_credential, identity_client_id, token_file, devices, \
             disabled_streams, interval_seconds, break_glass_accounts, protected_accounts, state, \
             last_error, failing_since, created_at, updated_at, credential_rotated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21) \
             ON CONFLICT DO NOTHING",
            &[
                &t.tenant_id,
                &t.display_name,
                &t.cloud.as_str(),
                &c.authority_host,
                &c.graph_url,
                &t.client_id,
                &t.credential_kind.as_str(),
                &t.sealed_credential,
                &t.identity_client_id,
                &t.token_file,
                &t.devices,
                &c.disabled_streams,
                &t.interval_seconds,
                &c.break_glass_accounts,
                &c.protected_accounts,
                &t.state.as_str(),
                &c.last_error,
                &c.failing_since,
                &t.created_at,
                &t.updated_at,
                &t.credential_rotated_at,
            ],
        )
        .await
        .map_err(db_err("add a tenant to the registry"))?;
    if inserted == 0 {
        return Ok(TenantChange::AlreadyExists);
    }
    tx.execute(
        "INSERT INTO tenants (tenant_id) VALUES ($1) ON CONFLICT DO NOTHING",
        &[&t.tenant_id],
    )
    .await
    .map_err(db_err("register a tenant"))?;
    Ok(TenantChange::Done)
}

#[async_trait]
impl TenantStore for PostgresStore {
    async fn add_tenant(
        &self,
        tenant: &TenantRecord,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError> {
        let t = tenant.clone();
        self.registry_change(&tenant.tenant_id, Some(audit), move |tx| {
            Box::pin(async move { insert(tx, &t).await })
        })
        .await
    }

    async fn tenant(&self, tenant_id: &str) -> Result<Option<TenantRecord>, StoreError> {
        let rows = self
            .query(&format!("{SELECT} WHERE tenant_id = $1"), &[&tenant_id])
            .await?;
        rows.first().map(record).transpose()
    }

    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        let rows = self
            .query(&format!("{SELECT} ORDER BY tenant_id"), &[])
            .await?;
        rows.iter().map(record).collect()
    }

    async fn replace_tenant_credential(
        &self,
        tenant_id: &str,
        sealed: &str,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError> {
        let at = crate::audit::to_micros(audit.at);
        let (id, sealed) = (tenant_id.to_owned(), sealed.to_owned());
        self.registry_change(tenant_id, Some(audit), move |tx| {
            Box::pin(async move {
                let n = tx
                    .execute(
                        "UPDATE tenant_registry SET sealed_credential = $2, credential_rotated_at = $3, \
                         updated_at = $3 WHERE tenant_id = $1",
                        &[&id, &sealed, &at],
                    )
                    .await
                    .map_err(db_err("replace a tenant's credential"))?;
                Ok(changed(n))
            })
        })
        .await
    }

    async fn set_tenant_state(
        &self,
        tenant_id: &str,
        state: &TenantState,
        at: OffsetDateTime,
        audit: Option<&AuditRecord>,
    ) -> Result<TenantChange, StoreError> {
        let (name, error, since) = tenant_rows::state_columns(state);
        let at = crate::audit::to_micros(at);
        let id = tenant_id.to_owned();
        self.registry_change(tenant_id, audit, move |tx| {
            Box::pin(async move {
                let n = tx
                    .execute(
                        "UPDATE tenant_registry SET state = $2, last_error = $3, failing_since = $4, \
                         updated_at = $5 WHERE tenant_id = $1",
                        &[&id, &name, &error, &since, &at],
                    )
                    .await
                    .map_err(db_err("change a tenant's state"))?;
                Ok(changed(n))
            })
        })
        .await
    }

    async fn remove_tenant(
        &self,
        tenant_id: &str,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError> {
        let id = tenant_id.to_owned();
        self.registry_change(tenant_id, Some(audit), move |tx| {
            Box::pin(async move {
                let n = tx
                    .execute("DELETE FROM tenant_registry WHERE tenant_id = $1", &[&id])
                    .await
                    .map_err(db_err("remove a tenant from the registry"))?;
                Ok(changed(n))
            })
        })
        .await
    }

    async fn rekey_tenants(
        &self,
        old: &MasterKey,
        new: &MasterKey,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        let rows = tx
            .query(
                "SELECT tenant_id, sealed_credential FROM tenant_registry \
                 WHERE sealed_credential IS NOT NULL ORDER BY tenant_id FOR UPDATE",
                &[],
            )
            .await
            .map_err(db_err("read the sealed credentials"))?;
        for row in &rows {
            let id: String = row.get(0);
            let value: String = row.get(1);
            let resealed = tenant_rows::reseal(old, new, &id, &value)?;
            tx.execute(
                "UPDATE tenant_registry SET sealed_credential = $2 WHERE tenant_id = $1",
                &[&id, &resealed],
            )
            .await
            .map_err(db_err("re-seal a credential"))?;
        }
        append_chained(&tx, OPERATORS_CHAIN, audit).await?;
        tx.commit().await.map_err(db_err("commit a re-key"))?;
        Ok(rows.len() as u64)
    }
}

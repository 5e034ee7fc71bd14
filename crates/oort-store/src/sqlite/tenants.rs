//! The tenant registry in SQLite. Every audited change runs in an immediate transaction (the
//! write lock) together with its audit entry.

use async_trait::async_trait;
use rusqlite::{params, Connection, Transaction, TransactionBehavior};
use time::OffsetDateTime;

use super::audit::append_chained;
use super::SqliteStore;
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::seal::MasterKey;
use crate::tenant_rows::{self, RegistryRow};
use crate::{AuditRecord, TenantChange, TenantRecord, TenantState, TenantStore, OPERATORS_CHAIN};

const TABLE: &str = "tenant_registry";

impl SqliteStore {
    /// Runs `change` in an immediate transaction and, when it returns `Done`, appends `audit`
    /// (if any) to `chain` in it before committing; anything else is rolled back.
    async fn registry_change<F>(
        &self,
        chain: String,
        audit: Option<AuditRecord>,
        change: F,
    ) -> Result<TenantChange, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<TenantChange, StoreError> + Send + 'static,
    {
        let result = self
            .with(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err("begin a transaction"))?;
                let result = change(&tx)?;
                if result == TenantChange::Done {
                    if let Some(audit) = &audit {
                        append_chained(&tx, &chain, audit)?;
                    }
                    tx.commit().map_err(db_err("commit a registry change"))?;
                }
                Ok(result)
            })
            .await?;
        if result == TenantChange::Done {
            self.committed();
        }
        Ok(result)
    }
}

const SELECT: &str =
    "SELECT tenant_id, display_name, cloud, authority_host, graph_url, client_id, \
    credential_kind, sealed_credential, identity_client_id, token_file, devices, disabled_streams, \
    interval_seconds, break_glass_accounts, protected_accounts, state, last_error, failing_since, \
    created_at, updated_at, credential_rotated_at FROM tenant_registry";

fn select(conn: &Connection, filter: &str, arg: &str) -> Result<Vec<TenantRecord>, StoreError> {
    let sql = format!("{SELECT} WHERE {filter} ORDER BY tenant_id");
    let mut stmt = conn.prepare(&sql).map_err(db_err("read the registry"))?;
    let found = stmt
        .query_map([arg], |r| {
            let times = (
                r.get::<_, Option<String>>(17)?,
                r.get::<_, String>(18)?,
                r.get::<_, String>(19)?,
                r.get::<_, Option<String>>(20)?,
            );
            let row = RegistryRow {
                tenant_id: r.get(0)?,
                display_name: r.get(1)?,
                cloud: r.get(2)?,
                authority_host: r.get(3)?,
                graph_url: r.get(4)?,
                client_id: r.get(5)?,
                credential_kind: r.get(6)?,
                sealed_credential: r.get(7)?,
                identity_client_id: r.get(8)?,
                token_file: r.get(9)?,
                devices: r.get(10)?,
                disabled_streams: r.get(11)?,
                interval_seconds: r.get(12)?,
                break_glass_accounts: r.get(13)?,
                protected_accounts: r.get(14)?,
                state: r.get(15)?,
                last_error: r.get(16)?,
                failing_since: None,
                created_at: OffsetDateTime::UNIX_EPOCH,
                updated_at: OffsetDateTime::UNIX_EPOCH,
                credential_rotated_at: None,
            };
            Ok((row, times))
        })
        .map_err(db_err("read the registry"))?;
    let mut out = Vec::new();
    for row in found {
        let (mut row, (failing, created, updated, rotated)) =
            row.map_err(db_err("read a registry row"))?;
        let id = row.tenant_id.clone();
        row.failing_since = rows::stored_opt_ts(TABLE, &id, failing.as_deref())?;
        row.created_at = rows::stored_ts(TABLE, &id, &created)?;
        row.updated_at = rows::stored_ts(TABLE, &id, &updated)?;
        row.credential_rotated_at = rows::stored_opt_ts(TABLE, &id, rotated.as_deref())?;
        out.push(row.into_record()?);
    }
    Ok(out)
}

fn opt_ts(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(ts_text)
}

fn insert(tx: &Transaction<'_>, t: &TenantRecord) -> Result<TenantChange, StoreError> {
    let c = tenant_rows::columns(t)?;
    let inserted = tx
        .execute(
            "INSERT INTO tenant_registry (tenant_id, display_name, cloud, authority_host, graph_url, \
             client_id, credential_kind, sealed_credential, identity_client_id, token_file, devices, \
             disabled_streams, interval_seconds, break_glass_accounts, protected_accounts, state, \
             last_error, failing_since, created_at, updated_at, credential_rotated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) \
             ON CONFLICT DO NOTHING",
            params![
                t.tenant_id,
                t.display_name,
                t.cloud.as_str(),
                c.authority_host,
                c.graph_url,
                t.client_id,
                t.credential_kind.as_str(),
                t.sealed_credential,
                t.identity_client_id,
                t.token_file,
                t.devices,
                c.disabled_streams,
                t.interval_seconds,
                c.break_glass_accounts,
                c.protected_accounts,
                t.state.as_str(),
                c.last_error,
                opt_ts(c.failing_since),
                ts_text(t.created_at),
                ts_text(t.updated_at),
                opt_ts(t.credential_rotated_at),
            ],
        )
        .map_err(db_err("add a tenant to the registry"))?;
    if inserted == 0 {
        return Ok(TenantChange::AlreadyExists);
    }
    tx.execute(
        "INSERT INTO tenants (tenant_id) VALUES (?1) ON CONFLICT DO NOTHING",
        [&t.tenant_id],
    )
    .map_err(db_err("register a tenant"))?;
    Ok(TenantChange::Done)
}

fn changed(n: usize) -> TenantChange {
    if n == 0 {
        TenantChange::NotFound
    } else {
        TenantChange::Done
    }
}

#[async_trait]
impl TenantStore for SqliteStore {
    async fn add_tenant(
        &self,
        tenant: &TenantRecord,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError> {
        let t = tenant.clone();
        self.registry_change(t.tenant_id.clone(), Some(audit.clone()), move |tx| {
            insert(tx, &t)
        })
        .await
    }

    async fn tenant(&self, tenant_id: &str) -> Result<Option<TenantRecord>, StoreError> {
        let id = tenant_id.to_owned();
        self.with(move |conn| Ok(select(conn, "tenant_id = ?1", &id)?.into_iter().next()))
            .await
    }

    async fn tenants(&self) -> Result<Vec<TenantRecord>, StoreError> {
        self.with(|conn| select(conn, "?1 = ?1", "")).await
    }

    async fn replace_tenant_credential(
        &self,
        tenant_id: &str,
        sealed: &str,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError> {
        let (id, sealed) = (tenant_id.to_owned(), sealed.to_owned());
        let at = ts_text(crate::audit::to_micros(audit.at));
        self.registry_change(id.clone(), Some(audit.clone()), move |tx| {
            let n = tx
                .execute(
                    "UPDATE tenant_registry SET sealed_credential = ?2, credential_rotated_at = ?3, \
                     updated_at = ?3 WHERE tenant_id = ?1",
                    params![id, sealed, at],
                )
                .map_err(db_err("replace a tenant's credential"))?;
            Ok(changed(n))
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
        let id = tenant_id.to_owned();
        let (name, error, since) = tenant_rows::state_columns(state);
        let since = opt_ts(since);
        let at = ts_text(crate::audit::to_micros(at));
        self.registry_change(id.clone(), audit.cloned(), move |tx| {
            let n = tx
                .execute(
                    "UPDATE tenant_registry SET state = ?2, last_error = ?3, failing_since = ?4, \
                     updated_at = ?5 WHERE tenant_id = ?1",
                    params![id, name, error, since, at],
                )
                .map_err(db_err("change a tenant's state"))?;
            Ok(changed(n))
        })
        .await
    }

    async fn remove_tenant(
        &self,
        tenant_id: &str,
        audit: &AuditRecord,
    ) -> Result<TenantChange, StoreError> {
        let id = tenant_id.to_owned();
        self.registry_change(id.clone(), Some(audit.clone()), move |tx| {
            let n = tx
                .execute("DELETE FROM tenant_registry WHERE tenant_id = ?1", [&id])
                .map_err(db_err("remove a tenant from the registry"))?;
            Ok(changed(n))
        })
        .await
    }

    async fn rekey_tenants(
        &self,
        old: &MasterKey,
        new: &MasterKey,
        audit: &AuditRecord,
    ) -> Result<u64, StoreError> {
        let (old, new) = (old.clone(), new.clone());
        let audit = audit.clone();
        let count = self
            .with(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err("begin a transaction"))?;
                let sealed: Vec<(String, String)> = {
                    let mut stmt = tx
                        .prepare(
                            "SELECT tenant_id, sealed_credential FROM tenant_registry \
                             WHERE sealed_credential IS NOT NULL ORDER BY tenant_id",
                        )
                        .map_err(db_err("read the sealed credentials"))?;
                    let rows = stmt
                        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                        .map_err(db_err("read the sealed credentials"))?;
                    rows.collect::<Result<_, _>>()
                        .map_err(db_err("read a sealed credential"))?
                };
                for (id, value) in &sealed {
                    let resealed = tenant_rows::reseal(&old, &new, id, value)?;
                    tx.execute(
                        "UPDATE tenant_registry SET sealed_credential = ?2 WHERE tenant_id = ?1",
                        params![id, resealed],
                    )
                    .map_err(db_err("re-seal a credential"))?;
                }
                append_chained(&tx, OPERATORS_CHAIN, &audit)?;
                tx.commit().map_err(db_err("commit a re-key"))?;
                Ok(sealed.len() as u64)
            })
            .await?;
        self.committed();
        Ok(count)
    }
}

//! The PostgreSQL store: the same behaviour as SQLite, for fleets of collectors sharing one
//! database. Sign-ins are bulk-loaded with `COPY` into a staging table and upserted from there.

use std::collections::HashMap;
use std::fmt;
use std::pin::pin;

use async_trait::async_trait;
use entra_model::{
    AppCredential, Application, AuthenticationMethod, CredentialKind, Group, Raw, ServicePrincipal,
    SignIn, User,
};
use time::OffsetDateTime;
use tokio::sync::Mutex;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Row, Transaction};

use crate::error::{StoreError, StoreErrorKind};
use crate::prelude::*;
use crate::rows;
use crate::{
    schema, AuditRecord, Batch, Checkpoint, CollectionRun, CredentialOwner, FindingFilter,
    FindingStatus, ItemKind, Membership, NotificationRecord, PruneSummary, SignInChanges,
    SignInQuery, SnapshotScope, StoredCredential, StoredFinding, StoredUser, WriteContext,
    WriteSummary,
};

/// Rows deleted per transaction by `prune`.
const PRUNE_BATCH: usize = 10_000;

/// A store in PostgreSQL (tokio-postgres), shared by a fleet of collector processes.
///
/// Connects without TLS: run it on a trusted network or through a local socket or tunnel.
pub struct PostgresStore {
    client: Mutex<Client>,
    target: String,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection string may hold a password: show only where it points.
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

fn pg_err(context: &'static str) -> impl Fn(tokio_postgres::Error) -> StoreError {
    move |e| StoreError::database(context, e)
}

/// Host, port and database of a connection string, without user or password.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}:{}/{}",
        hosts.join(","),
        port,
        config.get_dbname().unwrap_or("")
    )
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| StoreError::unavailable("parsing the PostgreSQL connection string", e))?;
        let target = describe(&config);
        let (client, connection) = config
            .connect(NoTls)
            .await
            .map_err(|e| StoreError::unavailable(format!("connecting to {target}"), e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        let mut client = client;
        // Raw JSON (a few KB a sign-in) is compressed when stored: lz4 (PostgreSQL 14+, when
        // built with it) costs a fraction of the default pglz's CPU, which otherwise dominates
        // the server's share of an ingest. A server without it keeps its default.
        if let Err(e) = client
            .batch_execute("SET default_toast_compression = 'lz4'")
            .await
        {
            tracing::debug!(error = %e, "lz4 TOAST compression unavailable, keeping the default");
        }
        migrate(&mut client).await?;
        Ok(PostgresStore {
            client: Mutex::new(client),
            target,
        })
    }
}

async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(pg_err("begin a migration"))?;
    // One migrator at a time across the fleet.
    tx.execute("SELECT pg_advisory_xact_lock(7301)", &[])
        .await
        .map_err(pg_err("lock the schema"))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await
        .map_err(pg_err("create the schema_version table"))?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(pg_err("read the schema version"))?
        .get(0);
    let supported = schema::POSTGRES.len() as i64;
    if current > supported {
        return Err(StoreError::new(
            StoreErrorKind::SchemaTooNew {
                found: current,
                supported,
            },
            "",
            None,
        ));
    }
    for (i, sql) in schema::POSTGRES.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(pg_err("apply a schema migration"))?;
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(pg_err("record the schema version"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(i as i64 + 1)],
        )
        .await
        .map_err(pg_err("record the schema version"))?;
    }
    tx.commit().await.map_err(pg_err("commit migrations"))
}

fn summarize(rows: &[Row], summary: &mut WriteSummary) {
    for row in rows {
        if row.get::<_, bool>(0) {
            summary.inserted += 1;
        } else {
            summary.updated += 1;
        }
    }
}

async fn upsert(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let rows = tx
        .query(sql, params)
        .await
        .map_err(pg_err("upsert a row"))?;
    summarize(&rows, summary);
    Ok(())
}

const SIGN_IN_COLUMNS: &str = "tenant_id, id, created_at, user_id, user_principal_name, app_id, app_display_name, ip_address, country, city, latitude, longitude, client_app_used, user_agent, error_code, is_interactive, event_type, conditional_access_status, risk_level_aggregated, risk_level_during_sign_in, risk_state, raw_json";

async fn write_sign_ins(
    tx: &Transaction<'_>,
    tenant: &str,
    items: &[Raw<SignIn>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    // The last occurrence of an id in the batch wins (an upsert cannot touch a row twice).
    let mut last: HashMap<&str, usize> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        last.insert(item.value().id.as_str(), i);
    }
    tx.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS sign_ins_stage (LIKE sign_ins) ON COMMIT DELETE ROWS",
    )
    .await
    .map_err(pg_err("create the sign-in staging table"))?;
    let sink = tx
        .copy_in(&format!(
            "COPY sign_ins_stage ({SIGN_IN_COLUMNS}) FROM STDIN BINARY"
        ))
        .await
        .map_err(pg_err("start a COPY"))?;
    let types = [
        Type::TEXT,
        Type::TEXT,
        Type::TIMESTAMPTZ,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::FLOAT8,
        Type::FLOAT8,
        Type::TEXT,
        Type::TEXT,
        Type::INT8,
        Type::BOOL,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
        Type::TEXT,
    ];
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
    for (i, item) in items.iter().enumerate() {
        if last.get(item.value().id.as_str()) != Some(&i) {
            continue;
        }
        let r = rows::sign_in_row(item);
        writer
            .as_mut()
            .write(&[
                &tenant,
                &r.id,
                &r.created_at,
                &r.user_id,
                &r.user_principal_name,
                &r.app_id,
                &r.app_display_name,
                &r.ip_address,
                &r.country,
                &r.city,
                &r.latitude,
                &r.longitude,
                &r.client_app_used,
                &r.user_agent,
                &r.error_code,
                &r.is_interactive,
                &r.event_type,
                &r.conditional_access_status,
                &r.risk_level_aggregated,
                &r.risk_level_during_sign_in,
                &r.risk_state,
                &r.raw_json,
            ])
            .await
            .map_err(pg_err("copy a sign-in"))?;
    }
    writer.finish().await.map_err(pg_err("finish a COPY"))?;
    let updates: Vec<String> = SIGN_IN_COLUMNS
        .split(", ")
        .skip(2)
        .map(|c| format!("{c} = EXCLUDED.{c}"))
        .collect();
    let rows = tx
        .query(
            &format!(
                "INSERT INTO sign_ins ({SIGN_IN_COLUMNS}) SELECT {SIGN_IN_COLUMNS} FROM sign_ins_stage \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET {} RETURNING (xmax = 0)",
                updates.join(", ")
            ),
            &[],
        )
        .await
        .map_err(pg_err("upsert staged sign-ins"))?;
    summarize(&rows, summary);
    // The staging table empties itself at commit (ON COMMIT DELETE ROWS); a batch is staged once
    // per transaction.
    // Tell the analysis how far back this batch reaches (see `Store::sign_in_changes`).
    if let Some(earliest) = items
        .iter()
        .filter_map(|i| i.value().created_date_time)
        .min()
    {
        tx.execute(
            "INSERT INTO sign_in_changes (tenant_id, earliest, writes) VALUES ($1, $2, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET earliest = LEAST(sign_in_changes.earliest, EXCLUDED.earliest), writes = sign_in_changes.writes + 1",
            &[&tenant, &earliest],
        )
        .await
        .map_err(pg_err("mark the sign-ins for the analysis"))?;
    }
    Ok(())
}

async fn mark(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    tx.execute(sql, params).await.map_err(pg_err("mark rows"))
}

async fn upsert_member(
    tx: &Transaction<'_>,
    tenant: &str,
    group_id: &str,
    member_id: &str,
    member_type: Option<&str>,
    now: &OffsetDateTime,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    upsert(
        tx,
        "INSERT INTO group_members (tenant_id, group_id, member_id, member_type, added_at, removed_at, seen_at) VALUES ($1, $2, $3, $4, $5, NULL, $5) \
         ON CONFLICT (tenant_id, group_id, member_id) DO UPDATE SET member_type = COALESCE(EXCLUDED.member_type, group_members.member_type), removed_at = NULL, seen_at = EXCLUDED.seen_at RETURNING (xmax = 0)",
        &[&tenant, &group_id, &member_id, &member_type, now],
        summary,
    )
    .await
}

async fn write_credentials(
    tx: &Transaction<'_>,
    tenant: &str,
    owner: CredentialOwner,
    owner_id: &str,
    app_id: Option<&str>,
    owner_name: Option<&str>,
    credentials: &[AppCredential],
) -> Result<(), StoreError> {
    mark(
        tx,
        "DELETE FROM app_credentials WHERE tenant_id = $1 AND owner_kind = $2 AND owner_id = $3",
        &[&tenant, &owner.as_str(), &owner_id],
    )
    .await?;
    for c in credentials {
        let key_id = c.key_id.as_deref().unwrap_or_default();
        mark(
            tx,
            "INSERT INTO app_credentials (tenant_id, owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, owner_kind, owner_id, kind, key_id) DO UPDATE SET \
             display_name = EXCLUDED.display_name, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at",
            &[&tenant, &owner.as_str(), &owner_id, &key_id, &c.kind.as_str(), &app_id, &owner_name, &c.display_name, &c.start, &c.end],
        )
        .await?;
    }
    Ok(())
}

async fn write_items(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    kind: ItemKind,
    items: Vec<(String, String)>,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for (id, raw) in items {
        upsert(
            tx,
            "INSERT INTO directory_items (tenant_id, kind, id, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, kind, id) DO UPDATE SET seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
            &[&tenant, &kind.as_str(), &id, now, &raw],
            summary,
        )
        .await?;
    }
    Ok(())
}

fn id_raw<T>(items: &[Raw<T>], id: fn(&T) -> &str) -> Vec<(String, String)> {
    items
        .iter()
        .map(|r| (id(r.value()).to_owned(), r.json().to_owned()))
        .collect()
}

async fn write_users(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    items: &[Raw<User>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for item in items {
        let r = rows::user_row(item);
        if r.removed {
            let n = mark(tx, "UPDATE users SET deleted_at = COALESCE(deleted_at, $3), seen_at = $3 WHERE tenant_id = $1 AND id = $2", &[&tenant, &r.id, now]).await?;
            if n == 0 {
                mark(tx, "INSERT INTO users (tenant_id, id, deleted_at, seen_at, raw_json) VALUES ($1, $2, $3, $3, $4)", &[&tenant, &r.id, now, &r.raw_json]).await?;
            }
            summary.removed += 1;
            continue;
        }
        upsert(
            tx,
            "INSERT INTO users (tenant_id, id, user_principal_name, display_name, user_type, account_enabled, created_at, last_sign_in_at, last_successful_sign_in_at, on_premises_sync_enabled, seen_at, raw_json, deleted_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL) ON CONFLICT (tenant_id, id) DO UPDATE SET \
             user_principal_name = EXCLUDED.user_principal_name, display_name = EXCLUDED.display_name, user_type = EXCLUDED.user_type, \
             account_enabled = EXCLUDED.account_enabled, created_at = EXCLUDED.created_at, last_sign_in_at = EXCLUDED.last_sign_in_at, \
             last_successful_sign_in_at = EXCLUDED.last_successful_sign_in_at, on_premises_sync_enabled = EXCLUDED.on_premises_sync_enabled, \
             seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json, deleted_at = NULL RETURNING (xmax = 0)",
            &[&tenant, &r.id, &r.user_principal_name, &r.display_name, &r.user_type, &r.account_enabled, &r.created_at, &r.last_sign_in_at, &r.last_successful_sign_in_at, &r.on_premises_sync_enabled, now, &r.raw_json],
            summary,
        )
        .await?;
    }
    Ok(())
}

async fn write_groups(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    items: &[Raw<Group>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for item in items {
        let r = rows::group_row(item);
        if r.removed {
            let n = mark(tx, "UPDATE groups SET deleted_at = COALESCE(deleted_at, $3), seen_at = $3 WHERE tenant_id = $1 AND id = $2", &[&tenant, &r.id, now]).await?;
            if n == 0 {
                mark(tx, "INSERT INTO groups (tenant_id, id, is_dynamic, deleted_at, seen_at, raw_json) VALUES ($1, $2, FALSE, $3, $3, $4)", &[&tenant, &r.id, now, &r.raw_json]).await?;
            }
            mark(tx, "UPDATE group_members SET removed_at = $3 WHERE tenant_id = $1 AND group_id = $2 AND removed_at IS NULL", &[&tenant, &r.id, now]).await?;
            summary.removed += 1;
            continue;
        }
        upsert(
            tx,
            "INSERT INTO groups (tenant_id, id, display_name, security_enabled, is_dynamic, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = EXCLUDED.display_name, security_enabled = EXCLUDED.security_enabled, \
             is_dynamic = EXCLUDED.is_dynamic, seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json, deleted_at = NULL RETURNING (xmax = 0)",
            &[&tenant, &r.id, &r.display_name, &r.security_enabled, &r.is_dynamic, now, &r.raw_json],
            summary,
        )
        .await?;
        for delta in &item.value().members_delta {
            if delta.is_removed() {
                summary.removed += mark(
                    tx,
                    "UPDATE group_members SET removed_at = $4 WHERE tenant_id = $1 AND group_id = $2 AND member_id = $3 AND removed_at IS NULL",
                    &[&tenant, &r.id, &delta.id, now],
                )
                .await?;
            } else {
                let member_type = rows::short_type(delta.odata_type.as_deref());
                upsert_member(
                    tx,
                    tenant,
                    r.id,
                    &delta.id,
                    member_type,
                    now,
                    &mut WriteSummary::default(),
                )
                .await?;
            }
        }
    }
    Ok(())
}

async fn write_batch(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    batch: &Batch,
) -> Result<WriteSummary, StoreError> {
    let mut summary = WriteSummary::default();
    match batch {
        Batch::SignIns(items) => write_sign_ins(tx, tenant, items, &mut summary).await?,
        Batch::DirectoryAudits(items) => {
            for item in items {
                let r = rows::audit_row(item);
                upsert(
                    tx,
                    "INSERT INTO directory_audits (tenant_id, id, activity_at, activity_display_name, category, result, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (tenant_id, id) DO UPDATE SET activity_at = EXCLUDED.activity_at, activity_display_name = EXCLUDED.activity_display_name, \
                     category = EXCLUDED.category, result = EXCLUDED.result, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
                    &[&tenant, &r.id, &r.activity_at, &r.activity_display_name, &r.category, &r.result, &r.raw_json],
                    &mut summary,
                )
                .await?;
            }
        }
        Batch::Users(items) => write_users(tx, tenant, now, items, &mut summary).await?,
        Batch::Groups(items) => write_groups(tx, tenant, now, items, &mut summary).await?,
        Batch::SignInActivity(items) => {
            for item in items {
                let u = item.value();
                let activity = u
                    .sign_in_activity
                    .as_ref()
                    .and_then(|a| serde_json::to_string(a).ok());
                summary.updated += mark(
                    tx,
                    "UPDATE users SET sign_in_activity_json = $3, last_sign_in_at = $4, last_successful_sign_in_at = $5 WHERE tenant_id = $1 AND id = $2",
                    &[&tenant, &u.id, &activity, &u.last_sign_in(), &u.last_successful_sign_in()],
                )
                .await?;
            }
        }
        Batch::GroupMembers { group_id, members } => {
            for m in members {
                if let Some((id, member_type)) = rows::member_key(m) {
                    upsert_member(tx, tenant, group_id, id, member_type, now, &mut summary).await?;
                }
            }
        }
        Batch::RoleMembers { role, members } => {
            let role_id = role.value().id.as_str();
            write_items(
                tx,
                tenant,
                now,
                ItemKind::DirectoryRoles,
                vec![(role_id.to_owned(), role.json().to_owned())],
                &mut WriteSummary::default(),
            )
            .await?;
            for m in members {
                if let Some((id, member_type)) = rows::member_key(m) {
                    upsert(
                        tx,
                        "INSERT INTO role_members (tenant_id, role_id, member_id, member_type, seen_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (tenant_id, role_id, member_id) DO UPDATE SET member_type = EXCLUDED.member_type, seen_at = EXCLUDED.seen_at RETURNING (xmax = 0)",
                        &[&tenant, &role_id, &id, &member_type, now],
                        &mut summary,
                    )
                    .await?;
                }
            }
        }
        Batch::Applications(items) => {
            for item in items {
                let a = item.value();
                upsert(
                    tx,
                    "INSERT INTO applications (tenant_id, id, app_id, display_name, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (tenant_id, id) DO UPDATE SET app_id = EXCLUDED.app_id, display_name = EXCLUDED.display_name, seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
                    &[&tenant, &a.id, &a.app_id, &a.display_name, now, &item.json()],
                    &mut summary,
                )
                .await?;
                write_credentials(
                    tx,
                    tenant,
                    CredentialOwner::Application,
                    &a.id,
                    a.app_id.as_deref(),
                    a.display_name.as_deref(),
                    &a.credentials(),
                )
                .await?;
            }
        }
        Batch::ServicePrincipals(items) => {
            for item in items {
                let sp = item.value();
                let sp_type = rows::service_principal_type(sp);
                upsert(
                    tx,
                    "INSERT INTO service_principals (tenant_id, id, app_id, display_name, service_principal_type, app_owner_organization_id, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (tenant_id, id) DO UPDATE SET app_id = EXCLUDED.app_id, display_name = EXCLUDED.display_name, service_principal_type = EXCLUDED.service_principal_type, \
                     app_owner_organization_id = EXCLUDED.app_owner_organization_id, seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
                    &[&tenant, &sp.id, &sp.app_id, &sp.display_name, &sp_type, &sp.app_owner_organization_id, now, &item.json()],
                    &mut summary,
                )
                .await?;
                write_credentials(
                    tx,
                    tenant,
                    CredentialOwner::ServicePrincipal,
                    &sp.id,
                    sp.app_id.as_deref(),
                    sp.display_name.as_deref(),
                    &sp.credentials(),
                )
                .await?;
            }
        }
        Batch::AuthMethods { user_id, methods } => {
            let before = mark(
                tx,
                "DELETE FROM auth_methods WHERE tenant_id = $1 AND user_id = $2",
                &[&tenant, user_id],
            )
            .await?;
            for m in methods {
                let method = m.value();
                mark(
                    tx,
                    "INSERT INTO auth_methods (tenant_id, user_id, method_id, method_type, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (tenant_id, user_id, method_type, method_id) DO UPDATE SET seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json",
                    &[&tenant, user_id, &method.id().unwrap_or_default(), &rows::method_type(method), now, &m.json()],
                )
                .await?;
            }
            let after = methods.len() as u64;
            summary.inserted = after.saturating_sub(before);
            summary.updated = after.min(before);
            summary.removed = before.saturating_sub(after);
        }
        Batch::RegistrationDetails(items) => {
            write_items(
                tx,
                tenant,
                now,
                ItemKind::RegistrationDetails,
                id_raw(items, |v| v.id.as_str()),
                &mut summary,
            )
            .await?
        }
        Batch::RiskyUsers(items) => {
            write_items(
                tx,
                tenant,
                now,
                ItemKind::RiskyUsers,
                id_raw(items, |v| v.id.as_str()),
                &mut summary,
            )
            .await?
        }
        Batch::RiskDetections(items) => {
            write_items(
                tx,
                tenant,
                now,
                ItemKind::RiskDetections,
                id_raw(items, |v| v.id.as_str()),
                &mut summary,
            )
            .await?
        }
        Batch::ConditionalAccessPolicies(items) => {
            write_items(
                tx,
                tenant,
                now,
                ItemKind::ConditionalAccessPolicies,
                id_raw(items, |v| v.id.as_str()),
                &mut summary,
            )
            .await?
        }
        Batch::ManagedDevices(items) => {
            write_items(
                tx,
                tenant,
                now,
                ItemKind::ManagedDevices,
                id_raw(items, |v| v.id.as_str()),
                &mut summary,
            )
            .await?
        }
    }
    Ok(summary)
}

async fn put_checkpoint(
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

fn parse_raw<T: serde::de::DeserializeOwned>(
    table: &'static str,
    id: &str,
    json: &str,
) -> Result<Raw<T>, StoreError> {
    Raw::from_json(json).map_err(|e| StoreError::corrupt(table, id, e))
}

impl PostgresStore {
    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.client.lock().await;
        client
            .query(sql, params)
            .await
            .map_err(pg_err("run a query"))
    }

    async fn raw_rows<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
        sql: &str,
        tenant: &str,
    ) -> Result<Vec<Raw<T>>, StoreError> {
        self.query(sql, &[&tenant])
            .await?
            .iter()
            .map(|r| parse_raw(table, r.get(0), r.get(1)))
            .collect()
    }
}

#[async_trait]
impl IngestStore for PostgresStore {
    async fn write(
        &self,
        ctx: WriteContext<'_>,
        batch: Batch,
        checkpoint: Option<Checkpoint>,
    ) -> Result<WriteSummary, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(pg_err("begin a transaction"))?;
        let summary = write_batch(&tx, ctx.tenant, &ctx.now, &batch).await?;
        if let Some(c) = &checkpoint {
            put_checkpoint(&tx, ctx.tenant, c).await?;
        }
        tx.commit().await.map_err(pg_err("commit a batch"))?;
        Ok(summary)
    }
    async fn finish_snapshot(
        &self,
        ctx: WriteContext<'_>,
        scope: SnapshotScope,
        started_at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(pg_err("begin a transaction"))?;
        let (tenant, now) = (ctx.tenant, &ctx.now);
        let n = match &scope {
            SnapshotScope::Users => mark(&tx, "UPDATE users SET deleted_at = $2 WHERE tenant_id = $1 AND seen_at < $3 AND deleted_at IS NULL", &[&tenant, now, &started_at]).await?,
            SnapshotScope::Groups => mark(&tx, "UPDATE groups SET deleted_at = $2 WHERE tenant_id = $1 AND seen_at < $3 AND deleted_at IS NULL", &[&tenant, now, &started_at]).await?,
            SnapshotScope::GroupMembers { group_id } => mark(&tx, "UPDATE group_members SET removed_at = $2 WHERE tenant_id = $1 AND group_id = $4 AND seen_at < $3 AND removed_at IS NULL", &[&tenant, now, &started_at, group_id]).await?,
            SnapshotScope::AllGroupMembers => mark(&tx, "UPDATE group_members SET removed_at = $2 WHERE tenant_id = $1 AND seen_at < $3 AND removed_at IS NULL", &[&tenant, now, &started_at]).await?,
            SnapshotScope::RoleMembers => {
                mark(&tx, "DELETE FROM role_members WHERE tenant_id = $1 AND seen_at < $2", &[&tenant, &started_at]).await?
                    + mark(&tx, "DELETE FROM directory_items WHERE tenant_id = $1 AND kind = 'directory_roles' AND seen_at < $2", &[&tenant, &started_at]).await?
            }
            SnapshotScope::Applications | SnapshotScope::ServicePrincipals => {
                let (table, owner) = if scope == SnapshotScope::Applications {
                    ("applications", CredentialOwner::Application)
                } else {
                    ("service_principals", CredentialOwner::ServicePrincipal)
                };
                mark(&tx, &format!("DELETE FROM app_credentials WHERE tenant_id = $1 AND owner_kind = $3 AND owner_id IN (SELECT id FROM {table} WHERE tenant_id = $1 AND seen_at < $2)"), &[&tenant, &started_at, &owner.as_str()]).await?;
                mark(&tx, &format!("DELETE FROM {table} WHERE tenant_id = $1 AND seen_at < $2"), &[&tenant, &started_at]).await?
            }
            SnapshotScope::Items(kind) => mark(&tx, "DELETE FROM directory_items WHERE tenant_id = $1 AND kind = $2 AND seen_at < $3", &[&tenant, &kind.as_str(), &started_at]).await?,
        };
        tx.commit().await.map_err(pg_err("commit a snapshot"))?;
        Ok(n)
    }
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
            .map_err(pg_err("begin a transaction"))?;
        put_checkpoint(&tx, tenant, &checkpoint).await?;
        tx.commit().await.map_err(pg_err("commit a checkpoint"))
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

#[async_trait]
impl ActivityStore for PostgresStore {
    async fn sign_ins(
        &self,
        tenant: &str,
        query: SignInQuery,
    ) -> Result<Vec<Raw<SignIn>>, StoreError> {
        let limit = if query.limit == 0 { 1_000 } else { query.limit } as i64;
        let (after_t, after_id) = match &query.after {
            Some((t, id)) => (Some(*t), Some(id.clone())),
            None => (None, None),
        };
        let rows = self
            .query(
                "SELECT id, raw_json FROM sign_ins WHERE tenant_id = $1 AND created_at IS NOT NULL \
                 AND ($2::timestamptz IS NULL OR created_at >= $2) AND ($3::timestamptz IS NULL OR created_at < $3) \
                 AND ($4::timestamptz IS NULL OR (created_at, id) > ($4, $5::text)) \
                 ORDER BY created_at, id LIMIT $6",
                &[&tenant, &query.from, &query.until, &after_t, &after_id, &limit],
            )
            .await?;
        rows.iter()
            .map(|r| parse_raw("sign_ins", r.get(0), r.get(1)))
            .collect()
    }
    async fn sign_in_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let rows = self
            .query(
                "SELECT COUNT(*) FROM sign_ins WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }
    async fn directory_audit_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let rows = self
            .query(
                "SELECT COUNT(*) FROM directory_audits WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        Ok(rows.first().map_or(0, |r| r.get::<_, i64>(0) as u64))
    }
    async fn sign_in_changes(&self, tenant: &str) -> Result<Option<SignInChanges>, StoreError> {
        let rows = self
            .query(
                "SELECT earliest, writes FROM sign_in_changes WHERE tenant_id = $1",
                &[&tenant],
            )
            .await?;
        Ok(rows.first().map(|r| SignInChanges {
            earliest: r.get(0),
            version: r.get(1),
        }))
    }
    async fn clear_sign_in_changes(&self, tenant: &str, version: i64) -> Result<bool, StoreError> {
        let rows = self
            .query(
                "DELETE FROM sign_in_changes WHERE tenant_id = $1 AND writes = $2 RETURNING writes",
                &[&tenant, &version],
            )
            .await?;
        Ok(rows.len() == 1)
    }
    async fn prune(
        &self,
        tenant: &str,
        before: OffsetDateTime,
    ) -> Result<PruneSummary, StoreError> {
        let mut summary = PruneSummary::default();
        for (table, column, count) in [
            ("sign_ins", "created_at", &mut summary.sign_ins),
            (
                "directory_audits",
                "activity_at",
                &mut summary.directory_audits,
            ),
        ] {
            // Through the time index, a batch per transaction.
            let sql = format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND id IN (SELECT id FROM {table} \
                 WHERE tenant_id = $1 AND {column} < $2 LIMIT {PRUNE_BATCH})"
            );
            loop {
                let deleted = {
                    let client = self.client.lock().await;
                    client
                        .execute(sql.as_str(), &[&tenant, &before])
                        .await
                        .map_err(pg_err("delete rows older than the retention"))?
                };
                *count += deleted;
                if deleted < PRUNE_BATCH as u64 {
                    break;
                }
            }
        }
        Ok(summary)
    }
}

#[async_trait]
impl DirectoryStore for PostgresStore {
    async fn users(&self, tenant: &str) -> Result<Vec<StoredUser>, StoreError> {
        let rows = self
            .query(
                "SELECT id, raw_json, deleted_at, sign_in_activity_json FROM users WHERE tenant_id = $1 ORDER BY id",
                &[&tenant],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let id: &str = r.get(0);
                let sign_in_activity = match r.get::<_, Option<&str>>(3) {
                    Some(a) => Some(
                        serde_json::from_str(a).map_err(|e| StoreError::corrupt("users", id, e))?,
                    ),
                    None => None,
                };
                Ok(StoredUser {
                    user: parse_raw("users", id, r.get(1))?,
                    sign_in_activity,
                    deleted_at: r.get(2),
                })
            })
            .collect()
    }
    async fn groups(&self, tenant: &str) -> Result<Vec<Raw<Group>>, StoreError> {
        self.raw_rows("groups", "SELECT id, raw_json FROM groups WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id", tenant).await
    }
    async fn group_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = self.query("SELECT group_id, member_id, member_type, removed_at FROM group_members WHERE tenant_id = $1 ORDER BY group_id, member_id", &[&tenant]).await?;
        Ok(rows
            .iter()
            .map(|r| Membership {
                container_id: r.get(0),
                member_id: r.get(1),
                member_type: r.get(2),
                removed_at: r.get(3),
            })
            .collect())
    }
    async fn role_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = self.query("SELECT role_id, member_id, member_type FROM role_members WHERE tenant_id = $1 ORDER BY role_id, member_id", &[&tenant]).await?;
        Ok(rows
            .iter()
            .map(|r| Membership {
                container_id: r.get(0),
                member_id: r.get(1),
                member_type: r.get(2),
                removed_at: None,
            })
            .collect())
    }
    async fn app_credentials(&self, tenant: &str) -> Result<Vec<StoredCredential>, StoreError> {
        let rows = self
            .query("SELECT owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at FROM app_credentials WHERE tenant_id = $1 ORDER BY owner_kind, owner_id, kind, key_id", &[&tenant])
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let owner_kind: &str = r.get(0);
                let key_id: String = r.get(2);
                let kind: &str = r.get(3);
                StoredCredential {
                    owner_kind: if owner_kind == "application" {
                        CredentialOwner::Application
                    } else {
                        CredentialOwner::ServicePrincipal
                    },
                    owner_id: r.get(1),
                    app_id: r.get(4),
                    owner_display_name: r.get(5),
                    credential: AppCredential::new(
                        if kind == "secret" {
                            CredentialKind::Secret
                        } else {
                            CredentialKind::Certificate
                        },
                        (!key_id.is_empty()).then_some(key_id),
                        r.get(6),
                        r.get(7),
                        r.get(8),
                    ),
                }
            })
            .collect())
    }
    async fn applications(&self, tenant: &str) -> Result<Vec<Raw<Application>>, StoreError> {
        self.raw_rows(
            "applications",
            "SELECT id, raw_json FROM applications WHERE tenant_id = $1 ORDER BY id",
            tenant,
        )
        .await
    }
    async fn service_principals(
        &self,
        tenant: &str,
    ) -> Result<Vec<Raw<ServicePrincipal>>, StoreError> {
        self.raw_rows(
            "service_principals",
            "SELECT id, raw_json FROM service_principals WHERE tenant_id = $1 ORDER BY id",
            tenant,
        )
        .await
    }
    async fn auth_methods(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Raw<AuthenticationMethod>)>, StoreError> {
        let rows = self.query("SELECT user_id, method_id, raw_json FROM auth_methods WHERE tenant_id = $1 ORDER BY user_id, method_type, method_id", &[&tenant]).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.get::<_, String>(0),
                    parse_raw("auth_methods", r.get(1), r.get(2))?,
                ))
            })
            .collect()
    }
    async fn items(&self, tenant: &str, kind: ItemKind) -> Result<Vec<String>, StoreError> {
        let rows = self.query("SELECT raw_json FROM directory_items WHERE tenant_id = $1 AND kind = $2 ORDER BY id", &[&tenant, &kind.as_str()]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

#[async_trait]
impl FindingStore for PostgresStore {
    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(pg_err("begin a transaction"))?;
        let mut summary = WriteSummary::default();
        for f in &findings {
            upsert(
                &tx,
                "INSERT INTO findings (tenant_id, fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, updated_at, finding_json) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (tenant_id, fingerprint) DO UPDATE SET check_id = EXCLUDED.check_id, \
                 kind = EXCLUDED.kind, severity = EXCLUDED.severity, status = EXCLUDED.status, subject = EXCLUDED.subject, summary = EXCLUDED.summary, \
                 first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen, updated_at = EXCLUDED.updated_at, finding_json = EXCLUDED.finding_json RETURNING (xmax = 0)",
                &[&ctx.tenant, &f.fingerprint, &f.check_id, &f.kind.as_str(), &f.severity.as_str(), &f.status.as_str(), &f.subject, &f.summary, &f.first_seen, &f.last_seen, &ctx.now, &f.json.to_string()],
                &mut summary,
            )
            .await?;
        }
        tx.commit().await.map_err(pg_err("commit findings"))?;
        Ok(summary)
    }
    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let rows = self
            .query(
                "SELECT fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, notified_status, notified_at, finding_json FROM findings \
                 WHERE tenant_id = $1 AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR check_id = $3) ORDER BY last_seen DESC, fingerprint",
                &[&tenant, &filter.status.map(|s| s.as_str()), &filter.check_id],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let fingerprint: String = r.get(0);
                let json = serde_json::from_str(r.get(11))
                    .map_err(|e| StoreError::corrupt("findings", fingerprint.clone(), e))?;
                let notified_status: Option<&str> = r.get(9);
                Ok(StoredFinding {
                    check_id: r.get(1),
                    kind: rows::stored_name("findings", &fingerprint, r.get(2))?,
                    severity: rows::stored_name("findings", &fingerprint, r.get(3))?,
                    status: rows::stored_name("findings", &fingerprint, r.get(4))?,
                    subject: r.get(5),
                    summary: r.get(6),
                    first_seen: r.get(7),
                    last_seen: r.get(8),
                    notified_status: notified_status
                        .map(|s| rows::stored_name("findings", &fingerprint, s))
                        .transpose()?,
                    fingerprint,
                    notified_at: r.get(10),
                    json,
                })
            })
            .collect()
    }
}

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
            .map_err(pg_err("begin a transaction"))?;
        let channel = tx
            .prepare(
                "INSERT INTO finding_notifications (tenant_id, fingerprint, channel, status, notified_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (tenant_id, fingerprint, channel) DO UPDATE SET status = EXCLUDED.status, notified_at = EXCLUDED.notified_at",
            )
            .await
            .map_err(pg_err("record a notification"))?;
        let finding = tx
            .prepare("UPDATE findings SET notified_status = $3, notified_at = $4 WHERE tenant_id = $1 AND fingerprint = $2")
            .await
            .map_err(pg_err("record a notification"))?;
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
            .map_err(pg_err("record a notification"))?;
            tx.execute(
                &finding,
                &[&tenant, &r.fingerprint, &r.status.as_str(), &r.notified_at],
            )
            .await
            .map_err(pg_err("record a notification"))?;
        }
        tx.commit().await.map_err(pg_err("commit notifications"))
    }
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, tenant: &str, r: &AuditRecord) -> Result<(), StoreError> {
        self.query(
            "INSERT INTO audit_log (tenant_id, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            &[&tenant, &r.id, &r.at, &r.operator, &r.role, &r.action, &r.target_id, &r.target_upn, &r.outcome.as_str(), &r.completed_at, &r.entry.to_string()],
        )
        .await?;
        Ok(())
    }
    async fn complete_audit(&self, tenant: &str, r: &AuditRecord) -> Result<bool, StoreError> {
        let completed = r.completed_at.unwrap_or(r.at);
        let rows = self
            .query(
                "UPDATE audit_log SET target_id = $3, target_upn = $4, outcome = $5, completed_at = $6, entry_json = $7 WHERE tenant_id = $1 AND id = $2 AND completed_at IS NULL RETURNING id",
                &[&tenant, &r.id, &r.target_id, &r.target_upn, &r.outcome.as_str(), &completed, &r.entry.to_string()],
            )
            .await?;
        Ok(rows.len() == 1)
    }
    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self
            .query("SELECT id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json FROM audit_log WHERE tenant_id = $1 ORDER BY at DESC, id DESC LIMIT $2", &[&tenant, &(limit as i64)])
            .await?;
        rows.iter()
            .map(|r| {
                let id: String = r.get(0);
                let entry = serde_json::from_str(r.get(9))
                    .map_err(|e| StoreError::corrupt("audit_log", id.clone(), e))?;
                Ok(AuditRecord {
                    outcome: rows::stored_name("audit_log", &id, r.get(7))?,
                    id,
                    at: r.get(1),
                    operator: r.get(2),
                    role: r.get(3),
                    action: r.get(4),
                    target_id: r.get(5),
                    target_upn: r.get(6),
                    completed_at: r.get(8),
                    entry,
                })
            })
            .collect()
    }
}

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

//! PostgreSQL's statements of a write: batches of items (sign-ins through `COPY` into a
//! staging table), and the reconciliation that ends a snapshot.

use std::collections::HashMap;
use std::pin::pin;

use async_trait::async_trait;
use entra_model::{AppCredential, Group, Raw, SignIn, User};
use time::OffsetDateTime;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::Transaction;

use super::checkpoints::put_checkpoint;
use super::{mark, pg_err, summarize, upsert, PostgresStore};
use crate::error::StoreError;
use crate::rows;
use crate::{
    Batch, Checkpoint, CredentialOwner, IngestStore, ItemKind, SnapshotScope, WriteContext,
    WriteSummary,
};

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

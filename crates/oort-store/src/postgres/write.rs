//! PostgreSQL's statements of a write: one function per table over the rows of a
//! [`BatchRows`] (sign-ins through `COPY` into a staging table, the rest as
//! `INSERT ... ON CONFLICT ... RETURNING (xmax = 0)` upserts), and the reconciliation that ends
//! a snapshot.

use std::pin::pin;

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use tokio_postgres::Transaction;

use super::checkpoints::put_checkpoint;
use super::{mark, summarize, upsert, PostgresStore};
use crate::batch_rows::{
    self, sign_in_values, ApplicationRow, AuditRow, BatchRows, CredentialSet, GroupChange, ItemRow,
    MemberChange, MemberRow, MethodRow, Removal, ServicePrincipalRow, SignInActivityRow,
    SignInRows, UserChange,
};
use crate::error::{db_err, StoreError};
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
            .map_err(db_err("begin a transaction"))?;
        let summary = write_batch(&tx, ctx.tenant, &ctx.now, &BatchRows::new(&batch)).await?;
        if let Some(c) = &checkpoint {
            put_checkpoint(&tx, ctx.tenant, c).await?;
        }
        tx.commit().await.map_err(db_err("commit a batch"))?;
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
            .map_err(db_err("begin a transaction"))?;
        let n = reconcile(&tx, &scope, ctx.tenant, &ctx.now, &started_at).await?;
        tx.commit().await.map_err(db_err("commit a snapshot"))?;
        Ok(n)
    }
}

/// Marks removed or deletes the rows of `scope` not written since `started_at`.
async fn reconcile(
    tx: &Transaction<'_>,
    scope: &SnapshotScope,
    tenant: &str,
    now: &OffsetDateTime,
    started_at: &OffsetDateTime,
) -> Result<u64, StoreError> {
    Ok(match scope {
        SnapshotScope::Users => mark(tx, "UPDATE users SET deleted_at = $2 WHERE tenant_id = $1 AND seen_at < $3 AND deleted_at IS NULL", &[&tenant, now, started_at]).await?,
        SnapshotScope::Groups => mark(tx, "UPDATE groups SET deleted_at = $2 WHERE tenant_id = $1 AND seen_at < $3 AND deleted_at IS NULL", &[&tenant, now, started_at]).await?,
        SnapshotScope::GroupMembers { group_id } => mark(tx, "UPDATE group_members SET removed_at = $2 WHERE tenant_id = $1 AND group_id = $4 AND seen_at < $3 AND removed_at IS NULL", &[&tenant, now, started_at, group_id]).await?,
        SnapshotScope::AllGroupMembers => mark(tx, "UPDATE group_members SET removed_at = $2 WHERE tenant_id = $1 AND seen_at < $3 AND removed_at IS NULL", &[&tenant, now, started_at]).await?,
        SnapshotScope::RoleMembers => {
            mark(tx, "DELETE FROM role_members WHERE tenant_id = $1 AND seen_at < $2", &[&tenant, started_at]).await?
                + mark(tx, "DELETE FROM directory_items WHERE tenant_id = $1 AND kind = 'directory_roles' AND seen_at < $2", &[&tenant, started_at]).await?
        }
        SnapshotScope::Applications | SnapshotScope::ServicePrincipals => {
            let (table, owner) = if *scope == SnapshotScope::Applications {
                ("applications", CredentialOwner::Application)
            } else {
                ("service_principals", CredentialOwner::ServicePrincipal)
            };
            mark(tx, &format!("DELETE FROM app_credentials WHERE tenant_id = $1 AND owner_kind = $3 AND owner_id IN (SELECT id FROM {table} WHERE tenant_id = $1 AND seen_at < $2)"), &[&tenant, started_at, &owner.as_str()]).await?;
            mark(tx, &format!("DELETE FROM {table} WHERE tenant_id = $1 AND seen_at < $2"), &[&tenant, started_at]).await?
        }
        SnapshotScope::Items(kind) => mark(tx, "DELETE FROM directory_items WHERE tenant_id = $1 AND kind = $2 AND seen_at < $3", &[&tenant, &kind.as_str(), started_at]).await?,
    })
}

/// Writes the rows of a batch in `tx`.
async fn write_batch(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    batch: &BatchRows<'_>,
) -> Result<WriteSummary, StoreError> {
    let mut summary = WriteSummary::default();
    let s = &mut summary;
    match batch {
        BatchRows::SignIns(rows) => write_sign_ins(tx, tenant, rows, s).await?,
        BatchRows::DirectoryAudits(rows) => write_audits(tx, tenant, rows, s).await?,
        BatchRows::Users(changes) => write_users(tx, tenant, now, changes, s).await?,
        BatchRows::SignInActivity(rows) => write_sign_in_activity(tx, tenant, rows, s).await?,
        BatchRows::Groups(changes) => write_groups(tx, tenant, now, changes, s).await?,
        BatchRows::GroupMembers { group_id, members } => {
            for m in members {
                upsert_member(tx, tenant, group_id, m, now, s).await?;
            }
        }
        BatchRows::RoleMembers { role, members } => {
            write_role(tx, tenant, now, role, members, s).await?;
        }
        BatchRows::Applications(rows) => write_applications(tx, tenant, now, rows, s).await?,
        BatchRows::ServicePrincipals(rows) => {
            write_service_principals(tx, tenant, now, rows, s).await?;
        }
        BatchRows::AuthMethods { user_id, methods } => {
            *s = write_auth_methods(tx, tenant, now, user_id, methods).await?;
        }
        BatchRows::Items { kind, items } => write_items(tx, tenant, now, *kind, items, s).await?,
    }
    Ok(summary)
}

const SIGN_IN_COLUMNS: &str = "tenant_id, id, created_at, user_id, user_principal_name, app_id, app_display_name, ip_address, country, city, latitude, longitude, client_app_used, user_agent, error_code, is_interactive, event_type, conditional_access_status, risk_level_aggregated, risk_level_during_sign_in, risk_state, raw_json";

/// The types of [`SIGN_IN_COLUMNS`], for the binary `COPY`.
const SIGN_IN_TYPES: [Type; 22] = [
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

async fn write_sign_ins(
    tx: &Transaction<'_>,
    tenant: &str,
    rows: &SignInRows<'_>,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    tx.batch_execute(
        "CREATE TEMP TABLE IF NOT EXISTS sign_ins_stage (LIKE sign_ins) ON COMMIT DELETE ROWS",
    )
    .await
    .map_err(db_err("create the sign-in staging table"))?;
    let sink = tx
        .copy_in(&format!(
            "COPY sign_ins_stage ({SIGN_IN_COLUMNS}) FROM STDIN BINARY"
        ))
        .await
        .map_err(db_err("start a COPY"))?;
    let mut writer = pin!(BinaryCopyInWriter::new(sink, &SIGN_IN_TYPES));
    // One statement upserts the staged rows: it cannot touch a row twice.
    for r in rows.last_of_each_id() {
        writer
            .as_mut()
            .write(&sign_in_values!(&tenant, r, &r.created_at))
            .await
            .map_err(db_err("copy a sign-in"))?;
    }
    writer.finish().await.map_err(db_err("finish a COPY"))?;
    let updates: Vec<String> = SIGN_IN_COLUMNS
        .split(", ")
        .skip(2)
        .map(|c| format!("{c} = EXCLUDED.{c}"))
        .collect();
    let upserted = tx
        .query(
            &format!(
                "INSERT INTO sign_ins ({SIGN_IN_COLUMNS}) SELECT {SIGN_IN_COLUMNS} FROM sign_ins_stage \
                 ON CONFLICT (tenant_id, id) DO UPDATE SET {} RETURNING (xmax = 0)",
                updates.join(", ")
            ),
            &[],
        )
        .await
        .map_err(db_err("upsert staged sign-ins"))?;
    summarize(&upserted, summary);
    // The staging table empties itself at commit (ON COMMIT DELETE ROWS); a batch is staged once
    // per transaction.
    // Tell the analysis how far back this batch reaches (see `Store::sign_in_changes`).
    if let Some(earliest) = rows.earliest() {
        tx.execute(
            "INSERT INTO sign_in_changes (tenant_id, earliest, writes) VALUES ($1, $2, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET earliest = LEAST(sign_in_changes.earliest, EXCLUDED.earliest), writes = sign_in_changes.writes + 1",
            &[&tenant, &earliest],
        )
        .await
        .map_err(db_err("mark the sign-ins for the analysis"))?;
    }
    Ok(())
}

async fn write_audits(
    tx: &Transaction<'_>,
    tenant: &str,
    rows: &[AuditRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for r in rows {
        upsert(
            tx,
            "INSERT INTO directory_audits (tenant_id, id, activity_at, activity_display_name, category, result, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET activity_at = EXCLUDED.activity_at, activity_display_name = EXCLUDED.activity_display_name, \
             category = EXCLUDED.category, result = EXCLUDED.result, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
            &[&tenant, &r.id, &r.activity_at, &r.activity_display_name, &r.category, &r.result, &r.raw_json],
            summary,
        )
        .await?;
    }
    Ok(())
}

/// A delta removal: marks the row deleted with `mark_sql` (never erases it, keeping the last
/// full JSON) or, when the object was not known, records it with `record_sql`.
async fn mark_deleted(
    tx: &Transaction<'_>,
    (mark_sql, record_sql): (&str, &str),
    tenant: &str,
    removal: &Removal<'_>,
    now: &OffsetDateTime,
) -> Result<(), StoreError> {
    let n = mark(tx, mark_sql, &[&tenant, &removal.id, now]).await?;
    if n == 0 {
        mark(
            tx,
            record_sql,
            &[&tenant, &removal.id, now, &removal.raw_json],
        )
        .await?;
    }
    Ok(())
}

async fn write_users(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    changes: &[UserChange<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for change in changes {
        let r = match change {
            UserChange::Remove(removal) => {
                mark_deleted(
                    tx,
                    (
                        "UPDATE users SET deleted_at = COALESCE(deleted_at, $3), seen_at = $3 WHERE tenant_id = $1 AND id = $2",
                        "INSERT INTO users (tenant_id, id, deleted_at, seen_at, raw_json) VALUES ($1, $2, $3, $3, $4)",
                    ),
                    tenant,
                    removal,
                    now,
                )
                .await?;
                summary.removed += 1;
                continue;
            }
            UserChange::Upsert(r) => r,
        };
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

async fn write_sign_in_activity(
    tx: &Transaction<'_>,
    tenant: &str,
    rows: &[SignInActivityRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for r in rows {
        summary.updated += mark(
            tx,
            "UPDATE users SET sign_in_activity_json = $3, last_sign_in_at = $4, last_successful_sign_in_at = $5 WHERE tenant_id = $1 AND id = $2",
            &[&tenant, &r.id, &r.activity_json, &r.last_sign_in_at, &r.last_successful_sign_in_at],
        )
        .await?;
    }
    Ok(())
}

/// (Re)adds a member to a group, counted in `summary`.
async fn upsert_member(
    tx: &Transaction<'_>,
    tenant: &str,
    group_id: &str,
    member: &MemberRow<'_>,
    now: &OffsetDateTime,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    upsert(
        tx,
        "INSERT INTO group_members (tenant_id, group_id, member_id, member_type, added_at, removed_at, seen_at) VALUES ($1, $2, $3, $4, $5, NULL, $5) \
         ON CONFLICT (tenant_id, group_id, member_id) DO UPDATE SET member_type = COALESCE(EXCLUDED.member_type, group_members.member_type), removed_at = NULL, seen_at = EXCLUDED.seen_at RETURNING (xmax = 0)",
        &[&tenant, &group_id, &member.member_id, &member.member_type, now],
        summary,
    )
    .await
}

async fn write_groups(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    changes: &[GroupChange<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for change in changes {
        let (r, members) = match change {
            GroupChange::Remove(removal) => {
                mark_deleted(
                    tx,
                    (
                        "UPDATE groups SET deleted_at = COALESCE(deleted_at, $3), seen_at = $3 WHERE tenant_id = $1 AND id = $2",
                        "INSERT INTO groups (tenant_id, id, is_dynamic, deleted_at, seen_at, raw_json) VALUES ($1, $2, FALSE, $3, $3, $4)",
                    ),
                    tenant,
                    removal,
                    now,
                )
                .await?;
                mark(tx, "UPDATE group_members SET removed_at = $3 WHERE tenant_id = $1 AND group_id = $2 AND removed_at IS NULL", &[&tenant, &removal.id, now]).await?;
                summary.removed += 1;
                continue;
            }
            GroupChange::Upsert { group, members } => (group, members),
        };
        upsert(
            tx,
            "INSERT INTO groups (tenant_id, id, display_name, security_enabled, is_dynamic, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET display_name = EXCLUDED.display_name, security_enabled = EXCLUDED.security_enabled, \
             is_dynamic = EXCLUDED.is_dynamic, seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json, deleted_at = NULL RETURNING (xmax = 0)",
            &[&tenant, &r.id, &r.display_name, &r.security_enabled, &r.is_dynamic, now, &r.raw_json],
            summary,
        )
        .await?;
        for delta in members {
            match delta {
                MemberChange::Remove { member_id } => {
                    summary.removed += mark(
                        tx,
                        "UPDATE group_members SET removed_at = $4 WHERE tenant_id = $1 AND group_id = $2 AND member_id = $3 AND removed_at IS NULL",
                        &[&tenant, &r.id, member_id, now],
                    )
                    .await?;
                }
                MemberChange::Add(member) => {
                    let uncounted = &mut WriteSummary::default();
                    upsert_member(tx, tenant, r.id, member, now, uncounted).await?;
                }
            }
        }
    }
    Ok(())
}

/// A directory role (as a snapshot item, not counted) and its members.
async fn write_role(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    role: &ItemRow<'_>,
    members: &[MemberRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    write_items(
        tx,
        tenant,
        now,
        ItemKind::DirectoryRoles,
        std::slice::from_ref(role),
        &mut WriteSummary::default(),
    )
    .await?;
    for m in members {
        upsert(
            tx,
            "INSERT INTO role_members (tenant_id, role_id, member_id, member_type, seen_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, role_id, member_id) DO UPDATE SET member_type = EXCLUDED.member_type, seen_at = EXCLUDED.seen_at RETURNING (xmax = 0)",
            &[&tenant, &role.id, &m.member_id, &m.member_type, now],
            summary,
        )
        .await?;
    }
    Ok(())
}

async fn write_applications(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    rows: &[ApplicationRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for a in rows {
        upsert(
            tx,
            "INSERT INTO applications (tenant_id, id, app_id, display_name, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET app_id = EXCLUDED.app_id, display_name = EXCLUDED.display_name, seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
            &[&tenant, &a.id, &a.app_id, &a.display_name, now, &a.raw_json],
            summary,
        )
        .await?;
        write_credentials(tx, tenant, &a.credentials).await?;
    }
    Ok(())
}

async fn write_service_principals(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    rows: &[ServicePrincipalRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for sp in rows {
        upsert(
            tx,
            "INSERT INTO service_principals (tenant_id, id, app_id, display_name, service_principal_type, app_owner_organization_id, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (tenant_id, id) DO UPDATE SET app_id = EXCLUDED.app_id, display_name = EXCLUDED.display_name, service_principal_type = EXCLUDED.service_principal_type, \
             app_owner_organization_id = EXCLUDED.app_owner_organization_id, seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
            &[&tenant, &sp.id, &sp.app_id, &sp.display_name, &sp.service_principal_type, &sp.app_owner_organization_id, now, &sp.raw_json],
            summary,
        )
        .await?;
        write_credentials(tx, tenant, &sp.credentials).await?;
    }
    Ok(())
}

/// Replaces an owner's stored credentials with `set`.
async fn write_credentials(
    tx: &Transaction<'_>,
    tenant: &str,
    set: &CredentialSet<'_>,
) -> Result<(), StoreError> {
    let owner = set.owner.as_str();
    mark(
        tx,
        "DELETE FROM app_credentials WHERE tenant_id = $1 AND owner_kind = $2 AND owner_id = $3",
        &[&tenant, &owner, &set.owner_id],
    )
    .await?;
    for c in set.rows() {
        mark(
            tx,
            "INSERT INTO app_credentials (tenant_id, owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (tenant_id, owner_kind, owner_id, kind, key_id) DO UPDATE SET \
             display_name = EXCLUDED.display_name, start_at = EXCLUDED.start_at, end_at = EXCLUDED.end_at",
            &[&tenant, &owner, &set.owner_id, &c.key_id, &c.kind, &set.app_id, &set.owner_name, &c.display_name, &c.start_at, &c.end_at],
        )
        .await?;
    }
    Ok(())
}

/// Replaces a user's stored methods with `methods`.
async fn write_auth_methods(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    user_id: &str,
    methods: &[MethodRow<'_>],
) -> Result<WriteSummary, StoreError> {
    let before = mark(
        tx,
        "DELETE FROM auth_methods WHERE tenant_id = $1 AND user_id = $2",
        &[&tenant, &user_id],
    )
    .await?;
    for m in methods {
        mark(
            tx,
            "INSERT INTO auth_methods (tenant_id, user_id, method_id, method_type, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (tenant_id, user_id, method_type, method_id) DO UPDATE SET seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json",
            &[&tenant, &user_id, &m.method_id, &m.method_type, now, &m.raw_json],
        )
        .await?;
    }
    Ok(batch_rows::replaced(before, methods.len() as u64))
}

async fn write_items(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &OffsetDateTime,
    kind: ItemKind,
    items: &[ItemRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for item in items {
        upsert(
            tx,
            "INSERT INTO directory_items (tenant_id, kind, id, seen_at, raw_json) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tenant_id, kind, id) DO UPDATE SET seen_at = EXCLUDED.seen_at, raw_json = EXCLUDED.raw_json RETURNING (xmax = 0)",
            &[&tenant, &kind.as_str(), &item.id, now, &item.raw_json],
            summary,
        )
        .await?;
    }
    Ok(())
}

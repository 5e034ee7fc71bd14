//! SQLite's statements of a write: one function per table over the rows of a [`BatchRows`]
//! (prepared, cached upserts: insert, and update when the row existed), and the reconciliation
//! that ends a snapshot.

use async_trait::async_trait;
use rusqlite::{params, ToSql, Transaction};
use time::OffsetDateTime;

use super::checkpoints::put_checkpoint;
use super::{count, opt_ts, upsert, SqliteStore};
use crate::batch_rows::{
    self, sign_in_values, ApplicationRow, AuditRow, BatchRows, CredentialSet, GroupChange, ItemRow,
    MemberChange, MemberRow, MethodRow, Removal, ServicePrincipalRow, SignInActivityRow,
    SignInRows, UserChange,
};
use crate::error::{db_err, StoreError};
use crate::rows::ts_text;
use crate::{
    Batch, Checkpoint, CredentialOwner, IngestStore, ItemKind, SnapshotScope, WriteContext,
    WriteSummary,
};

#[async_trait]
impl IngestStore for SqliteStore {
    async fn write(
        &self,
        ctx: WriteContext<'_>,
        batch: Batch,
        checkpoint: Option<Checkpoint>,
    ) -> Result<WriteSummary, StoreError> {
        let tenant = ctx.tenant.to_owned();
        let now = ts_text(ctx.now);
        let summary = self
            .with(move |conn| {
                let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
                let summary = write_batch(&tx, &tenant, &now, &BatchRows::new(&batch))?;
                if let Some(c) = &checkpoint {
                    put_checkpoint(&tx, &tenant, c)?;
                }
                tx.commit().map_err(db_err("commit a batch"))?;
                Ok(summary)
            })
            .await;
        self.committed();
        summary
    }

    async fn finish_snapshot(
        &self,
        ctx: WriteContext<'_>,
        scope: SnapshotScope,
        started_at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        let tenant = ctx.tenant.to_owned();
        let now = ts_text(ctx.now);
        let started = ts_text(started_at);
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            let n = reconcile(&tx, &scope, &tenant, &now, &started)
                .map_err(db_err("reconcile a snapshot"))?;
            tx.commit().map_err(db_err("commit a snapshot"))?;
            Ok(n as u64)
        })
        .await
    }
}

/// Marks removed or deletes the rows of `scope` not written since `started`.
fn reconcile(
    tx: &Transaction<'_>,
    scope: &SnapshotScope,
    tenant: &str,
    now: &str,
    started: &str,
) -> rusqlite::Result<usize> {
    match scope {
        SnapshotScope::Users => tx.execute(
            "UPDATE users SET deleted_at = ?2 WHERE tenant_id = ?1 AND seen_at < ?3 AND deleted_at IS NULL",
            params![tenant, now, started],
        ),
        SnapshotScope::Groups => tx.execute(
            "UPDATE groups SET deleted_at = ?2 WHERE tenant_id = ?1 AND seen_at < ?3 AND deleted_at IS NULL",
            params![tenant, now, started],
        ),
        SnapshotScope::GroupMembers { group_id } => tx.execute(
            "UPDATE group_members SET removed_at = ?2 WHERE tenant_id = ?1 AND group_id = ?4 AND seen_at < ?3 AND removed_at IS NULL",
            params![tenant, now, started, group_id],
        ),
        SnapshotScope::AllGroupMembers => tx.execute(
            "UPDATE group_members SET removed_at = ?2 WHERE tenant_id = ?1 AND seen_at < ?3 AND removed_at IS NULL",
            params![tenant, now, started],
        ),
        SnapshotScope::RoleMembers => tx
            .execute(
                "DELETE FROM role_members WHERE tenant_id = ?1 AND seen_at < ?2",
                params![tenant, started],
            )
            .and_then(|n| {
                tx.execute(
                    "DELETE FROM directory_items WHERE tenant_id = ?1 AND kind = 'directory_roles' AND seen_at < ?2",
                    params![tenant, started],
                )
                .map(|m| n + m)
            }),
        SnapshotScope::Applications | SnapshotScope::ServicePrincipals => {
            let (table, owner) = if *scope == SnapshotScope::Applications {
                ("applications", CredentialOwner::Application)
            } else {
                ("service_principals", CredentialOwner::ServicePrincipal)
            };
            tx.execute(
                &format!("DELETE FROM app_credentials WHERE tenant_id = ?1 AND owner_kind = ?3 AND owner_id IN (SELECT id FROM {table} WHERE tenant_id = ?1 AND seen_at < ?2)"),
                params![tenant, started, owner.as_str()],
            )
            .and_then(|_| {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE tenant_id = ?1 AND seen_at < ?2"),
                    params![tenant, started],
                )
            })
        }
        SnapshotScope::Items(kind) => tx.execute(
            "DELETE FROM directory_items WHERE tenant_id = ?1 AND kind = ?2 AND seen_at < ?3",
            params![tenant, kind.as_str(), started],
        ),
    }
}

/// Writes the rows of a batch in `tx`; `now` is the write's time as stored ([`ts_text`]).
fn write_batch(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    batch: &BatchRows<'_>,
) -> Result<WriteSummary, StoreError> {
    let mut summary = WriteSummary::default();
    let s = &mut summary;
    match batch {
        BatchRows::SignIns(rows) => write_sign_ins(tx, tenant, rows, s)?,
        BatchRows::DirectoryAudits(rows) => write_audits(tx, tenant, rows, s)?,
        BatchRows::Users(changes) => write_users(tx, tenant, now, changes, s)?,
        BatchRows::SignInActivity(rows) => write_sign_in_activity(tx, tenant, rows, s)?,
        BatchRows::Groups(changes) => write_groups(tx, tenant, now, changes, s)?,
        BatchRows::GroupMembers { group_id, members } => {
            for m in members {
                count(s, upsert_member(tx, tenant, group_id, m, now)?);
            }
        }
        BatchRows::RoleMembers { role, members } => {
            write_role(tx, tenant, now, role, members, s)?;
        }
        BatchRows::Applications(rows) => write_applications(tx, tenant, now, rows, s)?,
        BatchRows::ServicePrincipals(rows) => write_service_principals(tx, tenant, now, rows, s)?,
        BatchRows::AuthMethods { user_id, methods } => {
            *s = write_auth_methods(tx, tenant, now, user_id, methods)?;
        }
        BatchRows::Items { kind, items } => write_items(tx, tenant, now, *kind, items, s)?,
    }
    Ok(summary)
}

const SIGN_IN_INSERT: &str = "INSERT INTO sign_ins (tenant_id, id, created_at, user_id, user_principal_name, app_id, app_display_name, ip_address, country, city, latitude, longitude, client_app_used, user_agent, error_code, is_interactive, event_type, conditional_access_status, risk_level_aggregated, risk_level_during_sign_in, risk_state, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) ON CONFLICT DO NOTHING";
const SIGN_IN_UPDATE: &str = "UPDATE sign_ins SET created_at = ?3, user_id = ?4, user_principal_name = ?5, app_id = ?6, app_display_name = ?7, ip_address = ?8, country = ?9, city = ?10, latitude = ?11, longitude = ?12, client_app_used = ?13, user_agent = ?14, error_code = ?15, is_interactive = ?16, event_type = ?17, conditional_access_status = ?18, risk_level_aggregated = ?19, risk_level_during_sign_in = ?20, risk_state = ?21, raw_json = ?22 WHERE tenant_id = ?1 AND id = ?2";

fn write_sign_ins(
    tx: &Transaction<'_>,
    tenant: &str,
    rows: &SignInRows<'_>,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for r in rows.iter() {
        let created = opt_ts(r.created_at);
        let p: [&dyn ToSql; 22] = sign_in_values!(&tenant, r, &created);
        count(summary, upsert(tx, SIGN_IN_INSERT, SIGN_IN_UPDATE, &p)?);
    }
    // Tell the analysis how far back this batch reaches (see `Store::sign_in_changes`).
    if let Some(earliest) = rows.earliest() {
        tx.prepare_cached(
            "INSERT INTO sign_in_changes (tenant_id, earliest, writes) VALUES (?1, ?2, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET earliest = min(earliest, excluded.earliest), writes = writes + 1",
        )
        .and_then(|mut s| s.execute(params![tenant, ts_text(earliest)]))
        .map_err(db_err("mark the sign-ins for the analysis"))?;
    }
    Ok(())
}

fn write_audits(
    tx: &Transaction<'_>,
    tenant: &str,
    rows: &[AuditRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for r in rows {
        let at = opt_ts(r.activity_at);
        let inserted = upsert(
            tx,
            "INSERT INTO directory_audits (tenant_id, id, activity_at, activity_display_name, category, result, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            "UPDATE directory_audits SET activity_at = ?3, activity_display_name = ?4, category = ?5, result = ?6, raw_json = ?7 WHERE tenant_id = ?1 AND id = ?2",
            &[&tenant, &r.id, &at, &r.activity_display_name, &r.category, &r.result, &r.raw_json],
        )?;
        count(summary, inserted);
    }
    Ok(())
}

/// A delta removal: marks the row deleted with `mark_sql` (never erases it, keeping the last
/// full JSON) or, when the object was not known, records it with `record_sql`.
fn mark_deleted(
    tx: &Transaction<'_>,
    (mark_sql, record_sql): (&str, &str),
    what: (&'static str, &'static str),
    tenant: &str,
    removal: &Removal<'_>,
    now: &str,
) -> Result<(), StoreError> {
    let changed = tx
        .prepare_cached(mark_sql)
        .and_then(|mut s| s.execute(params![tenant, removal.id, now]))
        .map_err(db_err(what.0))?;
    if changed == 0 {
        tx.prepare_cached(record_sql)
            .and_then(|mut s| s.execute(params![tenant, removal.id, now, removal.raw_json]))
            .map_err(db_err(what.1))?;
    }
    Ok(())
}

fn write_users(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    changes: &[UserChange<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for change in changes {
        let r = match change {
            UserChange::Remove(removal) => {
                mark_deleted(
                    tx,
                    (
                        "UPDATE users SET deleted_at = COALESCE(deleted_at, ?3), seen_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
                        "INSERT INTO users (tenant_id, id, deleted_at, seen_at, raw_json) VALUES (?1, ?2, ?3, ?3, ?4)",
                    ),
                    ("mark a user deleted", "record a deleted user"),
                    tenant,
                    removal,
                    now,
                )?;
                summary.removed += 1;
                continue;
            }
            UserChange::Upsert(r) => r,
        };
        let p: [&dyn ToSql; 13] = [
            &tenant,
            &r.id,
            &r.user_principal_name,
            &r.display_name,
            &r.user_type,
            &r.account_enabled,
            &opt_ts(r.created_at),
            &opt_ts(r.last_sign_in_at),
            &opt_ts(r.last_successful_sign_in_at),
            &r.on_premises_sync_enabled,
            &now,
            &r.raw_json,
            &Option::<String>::None,
        ];
        let inserted = upsert(
            tx,
            "INSERT INTO users (tenant_id, id, user_principal_name, display_name, user_type, account_enabled, created_at, last_sign_in_at, last_successful_sign_in_at, on_premises_sync_enabled, seen_at, raw_json, deleted_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT DO NOTHING",
            "UPDATE users SET user_principal_name = ?3, display_name = ?4, user_type = ?5, account_enabled = ?6, created_at = ?7, last_sign_in_at = ?8, last_successful_sign_in_at = ?9, on_premises_sync_enabled = ?10, seen_at = ?11, raw_json = ?12, deleted_at = ?13 WHERE tenant_id = ?1 AND id = ?2",
            &p,
        )?;
        count(summary, inserted);
    }
    Ok(())
}

fn write_sign_in_activity(
    tx: &Transaction<'_>,
    tenant: &str,
    rows: &[SignInActivityRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for r in rows {
        let n = tx
            .prepare_cached("UPDATE users SET sign_in_activity_json = ?3, last_sign_in_at = ?4, last_successful_sign_in_at = ?5 WHERE tenant_id = ?1 AND id = ?2")
            .and_then(|mut st| st.execute(params![tenant, r.id, r.activity_json, opt_ts(r.last_sign_in_at), opt_ts(r.last_successful_sign_in_at)]))
            .map_err(db_err("store sign-in activity"))?;
        summary.updated += n as u64;
    }
    Ok(())
}

/// (Re)adds a member to a group. Returns whether the membership is new.
fn upsert_member(
    tx: &Transaction<'_>,
    tenant: &str,
    group_id: &str,
    member: &MemberRow<'_>,
    now: &str,
) -> Result<bool, StoreError> {
    upsert(
        tx,
        "INSERT INTO group_members (tenant_id, group_id, member_id, member_type, added_at, removed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?5) ON CONFLICT DO NOTHING",
        "UPDATE group_members SET member_type = COALESCE(?4, member_type), removed_at = NULL, seen_at = ?5 WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3",
        &[&tenant, &group_id, &member.member_id, &member.member_type, &now],
    )
}

fn write_groups(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    changes: &[GroupChange<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for change in changes {
        let (r, members) = match change {
            GroupChange::Remove(removal) => {
                mark_deleted(
                    tx,
                    (
                        "UPDATE groups SET deleted_at = COALESCE(deleted_at, ?3), seen_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
                        "INSERT INTO groups (tenant_id, id, is_dynamic, deleted_at, seen_at, raw_json) VALUES (?1, ?2, 0, ?3, ?3, ?4)",
                    ),
                    ("mark a group deleted", "record a deleted group"),
                    tenant,
                    removal,
                    now,
                )?;
                tx.prepare_cached(
                    "UPDATE group_members SET removed_at = ?3 WHERE tenant_id = ?1 AND group_id = ?2 AND removed_at IS NULL",
                )
                .and_then(|mut s| s.execute(params![tenant, removal.id, now]))
                .map_err(db_err("end a deleted group's memberships"))?;
                summary.removed += 1;
                continue;
            }
            GroupChange::Upsert { group, members } => (group, members),
        };
        let p: [&dyn ToSql; 7] = [
            &tenant,
            &r.id,
            &r.display_name,
            &r.security_enabled,
            &r.is_dynamic,
            &now,
            &r.raw_json,
        ];
        let inserted = upsert(
            tx,
            "INSERT INTO groups (tenant_id, id, display_name, security_enabled, is_dynamic, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
            "UPDATE groups SET display_name = ?3, security_enabled = ?4, is_dynamic = ?5, seen_at = ?6, raw_json = ?7, deleted_at = NULL WHERE tenant_id = ?1 AND id = ?2",
            &p,
        )?;
        count(summary, inserted);
        for delta in members {
            match delta {
                MemberChange::Remove { member_id } => {
                    let n = tx
                        .prepare_cached(
                            "UPDATE group_members SET removed_at = ?4 WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3 AND removed_at IS NULL",
                        )
                        .and_then(|mut s| s.execute(params![tenant, r.id, member_id, now]))
                        .map_err(db_err("mark a membership removed"))?;
                    summary.removed += n as u64;
                }
                MemberChange::Add(member) => {
                    upsert_member(tx, tenant, r.id, member, now)?;
                }
            }
        }
    }
    Ok(())
}

/// A directory role (as a snapshot item, not counted) and its members.
fn write_role(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
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
    )?;
    for m in members {
        let inserted = upsert(
            tx,
            "INSERT INTO role_members (tenant_id, role_id, member_id, member_type, seen_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            "UPDATE role_members SET member_type = ?4, seen_at = ?5 WHERE tenant_id = ?1 AND role_id = ?2 AND member_id = ?3",
            &[&tenant, &role.id, &m.member_id, &m.member_type, &now],
        )?;
        count(summary, inserted);
    }
    Ok(())
}

fn write_applications(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    rows: &[ApplicationRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for a in rows {
        let inserted = upsert(
            tx,
            "INSERT INTO applications (tenant_id, id, app_id, display_name, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            "UPDATE applications SET app_id = ?3, display_name = ?4, seen_at = ?5, raw_json = ?6 WHERE tenant_id = ?1 AND id = ?2",
            &[&tenant, &a.id, &a.app_id, &a.display_name, &now, &a.raw_json],
        )?;
        count(summary, inserted);
        write_credentials(tx, tenant, &a.credentials)?;
    }
    Ok(())
}

fn write_service_principals(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    rows: &[ServicePrincipalRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for sp in rows {
        let inserted = upsert(
            tx,
            "INSERT INTO service_principals (tenant_id, id, app_id, display_name, service_principal_type, app_owner_organization_id, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
            "UPDATE service_principals SET app_id = ?3, display_name = ?4, service_principal_type = ?5, app_owner_organization_id = ?6, seen_at = ?7, raw_json = ?8 WHERE tenant_id = ?1 AND id = ?2",
            &[&tenant, &sp.id, &sp.app_id, &sp.display_name, &sp.service_principal_type, &sp.app_owner_organization_id, &now, &sp.raw_json],
        )?;
        count(summary, inserted);
        write_credentials(tx, tenant, &sp.credentials)?;
    }
    Ok(())
}

/// Replaces an owner's stored credentials with `set`.
fn write_credentials(
    tx: &Transaction<'_>,
    tenant: &str,
    set: &CredentialSet<'_>,
) -> Result<(), StoreError> {
    let owner = set.owner.as_str();
    tx.prepare_cached(
        "DELETE FROM app_credentials WHERE tenant_id = ?1 AND owner_kind = ?2 AND owner_id = ?3",
    )
    .and_then(|mut s| s.execute(params![tenant, owner, set.owner_id]))
    .map_err(db_err("replace credentials"))?;
    for c in set.rows() {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO app_credentials (tenant_id, owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(params![
                tenant,
                owner,
                set.owner_id,
                c.key_id,
                c.kind,
                set.app_id,
                set.owner_name,
                c.display_name,
                opt_ts(c.start_at),
                opt_ts(c.end_at)
            ])
        })
        .map_err(db_err("store a credential"))?;
    }
    Ok(())
}

/// Replaces a user's stored methods with `methods`.
fn write_auth_methods(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    user_id: &str,
    methods: &[MethodRow<'_>],
) -> Result<WriteSummary, StoreError> {
    let before: i64 = tx
        .query_row(
            "SELECT COUNT(*) FROM auth_methods WHERE tenant_id = ?1 AND user_id = ?2",
            params![tenant, user_id],
            |r| r.get(0),
        )
        .map_err(db_err("count a user's methods"))?;
    tx.prepare_cached("DELETE FROM auth_methods WHERE tenant_id = ?1 AND user_id = ?2")
        .and_then(|mut s| s.execute(params![tenant, user_id]))
        .map_err(db_err("replace a user's methods"))?;
    for m in methods {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO auth_methods (tenant_id, user_id, method_id, method_type, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| {
            s.execute(params![
                tenant,
                user_id,
                m.method_id,
                m.method_type,
                now,
                m.raw_json
            ])
        })
        .map_err(db_err("store a method"))?;
    }
    Ok(batch_rows::replaced(before as u64, methods.len() as u64))
}

fn write_items(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    kind: ItemKind,
    items: &[ItemRow<'_>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let kind = kind.as_str();
    for item in items {
        let inserted = upsert(
            tx,
            "INSERT INTO directory_items (tenant_id, kind, id, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            "UPDATE directory_items SET seen_at = ?4, raw_json = ?5 WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
            &[&tenant, &kind, &item.id, &now, &item.raw_json],
        )?;
        count(summary, inserted);
    }
    Ok(())
}

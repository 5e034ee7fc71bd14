//! SQLite's statements of a write: batches of items, and the reconciliation that ends a
//! snapshot.

use async_trait::async_trait;
use entra_model::{AppCredential, Group, Raw, SignIn, User};
use rusqlite::{params, Transaction};
use time::OffsetDateTime;

use super::checkpoints::put_checkpoint;
use super::{count, db_err, opt_ts, upsert, SqliteStore};
use crate::error::StoreError;
use crate::rows::{self, ts_text};
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
                let summary = write_batch(&tx, &tenant, &now, &batch)?;
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
            let n = match &scope {
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
                    let (table, owner) = if scope == SnapshotScope::Applications {
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
            .map_err(db_err("reconcile a snapshot"))?;
            tx.commit().map_err(db_err("commit a snapshot"))?;
            Ok(n as u64)
        })
        .await
    }
}

const SIGN_IN_INSERT: &str = "INSERT INTO sign_ins (tenant_id, id, created_at, user_id, user_principal_name, app_id, app_display_name, ip_address, country, city, latitude, longitude, client_app_used, user_agent, error_code, is_interactive, event_type, conditional_access_status, risk_level_aggregated, risk_level_during_sign_in, risk_state, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22) ON CONFLICT DO NOTHING";
const SIGN_IN_UPDATE: &str = "UPDATE sign_ins SET created_at = ?3, user_id = ?4, user_principal_name = ?5, app_id = ?6, app_display_name = ?7, ip_address = ?8, country = ?9, city = ?10, latitude = ?11, longitude = ?12, client_app_used = ?13, user_agent = ?14, error_code = ?15, is_interactive = ?16, event_type = ?17, conditional_access_status = ?18, risk_level_aggregated = ?19, risk_level_during_sign_in = ?20, risk_state = ?21, raw_json = ?22 WHERE tenant_id = ?1 AND id = ?2";

fn write_sign_ins(
    tx: &Transaction<'_>,
    tenant: &str,
    items: &[Raw<SignIn>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for item in items {
        let r = rows::sign_in_row(item);
        let created = opt_ts(r.created_at);
        let p: [&dyn rusqlite::ToSql; 22] = [
            &tenant,
            &r.id,
            &created,
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
        ];
        count(summary, upsert(tx, SIGN_IN_INSERT, SIGN_IN_UPDATE, &p)?);
    }
    // Tell the analysis how far back this batch reaches (see `Store::sign_in_changes`).
    if let Some(earliest) = items
        .iter()
        .filter_map(|i| i.value().created_date_time)
        .min()
    {
        tx.prepare_cached(
            "INSERT INTO sign_in_changes (tenant_id, earliest, writes) VALUES (?1, ?2, 1) \
             ON CONFLICT (tenant_id) DO UPDATE SET earliest = min(earliest, excluded.earliest), writes = writes + 1",
        )
        .and_then(|mut s| s.execute(params![tenant, ts_text(earliest)]))
        .map_err(db_err("mark the sign-ins for the analysis"))?;
    }
    Ok(())
}

fn write_users(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    items: &[Raw<User>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for item in items {
        let r = rows::user_row(item);
        if r.removed {
            // A delta removal: mark, never erase. Keep the last full JSON when there is one.
            let changed = tx
                .prepare_cached(
                    "UPDATE users SET deleted_at = COALESCE(deleted_at, ?3), seen_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
                )
                .and_then(|mut s| s.execute(params![tenant, r.id, now]))
                .map_err(db_err("mark a user deleted"))?;
            if changed == 0 {
                tx.prepare_cached(
                    "INSERT INTO users (tenant_id, id, deleted_at, seen_at, raw_json) VALUES (?1, ?2, ?3, ?3, ?4)",
                )
                .and_then(|mut s| s.execute(params![tenant, r.id, now, r.raw_json]))
                .map_err(db_err("record a deleted user"))?;
            }
            summary.removed += 1;
            continue;
        }
        let p: [&dyn rusqlite::ToSql; 13] = [
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

fn upsert_member(
    tx: &Transaction<'_>,
    tenant: &str,
    group_id: &str,
    member_id: &str,
    member_type: Option<&str>,
    now: &str,
) -> Result<bool, StoreError> {
    upsert(
        tx,
        "INSERT INTO group_members (tenant_id, group_id, member_id, member_type, added_at, removed_at, seen_at) VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?5) ON CONFLICT DO NOTHING",
        "UPDATE group_members SET member_type = COALESCE(?4, member_type), removed_at = NULL, seen_at = ?5 WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3",
        &[&tenant, &group_id, &member_id, &member_type, &now],
    )
}

fn write_groups(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    items: &[Raw<Group>],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    for item in items {
        let r = rows::group_row(item);
        if r.removed {
            let changed = tx
                .prepare_cached(
                    "UPDATE groups SET deleted_at = COALESCE(deleted_at, ?3), seen_at = ?3 WHERE tenant_id = ?1 AND id = ?2",
                )
                .and_then(|mut s| s.execute(params![tenant, r.id, now]))
                .map_err(db_err("mark a group deleted"))?;
            if changed == 0 {
                tx.prepare_cached(
                    "INSERT INTO groups (tenant_id, id, is_dynamic, deleted_at, seen_at, raw_json) VALUES (?1, ?2, 0, ?3, ?3, ?4)",
                )
                .and_then(|mut s| s.execute(params![tenant, r.id, now, r.raw_json]))
                .map_err(db_err("record a deleted group"))?;
            }
            tx.prepare_cached(
                "UPDATE group_members SET removed_at = ?3 WHERE tenant_id = ?1 AND group_id = ?2 AND removed_at IS NULL",
            )
            .and_then(|mut s| s.execute(params![tenant, r.id, now]))
            .map_err(db_err("end a deleted group's memberships"))?;
            summary.removed += 1;
            continue;
        }
        let p: [&dyn rusqlite::ToSql; 7] = [
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
        for delta in &item.value().members_delta {
            let member_type = rows::short_type(delta.odata_type.as_deref());
            if delta.is_removed() {
                let n = tx
                    .prepare_cached(
                        "UPDATE group_members SET removed_at = ?4 WHERE tenant_id = ?1 AND group_id = ?2 AND member_id = ?3 AND removed_at IS NULL",
                    )
                    .and_then(|mut s| s.execute(params![tenant, r.id, delta.id, now]))
                    .map_err(db_err("mark a membership removed"))?;
                summary.removed += n as u64;
            } else {
                upsert_member(tx, tenant, r.id, &delta.id, member_type, now)?;
            }
        }
    }
    Ok(())
}

fn write_credentials(
    tx: &Transaction<'_>,
    tenant: &str,
    owner: CredentialOwner,
    owner_id: &str,
    app_id: Option<&str>,
    owner_name: Option<&str>,
    credentials: &[AppCredential],
) -> Result<(), StoreError> {
    tx.prepare_cached(
        "DELETE FROM app_credentials WHERE tenant_id = ?1 AND owner_kind = ?2 AND owner_id = ?3",
    )
    .and_then(|mut s| s.execute(params![tenant, owner.as_str(), owner_id]))
    .map_err(db_err("replace credentials"))?;
    for c in credentials {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO app_credentials (tenant_id, owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )
        .and_then(|mut s| {
            s.execute(params![
                tenant,
                owner.as_str(),
                owner_id,
                c.key_id.as_deref().unwrap_or_default(),
                c.kind.as_str(),
                app_id,
                owner_name,
                c.display_name,
                opt_ts(c.start),
                opt_ts(c.end)
            ])
        })
        .map_err(db_err("store a credential"))?;
    }
    Ok(())
}

fn write_items(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    kind: ItemKind,
    items: impl Iterator<Item = (String, String)>,
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let kind = kind.as_str();
    for (id, raw) in items {
        let inserted = upsert(
            tx,
            "INSERT INTO directory_items (tenant_id, kind, id, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
            "UPDATE directory_items SET seen_at = ?4, raw_json = ?5 WHERE tenant_id = ?1 AND kind = ?2 AND id = ?3",
            &[&tenant, &kind, &id, &now, &raw],
        )?;
        count(summary, inserted);
    }
    Ok(())
}

fn id_raw<T>(items: &[Raw<T>], id: fn(&T) -> &str) -> impl Iterator<Item = (String, String)> + '_ {
    items
        .iter()
        .map(move |r| (id(r.value()).to_owned(), r.json().to_owned()))
}

fn write_batch(
    tx: &Transaction<'_>,
    tenant: &str,
    now: &str,
    batch: &Batch,
) -> Result<WriteSummary, StoreError> {
    let mut summary = WriteSummary::default();
    match batch {
        Batch::SignIns(items) => write_sign_ins(tx, tenant, items, &mut summary)?,
        Batch::DirectoryAudits(items) => {
            for item in items {
                let r = rows::audit_row(item);
                let at = opt_ts(r.activity_at);
                let inserted = upsert(
                    tx,
                    "INSERT INTO directory_audits (tenant_id, id, activity_at, activity_display_name, category, result, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                    "UPDATE directory_audits SET activity_at = ?3, activity_display_name = ?4, category = ?5, result = ?6, raw_json = ?7 WHERE tenant_id = ?1 AND id = ?2",
                    &[&tenant, &r.id, &at, &r.activity_display_name, &r.category, &r.result, &r.raw_json],
                )?;
                count(&mut summary, inserted);
            }
        }
        Batch::Users(items) => write_users(tx, tenant, now, items, &mut summary)?,
        Batch::Groups(items) => write_groups(tx, tenant, now, items, &mut summary)?,
        Batch::SignInActivity(items) => {
            for item in items {
                let u = item.value();
                let activity = u
                    .sign_in_activity
                    .as_ref()
                    .and_then(|a| serde_json::to_string(a).ok());
                let n = tx
                    .prepare_cached("UPDATE users SET sign_in_activity_json = ?3, last_sign_in_at = ?4, last_successful_sign_in_at = ?5 WHERE tenant_id = ?1 AND id = ?2")
                    .and_then(|mut st| st.execute(params![tenant, u.id, activity, opt_ts(u.last_sign_in()), opt_ts(u.last_successful_sign_in())]))
                    .map_err(db_err("store sign-in activity"))?;
                summary.updated += n as u64;
            }
        }
        Batch::GroupMembers { group_id, members } => {
            for m in members {
                if let Some((id, member_type)) = rows::member_key(m) {
                    count(
                        &mut summary,
                        upsert_member(tx, tenant, group_id, id, member_type, now)?,
                    );
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
                std::iter::once((role_id.to_owned(), role.json().to_owned())),
                &mut WriteSummary::default(),
            )?;
            for m in members {
                if let Some((id, member_type)) = rows::member_key(m) {
                    let inserted = upsert(
                        tx,
                        "INSERT INTO role_members (tenant_id, role_id, member_id, member_type, seen_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                        "UPDATE role_members SET member_type = ?4, seen_at = ?5 WHERE tenant_id = ?1 AND role_id = ?2 AND member_id = ?3",
                        &[&tenant, &role_id, &id, &member_type, &now],
                    )?;
                    count(&mut summary, inserted);
                }
            }
        }
        Batch::Applications(items) => {
            for item in items {
                let a = item.value();
                let inserted = upsert(
                    tx,
                    "INSERT INTO applications (tenant_id, id, app_id, display_name, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                    "UPDATE applications SET app_id = ?3, display_name = ?4, seen_at = ?5, raw_json = ?6 WHERE tenant_id = ?1 AND id = ?2",
                    &[&tenant, &a.id, &a.app_id, &a.display_name, &now, &item.json()],
                )?;
                count(&mut summary, inserted);
                write_credentials(
                    tx,
                    tenant,
                    CredentialOwner::Application,
                    &a.id,
                    a.app_id.as_deref(),
                    a.display_name.as_deref(),
                    &a.credentials(),
                )?;
            }
        }
        Batch::ServicePrincipals(items) => {
            for item in items {
                let sp = item.value();
                let sp_type = rows::service_principal_type(sp);
                let inserted = upsert(
                    tx,
                    "INSERT INTO service_principals (tenant_id, id, app_id, display_name, service_principal_type, app_owner_organization_id, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                    "UPDATE service_principals SET app_id = ?3, display_name = ?4, service_principal_type = ?5, app_owner_organization_id = ?6, seen_at = ?7, raw_json = ?8 WHERE tenant_id = ?1 AND id = ?2",
                    &[&tenant, &sp.id, &sp.app_id, &sp.display_name, &sp_type, &sp.app_owner_organization_id, &now, &item.json()],
                )?;
                count(&mut summary, inserted);
                write_credentials(
                    tx,
                    tenant,
                    CredentialOwner::ServicePrincipal,
                    &sp.id,
                    sp.app_id.as_deref(),
                    sp.display_name.as_deref(),
                    &sp.credentials(),
                )?;
            }
        }
        Batch::AuthMethods { user_id, methods } => {
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
                let method = m.value();
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO auth_methods (tenant_id, user_id, method_id, method_type, seen_at, raw_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .and_then(|mut s| {
                    s.execute(params![
                        tenant,
                        user_id,
                        method.id().unwrap_or_default(),
                        rows::method_type(method),
                        now,
                        m.json()
                    ])
                })
                .map_err(db_err("store a method"))?;
            }
            let before = before as u64;
            let after = methods.len() as u64;
            summary.inserted = after.saturating_sub(before);
            summary.updated = after.min(before);
            summary.removed = before.saturating_sub(after);
        }
        Batch::RegistrationDetails(items) => write_items(
            tx,
            tenant,
            now,
            ItemKind::RegistrationDetails,
            id_raw(items, |v| v.id.as_str()),
            &mut summary,
        )?,
        Batch::RiskyUsers(items) => write_items(
            tx,
            tenant,
            now,
            ItemKind::RiskyUsers,
            id_raw(items, |v| v.id.as_str()),
            &mut summary,
        )?,
        Batch::RiskDetections(items) => write_items(
            tx,
            tenant,
            now,
            ItemKind::RiskDetections,
            id_raw(items, |v| v.id.as_str()),
            &mut summary,
        )?,
        Batch::ConditionalAccessPolicies(items) => write_items(
            tx,
            tenant,
            now,
            ItemKind::ConditionalAccessPolicies,
            id_raw(items, |v| v.id.as_str()),
            &mut summary,
        )?,
        Batch::ManagedDevices(items) => write_items(
            tx,
            tenant,
            now,
            ItemKind::ManagedDevices,
            id_raw(items, |v| v.id.as_str()),
            &mut summary,
        )?,
    }
    Ok(summary)
}

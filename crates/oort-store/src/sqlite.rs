//! The SQLite store: one file, WAL mode, one transaction per batch, blocking work off the async
//! threads.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use entra_model::{
    AppCredential, Application, AuthenticationMethod, CredentialKind, Group, Raw, ServicePrincipal,
    SignIn, User,
};
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use time::OffsetDateTime;

use crate::error::{StoreError, StoreErrorKind};
use crate::prelude::*;
use crate::rows::{self, parse_ts, ts_text};
use crate::{
    schema, AuditRecord, Batch, Checkpoint, CollectionRun, CredentialOwner, FindingFilter,
    FindingStatus, ItemKind, Membership, NotificationRecord, PruneSummary, SignInChanges,
    SignInQuery, SnapshotScope, StoredCredential, StoredFinding, StoredUser, WriteContext,
    WriteSummary,
};

/// The default store: one SQLite file (`oort.db`), WAL mode, batched transactions, schema
/// migrations with a version number.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: Option<PathBuf>,
    /// Wakes the background checkpointer after a commit (file stores only). The thread ends
    /// when the last clone of the store is dropped.
    checkpointer: Option<std::sync::mpsc::SyncSender<()>>,
}

impl fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Rows deleted per transaction by `prune`.
const PRUNE_BATCH: usize = 10_000;

fn db_err(context: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::database(context, e)
}

fn opt_ts(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(ts_text)
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and migrates its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = Connection::open(&path)
            .map_err(|e| StoreError::unavailable(format!("opening {}", path.display()), e))?;
        Self::init(conn, Some(path))
    }

    /// An in-memory store (tests, dry runs).
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory()
            .map_err(|e| StoreError::unavailable("opening an in-memory database", e))?;
        Self::init(conn, None)
    }

    /// The file the store lives in (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<Self, StoreError> {
        // Rows carry a few KB of raw JSON: larger pages keep most of them out of overflow
        // chains (only effective on a new file, before WAL is set), and a bigger cache keeps
        // the index lookups of upserts off the disk. No mmap: mapped pages would make resident
        // memory grow with the size of the database.
        conn.pragma_update(None, "page_size", 8192)
            .map_err(db_err("set the page size"))?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(db_err("set WAL mode"))?;
        conn.pragma_update(None, "cache_size", -65_536)
            .map_err(db_err("set the cache size"))?;
        // Checkpoints (copying the WAL into the database, with an fsync) run on a thread of
        // their own for a file store, beside the writes; the writer checkpoints by itself only
        // as a backstop, when the WAL has grown to 512 MB.
        let autocheckpoint = if path.is_some() { 65_536 } else { 16_384 };
        conn.pragma_update(None, "wal_autocheckpoint", autocheckpoint)
            .map_err(db_err("set the WAL checkpoint interval"))?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(db_err("set synchronous mode"))?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(db_err("enable foreign keys"))?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(db_err("set the busy timeout"))?;
        migrate(&mut conn)?;
        let checkpointer = match &path {
            Some(p) => Some(spawn_checkpointer(p)?),
            None => None,
        };
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path,
            checkpointer,
        })
    }

    /// Tells the checkpointer a transaction was committed (never blocks).
    fn committed(&self) {
        if let Some(tx) = &self.checkpointer {
            let _ = tx.try_send(());
        }
    }

    /// Runs `f` on the connection in a blocking task.
    async fn with<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        tokio::task::spawn_blocking(move || {
            let mut guard = conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::task(e.to_string()))?
    }
}

/// Starts the thread that checkpoints the WAL of the database at `path` (PASSIVE: it copies
/// what it can without waiting for the writer or readers) after commits, at most twice a second.
fn spawn_checkpointer(path: &Path) -> Result<std::sync::mpsc::SyncSender<()>, StoreError> {
    let conn = Connection::open(path).map_err(|e| {
        StoreError::unavailable(format!("opening {} for checkpoints", path.display()), e)
    })?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_err("set the busy timeout"))?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<()>(1);
    std::thread::Builder::new()
        .name("oort-sqlite-checkpoint".to_owned())
        .spawn(move || {
            while rx.recv().is_ok() {
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::debug!(error = %e, "background checkpoint failed; the writer's backstop remains");
                }
                std::thread::sleep(std::time::Duration::from_millis(500));
            }
        })
        .map_err(|e| StoreError::task(e.to_string()))?;
    Ok(tx)
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    conn.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        .map_err(db_err("create the schema_version table"))?;
    let current: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(db_err("read the schema version"))?;
    let supported = schema::SQLITE.len() as i64;
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
    for (i, sql) in schema::SQLITE.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction().map_err(db_err("begin a migration"))?;
        tx.execute_batch(sql)
            .map_err(db_err("apply a schema migration"))?;
        tx.execute("DELETE FROM schema_version", [])
            .map_err(db_err("record the schema version"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [i as i64 + 1],
        )
        .map_err(db_err("record the schema version"))?;
        tx.commit().map_err(db_err("commit a migration"))?;
    }
    Ok(())
}

/// Inserts with `insert_sql` (ending in `ON CONFLICT DO NOTHING`) and, when the row existed,
/// runs `update_sql` with the same parameters. Returns whether the row is new.
fn upsert(
    tx: &Transaction<'_>,
    insert_sql: &str,
    update_sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<bool, StoreError> {
    let inserted = tx
        .prepare_cached(insert_sql)
        .and_then(|mut s| s.execute(params))
        .map_err(db_err("insert a row"))?;
    if inserted == 1 {
        return Ok(true);
    }
    tx.prepare_cached(update_sql)
        .and_then(|mut s| s.execute(params))
        .map_err(db_err("update a row"))?;
    Ok(false)
}

fn count(summary: &mut WriteSummary, inserted: bool) {
    if inserted {
        summary.inserted += 1;
    } else {
        summary.updated += 1;
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

fn put_checkpoint(tx: &Transaction<'_>, tenant: &str, c: &Checkpoint) -> Result<(), StoreError> {
    let value = c.value.to_string();
    tx.prepare_cached(
        "INSERT INTO checkpoints (tenant_id, stream, key, value) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (tenant_id, stream, key) DO UPDATE SET value = excluded.value",
    )
    .and_then(|mut s| s.execute(params![tenant, c.stream, c.key, value]))
    .map_err(db_err("save a checkpoint"))?;
    Ok(())
}

fn parse_raw<T: serde::de::DeserializeOwned>(
    table: &'static str,
    id: &str,
    json: String,
) -> Result<Raw<T>, StoreError> {
    Raw::from_json(&json).map_err(|e| StoreError::corrupt(table, id, e))
}

/// A finding from its 12 columns as text (`findings` below).
fn finding_from_text(text: [Option<String>; 12]) -> Result<StoredFinding, StoreError> {
    let [fingerprint, check_id, kind, severity, status, subject, summary, first, last, notified, notified_at, json] =
        text;
    let fingerprint = fingerprint.unwrap_or_default();
    let id = fingerprint.as_str();
    let t = "findings";
    Ok(StoredFinding {
        check_id: required(t, id, check_id)?,
        kind: rows::stored_name(t, id, &required(t, id, kind)?)?,
        severity: rows::stored_name(t, id, &required(t, id, severity)?)?,
        status: rows::stored_name(t, id, &required(t, id, status)?)?,
        subject: required(t, id, subject)?,
        summary: required(t, id, summary)?,
        first_seen: rows::stored_ts(t, id, &required(t, id, first)?)?,
        last_seen: rows::stored_ts(t, id, &required(t, id, last)?)?,
        notified_status: notified.map(|s| rows::stored_name(t, id, &s)).transpose()?,
        notified_at: rows::stored_opt_ts(t, id, notified_at.as_deref())?,
        json: serde_json::from_str(&required(t, id, json)?)
            .map_err(|e| StoreError::corrupt(t, id, e))?,
        fingerprint,
    })
}

/// An audit entry from its 10 columns as text (`audit_log` below).
fn audit_from_text(text: [Option<String>; 10]) -> Result<AuditRecord, StoreError> {
    let [id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry] =
        text;
    let id = id.unwrap_or_default();
    let t = "audit_log";
    Ok(AuditRecord {
        at: rows::stored_ts(t, &id, &required(t, &id, at)?)?,
        operator: required(t, &id, operator)?,
        role: required(t, &id, role)?,
        action: required(t, &id, action)?,
        target_id,
        target_upn,
        outcome: rows::stored_name(t, &id, &required(t, &id, outcome)?)?,
        completed_at: rows::stored_opt_ts(t, &id, completed_at.as_deref())?,
        entry: serde_json::from_str(&required(t, &id, entry)?)
            .map_err(|e| StoreError::corrupt(t, id.clone(), e))?,
        id,
    })
}

/// A `NOT NULL` column's value (the schema guarantees it; a hand-edited database may not).
fn required(table: &'static str, id: &str, value: Option<String>) -> Result<String, StoreError> {
    value.ok_or_else(|| {
        StoreError::corrupt_value(table, id, "an empty required column", MissingValue)
    })
}

#[derive(Debug)]
struct MissingValue;

impl fmt::Display for MissingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NULL in a NOT NULL column")
    }
}

impl std::error::Error for MissingValue {}

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

#[async_trait]
impl CheckpointStore for SqliteStore {
    async fn save_checkpoint(
        &self,
        tenant: &str,
        checkpoint: Checkpoint,
    ) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            put_checkpoint(&tx, &tenant, &checkpoint)?;
            tx.commit().map_err(db_err("commit a checkpoint"))
        })
        .await
    }
    async fn checkpoints(&self, tenant: &str, stream: &str) -> Result<Vec<Checkpoint>, StoreError> {
        let (tenant, stream) = (tenant.to_owned(), stream.to_owned());
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT key, value FROM checkpoints WHERE tenant_id = ?1 AND stream = ?2 ORDER BY key")
                .map_err(db_err("read checkpoints"))?;
            let rows = stmt
                .query_map(params![tenant, stream], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                .map_err(db_err("read checkpoints"))?;
            let mut out = Vec::new();
            for row in rows {
                let (key, value) = row.map_err(db_err("read a checkpoint"))?;
                let value = serde_json::from_str(&value)
                    .map_err(|e| StoreError::corrupt("checkpoints", key.clone(), e))?;
                out.push(Checkpoint::new(stream.clone(), key, value));
            }
            Ok(out)
        })
        .await
    }
    async fn delete_checkpoint(
        &self,
        tenant: &str,
        stream: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        let (tenant, stream, key) = (tenant.to_owned(), stream.to_owned(), key.to_owned());
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM checkpoints WHERE tenant_id = ?1 AND stream = ?2 AND key = ?3",
                params![tenant, stream, key],
            )
            .map_err(db_err("delete a checkpoint"))?;
            Ok(())
        })
        .await
    }
    async fn record_run(&self, tenant: &str, run: &CollectionRun) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        let run = run.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO collection_runs (tenant_id, id, started_at, finished_at, status, report) VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant_id, id) DO UPDATE SET finished_at = excluded.finished_at, status = excluded.status, report = excluded.report",
                params![tenant, run.id, ts_text(run.started_at), opt_ts(run.finished_at), run.status.as_str(), run.report.to_string()],
            )
            .map_err(db_err("record a run"))?;
            Ok(())
        })
        .await
    }
    async fn runs(&self, tenant: &str, limit: usize) -> Result<Vec<CollectionRun>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id, started_at, finished_at, status, report FROM collection_runs WHERE tenant_id = ?1 ORDER BY started_at DESC LIMIT ?2")
                .map_err(db_err("read runs"))?;
            let rows = stmt
                .query_map(params![tenant, limit as i64], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?, r.get::<_, String>(4)?))
                })
                .map_err(db_err("read runs"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, started, finished, status, report) = row.map_err(db_err("read a run"))?;
                let report = serde_json::from_str(&report).map_err(|e| StoreError::corrupt("collection_runs", id.clone(), e))?;
                out.push(CollectionRun {
                    started_at: rows::stored_ts("collection_runs", &id, &started)?,
                    finished_at: rows::stored_opt_ts("collection_runs", &id, finished.as_deref())?,
                    status: rows::stored_name("collection_runs", &id, &status)?,
                    id,
                    report,
                });
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl ActivityStore for SqliteStore {
    async fn sign_ins(
        &self,
        tenant: &str,
        query: SignInQuery,
    ) -> Result<Vec<Raw<SignIn>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let limit = if query.limit == 0 { 1_000 } else { query.limit } as i64;
            let from = query.from.map(ts_text);
            let until = query.until.map(ts_text);
            let (after_t, after_id) = match &query.after {
                Some((t, id)) => (Some(ts_text(*t)), Some(id.clone())),
                None => (None, None),
            };
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, raw_json FROM sign_ins WHERE tenant_id = ?1 AND created_at IS NOT NULL \
                     AND (?2 IS NULL OR created_at >= ?2) AND (?3 IS NULL OR created_at < ?3) \
                     AND (?4 IS NULL OR created_at > ?4 OR (created_at = ?4 AND id > ?5)) \
                     ORDER BY created_at, id LIMIT ?6",
                )
                .map_err(db_err("read sign-ins"))?;
            let rows = stmt
                .query_map(params![tenant, from, until, after_t, after_id, limit], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .map_err(db_err("read sign-ins"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, json) = row.map_err(db_err("read a sign-in"))?;
                out.push(parse_raw("sign_ins", &id, json)?);
            }
            Ok(out)
        })
        .await
    }
    async fn sign_in_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM sign_ins WHERE tenant_id = ?1",
                [tenant],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db_err("count sign-ins"))
        })
        .await
    }
    async fn directory_audit_count(&self, tenant: &str) -> Result<u64, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.query_row(
                "SELECT COUNT(*) FROM directory_audits WHERE tenant_id = ?1",
                [tenant],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as u64)
            .map_err(db_err("count directory audits"))
        })
        .await
    }
    async fn sign_in_changes(&self, tenant: &str) -> Result<Option<SignInChanges>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let row = conn
                .query_row(
                    "SELECT earliest, writes FROM sign_in_changes WHERE tenant_id = ?1",
                    [&tenant],
                    |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
                )
                .optional()
                .map_err(db_err("read the sign-in changes"))?;
            let Some((earliest, version)) = row else {
                return Ok(None);
            };
            let earliest = parse_ts(&earliest).ok_or_else(|| {
                StoreError::new(
                    StoreErrorKind::Corrupt {
                        table: "sign_in_changes",
                        id: tenant.clone(),
                    },
                    "a stored time",
                    None,
                )
            })?;
            Ok(Some(SignInChanges { earliest, version }))
        })
        .await
    }
    async fn clear_sign_in_changes(&self, tenant: &str, version: i64) -> Result<bool, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            conn.execute(
                "DELETE FROM sign_in_changes WHERE tenant_id = ?1 AND writes = ?2",
                params![tenant, version],
            )
            .map(|n| n == 1)
            .map_err(db_err("clear the sign-in changes"))
        })
        .await
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
                "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} \
                 WHERE tenant_id = ?1 AND {column} < ?2 LIMIT {PRUNE_BATCH})"
            );
            loop {
                let (tenant, before, sql) = (tenant.to_owned(), ts_text(before), sql.clone());
                let deleted = self
                    .with(move |conn| {
                        conn.execute(&sql, params![tenant, before])
                            .map_err(db_err("delete rows older than the retention"))
                    })
                    .await?;
                self.committed();
                *count += deleted as u64;
                if deleted < PRUNE_BATCH {
                    break;
                }
            }
        }
        Ok(summary)
    }
}

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn users(&self, tenant: &str) -> Result<Vec<StoredUser>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, raw_json, deleted_at, sign_in_activity_json FROM users WHERE tenant_id = ?1 ORDER BY id",
                )
                .map_err(db_err("read users"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(db_err("read users"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, json, deleted, activity) = row.map_err(db_err("read a user"))?;
                let sign_in_activity = match activity {
                    Some(a) => Some(
                        serde_json::from_str(&a)
                            .map_err(|e| StoreError::corrupt("users", id.clone(), e))?,
                    ),
                    None => None,
                };
                out.push(StoredUser {
                    user: parse_raw("users", &id, json)?,
                    sign_in_activity,
                    deleted_at: rows::stored_opt_ts("users", &id, deleted.as_deref())?,
                });
            }
            Ok(out)
        })
        .await
    }
    async fn groups(&self, tenant: &str) -> Result<Vec<Raw<Group>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| query_raw(conn, "groups", "SELECT id, raw_json FROM groups WHERE tenant_id = ?1 AND deleted_at IS NULL ORDER BY id", &tenant)).await
    }
    async fn group_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT group_id, member_id, member_type, removed_at FROM group_members WHERE tenant_id = ?1 ORDER BY group_id, member_id")
                .map_err(db_err("read memberships"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    let container_id: String = r.get(0)?;
                    let removed: Option<String> = r.get(3)?;
                    let (member_id, member_type) = (r.get(1)?, r.get(2)?);
                    Ok(rows::stored_opt_ts("group_members", &container_id, removed.as_deref()).map(|removed_at| Membership {
                        container_id,
                        member_id,
                        member_type,
                        removed_at,
                    }))
                })
                .map_err(db_err("read memberships"))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.map_err(db_err("read a membership"))??);
            }
            Ok(out)
        })
        .await
    }
    async fn role_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT role_id, member_id, member_type FROM role_members WHERE tenant_id = ?1 ORDER BY role_id, member_id")
                .map_err(db_err("read role memberships"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    Ok(Membership { container_id: r.get(0)?, member_id: r.get(1)?, member_type: r.get(2)?, removed_at: None })
                })
                .map_err(db_err("read role memberships"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err("read a role membership"))
        })
        .await
    }
    async fn app_credentials(&self, tenant: &str) -> Result<Vec<StoredCredential>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at FROM app_credentials WHERE tenant_id = ?1 ORDER BY owner_kind, owner_id, kind, key_id")
                .map_err(db_err("read credentials"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    let owner_kind: String = r.get(0)?;
                    let kind: String = r.get(3)?;
                    let key_id: String = r.get(2)?;
                    let owner_id: String = r.get(1)?;
                    let (start, end): (Option<String>, Option<String>) = (r.get(7)?, r.get(8)?);
                    let times = rows::stored_opt_ts("app_credentials", &owner_id, start.as_deref())
                        .and_then(|s| Ok((s, rows::stored_opt_ts("app_credentials", &owner_id, end.as_deref())?)));
                    let (start, end) = match times {
                        Ok(t) => t,
                        Err(e) => return Ok(Err(e)),
                    };
                    Ok(Ok(StoredCredential {
                        owner_kind: if owner_kind == "application" { CredentialOwner::Application } else { CredentialOwner::ServicePrincipal },
                        owner_id,
                        app_id: r.get(4)?,
                        owner_display_name: r.get(5)?,
                        credential: credential(
                            if kind == "secret" { CredentialKind::Secret } else { CredentialKind::Certificate },
                            (!key_id.is_empty()).then_some(key_id),
                            r.get(6)?,
                            start,
                            end,
                        ),
                    }))
                })
                .map_err(db_err("read credentials"))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.map_err(db_err("read a credential"))??);
            }
            Ok(out)
        })
        .await
    }
    async fn applications(&self, tenant: &str) -> Result<Vec<Raw<Application>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            query_raw(
                conn,
                "applications",
                "SELECT id, raw_json FROM applications WHERE tenant_id = ?1 ORDER BY id",
                &tenant,
            )
        })
        .await
    }
    async fn service_principals(
        &self,
        tenant: &str,
    ) -> Result<Vec<Raw<ServicePrincipal>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            query_raw(
                conn,
                "service_principals",
                "SELECT id, raw_json FROM service_principals WHERE tenant_id = ?1 ORDER BY id",
                &tenant,
            )
        })
        .await
    }
    async fn auth_methods(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Raw<AuthenticationMethod>)>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT user_id, method_id, raw_json FROM auth_methods WHERE tenant_id = ?1 ORDER BY user_id, method_type, method_id")
                .map_err(db_err("read methods"))?;
            let rows = stmt
                .query_map([tenant], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
                .map_err(db_err("read methods"))?;
            let mut out = Vec::new();
            for row in rows {
                let (user, id, json) = row.map_err(db_err("read a method"))?;
                out.push((user, parse_raw("auth_methods", &id, json)?));
            }
            Ok(out)
        })
        .await
    }
    async fn items(&self, tenant: &str, kind: ItemKind) -> Result<Vec<String>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT raw_json FROM directory_items WHERE tenant_id = ?1 AND kind = ?2 ORDER BY id")
                .map_err(db_err("read items"))?;
            let rows = stmt
                .query_map(params![tenant, kind.as_str()], |r| r.get::<_, String>(0))
                .map_err(db_err("read items"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err("read an item"))
        })
        .await
    }
}

#[async_trait]
impl FindingStore for SqliteStore {
    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError> {
        let tenant = ctx.tenant.to_owned();
        let now = ts_text(ctx.now);
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            let mut summary = WriteSummary::default();
            for f in &findings {
                let inserted = upsert(
                    &tx,
                    "INSERT INTO findings (tenant_id, fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, updated_at, finding_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12) ON CONFLICT DO NOTHING",
                    "UPDATE findings SET check_id = ?3, kind = ?4, severity = ?5, status = ?6, subject = ?7, summary = ?8, first_seen = ?9, last_seen = ?10, updated_at = ?11, finding_json = ?12 WHERE tenant_id = ?1 AND fingerprint = ?2",
                    &[&tenant, &f.fingerprint, &f.check_id, &f.kind.as_str(), &f.severity.as_str(), &f.status.as_str(), &f.subject, &f.summary, &ts_text(f.first_seen), &ts_text(f.last_seen), &now, &f.json.to_string()],
                )?;
                count(&mut summary, inserted);
            }
            tx.commit().map_err(db_err("commit findings"))?;
            Ok(summary)
        })
        .await
    }
    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT fingerprint, check_id, kind, severity, status, subject, summary, first_seen, last_seen, notified_status, notified_at, finding_json FROM findings WHERE tenant_id = ?1 AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR check_id = ?3) ORDER BY last_seen DESC, fingerprint")
                .map_err(db_err("read findings"))?;
            let rows = stmt
                .query_map(params![tenant, filter.status.map(|s| s.as_str()), filter.check_id], |r| {
                    let text: [Option<String>; 12] = [
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?,
                        r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?,
                    ];
                    Ok(text)
                })
                .map_err(db_err("read findings"))?;
            let mut out = Vec::new();
            for row in rows {
                let text = row.map_err(db_err("read a finding"))?;
                out.push(finding_from_text(text)?);
            }
            Ok(out)
        })
        .await
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn record_notification(
        &self,
        tenant: &str,
        fingerprint: &str,
        status: FindingStatus,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let (tenant, fingerprint, status) =
            (tenant.to_owned(), fingerprint.to_owned(), status.as_str());
        self.with(move |conn| {
            conn.execute(
                "UPDATE findings SET notified_status = ?3, notified_at = ?4 WHERE tenant_id = ?1 AND fingerprint = ?2",
                params![tenant, fingerprint, status, ts_text(at)],
            )
            .map_err(db_err("record a notification"))?;
            Ok(())
        })
        .await
    }
    async fn notifications(&self, tenant: &str) -> Result<Vec<NotificationRecord>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT fingerprint, channel, status, notified_at FROM finding_notifications WHERE tenant_id = ?1 ORDER BY fingerprint, channel")
                .map_err(db_err("read notifications"))?;
            let rows = stmt
                .query_map(params![tenant], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
                })
                .map_err(db_err("read notifications"))?;
            let mut out = Vec::new();
            for row in rows {
                let (fingerprint, channel, status, at) = row.map_err(db_err("read a notification"))?;
                out.push(NotificationRecord {
                    status: rows::stored_name("finding_notifications", &fingerprint, &status)?,
                    notified_at: rows::stored_ts("finding_notifications", &fingerprint, &at)?,
                    fingerprint,
                    channel,
                });
            }
            Ok(out)
        })
        .await
    }
    async fn record_channel_notifications(
        &self,
        tenant: &str,
        records: &[NotificationRecord],
    ) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        let records = records.to_vec();
        self.with(move |conn| {
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
            {
                let mut channel = tx
                    .prepare_cached("INSERT INTO finding_notifications (tenant_id, fingerprint, channel, status, notified_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (tenant_id, fingerprint, channel) DO UPDATE SET status = excluded.status, notified_at = excluded.notified_at")
                    .map_err(db_err("record a notification"))?;
                let mut finding = tx
                    .prepare_cached("UPDATE findings SET notified_status = ?3, notified_at = ?4 WHERE tenant_id = ?1 AND fingerprint = ?2")
                    .map_err(db_err("record a notification"))?;
                for r in &records {
                    let at = ts_text(r.notified_at);
                    channel
                        .execute(params![tenant, r.fingerprint, r.channel, r.status.as_str(), at])
                        .map_err(db_err("record a notification"))?;
                    finding
                        .execute(params![tenant, r.fingerprint, r.status.as_str(), at])
                        .map_err(db_err("record a notification"))?;
                }
            }
            tx.commit().map_err(db_err("commit notifications"))
        })
        .await
    }
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, tenant: &str, record: &AuditRecord) -> Result<(), StoreError> {
        let tenant = tenant.to_owned();
        let r = record.clone();
        self.with(move |conn| {
            conn.execute(
                "INSERT INTO audit_log (tenant_id, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![tenant, r.id, ts_text(r.at), r.operator, r.role, r.action, r.target_id, r.target_upn, r.outcome.as_str(), opt_ts(r.completed_at), r.entry.to_string()],
            )
            .map_err(db_err("append an audit entry"))?;
            Ok(())
        })
        .await
    }
    async fn complete_audit(&self, tenant: &str, record: &AuditRecord) -> Result<bool, StoreError> {
        let tenant = tenant.to_owned();
        let r = record.clone();
        self.with(move |conn| {
            let n = conn
                .execute(
                    "UPDATE audit_log SET target_id = ?3, target_upn = ?4, outcome = ?5, completed_at = ?6, entry_json = ?7 WHERE tenant_id = ?1 AND id = ?2 AND completed_at IS NULL",
                    params![tenant, r.id, r.target_id, r.target_upn, r.outcome.as_str(), opt_ts(Some(r.completed_at.unwrap_or(r.at))), r.entry.to_string()],
                )
                .map_err(db_err("complete an audit entry"))?;
            Ok(n == 1)
        })
        .await
    }
    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json FROM audit_log WHERE tenant_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2")
                .map_err(db_err("read the audit log"))?;
            let rows = stmt
                .query_map(params![tenant, limit as i64], |r| {
                    let text: [Option<String>; 10] = [
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?,
                        r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?,
                    ];
                    Ok(text)
                })
                .map_err(db_err("read the audit log"))?;
            let mut out = Vec::new();
            for row in rows {
                let text = row.map_err(db_err("read an audit entry"))?;
                out.push(audit_from_text(text)?);
            }
            Ok(out)
        })
        .await
    }
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
            // One connection, one writer: the transaction alone makes the pick-and-claim atomic.
            let tx = conn.transaction().map_err(db_err("begin a transaction"))?;
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
                    "UPDATE tenants SET lease_owner = ?2, lease_expires_at = ?3 WHERE tenant_id = ?1",
                    params![t, owner, ts_text(now + ttl)],
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
                "UPDATE tenants SET lease_owner = NULL, lease_expires_at = NULL WHERE tenant_id = ?1 AND lease_owner = ?2",
                params![tenant, owner],
            )
            .map_err(db_err("release a lease"))?;
            Ok(())
        })
        .await
    }
}

fn query_raw<T: serde::de::DeserializeOwned>(
    conn: &mut Connection,
    table: &'static str,
    sql: &str,
    tenant: &str,
) -> Result<Vec<Raw<T>>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err("read rows"))?;
    let rows = stmt
        .query_map([tenant], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(db_err("read rows"))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json) = row.map_err(db_err("read a row"))?;
        out.push(parse_raw(table, &id, json)?);
    }
    Ok(out)
}

pub(crate) fn credential(
    kind: CredentialKind,
    key_id: Option<String>,
    display_name: Option<String>,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
) -> AppCredential {
    AppCredential::new(kind, key_id, display_name, start, end)
}

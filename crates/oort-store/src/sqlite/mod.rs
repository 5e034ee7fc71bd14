//! The SQLite store: one file, WAL mode, one transaction per batch, blocking work off the async
//! threads.
//!
//! This module opens and migrates the database, runs work on the connection in a blocking task
//! and checkpoints the WAL in the background; each concern's statements are in a module of
//! their own (`write` for batches and snapshots, then one per trait).

mod activity;
mod audit;
mod checkpoints;
mod directory;
mod files;
mod findings;
mod leases;
mod notifications;
mod operators;
mod rejected;
mod tenants;
mod write;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, Transaction, TransactionBehavior};
use time::OffsetDateTime;

use crate::error::{db_err, StoreError, StoreErrorKind};
use crate::rows::ts_text;
use crate::{schema, WriteSummary};

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

fn opt_ts(t: Option<OffsetDateTime>) -> Option<String> {
    t.map(ts_text)
}

impl SqliteStore {
    /// Opens (creating if needed) the store at `path` and migrates its schema. A new file is
    /// created with mode 0600 (on Unix, whatever the umask), and its `-wal` and `-shm` files
    /// are given no wider mode than the database's.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        files::create_private(&path)?;
        let conn = Connection::open(&path)
            .map_err(|e| StoreError::unavailable(format!("opening {}", path.display()), e))?;
        let store = Self::init(conn, Some(path))?;
        if let Some(path) = &store.path {
            files::match_sidecars(path)?;
        }
        Ok(store)
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
        // First of all: wait on another process's lock instead of failing. Several processes
        // may open one new file at once (two `oort collect`, a fleet's workers on one
        // machine): every pragma below and the migrations take the file's lock, and without a
        // busy timeout the one that loses the race fails at once ("failed to set WAL mode").
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(db_err("set the busy timeout"))?;
        // Rows carry a few KB of raw JSON: larger pages keep most of them out of overflow
        // chains (only effective on a new file, before WAL is set), and a bigger cache keeps
        // the index lookups of upserts off the disk. No mmap: mapped pages would make resident
        // memory grow with the size of the database.
        conn.pragma_update(None, "page_size", 8192)
            .map_err(db_err("set the page size"))?;
        set_wal_mode(&conn)?;
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

/// Switches a database to WAL mode, waiting for other openers. Switching needs the file's
/// exclusive lock, and SQLite answers BUSY at once, without the busy handler, when that wait
/// could deadlock (another new opener holds a shared lock while switching too): the switch is
/// then tried again, for up to 30 seconds. A database another opener already switched just
/// reports `wal`; an in-memory one keeps `memory`.
fn set_wal_mode(conn: &Connection) -> Result<(), StoreError> {
    // 1,500 tries 20 ms apart: about 30 seconds (counted, not timed: no clock here).
    let mut tries = 0u32;
    loop {
        tries += 1;
        match conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)) {
            Ok(_) => return Ok(()),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && tries < 1_500 =>
            {
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(e) => return Err(db_err("set WAL mode")(e)),
        }
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
    let supported = schema::SQLITE.len() as i64;
    loop {
        // Each migration in a write transaction taken up front (IMMEDIATE: the lock is waited
        // for, with the busy timeout), and the version read inside it: another process that
        // opened the file at the same time and migrated first is seen, not migrated over.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_err("begin a migration"))?;
        let current: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_version",
                [],
                |r| r.get(0),
            )
            .map_err(db_err("read the schema version"))?;
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
        let Some(sql) = schema::SQLITE.get(current as usize) else {
            return Ok(());
        };
        let i = current as usize;
        tx.execute_batch(sql)
            .map_err(db_err("apply a schema migration"))?;
        if i + 1 == schema::AUDIT_CHAIN_VERSION {
            audit::chain_legacy_audit(&tx)?;
        }
        tx.execute("DELETE FROM schema_version", [])
            .map_err(db_err("record the schema version"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [i as i64 + 1],
        )
        .map_err(db_err("record the schema version"))?;
        tx.commit().map_err(db_err("commit a migration"))?;
    }
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

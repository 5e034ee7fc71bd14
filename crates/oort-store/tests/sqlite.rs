//! The store suite against SQLite (PostgreSQL in `postgres.rs`).

#[macro_use]
mod store_suite;

use std::sync::Arc;

use oort_store::prelude::*;
use oort_store::SqliteStore;

async fn sqlite() -> Arc<dyn Store> {
    Arc::new(SqliteStore::in_memory().expect("in-memory SQLite opens"))
}

store_suite!(sqlite());

#[tokio::test]
async fn sqlite_file_store_migrates_once_and_reopens_with_its_data() {
    let dir = std::env::temp_dir().join(format!("oort-store-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("oort.db");
    let _ = std::fs::remove_file(&path);
    {
        let store = SqliteStore::open(&path).unwrap();
        store_suite::sign_ins_upsert_by_id_and_keep_raw_json(&store).await;
    }
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.sign_in_count("t1").await.unwrap(), 4);
    assert_eq!(reopened.path(), Some(path.as_path()));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn sqlite_refuses_a_schema_newer_than_it_knows() {
    let dir = std::env::temp_dir().join(format!("oort-store-newer-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("oort.db");
    drop(SqliteStore::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("UPDATE schema_version SET version = 99", [])
        .unwrap();
    drop(conn);
    let err = SqliteStore::open(&path).unwrap_err();
    assert!(
        err.to_string().contains("newer than this oort supports"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_file_store_checkpoints_its_wal_into_the_database_in_the_background() {
    use entra_model::{Raw, SignIn};
    use oort_store::{Batch, WriteContext};
    let dir = std::env::temp_dir().join(format!("oort-store-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("oort.db");
    let _ = std::fs::remove_file(&path);
    let store = SqliteStore::open(&path).unwrap();
    let empty = std::fs::metadata(&path).unwrap().len();
    let now = entra_model::timestamp::parse("2024-05-02T00:00:00Z").unwrap();
    let padding = "x".repeat(2_000);
    for batch in 0..4 {
        let page: Vec<Raw<SignIn>> = (0..250)
            .map(|i| {
                Raw::from_json(&format!(
                    r#"{{"id":"s{batch}-{i}","createdDateTime":"2024-05-01T10:00:00Z","userAgent":"{padding}"}}"#
                ))
                .unwrap()
            })
            .collect();
        store
            .write(
                WriteContext { tenant: "t1", now },
                Batch::SignIns(page),
                None,
            )
            .await
            .unwrap();
    }
    // The writer alone would leave ~2 MB in the WAL (its own checkpoint waits for 512 MB);
    // the background checkpointer copies it into the database file.
    let mut grown = false;
    for _ in 0..200 {
        if std::fs::metadata(&path).unwrap().len() > empty + 1_000_000 {
            grown = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(grown, "the database file received the checkpointed pages");
    assert_eq!(store.sign_in_count("t1").await.unwrap(), 1_000);
    drop(store);
    let reopened = SqliteStore::open(&path).unwrap();
    assert_eq!(reopened.sign_in_count("t1").await.unwrap(), 1_000);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_new_sqlite_store_and_its_wal_and_shm_files_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("oort.db");
    let store = SqliteStore::open(&path).unwrap();
    store_suite::sign_ins_upsert_by_id_and_keep_raw_json(&store).await;
    let mode = |suffix: &str| {
        let file = format!("{}{suffix}", path.display());
        std::fs::metadata(&file)
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o600, "the database");
    assert_eq!(mode("-wal"), 0o600, "the write-ahead log");
    assert_eq!(mode("-shm"), 0o600, "the shared-memory index");
}

/// Several processes (or threads, each with its own connection: SQLite locks the file the same
/// way) opening one new file at once all succeed, and the schema is migrated exactly once.
#[test]
fn many_openers_of_one_new_file_all_succeed_and_migrate_once() {
    let dir = std::env::temp_dir().join(format!("oort-store-race-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // The version a lone opener migrates a new file to.
    let alone = dir.join("alone.db");
    let _ = std::fs::remove_file(&alone);
    drop(SqliteStore::open(&alone).unwrap());
    let latest: i64 = rusqlite::Connection::open(&alone)
        .unwrap()
        .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
        .unwrap();
    for round in 0..5 {
        let path = dir.join(format!("oort-{round}.db"));
        let _ = std::fs::remove_file(&path);
        let start = Arc::new(std::sync::Barrier::new(8));
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let (path, start) = (path.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    SqliteStore::open(&path).map(drop)
                })
            })
            .collect();
        for opener in openers {
            if let Err(e) = opener.join().unwrap() {
                panic!("round {round}: a concurrent open failed: {e}");
            }
        }
        let conn = rusqlite::Connection::open(&path).unwrap();
        let rows: i64 = conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        let version: i64 = conn
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1, "one schema version row");
        assert_eq!(version, latest);
        assert_eq!(mode, "wal");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn sqlite_audit_verification_finds_a_changed_a_removed_and_a_reordered_entry() {
    let dir = tempdir("oort-store-tamper");
    let path = dir.join("oort.db");
    let store = SqliteStore::open(&path).unwrap();
    for (chain, _) in store_suite::TAMPERING {
        store_suite::four_entries(&store, chain).await;
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    for (_, statements) in store_suite::TAMPERING {
        for sql in *statements {
            conn.execute(sql, []).unwrap();
        }
    }
    drop(conn);
    store_suite::verification_finds_each_tampering(&store).await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn sqlite_audit_entries_cannot_be_rewritten_through_the_store_even_by_two_processes() {
    // Two stores on one file (as two processes would be): appends take the write lock in turn,
    // and the chain stays one.
    let dir = tempdir("oort-store-two-writers");
    let path = dir.join("oort.db");
    let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let mut tasks = tokio::task::JoinSet::new();
    for (w, store) in [a.clone(), b].into_iter().enumerate() {
        tasks.spawn(async move {
            for i in 0..20 {
                let rec = oort_store::AuditRecord::intent(
                    format!("w{w}-{i}"),
                    store_suite::t("2024-05-01T00:00:00Z"),
                    "alice",
                    "administrator",
                    "log_out",
                    serde_json::json!({}),
                );
                store.append_audit("t1", &rec).await.unwrap();
            }
        });
    }
    while let Some(t) = tasks.join_next().await {
        t.unwrap();
    }
    let verified = a.verify_audit_chain("t1").await.unwrap();
    assert!(verified.is_intact(), "{:?}", verified.problem);
    assert_eq!(verified.entries, 40);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tempdir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

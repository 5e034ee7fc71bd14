//! The store suite against SQLite (PostgreSQL in `store_postgres.rs`).

#[macro_use]
mod store_suite;

use std::sync::Arc;

use oort_collector::store::{SqliteStore, Store};

async fn sqlite() -> Option<Arc<dyn Store>> {
    Some(Arc::new(
        SqliteStore::in_memory().expect("in-memory SQLite opens"),
    ))
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

//! The store suite against PostgreSQL (a throwaway cluster: `oort_store::testing`).

#[macro_use]
mod store_suite;

use oort_store::testing as pg;

use std::sync::Arc;

use oort_store::prelude::*;
use oort_store::PostgresStore;

async fn postgres() -> Arc<dyn Store> {
    let url = pg::fresh_database().await;
    Arc::new(
        PostgresStore::connect(&url)
            .await
            .expect("the store connects and migrates"),
    )
}

store_suite!(
    postgres(),
    #[cfg_attr(
        not(oort_postgres),
        ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL"
    )]
);

#[tokio::test]
#[cfg_attr(
    not(oort_postgres),
    ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL"
)]
async fn postgres_debug_output_hides_credentials_and_migration_is_idempotent() {
    let url = pg::fresh_database().await;
    let with_password = url.replacen("postgres@", "postgres:s3cr3t-pw@", 1);
    let first = PostgresStore::connect(&with_password).await.unwrap();
    let debug = format!("{first:?}");
    assert!(!debug.contains("s3cr3t-pw"), "{debug}");
    assert!(debug.contains("127.0.0.1"), "{debug}");
    let second = PostgresStore::connect(&url).await.unwrap();
    assert_eq!(second.sign_in_count("t1").await.unwrap(), 0);
}

#[tokio::test]
#[cfg_attr(
    not(oort_postgres),
    ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL"
)]
async fn postgres_batches_with_repeated_ids_keep_the_last_one() {
    let url = pg::fresh_database().await;
    let store = PostgresStore::connect(&url).await.unwrap();
    let a1 = entra_model::Raw::from_json(
        r#"{"id":"a","createdDateTime":"2024-05-01T00:00:00Z","riskState":"none"}"#,
    )
    .unwrap();
    let a2 = entra_model::Raw::from_json(
        r#"{"id":"a","createdDateTime":"2024-05-01T00:00:00Z","riskState":"atRisk"}"#,
    )
    .unwrap();
    let ctx = oort_store::WriteContext {
        tenant: "t1",
        now: entra_model::timestamp::parse("2024-05-02T00:00:00Z").unwrap(),
    };
    let s = store
        .write(ctx, oort_store::Batch::SignIns(vec![a1, a2]), None)
        .await
        .unwrap();
    assert_eq!(s.inserted, 1);
    let stored = store.sign_ins("t1", Default::default()).await.unwrap();
    assert!(stored[0].json().contains("atRisk"));
}

#[tokio::test]
#[cfg_attr(
    not(oort_postgres),
    ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL"
)]
async fn postgres_audit_verification_finds_a_changed_a_removed_and_a_reordered_entry() {
    let url = pg::fresh_database().await;
    let store = PostgresStore::connect(&url).await.unwrap();
    for (chain, _) in store_suite::TAMPERING {
        store_suite::four_entries(&store, chain).await;
    }
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    for (_, statements) in store_suite::TAMPERING {
        for sql in *statements {
            client.execute(*sql, &[]).await.unwrap();
        }
    }
    store_suite::verification_finds_each_tampering(&store).await;
}

//! The `oort` binary with `OORT_STORE=postgres://...`: collect, collect again, checks and status
//! against a fake tenant on loopback, stored in a throwaway PostgreSQL database.
//!
//! The database comes from `oort_store::testing::fresh_database` (a cluster started with the
//! machine's PostgreSQL, or a database in `OORT_TEST_DATABASE_URL`). Without PostgreSQL the test
//! is ignored, unless `OORT_REQUIRE_POSTGRES=1`, where its absence fails the build.

use std::path::Path;
use std::process::Output;

use entra_auth::{Clock, SystemClock};
use entra_fake::{FakeTenant, SignInKind, Throttling};
use oort_store::prelude::*;
use oort_store::testing::fresh_database;
use oort_store::PostgresStore;
use serde_json::Value;

mod common;
use common::{stderr, stdout, stream};

/// The sign-in streams: each stores into the one sign-ins table.
const SIGN_IN_STREAMS: &[&str] = &[
    "sign_ins",
    "non_interactive_sign_ins",
    "service_principal_sign_ins",
    "managed_identity_sign_ins",
];

/// Runs `oort args...` in `dir` against `fake`, with `store` as `OORT_STORE`, plus `extra`.
async fn oort(
    dir: &Path,
    fake: &FakeTenant,
    store: &str,
    extra: &[(&str, &str)],
    args: &[&str],
) -> Output {
    common::oort(dir, Some(fake), store, extra, args).await
}

/// Stdout as one JSON document, after checking the exit code is 0.
fn ok_json(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

fn sign_ins_inserted(report: &Value) -> u64 {
    SIGN_IN_STREAMS
        .iter()
        .map(|s| stream(report, s)["inserted"].as_u64().unwrap())
        .sum()
}

/// `url` with a password in its user info (trust authentication ignores it), when it has none:
/// the test then checks that oort never prints it. Returns the URL and the password, if added.
fn with_password(url: &str) -> (String, Option<&'static str>) {
    const PASSWORD: &str = "pg-s3cr3t-never-printed";
    match url.strip_prefix("postgres://") {
        Some(rest)
            if rest
                .split_once('@')
                .is_some_and(|(auth, _)| !auth.contains(':')) =>
        {
            let (user, host) = rest.split_once('@').unwrap_or_default();
            (
                format!("postgres://{user}:{PASSWORD}@{host}"),
                Some(PASSWORD),
            )
        }
        _ => (url.to_owned(), None),
    }
}

/// The store as `oort status` shows it: the URL without a password.
fn displayed(url: &str) -> String {
    let rest = url.strip_prefix("postgres://").unwrap_or(url);
    match rest.split_once('@') {
        Some((auth, host)) => format!(
            "postgres://{}@{host}",
            auth.split(':').next().unwrap_or_default()
        ),
        None => url.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(oort_postgres),
    ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL"
)]
async fn collect_twice_into_postgres_stores_no_duplicates_then_checks_and_status_read_it() {
    let database = fresh_database().await;
    let (store_url, password) = with_password(&database);

    // A small tenant whose now is just behind the real now: the CLI's windows, on the system
    // clock, cover its whole (3-day) history.
    let fake = FakeTenant::builder()
        .seed(11)
        .members(15)
        .guests(3)
        .groups(3)
        .applications(2)
        .history_days(3)
        .sign_ins_per_user_per_day(4.0)
        .now(SystemClock.now() - time::Duration::minutes(5))
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("oort.toml"),
        "[collect]\nbackfill = \"3d\"\nslice = \"3d\"\n",
    )
    .unwrap();
    let dir = dir.path();
    let reader = PostgresStore::connect(&database).await.unwrap();
    let tenant = fake.tenant_id().to_owned();

    // First run: the backfill.
    let first = oort(dir, &fake, &store_url, &[], &["collect", "--json"]).await;
    let printed = format!("{}{}", stdout(&first), stderr(&first));
    let first = ok_json(&first);
    assert_eq!(stream(&first, "users")["status"], "succeeded", "{first}");
    let fake_now = fake.clock().now();
    let last_two_days = fake
        .with_tenant(|t| {
            t.sign_ins(
                fake_now - time::Duration::days(2),
                fake_now,
                SignInKind::Interactive,
            )
        })
        .len() as u64;
    assert!(last_two_days > 0);
    let interactive = stream(&first, "sign_ins")["inserted"].as_u64().unwrap();
    assert!(
        interactive >= last_two_days,
        "the backfill stores the history: {interactive} < {last_two_days}"
    );
    let stored_after_first = reader.sign_in_count(&tenant).await.unwrap();
    assert_eq!(
        stored_after_first,
        sign_ins_inserted(&first),
        "the database holds what the run reports as inserted"
    );
    let users_after_first = reader.users(&tenant).await.unwrap().len();
    assert!(users_after_first > 0);

    // Second run: seven late arrivals of ten minutes ago become visible. The run re-reads from
    // its watermark less the overlap and stores exactly those as new: nothing is duplicated.
    let late = fake.insert_late_sign_ins(7, time::Duration::minutes(10));
    assert_eq!(late.len(), 7);
    let second = oort(dir, &fake, &store_url, &[], &["collect", "--json"]).await;
    let second = ok_json(&second);
    assert_eq!(stream(&second, "sign_ins")["inserted"], 7, "{second}");
    assert_eq!(sign_ins_inserted(&second), 7, "{second}");
    assert_eq!(stream(&second, "users")["inserted"], 0, "{second}");
    assert_eq!(
        reader.sign_in_count(&tenant).await.unwrap(),
        stored_after_first + 7,
        "only the late arrivals were added"
    );
    assert_eq!(
        reader.users(&tenant).await.unwrap().len(),
        users_after_first
    );

    // Checks over the PostgreSQL store find every planted attack.
    let break_glass = fake.break_glass_accounts().join(",");
    let bg = [("OORT_BREAK_GLASS_ACCOUNTS", break_glass.as_str())];
    let checks = ok_json(&oort(dir, &fake, &store_url, &bg, &["checks", "--json"]).await);
    let found: Vec<&str> = checks["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["check_id"].as_str().unwrap())
        .collect();
    let planted = fake.ground_truth();
    assert!(!planted.is_empty());
    for p in &planted {
        assert!(
            found.contains(&p.detection.as_str()),
            "planted {} not found in {found:?}",
            p.detection
        );
    }
    let findings = ok_json(&oort(dir, &fake, &store_url, &[], &["findings", "--json"]).await);
    assert_eq!(
        findings["findings"].as_array().unwrap().len(),
        found.len(),
        "every finding of the checks is stored: {findings}"
    );

    // Status reports the PostgreSQL store (without its password) and the last run.
    let status = oort(dir, &fake, &store_url, &[], &["status", "--json"]).await;
    let printed = format!("{printed}{}{}", stdout(&status), stderr(&status));
    let status = ok_json(&status);
    assert_eq!(status["store"], displayed(&store_url), "{status}");
    assert_eq!(status["tenant"], tenant, "{status}");
    assert_eq!(status["last_run"]["status"], "succeeded", "{status}");
    let sign_ins = status["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"] == "sign_ins")
        .unwrap();
    assert!(sign_ins["watermark"].is_string(), "{status}");
    assert_eq!(sign_ins["last_report"]["inserted"], 7, "{status}");
    if let Some(password) = password {
        assert!(!printed.contains(password), "the password was printed");
    }
}

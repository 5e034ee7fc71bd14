//! `collect_e2e`: end-to-end collection of sign-ins from a fake tenant into a store.
//!
//! ```sh
//! cargo run --release -p benches --example collect_e2e -- [--users N] [--per-day F] [--days N]
//!     [--store sqlite|sqlite-memory|postgres|none] [--latency-ms N] [--reports-per-10s N]
//!     [--concurrency N] [--sequential-baseline] [--checks]
//! ```
//! `--checks` then times the analysis: `run_checks` over the collected store (the first run
//! reads every sign-in), and again after 15 more minutes were collected (incremental).
//! Prints sign-ins stored per second (and, with `--reports-per-10s`, the fraction of the scaled
//! reports throttle ceiling reached and the number of 429 answers). `--sequential-baseline` (or
//! `--concurrency 1`) fetches one slice at a time. `--store none` is the bare paging rate
//! (graph-client, typed, stored nowhere). `--store postgres` needs `OORT_BENCH_DATABASE_URL`.
//! For peak memory, run under `/usr/bin/time -v` at two sizes.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]

use std::sync::Arc;
use std::time::Duration as StdDuration;

use entra_fake::connect::FakeConnection;
use entra_fake::{FakeTenant, Throttling};
use graph_client::{Rate, ThrottleLimits};
use oort_collector::{
    CollectionReport, Collector, CollectorConfig, StreamKind, StreamReport, StreamStatus,
};
use oort_store::prelude::*;
use oort_store::{PostgresStore, SqliteStore};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// The measured stream must have collected: a failed, skipped or cancelled one has no throughput
/// to report.
fn collected(report: &StreamReport) -> Result<(), String> {
    match &report.status {
        StreamStatus::Succeeded => Ok(()),
        StreamStatus::Failed { error } => Err(format!("stream {} failed: {error}", report.stream)),
        other => Err(format!(
            "stream {} did not collect: {other:?}",
            report.stream
        )),
    }
}

/// Ends the harness with the failure, without figures, exit code 1.
fn fail(dir: &std::path::Path, error: &str) -> ! {
    eprintln!("collect_e2e: {error}");
    let _ = std::fs::remove_dir_all(dir);
    std::process::exit(1)
}

/// Every stream of a run succeeded or was skipped (a licence, a permission, devices off).
fn no_failure(run: &CollectionReport) -> Result<(), String> {
    let failed: Vec<String> = run
        .streams
        .iter()
        .filter_map(|s| match &s.status {
            StreamStatus::Failed { error } => Some(format!("stream {} failed: {error}", s.stream)),
            _ => None,
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(failed.join("; "))
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let users: u32 = arg("--users", 1_000);
    let per_day: f64 = arg("--per-day", 10.0);
    let days: u32 = arg("--days", 30);
    let store_kind: String = arg("--store", "sqlite".to_owned());
    let latency_ms: u64 = arg("--latency-ms", 0);
    let reports_per_10s: u32 = arg("--reports-per-10s", 0);

    let throttling = if reports_per_10s == 0 {
        Throttling::disabled()
    } else {
        Throttling::scaled(f64::from(reports_per_10s) / 5.0)
    };
    let fake = FakeTenant::builder()
        .seed(42)
        .members(users)
        .guests(users / 20)
        .history_days(days)
        .sign_ins_per_user_per_day(per_day)
        .throttling(throttling)
        .latency(StdDuration::from_millis(latency_ms))
        // Throttling windows pass by the fake's clock: let it run in real time when throttled.
        .real_time(reports_per_10s > 0)
        .start()
        .await?;
    let FakeConnection {
        credential,
        client,
        scope,
        clock,
        ..
    } = FakeConnection::builder(&fake)
        .graph(move |client| {
            if reports_per_10s == 0 {
                client.throttling(false)
            } else {
                client.throttle_limits(
                    ThrottleLimits::default()
                        .reports(Rate::new(reports_per_10s, StdDuration::from_secs(10))),
                )
            }
        })
        .build()?;
    let granted = credential.get_token(&scope).await?.claims.roles;

    if store_kind == "none" {
        // The bare paging rate: the same window, typed, through graph-client, stored nowhere.
        use futures::TryStreamExt;
        let now = fake.clock().now();
        let from = now - time::Duration::days(i64::from(days));
        let filter = format!(
            "createdDateTime ge {} and createdDateTime lt {}",
            from.replace_nanosecond(0)?
                .format(&time::format_description::well_known::Rfc3339)?,
            (now - time::Duration::minutes(2))
                .replace_nanosecond(0)?
                .format(&time::format_description::well_known::Rfc3339)?,
        );
        let started = tokio::time::Instant::now();
        let mut pages = client.pages::<entra_model::Raw<entra_model::SignIn>>(
            graph_client::GraphRequest::get("auditLogs/signIns")
                .filter(filter)
                .top(1000),
        );
        let mut n = 0usize;
        while let Some(page) = pages.try_next().await? {
            n += page.items.len();
        }
        let elapsed = started.elapsed();
        println!("collect_e2e store=none sign_ins={n}");
        println!(
            "elapsed={:.2}s rate={:.0} sign-ins/s",
            elapsed.as_secs_f64(),
            n as f64 / elapsed.as_secs_f64()
        );
        return Ok(());
    }
    let dir = std::env::temp_dir().join(format!("oort-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store: Arc<dyn Store> = match store_kind.as_str() {
        "postgres" => {
            let url = std::env::var("OORT_BENCH_DATABASE_URL")
                .map_err(|_| "set OORT_BENCH_DATABASE_URL to a fresh database")?;
            Arc::new(PostgresStore::connect(&url).await?)
        }
        "sqlite-memory" => Arc::new(SqliteStore::in_memory()?),
        _ => Arc::new(SqliteStore::open(dir.join("bench.db"))?),
    };
    let mut config = CollectorConfig::default();
    config.backfill = time::Duration::days(i64::from(days));
    config.max_concurrency = if flag("--sequential-baseline") {
        1
    } else {
        arg("--concurrency", config.max_concurrency)
    };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let throttled = tokio::spawn(async move {
        let (mut refused, mut paced) = (0u32, StdDuration::ZERO);
        while let Some(event) = rx.recv().await {
            if let oort_collector::Progress::Throttled { wait, status, .. } = event {
                match status {
                    Some(_) => refused += 1,
                    None => paced += wait,
                }
            }
        }
        (refused, paced)
    });
    let (collector_client, collector_granted, collector_clock, collector_config) = (
        client.clone(),
        granted.clone(),
        clock.clone(),
        config.clone(),
    );
    let collector = Collector::new(client, store.clone(), fake.tenant_id(), granted, clock);
    let collector = collector.config(config).progress(tx);
    let started = tokio::time::Instant::now();
    let report = collector.run_stream(StreamKind::SignIns).await;
    let elapsed = started.elapsed();
    drop(collector);
    let (refused, paced) = throttled.await?;
    if let Err(e) = collected(&report) {
        fail(&dir, &e);
    }
    let stored = store.sign_in_count(fake.tenant_id()).await?;
    let rate = stored as f64 / elapsed.as_secs_f64();
    println!(
        "collect_e2e store={store_kind} users={users} days={days} sign_ins={stored} pages={} status={:?}",
        report.pages, report.status
    );
    println!(
        "elapsed={:.2}s rate={rate:.0} sign-ins/s",
        elapsed.as_secs_f64()
    );
    if reports_per_10s > 0 {
        let ceiling = f64::from(reports_per_10s) / 10.0 * 1_000.0;
        println!(
            "throttle ceiling={ceiling:.0} items/s fraction={:.2} throttled_answers={refused} paced_waits={:.1}s",
            rate / ceiling,
            paced.as_secs_f64()
        );
    }
    if flag("--checks") {
        // The analysis over the collected store: the first run reads every sign-in; then a
        // quarter of an hour passes, the next collection takes what is new, and the next
        // analysis reads that plus the look-back.
        // (A whole collection first: the analysis needs the directory and a recorded run.)
        let collector = Collector::new(
            collector_client,
            store.clone(),
            fake.tenant_id(),
            collector_granted,
            collector_clock,
        )
        .config(collector_config);
        let run = collector.collect_now().await?;
        if let Err(e) = no_failure(&run) {
            fail(&dir, &e);
        }
        let checks = oort_checks::CheckConfig::default();
        let started = tokio::time::Instant::now();
        let first =
            oort_checks::run_checks(&*store, fake.tenant_id(), &checks, fake.clock().now()).await?;
        let first_elapsed = started.elapsed();
        fake.clock().advance(time::Duration::minutes(15));
        let run = collector.collect_now().await?;
        if let Err(e) = no_failure(&run) {
            fail(&dir, &e);
        }
        let report = run
            .stream(StreamKind::SignIns)
            .cloned()
            .ok_or("no sign-in stream in the run")?;
        let started = tokio::time::Instant::now();
        let next =
            oort_checks::run_checks(&*store, fake.tenant_id(), &checks, fake.clock().now()).await?;
        let next_elapsed = started.elapsed();
        println!(
            "checks first: read={} in {:.2}s ({:.0}/s), findings={}",
            first.sign_ins,
            first_elapsed.as_secs_f64(),
            first.sign_ins as f64 / first_elapsed.as_secs_f64(),
            first.findings.len()
        );
        println!(
            "checks after 15 more minutes ({} new sign-ins): read={} in {:.2}s, since={:?}, new findings={}",
            report.inserted,
            next.sign_ins,
            next_elapsed.as_secs_f64(),
            next.since.map(|t| t.to_string()),
            next.new
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

//! Collects the last day of sign-ins (interactive, non-interactive, service principal and
//! managed identity) into a SQLite file with `oort_collector::Collector`, printing its progress
//! events and the run report, then counting what the store holds.
//!
//! ```sh
//! cargo run -p oort-examples --example collect_sign_ins -- sign-ins.db
//! ```
//!
//! Without a path, the file goes to a temporary directory removed at the end. Run it again on the
//! same file and the collector takes only what is new since the last run (its checkpoints are in
//! the file). Against the fake tenant by default; against yours with `OORT_TENANT_ID`,
//! `OORT_CLIENT_ID` and `OORT_CLIENT_SECRET` set (the app needs `AuditLog.Read.All`, and the
//! tenant an Entra ID P1 or P2 licence).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use entra_model::timestamp;
use oort_collector::{CollectionReport, Collector, CollectorConfig, Progress, StreamKind};
use oort_examples::{BoxError, Connection};
use oort_store::prelude::*;
use oort_store::SqliteStore;

/// Collect the last day of sign-ins into SQLite.
#[derive(Debug, Parser)]
struct Args {
    /// The SQLite file (created if missing). Default: a file in a temporary directory.
    path: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oort_examples::exit(run_main().await)
}

async fn run_main() -> Result<(), BoxError> {
    let args = Args::parse();
    let conn = Connection::from_env_or_fake().await?;
    eprintln!("{}", conn.describe());
    // Keep the temporary directory (if any) alive until the end.
    let (_dir, path) = match args.path {
        Some(path) => (None, path),
        None => {
            let dir = tempfile::tempdir()?;
            let path = dir.path().join("sign-ins.db");
            (Some(dir), path)
        }
    };
    let collected = run(&conn, &path, &mut std::io::stdout()).await?;
    println!("sign-ins in the store: {}", collected.stored);
    if !collected.report.is_success() {
        return Err("a stream failed: see its error above".into());
    }
    Ok(())
}

/// The sign-in streams: the only ones this program collects.
const SIGN_INS: &[StreamKind] = &[
    StreamKind::SignIns,
    StreamKind::NonInteractiveSignIns,
    StreamKind::ServicePrincipalSignIns,
    StreamKind::ManagedIdentitySignIns,
];

/// What [`run`] did.
#[derive(Debug)]
pub(crate) struct Collected {
    /// The collector's report.
    pub(crate) report: CollectionReport,
    /// Sign-ins in the store at the end.
    pub(crate) stored: u64,
}

/// Collects one day of sign-ins into the SQLite file at `path`, printing progress and a summary.
pub(crate) async fn run(
    conn: &Connection,
    path: &Path,
    out: &mut impl Write,
) -> Result<Collected, BoxError> {
    writeln!(out, "store: {}", path.display())?;
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(path)?);

    // The token's roles are the app's granted permissions: streams that need one it lacks are
    // skipped with the reason, not failed.
    let token = conn.credential.get_token(&conn.scope).await?;

    let mut config = CollectorConfig::default();
    config.backfill = time::Duration::days(1);
    config.disabled = StreamKind::ALL
        .iter()
        .copied()
        .filter(|kind| !SIGN_INS.contains(kind))
        .collect();

    let (progress, mut events) = tokio::sync::mpsc::unbounded_channel();
    let collector = Collector::new(
        conn.client.clone(),
        store.clone(),
        conn.tenant_id.clone(),
        token.claims.roles.clone(),
        conn.clock.clone(),
    )
    .config(config)
    .progress(progress);

    // Collect and print the progress events at the same time. The channel closes when the
    // collector (which holds its sender) is dropped at the end of the run.
    let collect = async move { collector.collect_now().await };
    let print = async {
        while let Some(event) = events.recv().await {
            print_event(&event, out)?;
        }
        Ok::<_, std::io::Error>(())
    };
    let (report, printed) = tokio::join!(collect, print);
    let report = report?;
    printed?;

    writeln!(out)?;
    writeln!(
        out,
        "{:<28} {:<10} {:>8} {:>8} {:>6}",
        "stream", "status", "new", "updated", "pages"
    )?;
    for s in report
        .streams
        .iter()
        .filter(|s| SIGN_INS.contains(&s.stream))
    {
        writeln!(
            out,
            "{:<28} {:<10} {:>8} {:>8} {:>6}",
            s.stream.as_str(),
            status(&s.status),
            s.inserted,
            s.updated,
            s.pages
        )?;
    }
    let stored = store.sign_in_count(&conn.tenant_id).await?;
    Ok(Collected { report, stored })
}

fn print_event(event: &Progress, out: &mut impl Write) -> std::io::Result<()> {
    match event {
        Progress::StreamStarted { stream } if SIGN_INS.contains(stream) => {
            writeln!(out, "{stream}: started")
        }
        Progress::PageStored {
            stream,
            items,
            summary,
        } => writeln!(
            out,
            "{stream}: page of {items} stored ({} new, {} updated)",
            summary.inserted, summary.updated
        ),
        Progress::SliceDone { stream, start, end } => writeln!(
            out,
            "{stream}: window {} .. {} done",
            timestamp::format(start),
            timestamp::format(end)
        ),
        Progress::StreamFinished { report } if SIGN_INS.contains(&report.stream) => writeln!(
            out,
            "{}: {} ({} new in {} pages)",
            report.stream,
            status(&report.status),
            report.inserted,
            report.pages
        ),
        // The streams switched off above, and events a later version adds.
        _ => Ok(()),
    }
}

fn status(status: &oort_collector::StreamStatus) -> String {
    use oort_collector::StreamStatus;
    match status {
        StreamStatus::Succeeded => "succeeded".to_owned(),
        StreamStatus::Skipped { reason, .. } => format!("skipped: {reason}"),
        StreamStatus::Cancelled => "cancelled".to_owned(),
        StreamStatus::Failed { error } => format!("failed: {error}"),
        _ => format!("{status:?}"),
    }
}

//! `oort collect`: one collection (or, with `--watch`, one every interval until Ctrl-C), each
//! followed by the checks and notifications when asked.

use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::{Clock, SystemClock};
use oort_collector::{CancelHandle, CollectionReport, Collector, LeaseOptions, StreamStatus};
use oort_fleet::{Analysis, CycleReport, Pipeline};
use serde_json::json;

use super::checks::{
    checks_doc, checks_line, print_checks, print_notifications, report_failed_notifications,
};
use crate::analysis::{notifiers, pipeline};
use crate::cli::CollectArgs;
use crate::config::Settings;
use crate::connect::{connect, open_store, store_display};
use crate::error::CliError;
use crate::output::{Out, Table};
use crate::progress::spawn_progress;

/// What one `oort collect` works with, once connected.
struct Collecting {
    args: CollectArgs,
    out: Out,
    /// What follows each collection: the checks (`--checks` or `--notify`), the notifications.
    pipeline: Pipeline,
    /// Whether the checks run after each collection.
    analysing: bool,
}

pub(super) async fn run(
    settings: &Settings,
    args: CollectArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    if args.retry_rejected {
        return retry_rejected(settings, out).await;
    }
    let conn = connect(settings, true)?;
    // Channels are checked before anything runs: a configuration error changes nothing.
    let notifiers = if args.notify {
        Some(notifiers(settings)?)
    } else {
        None
    };
    let analysing = args.checks || args.notify;
    let store = open_store(&settings.store, &settings.network).await?;
    let token = conn.credential.get_token(&conn.scope).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let cancel = CancelHandle::new();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let collector = Collector::new(
        conn.client.clone(),
        store.clone(),
        conn.tenant_id.clone(),
        token.claims.roles.clone(),
        clock,
    )
    .config(settings.collector.clone())
    .lease_options({
        let mut lease = LeaseOptions::default();
        lease.wait = args.wait;
        lease
    })
    .progress(tx)
    .cancel_handle(cancel.clone());
    // Under --watch each run asks for a new token: a permission granted or withdrawn, or a
    // secret rotated on disk, is seen by the next run, not at the next restart.
    let collector = if args.watch {
        collector.granted_from(conn.credential.clone(), conn.scope.clone())
    } else {
        collector
    };
    let progress = spawn_progress(rx, out, args.watch);
    let ctrl_c = stop_on_ctrl_c(cancel, out);
    out.info(format!(
        "collecting tenant {} into {}",
        conn.tenant_id,
        store_display(&settings.store)
    ));
    let job = Collecting {
        pipeline: pipeline(
            settings,
            store,
            &conn.tenant_id,
            analysing,
            notifiers,
            false,
        ),
        args,
        out,
        analysing,
    };
    if job.args.watch {
        return job.watch(collector, progress, ctrl_c).await;
    }
    let cycle = job.pipeline.run_cycle(&collector).await?;
    drop(collector);
    let _ = progress.await;
    ctrl_c.abort();
    job.after_one(cycle)
}

/// `--retry-rejected`: the rejected items re-read with this version's models, one row per
/// stream. Exit 0 even when some still do not read (they are kept, and `oort status` and the
/// `collection-gap` findings keep saying so).
async fn retry_rejected(settings: &Settings, out: Out) -> Result<ExitCode, CliError> {
    let conn = connect(settings, true)?;
    let store = open_store(&settings.store, &settings.network).await?;
    let collector = Collector::new(
        conn.client.clone(),
        store,
        conn.tenant_id.clone(),
        entra_model::PermissionSet::default(),
        Arc::new(SystemClock),
    )
    .config(settings.collector.clone());
    let reports = collector.retry_rejected().await?;
    let mut table = Table::new(["stream", "retried", "stored", "still rejected"]);
    for r in &reports {
        table.row([
            r.stream.to_string(),
            r.retried.to_string(),
            r.stored.to_string(),
            r.still_rejected.to_string(),
        ]);
    }
    if reports.is_empty() {
        out.info("no rejected items: nothing to re-read");
    } else {
        out.table(&table);
        let still: u64 = reports.iter().map(|r| r.still_rejected).sum();
        if still > 0 {
            out.info(format!(
                "{still} item(s) still do not read with this version: kept (oort status lists them)"
            ));
        }
    }
    out.json(&json!({ "retried": reports }));
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM (systemd's stop) stops the collection after the page in hand; a second
/// one aborts.
fn stop_on_ctrl_c(cancel: CancelHandle, out: Out) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Some(signal) = crate::signals::stop_requested().await {
            cancel.cancel();
            if !out.json {
                eprintln!("{signal}: stopping after the page in hand (Ctrl-C again to abort)");
            }
            if crate::signals::stop_requested().await.is_some() {
                std::process::exit(130);
            }
        }
    })
}

impl Collecting {
    /// `--watch`: a cycle every interval until Ctrl-C, one line per cycle; a failed analysis
    /// is reported and retried by the next cycle.
    async fn watch(
        self,
        collector: Collector,
        progress: tokio::task::JoinHandle<()>,
        ctrl_c: tokio::task::JoinHandle<()>,
    ) -> Result<ExitCode, CliError> {
        let (args, out) = (&self.args, self.out);
        out.info(format!(
            "collecting every {}s until Ctrl-C or SIGTERM{}",
            args.interval.as_secs(),
            match (args.checks || args.notify, args.notify) {
                (_, true) => ", each run followed by the checks and notifications",
                (true, false) => ", each run followed by the checks",
                _ => "",
            }
        ));
        let report = self
            .pipeline
            .watch(
                &collector,
                args.interval,
                args.interval / 10,
                async |cycle: &CycleReport| cycle_lines(cycle, out),
            )
            .await?;
        drop(collector);
        let _ = progress.await;
        ctrl_c.abort();
        let summary = &report.collection;
        if let Some(last) = &summary.last {
            print_collection(last, &out);
        }
        out.info(format!(
            "{} run{} ({} with failed streams){}",
            summary.runs,
            if summary.runs == 1 { "" } else { "s" },
            summary.failed_runs,
            if self.analysing {
                format!(
                    ", {} with failed checks or notifications",
                    report.analysis_failures
                )
            } else {
                String::new()
            }
        ));
        let mut doc = serde_json::to_value(summary)
            .map_err(|e| CliError::failure(format!("cannot serialise the output: {e}")))?;
        if self.analysing {
            doc["analysis_failures"] = json!(report.analysis_failures);
        }
        // After one line per run, the summary is one line too.
        out.json_line(&doc);
        Ok(if report.is_success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::error::EXIT_FAILURE)
        })
    }

    /// After a single collection: its table, then the analysis when asked.
    fn after_one(self, cycle: CycleReport) -> Result<ExitCode, CliError> {
        let (out, report) = (self.out, &cycle.collection);
        print_collection(report, &out);
        let Some(analysis) = cycle.analysis else {
            out.json(report);
            return Ok(if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::error::EXIT_FAILURE)
            });
        };
        let Analysis {
            checks,
            notifications: sent,
            ..
        } = analysis?;
        print_checks(&checks, &out, 100);
        if let Some(sent) = &sent {
            print_notifications(sent, &out);
        }
        let mut doc = serde_json::to_value(report)
            .map_err(|e| CliError::failure(format!("cannot serialise the output: {e}")))?;
        doc["checks"] = checks_doc(&checks, sent.as_ref())?;
        out.json(&doc);
        let notified = match &sent {
            Some(sent) if !sent.is_success() => {
                report_failed_notifications(sent, "the next oort checks --notify");
                false
            }
            _ => true,
        };
        Ok(if report.is_success() && notified {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::error::EXIT_FAILURE)
        })
    }
}

/// Under `--watch`, after each collection's line: the analysis's line, or what failed; with
/// `--json`, the run's document on one line of stdout.
fn cycle_lines(cycle: &CycleReport, out: Out) {
    if out.json {
        match cycle_doc(cycle) {
            Ok(doc) => out.json_line(&doc),
            Err(e) => eprintln!("error: {}", e.message),
        }
    }
    if let Some(analysis) = cycle.analysis() {
        if !out.json && !out.quiet {
            eprintln!(
                "{}",
                checks_line(&analysis.checks, analysis.notifications.as_ref())
            );
        }
        if let Some(sent) = analysis.notifications.as_ref().filter(|s| !s.is_success()) {
            report_failed_notifications(sent, "the next run");
        }
    }
    if let Some(e) = cycle.analysis_error() {
        eprintln!("error: checks after the collection: {}", CliError::from(e));
    }
}

/// One run's JSON document under `--watch --json`: the collection's, with `checks` (the
/// `oort checks --json` document) when the checks ran, or `checks_error` when they failed.
fn cycle_doc(cycle: &CycleReport) -> Result<serde_json::Value, CliError> {
    let mut doc = serde_json::to_value(&cycle.collection)
        .map_err(|e| CliError::failure(format!("cannot serialise the output: {e}")))?;
    if let Some(analysis) = cycle.analysis() {
        doc["checks"] = checks_doc(&analysis.checks, analysis.notifications.as_ref())?;
    }
    if let Some(e) = cycle.analysis_error() {
        doc["checks_error"] = json!(CliError::from(e).message);
    }
    Ok(doc)
}

pub(super) fn print_collection(report: &CollectionReport, out: &Out) {
    let mut table = Table::new([
        "stream", "status", "new", "updated", "removed", "pages", "note",
    ]);
    for s in &report.streams {
        let (status, mut note) = match &s.status {
            StreamStatus::Succeeded => ("ok", String::new()),
            StreamStatus::Skipped { reason, .. } => ("skipped", reason.clone()),
            StreamStatus::Cancelled => ("cancelled", "resumes next run".to_owned()),
            StreamStatus::Failed { error } => ("FAILED", error.clone()),
            _ => ("?", String::new()),
        };
        if s.rejected > 0 {
            let set_aside = format!(
                "{} item(s) did not read and were set aside (oort status)",
                s.rejected
            );
            note = if note.is_empty() {
                set_aside
            } else {
                format!("{note}; {set_aside}")
            };
        }
        table.row([
            s.stream.to_string(),
            status.to_owned(),
            s.inserted.to_string(),
            s.updated.to_string(),
            s.removed.to_string(),
            s.pages.to_string(),
            note,
        ]);
    }
    out.table(&table);
    if report.pruned.sign_ins + report.pruned.directory_audits > 0 {
        out.info(format!(
            "retention: deleted {} sign-ins and {} directory audit entries older than it",
            report.pruned.sign_ins, report.pruned.directory_audits
        ));
    }
    if let Some(skew) = report.clock_skew_seconds {
        eprintln!(
            "warning: this machine's clock is {} s {} Microsoft Graph's: the windows followed Graph's clock, but fix the local clock (NTP)",
            skew.abs(),
            if skew > 0 { "behind" } else { "ahead of" }
        );
    }
    let seconds = (report.finished_at - report.started_at).as_seconds_f64();
    out.info(format!(
        "collection {} {} in {seconds:.1} s",
        report.run_id,
        if report.is_success() {
            "succeeded"
        } else {
            "had failed streams"
        }
    ));
}

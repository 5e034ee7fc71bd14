//! `oort collect`: one collection (or, with `--watch`, one every interval until Ctrl-C), each
//! followed by the checks and notifications when asked.

use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::{Clock, SystemClock};
use oort_checks::notify::Notifier;
use oort_collector::{CancelHandle, CollectionReport, Collector, StreamStatus};
use oort_store::prelude::*;
use serde_json::json;

use super::checks::{
    checks_doc, checks_line, print_checks, print_notifications, report_failed_notifications,
};
use crate::analysis::{analyse, notifiers};
use crate::cli::CollectArgs;
use crate::config::Settings;
use crate::connect::{connect, open_store, store_display};
use crate::error::CliError;
use crate::output::{Out, Table};
use crate::progress::spawn_progress;

/// What one `oort collect` works with, once connected.
struct Collecting<'a> {
    settings: &'a Settings,
    args: CollectArgs,
    out: Out,
    store: Arc<dyn Store>,
    tenant: String,
    /// The channels of `--notify`.
    notifiers: Option<Vec<Arc<dyn Notifier>>>,
    /// Whether the checks run after each collection (`--checks` or `--notify`).
    analysing: bool,
}

pub(super) async fn run(
    settings: &Settings,
    args: CollectArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let conn = connect(settings, true)?;
    // Channels are checked before anything runs: a configuration error changes nothing.
    let notifiers = if args.notify {
        Some(notifiers(settings)?)
    } else {
        None
    };
    let analysing = args.checks || args.notify;
    let store = open_store(&settings.store).await?;
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
    .progress(tx)
    .cancel_handle(cancel.clone());
    let progress = spawn_progress(rx, out, args.watch);
    let ctrl_c = stop_on_ctrl_c(cancel, out);
    out.info(format!(
        "collecting tenant {} into {}",
        conn.tenant_id,
        store_display(&settings.store)
    ));
    let job = Collecting {
        settings,
        args,
        out,
        store,
        tenant: conn.tenant_id.clone(),
        notifiers,
        analysing,
    };
    if job.args.watch {
        return job.watch(collector, progress, ctrl_c).await;
    }
    let report = collector.collect_now().await?;
    drop(collector);
    let _ = progress.await;
    ctrl_c.abort();
    job.after_one(&report).await
}

/// Ctrl-C stops the collection after the page in hand; a second one aborts.
fn stop_on_ctrl_c(cancel: CancelHandle, out: Out) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
            if !out.json {
                eprintln!("stopping after the page in hand (Ctrl-C again to abort)");
            }
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    })
}

impl Collecting<'_> {
    async fn analyse(
        &self,
    ) -> Result<
        (
            oort_checks::ChecksSummary,
            Option<oort_checks::notify::NotifySummary>,
        ),
        CliError,
    > {
        analyse(
            self.settings,
            self.store.as_ref(),
            &self.tenant,
            self.notifiers.as_deref(),
            false,
        )
        .await
    }

    /// `--watch`: collects every interval until Ctrl-C, each run followed by the analysis.
    async fn watch(
        self,
        collector: Collector,
        progress: tokio::task::JoinHandle<()>,
        ctrl_c: tokio::task::JoinHandle<()>,
    ) -> Result<ExitCode, CliError> {
        let (args, out) = (&self.args, self.out);
        out.info(format!(
            "collecting every {}s until Ctrl-C{}",
            args.interval.as_secs(),
            match (args.checks || args.notify, args.notify) {
                (_, true) => ", each run followed by the checks and notifications",
                (true, false) => ", each run followed by the checks",
                _ => "",
            }
        ));
        // Analysis failures in the loop are reported and retried by the next run; they do not
        // stop the collection.
        let mut analysis_failures = 0u64;
        let summary = collector
            .run_every_then(args.interval, args.interval / 10, async |_| {
                if !self.analysing {
                    return;
                }
                match self.analyse().await {
                    Ok((checks, sent)) => {
                        if !out.json && !out.quiet {
                            eprintln!("{}", checks_line(&checks, sent.as_ref()));
                        }
                        if let Some(sent) = sent.filter(|s| !s.is_success()) {
                            analysis_failures += 1;
                            report_failed_notifications(&sent, "the next run");
                        }
                    }
                    Err(e) => {
                        analysis_failures += 1;
                        eprintln!("error: checks after the collection: {e}");
                    }
                }
            })
            .await?;
        drop(collector);
        let _ = progress.await;
        ctrl_c.abort();
        if let Some(last) = &summary.last {
            print_collection(last, &out);
        }
        out.info(format!(
            "{} run{} ({} with failed streams){}",
            summary.runs,
            if summary.runs == 1 { "" } else { "s" },
            summary.failed_runs,
            if self.analysing {
                format!(", {analysis_failures} with failed checks or notifications")
            } else {
                String::new()
            }
        ));
        let mut doc = serde_json::to_value(&summary)
            .map_err(|e| CliError::failure(format!("cannot serialise the output: {e}")))?;
        if self.analysing {
            doc["analysis_failures"] = json!(analysis_failures);
        }
        out.json(&doc);
        Ok(if summary.is_success() && analysis_failures == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::error::EXIT_FAILURE)
        })
    }

    /// After a single collection: its table, then the analysis when asked.
    async fn after_one(self, report: &CollectionReport) -> Result<ExitCode, CliError> {
        let out = self.out;
        print_collection(report, &out);
        if !self.analysing {
            out.json(report);
            return Ok(if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::error::EXIT_FAILURE)
            });
        }
        let (checks, sent) = self.analyse().await?;
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

pub(super) fn print_collection(report: &CollectionReport, out: &Out) {
    let mut table = Table::new([
        "stream", "status", "new", "updated", "removed", "pages", "note",
    ]);
    for s in &report.streams {
        let (status, note) = match &s.status {
            StreamStatus::Succeeded => ("ok", String::new()),
            StreamStatus::Skipped { reason, .. } => ("skipped", reason.clone()),
            StreamStatus::Cancelled => ("cancelled", "resumes next run".to_owned()),
            StreamStatus::Failed { error } => ("FAILED", error.clone()),
            _ => ("?", String::new()),
        };
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

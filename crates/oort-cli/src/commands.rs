//! The commands: each reads the settings, wires the libraries, and prints what they return.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::{Clock, SystemClock};
use entra_model::UserType;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use oort_collector::{
    test_connectivity, CancelHandle, CapabilityStatus, CollectionReport, Collector,
    ConnectivityError, ConnectivityReport, Progress, StreamStatus,
};
use oort_remediation::{
    Action, Operator, OperatorRole, RemediationError, RemediationRequest, Remediator, Report,
};
use oort_store::prelude::*;
use oort_store::{FindingFilter, Severity};
use serde_json::json;

use crate::analysis::check_config;
use crate::cli::{
    AuditArgs, ChecksArgs, Cli, CollectArgs, Command, FindingsArgs, InitArgs, RemediateAction,
    RemediateArgs, SeverityFilter, UserTypeArg,
};
use crate::config::{ProcessEnv, Settings, TEMPLATE};
use crate::connect::{connect, open_store, store_display, Connection};
use crate::error::CliError;
use crate::output::{clip, ts, Out, Table};
use oort_checks::notify::{notify_findings, DeliveryOutcome, Notifier, NotifySummary};
use oort_checks::{run_checks_with, ChecksSummary, RunOptions};

/// Runs the parsed command; `Ok` carries the exit code of a command that ran to its end.
pub(crate) async fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let out = Out {
        json: cli.global.json,
        quiet: cli.global.quiet,
        verbose: cli.global.verbose,
    };
    init_logging(&out);
    let load = || Settings::load(cli.global.config.as_deref(), &ProcessEnv);
    match cli.command {
        Command::Demo(args) => crate::demo::demo(args, out).await,
        Command::FakeTenant(args) => crate::demo::fake_tenant(args, out).await,
        Command::Init(args) => init(args, out),
        Command::TestConnectivity => connectivity(&load()?, out).await,
        Command::Collect(args) => collect(&load()?, args, out).await,
        Command::Checks(args) => checks(&load()?, args, out).await,
        Command::Findings(args) => findings(&load()?, args, out).await,
        Command::Remediate(args) => remediate(&load()?, args, out).await,
        Command::Audit(args) => audit(&load()?, args, out).await,
        Command::Status => status(&load()?, out).await,
    }
}

/// Library `tracing` events go to stderr: warnings by default, debug with `-v`, trace with
/// `-vv`, errors only with `-q`.
fn init_logging(out: &Out) {
    use tracing_subscriber::filter::LevelFilter;
    let level = match (out.quiet, out.verbose) {
        (true, _) => LevelFilter::ERROR,
        (false, 0) => LevelFilter::WARN,
        (false, 1) => LevelFilter::DEBUG,
        (false, _) => LevelFilter::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn tenant_of(settings: &Settings) -> Result<String, CliError> {
    settings.tenant_id.clone().ok_or_else(|| {
        CliError::config(
            "no tenant id: set OORT_TENANT_ID or tenant_id in oort.toml (oort init writes a template)",
        )
    })
}

fn init(args: InitArgs, out: Out) -> Result<ExitCode, CliError> {
    if args.path.exists() && !args.force {
        return Err(CliError::failure(format!(
            "{} exists: edit it, or pass --force to overwrite it with the template",
            args.path.display()
        )));
    }
    std::fs::write(&args.path, TEMPLATE)
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", args.path.display())))?;
    out.line(format!(
        "wrote {}: fill in tenant_id and client_id, set OORT_CLIENT_SECRET, then run oort test-connectivity",
        args.path.display()
    ));
    out.json(&json!({"written": args.path.display().to_string()}));
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// test-connectivity

fn status_word(s: &CapabilityStatus) -> &'static str {
    match s {
        CapabilityStatus::Ok => "ok",
        CapabilityStatus::MissingPermission { .. } => "missing permission",
        CapabilityStatus::LicenceRequired { .. } => "licence required",
        _ => "error",
    }
}

/// Prints the connectivity report; returns whether the tenant is connected.
pub(crate) fn print_connectivity(report: &ConnectivityReport, out: &Out) -> bool {
    let mut table = Table::new(["capability", "status", "what to do"]);
    for c in &report.capabilities {
        table.row([
            c.capability.to_string(),
            status_word(&c.status).to_owned(),
            c.status.advice(),
        ]);
    }
    out.table(&table);
    let connected = report.is_connected();
    if connected {
        out.line("Connected!");
    }
    connected
}

pub(crate) fn connectivity_json(report: &ConnectivityReport) -> serde_json::Value {
    let mut doc = serde_json::to_value(report).unwrap_or_default();
    doc["connected"] = json!(report.is_connected());
    if let Some(caps) = doc["capabilities"].as_array_mut() {
        for (c, r) in caps.iter_mut().zip(&report.capabilities) {
            c["advice"] = json!(r.status.advice());
        }
    }
    doc
}

pub(crate) async fn probe(conn: &Connection) -> Result<ConnectivityReport, CliError> {
    test_connectivity(conn.credential.clone(), &conn.scope, &conn.client)
        .await
        .map_err(|e| match e {
            ConnectivityError::Auth(a) => CliError::from(a),
            other => CliError::config(format!("not connected: {other}")),
        })
}

fn not_connected_reason(report: &ConnectivityReport) -> String {
    let advice = report
        .status(entra_model::Capability::Users)
        .map(CapabilityStatus::advice)
        .unwrap_or_default();
    format!("not connected: the app cannot read the directory's users; {advice}")
}

async fn connectivity(settings: &Settings, out: Out) -> Result<ExitCode, CliError> {
    let conn = connect(settings, false)?;
    let report = probe(&conn).await?;
    let connected = print_connectivity(&report, &out);
    out.json(&connectivity_json(&report));
    if connected {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {}", not_connected_reason(&report));
        Ok(ExitCode::from(crate::error::EXIT_CONFIG))
    }
}

// ---------------------------------------------------------------------------------------------
// collect

/// Turns progress events into progress bars on a terminal, plain lines on stderr otherwise.
pub(crate) fn spawn_progress(
    mut rx: tokio::sync::mpsc::UnboundedReceiver<Progress>,
    out: Out,
    watch: bool,
) -> tokio::task::JoinHandle<()> {
    let bars = !out.json && !out.quiet && std::io::stderr().is_terminal();
    tokio::spawn(async move {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} {prefix:28} {human_pos:>9} items {elapsed:>4} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let mut active: BTreeMap<String, ProgressBar> = BTreeMap::new();
        let mut finished: Vec<ProgressBar> = Vec::new();
        let bar = |multi: &MultiProgress, name: &str| {
            let b = multi.add(ProgressBar::new_spinner());
            b.set_style(style.clone());
            b.set_prefix(name.to_owned());
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        };
        while let Some(event) = rx.recv().await {
            match event {
                Progress::StreamStarted { stream } => {
                    if bars {
                        active.insert(stream.to_string(), bar(&multi, stream.as_str()));
                    } else if out.verbose > 0 {
                        eprintln!("collect: {stream} started");
                    }
                }
                Progress::PageStored {
                    stream,
                    items,
                    summary,
                } => {
                    if let Some(b) = active.get(stream.as_str()) {
                        b.inc(items as u64);
                        b.set_message(format!("{:.0} items/s", b.per_sec()));
                    } else if !bars && out.verbose > 0 {
                        eprintln!(
                            "collect: {stream} page of {items} stored ({} new, {} updated)",
                            summary.inserted, summary.updated
                        );
                    }
                }
                Progress::Throttled {
                    stream,
                    wait,
                    status,
                } => {
                    let why = match status {
                        Some(code) => format!("Graph answered {code}"),
                        None => "throttle budget in use".to_owned(),
                    };
                    if let Some(b) = active.get(stream.as_str()) {
                        b.set_message(format!("waiting {:.1}s ({why})", wait.as_secs_f64()));
                    } else if !bars && (out.verbose > 0 || status.is_some()) && !out.quiet {
                        // Graph's refusals are worth a line; the client's own pacing only
                        // with -v.
                        eprintln!(
                            "collect: {stream} waiting {:.1}s ({why})",
                            wait.as_secs_f64()
                        );
                    }
                }
                Progress::StreamFinished { report } => {
                    let name = report.stream.to_string();
                    let what = match &report.status {
                        StreamStatus::Succeeded => format!(
                            "done: {} new, {} updated, {} removed",
                            report.inserted, report.updated, report.removed
                        ),
                        StreamStatus::Skipped { reason, .. } => format!("skipped: {reason}"),
                        StreamStatus::Cancelled => "cancelled (resumes next run)".to_owned(),
                        StreamStatus::Failed { error } => format!("FAILED: {error}"),
                        _ => "ended".to_owned(),
                    };
                    if bars {
                        let b = active.remove(&name).unwrap_or_else(|| bar(&multi, &name));
                        b.finish_with_message(what);
                        finished.push(b);
                    } else if !out.json && !out.quiet {
                        eprintln!("collect: {name} {what}");
                    }
                }
                // One line per run under --watch (a single collection ends with its table).
                Progress::RunFinished { report } if watch && !out.json && !out.quiet => {
                    let line = run_line(&report);
                    if bars {
                        // The run's bars make way for its line; the next run draws new ones.
                        for b in finished.drain(..) {
                            multi.remove(&b);
                        }
                        let _ = multi.println(&line);
                    } else {
                        eprintln!("{line}");
                    }
                }
                _ => {}
            }
        }
        let _ = multi.clear();
    })
}

/// `collect: run run-… succeeded in 3.2 s: 120 new, 4 updated, 0 removed` (failed streams named).
fn run_line(report: &CollectionReport) -> String {
    let (mut new, mut updated, mut removed) = (0, 0, 0);
    for s in &report.streams {
        new += s.inserted;
        updated += s.updated;
        removed += s.removed;
    }
    let failed: Vec<&str> = report
        .streams
        .iter()
        .filter(|s| matches!(s.status, StreamStatus::Failed { .. }))
        .map(|s| s.stream.as_str())
        .collect();
    let outcome = if failed.is_empty() {
        "succeeded".to_owned()
    } else {
        format!("had failed streams ({})", failed.join(", "))
    };
    format!(
        "collect: run {} {outcome} in {:.1} s: {new} new, {updated} updated, {removed} removed",
        report.run_id,
        (report.finished_at - report.started_at).as_seconds_f64()
    )
}

pub(crate) fn print_collection(report: &CollectionReport, out: &Out) {
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

async fn collect(settings: &Settings, args: CollectArgs, out: Out) -> Result<ExitCode, CliError> {
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
    let ctrl_c = {
        let cancel = cancel.clone();
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
    };
    out.info(format!(
        "collecting tenant {} into {}",
        conn.tenant_id,
        store_display(&settings.store)
    ));
    if args.watch {
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
                if !analysing {
                    return;
                }
                match analyse(
                    settings,
                    store.as_ref(),
                    &conn.tenant_id,
                    notifiers.as_deref(),
                    false,
                )
                .await
                {
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
            if analysing {
                format!(", {analysis_failures} with failed checks or notifications")
            } else {
                String::new()
            }
        ));
        let mut doc = serde_json::to_value(&summary)
            .map_err(|e| CliError::failure(format!("cannot serialise the output: {e}")))?;
        if analysing {
            doc["analysis_failures"] = json!(analysis_failures);
        }
        out.json(&doc);
        return Ok(if summary.is_success() && analysis_failures == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::error::EXIT_FAILURE)
        });
    }
    let report = collector.collect_now().await?;
    drop(collector);
    let _ = progress.await;
    ctrl_c.abort();
    print_collection(&report, &out);
    if !analysing {
        out.json(&report);
        return Ok(if report.is_success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(crate::error::EXIT_FAILURE)
        });
    }
    let (checks, sent) = analyse(
        settings,
        store.as_ref(),
        &conn.tenant_id,
        notifiers.as_deref(),
        false,
    )
    .await?;
    print_checks(&checks, &out, 100);
    if let Some(sent) = &sent {
        print_notifications(sent, &out);
    }
    let mut doc = serde_json::to_value(&report)
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

/// `checks: 3 new, 1 updated, 0 reopened, 0 resolved (12 findings); notifications: 3 sent, 0 failed`
fn checks_line(checks: &ChecksSummary, sent: Option<&NotifySummary>) -> String {
    let mut line = format!(
        "checks: {} new, {} updated, {} reopened, {} resolved ({} findings)",
        checks.new,
        checks.updated,
        checks.reopened,
        checks.resolved,
        checks.findings.len()
    );
    if let Some(sent) = sent {
        line.push_str(&format!(
            "; notifications: {} sent, {} failed",
            sent.sent().count(),
            sent.failures().count()
        ));
    }
    line
}

// ---------------------------------------------------------------------------------------------
// checks and findings

pub(crate) fn print_checks(summary: &ChecksSummary, out: &Out, limit: usize) {
    let mut table = Table::new(["severity", "check", "status", "subject", "summary"]);
    for f in summary.findings.iter().take(limit) {
        table.row([
            f.severity.to_string(),
            f.check_id.to_string(),
            serde_json::to_value(f.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            clip(&f.subject.to_string(), 48),
            clip(&f.summary, 100),
        ]);
    }
    if !table.is_empty() {
        out.table(&table);
    }
    if summary.findings.len() > limit {
        out.info(format!(
            "... and {} more (oort findings lists them all)",
            summary.findings.len() - limit
        ));
    }
    let since = match summary.since {
        Some(t) => format!(" (from {}: what is new, with the look-back)", ts(t)),
        None => " (every stored sign-in)".to_owned(),
    };
    out.info(format!(
        "{} sign-ins analysed{since}; {} findings: {} new, {} updated, {} reopened, {} resolved",
        summary.sign_ins,
        summary.findings.len(),
        summary.new,
        summary.updated,
        summary.reopened,
        summary.resolved
    ));
}

/// The notifications' table: one row per message.
fn print_notifications(summary: &NotifySummary, out: &Out) {
    let mut table = Table::new(["channel", "outcome", "attempts", "findings", "message"]);
    for d in &summary.deliveries {
        let outcome = match d.outcome {
            DeliveryOutcome::Sent => "sent",
            DeliveryOutcome::Failed => "FAILED",
            DeliveryOutcome::SentNotRecorded => "sent, not recorded",
            _ => "?",
        };
        let message = match &d.error {
            Some(e) => format!("{} -- {e}", clip(&d.title, 60)),
            None => clip(&d.title, 100),
        };
        table.row([
            d.channel.clone(),
            outcome.to_owned(),
            d.attempts.to_string(),
            d.fingerprints.len().to_string(),
            message,
        ]);
    }
    if !table.is_empty() {
        out.table(&table);
    }
    let failed = summary.failures().count();
    out.info(format!(
        "notifications: {} sent, {failed} failed{}",
        summary.sent().count(),
        match summary.resolutions_recorded {
            0 => String::new(),
            n => format!(", {n} resolutions recorded without a message"),
        }
    ));
}

/// The notification channels `--notify` sends through; a configuration error is reported
/// before anything runs.
fn notifiers(settings: &Settings) -> Result<Vec<Arc<dyn Notifier>>, CliError> {
    if !settings.notify.has_channels() {
        return Err(CliError::config(
            "--notify needs a channel: set OORT_NOTIFY_SMTP_HOST (with OORT_NOTIFY_EMAIL_FROM and OORT_NOTIFY_EMAIL_TO), OORT_NOTIFY_TEAMS_URL or OORT_NOTIFY_WEBHOOK_URL, or a [notify.*] section in oort.toml",
        ));
    }
    settings
        .notify
        .notifiers()
        .map_err(|e| CliError::config(format!("notify: {e}")))
}

/// Runs the checks over the store, then (with channels) the notifications.
async fn analyse(
    settings: &Settings,
    store: &dyn Store,
    tenant: &str,
    notifiers: Option<&[Arc<dyn Notifier>]>,
    full: bool,
) -> Result<(ChecksSummary, Option<NotifySummary>), CliError> {
    let config = check_config(
        &settings.break_glass_accounts,
        settings.client_id.as_deref(),
    );
    let options = if full {
        RunOptions::full()
    } else {
        RunOptions::default()
    };
    let summary = run_checks_with(store, tenant, &config, SystemClock.now(), &options).await?;
    let Some(notifiers) = notifiers else {
        return Ok((summary, None));
    };
    let sent = notify_findings(
        store,
        tenant,
        notifiers,
        &settings.notify,
        SystemClock.now(),
    )
    .await
    .map_err(|e| CliError::failure(format!("notify: {e}")))?;
    Ok((summary, Some(sent)))
}

/// The checks' JSON document, with the notifications when they ran.
fn checks_doc(
    summary: &ChecksSummary,
    sent: Option<&NotifySummary>,
) -> Result<serde_json::Value, CliError> {
    let ser = |e: serde_json::Error| CliError::failure(format!("cannot serialise the output: {e}"));
    let mut doc = serde_json::to_value(summary).map_err(ser)?;
    if let Some(sent) = sent {
        doc["notifications"] = serde_json::to_value(sent).map_err(ser)?;
    }
    Ok(doc)
}

fn report_failed_notifications(sent: &NotifySummary, next: &str) {
    let failed = sent.failures().count();
    eprintln!(
        "error: {failed} notification{} failed after retries; {next} retries {}",
        if failed == 1 { "" } else { "s" },
        if failed == 1 { "it" } else { "them" }
    );
}

async fn checks(settings: &Settings, args: ChecksArgs, out: Out) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    // Channels are checked before the checks run: a configuration error changes nothing.
    let notifiers = if args.notify {
        Some(notifiers(settings)?)
    } else {
        None
    };
    let store = open_store(&settings.store).await?;
    let (summary, sent) = analyse(
        settings,
        store.as_ref(),
        &tenant,
        notifiers.as_deref(),
        args.full,
    )
    .await?;
    print_checks(&summary, &out, 100);
    if let Some(sent) = &sent {
        print_notifications(sent, &out);
    }
    out.json(&checks_doc(&summary, sent.as_ref())?);
    match sent {
        Some(sent) if !sent.is_success() => {
            report_failed_notifications(&sent, "the next oort checks --notify");
            Ok(ExitCode::from(crate::error::EXIT_FAILURE))
        }
        _ => Ok(ExitCode::SUCCESS),
    }
}

async fn findings(settings: &Settings, args: FindingsArgs, out: Out) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    let store = open_store(&settings.store).await?;
    let filter = match args.status {
        Some(s) => FindingFilter::status(s.status()),
        None => FindingFilter::default(),
    };
    let min = args
        .severity
        .map_or(Severity::Info, SeverityFilter::severity);
    let mut found: Vec<_> = store
        .findings(&tenant, filter)
        .await?
        .into_iter()
        .filter(|f| f.severity >= min)
        .collect();
    found.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| b.last_seen.cmp(&a.last_seen))
    });
    found.truncate(args.limit);
    let mut table = Table::new([
        "severity",
        "check",
        "status",
        "last seen",
        "subject",
        "summary",
    ]);
    for f in &found {
        table.row([
            f.severity.to_string(),
            f.check_id.clone(),
            f.status.to_string(),
            ts(f.last_seen),
            clip(&f.subject, 48),
            clip(&f.summary, 100),
        ]);
    }
    if table.is_empty() {
        out.line("no findings (run oort collect, then oort checks)");
    } else {
        out.table(&table);
    }
    let docs: Vec<serde_json::Value> = found
        .iter()
        .map(|f| {
            let mut doc = f.json.clone();
            doc["status"] = json!(f.status);
            doc
        })
        .collect();
    out.json(&json!({ "findings": docs }));
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// remediate and audit

pub(crate) fn print_remediation(report: &Report, out: &Out) {
    let mut gates = Table::new(["gate", "passed", "detail"]);
    for g in &report.gates {
        gates.row([
            serde_json::to_value(g.gate)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            if g.passed { "yes" } else { "NO" }.to_owned(),
            clip(&g.detail, 160),
        ]);
    }
    out.table(&gates);
    if !report.plan.is_empty() {
        let mut plan = Table::new(["method", "path", "body", "purpose"]);
        for c in &report.plan {
            plan.row([
                c.method.clone(),
                c.path.clone(),
                c.body.as_ref().map(|b| b.to_string()).unwrap_or_default(),
                c.purpose.clone(),
            ]);
        }
        out.line("");
        out.table(&plan);
    }
    for note in &report.notes {
        out.line(format!("note: {note}"));
    }
    out.line(format!(
        "outcome: {} (audit entry {})",
        report.outcome.as_str(),
        report.audit_id
    ));
}

fn role_from(text: &str) -> Result<OperatorRole, CliError> {
    text.parse::<OperatorRole>()
        .map_err(|e: RemediationError| CliError::config(format!("OORT_ROLE: {e}")))
}

pub(crate) fn remediator(
    conn: &Connection,
    store: Arc<dyn Store>,
    settings_break_glass: &[String],
    protected: &[String],
) -> Result<Remediator, CliError> {
    Remediator::builder()
        .client(conn.client.clone())
        .credential(conn.credential.clone())
        .scope(conn.scope.clone())
        .store(store)
        .tenant(conn.tenant_id.clone())
        .clock(Arc::new(SystemClock))
        .break_glass_accounts(settings_break_glass.to_vec())
        .protected_accounts(protected.to_vec())
        .build()
        .map_err(|e| CliError::config(e.to_string()))
}

async fn remediate(
    settings: &Settings,
    args: RemediateArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let operator = args
        .operator
        .clone()
        .or_else(|| settings.operator.clone())
        .ok_or_else(|| {
            CliError::config(
                "no operator: pass --operator NAME or set OORT_OPERATOR (the audit trail names who acted)",
            )
        })?;
    let role =
        match (args.role, &settings.role) {
            (Some(r), _) => role_from(r.as_str())?,
            (None, Some(r)) => role_from(r)?,
            (None, None) => return Err(CliError::config(
                "no operator role: pass --role administrator|help-desk|read-only or set OORT_ROLE",
            )),
        };
    let (action, user) = match &args.action {
        RemediateAction::UpdateUserType { user, to } => (
            Action::UpdateUserType(match to {
                UserTypeArg::Member => UserType::Member,
                UserTypeArg::Guest => UserType::Guest,
            }),
            user,
        ),
        RemediateAction::DeleteGuestUser { user } => (Action::DeleteGuestUser, user),
        RemediateAction::LogOut { user } => (Action::LogOut, user),
        RemediateAction::ResetMfa { user } => (Action::ResetMfa, user),
    };
    let conn = connect(settings, false)?;
    let store = open_store(&settings.store).await?;
    let remediator = remediator(
        &conn,
        store,
        &settings.break_glass_accounts,
        &settings.protected_accounts,
    )?;
    let mut request = RemediationRequest::new(action, user.as_str(), Operator::new(operator, role))
        .override_global_admin_protection(args.override_global_admin);
    if args.yes {
        request = request.confirm();
    } else {
        out.info("dry run: nothing will be changed (pass --yes to execute)");
    }
    match remediator.run(&request).await {
        Ok(report) => {
            print_remediation(&report, &out);
            out.json(&report);
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            if let Some(report) = e.report() {
                print_remediation(report, &out);
            }
            out.json(&json!({
                "error": {"message": e.to_string(), "refused": e.is_refusal(), "exit_code": crate::error::EXIT_FAILURE},
                "report": e.report(),
            }));
            eprintln!("error: {e}");
            Ok(ExitCode::from(crate::error::EXIT_FAILURE))
        }
    }
}

async fn audit(settings: &Settings, args: AuditArgs, out: Out) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    let store = open_store(&settings.store).await?;
    let entries = store.audit_log(&tenant, args.limit).await?;
    let mut table = Table::new(["at", "operator", "role", "action", "target", "outcome"]);
    for e in &entries {
        table.row([
            ts(e.at),
            e.operator.clone(),
            e.role.clone(),
            e.action.clone(),
            e.target_upn
                .clone()
                .or_else(|| e.target_id.clone())
                .unwrap_or_else(|| "-".to_owned()),
            e.outcome.to_string(),
        ]);
    }
    if table.is_empty() {
        out.line("the audit trail is empty");
    } else {
        out.table(&table);
    }
    out.json(&json!({ "entries": entries }));
    Ok(ExitCode::SUCCESS)
}

// ---------------------------------------------------------------------------------------------
// status

async fn status(settings: &Settings, out: Out) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    let store = open_store(&settings.store).await?;
    let now = SystemClock.now();
    out.line(format!("tenant: {tenant}"));
    out.line(format!("store:  {}", store_display(&settings.store)));
    out.line(format!(
        "config: {}",
        settings.file.as_ref().map_or_else(
            || "environment only".to_owned(),
            |p| p.display().to_string()
        )
    ));
    let runs = store.runs(&tenant, 1).await?;
    let last = runs.first();
    match last {
        Some(run) => out.line(format!(
            "last collection: {} started {} ({})",
            run.id,
            ts(run.started_at),
            run.status
        )),
        None => out.line("last collection: none (run oort collect)"),
    }
    let mut table = Table::new(["stream", "last run", "new", "watermark", "note"]);
    let mut streams = Vec::new();
    for &kind in oort_collector::StreamKind::ALL {
        let in_run = last.and_then(|r| {
            r.report.as_array().and_then(|a| {
                a.iter()
                    .find(|s| s["stream"].as_str() == Some(kind.as_str()))
                    .cloned()
            })
        });
        let checkpoints = store.checkpoints(&tenant, kind.as_str()).await?;
        let watermark = checkpoints
            .iter()
            .find_map(|c| c.value["watermark"].as_str().map(str::to_owned));
        let state = in_run
            .as_ref()
            .and_then(|s| s["status"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "-".to_owned());
        let note = in_run
            .as_ref()
            .and_then(|s| {
                s["reason"]
                    .as_str()
                    .or_else(|| s["error"].as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let inserted = in_run
            .as_ref()
            .and_then(|s| s["inserted"].as_u64())
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".to_owned());
        table.row([
            kind.to_string(),
            state.clone(),
            inserted,
            watermark.clone().unwrap_or_else(|| "-".to_owned()),
            clip(&note, 90),
        ]);
        streams.push(json!({
            "stream": kind,
            "last_status": in_run.as_ref().and_then(|s| s["status"].as_str()),
            "last_report": in_run,
            "watermark": watermark,
            "checkpoints": checkpoints.len(),
        }));
    }
    out.table(&table);
    // The expiry of the client secret oort signs in with, when its app registration is stored.
    let mut expiries: Vec<time::OffsetDateTime> = Vec::new();
    if let Some(client_id) = &settings.client_id {
        for c in store.app_credentials(&tenant).await? {
            if c.app_id.as_deref() == Some(client_id.as_str())
                && matches!(c.credential.kind, entra_model::CredentialKind::Secret)
            {
                if let Some(end) = c.credential.end {
                    expiries.push(end);
                }
            }
        }
    }
    let next = expiries.iter().copied().filter(|e| *e > now).min();
    match next {
        Some(end) => out.line(format!(
            "client secret: expires {} (in {} days)",
            ts(end),
            (end - now).whole_days()
        )),
        None if !expiries.is_empty() => {
            out.line("client secret: every stored secret of oort's app has expired: create a new one")
        }
        None => out.line(
            "client secret: expiry unknown (collect applications with Application.Read.All to see it)",
        ),
    }
    let analysis = oort_checks::analysis_state(store.as_ref(), &tenant).await?;
    let sign_ins = store.sign_in_count(&tenant).await?;
    out.line(match (analysis.analysed_through, analysis.pending_since) {
        (None, _) => format!("analysis: not run yet over the {sign_ins} stored sign-ins (oort checks)"),
        (Some(through), None) => format!(
            "analysis: sign-ins analysed through {} ({sign_ins} stored, none written since)",
            ts(through)
        ),
        (Some(through), Some(since)) => format!(
            "analysis: sign-ins analysed through {}; sign-ins from {} on written since ({sign_ins} stored)",
            ts(through),
            ts(since)
        ),
    });
    let retention_days = settings.collector.retention.map(|r| r.whole_days());
    out.line(match retention_days {
        Some(days) => format!("retention: {days} days"),
        None => "retention: none (every sign-in is kept; [collect] retention bounds it)".to_owned(),
    });
    out.json(&json!({
        "tenant": tenant,
        "store": store_display(&settings.store),
        "last_run": last,
        "streams": streams,
        "client_secret_expires": next.map(ts),
        "sign_ins": sign_ins,
        "analysis": analysis,
        "retention_days": retention_days,
    }));
    Ok(ExitCode::SUCCESS)
}

//! `oort checks`: the checks over the store, then (with `--notify`) the notifications; also the
//! tables and lines of their summaries, which `oort collect --checks` prints too.

use std::process::ExitCode;

use oort_checks::notify::{DeliveryOutcome, NotifySummary};
use oort_checks::ChecksSummary;

use crate::analysis::{notifiers, pipeline};
use crate::cli::ChecksArgs;
use crate::config::Settings;
use crate::connect::{open_store, tenant_of};
use crate::error::CliError;
use crate::output::{clip, ts, Out, Table};

pub(super) async fn run(
    settings: &Settings,
    args: ChecksArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    // Channels are checked before the checks run: a configuration error changes nothing.
    let notifiers = if args.notify {
        Some(notifiers(settings)?)
    } else {
        None
    };
    let store = open_store(&settings.store, &settings.network).await?;
    let analysis = pipeline(settings, store, &tenant, true, notifiers, args.full)
        .analyse()
        .await?;
    let (summary, sent) = (analysis.checks, analysis.notifications);
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

/// The checks' JSON document, with the notifications when they ran.
pub(super) fn checks_doc(
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

pub(super) fn report_failed_notifications(sent: &NotifySummary, next: &str) {
    let failed = sent.failures().count();
    eprintln!(
        "error: {failed} notification{} failed after retries; {next} retries {}",
        if failed == 1 { "" } else { "s" },
        if failed == 1 { "it" } else { "them" }
    );
}

/// `checks: 3 new, 1 updated, 0 reopened, 0 resolved (12 findings); notifications: 3 sent, 0 failed`
pub(super) fn checks_line(checks: &ChecksSummary, sent: Option<&NotifySummary>) -> String {
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

pub(super) fn print_checks(summary: &ChecksSummary, out: &Out, limit: usize) {
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
pub(super) fn print_notifications(summary: &NotifySummary, out: &Out) {
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

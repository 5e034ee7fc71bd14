//! `oort findings`: the stored findings, most severe first.

use std::process::ExitCode;

use oort_store::{FindingFilter, Severity};
use serde_json::json;

use crate::cli::{FindingsArgs, SeverityFilter};
use crate::config::Settings;
use crate::connect::{open_store, tenant_of};
use crate::error::CliError;
use crate::output::{clip, ts, Out, Table};

pub(super) async fn run(
    settings: &Settings,
    args: FindingsArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    let store = open_store(&settings.store, &settings.network).await?;
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

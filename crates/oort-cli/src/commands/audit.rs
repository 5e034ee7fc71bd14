//! `oort audit`: an audit chain, newest first; `oort audit verify`: walk every chain.

use std::process::ExitCode;

use oort_store::OPERATORS_CHAIN;
use serde_json::json;

use crate::cli::{AuditArgs, AuditCommand};
use crate::config::Settings;
use crate::connect::{open_store, tenant_of};
use crate::error::{CliError, EXIT_FAILURE};
use crate::output::{ts, Out, Table};

pub(super) async fn run(
    settings: &Settings,
    args: AuditArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    if let Some(AuditCommand::Verify) = args.command {
        return verify(settings, out).await;
    }
    let chain = if args.operators {
        OPERATORS_CHAIN.to_owned()
    } else {
        tenant_of(settings)?
    };
    let store = open_store(&settings.store, &settings.network).await?;
    let entries = store.audit_log(&chain, args.limit).await?;
    let mut table = Table::new([
        "#",
        "at",
        "operator",
        "role",
        "os account",
        "action",
        "target",
        "outcome",
    ]);
    for e in &entries {
        table.row([
            e.link
                .as_ref()
                .map(|l| l.seq.to_string())
                .unwrap_or_default(),
            ts(e.at),
            e.operator.clone(),
            e.role.clone(),
            e.origin
                .as_ref()
                .map(|o| format!("{}@{}", o.os_user, o.host))
                .unwrap_or_else(|| "-".to_owned()),
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
    out.json(&json!({ "chain": chain, "entries": entries }));
    Ok(ExitCode::SUCCESS)
}

/// Walks every chain; exit 1 when one is broken.
async fn verify(settings: &Settings, out: Out) -> Result<ExitCode, CliError> {
    let store = open_store(&settings.store, &settings.network).await?;
    let mut results = Vec::new();
    for chain in store.audit_chains().await? {
        results.push(store.verify_audit_chain(&chain).await?);
    }
    let mut table = Table::new(["chain", "entries", "head", "result"]);
    for r in &results {
        table.row([
            r.chain.clone(),
            r.entries.to_string(),
            r.head
                .as_ref()
                .map(|h| format!("{} {}", h.seq, h.hash))
                .unwrap_or_default(),
            r.problem
                .as_ref()
                .map_or_else(|| "intact".to_owned(), |p| p.to_string()),
        ]);
    }
    let broken: Vec<_> = results.iter().filter(|r| !r.is_intact()).collect();
    if results.is_empty() {
        out.line("the audit trail is empty");
    } else {
        out.table(&table);
    }
    out.json(&json!({ "intact": broken.is_empty(), "chains": results }));
    if broken.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for r in &broken {
        if let Some(p) = &r.problem {
            eprintln!("error: audit chain {}: {p}", r.chain);
        }
    }
    Ok(ExitCode::from(EXIT_FAILURE))
}

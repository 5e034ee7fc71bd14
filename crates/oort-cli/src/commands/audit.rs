//! `oort audit`: the remediation audit trail, newest first.

use std::process::ExitCode;

use serde_json::json;

use crate::cli::AuditArgs;
use crate::config::Settings;
use crate::connect::{open_store, tenant_of};
use crate::error::CliError;
use crate::output::{ts, Out, Table};

pub(super) async fn run(
    settings: &Settings,
    args: AuditArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    let store = open_store(&settings.store, &settings.network).await?;
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

//! `oort remediate`: one gated, audited action on a user (a dry run unless `--yes`).

use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::SystemClock;
use entra_model::UserType;
use oort_remediation::{Action, Operator, OperatorRole, RemediationRequest, Remediator, Report};
use oort_store::prelude::*;
use serde_json::json;

use crate::cli::{RemediateAction, RemediateArgs, UserTypeArg};
use crate::config::Settings;
use crate::connect::{connect, open_store, Connection};
use crate::error::CliError;
use crate::identity;
use crate::output::{clip, Out, Table};

pub(super) async fn run(
    settings: &Settings,
    args: RemediateArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    if let Some(var) = settings.identity_vars.first() {
        return Err(CliError::config(format!(
            "{var} is no longer read: unset it. The operator who acts, and their role, is the store's operator record mapped to the OS account running oort (`oort operators list`)"
        )));
    }
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
    let store = open_store(&settings.store, &settings.network).await?;
    let origin = identity::origin()?;
    let me = identity::acting_operator(&*store, &origin).await?;
    let operator = Operator::new(me.name, OperatorRole::from(me.role)).with_origin(origin);
    let remediator = remediator(
        &conn,
        store,
        &settings.break_glass_accounts,
        &settings.protected_accounts,
    )?;
    let mut request = RemediationRequest::new(action, user.as_str(), operator);
    if let Some(reason) = args.override_privileged {
        request = request.override_privileged(reason);
    }
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

pub(super) fn print_remediation(report: &Report, out: &Out) {
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

pub(super) fn remediator(
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

//! Logs a user out of every session (`revokeSignInSessions`) through
//! `oort_remediation::Remediator`: the operator's role and the app's permissions are checked,
//! the user is resolved and checked against the protected accounts, and the plan is printed. It
//! is a dry run unless `--yes`. Every attempt is recorded in an audit trail, printed at the end
//! (kept in memory here; the `oort` command keeps it in its store).
//!
//! ```sh
//! cargo run -p oort-examples --example revoke_sessions                 # dry run on a guest of the fake
//! cargo run -p oort-examples --example revoke_sessions -- --yes        # execute it
//! cargo run -p oort-examples --example revoke_sessions -- --user adele@contoso.com --operator alice --role help-desk
//! ```
//!
//! Against the fake tenant by default (the user defaults to one of its guests); against yours
//! with `OORT_TENANT_ID`, `OORT_CLIENT_ID` and `OORT_CLIENT_SECRET` set, where `--user` is
//! required and `--yes` really logs the user out (the app needs `User.Read.All`,
//! `User.RevokeSessions.All` and `RoleManagement.Read.Directory`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::sync::Arc;

use clap::Parser;
use entra_model::timestamp;
use oort_examples::{BoxError, Connection};
use oort_remediation::{Action, Operator, OperatorRole, RemediationRequest, Remediator, Report};
use oort_store::prelude::*;
use oort_store::SqliteStore;

/// Log a user out of every session (dry run unless --yes).
#[derive(Debug, Parser)]
struct Args {
    /// The user: a UPN or an object id. Default, on the fake tenant: one of its guests.
    #[arg(long)]
    user: Option<String>,
    /// Execute the plan instead of printing it.
    #[arg(long)]
    yes: bool,
    /// The operator's name, for the audit trail.
    #[arg(long, default_value = "example")]
    operator: String,
    /// The operator's role: administrator, help-desk or read-only.
    #[arg(long, default_value = "administrator")]
    role: OperatorRole,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oort_examples::exit(run_main().await)
}

async fn run_main() -> Result<(), BoxError> {
    let args = Args::parse();
    let conn = Connection::from_env_or_fake().await?;
    eprintln!("{}", conn.describe());
    let user = match (args.user, conn.fake()) {
        (Some(user), _) => user,
        (None, Some(fake)) => fake
            .with_tenant(|t| t.users())
            .into_iter()
            .find(|u| u.is_guest())
            .and_then(|u| u.user_principal_name)
            .ok_or("the fake tenant has no guest: pass --user")?,
        (None, None) => return Err("pass --user UPN|ID: the user to log out".into()),
    };
    let operator = Operator::new(args.operator, args.role);
    run(&conn, &user, operator, args.yes, &mut std::io::stdout()).await?;
    Ok(())
}

/// Logs `user` out (a dry run unless `execute`), printing the report and the audit trail.
pub(crate) async fn run(
    conn: &Connection,
    user: &str,
    operator: Operator,
    execute: bool,
    out: &mut impl Write,
) -> Result<Report, BoxError> {
    // The audit trail goes to a store; an in-memory SQLite one is enough for an example.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
    let remediator = Remediator::builder()
        .client(conn.client.clone())
        .credential(conn.credential.clone())
        .scope(conn.scope.clone())
        .store(store.clone())
        .tenant(conn.tenant_id.clone())
        .clock(conn.clock.clone())
        // Accounts no remediation may touch, whatever the operator asks.
        .break_glass_accounts(conn.break_glass_accounts.clone())
        .build()?;

    let mut request = RemediationRequest::new(Action::LogOut, user, operator);
    if execute {
        request = request.confirm();
    }
    // A refusal by a gate (role, permissions, protected account) is an error saying what to
    // do; it is in the audit trail too.
    let report = remediator.run(&request).await?;

    if let Some(target) = &report.target {
        writeln!(
            out,
            "user: {} ({}), sessions valid from {}",
            target.user_principal_name.as_deref().unwrap_or("?"),
            target.id,
            target
                .sign_in_sessions_valid_from
                .map_or_else(|| "-".to_owned(), |t| timestamp::format(&t))
        )?;
    }
    for gate in &report.gates {
        let passed = if gate.passed { "passed" } else { "refused" };
        writeln!(out, "gate {:?}: {passed} ({})", gate.gate, gate.detail)?;
    }
    for call in &report.plan {
        writeln!(out, "plan: {} {}  {}", call.method, call.path, call.purpose)?;
    }
    for call in &report.calls {
        writeln!(
            out,
            "call: {} {} -> {} (request-id {})",
            call.method,
            call.path,
            call.status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
            call.request_id.as_deref().unwrap_or("-")
        )?;
    }
    for note in &report.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(out, "outcome: {}", report.outcome.as_str())?;
    if !execute {
        writeln!(
            out,
            "dry run: nothing was changed; run again with --yes to execute"
        )?;
    }

    for entry in store.audit_log(&conn.tenant_id, 10).await? {
        writeln!(
            out,
            "audit: {} {} by {} ({}) on {}: {}",
            timestamp::format(&entry.at),
            entry.action,
            entry.operator,
            entry.role,
            entry
                .target_upn
                .as_deref()
                .or(entry.target_id.as_deref())
                .unwrap_or("?"),
            entry.outcome
        )?;
    }
    Ok(report)
}

//! `oort demo`: the product against an `entra-fake` tenant on loopback, step by step.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::{Clock, SystemClock};
use entra_fake::connect::FakeConnection;
use entra_fake::{FakeTenant, Throttling};
use oort_checks::Subject;
use oort_collector::{CancelHandle, CollectionReport, Collector, CollectorConfig};
use oort_remediation::{Action, Operator, OperatorRole, RemediationRequest, Remediator, Report};
use serde_json::json;

use super::checks::print_checks;
use super::collect::print_collection;
use super::remediate::{print_remediation, remediator};
use super::test_connectivity::{connectivity_json, print_connectivity, probe};
use crate::analysis::check_config;
use crate::cli::DemoArgs;
use crate::connect::{open_store, store_display, Connection};
use crate::error::CliError;
use crate::identity;
use crate::output::Out;
use crate::progress::spawn_progress;
use oort_checks::{run_checks, ChecksSummary};
use oort_store::{AuditOutcome, AuditRecord, OperatorChange, OperatorRecord, StoredRole};

pub(super) fn fake_error(e: entra_fake::FakeError) -> CliError {
    CliError::failure(format!("cannot start the fake tenant: {e}"))
}

/// A connection to a fake tenant, without going through the environment.
fn connect_fake(fake: &FakeTenant, throttling: bool) -> Result<Connection, CliError> {
    let FakeConnection {
        credential,
        client,
        scope,
        ..
    } = FakeConnection::builder(fake)
        .clock(Arc::new(SystemClock))
        .graph(move |client| client.throttling(throttling).background(true))
        .build()
        .map_err(|e| CliError::failure(format!("cannot connect to the fake tenant: {e}")))?;
    Ok(Connection {
        credential,
        client,
        scope,
        tenant_id: fake.tenant_id().to_owned(),
    })
}

fn step(out: &Out, n: u32, text: &str) {
    out.info("");
    out.info(format!("== {n}/5 {text}"));
}

/// The demo: fake tenant, connectivity, collection, checks, a remediation dry run.
pub(super) async fn run(args: DemoArgs, out: Out) -> Result<ExitCode, CliError> {
    step(
        &out,
        1,
        "starting a fake Entra ID tenant on loopback, with planted attacks",
    );
    let fake = start_fake(&args, &out).await?;

    step(&out, 2, "oort test-connectivity");
    let conn = connect_fake(&fake, false)?;
    let report = probe(&conn).await?;
    let connected = print_connectivity(&report, &out);
    if !connected {
        return Err(CliError::failure(
            "the demo tenant did not connect; this is a bug, please report it",
        ));
    }

    step(
        &out,
        3,
        "oort collect (30 days of sign-ins and the directory)",
    );
    let (_dir, store_url) = demo_store(&args)?;
    let store = open_store(&store_url, &entra_auth::NetworkSettings::default()).await?;
    out.info(format!("store: {}", store_display(&store_url)));
    let collection = collect(&conn, store.clone(), out).await?;

    step(&out, 4, "oort checks");
    let break_glass = fake.break_glass_accounts();
    let checks_config = check_config(&break_glass, Some(fake.client_id()));
    let summary = run_checks(
        store.as_ref(),
        &conn.tenant_id,
        &checks_config,
        SystemClock.now(),
    )
    .await?;
    print_checks(&summary, &out, 25);
    let found: BTreeSet<&str> = summary
        .findings
        .iter()
        .map(|f| f.check_id.as_str())
        .collect();
    let truth = fake.ground_truth();
    let planted: BTreeSet<&str> = truth.iter().map(|t| t.detection.as_str()).collect();
    let kinds_detected = planted.iter().filter(|d| found.contains(*d)).count();
    let attacks_detected = truth
        .iter()
        .filter(|t| {
            summary
                .findings
                .iter()
                .any(|f| f.check_id.as_str() == t.detection && names(&f.subject, &t.subject))
        })
        .count();
    out.info(format!(
        "planted attacks detected: {attacks_detected} of {} ({kinds_detected} of {} kinds)",
        truth.len(),
        planted.len()
    ));

    step(
        &out,
        5,
        "oort remediate log-out --user <a compromised account's user> (dry run)",
    );
    let remediator = remediator(&conn, store.clone(), &break_glass, &[])?;
    let (remediation, refusals) = match demo_operator(&*store, args.store.is_none(), &out).await {
        Ok(operator) => {
            let (remediation, refusals) =
                log_out_worst(&remediator, &summary, &break_glass, &operator, &out).await;
            if remediation.is_none() {
                out.info("no finding's user could be planned for (every candidate was refused)");
            }
            (remediation, refusals)
        }
        Err(e) => {
            out.info(format!("no remediation dry run: {e}"));
            (None, vec![e.message])
        }
    };
    out.info("");
    match &args.store {
        Some(_) => out.info(format!(
            "The demo's data stays in {}: look around with OORT_STORE={} oort findings (or status, audit).",
            store_display(&store_url),
            store_url
        )),
        None => out.info(
            "The demo's store was temporary and is gone; to keep one and look around after, run oort demo --store sqlite:demo.db, then OORT_STORE=sqlite:demo.db oort findings.",
        ),
    }
    out.info("Done. Connect your own tenant: see docs/entra-setup.md, then oort init and oort test-connectivity.");
    out.json(&json!({
        "tenant_id": conn.tenant_id,
        "store": store_display(&store_url),
        "connectivity": connectivity_json(&report),
        "collection": collection,
        "checks": summary,
        "planted_detections": planted,
        "remediation": remediation,
        "remediation_refusals": refusals,
    }));
    Ok(ExitCode::SUCCESS)
}

/// Step 1: the fake tenant, its "now" the real now, with its planted attacks.
async fn start_fake(args: &DemoArgs, out: &Out) -> Result<FakeTenant, CliError> {
    // "Now" is the real now, so collection windows (read on the system clock) see its history.
    // Throttling is off: a real tenant is paced at Graph's documented limits, which would
    // make the demo's 30-day backfill take minutes.
    let fake = FakeTenant::builder()
        .seed(args.seed)
        .members(args.users)
        .now(SystemClock.now())
        .attacks(true)
        .throttling(Throttling::disabled())
        .start()
        .await
        .map_err(fake_error)?;
    out.info(format!(
        "tenant {} at {} ({} members, planted attacks: {} ({} kinds))",
        fake.tenant_id(),
        fake.uri(),
        args.users,
        fake.ground_truth().len(),
        fake.ground_truth()
            .iter()
            .map(|t| t.detection.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    ));
    Ok(fake)
}

/// The store of `--store`, or a SQLite file in a temporary directory kept while the demo runs.
fn demo_store(args: &DemoArgs) -> Result<(Option<tempfile::TempDir>, String), CliError> {
    Ok(match &args.store {
        Some(url) => (None, url.clone()),
        None => {
            let dir = tempfile::Builder::new()
                .prefix("oort-demo-")
                .tempdir()
                .map_err(|e| {
                    CliError::failure(format!("cannot create a temporary directory: {e}"))
                })?;
            let url = format!("sqlite:{}", dir.path().join("oort-demo.db").display());
            (Some(dir), url)
        }
    })
}

/// Step 3: one collection with progress, then its table.
async fn collect(
    conn: &Connection,
    store: Arc<dyn oort_store::Store>,
    out: Out,
) -> Result<CollectionReport, CliError> {
    let token = conn.credential.get_token(&conn.scope).await?;
    let mut config = CollectorConfig::default();
    // Week-long slices: fewer requests for the same data (a real tenant's first page tells).
    config.slice = time::Duration::days(7);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let collector = Collector::new(
        conn.client.clone(),
        store,
        conn.tenant_id.clone(),
        token.claims.roles.clone(),
        Arc::new(SystemClock),
    )
    .config(config)
    .progress(tx)
    .cancel_handle(CancelHandle::new());
    let progress = spawn_progress(rx, out, false);
    let collection = collector.collect_now().await?;
    drop(collector);
    let _ = progress.await;
    print_collection(&collection, &out);
    Ok(collection)
}

/// Who acts in step 5: the operator the OS account running the demo is mapped to. In the
/// demo's own throwaway store (`fresh`), the demo first makes that account a help-desk
/// operator `demo`; a store given with `--store` is used as it is.
async fn demo_operator(
    store: &dyn oort_store::Store,
    fresh: bool,
    out: &Out,
) -> Result<Operator, CliError> {
    let origin = identity::origin()?;
    if fresh {
        let now = SystemClock.now();
        let op = OperatorRecord::new("demo", StoredRole::HelpDesk, now)
            .with_os_users([origin.os_user.clone()]);
        let mut audit = AuditRecord::intent(
            uuid::Uuid::new_v4().to_string(),
            now,
            "demo",
            StoredRole::HelpDesk.as_str(),
            "operator_bootstrap",
            json!({"operator": "demo", "role": StoredRole::HelpDesk, "os_users": op.os_users}),
        )
        .with_origin(Some(origin.clone()));
        audit.outcome = AuditOutcome::Success;
        audit.target_id = Some("demo".to_owned());
        if store.bootstrap_operator(&op, &audit).await? == OperatorChange::Done {
            out.info(format!(
                "operator: demo (help-desk), acting as the OS account {:?}",
                origin.os_user
            ));
        }
    }
    let me = identity::acting_operator(store, &origin).await?;
    Ok(Operator::new(me.name, OperatorRole::from(me.role)).with_origin(origin))
}

/// Whether a finding's subject is the planted attack's (a UPN, an IP address, or `tenant`).
fn names(subject: &Subject, planted: &str) -> bool {
    match subject {
        Subject::User { id, upn } => [id, upn]
            .into_iter()
            .flatten()
            .any(|s| s.eq_ignore_ascii_case(planted)),
        Subject::Ip { address } => address == planted,
        Subject::Tenant => planted == "tenant",
        _ => false,
    }
}

/// The threat detections that mean an account is (likely) in an attacker's hands, whose first
/// fix is to log the user out everywhere (revoke their sessions and refresh tokens).
const LOG_OUT_FIXES: [&str; 6] = [
    "mfa-fatigue",
    "brute-force",
    "impossible-travel",
    "risky-sign-in",
    "denied-territory",
    "compromised-session",
];

/// Step 5: a log-out dry run for the user of the most severe threat finding whose fix it is (a
/// compromised account), that the gates let through (break-glass accounts skipped, each user
/// tried once, at most eight refusals: an administrator is off-limits to a help-desk
/// operator); returns the report and the refusals.
async fn log_out_worst(
    remediator: &Remediator,
    summary: &ChecksSummary,
    break_glass: &[String],
    operator: &Operator,
    out: &Out,
) -> (Option<Report>, Vec<String>) {
    let mut refusals = Vec::new();
    let mut tried: Vec<String> = Vec::new();
    for f in summary
        .findings
        .iter()
        .filter(|f| LOG_OUT_FIXES.contains(&f.check_id.as_str()))
    {
        let Subject::User { id, upn } = &f.subject else {
            continue;
        };
        let Some(target) = upn.clone().or_else(|| id.clone()) else {
            continue;
        };
        if break_glass.iter().any(|b| b.eq_ignore_ascii_case(&target))
            || tried.iter().any(|t| t.eq_ignore_ascii_case(&target))
        {
            continue;
        }
        tried.push(target.clone());
        out.info(format!(
            "a compromised account: {} {} on {target}; its fix is to log the user out",
            f.severity, f.check_id
        ));
        let request = RemediationRequest::new(Action::LogOut, target.as_str(), operator.clone());
        match remediator.run(&request).await {
            Ok(r) => {
                print_remediation(&r, out);
                return (Some(r), refusals);
            }
            Err(e) => {
                out.info(format!("refused, trying the next user: {e}"));
                refusals.push(e.to_string());
                if refusals.len() >= 8 {
                    break;
                }
            }
        }
    }
    (None, refusals)
}

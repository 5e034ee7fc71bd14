//! `oort demo` and `oort fake-tenant`: the product against an `entra-fake` tenant on loopback.

use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::{Clock, SystemClock};
use entra_fake::connect::FakeConnection;
use entra_fake::{FakeTenant, Throttling};
use oort_checks::Subject;
use oort_collector::{CancelHandle, Collector, CollectorConfig};
use oort_remediation::{Action, Operator, OperatorRole, RemediationRequest};
use serde_json::json;

use crate::analysis::check_config;
use crate::cli::{DemoArgs, FakeTenantArgs};
use crate::commands::{
    connectivity_json, print_checks, print_collection, print_connectivity, print_remediation,
    probe, remediator, spawn_progress,
};
use crate::connect::{open_store, store_display, Connection};
use crate::error::CliError;
use crate::output::Out;
use oort_checks::run_checks;

fn fake_error(e: entra_fake::FakeError) -> CliError {
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
pub(crate) async fn demo(args: DemoArgs, out: Out) -> Result<ExitCode, CliError> {
    let now = SystemClock.now();
    step(
        &out,
        1,
        "starting a fake Entra ID tenant on loopback, with planted attacks",
    );
    // "Now" is the real now, so collection windows (read on the system clock) see its history.
    // Throttling is off: a real tenant is paced at Graph's documented limits, which would
    // make the demo's 30-day backfill take minutes.
    let fake = FakeTenant::builder()
        .seed(args.seed)
        .members(args.users)
        .now(now)
        .attacks(true)
        .throttling(Throttling::disabled())
        .start()
        .await
        .map_err(fake_error)?;
    let truth = fake.ground_truth();
    out.info(format!(
        "tenant {} at {} ({} members, planted attacks: {})",
        fake.tenant_id(),
        fake.uri(),
        args.users,
        truth.len()
    ));

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
    let (_dir, store_url) = match &args.store {
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
    };
    let store = open_store(&store_url).await?;
    out.info(format!("store: {}", store_display(&store_url)));
    let token = conn.credential.get_token(&conn.scope).await?;
    let mut config = CollectorConfig::default();
    // Week-long slices: fewer requests for the same data (a real tenant's first page tells).
    config.slice = time::Duration::days(7);
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let collector = Collector::new(
        conn.client.clone(),
        store.clone(),
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
    let found: std::collections::BTreeSet<&str> = summary
        .findings
        .iter()
        .map(|f| f.check_id.as_str())
        .collect();
    let planted: std::collections::BTreeSet<&str> =
        truth.iter().map(|t| t.detection.as_str()).collect();
    let detected = planted.iter().filter(|d| found.contains(*d)).count();
    out.info(format!(
        "planted attack kinds detected: {detected} of {}",
        planted.len()
    ));

    step(
        &out,
        5,
        "oort remediate log-out --user <the worst finding's user> (dry run)",
    );
    let remediator = remediator(&conn, store.clone(), &break_glass, &[])?;
    let operator = Operator::new("demo", OperatorRole::HelpDesk);
    let mut remediation = None;
    let mut refusals = Vec::new();
    for f in &summary.findings {
        let Subject::User { id, upn } = &f.subject else {
            continue;
        };
        let Some(target) = upn.clone().or_else(|| id.clone()) else {
            continue;
        };
        if break_glass.iter().any(|b| b.eq_ignore_ascii_case(&target)) {
            continue;
        }
        out.info(format!(
            "worst finding with a user: {} {} on {target}",
            f.severity, f.check_id
        ));
        let request = RemediationRequest::new(Action::LogOut, target.as_str(), operator.clone());
        match remediator.run(&request).await {
            Ok(r) => {
                print_remediation(&r, &out);
                remediation = Some(r);
                break;
            }
            Err(e) => {
                out.info(format!("refused, trying the next user: {e}"));
                refusals.push(e.to_string());
                if refusals.len() >= 5 {
                    break;
                }
            }
        }
    }
    if remediation.is_none() {
        out.info("no finding's user could be planned for (every candidate was refused)");
    }
    out.info("");
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

/// Serves a fake tenant until Ctrl-C and prints how to point oort at it.
pub(crate) async fn fake_tenant(args: FakeTenantArgs, out: Out) -> Result<ExitCode, CliError> {
    let fake = FakeTenant::builder()
        .seed(args.seed)
        .members(args.users)
        .history_days(args.days)
        .now(SystemClock.now())
        .real_time(true)
        .throttling(if args.no_throttling {
            Throttling::disabled()
        } else {
            Throttling::documented()
        })
        .listen(args.listen)
        .start()
        .await
        .map_err(fake_error)?;
    // The secret goes to a file readable only by this user, never to the terminal.
    let dir = tempfile::Builder::new()
        .prefix("oort-fake-tenant-")
        .tempdir()
        .map_err(|e| CliError::failure(format!("cannot create a temporary directory: {e}")))?;
    let secret_file = dir.path().join("client-secret");
    write_private(&secret_file, fake.client_secret())?;
    let env = [
        ("OORT_TENANT_ID", fake.tenant_id().to_owned()),
        ("OORT_CLIENT_ID", fake.client_id().to_owned()),
        ("OORT_CLIENT_SECRET_FILE", secret_file.display().to_string()),
        ("OORT_AUTHORITY_HOST", fake.authority_host()),
        ("OORT_GRAPH_URL", fake.graph_url()),
    ];
    for (k, v) in &env {
        out.line(format!("export {k}={v}"));
    }
    out.info(format!(
        "# fake tenant {} listening on {} with {} planted attacks; Ctrl-C stops it",
        fake.tenant_id(),
        fake.uri(),
        fake.ground_truth().len()
    ));
    out.json(&json!({
        "listen": fake.uri(),
        "env": env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<std::collections::BTreeMap<_, _>>(),
        "planted_attacks": fake.ground_truth().len(),
    }));
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| CliError::failure(format!("cannot wait for Ctrl-C: {e}")))?;
    drop(fake);
    Ok(ExitCode::SUCCESS)
}

fn write_private(path: &std::path::Path, text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()).map(|_| f))
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))?;
    f.flush()
        .map_err(|e| CliError::failure(format!("cannot write {}: {e}", path.display())))
}

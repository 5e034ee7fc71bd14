//! `oort fake-tenant`: serves an `entra-fake` tenant on loopback until Ctrl-C (or SIGTERM) and prints how to
//! point oort at it.

use std::process::ExitCode;

use entra_auth::{Clock, SystemClock};
use entra_fake::{FakeTenant, Throttling};
use serde_json::json;

use super::demo::fake_error;
use crate::cli::FakeTenantArgs;
use crate::error::CliError;
use crate::output::Out;

/// Serves a fake tenant until Ctrl-C (or SIGTERM) and prints how to point oort at it.
pub(super) async fn run(args: FakeTenantArgs, out: Out) -> Result<ExitCode, CliError> {
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
    if crate::signals::stop_requested().await.is_none() {
        return Err(CliError::failure("cannot wait for Ctrl-C or SIGTERM"));
    }
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

//! What the CLI test binaries share: the built `oort` run with a clean environment, pointed at
//! a fake tenant, and readers of its output.

// Each test binary uses its part.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

use entra_fake::FakeTenant;
use serde_json::Value;

/// Every variable that configures oort, so that the developer's own environment never leaks in.
pub(crate) const OORT_VARS: &[&str] = &[
    "OORT_TENANT_ID",
    "OORT_CLIENT_ID",
    "OORT_CLIENT_SECRET",
    "OORT_CLIENT_SECRET_FILE",
    "OORT_CERTIFICATE",
    "OORT_CERTIFICATE_PASSWORD",
    "OORT_CLOUD",
    "OORT_AUTHORITY_HOST",
    "OORT_GRAPH_URL",
    "OORT_CA_FILE",
    "OORT_STORE",
    "OORT_DEVICES",
    "OORT_OPERATOR",
    "OORT_ROLE",
    "OORT_BREAK_GLASS_ACCOUNTS",
    "OORT_PROTECTED_ACCOUNTS",
    "OORT_NOTIFY_MIN_SEVERITY",
    "OORT_NOTIFY_DIGEST",
    "OORT_NOTIFY_RESOLVED",
    "OORT_NOTIFY_SMTP_HOST",
    "OORT_NOTIFY_SMTP_PORT",
    "OORT_NOTIFY_SMTP_SECURITY",
    "OORT_NOTIFY_SMTP_USERNAME",
    "OORT_NOTIFY_SMTP_PASSWORD",
    "OORT_NOTIFY_SMTP_PASSWORD_FILE",
    "OORT_NOTIFY_EMAIL_FROM",
    "OORT_NOTIFY_EMAIL_TO",
    "OORT_NOTIFY_TEAMS_URL",
    "OORT_NOTIFY_WEBHOOK_URL",
    "OORT_NOTIFY_WEBHOOK_SECRET",
    "OORT_LOG_FORMAT",
    "OORT_LOG_FILE",
    "OORT_MASTER_KEY_FILE",
    // Not oort's own, but they change its output: the log filter and the width tables fit.
    "RUST_LOG",
    "COLUMNS",
];

/// Runs `oort args...` in `dir` with `store` as `OORT_STORE`, the environment pointing at `fake`
/// (when given) plus `extra`, and nothing else of the developer's own `OORT_*` environment.
pub(crate) async fn oort(
    dir: &Path,
    fake: Option<&FakeTenant>,
    store: &str,
    extra: &[(&str, &str)],
    args: &[&str],
) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oort"));
    cmd.current_dir(dir).args(args);
    for v in OORT_VARS {
        cmd.env_remove(v);
    }
    if let Some(fake) = fake {
        cmd.env("OORT_TENANT_ID", fake.tenant_id())
            .env("OORT_CLIENT_ID", fake.client_id())
            .env("OORT_CLIENT_SECRET", fake.client_secret())
            .env("OORT_AUTHORITY_HOST", fake.authority_host())
            .env("OORT_GRAPH_URL", fake.graph_url());
    }
    cmd.env("OORT_STORE", store);
    for (k, v) in extra {
        cmd.env(k, v);
    }
    // The fake tenant is served by the test's runtime: wait for the child off its threads.
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

/// Stdout as text.
pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Stdout as one JSON document.
pub(crate) fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not one JSON document ({e}):\n{}\nstderr:\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// A stream's report in a collection report.
pub(crate) fn stream<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["streams"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stream"] == name)
        .unwrap_or_else(|| panic!("no stream {name} in {report}"))
}

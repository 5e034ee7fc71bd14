//! Lists every client secret and certificate of the tenant's applications and service
//! principals, soonest expiry first, with the days remaining, flagging those already expired
//! and those expiring within 90 days (`--days`).
//!
//! ```sh
//! cargo run -p oort-examples --example app_secret_expiry -- --days 90
//! ```
//!
//! Against the fake tenant by default; against yours with `OORT_TENANT_ID`, `OORT_CLIENT_ID`
//! and `OORT_CLIENT_SECRET` set (the app needs `Application.Read.All`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

use clap::Parser;
use entra_model::{AppCredential, Application, ServicePrincipal};
use futures::TryStreamExt;
use graph_client::GraphRequest;
use oort_examples::{BoxError, Connection};
use time::OffsetDateTime;

/// List app secrets and certificates by expiry.
#[derive(Debug, Parser)]
struct Args {
    /// Flag credentials expiring within this many days.
    #[arg(long, default_value_t = 90)]
    days: i64,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oort_examples::exit(run_main().await)
}

async fn run_main() -> Result<(), BoxError> {
    let args = Args::parse();
    let conn = Connection::from_env_or_fake().await?;
    eprintln!("{}", conn.describe());
    run(&conn, args.days, &mut std::io::stdout()).await?;
    Ok(())
}

/// How a credential stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Standing {
    /// Its end date has passed.
    Expired,
    /// It ends within the warning window.
    Expiring,
    /// It ends later.
    Ok,
    /// It has no end date.
    NoExpiry,
}

/// One credential of an application or a service principal.
#[derive(Debug)]
pub(crate) struct Row {
    /// `application` or `service principal`.
    pub(crate) owner_kind: &'static str,
    /// The owner's display name.
    pub(crate) owner: String,
    /// The owner's app id (client id).
    pub(crate) app_id: String,
    /// The credential (kind, key id, name, validity).
    pub(crate) credential: AppCredential,
    /// Whole days left (negative when expired), when the end date is known.
    pub(crate) days_left: Option<i64>,
    /// How it stands.
    pub(crate) standing: Standing,
}

/// Prints every credential, soonest expiry first, flagging those within `warn_days`.
pub(crate) async fn run(
    conn: &Connection,
    warn_days: i64,
    out: &mut impl Write,
) -> Result<Vec<Row>, BoxError> {
    let now = conn.clock.now();
    let mut rows = Vec::new();

    let select = [
        "id",
        "appId",
        "displayName",
        "passwordCredentials",
        "keyCredentials",
    ];
    let apps: Vec<Application> = conn
        .client
        .items(GraphRequest::get("applications").select(select))
        .try_collect()
        .await?;
    for app in &apps {
        for credential in app.credentials() {
            rows.push(row(
                "application",
                &app.display_name,
                &app.app_id,
                credential,
                now,
                warn_days,
            ));
        }
    }
    // Service principals carry credentials of their own (rarer, and easy to forget).
    let sps: Vec<ServicePrincipal> = conn
        .client
        .items(GraphRequest::get("servicePrincipals").select(select))
        .try_collect()
        .await?;
    for sp in &sps {
        for credential in sp.credentials() {
            rows.push(row(
                "service principal",
                &sp.display_name,
                &sp.app_id,
                credential,
                now,
                warn_days,
            ));
        }
    }

    // Soonest expiry first; credentials without an end date last.
    rows.sort_by_key(|r| (r.credential.end.is_none(), r.credential.end));

    print_columns(
        out,
        [
            "status",
            "days",
            "kind",
            "expires",
            "owner",
            "owner name",
            "app id",
            "credential",
            "key id",
        ],
    )?;
    for r in &rows {
        let standing = match r.standing {
            Standing::Expired => "EXPIRED",
            Standing::Expiring => "EXPIRING",
            Standing::Ok => "ok",
            Standing::NoExpiry => "no expiry",
        };
        let days = r
            .days_left
            .map_or_else(|| "-".to_owned(), |d| d.to_string());
        let expires = r
            .credential
            .end
            .map_or_else(|| "-".to_owned(), |end| end.date().to_string());
        print_columns(
            out,
            [
                standing,
                &days,
                r.credential.kind.as_str(),
                &expires,
                r.owner_kind,
                &r.owner,
                &r.app_id,
                r.credential.display_name.as_deref().unwrap_or("-"),
                r.credential.key_id.as_deref().unwrap_or("-"),
            ],
        )?;
    }
    let count = |s: Standing| rows.iter().filter(|r| r.standing == s).count();
    writeln!(
        out,
        "{} credentials of {} applications and {} service principals: {} expired, {} expiring within {warn_days} days",
        rows.len(),
        apps.len(),
        sps.len(),
        count(Standing::Expired),
        count(Standing::Expiring),
    )?;
    Ok(rows)
}

fn print_columns(out: &mut impl Write, c: [&str; 9]) -> std::io::Result<()> {
    writeln!(
        out,
        "{:<9} {:>6}  {:<11} {:<10}  {:<17} {:<24} {:<36} {:<20} {}",
        c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
    )
}

fn row(
    owner_kind: &'static str,
    name: &Option<String>,
    app_id: &Option<String>,
    credential: AppCredential,
    now: OffsetDateTime,
    warn_days: i64,
) -> Row {
    let remaining = credential.remaining(now);
    let standing = match remaining {
        None => Standing::NoExpiry,
        Some(_) if credential.is_expired(now) => Standing::Expired,
        Some(left) if left <= time::Duration::days(warn_days) => Standing::Expiring,
        Some(_) => Standing::Ok,
    };
    Row {
        owner_kind,
        owner: name.clone().unwrap_or_default(),
        app_id: app_id.clone().unwrap_or_default(),
        days_left: remaining.map(|d| d.whole_days()),
        credential,
        standing,
    }
}

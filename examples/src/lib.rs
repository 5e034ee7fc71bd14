//! Small programs that show the oort libraries at work, and the one thing they share: a
//! [`Connection`] to a tenant.
//!
//! Each program runs as it is, with no setup, against a fake Entra ID tenant (`entra-fake`)
//! started in the same process on loopback, with generated users, applications, sign-ins and
//! planted attacks. Set `OORT_TENANT_ID`, `OORT_CLIENT_ID` and `OORT_CLIENT_SECRET` (or
//! `OORT_CLIENT_SECRET_FILE`), and optionally `OORT_CLOUD` (`global`, `usgov`, `usgovdod`,
//! `china`), `OORT_AUTHORITY_HOST` and `OORT_GRAPH_URL`, and the same program runs against that
//! tenant instead (docs/entra-setup.md says how to register the app and which permissions each
//! program needs).
//!
//! | program | what it shows | run it |
//! | --- | --- | --- |
//! | `list_users` | paging through Graph with `graph-client`: `$select`, `$top`, a page stream of typed `entra_model::User`s | `cargo run -p oort-examples --example list_users -- --top 10` |
//! | `collect_sign_ins` | `oort_collector::Collector`: the last day of sign-ins into a SQLite file, with progress events and the run report | `cargo run -p oort-examples --example collect_sign_ins -- [PATH]` |
//! | `app_secret_expiry` | every application's and service principal's secrets and certificates (`entra_model::AppCredential`), by expiry, flagging the expired and those expiring within 90 days | `cargo run -p oort-examples --example app_secret_expiry -- [--days 90]` |
//! | `revoke_sessions` | `oort_remediation::Remediator`: logging a user out, a dry run printing the plan unless `--yes`, with its audit trail | `cargo run -p oort-examples --example revoke_sessions -- [--user UPN\|ID] [--yes]` |
//!
//! Permissions each needs on a real tenant: `User.Read.All` (`list_users`),
//! `AuditLog.Read.All` and a P1/P2 licence (`collect_sign_ins`), `Application.Read.All`
//! (`app_secret_expiry`), `User.RevokeSessions.All` and `RoleManagement.Read.Directory`
//! (`revoke_sessions`; with `--yes` it logs a real user out).
//!
//! Not here: anything a program needs beyond connecting. The programs are meant to be read and
//! copied, so each keeps its own logic in its own file.
//!
//! # Example
//!
//! Connect to a small fake tenant and list its users, as `list_users` does:
//!
//! ```
//! use entra_model::User;
//! use futures::TryStreamExt;
//! use graph_client::GraphRequest;
//! use oort_examples::Connection;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oort_examples::BoxError> {
//! let conn = Connection::start_fake(entra_fake::FakeTenant::builder().members(5).guests(1)).await?;
//! let users: Vec<User> = conn
//!     .client
//!     .items::<User>(GraphRequest::get("users").select(["id", "userPrincipalName"]).top(3))
//!     .try_collect()
//!     .await?;
//! assert_eq!(users.len(), 5 + 1 + 2); // members, guests, two break-glass accounts
//! assert!(conn.describe().starts_with("fake tenant"));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod connection;

pub use connection::{ConnectError, Connection};

/// The error type of the programs' `main`s and `run`s: any error, printable.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// An error as one line for a person: its message and its sources, joined by `: ` (what the
/// example programs print before exiting with a failure, instead of `main`'s Debug output).
///
/// ```
/// #[derive(Debug)]
/// struct Outer(std::io::Error);
/// impl std::fmt::Display for Outer {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("cannot write the report")
///     }
/// }
/// impl std::error::Error for Outer {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
///         Some(&self.0)
///     }
/// }
/// let e = Outer(std::io::Error::other("disk full"));
/// assert_eq!(oort_examples::error_line(&e), "cannot write the report: disk full");
/// ```
pub fn error_line(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = e.source();
    }
    line
}

/// A program's exit: success, or the error as one line on stderr ([`error_line`]) and exit
/// code 1. The programs' `main` is `oort_examples::exit(run_main().await)`.
#[allow(clippy::print_stderr)] // a program's last word, on its standard error
pub fn exit(result: Result<(), BoxError>) -> std::process::ExitCode {
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", error_line(&*e));
            std::process::ExitCode::FAILURE
        }
    }
}

//! Lists a tenant's users through Microsoft Graph, page by page, with `graph-client`: the user
//! principal name, the type (member or guest) and whether the account is enabled, then how many
//! pages it took.
//!
//! ```sh
//! cargo run -p oort-examples --example list_users -- --top 10
//! ```
//!
//! Against the fake tenant by default; against yours with `OORT_TENANT_ID`, `OORT_CLIENT_ID`
//! and `OORT_CLIENT_SECRET` set (the app needs `User.Read.All`).

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

use clap::Parser;
use entra_model::User;
use futures::TryStreamExt;
use graph_client::GraphRequest;
use oort_examples::{BoxError, Connection};

/// List users, page by page.
#[derive(Debug, Parser)]
struct Args {
    /// Users per page (`$top`; Graph allows up to 999). Small values show the paging.
    #[arg(long, default_value_t = 100)]
    top: u32,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    oort_examples::exit(run_main().await)
}

async fn run_main() -> Result<(), BoxError> {
    let args = Args::parse();
    let conn = Connection::from_env_or_fake().await?;
    eprintln!("{}", conn.describe());
    run(&conn, args.top, &mut std::io::stdout()).await?;
    Ok(())
}

/// What [`run`] listed.
#[derive(Debug)]
pub(crate) struct Listed {
    /// Users printed.
    pub(crate) users: usize,
    /// Pages fetched.
    pub(crate) pages: usize,
}

/// Prints every user, `top` per page, and the number of pages.
pub(crate) async fn run(
    conn: &Connection,
    top: u32,
    out: &mut impl Write,
) -> Result<Listed, BoxError> {
    // Only the properties printed: smaller pages, and no permission beyond User.Read.All.
    let request = GraphRequest::get("users")
        .select(["id", "userPrincipalName", "userType", "accountEnabled"])
        .top(top);
    // A stream of pages, each typed; graph-client follows @odata.nextLink, retries, paces
    // itself under Graph's throttling, and fetches the next page while this one is printed.
    // (`conn.client.items::<User>(request)` streams the users without the pages.)
    let mut pages = conn.client.pages::<User>(request);
    let mut listed = Listed { users: 0, pages: 0 };
    writeln!(out, "{:<64} {:<8} enabled", "user principal name", "type")?;
    while let Some(page) = pages.try_next().await? {
        listed.pages += 1;
        for user in &page.items {
            writeln!(
                out,
                "{:<64} {:<8} {}",
                user.user_principal_name.as_deref().unwrap_or(&user.id),
                user.user_type.as_ref().map_or("?", |t| t.as_str()),
                user.is_enabled()
                    .map_or("?", |enabled| if enabled { "yes" } else { "no" }),
            )?;
        }
        listed.users += page.items.len();
    }
    writeln!(
        out,
        "{} users in {} pages of up to {top}",
        listed.users, listed.pages
    )?;
    Ok(listed)
}

//! A long-running fake tenant on a given address, printing how to connect to it (what
//! `oort fake-tenant` will do):
//!
//! ```text
//! cargo run -p entra-fake --example fake_tenant -- 127.0.0.1:8400 [seed] [members]
//! ```
//! Its clock runs with real time from the fixed start, so new sign-ins keep arriving.
#![allow(clippy::print_stdout, missing_docs)]

use entra_fake::FakeTenant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let addr = args
        .get(1)
        .map(String::as_str)
        .unwrap_or("127.0.0.1:8400")
        .parse()?;
    let seed = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(1);
    let members = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(200);
    let tenant = FakeTenant::builder()
        .seed(seed)
        .members(members)
        .listen(addr)
        .real_time(true)
        .start()
        .await?;
    print!("{}", tenant.connection_summary());
    println!(
        "fake tenant {} listening on {}; planted attacks: {}",
        tenant.tenant_id(),
        tenant.uri(),
        tenant.ground_truth().len()
    );
    std::future::pending::<()>().await;
    Ok(())
}

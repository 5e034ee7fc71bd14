//! Generation time and memory of a large fake tenant: builds 10,000 users with 30 days of
//! sign-ins, serves it, and pages through every sign-in once (v1.0 interactive, then beta
//! everything else), 1,000 per page.
//!
//! ```text
//! cargo build --release -p entra-fake --example bench_sign_ins
//! /usr/bin/time -v target/release/examples/bench_sign_ins [members] [days] [sign-ins per user per day]
//! ```
#![allow(clippy::print_stdout, clippy::disallowed_methods, missing_docs)]

use std::time::Instant;

use entra_fake::{FakeTenant, Throttling};
use serde::Deserialize;

#[derive(Deserialize)]
struct Page {
    #[serde(rename = "@odata.nextLink")]
    next: Option<String>,
    value: Vec<serde::de::IgnoredAny>,
}

async fn page_all(
    http: &reqwest::Client,
    url: String,
    token: &str,
) -> Result<(usize, usize, usize), Box<dyn std::error::Error>> {
    let (mut items, mut pages, mut bytes) = (0, 0, 0);
    let mut next = Some(url);
    while let Some(u) = next {
        let body = http
            .get(&u)
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        bytes += body.len();
        let p: Page = serde_json::from_slice(&body)?;
        items += p.value.len();
        pages += 1;
        next = p.next;
    }
    Ok((items, pages, bytes))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let members: u32 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let days: u32 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(30);
    let per_day: f64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(10.0);

    let t0 = Instant::now();
    let tenant = FakeTenant::builder()
        .seed(2025)
        .members(members)
        .guests(members / 20)
        .groups(200)
        .applications(50)
        .history_days(days)
        .sign_ins_per_user_per_day(per_day)
        .throttling(Throttling::disabled())
        .start()
        .await?;
    let generated = t0.elapsed();
    println!(
        "tenant generated and serving in {:.2?} ({} users)",
        generated,
        tenant.with_tenant(|t| t.user_count())
    );

    let c = tenant.credentials().clone();
    let http = reqwest::Client::new();
    let tok: serde_json::Value = http
        .post(tenant.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await?
        .json()
        .await?;
    let token = tok["access_token"].as_str().unwrap_or_default().to_owned();

    let mut total = 0;
    for (label, url) in [
        ("interactive (v1.0)", format!("{}/v1.0/auditLogs/signIns?$top=1000", tenant.graph_url())),
        ("non-interactive, service principal, managed identity (beta)", format!("{}/beta/auditLogs/signIns?$top=1000&$filter=signInEventTypes/any(t:%20t%20ne%20'interactiveUser')", tenant.graph_url())),
    ] {
        let t1 = Instant::now();
        let (items, pages, bytes) = page_all(&http, url, &token).await?;
        let el = t1.elapsed();
        total += items;
        println!(
            "{label}: {items} sign-ins in {pages} pages, {:.1} MB, {:.2?} ({:.0} sign-ins/s)",
            bytes as f64 / 1e6,
            el,
            items as f64 / el.as_secs_f64()
        );
    }
    println!("total: {total} sign-ins in {:.2?}", t0.elapsed());
    Ok(())
}

//! `oort status`: the last collection, each stream's watermark, the client secret's expiry, the
//! analysis and the retention.

use std::process::ExitCode;

use entra_auth::{Clock, SystemClock};
use oort_store::prelude::*;
use oort_store::CollectionRun;
use serde_json::json;
use time::OffsetDateTime;

use crate::config::{Secret, Settings};
use crate::connect::{credential_line, load_certificate, open_store, store_display, tenant_of};
use crate::error::CliError;
use crate::output::{clip, ts, Out, Table};

pub(super) async fn run(settings: &Settings, out: Out) -> Result<ExitCode, CliError> {
    let tenant = tenant_of(settings)?;
    let store = open_store(&settings.store, &settings.network).await?;
    let now = SystemClock.now();
    out.line(format!("tenant: {tenant}"));
    out.line(format!("store:  {}", store_display(&settings.store)));
    out.line(format!(
        "config: {}",
        settings.file.as_ref().map_or_else(
            || "environment only".to_owned(),
            |p| p.display().to_string()
        )
    ));
    let runs = store.runs(&tenant, 1).await?;
    let last = runs.first();
    match last {
        Some(run) => out.line(format!(
            "last collection: {} started {} ({})",
            run.id,
            ts(run.started_at),
            run.status
        )),
        None => out.line("last collection: none (run oort collect)"),
    }
    let streams = print_streams(store.as_ref(), &tenant, last, &out).await?;
    let rejected = print_rejected(store.as_ref(), &tenant, &out).await?;
    out.line(format!("credential: {}", credential_line(settings)));
    let (next, certificate) = match &settings.secret {
        Some(Secret::Certificate { path, password }) => (
            None,
            print_certificate_expiry(path, password.as_ref(), now, &out),
        ),
        _ => (
            print_secret_expiry(settings, store.as_ref(), &tenant, now, &out).await?,
            None,
        ),
    };
    let analysis = oort_checks::analysis_state(store.as_ref(), &tenant).await?;
    let sign_ins = store.sign_in_count(&tenant).await?;
    out.line(match (analysis.analysed_through, analysis.pending_since) {
        (None, _) => format!("analysis: not run yet over the {sign_ins} stored sign-ins (oort checks)"),
        (Some(through), None) => format!(
            "analysis: sign-ins analysed through {} ({sign_ins} stored, none written since)",
            ts(through)
        ),
        (Some(through), Some(since)) => format!(
            "analysis: sign-ins analysed through {}; sign-ins from {} on written since ({sign_ins} stored)",
            ts(through),
            ts(since)
        ),
    });
    let retention_days = settings.collector.retention.map(|r| r.whole_days());
    out.line(match retention_days {
        Some(days) => format!("retention: {days} days"),
        None => "retention: none (every sign-in is kept; [collect] retention bounds it)".to_owned(),
    });
    out.json(&json!({
        "tenant": tenant,
        "store": store_display(&settings.store),
        "last_run": last,
        "streams": streams,
        "credential": {
            "kind": match settings.secret {
                Some(Secret::Certificate { .. }) => "certificate",
                Some(Secret::ClientSecret(_)) => "client_secret",
                None => "none",
            },
            "source": settings.credential_sources.first(),
            "not_used": settings.credential_sources.get(1..).unwrap_or_default(),
        },
        "rejected": rejected,
        "client_secret_expires": next.map(ts),
        "certificate": certificate,
        "sign_ins": sign_ins,
        "analysis": analysis,
        "retention_days": retention_days,
    }));
    Ok(ExitCode::SUCCESS)
}

/// Prints when the configured certificate expires (read from the file itself: that is the
/// certificate oort signs with) and returns it as JSON; a file that cannot be read is said so.
fn print_certificate_expiry(
    path: &std::path::Path,
    password: Option<&secrecy::SecretString>,
    now: OffsetDateTime,
    out: &Out,
) -> Option<serde_json::Value> {
    match load_certificate(path, password) {
        Ok(cert) => {
            let end = cert.not_after();
            let days = (end - now).whole_days();
            out.line(if end <= now {
                format!(
                    "certificate: expired {} ({} days ago): upload a new certificate to oort's app registration and point OORT_CERTIFICATE at it",
                    ts(end),
                    -days
                )
            } else {
                format!(
                    "certificate: expires {} (in {days} days), SHA-1 thumbprint {}",
                    ts(end),
                    cert.thumbprint_sha1_hex()
                )
            });
            Some(json!({
                "path": path.display().to_string(),
                "thumbprint_sha1": cert.thumbprint_sha1_hex(),
                "not_after": ts(end),
                "expired": end <= now,
            }))
        }
        Err(e) => {
            out.line(format!("certificate: cannot be read: {}", e.message));
            Some(json!({"path": path.display().to_string(), "error": e.message}))
        }
    }
}

/// Prints one row per stream (its state in the last run, its watermark) and returns their JSON.
async fn print_streams(
    store: &dyn Store,
    tenant: &str,
    last: Option<&CollectionRun>,
    out: &Out,
) -> Result<Vec<serde_json::Value>, CliError> {
    let mut table = Table::new(["stream", "last run", "new", "watermark", "note"]);
    let mut streams = Vec::new();
    for &kind in oort_collector::StreamKind::ALL {
        let in_run = last.and_then(|r| {
            r.report.as_array().and_then(|a| {
                a.iter()
                    .find(|s| s["stream"].as_str() == Some(kind.as_str()))
                    .cloned()
            })
        });
        let checkpoints = store.checkpoints(tenant, kind.as_str()).await?;
        let watermark = checkpoints
            .iter()
            .find_map(|c| c.value["watermark"].as_str().map(str::to_owned));
        let state = in_run
            .as_ref()
            .and_then(|s| s["status"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "-".to_owned());
        let note = in_run
            .as_ref()
            .and_then(|s| {
                s["reason"]
                    .as_str()
                    .or_else(|| s["error"].as_str())
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let inserted = in_run
            .as_ref()
            .and_then(|s| s["inserted"].as_u64())
            .map(|n| n.to_string())
            .unwrap_or_else(|| "-".to_owned());
        table.row([
            kind.to_string(),
            state.clone(),
            inserted,
            watermark.clone().unwrap_or_else(|| "-".to_owned()),
            clip(&note, 90),
        ]);
        streams.push(json!({
            "stream": kind,
            "last_status": in_run.as_ref().and_then(|s| s["status"].as_str()),
            "last_report": in_run,
            "watermark": watermark,
            "checkpoints": checkpoints.len(),
        }));
    }
    out.table(&table);
    Ok(streams)
}

/// Prints how many items each stream set aside (they did not read with this version), with how
/// to re-read them, and returns them as JSON.
async fn print_rejected(
    store: &dyn Store,
    tenant: &str,
    out: &Out,
) -> Result<Vec<serde_json::Value>, CliError> {
    let counts = store.rejected_counts(tenant).await?;
    if counts.is_empty() {
        out.line("rejected items: none");
        return Ok(Vec::new());
    }
    let mut table = Table::new(["stream", "rejected", "first error"]);
    let mut docs = Vec::new();
    for c in &counts {
        let first = store.rejected_items(tenant, Some(c.stream), 10).await?;
        let error = first
            .first()
            .map(|r| r.item.error.clone())
            .unwrap_or_default();
        table.row([c.stream.to_string(), c.count.to_string(), clip(&error, 90)]);
        docs.push(json!({
            "stream": c.stream,
            "count": c.count,
            "first_error": error,
            "first_ids": first.iter().map(|r| r.item.item_key.as_str()).collect::<Vec<_>>(),
        }));
    }
    let total: u64 = counts.iter().map(|c| c.count).sum();
    out.line(format!(
        "rejected items: {total} item(s) did not read with this version and were set aside:"
    ));
    out.table(&table);
    out.line("re-read them after an upgrade with `oort collect --retry-rejected`");
    Ok(docs)
}

/// Prints the expiry of the client secret oort signs in with, when its app registration is
/// stored, and returns the next one.
async fn print_secret_expiry(
    settings: &Settings,
    store: &dyn Store,
    tenant: &str,
    now: OffsetDateTime,
    out: &Out,
) -> Result<Option<OffsetDateTime>, CliError> {
    let mut expiries: Vec<OffsetDateTime> = Vec::new();
    if let Some(client_id) = &settings.client_id {
        for c in store.app_credentials(tenant).await? {
            if c.app_id.as_deref() == Some(client_id.as_str())
                && matches!(c.credential.kind, entra_model::CredentialKind::Secret)
            {
                if let Some(end) = c.credential.end {
                    expiries.push(end);
                }
            }
        }
    }
    let next = expiries.iter().copied().filter(|e| *e > now).min();
    match next {
        Some(end) => out.line(format!(
            "client secret: expires {} (in {} days)",
            ts(end),
            (end - now).whole_days()
        )),
        None if !expiries.is_empty() => {
            out.line("client secret: every stored secret of oort's app has expired: create a new one")
        }
        None => out.line(
            "client secret: expiry unknown (collect applications with Application.Read.All to see it)",
        ),
    }
    Ok(next)
}

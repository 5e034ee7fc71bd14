//! `oort test-connectivity`: the token, the granted permissions and the licences, as a table.

use std::process::ExitCode;

use entra_model::Capability;
use oort_collector::{test_connectivity, CapabilityStatus, ConnectivityError, ConnectivityReport};
use serde_json::json;

use crate::config::Settings;
use crate::connect::{connect, credential_line, Connection};
use crate::error::CliError;
use crate::output::{Out, Table};

pub(super) async fn run(settings: &Settings, out: Out) -> Result<ExitCode, CliError> {
    let conn = connect(settings, false)?;
    // Where the credential goes, named before it is sent: a configuration pointing elsewhere
    // than intended shows here.
    let authority = settings.cloud.authority_host();
    let authority = authority.as_str().trim_end_matches('/');
    let graph = settings.cloud.graph_root();
    let graph = graph.as_str().trim_end_matches('/');
    out.line(format!(
        "authority host: {authority} (the credential is sent here)"
    ));
    out.line(format!("Graph: {graph}"));
    let report = probe(&conn).await?;
    out.line(format!("credential: {}", credential_line(settings)));
    let connected = print_connectivity(&report, &out);
    let mut doc = connectivity_json(&report);
    doc["credential"] = json!(credential_line(settings));
    doc["authority_host"] = json!(authority);
    doc["graph_url"] = json!(graph);
    out.json(&doc);
    if connected {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("error: {}", not_connected_reason(&report));
        Ok(ExitCode::from(crate::error::EXIT_CONFIG))
    }
}

fn status_word(s: &CapabilityStatus) -> &'static str {
    match s {
        CapabilityStatus::Ok => "ok",
        CapabilityStatus::MissingPermission { .. } => "missing permission",
        CapabilityStatus::LicenceRequired { .. } => "licence required",
        _ => "error",
    }
}

/// Prints the connectivity report; returns whether the tenant is connected.
pub(super) fn print_connectivity(report: &ConnectivityReport, out: &Out) -> bool {
    let mut table = Table::new(["capability", "status", "what to do"]);
    for c in &report.capabilities {
        table.row([
            c.capability.to_string(),
            status_word(&c.status).to_owned(),
            advice_with_blind_checks(&c.capability, &c.status),
        ]);
    }
    out.table(&table);
    let connected = report.is_connected();
    if connected {
        out.line("Connected!");
    }
    connected
}

/// The checks that cannot run while `capability` cannot be read (empty when it can).
fn blind_checks(capability: &Capability, status: &CapabilityStatus) -> Vec<&'static str> {
    if status.is_ok() {
        return Vec::new();
    }
    oort_checks::blinded_checks(*capability)
        .into_iter()
        .map(|c| c.as_str())
        .collect()
}

/// The advice, followed by the checks that stay blind until it is followed: on Entra ID Free,
/// for example, the registration report (P1) is missing, so `no-mfa` and `admin-without-mfa`
/// cannot run, and the table says so rather than letting them report nothing.
fn advice_with_blind_checks(capability: &Capability, status: &CapabilityStatus) -> String {
    let advice = status.advice();
    let blind = blind_checks(capability, status);
    if blind.is_empty() {
        return advice;
    }
    let checks = if blind.len() > 4 {
        format!("{} checks (all threat detections)", blind.len())
    } else {
        blind.join(", ")
    };
    format!("{advice}; until then these checks cannot run: {checks}")
}

pub(super) fn connectivity_json(report: &ConnectivityReport) -> serde_json::Value {
    let mut doc = serde_json::to_value(report).unwrap_or_default();
    doc["connected"] = json!(report.is_connected());
    if let Some(caps) = doc["capabilities"].as_array_mut() {
        for (c, r) in caps.iter_mut().zip(&report.capabilities) {
            c["advice"] = json!(r.status.advice());
            c["checks_blind"] = json!(blind_checks(&r.capability, &r.status));
        }
    }
    doc
}

pub(super) async fn probe(conn: &Connection) -> Result<ConnectivityReport, CliError> {
    test_connectivity(conn.credential.clone(), &conn.scope, &conn.client)
        .await
        .map_err(|e| match e {
            ConnectivityError::Auth(a) => CliError::from(a),
            other => CliError::config(format!("not connected: {other}")),
        })
}

fn not_connected_reason(report: &ConnectivityReport) -> String {
    let advice = report
        .status(entra_model::Capability::Users)
        .map(CapabilityStatus::advice)
        .unwrap_or_default();
    format!("not connected: the app cannot read the directory's users; {advice}")
}

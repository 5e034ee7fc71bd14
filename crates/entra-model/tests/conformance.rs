//! Conformance against Microsoft's documented Graph response bodies.
//!
//! Set `OORT_GRAPH_EXAMPLES` to a folder laid out like `shared/graph-examples` (an `INDEX.tsv` plus
//! `<area>/<file>.json`) and every `.json` file of kind `response` is parsed, item by item for
//! collections, into the model its `odata_type` names. Without the variable (at build time) the
//! tests are reported as ignored (a user's clone has no corpus); `.ci/run` points it at the
//! corpus beside the project.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use entra_model::*;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Files the documentation gets wrong in a way no lenient model should accept, with the reason.
/// Each comes from the corpus README's "Known doc quirks" list.
const EXPECTED_FAILURES: &[(&str, &str)] = &[
    (
        "authmethod/v1.0-temporaryaccesspassauthenticationmethod-list-1.json",
        "doc quirk: type name used as a value (\"lifetimeInMinutes\": \"Integer\")",
    ),
    (
        "authmethod/beta-temporaryaccesspassauthenticationmethod-get-1.json",
        "doc quirk: type name used as a value (\"lifetimeInMinutes\": \"Integer\")",
    ),
    (
        "risk/v1.0-riskyuser-list-1.json",
        "doc quirk: type name used as a value (\"isDeleted\": \"Boolean\")",
    ),
    (
        "risk/v1.0-riskyuser-get-1.json",
        "doc quirk: type name used as a value (\"isDeleted\": \"Boolean\")",
    ),
];

/// Areas whose bodies are protocol envelopes owned by `graph-client`, not resource shapes.
const PROTOCOL_AREAS: &[&str] = &["batch", "errors"];

#[derive(Debug)]
struct Row {
    file: String,
    kind: String,
    odata_type: String,
    is_collection: bool,
}

fn read_index(dir: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv is readable");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Row {
                file: cols[0].to_owned(),
                kind: cols.get(1).copied().unwrap_or_default().to_owned(),
                odata_type: cols.get(2).copied().unwrap_or_default().to_owned(),
                is_collection: cols.get(3).copied() == Some("true"),
            }
        })
        .collect()
}

/// `Collection(microsoft.graph.user)` -> `user`; empty types are inferred from the file name.
fn model_name(row: &Row) -> String {
    let mut t = row.odata_type.trim().trim_start_matches('#').to_owned();
    for wrapper in ["Collection(", "collection("] {
        if let Some(inner) = t.strip_prefix(wrapper) {
            t = inner.trim_end_matches(')').to_owned();
        }
    }
    if let Some(short) = t.strip_prefix("microsoft.graph.") {
        t = short.to_owned();
    }
    let file = row.file.to_ascii_lowercase();
    if t.is_empty() || t.starts_with("Edm.") || t == "string" {
        t = if file.contains("serviceprincipal") {
            "servicePrincipal".into()
        } else if file.starts_with("user/") {
            "user".into()
        } else if file.starts_with("device/") {
            "managedDevice".into()
        } else if file.contains("revokesigninsessions") {
            "revokeSignInSessions".into()
        } else {
            t
        };
    }
    t.to_ascii_lowercase()
}

fn parse_as<T: DeserializeOwned>(json: &str) -> Result<(), String> {
    serde_json::from_str::<T>(json)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn parse_item(model: &str, json: &str) -> Result<(), String> {
    match model {
        "signin" => parse_as::<SignIn>(json),
        "user" => parse_as::<User>(json),
        "group" => parse_as::<Group>(json),
        "directoryobject" => parse_as::<DirectoryObject>(json),
        "application" => parse_as::<Application>(json),
        "serviceprincipal" => parse_as::<ServicePrincipal>(json),
        "unifiedroleassignment" => parse_as::<UnifiedRoleAssignment>(json),
        "administrativeunit" => parse_as::<AdministrativeUnit>(json),
        "authenticationmethod" => parse_as::<AuthenticationMethod>(json),
        "passwordauthenticationmethod" => parse_as::<PasswordAuthenticationMethod>(json),
        "phoneauthenticationmethod" => parse_as::<PhoneAuthenticationMethod>(json),
        "microsoftauthenticatorauthenticationmethod" => {
            parse_as::<MicrosoftAuthenticatorAuthenticationMethod>(json)
        }
        "fido2authenticationmethod" => parse_as::<Fido2AuthenticationMethod>(json),
        "softwareoathauthenticationmethod" => parse_as::<SoftwareOathAuthenticationMethod>(json),
        "emailauthenticationmethod" => parse_as::<EmailAuthenticationMethod>(json),
        "temporaryaccesspassauthenticationmethod" => {
            parse_as::<TemporaryAccessPassAuthenticationMethod>(json)
        }
        "windowshelloforbusinessauthenticationmethod" => {
            parse_as::<WindowsHelloForBusinessAuthenticationMethod>(json)
        }
        "userregistrationdetails" => parse_as::<UserRegistrationDetails>(json),
        "riskyuser" | "riskyusers" => parse_as::<RiskyUser>(json),
        "riskdetection" => parse_as::<RiskDetection>(json),
        "conditionalaccesspolicy" => parse_as::<ConditionalAccessPolicy>(json),
        "directoryaudit" => parse_as::<DirectoryAudit>(json),
        "manageddevice" => parse_as::<ManagedDevice>(json),
        "revokesigninsessions" => parse_as::<RevokeSignInSessionsResponse>(json),
        other => Err(format!("no model is mapped to odata type {other:?}")),
    }
}

/// The items a response body carries: `value` array items, a `value` object (the doc quirk of
/// single GETs wrapped in `value`), or the body itself.
fn items(body: &Value, is_collection: bool) -> Vec<String> {
    match body.get("value") {
        Some(Value::Array(items)) => items.iter().map(Value::to_string).collect(),
        Some(v @ Value::Object(_)) => vec![v.to_string()],
        Some(_) if !is_collection && body.get("id").is_none() => vec![body.to_string()],
        _ => vec![body.to_string()],
    }
}

/// The corpus folder (the test is ignored when the build did not see `OORT_GRAPH_EXAMPLES`).
fn corpus() -> PathBuf {
    std::env::var_os("OORT_GRAPH_EXAMPLES")
        .map(PathBuf::from)
        .expect("OORT_GRAPH_EXAMPLES names the graph-examples folder (it was set at build time)")
}

#[test]
#[cfg_attr(
    not(oort_graph_examples),
    ignore = "set OORT_GRAPH_EXAMPLES to the graph-examples folder to run"
)]
fn every_documented_response_parses_into_its_model() {
    let dir = corpus();
    let expected: BTreeMap<&str, &str> = EXPECTED_FAILURES.iter().copied().collect();
    let mut parsed_files = 0;
    let mut parsed_items = 0;
    let mut skipped = Vec::new();
    let mut failures = Vec::new();
    let mut expected_seen = Vec::new();

    for row in read_index(&dir) {
        if row.kind != "response" || !row.file.ends_with(".json") {
            continue;
        }
        let area = row.file.split('/').next().unwrap_or_default();
        if PROTOCOL_AREAS.contains(&area) {
            skipped.push(format!(
                "{} (protocol envelope, owned by graph-client)",
                row.file
            ));
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&row.file)).expect("corpus file is readable");
        let body: Value = serde_json::from_str(&text).expect("corpus .json files are valid JSON");
        let model = model_name(&row);
        let mut errors = Vec::new();
        let items = items(&body, row.is_collection);
        for (i, item) in items.iter().enumerate() {
            if let Err(e) = parse_item(&model, item) {
                errors.push(format!("item {i} as {model}: {e}"));
            }
        }
        match (errors.is_empty(), expected.get(row.file.as_str())) {
            (true, _) => {
                parsed_files += 1;
                parsed_items += items.len();
            }
            (false, Some(reason)) => expected_seen.push(format!("{} ({reason})", row.file)),
            (false, None) => failures.push(format!("{}: {}", row.file, errors.join("; "))),
        }
    }

    println!("conformance: parsed {parsed_files} response files ({parsed_items} items)");
    println!(
        "expected failures (documented doc quirks): {}",
        expected_seen.len()
    );
    for f in &expected_seen {
        println!("  {f}");
    }
    println!("skipped: {}", skipped.len());
    for s in &skipped {
        println!("  {s}");
    }
    assert!(
        failures.is_empty(),
        "{} response files do not parse:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        parsed_files > 100,
        "the corpus looks incomplete: {parsed_files} files parsed"
    );
}

/// Keys of a `representation` block that the model does not read (each checked as `{key: null}`,
/// which every modelled property accepts).
fn unknown_keys<T: DeserializeOwned>(representation: &Value) -> Vec<String> {
    let Some(map) = representation.as_object() else {
        return Vec::new();
    };
    map.keys()
        .filter(|k| !k.starts_with('@'))
        .filter(|k| {
            let probe = serde_json::json!({ k.as_str(): null }).to_string();
            let mut ignored = Vec::new();
            let mut de = serde_json::Deserializer::from_str(&probe);
            let _ = serde_ignored::deserialize::<_, _, T>(&mut de, |path| {
                ignored.push(path.to_string())
            });
            !ignored.is_empty()
        })
        .cloned()
        .collect()
}

fn representation_gaps(model: &str, value: &Value) -> Option<Vec<String>> {
    Some(match model {
        "signin" => unknown_keys::<SignIn>(value),
        "signinstatus" => unknown_keys::<SignInStatus>(value),
        "signinlocation" => unknown_keys::<SignInLocation>(value),
        "devicedetail" => unknown_keys::<DeviceDetail>(value),
        "appliedconditionalaccesspolicy" => unknown_keys::<AppliedConditionalAccessPolicy>(value),
        "geocoordinates" => unknown_keys::<GeoCoordinates>(value),
        "authenticationdetail" => unknown_keys::<AuthenticationDetail>(value),
        "mfadetail" => unknown_keys::<MfaDetail>(value),
        "user" => unknown_keys::<User>(value),
        "signinactivity" => unknown_keys::<SignInActivity>(value),
        "group" => unknown_keys::<Group>(value),
        "application" => unknown_keys::<Application>(value),
        "serviceprincipal" => unknown_keys::<ServicePrincipal>(value),
        "passwordcredential" => unknown_keys::<PasswordCredential>(value),
        "keycredential" => unknown_keys::<KeyCredential>(value),
        "microsoftauthenticatorauthenticationmethod" => {
            unknown_keys::<MicrosoftAuthenticatorAuthenticationMethod>(value)
        }
        "phoneauthenticationmethod" => unknown_keys::<PhoneAuthenticationMethod>(value),
        "fido2authenticationmethod" => unknown_keys::<Fido2AuthenticationMethod>(value),
        "temporaryaccesspassauthenticationmethod" => {
            unknown_keys::<TemporaryAccessPassAuthenticationMethod>(value)
        }
        "windowshelloforbusinessauthenticationmethod" => {
            unknown_keys::<WindowsHelloForBusinessAuthenticationMethod>(value)
        }
        "softwareoathauthenticationmethod" => {
            unknown_keys::<SoftwareOathAuthenticationMethod>(value)
        }
        "conditionalaccesspolicy" => unknown_keys::<ConditionalAccessPolicy>(value),
        "manageddevice" => unknown_keys::<ManagedDevice>(value),
        "directoryaudit" => unknown_keys::<DirectoryAudit>(value),
        "userregistrationdetails" => unknown_keys::<UserRegistrationDetails>(value),
        "riskyuser" => unknown_keys::<RiskyUser>(value),
        "riskdetection" => unknown_keys::<RiskDetection>(value),
        _ => return None,
    })
}

/// Sign-in shapes are modelled completely (every v1.0 property and the beta additions); other
/// resources model what oort uses, and their unmodelled keys are listed (kept in the raw JSON).
const FULLY_MODELLED: &[&str] = &[
    "signin",
    "signinstatus",
    "signinlocation",
    "devicedetail",
    "appliedconditionalaccesspolicy",
    "geocoordinates",
    "authenticationdetail",
    "mfadetail",
    "signinactivity",
    "passwordcredential",
    "keycredential",
    "userregistrationdetails",
    "riskyuser",
    "riskdetection",
];

#[test]
#[cfg_attr(
    not(oort_graph_examples),
    ignore = "set OORT_GRAPH_EXAMPLES to the graph-examples folder to run"
)]
fn documented_representations_are_known_to_the_models() {
    let dir = corpus();
    let mut incomplete = Vec::new();
    for row in read_index(&dir) {
        if row.kind != "representation" || !row.file.ends_with(".json") {
            continue;
        }
        let text = std::fs::read_to_string(dir.join(&row.file)).expect("corpus file is readable");
        let value: Value = serde_json::from_str(&text).expect("valid JSON");
        let model = model_name(&row);
        let Some(gaps) = representation_gaps(&model, &value) else {
            println!(
                "representation {}: not a resource model ({model})",
                row.file
            );
            continue;
        };
        let total = value.as_object().map_or(0, |m| m.len());
        println!(
            "representation {}: {}/{} keys modelled{}",
            row.file,
            total - gaps.len(),
            total,
            if gaps.is_empty() {
                String::new()
            } else {
                format!("; kept raw only: {}", gaps.join(", "))
            }
        );
        if FULLY_MODELLED.contains(&model.as_str()) && !gaps.is_empty() {
            incomplete.push(format!("{}: {}", row.file, gaps.join(", ")));
        }
    }
    assert!(
        incomplete.is_empty(),
        "fully modelled shapes miss keys:\n{}",
        incomplete.join("\n")
    );
}

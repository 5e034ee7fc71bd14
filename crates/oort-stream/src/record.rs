//! Reading a diagnostic-settings message leniently, one record at a time.
//!
//! A message is `{"records": [...]}` (`../shared/graph-reference.md` §9.2; Azure Monitor's
//! "Stream Azure monitoring data to an event hub"). Each record is read on its own: one that
//! cannot be read becomes a [`RejectedRecord`] with its text and the reason, and the others are
//! kept, so one odd record never stops a partition. Before the typed reading
//! ([`DiagnosticRecord`]), a record is brought to the schema's shape, because real exports
//! differ from it:
//!
//! - envelope keys in any case (`Level` / `level`, `Category`, `Properties`);
//! - `time` (and the event's own `createdDateTime` / `activityDateTime`) in the forms of
//!   [`parse_time`], such as `12/12/2025 3:03:58 PM`;
//! - numbers as strings (`durationMs`, `Level`, `status.errorCode`,
//!   `processingTimeInMilliseconds`, coordinates) and booleans as strings (`isInteractive`);
//! - `properties` as a JSON object, or as a string holding one;
//! - categories in any case, and categories beyond the sign-in and audit ones, kept raw.
//!
//! A sign-in or audit record needs an `id` (the key that makes polling and streaming the same
//! tenant store it once): an empty one is a rejection, not a guess.

use entra_model::{DiagnosticRecord, LogCategory};
use entra_model::{DirectoryAudit, Raw, SignIn};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::time_forms::parse_time;

/// The envelope fields of the Azure Monitor schema, spelled as [`DiagnosticRecord`] reads them.
const ENVELOPE_KEYS: [&str; 16] = [
    "time",
    "resourceId",
    "operationName",
    "operationVersion",
    "category",
    "tenantId",
    "resultType",
    "resultSignature",
    "resultDescription",
    "durationMs",
    "callerIpAddress",
    "correlationId",
    "identity",
    "Level",
    "location",
    "properties",
];

/// The largest message body read (Event Hubs' own limit is 1 MB per event on the Standard tier,
/// 20 MB on Premium and Dedicated).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 * 1024;

/// What one message held.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ReadMessage {
    /// The records read, in message order.
    pub records: Vec<StreamRecord>,
    /// The records that could not be read, with why.
    pub rejected: Vec<RejectedRecord>,
}

/// One record read from a message (the typed events are boxed: a batch of records of mixed
/// categories stays small).
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamRecord {
    /// A sign-in of one of the four sign-in categories: the event (`properties`, with the event
    /// type of its category) and its JSON text, stored like a polled sign-in and keyed by the
    /// same id.
    SignIn(Box<Raw<SignIn>>),
    /// An `AuditLogs` record: the directory audit entry (`properties`) and its JSON text.
    DirectoryAudit(Box<Raw<DirectoryAudit>>),
    /// A record of another category (`RiskyUsers`, `ProvisioningLogs`,
    /// `MicrosoftGraphActivityLogs`, ...), kept whole.
    Other {
        /// The category, as the schema spells it when known.
        category: String,
        /// The event's id (`properties.id`), when it has one.
        id: Option<String>,
        /// The record's time, when it could be read.
        time: Option<OffsetDateTime>,
        /// The record (after the envelope's keys were brought to the schema's spelling).
        raw: Box<RawValue>,
    },
}

impl StreamRecord {
    /// The record's category.
    pub fn category(&self) -> &str {
        match self {
            StreamRecord::SignIn(s) => {
                s.value()
                    .event_type()
                    .map_or("SignInLogs", |t| match t.as_str() {
                        "nonInteractiveUser" => "NonInteractiveUserSignInLogs",
                        "servicePrincipal" => "ServicePrincipalSignInLogs",
                        "managedIdentity" => "ManagedIdentitySignInLogs",
                        _ => "SignInLogs",
                    })
            }
            StreamRecord::DirectoryAudit(_) => "AuditLogs",
            StreamRecord::Other { category, .. } => category,
        }
    }
}

/// A record that could not be read: kept with its text so that nothing is lost and it can be
/// read again by a later version.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RejectedRecord {
    /// Its position in the message's `records`.
    pub index: usize,
    /// Its category, when that much could be read.
    pub category: Option<String>,
    /// The record's JSON text, as received.
    pub raw: String,
    /// Why it could not be read, and what that means.
    pub reason: String,
}

/// A message that is not a diagnostic-settings body at all (nothing of it can be read).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MessageError {
    /// Larger than [`MAX_MESSAGE_BYTES`].
    #[error("the message is {0} bytes, more than the {MAX_MESSAGE_BYTES} a diagnostic-settings message can be: it is not one")]
    TooLarge(usize),
    /// Not JSON.
    #[error("the message is not JSON ({0}): check that the hub receives Entra diagnostic logs")]
    NotJson(String),
    /// JSON without a `records` array.
    #[error("the message has no \"records\" array: check that the hub receives Entra diagnostic logs (a diagnostic setting sends {{\"records\": [...]}})")]
    NoRecords,
}

/// Reads one message body. Only a body that is not `{"records": [...]}` JSON at all is an
/// error; every record is either in [`ReadMessage::records`] or in
/// [`ReadMessage::rejected`], never dropped.
pub fn read_message(body: &[u8]) -> Result<ReadMessage, MessageError> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(MessageError::TooLarge(body.len()));
    }
    let value: Value =
        serde_json::from_slice(body).map_err(|e| MessageError::NotJson(e.to_string()))?;
    let Value::Object(envelope) = value else {
        return Err(MessageError::NoRecords);
    };
    let records = envelope
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("records"))
        .map(|(_, v)| v);
    let Some(Value::Array(records)) = records else {
        return Err(MessageError::NoRecords);
    };
    let mut out = ReadMessage::default();
    for (index, record) in records.into_iter().enumerate() {
        let raw = record.to_string();
        match read_record(record) {
            Ok(r) => out.records.push(r),
            Err((category, reason)) => out.rejected.push(RejectedRecord {
                index,
                category,
                raw,
                reason,
            }),
        }
    }
    Ok(out)
}

/// Why a record was rejected: its category (when known) and the reason.
type Rejection = (Option<String>, String);

/// Reads one record (see the module's documentation).
pub fn read_record(record: Value) -> Result<StreamRecord, Rejection> {
    let Value::Object(fields) = record else {
        return Err((None, "the record is not a JSON object".to_owned()));
    };
    let mut fields = canonical_envelope(fields);
    let category = normalise_category(&mut fields);
    let time = normalise_envelope(&mut fields);
    let properties = match fields.get_mut("properties").map(Value::take) {
        Some(Value::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Object(_)) => Some(v),
            _ => {
                return Err((
                    category,
                    "the record's properties are a string that does not hold a JSON object"
                        .to_owned(),
                ))
            }
        },
        Some(Value::Null) | None => None,
        Some(v) => Some(v),
    };
    let known = category.as_deref().map(LogCategory::from_wire);
    let is_sign_in = known
        .as_ref()
        .and_then(LogCategory::sign_in_event_type)
        .is_some();
    let is_audit = known == Some(LogCategory::AuditLogs);
    if !is_sign_in && !is_audit {
        if let Some(p) = properties {
            fields.insert("properties".to_owned(), p);
        }
        return other(category, time, fields);
    }
    let Some(Value::Object(mut event)) = properties else {
        return Err((
            category,
            "the record has no properties object: it carries no event".to_owned(),
        ));
    };
    let id_ok = event
        .get("id")
        .and_then(Value::as_str)
        .is_some_and(|id| !id.trim().is_empty());
    if !id_ok {
        return Err((
            category,
            "the event has no id (properties.id is missing or empty): it cannot be stored exactly once"
                .to_owned(),
        ));
    }
    if is_sign_in {
        normalise_sign_in(&mut event);
    } else {
        normalise_time_field(&mut event, "activityDateTime");
    }
    let event_text = Value::Object(event).to_string();
    let raw_event = RawValue::from_string(event_text.clone())
        .map_err(|e| (category.clone(), format!("the event is not JSON ({e})")))?;
    fields.insert(
        "properties".to_owned(),
        serde_json::from_str(&event_text).unwrap_or(Value::Null),
    );
    let record: DiagnosticRecord = serde_json::from_value(Value::Object(fields)).map_err(|e| {
        (
            category.clone(),
            format!("the record's envelope cannot be read ({e})"),
        )
    })?;
    let typed = if is_sign_in {
        record
            .to_sign_in()
            .map(|s| StreamRecord::SignIn(Box::new(Raw::from_parts(s, raw_event))))
    } else {
        record
            .to_directory_audit()
            .map(|a| StreamRecord::DirectoryAudit(Box::new(Raw::from_parts(a, raw_event))))
    };
    let typed = typed.map_err(|e| (category.clone(), e.to_string()))?;
    let has_time = match &typed {
        StreamRecord::SignIn(s) => s.value().created_date_time.is_some(),
        StreamRecord::DirectoryAudit(a) => a.value().activity_date_time.is_some(),
        StreamRecord::Other { .. } => true,
    };
    if !has_time {
        return Err((
            category,
            "the event has no time that can be read (neither its own nor the envelope's time)"
                .to_owned(),
        ));
    }
    Ok(typed)
}

/// A record of a category oort does not analyse, kept whole.
fn other(
    category: Option<String>,
    time: Option<OffsetDateTime>,
    fields: Map<String, Value>,
) -> Result<StreamRecord, Rejection> {
    let Some(category) = category else {
        return Err((
            None,
            "the record has no category: it cannot be told what it is".to_owned(),
        ));
    };
    let id = fields
        .get("properties")
        .and_then(|p| p.get("id"))
        .and_then(Value::as_str)
        .filter(|id| !id.trim().is_empty())
        .map(str::to_owned);
    let raw = RawValue::from_string(Value::Object(fields).to_string()).map_err(|e| {
        (
            Some(category.clone()),
            format!("the record is not JSON ({e})"),
        )
    })?;
    Ok(StreamRecord::Other {
        category,
        id,
        time,
        raw,
    })
}

/// The envelope's keys in the schema's spelling (`level` -> `Level`, `Category` ->
/// `category`); other keys unchanged. When two spellings of one key are present, the schema's
/// own wins.
fn canonical_envelope(fields: Map<String, Value>) -> Map<String, Value> {
    let mut out = Map::with_capacity(fields.len());
    let mut variants = Vec::new();
    for (key, value) in fields {
        match ENVELOPE_KEYS.iter().find(|k| k.eq_ignore_ascii_case(&key)) {
            Some(canonical) if **canonical != key => variants.push((*canonical, value)),
            _ => {
                out.insert(key, value);
            }
        }
    }
    for (canonical, value) in variants {
        out.entry(canonical.to_owned()).or_insert(value);
    }
    out
}

/// `category` as a string in the schema's spelling when it is a known one; returns it.
fn normalise_category(fields: &mut Map<String, Value>) -> Option<String> {
    let text = match fields.get("category") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => {
            fields.remove("category");
            return None;
        }
    };
    let known = KNOWN_CATEGORIES
        .iter()
        .find(|k| k.eq_ignore_ascii_case(&text))
        .map_or(text, |k| (*k).to_owned());
    fields.insert("category".to_owned(), Value::String(known.clone()));
    Some(known)
}

/// The categories of Entra's diagnostic settings (`graph-reference.md` §9.1).
const KNOWN_CATEGORIES: [&str; 15] = [
    "SignInLogs",
    "NonInteractiveUserSignInLogs",
    "ServicePrincipalSignInLogs",
    "ManagedIdentitySignInLogs",
    "AuditLogs",
    "ProvisioningLogs",
    "ADFSSignInLogs",
    "RiskyUsers",
    "UserRiskEvents",
    "RiskyServicePrincipals",
    "ServicePrincipalRiskEvents",
    "EnrichedOffice365AuditLogs",
    "MicrosoftGraphActivityLogs",
    "NetworkAccessTrafficLogs",
    "CustomSecurityAttributeAuditLogs",
];

/// Brings `time` to RFC 3339 (or removes it when it cannot be read) and the envelope's
/// numbers and strings to the types the schema has; returns the time.
fn normalise_envelope(fields: &mut Map<String, Value>) -> Option<OffsetDateTime> {
    let time = normalise_time_field(fields, "time");
    for key in ["durationMs", "Level", "resultType", "resultSignature"] {
        if let Some(v) = fields.get_mut(key) {
            if !matches!(v, Value::String(_) | Value::Number(_) | Value::Null) {
                *v = Value::Null;
            }
        }
    }
    for key in [
        "resourceId",
        "operationName",
        "operationVersion",
        "tenantId",
        "resultDescription",
        "callerIpAddress",
        "correlationId",
        "identity",
        "location",
    ] {
        if let Some(v) = fields.get_mut(key) {
            match v {
                Value::String(_) | Value::Null => {}
                Value::Number(n) => *v = Value::String(n.to_string()),
                Value::Bool(b) => *v = Value::String(b.to_string()),
                _ => *v = Value::Null,
            }
        }
    }
    time
}

/// Rewrites `fields[key]` as RFC 3339 when it is a time in one of the known forms; removes it
/// when it is there but cannot be read. Returns the time.
fn normalise_time_field(fields: &mut Map<String, Value>, key: &str) -> Option<OffsetDateTime> {
    let parsed = match fields.get(key)? {
        Value::String(s) => parse_time(s),
        Value::Null => return None,
        _ => None,
    };
    match parsed {
        Some(t) => {
            fields.insert(
                key.to_owned(),
                Value::String(entra_model::timestamp::format(&t)),
            );
            Some(t)
        }
        None => {
            fields.remove(key);
            None
        }
    }
}

/// A sign-in event's fields that real exports send as strings where Graph has numbers or
/// booleans, brought back; its `createdDateTime` to RFC 3339.
fn normalise_sign_in(event: &mut Map<String, Value>) {
    normalise_time_field(event, "createdDateTime");
    for key in ["processingTimeInMilliseconds", "autonomousSystemNumber"] {
        integer_field(event, key);
    }
    for key in ["isInteractive", "flaggedForReview", "isTenantRestricted"] {
        boolean_field(event, key);
    }
    if let Some(Value::Object(status)) = event.get_mut("status") {
        integer_field(status, "errorCode");
    }
    if let Some(Value::Object(location)) = event.get_mut("location") {
        if let Some(Value::Object(geo)) = location.get_mut("geoCoordinates") {
            for key in ["latitude", "longitude", "altitude"] {
                float_field(geo, key);
            }
        }
    }
}

/// `"50126"` -> `50126`; a value that is no integer is removed (the typed field is optional).
fn integer_field(fields: &mut Map<String, Value>, key: &str) {
    let Some(v) = fields.get_mut(key) else { return };
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => {}
        Value::String(s) => match s.trim().parse::<i64>() {
            Ok(n) => *v = Value::from(n),
            Err(_) => {
                fields.remove(key);
            }
        },
        Value::Null => {}
        _ => {
            fields.remove(key);
        }
    }
}

/// `"48.85"` -> `48.85`; a value that is no number is removed.
fn float_field(fields: &mut Map<String, Value>, key: &str) {
    let Some(v) = fields.get_mut(key) else { return };
    match v {
        Value::Number(_) | Value::Null => {}
        Value::String(s) => match s
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
        {
            Some(n) => *v = Value::Number(n),
            None => {
                fields.remove(key);
            }
        },
        _ => {
            fields.remove(key);
        }
    }
}

/// `"True"` / `"false"` -> booleans; anything else that is not a boolean is removed.
fn boolean_field(fields: &mut Map<String, Value>, key: &str) {
    let Some(v) = fields.get_mut(key) else { return };
    match v {
        Value::Bool(_) | Value::Null => {}
        Value::String(s) if s.eq_ignore_ascii_case("true") => *v = Value::Bool(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => *v = Value::Bool(false),
        _ => {
            fields.remove(key);
        }
    }
}

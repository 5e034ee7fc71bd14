//! Stored values, shared by both stores: times as SQLite stores them, and the reading back of
//! what a row holds (a time, a name of a closed set, raw JSON, a credential) as an error naming
//! the row when it does not read. The mapping of items to rows is in `batch_rows`.

use entra_model::{AppCredential, CredentialKind, Raw};
use time::format_description::well_known::Rfc3339;

use crate::{CredentialOwner, PruneSummary, StoreError, UnknownValue};
use time::{OffsetDateTime, UtcOffset};

/// Rows deleted per transaction by `prune`.
pub(crate) const PRUNE_BATCH: usize = 10_000;

/// The tables retention prunes: each with the time column it is pruned by and its count in
/// `summary`.
pub(crate) fn prune_targets(
    summary: &mut PruneSummary,
) -> [(&'static str, &'static str, &mut u64); 2] {
    [
        ("sign_ins", "created_at", &mut summary.sign_ins),
        (
            "directory_audits",
            "activity_at",
            &mut summary.directory_audits,
        ),
    ]
}

/// Fixed-width UTC text (`2024-05-01T10:11:12.1234567Z`) whose lexical order is time order:
/// how SQLite stores times.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn ts_text(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 100
    )
}

/// Parses [`ts_text`] back (any RFC 3339 is accepted).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn parse_ts(s: &str) -> Option<OffsetDateTime> {
    entra_model::timestamp::parse(s)
        .ok()
        .or_else(|| OffsetDateTime::parse(s, &Rfc3339).ok())
}

/// A stored time that must be there: [`parse_ts`], or `Corrupt` naming the row (never a
/// made-up time such as the epoch).
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn stored_ts(
    table: &'static str,
    id: &str,
    s: &str,
) -> Result<OffsetDateTime, StoreError> {
    parse_ts(s)
        .ok_or_else(|| StoreError::corrupt_value(table, id, "a time", UnreadableTime(s.to_owned())))
}

/// [`stored_ts`] of a column that may be empty.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
pub(crate) fn stored_opt_ts(
    table: &'static str,
    id: &str,
    s: Option<&str>,
) -> Result<Option<OffsetDateTime>, StoreError> {
    s.map(|s| stored_ts(table, id, s)).transpose()
}

#[derive(Debug)]
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
struct UnreadableTime(String);

impl std::fmt::Display for UnreadableTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} is not an RFC 3339 time", self.0)
    }
}

impl std::error::Error for UnreadableTime {}

/// A stored name of a closed set (a severity, a status, ...), or `Corrupt` naming the row.
pub(crate) fn stored_name<T>(table: &'static str, id: &str, s: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr<Err = UnknownValue>,
{
    s.parse().map_err(|e: UnknownValue| {
        let what = e.what();
        StoreError::corrupt_value(table, id, what, e)
    })
}

/// A stored item's raw JSON read back as its model, or `Corrupt` naming the row.
pub(crate) fn parse_raw<T: serde::de::DeserializeOwned>(
    table: &'static str,
    id: &str,
    json: &str,
) -> Result<Raw<T>, StoreError> {
    Raw::from_json(json).map_err(|e| StoreError::corrupt(table, id, e))
}

/// The owner of a stored credential from its `owner_kind` column.
pub(crate) fn credential_owner(owner_kind: &str) -> CredentialOwner {
    if owner_kind == "application" {
        CredentialOwner::Application
    } else {
        CredentialOwner::ServicePrincipal
    }
}

/// A credential from its stored columns (`kind`; `key_id`, empty when Graph gave none).
pub(crate) fn stored_credential(
    kind: &str,
    key_id: String,
    display_name: Option<String>,
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
) -> AppCredential {
    let kind = if kind == "secret" {
        CredentialKind::Secret
    } else {
        CredentialKind::Certificate
    };
    AppCredential::new(
        kind,
        (!key_id.is_empty()).then_some(key_id),
        display_name,
        start,
        end,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_text_is_fixed_width_utc_and_sorts_by_time() {
        let a = entra_model::timestamp::parse("2024-05-01T10:11:12.5Z").unwrap();
        let b = entra_model::timestamp::parse("2024-05-01T12:11:12.1+02:00").unwrap();
        assert_eq!(ts_text(a), "2024-05-01T10:11:12.5000000Z");
        assert_eq!(ts_text(b), "2024-05-01T10:11:12.1000000Z");
        assert!(ts_text(b) < ts_text(a));
        assert_eq!(parse_ts(&ts_text(a)), Some(a));
    }
}

//! Typed columns extracted from the models, shared by both stores.

use entra_model::{
    AppCredential, AuthenticationMethod, CredentialKind, DirectoryAudit, DirectoryObject, Group,
    Raw, ServicePrincipal, SignIn, User,
};
use time::format_description::well_known::Rfc3339;

use crate::{CredentialOwner, StoreError, UnknownValue};
use time::{OffsetDateTime, UtcOffset};

/// Rows deleted per transaction by `prune`.
pub(crate) const PRUNE_BATCH: usize = 10_000;

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

pub(crate) struct SignInRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) created_at: Option<OffsetDateTime>,
    pub(crate) user_id: Option<&'a str>,
    pub(crate) user_principal_name: Option<&'a str>,
    pub(crate) app_id: Option<&'a str>,
    pub(crate) app_display_name: Option<&'a str>,
    pub(crate) ip_address: Option<&'a str>,
    pub(crate) country: Option<&'a str>,
    pub(crate) city: Option<&'a str>,
    pub(crate) latitude: Option<f64>,
    pub(crate) longitude: Option<f64>,
    pub(crate) client_app_used: Option<&'a str>,
    pub(crate) user_agent: Option<&'a str>,
    pub(crate) error_code: Option<i64>,
    pub(crate) is_interactive: Option<bool>,
    pub(crate) event_type: Option<String>,
    pub(crate) conditional_access_status: Option<&'a str>,
    pub(crate) risk_level_aggregated: Option<&'a str>,
    pub(crate) risk_level_during_sign_in: Option<&'a str>,
    pub(crate) risk_state: Option<&'a str>,
    pub(crate) raw_json: &'a str,
}

pub(crate) fn sign_in_row(raw: &Raw<SignIn>) -> SignInRow<'_> {
    let s = raw.value();
    let location = s.location.as_ref();
    let geo = location.and_then(|l| l.geo_coordinates.as_ref());
    SignInRow {
        id: &s.id,
        created_at: s.created_date_time,
        user_id: s.user_id.as_deref(),
        user_principal_name: s.user_principal_name.as_deref(),
        app_id: s.app_id.as_deref(),
        app_display_name: s.app_display_name.as_deref(),
        ip_address: s.ip_address.as_deref(),
        country: s.country(),
        city: location.and_then(|l| l.city.as_deref()),
        latitude: geo.and_then(|g| g.latitude),
        longitude: geo.and_then(|g| g.longitude),
        client_app_used: s.client_app_used.as_deref(),
        user_agent: s.user_agent.as_deref(),
        error_code: s.error_code(),
        is_interactive: s.is_interactive,
        event_type: s.event_type().map(|e| e.as_str().to_owned()),
        conditional_access_status: s.conditional_access_status.as_ref().map(|c| c.as_str()),
        risk_level_aggregated: s.risk_level_aggregated.as_ref().map(|c| c.as_str()),
        risk_level_during_sign_in: s.risk_level_during_sign_in.as_ref().map(|c| c.as_str()),
        risk_state: s.risk_state.as_ref().map(|c| c.as_str()),
        raw_json: raw.json(),
    }
}

pub(crate) struct AuditRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) activity_at: Option<OffsetDateTime>,
    pub(crate) activity_display_name: Option<&'a str>,
    pub(crate) category: Option<&'a str>,
    pub(crate) result: Option<&'a str>,
    pub(crate) raw_json: &'a str,
}

pub(crate) fn audit_row(raw: &Raw<DirectoryAudit>) -> AuditRow<'_> {
    let a = raw.value();
    AuditRow {
        id: &a.id,
        activity_at: a.activity_date_time,
        activity_display_name: a.activity_display_name.as_deref(),
        category: a.category.as_deref(),
        result: a.result.as_ref().map(|r| r.as_str()),
        raw_json: raw.json(),
    }
}

pub(crate) struct UserRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) user_principal_name: Option<&'a str>,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) user_type: Option<&'a str>,
    pub(crate) account_enabled: Option<bool>,
    pub(crate) created_at: Option<OffsetDateTime>,
    pub(crate) last_sign_in_at: Option<OffsetDateTime>,
    pub(crate) last_successful_sign_in_at: Option<OffsetDateTime>,
    pub(crate) on_premises_sync_enabled: Option<bool>,
    pub(crate) removed: bool,
    pub(crate) raw_json: &'a str,
}

pub(crate) fn user_row(raw: &Raw<User>) -> UserRow<'_> {
    let u = raw.value();
    UserRow {
        id: &u.id,
        user_principal_name: u.user_principal_name.as_deref(),
        display_name: u.display_name.as_deref(),
        user_type: u.user_type.as_ref().map(|t| t.as_str()),
        account_enabled: u.account_enabled,
        created_at: u.created_date_time,
        last_sign_in_at: u.last_sign_in(),
        last_successful_sign_in_at: u.last_successful_sign_in(),
        on_premises_sync_enabled: u.on_premises_sync_enabled,
        removed: u.removed.is_some(),
        raw_json: raw.json(),
    }
}

pub(crate) struct GroupRow<'a> {
    pub(crate) id: &'a str,
    pub(crate) display_name: Option<&'a str>,
    pub(crate) security_enabled: Option<bool>,
    pub(crate) is_dynamic: bool,
    pub(crate) removed: bool,
    pub(crate) raw_json: &'a str,
}

pub(crate) fn group_row(raw: &Raw<Group>) -> GroupRow<'_> {
    let g = raw.value();
    GroupRow {
        id: &g.id,
        display_name: g.display_name.as_deref(),
        security_enabled: g.security_enabled,
        is_dynamic: g.is_dynamic(),
        removed: g.removed.is_some(),
        raw_json: raw.json(),
    }
}

/// (member id, member type) of a directory object; `None` when it has no id.
pub(crate) fn member_key(m: &DirectoryObject) -> Option<(&str, Option<&str>)> {
    Some((m.id()?, m.type_name()))
}

pub(crate) fn short_type(odata_type: Option<&str>) -> Option<&str> {
    let t = odata_type?;
    let t = t.strip_prefix('#').unwrap_or(t);
    Some(t.strip_prefix("microsoft.graph.").unwrap_or(t))
}

pub(crate) fn service_principal_type(sp: &ServicePrincipal) -> Option<&str> {
    sp.service_principal_type.as_ref().map(|t| t.as_str())
}

pub(crate) fn method_type(m: &AuthenticationMethod) -> &str {
    m.type_name().unwrap_or("unknown")
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

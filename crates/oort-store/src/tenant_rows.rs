//! The registry's rows as both backends read and write them: the columns of a
//! [`TenantRecord`] that are not plain values (lists as JSON, the cloud's hosts, the state), and
//! re-sealing for a re-key.

use time::OffsetDateTime;

use crate::error::StoreError;
use crate::seal::{self, MasterKey};
use crate::{StreamKind, TenantCloud, TenantCredentialKind, TenantRecord, TenantState};

const TABLE: &str = "tenant_registry";

/// The derived columns of a record.
pub(crate) struct Columns {
    pub(crate) authority_host: Option<String>,
    pub(crate) graph_url: Option<String>,
    pub(crate) disabled_streams: String,
    pub(crate) break_glass_accounts: String,
    pub(crate) protected_accounts: String,
    pub(crate) last_error: Option<String>,
    pub(crate) failing_since: Option<OffsetDateTime>,
}

fn json<T: serde::Serialize>(id: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::corrupt(TABLE, id, e))
}

pub(crate) fn columns(t: &TenantRecord) -> Result<Columns, StoreError> {
    let (authority_host, graph_url) = t.cloud.hosts();
    let (_, last_error, failing_since) = state_columns(&t.state);
    Ok(Columns {
        authority_host: authority_host.map(str::to_owned),
        graph_url: graph_url.map(str::to_owned),
        disabled_streams: json(&t.tenant_id, &t.disabled_streams)?,
        break_glass_accounts: json(&t.tenant_id, &t.break_glass_accounts)?,
        protected_accounts: json(&t.tenant_id, &t.protected_accounts)?,
        last_error,
        failing_since,
    })
}

/// The state's name, last error and failing-since columns.
pub(crate) fn state_columns(
    state: &TenantState,
) -> (&'static str, Option<String>, Option<OffsetDateTime>) {
    match state {
        TenantState::Failing { last_error, since } => (
            state.as_str(),
            Some(last_error.clone()),
            Some(crate::audit::to_micros(*since)),
        ),
        other => (other.as_str(), None, None),
    }
}

/// A registry row as read, times already parsed.
pub(crate) struct RegistryRow {
    pub(crate) tenant_id: String,
    pub(crate) display_name: Option<String>,
    pub(crate) cloud: String,
    pub(crate) authority_host: Option<String>,
    pub(crate) graph_url: Option<String>,
    pub(crate) client_id: String,
    pub(crate) credential_kind: String,
    pub(crate) sealed_credential: Option<String>,
    pub(crate) identity_client_id: Option<String>,
    pub(crate) token_file: Option<String>,
    pub(crate) devices: bool,
    pub(crate) disabled_streams: String,
    pub(crate) interval_seconds: i64,
    pub(crate) break_glass_accounts: String,
    pub(crate) protected_accounts: String,
    pub(crate) state: String,
    pub(crate) last_error: Option<String>,
    pub(crate) failing_since: Option<OffsetDateTime>,
    pub(crate) created_at: OffsetDateTime,
    pub(crate) updated_at: OffsetDateTime,
    pub(crate) credential_rotated_at: Option<OffsetDateTime>,
}

#[derive(Debug)]
struct Unreadable(&'static str);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Unreadable {}

impl RegistryRow {
    /// The record, or `Corrupt` naming the row for a value that does not read.
    pub(crate) fn into_record(self) -> Result<TenantRecord, StoreError> {
        let id = self.tenant_id.clone();
        let bad = |what: &'static str, why: &'static str| {
            StoreError::corrupt_value(TABLE, id.clone(), what, Unreadable(why))
        };
        let cloud = TenantCloud::from_parts(&self.cloud, self.authority_host, self.graph_url)
            .ok_or_else(|| {
                bad(
                    "a cloud",
                    "an unknown cloud, or a custom cloud without both hosts",
                )
            })?;
        let kind: TenantCredentialKind =
            crate::rows::stored_name(TABLE, &id, &self.credential_kind)?;
        let list = |text: &str| -> Result<Vec<String>, StoreError> {
            serde_json::from_str(text).map_err(|e| StoreError::corrupt(TABLE, id.clone(), e))
        };
        let disabled_streams: Vec<StreamKind> = serde_json::from_str(&self.disabled_streams)
            .map_err(|e| StoreError::corrupt(TABLE, id.clone(), e))?;
        let state = match (self.state.as_str(), self.last_error, self.failing_since) {
            ("enabled", _, _) => TenantState::Enabled,
            ("paused", _, _) => TenantState::Paused,
            ("failing", Some(last_error), Some(since)) => {
                TenantState::Failing { last_error, since }
            }
            _ => {
                return Err(bad(
                    "a state",
                    "an unknown state, or failing without its error and time",
                ))
            }
        };
        let mut t = TenantRecord::new(self.tenant_id, self.client_id, kind, self.created_at);
        t.display_name = self.display_name;
        t.cloud = cloud;
        t.sealed_credential = self.sealed_credential;
        t.identity_client_id = self.identity_client_id;
        t.token_file = self.token_file;
        t.devices = self.devices;
        t.disabled_streams = disabled_streams;
        t.interval_seconds = self.interval_seconds;
        t.break_glass_accounts = list(&self.break_glass_accounts)?;
        t.protected_accounts = list(&self.protected_accounts)?;
        t.state = state;
        t.updated_at = self.updated_at;
        t.credential_rotated_at = self.credential_rotated_at;
        Ok(t)
    }
}

/// A sealed value opened under `old` and sealed again under `new`.
pub(crate) fn reseal(
    old: &MasterKey,
    new: &MasterKey,
    tenant_id: &str,
    value: &str,
) -> Result<String, StoreError> {
    use secrecy::ExposeSecret;
    let plain =
        seal::unseal(old, tenant_id, value).map_err(|e| StoreError::sealed(tenant_id, e))?;
    seal::seal(new, tenant_id, plain.expose_secret()).map_err(|e| StoreError::sealed(tenant_id, e))
}

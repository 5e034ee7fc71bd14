//! Applications, service principals and their credentials (client secrets and certificates).

use std::fmt;

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::directory::Removed;
use crate::open_enum::open_enum;

open_enum! {
    /// Kind of service principal (`servicePrincipalType`).
    pub enum ServicePrincipalType {
        Application = "Application",
        ManagedIdentity = "ManagedIdentity",
        Legacy = "Legacy",
        ServiceIdentity = "ServiceIdentity",
        SocialIdp = "SocialIdp",
    }
}

open_enum! {
    /// Accounts an application accepts (`signInAudience`).
    pub enum SignInAudience {
        AzureAdMyOrg = "AzureADMyOrg",
        AzureAdMultipleOrgs = "AzureADMultipleOrgs",
        AzureAdAndPersonalMicrosoftAccount = "AzureADandPersonalMicrosoftAccount",
        PersonalMicrosoftAccount = "PersonalMicrosoftAccount",
    }
}

/// What kind of credential an [`AppCredential`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialKind {
    /// A client secret (`passwordCredentials`).
    Secret,
    /// A certificate or key (`keyCredentials`).
    Certificate,
}

impl CredentialKind {
    /// `secret` or `certificate`.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Secret => "secret",
            CredentialKind::Certificate => "certificate",
        }
    }
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A client secret of an application or service principal (`passwordCredential`).
///
/// `secret_text` is only ever returned by `addPassword`; `Debug` never prints it.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PasswordCredential {
    /// Unique id of the secret (what sign-ins' `servicePrincipalCredentialKeyId` refers to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Friendly name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Start of validity.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// Expiry: the field the expiry check reads.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date_time: Option<OffsetDateTime>,
    /// First three characters of the secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// The secret itself (only in the `addPassword` answer; null on reads).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_text: Option<String>,
    /// Custom key identifier (base64; do not use).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_identifier: Option<String>,
}

impl fmt::Debug for PasswordCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordCredential")
            .field("key_id", &self.key_id)
            .field("display_name", &self.display_name)
            .field("start_date_time", &self.start_date_time)
            .field("end_date_time", &self.end_date_time)
            .field("hint", &self.hint)
            .field(
                "secret_text",
                &self.secret_text.as_ref().map(|_| "[REDACTED]"),
            )
            .field("custom_key_identifier", &self.custom_key_identifier)
            .finish()
    }
}

/// A certificate or key of an application or service principal (`keyCredential`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct KeyCredential {
    /// Unique id of the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Friendly name (at most 90 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Start of validity.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// Expiry.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date_time: Option<OffsetDateTime>,
    /// `AsymmetricX509Cert`, `Symmetric`, ...
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub key_type: Option<String>,
    /// `Verify` (app authentication) or `Sign` (e.g. SAML signing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<String>,
    /// Thumbprint (base64) by default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_key_identifier: Option<String>,
    /// The public certificate, base64 (only on a single-object GET with `$select`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

/// One permission in `requiredResourceAccess`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResourceAccess {
    /// Permission id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Role` (application) or `Scope` (delegated).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub access_type: Option<String>,
}

/// Permissions an application asks of one resource (`requiredResourceAccess`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct RequiredResourceAccess {
    /// The resource's app id (Graph: `00000003-0000-0000-c000-000000000000`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_app_id: Option<String>,
    /// The permissions.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub resource_access: Vec<ResourceAccess>,
}

/// An app registration (`GET /applications`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Application {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Application (client) id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Accounts the app accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<SignInAudience>,
    /// Publisher domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher_domain: Option<String>,
    /// Creation time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Client secrets.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub password_credentials: Vec<PasswordCredential>,
    /// Certificates.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub key_credentials: Vec<KeyCredential>,
    /// Permissions the app requests.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub required_resource_access: Vec<RequiredResourceAccess>,
    /// Identifier URIs.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub identifier_uris: Vec<String>,
    /// Verified publisher (free-form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_publisher: Option<serde_json::Value>,
    /// App roles the application defines (free-form).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub app_roles: Vec<serde_json::Value>,
    /// Whether the app is a public client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_fallback_public_client: Option<bool>,
    /// Tags.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub tags: Vec<String>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Set when Microsoft disabled the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_by_microsoft_status: Option<String>,
    /// When the app was deleted.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
    /// Delta: the app was removed (`@removed`).
    #[serde(rename = "@removed", skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

/// An enterprise application or managed identity (`GET /servicePrincipals`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ServicePrincipal {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Application (client) id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Display name of the application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_display_name: Option<String>,
    /// Application, managed identity, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_type: Option<ServicePrincipalType>,
    /// Tenant that owns the application (another tenant for third-party apps).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_owner_organization_id: Option<String>,
    /// Whether the service principal can sign in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// Whether users need an assignment to sign in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_role_assignment_required: Option<bool>,
    /// Accounts the app accepts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_audience: Option<SignInAudience>,
    /// Publisher name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publisher_name: Option<String>,
    /// Service principal names.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub service_principal_names: Vec<String>,
    /// Client secrets.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub password_credentials: Vec<PasswordCredential>,
    /// Certificates.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub key_credentials: Vec<KeyCredential>,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Set when Microsoft disabled the service principal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_by_microsoft_status: Option<String>,
    /// Verified publisher (free-form).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verified_publisher: Option<serde_json::Value>,
    /// App roles the service principal exposes (free-form).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub app_roles: Vec<serde_json::Value>,
    /// Delegated permissions it exposes (free-form).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub oauth2_permission_scopes: Vec<serde_json::Value>,
    /// Homepage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub homepage: Option<String>,
    /// Tags.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub tags: Vec<String>,
    /// Creation time (beta).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// When the service principal was deleted.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
    /// Delta: removed (`@removed`).
    #[serde(rename = "@removed", skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

/// A credential of an application or service principal, flattened for expiry checks and storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppCredential {
    /// Secret or certificate.
    pub kind: CredentialKind,
    /// The credential's key id.
    pub key_id: Option<String>,
    /// Friendly name.
    pub display_name: Option<String>,
    /// Start of validity.
    #[serde(with = "crate::timestamp::option")]
    pub start: Option<OffsetDateTime>,
    /// Expiry.
    #[serde(with = "crate::timestamp::option")]
    pub end: Option<OffsetDateTime>,
}

impl AppCredential {
    /// A credential from its parts (e.g. read back from a store).
    pub fn new(
        kind: CredentialKind,
        key_id: Option<String>,
        display_name: Option<String>,
        start: Option<OffsetDateTime>,
        end: Option<OffsetDateTime>,
    ) -> Self {
        AppCredential {
            kind,
            key_id,
            display_name,
            start,
            end,
        }
    }

    /// Time left until expiry at `now` (negative when expired), when the expiry is known.
    pub fn remaining(&self, now: OffsetDateTime) -> Option<Duration> {
        self.end.map(|end| end - now)
    }

    /// Whether the credential has expired at `now`.
    pub fn is_expired(&self, now: OffsetDateTime) -> bool {
        self.end.is_some_and(|end| end <= now)
    }

    /// Total validity (`end - start`), when both are known.
    pub fn lifetime(&self) -> Option<Duration> {
        Some(self.end? - self.start?)
    }
}

impl From<&PasswordCredential> for AppCredential {
    fn from(c: &PasswordCredential) -> Self {
        AppCredential {
            kind: CredentialKind::Secret,
            key_id: c.key_id.clone(),
            display_name: c.display_name.clone(),
            start: c.start_date_time,
            end: c.end_date_time,
        }
    }
}

impl From<&KeyCredential> for AppCredential {
    fn from(c: &KeyCredential) -> Self {
        AppCredential {
            kind: CredentialKind::Certificate,
            key_id: c.key_id.clone(),
            display_name: c.display_name.clone(),
            start: c.start_date_time,
            end: c.end_date_time,
        }
    }
}

fn credentials(passwords: &[PasswordCredential], keys: &[KeyCredential]) -> Vec<AppCredential> {
    passwords
        .iter()
        .map(AppCredential::from)
        .chain(keys.iter().map(AppCredential::from))
        .collect()
}

impl Application {
    /// Every secret and certificate of the application.
    pub fn credentials(&self) -> Vec<AppCredential> {
        credentials(&self.password_credentials, &self.key_credentials)
    }
}

impl ServicePrincipal {
    /// Every secret and certificate of the service principal.
    pub fn credentials(&self) -> Vec<AppCredential> {
        credentials(&self.password_credentials, &self.key_credentials)
    }
}

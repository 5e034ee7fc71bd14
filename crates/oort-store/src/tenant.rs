//! The tenant registry: the tenants oort serves, each with its own app registration, cloud,
//! settings and sealed credential.

use std::fmt;

use base64::Engine as _;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use time::OffsetDateTime;

use crate::names::stored_names;
use crate::seal::{self, MasterKey, SealError, SecretBytes};
use crate::StreamKind;

stored_names! {
    /// How a tenant's app authenticates.
    #[non_exhaustive]
    pub enum TenantCredentialKind ("credential kind") {
        /// A client secret (sealed in the registry).
        Secret = "secret",
        /// A certificate with its private key, PEM or PKCS#12 (sealed, with its password).
        Certificate = "certificate",
        /// The Azure managed identity of the machine oort runs on (nothing to seal).
        ManagedIdentity = "managed-identity",
        /// A federated token file exchanged as a client assertion (nothing to seal).
        WorkloadIdentity = "workload-identity",
    }
}

impl TenantCredentialKind {
    /// Whether the registry keeps a sealed secret for this kind.
    pub fn is_sealed(self) -> bool {
        matches!(
            self,
            TenantCredentialKind::Secret | TenantCredentialKind::Certificate
        )
    }
}

/// The cloud a tenant lives in. `Custom` names its own hosts (a sovereign cloud, or a fake
/// tenant on loopback in tests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "name", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum TenantCloud {
    /// Global Azure.
    Global,
    /// US Government L4 (GCC High).
    Usgov,
    /// US Government L5 (DoD).
    UsgovDod,
    /// China (21Vianet).
    China,
    /// Any other pair of hosts.
    Custom {
        /// The token authority host, e.g. `https://login.example`.
        authority_host: String,
        /// The Graph root, without a version segment.
        graph_url: String,
    },
}

impl TenantCloud {
    /// The stored name: `global`, `usgov`, `usgov-dod`, `china` or `custom`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TenantCloud::Global => "global",
            TenantCloud::Usgov => "usgov",
            TenantCloud::UsgovDod => "usgov-dod",
            TenantCloud::China => "china",
            TenantCloud::Custom { .. } => "custom",
        }
    }

    /// The cloud of a stored name and hosts (`None` for an unknown name or a custom cloud
    /// without both hosts).
    pub fn from_parts(
        name: &str,
        authority_host: Option<String>,
        graph_url: Option<String>,
    ) -> Option<Self> {
        Some(match name {
            "global" => TenantCloud::Global,
            "usgov" => TenantCloud::Usgov,
            "usgov-dod" => TenantCloud::UsgovDod,
            "china" => TenantCloud::China,
            "custom" => TenantCloud::Custom {
                authority_host: authority_host?,
                graph_url: graph_url?,
            },
            _ => return None,
        })
    }

    /// The authority host and Graph URL of a custom cloud.
    pub fn hosts(&self) -> (Option<&str>, Option<&str>) {
        match self {
            TenantCloud::Custom {
                authority_host,
                graph_url,
            } => (Some(authority_host), Some(graph_url)),
            _ => (None, None),
        }
    }
}

/// Whether oort serves a tenant now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TenantState {
    /// Served on its schedule.
    Enabled,
    /// Not served until an operator resumes it.
    Paused,
    /// Served, but its last run failed (revoked consent, expired secret, licence gone).
    Failing {
        /// The last error, as the run reported it.
        last_error: String,
        /// Since when it fails (the first failure of the current streak).
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
}

impl TenantState {
    /// The stored name: `enabled`, `paused` or `failing`.
    pub fn as_str(&self) -> &'static str {
        match self {
            TenantState::Enabled => "enabled",
            TenantState::Paused => "paused",
            TenantState::Failing { .. } => "failing",
        }
    }
}

/// A tenant of the registry. The credential is kept only sealed
/// ([`seal_credential`]); nothing here is a secret in clear.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TenantRecord {
    /// The Entra tenant id (the key).
    pub tenant_id: String,
    /// A name for people.
    pub display_name: Option<String>,
    /// The cloud, with its hosts when custom.
    pub cloud: TenantCloud,
    /// The app registration's client id.
    pub client_id: String,
    /// How the app authenticates.
    pub credential_kind: TenantCredentialKind,
    /// The sealed secret or certificate (kinds `secret` and `certificate`): ciphertext, never
    /// serialised.
    #[serde(skip)]
    pub sealed_credential: Option<String>,
    /// A user-assigned managed identity's client id (kind `managed-identity`; `None`: the
    /// system-assigned identity).
    pub identity_client_id: Option<String>,
    /// The federated token file (kind `workload-identity`).
    pub token_file: Option<String>,
    /// Whether devices are collected (they need Intune).
    pub devices: bool,
    /// Streams not collected.
    pub disabled_streams: Vec<StreamKind>,
    /// Time between collections, in seconds.
    pub interval_seconds: i64,
    /// Break-glass accounts (UPNs or object ids).
    pub break_glass_accounts: Vec<String>,
    /// More accounts remediation must refuse.
    pub protected_accounts: Vec<String>,
    /// Enabled, paused, or failing.
    #[serde(flatten)]
    pub state: TenantState,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last changed.
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    /// When its credential was last replaced (`None`: never since it was added).
    #[serde(with = "time::serde::rfc3339::option")]
    pub credential_rotated_at: Option<OffsetDateTime>,
}

/// The default time between collections: 15 minutes.
pub const DEFAULT_INTERVAL_SECONDS: i64 = 15 * 60;

impl TenantRecord {
    /// An enabled tenant in the global cloud, collected every 15 minutes without devices,
    /// added at `at`; set the credential with [`with_sealed_credential`](Self::with_sealed_credential)
    /// (kinds `secret`, `certificate`) or the fields of the other kinds.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        credential_kind: TenantCredentialKind,
        at: OffsetDateTime,
    ) -> Self {
        let at = crate::audit::to_micros(at);
        TenantRecord {
            tenant_id: tenant_id.into(),
            display_name: None,
            cloud: TenantCloud::Global,
            client_id: client_id.into(),
            credential_kind,
            sealed_credential: None,
            identity_client_id: None,
            token_file: None,
            devices: false,
            disabled_streams: Vec::new(),
            interval_seconds: DEFAULT_INTERVAL_SECONDS,
            break_glass_accounts: Vec::new(),
            protected_accounts: Vec::new(),
            state: TenantState::Enabled,
            created_at: at,
            updated_at: at,
            credential_rotated_at: None,
        }
    }

    /// The same tenant with its sealed credential.
    pub fn with_sealed_credential(mut self, sealed: impl Into<String>) -> Self {
        self.sealed_credential = Some(sealed.into());
        self
    }

    /// The credential, opened with `key`: a wrong key, a value moved from another tenant's
    /// row, or a changed value is an error; `None` for the kinds without a sealed secret.
    pub fn open_credential(&self, key: &MasterKey) -> Result<Option<SealedCredential>, SealError> {
        self.sealed_credential
            .as_deref()
            .map(|s| unseal_credential(key, &self.tenant_id, s))
            .transpose()
    }
}

impl fmt::Debug for TenantRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantRecord")
            .field("tenant_id", &self.tenant_id)
            .field("display_name", &self.display_name)
            .field("cloud", &self.cloud)
            .field("client_id", &self.client_id)
            .field("credential_kind", &self.credential_kind)
            .field(
                "sealed_credential",
                &self.sealed_credential.as_ref().map(|_| "[SEALED]"),
            )
            .field("identity_client_id", &self.identity_client_id)
            .field("token_file", &self.token_file)
            .field("devices", &self.devices)
            .field("disabled_streams", &self.disabled_streams)
            .field("interval_seconds", &self.interval_seconds)
            .field("break_glass_accounts", &self.break_glass_accounts)
            .field("protected_accounts", &self.protected_accounts)
            .field("state", &self.state)
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .field("credential_rotated_at", &self.credential_rotated_at)
            .finish()
    }
}

/// What a change to the registry did. Anything but `Done` changed nothing (and recorded
/// nothing in the audit chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TenantChange {
    /// Changed, and recorded in the audit chain in the same transaction.
    Done,
    /// No tenant has that id in the registry.
    NotFound,
    /// The tenant is in the registry already.
    AlreadyExists,
}

/// A tenant's secret as it is sealed: a client secret, or a certificate file with its password.
#[non_exhaustive]
pub enum SealedCredential {
    /// A client secret.
    ClientSecret(SecretString),
    /// A certificate file's bytes (PEM with the key, or PKCS#12) and its password.
    Certificate {
        /// The file's bytes.
        file: SecretBytes,
        /// Whether it is PKCS#12 (`.pfx`, `.p12`) rather than PEM.
        pkcs12: bool,
        /// The PKCS#12 password.
        password: Option<SecretString>,
    },
}

impl SealedCredential {
    /// The kind this credential is.
    pub fn kind(&self) -> TenantCredentialKind {
        match self {
            SealedCredential::ClientSecret(_) => TenantCredentialKind::Secret,
            SealedCredential::Certificate { .. } => TenantCredentialKind::Certificate,
        }
    }
}

impl fmt::Debug for SealedCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SealedCredential::ClientSecret(_) => f.write_str("ClientSecret([REDACTED])"),
            SealedCredential::Certificate { pkcs12, .. } => f
                .debug_struct("Certificate")
                .field("pkcs12", pkcs12)
                .field("file", &"[REDACTED]")
                .finish_non_exhaustive(),
        }
    }
}

/// Seals a credential for `tenant_id` (see [`seal::seal`]): a JSON document of the secret, or
/// of the certificate file (base64), its format and password, sealed as one value.
pub fn seal_credential(
    key: &MasterKey,
    tenant_id: &str,
    credential: &SealedCredential,
) -> Result<String, SealError> {
    let doc = match credential {
        SealedCredential::ClientSecret(s) => {
            serde_json::json!({ "kind": "secret", "secret": s.expose_secret() })
        }
        SealedCredential::Certificate {
            file,
            pkcs12,
            password,
        } => serde_json::json!({
            "kind": "certificate",
            "format": if *pkcs12 { "pkcs12" } else { "pem" },
            "file": base64::engine::general_purpose::STANDARD.encode(file.expose_secret()),
            "password": password.as_ref().map(|p| p.expose_secret().to_owned()),
        }),
    };
    let text = zeroize::Zeroizing::new(doc.to_string());
    seal::seal(key, tenant_id, text.as_bytes())
}

/// Opens a credential sealed by [`seal_credential`].
pub fn unseal_credential(
    key: &MasterKey,
    tenant_id: &str,
    sealed: &str,
) -> Result<SealedCredential, SealError> {
    let bytes = seal::unseal(key, tenant_id, sealed)?;
    let doc: serde_json::Value = serde_json::from_slice(bytes.expose_secret())
        .map_err(|_| SealError::Malformed("the opened credential is not JSON"))?;
    let text = |name: &str| doc.get(name).and_then(|v| v.as_str()).map(str::to_owned);
    match text("kind").as_deref() {
        Some("secret") => Ok(SealedCredential::ClientSecret(SecretString::from(
            text("secret").ok_or(SealError::Malformed("a secret without its value"))?,
        ))),
        Some("certificate") => {
            let file = base64::engine::general_purpose::STANDARD
                .decode(text("file").ok_or(SealError::Malformed("a certificate without its file"))?)
                .map_err(|_| SealError::Malformed("a certificate file that is not base64"))?;
            Ok(SealedCredential::Certificate {
                file: SecretBytes::from(file),
                pkcs12: text("format").as_deref() == Some("pkcs12"),
                password: text("password").map(SecretString::from),
            })
        }
        _ => Err(SealError::Malformed("an unknown kind of credential")),
    }
}

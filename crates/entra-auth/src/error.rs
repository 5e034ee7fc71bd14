//! Errors of token acquisition.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

/// Why a token could not be obtained. Each `Display` says in one line what is wrong and what the
/// operator should do; it never contains a secret or a token.
///
/// Variants built from a token endpoint answer carry a [`TokenEndpointError`] with the OAuth
/// `error`, the AADSTS codes, `trace_id` and `correlation_id` (quote those two to Microsoft
/// support); [`AuthError::aadsts_codes`], [`AuthError::trace_id`] and
/// [`AuthError::correlation_id`] reach them from any variant.
///
/// The token endpoint's answer is mapped first by its AADSTS codes (the numbers in
/// `error_codes`, which Microsoft asks clients to branch on instead of the description text), then
/// by HTTP status and OAuth `error`:
///
/// | AADSTS code / answer | variant |
/// | --- | --- |
/// | 7000215 | [`AuthError::InvalidClientSecret`] |
/// | 7000222 | [`AuthError::ExpiredClientSecret`] |
/// | 700016 | [`AuthError::ApplicationNotFound`] |
/// | 90002 | [`AuthError::TenantNotFound`] |
/// | 90038 | [`AuthError::TenantInOtherCloud`] |
/// | 700027, 50012, 500133 | [`AuthError::InvalidClientAssertion`] |
/// | 65001, 90094 | [`AuthError::ConsentMissing`] |
/// | 90055, HTTP 429 | [`AuthError::Throttled`] |
/// | `temporarily_unavailable`, HTTP 5xx | [`AuthError::ServiceUnavailable`] |
/// | anything else | [`AuthError::Other`] |
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The credential does not acquire tokens (a placeholder or a test double).
    #[error("this credential does not acquire tokens: configure a client secret or a certificate")]
    NotImplemented,

    /// AADSTS7000215: the client secret is wrong (often the secret's ID was given instead of its
    /// value).
    #[error(
        "the client secret is not valid: use the secret's Value (not its Secret ID) from Entra ID > \
         App registrations > Certificates & secrets, or create a new secret{}",
        .0.codes_suffix()
    )]
    InvalidClientSecret(TokenEndpointError),

    /// AADSTS7000222: the client secret has expired.
    #[error(
        "the client secret has expired: create a new secret in Entra ID > App registrations > \
         Certificates & secrets{}",
        .0.codes_suffix()
    )]
    ExpiredClientSecret(TokenEndpointError),

    /// AADSTS700016: no application with this client id in the tenant.
    #[error(
        "the application was not found in the tenant: check the client id and the tenant id, and \
         that the app is registered in (or consented to by) that tenant{}",
        .0.codes_suffix()
    )]
    ApplicationNotFound(TokenEndpointError),

    /// AADSTS90002: the tenant does not exist (in this cloud).
    #[error(
        "the tenant was not found: check the tenant id or domain, and that the configured cloud is \
         the tenant's cloud{}",
        .0.codes_suffix()
    )]
    TenantNotFound(TokenEndpointError),

    /// AADSTS90038: the tenant lives in another national cloud.
    #[error(
        "the tenant belongs to another national cloud: set the cloud (global, usgov, usgovdod or \
         china) that hosts the tenant, with an app registered there{}",
        .0.codes_suffix()
    )]
    TenantInOtherCloud(TokenEndpointError),

    /// AADSTS700027, AADSTS50012, AADSTS500133: the certificate assertion was rejected (signature,
    /// unknown certificate, or outside its time range because of clock skew).
    #[error(
        "the certificate assertion was rejected: upload this certificate to Entra ID > App \
         registrations > Certificates & secrets, check that the key matches it, and that this \
         machine's clock is right{}",
        .0.codes_suffix()
    )]
    InvalidClientAssertion(TokenEndpointError),

    /// AADSTS65001 (or AADSTS90094): admin consent is missing.
    #[error(
        "the application has no admin consent in this tenant: grant admin consent in Entra ID > App \
         registrations > API permissions{}",
        .0.codes_suffix()
    )]
    ConsentMissing(TokenEndpointError),

    /// AADSTS90055 or HTTP 429: the token endpoint throttles this app (retried automatically; this
    /// is the answer once the retries are spent).
    #[error(
        "the token endpoint is throttling this application: wait {}and retry, and reuse cached \
         tokens instead of requesting new ones{}",
        .0.retry_after_hint(),
        .0.codes_suffix()
    )]
    Throttled(TokenEndpointError),

    /// `temporarily_unavailable` or HTTP 5xx (retried automatically; this is the answer once the
    /// retries are spent).
    #[error(
        "the token endpoint is temporarily unavailable (HTTP {}): retry in a few minutes{}",
        .0.status(),
        .0.codes_suffix()
    )]
    ServiceUnavailable(TokenEndpointError),

    /// The token endpoint could not be reached or its answer not read (DNS, connect, TLS,
    /// timeout, interrupted body). Retried automatically.
    #[error(
        "could not reach the token endpoint: check network access, proxy and DNS for the authority \
         host"
    )]
    Transport(#[source] TransportError),

    /// A successful answer that is not a token response (not JSON, no `access_token`, not a
    /// bearer token).
    #[error(
        "the token endpoint's answer could not be read ({reason}): check that the authority host \
         is a Microsoft Entra token endpoint"
    )]
    InvalidResponse {
        /// What was wrong with the answer (never contains the answer's token).
        reason: String,
    },

    /// The configuration cannot work: an empty or malformed tenant or client id, an unparsable
    /// URL, a tenant of `common` or `consumers`.
    #[error("invalid configuration: {reason}")]
    InvalidConfiguration {
        /// What is wrong (never contains a secret).
        reason: String,
    },

    /// A plain `http://` URL to a host that is not a loopback address.
    #[error(
        "refusing plain http to {url}: use https (plain http is allowed only to loopback addresses)"
    )]
    InsecureUrl {
        /// The refused URL.
        url: String,
    },

    /// The certificate, private key or PFX could not be used (unparsable, not RSA, key and
    /// certificate do not match, wrong PFX password).
    #[error("the certificate or private key cannot be used: {reason}")]
    InvalidCertificate {
        /// What is wrong (never contains key material or a password).
        reason: String,
    },

    /// A token supplied by the caller (a [`StaticTokenCredential`](crate::StaticTokenCredential))
    /// has expired.
    #[error("the supplied access token expired at {expired_at}: supply a new token")]
    TokenExpired {
        /// When it expired.
        expired_at: OffsetDateTime,
    },

    /// The managed identity endpoint (the instance metadata service, or App Service's identity
    /// endpoint) refused or failed: no identity assigned, an unknown user-assigned client id, or
    /// the service busy (retried automatically when `retryable`).
    #[error("the managed identity endpoint answered HTTP {status}: {message}")]
    ManagedIdentity {
        /// The HTTP status.
        status: u16,
        /// What it means and what to do (never contains a token).
        message: String,
        /// Whether asking again later may succeed (429, 5xx, IMDS's 410 while it updates).
        retryable: bool,
        /// How long the endpoint asked to wait (`Retry-After`), when it said.
        retry_after: Option<Duration>,
    },

    /// No managed identity endpoint answered: oort is not running on an Azure resource with a
    /// managed identity (or the endpoint is blocked).
    #[error(
        "no managed identity endpoint answered at {endpoint}: run oort on an Azure resource with a \
         managed identity enabled (a virtual machine, scale set, container or App Service), or \
         configure a client secret or a certificate"
    )]
    ManagedIdentityUnreachable {
        /// The endpoint that was tried.
        endpoint: String,
    },

    /// Any other refusal of the token endpoint, with its `error`, AADSTS codes, `trace_id` and
    /// `correlation_id`.
    #[error("{}", .0.other_message())]
    Other(TokenEndpointError),
}

impl AuthError {
    /// The token endpoint's answer, for the variants built from one.
    pub fn endpoint_error(&self) -> Option<&TokenEndpointError> {
        match self {
            AuthError::InvalidClientSecret(e)
            | AuthError::ExpiredClientSecret(e)
            | AuthError::ApplicationNotFound(e)
            | AuthError::TenantNotFound(e)
            | AuthError::TenantInOtherCloud(e)
            | AuthError::InvalidClientAssertion(e)
            | AuthError::ConsentMissing(e)
            | AuthError::Throttled(e)
            | AuthError::ServiceUnavailable(e)
            | AuthError::Other(e) => Some(e),
            _ => None,
        }
    }

    /// The AADSTS codes of the answer (`error_codes`), empty when there was no answer.
    pub fn aadsts_codes(&self) -> &[u32] {
        self.endpoint_error()
            .map(TokenEndpointError::aadsts_codes)
            .unwrap_or(&[])
    }

    /// The OAuth `error` of the answer (`invalid_client`, `unauthorized_client`, ...).
    pub fn oauth_error(&self) -> Option<&str> {
        self.endpoint_error().and_then(TokenEndpointError::error)
    }

    /// The answer's `trace_id` (for Microsoft support).
    pub fn trace_id(&self) -> Option<&str> {
        self.endpoint_error().and_then(TokenEndpointError::trace_id)
    }

    /// The answer's `correlation_id` (for Microsoft support).
    pub fn correlation_id(&self) -> Option<&str> {
        self.endpoint_error()
            .and_then(TokenEndpointError::correlation_id)
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.endpoint_error().map(TokenEndpointError::status)
    }

    /// How long the endpoint asked to wait (`Retry-After`), when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            AuthError::ManagedIdentity { retry_after, .. } => *retry_after,
            _ => self
                .endpoint_error()
                .and_then(TokenEndpointError::retry_after),
        }
    }

    /// Whether asking again later may succeed: throttling, an unavailable service, or a transport
    /// failure. Credential and configuration errors are never retryable.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            AuthError::Throttled(_)
                | AuthError::ServiceUnavailable(_)
                | AuthError::Transport(_)
                | AuthError::ManagedIdentity {
                    retryable: true,
                    ..
                }
        )
    }

    /// Whether the endpoint throttled the request.
    pub fn is_throttled(&self) -> bool {
        matches!(self, AuthError::Throttled(_))
    }

    /// Whether the endpoint said the app's credentials or identity are wrong (secret, assertion,
    /// client id, tenant, cloud): the operator must change the configuration.
    pub fn is_credential_error(&self) -> bool {
        matches!(
            self,
            AuthError::InvalidClientSecret(_)
                | AuthError::ExpiredClientSecret(_)
                | AuthError::ApplicationNotFound(_)
                | AuthError::TenantNotFound(_)
                | AuthError::TenantInOtherCloud(_)
                | AuthError::InvalidClientAssertion(_)
        )
    }

    /// Whether the configuration was refused before any request (bad URL, insecure URL, bad
    /// certificate, malformed id).
    pub fn is_configuration_error(&self) -> bool {
        matches!(
            self,
            AuthError::InvalidConfiguration { .. }
                | AuthError::InsecureUrl { .. }
                | AuthError::InvalidCertificate { .. }
        )
    }

    pub(crate) fn config(reason: impl Into<String>) -> Self {
        AuthError::InvalidConfiguration {
            reason: reason.into(),
        }
    }

    pub(crate) fn certificate(reason: impl Into<String>) -> Self {
        AuthError::InvalidCertificate {
            reason: reason.into(),
        }
    }

    /// Maps a token endpoint refusal to its variant (AADSTS codes first, then status and `error`).
    pub(crate) fn from_endpoint(details: TokenEndpointError) -> Self {
        let has = |code: u32| details.0.codes.contains(&code);
        if has(7000222) {
            AuthError::ExpiredClientSecret(details)
        } else if has(7000215) {
            AuthError::InvalidClientSecret(details)
        } else if has(700016) {
            AuthError::ApplicationNotFound(details)
        } else if has(90002) {
            AuthError::TenantNotFound(details)
        } else if has(90038) {
            AuthError::TenantInOtherCloud(details)
        } else if has(700027) || has(50012) || has(500133) {
            AuthError::InvalidClientAssertion(details)
        } else if has(65001) || has(90094) {
            AuthError::ConsentMissing(details)
        } else if has(90055) || details.0.status == 429 {
            AuthError::Throttled(details)
        } else if details.0.error.as_deref() == Some("temporarily_unavailable")
            || (500..600).contains(&details.0.status)
        {
            AuthError::ServiceUnavailable(details)
        } else {
            AuthError::Other(details)
        }
    }
}

/// What the token endpoint answered when it refused a request: HTTP status, OAuth `error`, AADSTS
/// codes, `trace_id`, `correlation_id`, `timestamp`, `error_uri` and `Retry-After`.
///
/// Nothing in it is secret: the endpoint never echoes the client secret or the assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenEndpointError(Box<EndpointAnswer>);

/// The fields of a [`TokenEndpointError`] (boxed, to keep `AuthError` small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EndpointAnswer {
    pub(crate) status: u16,
    pub(crate) error: Option<String>,
    pub(crate) description: Option<String>,
    pub(crate) codes: Vec<u32>,
    pub(crate) trace_id: Option<String>,
    pub(crate) correlation_id: Option<String>,
    pub(crate) timestamp: Option<String>,
    pub(crate) error_uri: Option<String>,
    pub(crate) retry_after: Option<Duration>,
}

impl From<TokenEndpointError> for AuthError {
    /// Classifies a refusal of the token endpoint (see the table on [`AuthError`]).
    fn from(details: TokenEndpointError) -> Self {
        AuthError::from_endpoint(details)
    }
}

impl TokenEndpointError {
    pub(crate) fn new(answer: EndpointAnswer) -> Self {
        TokenEndpointError(Box::new(answer))
    }

    /// Reads a token endpoint error answer: its HTTP status and body (the JSON error object;
    /// any other body keeps only the status). For fakes and test doubles that need the typed
    /// error of a given answer:
    ///
    /// ```
    /// use entra_auth::{AuthError, TokenEndpointError};
    ///
    /// let body = br#"{"error":"invalid_client","error_codes":[7000222],"trace_id":"t"}"#;
    /// let error = AuthError::from(TokenEndpointError::from_response(401, body));
    /// assert!(matches!(error, AuthError::ExpiredClientSecret(_)));
    /// assert_eq!(error.trace_id(), Some("t"));
    /// ```
    pub fn from_response(status: u16, body: &[u8]) -> Self {
        crate::endpoint::parse_error_response(status, body, None)
    }

    /// The same answer with a `Retry-After`.
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.0.retry_after = Some(retry_after);
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.0.status
    }

    /// The OAuth error class (`invalid_client`, `invalid_request`, `unauthorized_client`,
    /// `temporarily_unavailable`, ...).
    pub fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// `error_description`: Microsoft's text, starting with `AADSTSnnnn:` (for humans; branch on
    /// [`aadsts_codes`](Self::aadsts_codes) instead).
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// `error_codes`: the AADSTS numbers (also read from the description when the list is absent).
    pub fn aadsts_codes(&self) -> &[u32] {
        &self.0.codes
    }

    /// `trace_id`.
    pub fn trace_id(&self) -> Option<&str> {
        self.0.trace_id.as_deref()
    }

    /// `correlation_id`.
    pub fn correlation_id(&self) -> Option<&str> {
        self.0.correlation_id.as_deref()
    }

    /// `timestamp`, as sent (`2016-01-09 02:02:12Z`).
    pub fn timestamp(&self) -> Option<&str> {
        self.0.timestamp.as_deref()
    }

    /// `error_uri`: the lookup page for the code, when the endpoint sent one.
    pub fn error_uri(&self) -> Option<&str> {
        self.0.error_uri.as_deref()
    }

    /// The `Retry-After` the endpoint sent.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// ` (AADSTS7000222)` or empty.
    fn codes_suffix(&self) -> String {
        if self.0.codes.is_empty() {
            return String::new();
        }
        let codes: Vec<String> = self.0.codes.iter().map(|c| format!("AADSTS{c}")).collect();
        format!(" ({})", codes.join(", "))
    }

    fn retry_after_hint(&self) -> String {
        match self.0.retry_after {
            Some(d) => format!("{} s ", d.as_secs_f64().ceil()),
            None => String::new(),
        }
    }

    fn other_message(&self) -> String {
        let mut what = format!("HTTP {}", self.0.status);
        if let Some(error) = &self.0.error {
            what.push_str(", ");
            what.push_str(error);
        }
        for code in &self.0.codes {
            what.push_str(&format!(", AADSTS{code}"));
        }
        match self.0.codes.first() {
            Some(code) => format!(
                "the token endpoint refused the request ({what}): look the code up at \
                 https://login.microsoftonline.com/error?code={code}"
            ),
            None => format!(
                "the token endpoint refused the request ({what}): check the tenant id, client id, \
                 credential and cloud"
            ),
        }
    }
}

/// A failure to reach the token endpoint or read its answer: `Display` is the HTTP client's
/// message, `source()` what caused it (I/O, TLS, timeout).
#[derive(Clone)]
pub struct TransportError {
    inner: Arc<reqwest::Error>,
}

impl TransportError {
    pub(crate) fn new(error: reqwest::Error) -> Self {
        TransportError {
            inner: Arc::new(error),
        }
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.inner.is_timeout()
    }

    /// Whether the connection could not be made.
    pub fn is_connect(&self) -> bool {
        self.inner.is_connect()
    }
}

impl fmt::Debug for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.inner, f)
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.inner, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // `Display` above is the HTTP client's message; go on with what that error wraps.
        std::error::Error::source(&*self.inner)
    }
}

//! Managed identities: tokens from the Azure resource oort runs on, with no secret at all.
//!
//! Two endpoints, as Microsoft documents them:
//! - the Azure Instance Metadata Service (virtual machines, scale sets, container instances):
//!   `GET http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=R`
//!   with the header `Metadata: true` ("How to use managed identities for Azure resources on an
//!   Azure VM to acquire an access token", learn.microsoft.com/entra/identity/
//!   managed-identities-azure-resources/how-to-use-vm-token);
//! - App Service and Azure Functions: `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=R`
//!   with the header `X-IDENTITY-HEADER: {IDENTITY_HEADER}` ("How to use managed identities for
//!   App Service and Azure Functions", REST endpoint reference,
//!   learn.microsoft.com/azure/app-service/overview-managed-identity).
//!
//! Both take a v1 `resource` (the scope without `/.default`), an optional `client_id` for a
//! user-assigned identity, and answer `{"access_token", "expires_on", ...}` where `expires_on`
//! is seconds since the epoch (a string or a number).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;
use zeroize::Zeroizing;

use crate::endpoint::default_http_client;
use crate::retry::{parse_retry_after, RetryPolicy};
use crate::NetworkSettings;
use crate::{AccessToken, AuthError, Clock, CredentialIdentity, SystemClock, TokenCredential};

/// The instance metadata service's token endpoint.
pub const IMDS_TOKEN_ENDPOINT: &str = "http://169.254.169.254/metadata/identity/oauth2/token";

/// Where the managed identity's tokens come from.
#[derive(Clone)]
enum Source {
    /// The instance metadata service.
    Imds(Url),
    /// App Service's identity endpoint and the header value that proves the caller is the app.
    AppService { endpoint: Url, header: SecretString },
}

/// A token from the managed identity of the Azure resource the process runs on: the system
/// assigned one, or a user-assigned one chosen by its client id. Put a
/// [`TokenCache`](crate::TokenCache) in front of it like any credential.
///
/// ```
/// use entra_auth::ManagedIdentityCredential;
///
/// // On a virtual machine: the instance metadata service.
/// let system = ManagedIdentityCredential::builder().build().unwrap();
/// // In App Service: its identity endpoint, from IDENTITY_ENDPOINT and IDENTITY_HEADER.
/// let app = ManagedIdentityCredential::builder()
///     .app_service("http://127.0.0.1:41741/msi/token/", "header-value".into())
///     .user_assigned_client_id("00000000-0000-0000-0000-000000000002")
///     .build()
///     .unwrap();
/// assert!(!format!("{app:?}").contains("header-value"));
/// # drop(system);
/// ```
pub struct ManagedIdentityCredential {
    source: Source,
    client_id: Option<String>,
    http: reqwest::Client,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl ManagedIdentityCredential {
    /// A builder: the instance metadata service and the system-assigned identity by default.
    pub fn builder() -> ManagedIdentityCredentialBuilder {
        ManagedIdentityCredentialBuilder {
            endpoint: None,
            app_service_header: None,
            client_id: None,
            http: None,
            network: NetworkSettings::default(),
            clock: Arc::new(SystemClock),
            retry: RetryPolicy::interactive(),
        }
    }

    /// The endpoint tokens are asked from.
    pub fn endpoint(&self) -> &Url {
        match &self.source {
            Source::Imds(url) | Source::AppService { endpoint: url, .. } => url,
        }
    }

    fn request(&self, resource: &str) -> reqwest::RequestBuilder {
        let (url, api_version) = match &self.source {
            Source::Imds(url) => (url, "2018-02-01"),
            Source::AppService { endpoint, .. } => (endpoint, "2019-08-01"),
        };
        let mut url = url.clone();
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("api-version", api_version)
                .append_pair("resource", resource);
            if let Some(id) = &self.client_id {
                query.append_pair("client_id", id);
            }
        }
        let request = self.http.get(url);
        match &self.source {
            Source::Imds(_) => request.header("Metadata", "true"),
            Source::AppService { header, .. } => {
                request.header("X-IDENTITY-HEADER", header.expose_secret())
            }
        }
    }

    async fn send_once(&self, resource: &str) -> Result<AccessToken, AuthError> {
        let response = self.request(resource).send().await.map_err(|e| {
            tracing::debug!(endpoint = %self.endpoint(), "managed identity endpoint unreachable: {e}");
            AuthError::ManagedIdentityUnreachable {
                endpoint: self.endpoint().to_string(),
            }
        })?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let header =
            |name: reqwest::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| {
            parse_retry_after(v, header(reqwest::header::DATE), Some(self.clock.now()))
        });
        let body = Zeroizing::new(
            response
                .bytes()
                .await
                .map(|b| b.to_vec())
                .unwrap_or_default(),
        );
        if status == 200 {
            return parse_managed_identity_token(&body, self.clock.now());
        }
        Err(managed_identity_error(
            status,
            &body,
            retry_after,
            self.client_id.is_some(),
        ))
    }
}

/// The answer of either endpoint.
#[derive(Deserialize)]
struct MiTokenResponse {
    access_token: Option<String>,
    expires_on: Option<NumberOrText>,
    expires_in: Option<NumberOrText>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
}

impl NumberOrText {
    fn seconds(&self) -> Option<i64> {
        match self {
            NumberOrText::Number(n) => Some(*n),
            NumberOrText::Text(t) => t.trim().parse().ok(),
        }
    }
}

/// Reads a managed identity token answer: `expires_on` (epoch seconds), else `expires_in`.
pub(crate) fn parse_managed_identity_token(
    body: &[u8],
    now: OffsetDateTime,
) -> Result<AccessToken, AuthError> {
    let invalid = |reason: &str| AuthError::InvalidResponse {
        reason: reason.to_owned(),
    };
    let parsed: MiTokenResponse = serde_json::from_slice(body)
        .map_err(|_| invalid("not a JSON managed identity token answer"))?;
    let token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("no access_token"))?;
    let expires_on = match (
        parsed.expires_on.as_ref().and_then(NumberOrText::seconds),
        parsed.expires_in.as_ref().and_then(NumberOrText::seconds),
    ) {
        (Some(at), _) => OffsetDateTime::from_unix_timestamp(at)
            .map_err(|_| invalid("expires_on is not a time"))?,
        (None, Some(secs)) if (0..=86_400 * 7).contains(&secs) => {
            now + time::Duration::seconds(secs)
        }
        _ => return Err(invalid("neither expires_on nor expires_in")),
    };
    Ok(AccessToken::new(SecretString::from(token), expires_on))
}

/// What a refusal means, from its status and (JSON) body.
pub(crate) fn managed_identity_error(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    user_assigned: bool,
) -> AuthError {
    let said = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error_description")
                .or_else(|| v.get("message"))
                .or_else(|| v.get("error"))
                .and_then(|d| d.as_str().map(|s| s.chars().take(300).collect::<String>()))
        })
        .unwrap_or_default();
    let advice = match status {
        400 if user_assigned => "no user-assigned identity with this client id is assigned to the resource: assign it, or check the client id",
        400 => "no managed identity is assigned to this resource: enable its system-assigned identity, or give the client id of a user-assigned one",
        401 | 403 => "the identity endpoint refused the request: oort must run in the resource itself (the App Service header was not accepted)",
        404 | 410 => "the identity endpoint is updating: retried",
        429 => "the identity endpoint is throttling: retried",
        s if s >= 500 => "the identity endpoint failed: retried",
        _ => "unexpected answer from the identity endpoint",
    };
    AuthError::ManagedIdentity {
        status,
        message: if said.is_empty() {
            advice.to_owned()
        } else {
            format!("{advice} ({said})")
        },
        retryable: matches!(status, 404 | 410 | 429) || status >= 500,
        retry_after,
    }
}

#[async_trait]
impl TokenCredential for ManagedIdentityCredential {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        let resource = scope.strip_suffix("/.default").unwrap_or(scope);
        let started = tokio::time::Instant::now();
        let mut retry = 0u32;
        loop {
            let error = match self.send_once(resource).await {
                Ok(token) => return Ok(token),
                Err(error) => error,
            };
            retry += 1;
            let retryable = error.is_retryable()
                || matches!(error, AuthError::ManagedIdentityUnreachable { .. });
            let delay = retryable
                .then(|| {
                    self.retry
                        .delay(retry, started.elapsed(), error.retry_after())
                })
                .flatten();
            let Some(delay) = delay else {
                return Err(error);
            };
            tracing::warn!(
                endpoint = %self.endpoint(),
                retry,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "managed identity token request failed, retrying: {error}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    fn identity(&self) -> Option<CredentialIdentity> {
        Some(CredentialIdentity::new(
            self.endpoint().as_str(),
            "managed-identity",
            self.client_id.as_deref().unwrap_or("system-assigned"),
        ))
    }
}

impl fmt::Debug for ManagedIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentityCredential")
            .field("endpoint", &self.endpoint().as_str())
            .field(
                "kind",
                &match self.source {
                    Source::Imds(_) => "instance metadata service",
                    Source::AppService { .. } => "App Service",
                },
            )
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Builds a [`ManagedIdentityCredential`].
pub struct ManagedIdentityCredentialBuilder {
    endpoint: Option<String>,
    app_service_header: Option<SecretString>,
    client_id: Option<String>,
    http: Option<reqwest::Client>,
    network: NetworkSettings,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl ManagedIdentityCredentialBuilder {
    /// Extra certificate authorities for an `https` endpoint. Proxies never apply: the identity
    /// endpoints are on the machine or its link-local address, which a proxy cannot reach.
    pub fn network(mut self, network: NetworkSettings) -> Self {
        self.network = network;
        self
    }

    /// App Service's identity endpoint (`IDENTITY_ENDPOINT`) and header (`IDENTITY_HEADER`).
    pub fn app_service(mut self, endpoint: impl Into<String>, header: SecretString) -> Self {
        self.endpoint = Some(endpoint.into());
        self.app_service_header = Some(header);
        self
    }

    /// Another instance metadata endpoint than [`IMDS_TOKEN_ENDPOINT`] (a test's fake).
    pub fn imds_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self.app_service_header = None;
        self
    }

    /// A user-assigned identity, by its client id. Default: the system-assigned identity.
    pub fn user_assigned_client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The HTTP client (it should follow no redirect).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }

    /// The clock that dates tokens.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How the endpoint is retried. Default [`RetryPolicy::interactive`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Checks the endpoint: `https`, or plain `http` only to a loopback address or the instance
    /// metadata service's link-local address (where Azure serves these endpoints; a token asked
    /// elsewhere over plain http could be read on the way).
    pub fn build(self) -> Result<ManagedIdentityCredential, AuthError> {
        let text = self.endpoint.as_deref().unwrap_or(IMDS_TOKEN_ENDPOINT);
        let url = Url::parse(text).map_err(|e| {
            AuthError::config(format!(
                "the managed identity endpoint {text} is not a URL ({e})"
            ))
        })?;
        let local = match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.octets() == [169, 254, 169, 254],
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            None => false,
        };
        if url.scheme() != "https" && !(url.scheme() == "http" && local) {
            return Err(AuthError::InsecureUrl {
                url: url.to_string(),
            });
        }
        if let Some(id) = &self.client_id {
            if id.trim().is_empty() {
                return Err(AuthError::config(
                    "the user-assigned identity's client id is empty",
                ));
            }
        }
        let source = match self.app_service_header {
            Some(header) => Source::AppService {
                endpoint: url,
                header,
            },
            None => Source::Imds(url),
        };
        Ok(ManagedIdentityCredential {
            source,
            client_id: self.client_id,
            http: match self.http {
                Some(http) => http,
                None => default_http_client(&self.network.clone().no_proxy())?,
            },
            clock: self.clock,
            retry: self.retry,
        })
    }
}

impl fmt::Debug for ManagedIdentityCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedIdentityCredentialBuilder")
            .field("endpoint", &self.endpoint)
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

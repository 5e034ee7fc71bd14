//! Client credentials with a client secret.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::{ExposeSecret, SecretString};

use crate::endpoint::{ClientAuth, EndpointConfig, TokenEndpoint};
use crate::{
    AccessToken, AuthError, Clock, Cloud, CredentialIdentity, RetryPolicy, TokenCredential,
};

/// An app registration signing in with a client secret (OAuth 2.0 client credentials).
///
/// Every [`get_token`](TokenCredential::get_token) is one request to
/// `{authority}/{tenant}/oauth2/v2.0/token` (with retries); wrap the credential in a
/// [`TokenCache`](crate::TokenCache) to reuse tokens. `Debug` shows the tenant, the client id and
/// the authority, never the secret.
///
/// ```
/// use entra_auth::{ClientSecretCredential, Cloud};
/// use secrecy::SecretString;
///
/// let credential = ClientSecretCredential::builder(
///     "contoso.onmicrosoft.com",
///     "00000000-0000-0000-0000-000000000001",
///     SecretString::from("the secret value"),
/// )
/// .cloud(Cloud::UsGov)
/// .build()
/// .unwrap();
/// assert!(!format!("{credential:?}").contains("the secret value"));
/// ```
pub struct ClientSecretCredential {
    endpoint: TokenEndpoint,
    secret: SecretString,
}

impl ClientSecretCredential {
    /// A credential for the global cloud with the default settings.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> Result<Self, AuthError> {
        Self::builder(tenant_id, client_id, secret).build()
    }

    /// A builder, to choose the cloud, clock, HTTP client and retry policy.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        secret: SecretString,
    ) -> ClientSecretCredentialBuilder {
        ClientSecretCredentialBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            secret,
            config: EndpointConfig::default(),
        }
    }

    /// The tenant id or domain.
    pub fn tenant_id(&self) -> &str {
        self.endpoint.tenant_id()
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        self.endpoint.client_id()
    }

    /// The token endpoint this credential posts to.
    pub fn token_endpoint(&self) -> &url::Url {
        self.endpoint.url()
    }
}

#[async_trait]
impl TokenCredential for ClientSecretCredential {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        self.endpoint
            .request_token(scope, || Ok(ClientAuth::Secret(&self.secret)))
            .await
    }

    fn identity(&self) -> Option<CredentialIdentity> {
        Some(self.endpoint.identity())
    }
}

impl fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("tenant_id", &self.endpoint.tenant_id())
            .field("client_id", &self.endpoint.client_id())
            .field("authority", &self.endpoint.authority().as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ClientSecretCredential`].
pub struct ClientSecretCredentialBuilder {
    tenant_id: String,
    client_id: String,
    secret: SecretString,
    config: EndpointConfig,
}

impl ClientSecretCredentialBuilder {
    /// The cloud. Default [`Cloud::Global`].
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.config.cloud = cloud;
        self
    }

    /// The clock that dates tokens. Default [`SystemClock`](crate::SystemClock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// The proxy and the extra certificate authorities of the default HTTP client. Default
    /// [`NetworkSettings::default`](crate::NetworkSettings::default): the system's trust store and the environment's proxies
    /// (`HTTPS_PROXY`, `NO_PROXY`). Not used when [`http_client`](Self::http_client) is given.
    pub fn network(mut self, network: crate::NetworkSettings) -> Self {
        self.config.network = network;
        self
    }

    /// The HTTP client. Default: a client that follows no redirect, with a 10 s connect timeout
    /// and a 30 s request timeout. A client given here should not follow redirects either (a
    /// redirected POST would carry the secret to another host).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.config.http = Some(client);
        self
    }

    /// How the token endpoint is retried. Default [`RetryPolicy::interactive`] (4 retries, within
    /// a minute): a token is wanted by a request that is waiting for it.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Checks the settings: a tenant id or domain (not `common`/`consumers`), a client id, a
    /// non-empty secret, and a cloud with secure URLs.
    pub fn build(self) -> Result<ClientSecretCredential, AuthError> {
        if self.secret.expose_secret().trim().is_empty() {
            return Err(AuthError::config(
                "the client secret is empty: give the secret's Value from Entra ID > App \
                 registrations > Certificates & secrets",
            ));
        }
        let endpoint = TokenEndpoint::new(self.tenant_id, self.client_id, self.config)?;
        Ok(ClientSecretCredential {
            endpoint,
            secret: self.secret,
        })
    }
}

impl fmt::Debug for ClientSecretCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.config.cloud.authority_host().as_str())
            .finish_non_exhaustive()
    }
}

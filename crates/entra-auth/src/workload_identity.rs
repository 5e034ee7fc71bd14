//! Workload identity federation: a token issued to the workload by another identity provider
//! (a Kubernetes service account token, a CI system's OIDC token), exchanged as a client
//! assertion, so that no secret is kept at all.
//!
//! Microsoft identity platform, "Workload identity federation" and "Microsoft identity platform
//! application authentication certificate credentials" (the `client_assertion` of the client
//! credentials grant): the federated token goes in `client_assertion` with
//! `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`. Azure
//! Workload Identity for Kubernetes projects the token into a file named by
//! `AZURE_FEDERATED_TOKEN_FILE` and rotates it: the file is read again for every token request.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;

use crate::endpoint::{ClientAuth, EndpointConfig, TokenEndpoint};
use crate::{
    AccessToken, AuthError, Clock, Cloud, CredentialIdentity, RetryPolicy, TokenCredential,
};

/// An app registration (or user-assigned managed identity) signing in with a federated token
/// read from a file, as Kubernetes workload identity and CI systems provide it.
///
/// `Debug` shows the tenant, the client id, the authority and the file's path, never the token.
///
/// ```
/// use entra_auth::WorkloadIdentityCredential;
///
/// let credential = WorkloadIdentityCredential::builder(
///     "contoso.onmicrosoft.com",
///     "00000000-0000-0000-0000-000000000001",
///     "/var/run/secrets/azure/tokens/azure-identity-token",
/// )
/// .build()
/// .unwrap();
/// assert!(format!("{credential:?}").contains("azure-identity-token"));
/// ```
pub struct WorkloadIdentityCredential {
    endpoint: TokenEndpoint,
    token_file: PathBuf,
}

impl WorkloadIdentityCredential {
    /// A builder, to choose the cloud, clock, HTTP client and retry policy.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        token_file: impl Into<PathBuf>,
    ) -> WorkloadIdentityCredentialBuilder {
        WorkloadIdentityCredentialBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            token_file: token_file.into(),
            config: EndpointConfig::default(),
        }
    }

    /// The file the federated token is read from.
    pub fn token_file(&self) -> &Path {
        &self.token_file
    }

    /// The token endpoint this credential posts to.
    pub fn token_endpoint(&self) -> &url::Url {
        self.endpoint.url()
    }
}

/// Reads the federated token (trimmed); its text never appears in an error.
fn read_federated_token(path: &Path) -> Result<SecretString, AuthError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        AuthError::config(format!(
            "the federated token file {} cannot be read ({}): check AZURE_FEDERATED_TOKEN_FILE \
             and that the workload's token is projected there",
            path.display(),
            e.kind()
        ))
    })?;
    let token = text.trim();
    if token.is_empty() {
        return Err(AuthError::config(format!(
            "the federated token file {} is empty: the workload's token has not been written yet",
            path.display()
        )));
    }
    Ok(SecretString::from(token.to_owned()))
}

#[async_trait]
impl TokenCredential for WorkloadIdentityCredential {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        self.endpoint
            .request_token(scope, || {
                read_federated_token(&self.token_file).map(ClientAuth::Assertion)
            })
            .await
    }

    fn identity(&self) -> Option<CredentialIdentity> {
        Some(self.endpoint.identity())
    }
}

impl fmt::Debug for WorkloadIdentityCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredential")
            .field("tenant_id", &self.endpoint.tenant_id())
            .field("client_id", &self.endpoint.client_id())
            .field("authority", &self.endpoint.authority().as_str())
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

/// Builds a [`WorkloadIdentityCredential`].
pub struct WorkloadIdentityCredentialBuilder {
    tenant_id: String,
    client_id: String,
    token_file: PathBuf,
    config: EndpointConfig,
}

impl WorkloadIdentityCredentialBuilder {
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

    /// The HTTP client (it should follow no redirect).
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.config.http = Some(client);
        self
    }

    /// Extra certificate authorities and the proxy for the token endpoint.
    pub fn network(mut self, network: crate::NetworkSettings) -> Self {
        self.config.network = network;
        self
    }

    /// How the token endpoint is retried. Default [`RetryPolicy::interactive`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// Checks the ids, the cloud and the token file's path (the file itself is read at each
    /// token request: it is rotated under the process).
    pub fn build(self) -> Result<WorkloadIdentityCredential, AuthError> {
        if self.token_file.as_os_str().is_empty() {
            return Err(AuthError::config(
                "no federated token file: set AZURE_FEDERATED_TOKEN_FILE",
            ));
        }
        let endpoint = TokenEndpoint::new(self.tenant_id, self.client_id, self.config)?;
        Ok(WorkloadIdentityCredential {
            endpoint,
            token_file: self.token_file,
        })
    }
}

impl fmt::Debug for WorkloadIdentityCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkloadIdentityCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("token_file", &self.token_file)
            .finish_non_exhaustive()
    }
}

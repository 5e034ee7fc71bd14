//! The credential trait.

use std::fmt;

use async_trait::async_trait;

use crate::{AccessToken, AuthError};

/// Something that can produce an access token for a scope (for Graph: `{graph root}/.default`).
///
/// Object-safe: use it as `Arc<dyn TokenCredential>`. The credentials of this crate
/// ([`ClientSecretCredential`](crate::ClientSecretCredential),
/// [`ClientCertificateCredential`](crate::ClientCertificateCredential)) ask the token endpoint on
/// every call; put a [`TokenCache`](crate::TokenCache) in front of them.
#[async_trait]
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A token valid for `scope`. Caching credentials return a cached token while it is fresh.
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError>;

    /// Forgets any cached token for `scope` (a resource answered 401 with it). The default does
    /// nothing (credentials that do not cache).
    async fn invalidate(&self, scope: &str) {
        let _ = scope;
    }

    /// Who this credential signs in as: authority, tenant and client. A
    /// [`TokenCache`](crate::TokenCache) keys its entries by this identity and the scope, and
    /// names it in its log events. The default is `None` (an anonymous credential: the cache keys
    /// by scope alone).
    fn identity(&self) -> Option<CredentialIdentity> {
        None
    }
}

/// The identity a credential signs in as: authority host, tenant and client id. Nothing in it is
/// secret.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub struct CredentialIdentity {
    /// The authority host, e.g. `https://login.microsoftonline.com/`.
    pub authority: String,
    /// The tenant id or domain.
    pub tenant_id: String,
    /// The application (client) id.
    pub client_id: String,
}

impl CredentialIdentity {
    /// An identity from its three parts.
    pub fn new(
        authority: impl Into<String>,
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
    ) -> Self {
        CredentialIdentity {
            authority: authority.into(),
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
        }
    }
}

impl fmt::Display for CredentialIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "client {} in tenant {} at {}",
            self.client_id, self.tenant_id, self.authority
        )
    }
}

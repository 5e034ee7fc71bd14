//! The credential trait.

use std::fmt;

use async_trait::async_trait;

use crate::{AccessToken, AuthError};

/// Something that can produce an access token for a scope (for Graph: `{graph root}/.default`).
///
/// Object-safe: use it as `Arc<dyn TokenCredential>`.
#[async_trait]
pub trait TokenCredential: Send + Sync + fmt::Debug {
    /// A token valid for `scope`. Caching credentials return a cached token while it is fresh.
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError>;

    /// Forgets any cached token for `scope` (a resource answered 401 with it). The default does
    /// nothing (credentials that do not cache).
    async fn invalidate(&self, scope: &str) {
        let _ = scope;
    }
}

//! A credential that hands out one token obtained elsewhere.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::{AccessToken, AuthError, Clock, SystemClock, TokenCredential};

/// A fixed token, for tests and for callers that obtain tokens elsewhere (a managed identity
/// sidecar, `az account get-access-token`). It answers every scope with the same token until the
/// token expires, then with [`AuthError::TokenExpired`]. `Debug` never shows the token.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// use std::sync::Arc;
/// use entra_auth::{AuthError, ManualClock, StaticTokenCredential, TokenCredential};
/// use secrecy::SecretString;
/// use time::{macros::datetime, Duration};
///
/// let clock = ManualClock::new(datetime!(2025-01-01 00:00 UTC));
/// let credential = StaticTokenCredential::from_token(
///     SecretString::from("a token from elsewhere"),
///     datetime!(2025-01-01 01:00 UTC),
/// )
/// .with_clock(Arc::new(clock.clone()));
/// assert!(credential.get_token("any").await.is_ok());
/// clock.advance(Duration::hours(2));
/// assert!(matches!(credential.get_token("any").await, Err(AuthError::TokenExpired { .. })));
/// # }
/// ```
#[derive(Clone)]
pub struct StaticTokenCredential {
    token: AccessToken,
    clock: Arc<dyn Clock>,
}

impl StaticTokenCredential {
    /// A credential answering with `token` (on the system clock).
    pub fn new(token: AccessToken) -> Self {
        StaticTokenCredential {
            token,
            clock: Arc::new(SystemClock),
        }
    }

    /// A credential answering with `token`, expiring at `expires_on`; its claims are decoded from
    /// the token.
    pub fn from_token(token: SecretString, expires_on: OffsetDateTime) -> Self {
        Self::new(AccessToken::new(token, expires_on))
    }

    /// The clock that decides expiry. Default [`SystemClock`].
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
}

#[async_trait]
impl TokenCredential for StaticTokenCredential {
    async fn get_token(&self, _scope: &str) -> Result<AccessToken, AuthError> {
        if self.token.is_expired_at(self.clock.now()) {
            return Err(AuthError::TokenExpired {
                expired_at: self.token.expires_on,
            });
        }
        Ok(self.token.clone())
    }
}

impl fmt::Debug for StaticTokenCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticTokenCredential")
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

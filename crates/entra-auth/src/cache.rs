//! The token cache: early refresh, single flight, stale-while-valid on failure.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use time::{Duration, OffsetDateTime};

use crate::{AccessToken, AuthError, Clock, CredentialIdentity, SystemClock, TokenCredential};

/// Default refresh margin: a token is renewed when less than this is left.
const DEFAULT_REFRESH_BEFORE: Duration = Duration::minutes(5);
/// Default pause between refresh attempts after one failed while the cached token was valid.
const DEFAULT_FAILED_REFRESH_PAUSE: Duration = Duration::seconds(30);

/// A cache in front of any [`TokenCredential`], itself a `TokenCredential`.
///
/// - **Keys.** Entries are keyed by (authority, tenant, client, scope): the first three come from
///   the inner credential's [`identity`](TokenCredential::identity), read once when the cache is
///   made (a credential without one is keyed by scope alone). One cache fronts one credential;
///   the identity in the key is what log events name.
/// - **Early refresh.** A token is renewed when less than 5 minutes remain
///   ([`TokenCacheBuilder::refresh_before`]), or less than half its lifetime for tokens shorter
///   than twice that margin.
/// - **Single flight.** When many tasks ask at once for a missing or expired token, exactly one
///   request reaches the inner credential and every waiting task gets its answer, token or
///   error. While a still-valid token is being refreshed, other callers get the valid token at
///   once instead of waiting.
/// - **Stale while valid.** When a refresh fails while the cached token is still valid, the
///   cached token is returned and a warning logged (without the token); the refresh is tried
///   again after 30 s ([`TokenCacheBuilder::failed_refresh_pause`]). Once the token has
///   expired, the error reaches the caller.
/// - **Invalidation.** [`invalidate`](TokenCredential::invalidate) drops the scope's token (a
///   resource answered 401 with it); the next call asks for a new one.
///
/// Time is read from the injected [`Clock`], the same one the inner credential dates its tokens
/// with.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), entra_auth::AuthError> {
/// use std::sync::Arc;
/// use entra_auth::{AccessToken, StaticTokenCredential, TokenCache, TokenCredential};
/// use secrecy::SecretString;
/// use time::{Duration, OffsetDateTime};
///
/// # #[allow(clippy::disallowed_methods)]
/// let expires_on = OffsetDateTime::now_utc() + Duration::hours(1);
/// let inner = StaticTokenCredential::new(AccessToken::new(SecretString::from("t"), expires_on));
/// let cache = TokenCache::new(Arc::new(inner));
/// let token = cache.get_token("https://graph.microsoft.com/.default").await?;
/// assert_eq!(token.expires_on, expires_on);
/// # Ok(()) }
/// ```
pub struct TokenCache {
    inner: Arc<dyn TokenCredential>,
    identity: Option<CredentialIdentity>,
    clock: Arc<dyn Clock>,
    refresh_before: Duration,
    failed_refresh_pause: Duration,
    slots: Mutex<HashMap<CacheKey, Arc<Slot>>>,
}

/// (authority, tenant, client) from the credential's identity, and the scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CacheKey {
    identity: Option<CredentialIdentity>,
    scope: String,
}

/// One key's token and the lock that makes its refreshes single-flight.
#[derive(Default)]
struct Slot {
    state: Mutex<SlotState>,
    flight: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct SlotState {
    token: Option<AccessToken>,
    acquired_at: Option<OffsetDateTime>,
    /// How many requests to the inner credential have completed.
    flights: u64,
    /// The answer of the last completed request, for the callers that waited on it.
    last: Option<Result<AccessToken, AuthError>>,
    /// When the last refresh failed (cleared by a success).
    failed_at: Option<OffsetDateTime>,
}

impl Slot {
    fn state(&self) -> MutexGuard<'_, SlotState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl TokenCache {
    /// A cache with the default settings (system clock, 5-minute refresh margin).
    pub fn new(inner: Arc<dyn TokenCredential>) -> Self {
        Self::builder(inner).build()
    }

    /// A builder, to set the clock and the refresh margins.
    pub fn builder(inner: Arc<dyn TokenCredential>) -> TokenCacheBuilder {
        TokenCacheBuilder {
            inner,
            clock: Arc::new(SystemClock),
            refresh_before: DEFAULT_REFRESH_BEFORE,
            failed_refresh_pause: DEFAULT_FAILED_REFRESH_PAUSE,
        }
    }

    /// The credential behind the cache.
    pub fn inner(&self) -> &Arc<dyn TokenCredential> {
        &self.inner
    }

    /// The cached token for `scope`, if any (fresh or not), without any request.
    pub fn cached(&self, scope: &str) -> Option<AccessToken> {
        let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        let slot = slots.get(&self.key(scope))?;
        let token = slot.state().token.clone();
        token
    }

    fn key(&self, scope: &str) -> CacheKey {
        CacheKey {
            identity: self.identity.clone(),
            scope: scope.to_owned(),
        }
    }

    fn slot(&self, scope: &str) -> Arc<Slot> {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(slots.entry(self.key(scope)).or_default())
    }

    /// Whether the token needs no refresh at `now`.
    fn is_fresh(
        &self,
        token: &AccessToken,
        acquired_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
    ) -> bool {
        let lifetime_half = acquired_at
            .map(|at| (token.expires_on - at) / 2)
            .unwrap_or(self.refresh_before);
        let margin = self.refresh_before.min(lifetime_half);
        token.expires_on - now > margin
    }

    /// The answer of a flight that completed while this caller waited, if any.
    fn joined_answer(
        state: &SlotState,
        seen: u64,
        usable: Option<&AccessToken>,
        now: OffsetDateTime,
    ) -> Option<Result<AccessToken, AuthError>> {
        if state.flights == seen {
            return None;
        }
        match state.last.as_ref()? {
            Ok(token) => Some(Ok(token.clone())),
            Err(_) if usable.is_some_and(|t| !t.is_expired_at(now)) => usable.cloned().map(Ok),
            Err(error) => Some(Err(error.clone())),
        }
    }

    fn log_stale(&self, scope: &str, token: &AccessToken, error: &AuthError) {
        let identity = self.identity.as_ref();
        tracing::warn!(
            scope,
            tenant_id = identity.map(|i| i.tenant_id.as_str()),
            client_id = identity.map(|i| i.client_id.as_str()),
            expires_on = %token.expires_on,
            aadsts = ?error.aadsts_codes(),
            trace_id = error.trace_id(),
            correlation_id = error.correlation_id(),
            "token refresh failed, using the cached token until it expires: {error}"
        );
    }
}

#[async_trait]
impl TokenCredential for TokenCache {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        let slot = self.slot(scope);
        let now = self.clock.now();
        let (seen, cached, acquired_at, failed_at) = {
            let state = slot.state();
            (
                state.flights,
                state.token.clone(),
                state.acquired_at,
                state.failed_at,
            )
        };
        if let Some(token) = &cached {
            if self.is_fresh(token, acquired_at, now) {
                return Ok(token.clone());
            }
        }
        let usable = cached.filter(|t| !t.is_expired_at(now));

        let _flight = match &usable {
            // Still valid: refresh unless someone already is, or a refresh failed moments ago.
            Some(token) => {
                if failed_at.is_some_and(|at| now - at < self.failed_refresh_pause) {
                    return Ok(token.clone());
                }
                match slot.flight.try_lock() {
                    Ok(guard) => guard,
                    Err(_) => return Ok(token.clone()),
                }
            }
            // Missing or expired: wait for the flight in progress, or start one.
            None => slot.flight.lock().await,
        };
        // A flight may have completed since the snapshot: its answer is this caller's answer.
        if let Some(answer) =
            Self::joined_answer(&slot.state(), seen, usable.as_ref(), self.clock.now())
        {
            return answer;
        }

        let result = self.inner.get_token(scope).await;
        let now = self.clock.now();
        {
            let mut state = slot.state();
            state.flights += 1;
            match &result {
                Ok(token) => {
                    state.token = Some(token.clone());
                    state.acquired_at = Some(now);
                    state.failed_at = None;
                }
                Err(_) => state.failed_at = Some(now),
            }
            state.last = Some(result.clone());
        }
        match result {
            Ok(token) => Ok(token),
            Err(error) => match usable.filter(|t| !t.is_expired_at(now)) {
                Some(token) => {
                    self.log_stale(scope, &token, &error);
                    Ok(token)
                }
                None => Err(error),
            },
        }
    }

    async fn invalidate(&self, scope: &str) {
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.get(&self.key(scope)).cloned()
        };
        if let Some(slot) = slot {
            let mut state = slot.state();
            state.token = None;
            state.acquired_at = None;
            state.last = None;
            state.failed_at = None;
        }
        tracing::debug!(scope, "cached token invalidated");
        self.inner.invalidate(scope).await;
    }

    fn identity(&self) -> Option<CredentialIdentity> {
        self.identity.clone()
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries = self.slots.lock().map(|s| s.len()).unwrap_or(0);
        f.debug_struct("TokenCache")
            .field("inner", &self.inner)
            .field("refresh_before", &self.refresh_before)
            .field("failed_refresh_pause", &self.failed_refresh_pause)
            .field("entries", &entries)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TokenCache`].
pub struct TokenCacheBuilder {
    inner: Arc<dyn TokenCredential>,
    clock: Arc<dyn Clock>,
    refresh_before: Duration,
    failed_refresh_pause: Duration,
}

impl TokenCacheBuilder {
    /// The clock that decides freshness. Default [`SystemClock`]; give the inner credential the
    /// same one.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Renew a token when less than this remains. Default 5 minutes.
    pub fn refresh_before(mut self, margin: std::time::Duration) -> Self {
        self.refresh_before = Duration::try_from(margin).unwrap_or(Duration::MAX);
        self
    }

    /// After a refresh failed while the cached token was still valid, serve that token without
    /// asking again for this long. Default 30 seconds.
    pub fn failed_refresh_pause(mut self, pause: std::time::Duration) -> Self {
        self.failed_refresh_pause = Duration::try_from(pause).unwrap_or(Duration::MAX);
        self
    }

    /// The cache.
    pub fn build(self) -> TokenCache {
        TokenCache {
            identity: self.inner.identity(),
            inner: self.inner,
            clock: self.clock,
            refresh_before: self.refresh_before,
            failed_refresh_pause: self.failed_refresh_pause,
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl fmt::Debug for TokenCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCacheBuilder")
            .field("inner", &self.inner)
            .field("refresh_before", &self.refresh_before)
            .field("failed_refresh_pause", &self.failed_refresh_pause)
            .finish_non_exhaustive()
    }
}

//! The builder of a [`GraphClient`]: every setting with its default, and the checks `build`
//! makes (a credential, an `https://` base URL or `http://` to loopback).

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use entra_auth::{Clock, RetryPolicy, SystemClock, TokenCredential};
use url::Url;

use super::{GraphClient, Inner};
use crate::error::GraphError;
use crate::request::ApiVersion;
use crate::throttle::{Throttle, ThrottleLimits};

/// The default `User-Agent`.
pub const DEFAULT_USER_AGENT: &str = concat!("oort-graph-client/", env!("CARGO_PKG_VERSION"));

/// Builds a [`GraphClient`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use graph_client::{ApiVersion, GraphClient, RetryPolicy};
/// # use entra_auth::{AccessToken, AuthError, TokenCredential};
/// # #[derive(Debug)] struct Static;
/// # #[async_trait::async_trait] impl TokenCredential for Static {
/// #     async fn get_token(&self, _: &str) -> Result<AccessToken, AuthError> { unimplemented!() }
/// # }
/// # let credential = Arc::new(Static);
/// let client = GraphClient::builder()
///     .credential(credential)
///     .base_url("https://graph.microsoft.com")
///     .default_version(ApiVersion::Beta)
///     .retry_policy(RetryPolicy::default().with_max_retries(40))
///     .timeout(Some(Duration::from_secs(60)))
///     .background(true)
///     .build()?;
/// # Ok::<(), graph_client::GraphError>(())
/// ```
pub struct GraphClientBuilder {
    credential: Option<Arc<dyn TokenCredential>>,
    base_url: String,
    scope: Option<String>,
    version: ApiVersion,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    pool_idle_timeout: Option<Duration>,
    retry: RetryPolicy,
    user_agent: String,
    background: bool,
    throttle: ThrottleLimits,
    clock: Arc<dyn Clock>,
    network: entra_auth::NetworkSettings,
}

impl fmt::Debug for GraphClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClientBuilder")
            .field("credential", &self.credential)
            .field("base_url", &self.base_url)
            .field("scope", &self.scope)
            .field("version", &self.version)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("background", &self.background)
            .field("throttle", &self.throttle)
            .field("network", &self.network)
            .finish_non_exhaustive()
    }
}

impl Default for GraphClientBuilder {
    fn default() -> Self {
        GraphClientBuilder {
            credential: None,
            base_url: "https://graph.microsoft.com".to_owned(),
            scope: None,
            version: ApiVersion::V1,
            timeout: Some(Duration::from_secs(100)),
            connect_timeout: Some(Duration::from_secs(10)),
            pool_idle_timeout: Some(Duration::from_secs(90)),
            retry: RetryPolicy::default(),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            background: false,
            throttle: ThrottleLimits::default(),
            clock: Arc::new(SystemClock),
            network: entra_auth::NetworkSettings::default(),
        }
    }
}

impl GraphClientBuilder {
    /// The credential that provides tokens, asked before every request (pass an `entra-auth`
    /// [`TokenCache`](entra_auth::TokenCache), or use [`cached_credential`](Self::cached_credential),
    /// so that tokens are reused and refreshed early). Required.
    pub fn credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// Wraps `credential` in an `entra-auth` [`TokenCache`](entra_auth::TokenCache) (reuse,
    /// early refresh, single flight) and uses it. Use [`credential`](Self::credential) when the
    /// credential already caches.
    pub fn cached_credential(self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential(Arc::new(entra_auth::TokenCache::new(credential)))
    }

    /// The Graph root and token scope of a national cloud ([`Cloud::graph_root`](entra_auth::Cloud::graph_root),
    /// [`Cloud::graph_scope`](entra_auth::Cloud::graph_scope)). Default: the global cloud.
    pub fn cloud(mut self, cloud: &entra_auth::Cloud) -> Self {
        self.base_url = cloud.graph_root().to_string();
        self.scope = Some(cloud.graph_scope());
        self
    }

    /// The proxy and the certificate authorities trusted besides the system's. Default
    /// [`NetworkSettings::default`](entra_auth::NetworkSettings::default): the system's trust
    /// store and the environment's proxies (`HTTPS_PROXY`, `NO_PROXY`).
    pub fn network(mut self, network: entra_auth::NetworkSettings) -> Self {
        self.network = network;
        self
    }

    /// The Graph root, without version (e.g. `https://graph.microsoft.us`, or a loopback fake).
    /// Its scheme, host and port are the only origin the token is sent to; `http://` is accepted
    /// only for loopback hosts. Default: `https://graph.microsoft.com`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The token scope. Default: `{origin of the base URL}/.default`.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The API version of requests that do not set their own. Default: [`ApiVersion::V1`].
    pub fn default_version(mut self, version: ApiVersion) -> Self {
        self.version = version;
        self
    }

    /// The timeout of one HTTP attempt, from sending to the end of the body (`None`: no timeout).
    /// Default: 100 s.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The connect timeout (`None`: no timeout). Default: 10 s.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long an idle pooled connection is kept (`None`: until the server closes it).
    /// Default: 90 s. (Tests on paused tokio time set `None`: the pool's idle timer would
    /// otherwise make paused time jump while a request waits for the network.)
    pub fn pool_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.pool_idle_timeout = timeout;
        self
    }

    /// The retry policy. Default: [`RetryPolicy::default`] (generous, for background work).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `User-Agent`. Default: [`DEFAULT_USER_AGENT`].
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Background mode: every request carries `x-ms-throttle-priority: Low`, so that Graph
    /// throttles this traffic before interactive traffic. Default: `false`.
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// The client-side throttle limits. Default: [`ThrottleLimits::default`] (on, Graph's
    /// documented per-tenant limits, small-tenant directory quota).
    pub fn throttle_limits(mut self, limits: ThrottleLimits) -> Self {
        self.throttle = limits;
        self
    }

    /// Turns client-side pacing off (`false`) or back on with the default limits. Default: on.
    pub fn throttling(mut self, enabled: bool) -> Self {
        self.throttle.enabled = enabled;
        self
    }

    /// The local clock: it measures an HTTP-date `Retry-After` when the answer has no `Date`
    /// header, and Graph's clock is tracked as an offset from it
    /// ([`GraphClient::server_now`]). Default: the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client. Fails without a credential, with a base URL that is not an absolute
    /// `https://` URL (or `http://` to loopback), or if the HTTP stack cannot start.
    pub fn build(self) -> Result<GraphClient, GraphError> {
        let credential = self
            .credential
            .ok_or_else(|| GraphError::Config("no credential: call .credential(...)".to_owned()))?;
        let base = Url::parse(&self.base_url)
            .map_err(|e| GraphError::Config(format!("the Graph base URL is not a URL ({e})")))?;
        match base.scheme() {
            "https" => {}
            "http" if is_loopback(&base) => {}
            "http" => {
                return Err(GraphError::Config(format!(
                    "refusing plain http to {}: use https (http is allowed only to loopback)",
                    base.origin().ascii_serialization()
                )))
            }
            other => {
                return Err(GraphError::Config(format!(
                    "unsupported scheme {other}: the Graph base URL must be https"
                )))
            }
        }
        if base.host_str().is_none() || base.cannot_be_a_base() {
            return Err(GraphError::Config(
                "the Graph base URL has no host".to_owned(),
            ));
        }
        let origin = base.origin().ascii_serialization();
        let root = format!("{}{}", origin, base.path().trim_end_matches('/'));
        let scope = self.scope.unwrap_or_else(|| format!("{origin}/.default"));

        let mut http = self
            .network
            .client_builder()
            // Never follow redirects inside reqwest: the loop below follows same-origin ones and
            // refuses the rest, so the Authorization header cannot leak to another host.
            .redirect(reqwest::redirect::Policy::none())
            .gzip(true)
            .user_agent(self.user_agent.clone())
            .pool_idle_timeout(self.pool_idle_timeout);
        if let Some(t) = self.timeout {
            http = http.timeout(t);
        }
        if let Some(t) = self.connect_timeout {
            http = http.connect_timeout(t);
        }
        let http = http
            .build()
            .map_err(|e| GraphError::Config(format!("the HTTP client could not start ({e})")))?;

        Ok(GraphClient {
            inner: Arc::new(Inner {
                http,
                credential,
                scope,
                base,
                root,
                version: self.version,
                retry: self.retry,
                background: self.background,
                throttle: Throttle::new(&self.throttle),
                clock: self.clock,
                server_offset: super::ServerOffset::default(),
            }),
        })
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

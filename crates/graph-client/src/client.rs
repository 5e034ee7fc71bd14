//! The client, its builder and the one path every HTTP request takes: origin check, throttle,
//! token, send, retry.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use entra_auth::{parse_retry_after, Clock, RetryPolicy, SystemClock, TokenCredential};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::{field, Instrument};
use url::Url;

use crate::error::{ApiError, GraphError};
use crate::observe::{self, RequestEvent};
use crate::paging::{Continuation, PageStream};
use crate::request::{ApiVersion, GraphRequest, Method};
use crate::retry::is_retryable_status;
use crate::throttle::{Throttle, ThrottleClass, ThrottleLimits};

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

    /// The clock used to measure an HTTP-date `Retry-After` when the answer has no `Date`
    /// header. Default: the system clock.
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

        let mut http = reqwest::Client::builder()
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

/// A Microsoft Graph client: cheap to clone (clones share the connection pool and the throttle
/// limiter), `Send + Sync`. Use one client per tenant.
#[derive(Clone)]
pub struct GraphClient {
    pub(crate) inner: Arc<Inner>,
}

impl fmt::Debug for GraphClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GraphClient")
            .field("root", &self.inner.root)
            .field("version", &self.inner.version)
            .field("scope", &self.inner.scope)
            .field("background", &self.inner.background)
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    http: reqwest::Client,
    credential: Arc<dyn TokenCredential>,
    scope: String,
    base: Url,
    root: String,
    pub(crate) version: ApiVersion,
    pub(crate) retry: RetryPolicy,
    background: bool,
    throttle: Throttle,
    clock: Arc<dyn Clock>,
}

/// One logical request, ready to send (and to re-send on retry).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Arc<Vec<(String, String)>>,
    pub(crate) body: Option<Bytes>,
    pub(crate) class: ThrottleClass,
}

impl Call {
    /// The GET of a later page (nextLink) with the same headers and throttle class.
    pub(crate) fn next_page(&self, url: Url) -> Call {
        Call {
            method: Method::Get,
            url,
            headers: Arc::clone(&self.headers),
            body: None,
            class: self.class,
        }
    }
}

/// A success answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) method: Method,
    pub(crate) path: String,
}

impl Answer {
    pub(crate) fn decode<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        decode_json(&self.body, self.method, &self.path)
    }
}

/// Decodes a JSON body (an empty one as `null`). The body is checked as UTF-8 once and parsed
/// as `&str`: serde_json then skips its per-string UTF-8 validation, which is a large share of
/// the cost of parsing pages of sign-ins from bytes.
pub(crate) fn decode_json<T: DeserializeOwned>(
    body: &[u8],
    method: Method,
    path: &str,
) -> Result<T, GraphError> {
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(e) => return Err(GraphError::not_utf8(method.as_str(), path, body, e)),
    };
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text)
        .map_err(|e| GraphError::decode(method.as_str(), path, text.as_bytes(), e))
}

/// A success answer as received: status, headers and body.
#[derive(Debug, Clone)]
pub struct GraphResponse {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
    method: Method,
    path: String,
}

impl GraphResponse {
    /// The HTTP status (2xx).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header's value, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `request-id` header.
    pub fn request_id(&self) -> Option<&str> {
        self.header("request-id")
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the body as JSON (an empty body decodes as `null`, so `()` and `Option<T>` work).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        Answer {
            status: self.status,
            headers: HeaderMap::new(),
            body: self.body.clone(),
            method: self.method,
            path: self.path.clone(),
        }
        .decode()
    }
}

impl GraphClient {
    /// A builder with the defaults.
    pub fn builder() -> GraphClientBuilder {
        GraphClientBuilder::default()
    }

    /// The Graph root this client talks to (no version, no trailing slash).
    pub fn root(&self) -> &str {
        &self.inner.root
    }

    /// The default API version.
    pub fn default_version(&self) -> ApiVersion {
        self.inner.version
    }

    /// Sends `request` and decodes the JSON answer as `T` (an empty answer, e.g. `204`, decodes
    /// as `null`: use `()` or `Option<T>`).
    pub async fn send<T: DeserializeOwned>(&self, request: GraphRequest) -> Result<T, GraphError> {
        let call = self.inner.call_for(&request)?;
        let answer = self.inner.execute(&call).await?;
        answer.decode()
    }

    /// Sends `request` and ignores the answer's body (any 2xx is success): for `DELETE`,
    /// `PATCH` and actions such as `revokeSignInSessions`.
    pub async fn send_empty(&self, request: GraphRequest) -> Result<(), GraphError> {
        let call = self.inner.call_for(&request)?;
        self.inner.execute(&call).await.map(|_| ())
    }

    /// Sends `request` and returns the answer undecoded.
    pub async fn execute(&self, request: GraphRequest) -> Result<GraphResponse, GraphError> {
        let call = self.inner.call_for(&request)?;
        let a = self.inner.execute(&call).await?;
        Ok(GraphResponse {
            status: a.status,
            headers: a.headers,
            body: a.body,
            method: a.method,
            path: a.path,
        })
    }

    /// The pages of a collection, as a stream. While the caller processes a page, the next
    /// ones are decoded and fetched (at most three pages ahead). Every page takes the same
    /// throttle, token and retry path as the first. Use `T = Box<serde_json::value::RawValue>` for the items'
    /// exact JSON text.
    pub fn pages<T>(&self, request: GraphRequest) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        match self.inner.call_for(&request) {
            Ok(call) => PageStream::new(self.clone(), call),
            Err(e) => PageStream::failed(self.clone(), e),
        }
    }

    /// The items of a collection, as a stream (the pages of [`pages`](Self::pages), flattened).
    pub fn items<T>(&self, request: GraphRequest) -> crate::paging::ItemStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages(request).items()
    }

    /// A delta query (`users/delta`, `groups/delta`, ... or with
    /// [`GraphRequest::delta_latest`]): its pages, the last of which carries the deltaLink to
    /// save ([`Page::delta_link`](crate::Page::delta_link),
    /// [`PageStream::delta_link`]). A `410 Gone` / `syncStateNotFound` answer is
    /// [`GraphError::ResyncRequired`].
    pub fn delta<T>(&self, request: GraphRequest) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages(request)
    }

    /// Resumes paging from a saved [`Continuation`] (a nextLink or a deltaLink). A link outside
    /// the configured origin fails with [`GraphError::ForeignOrigin`] without a request.
    pub fn resume<T>(&self, continuation: Continuation) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        match self.inner.call_for_link(&continuation) {
            Ok(call) => PageStream::new(self.clone(), call),
            Err(e) => PageStream::failed(self.clone(), e),
        }
    }
}

fn tracing_path(url: &Url) -> String {
    url.path().to_owned()
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl Inner {
    pub(crate) fn check_origin(&self, url: &Url) -> Result<(), GraphError> {
        if url.origin() == self.base.origin() {
            Ok(())
        } else {
            Err(GraphError::ForeignOrigin {
                expected: self.base.origin().ascii_serialization(),
                found: url.origin().ascii_serialization(),
            })
        }
    }

    pub(crate) fn url_for(&self, request: &GraphRequest) -> Result<Url, GraphError> {
        let version = request.version.unwrap_or(self.version);
        let text = format!("{}/{}{}", self.root, version, request.relative_url());
        let url = Url::parse(&text)
            .map_err(|e| GraphError::InvalidRequest(format!("bad request path ({e})")))?;
        self.check_origin(&url)?;
        Ok(url)
    }

    pub(crate) fn call_for(&self, request: &GraphRequest) -> Result<Call, GraphError> {
        let url = self.url_for(request)?;
        let body = match &request.body {
            None => None,
            Some(Ok(bytes)) => Some(Bytes::from(bytes.clone())),
            Some(Err(e)) => {
                return Err(GraphError::InvalidRequest(format!(
                    "the body could not be serialized ({e})"
                )))
            }
        };
        let class = ThrottleClass::of(request.method, url.path(), url.query().unwrap_or(""));
        Ok(Call {
            method: request.method,
            url,
            headers: Arc::new(request.headers.clone()),
            body,
            class,
        })
    }

    pub(crate) fn call_for_link(&self, c: &Continuation) -> Result<Call, GraphError> {
        let url = Url::parse(c.link()).map_err(|e| {
            GraphError::InvalidRequest(format!("the saved link is not a URL ({e})"))
        })?;
        self.check_origin(&url)?;
        let class = c.class().unwrap_or_else(|| {
            ThrottleClass::of(Method::Get, url.path(), url.query().unwrap_or(""))
        });
        Ok(Call {
            method: Method::Get,
            url,
            headers: Arc::new(c.headers().to_vec()),
            body: None,
            class,
        })
    }

    /// Sends `call` through throttle, token and retry; returns the 2xx answer or the last error.
    pub(crate) async fn execute(&self, call: &Call) -> Result<Answer, GraphError> {
        let span = tracing::info_span!(
            "graph_request",
            method = call.method.as_str(),
            path = %tracing_path(&call.url),
            status = field::Empty,
            request_id = field::Empty,
            attempt = field::Empty,
            wait_ms = field::Empty,
        );
        self.execute_inner(call).instrument(span).await
    }

    async fn execute_inner(&self, call: &Call) -> Result<Answer, GraphError> {
        let span = tracing::Span::current();
        let start = Instant::now();
        let mut url = call.url.clone();
        let mut attempt: u32 = 0;
        let mut retries: u32 = 0;
        let mut reauthenticated = false;
        let mut redirects = 0;
        let mut waited = Duration::ZERO;
        let idempotent = call.method.is_idempotent();
        loop {
            attempt += 1;
            span.record("attempt", attempt);
            self.check_origin(&url)?;
            let path = url.path().to_owned();
            let query = url.query().unwrap_or("").to_owned();
            let paced = self
                .throttle
                .acquire(call.class, call.method, &path, &query)
                .await;
            if !paced.is_zero() {
                tracing::debug!(wait_ms = paced.as_millis() as u64, class = ?call.class, "paced by the client-side throttle");
                observe::emit(|| RequestEvent::Paced {
                    class: call.class,
                    wait: paced,
                });
            }
            let token = self
                .credential
                .get_token(&self.scope)
                .await
                .map_err(GraphError::Auth)?;
            let (request, client_request_id) =
                self.build_request(call, &url, &token.token, attempt)?;
            drop(token);

            let outcome = match self.http.execute(request).await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    match response.bytes().await {
                        Ok(body) => Ok((status, headers, body)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };

            let (status, headers, body) = match outcome {
                Ok(parts) => parts,
                Err(e) => {
                    let err = GraphError::Transport {
                        method: call.method.as_str().to_owned(),
                        path: path.clone(),
                        timed_out: e.is_timeout(),
                        source: Box::new(e.without_url()),
                    };
                    if idempotent {
                        if let Some(wait) = self.retry.delay(retries + 1, start.elapsed(), None) {
                            retries += 1;
                            waited += wait;
                            span.record("wait_ms", waited.as_millis() as u64);
                            tracing::warn!(attempt, wait_ms = wait.as_millis() as u64, error = %err, "transport error, retrying");
                            observe::emit(|| RequestEvent::Retrying {
                                class: call.class,
                                status: None,
                                wait,
                                attempt,
                            });
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    return Err(err);
                }
            };

            span.record("status", status);
            if let Some(id) = header_str(&headers, "request-id") {
                span.record("request_id", id.as_str());
            }
            if let Some(p) = header_str(&headers, "x-ms-throttle-limit-percentage")
                .and_then(|v| v.trim().parse::<f64>().ok())
            {
                self.throttle.observe_limit_percentage(call.class, p);
            }

            if (200..300).contains(&status) {
                observe::emit(|| RequestEvent::Answered {
                    class: call.class,
                    status,
                    elapsed: start.elapsed(),
                });
                return Ok(Answer {
                    status,
                    headers,
                    body,
                    method: call.method,
                    path,
                });
            }

            if (300..400).contains(&status) {
                if let Some(location) = header_str(&headers, "location") {
                    let next = url.join(&location).map_err(|e| {
                        GraphError::InvalidRequest(format!("bad redirect location ({e})"))
                    })?;
                    self.check_origin(&next)?;
                    redirects += 1;
                    if redirects <= 5 {
                        url = next;
                        continue;
                    }
                }
            }

            let header = |name: &str| header_str(&headers, name);
            let mut api = ApiError::from_parts(status, &header, &body, call.method.as_str(), &path);
            if api.client_request_id.is_none() {
                api.client_request_id = Some(client_request_id);
            }
            if api.retry_after.is_none() {
                if let Some(v) = header("retry-after") {
                    // No readable `Date` in the answer: measured against our clock.
                    api.retry_after = parse_retry_after(&v, None, Some(self.clock.now()));
                }
            }

            if status == 401 && !reauthenticated && is_invalid_token(&api) {
                reauthenticated = true;
                tracing::info!(
                    "Graph rejected the token (InvalidAuthenticationToken): refreshing it once"
                );
                self.credential.invalidate(&self.scope).await;
                continue;
            }

            if is_retryable_status(status, idempotent) {
                if let Some(wait) = self
                    .retry
                    .delay(retries + 1, start.elapsed(), api.retry_after)
                {
                    retries += 1;
                    waited += wait;
                    span.record("wait_ms", waited.as_millis() as u64);
                    tracing::info!(
                        attempt,
                        status,
                        code = api.code.as_deref().unwrap_or(""),
                        request_id = api.request_id.as_deref().unwrap_or(""),
                        wait_ms = wait.as_millis() as u64,
                        "Graph answered a retryable status, waiting"
                    );
                    observe::emit(|| RequestEvent::Retrying {
                        class: call.class,
                        status: Some(status),
                        wait,
                        attempt,
                    });
                    tokio::time::sleep(wait).await;
                    continue;
                }
                tracing::warn!(attempt, status, "retry budget exhausted");
            }
            observe::emit(|| RequestEvent::Answered {
                class: call.class,
                status,
                elapsed: start.elapsed(),
            });
            return Err(GraphError::from_api(api));
        }
    }

    pub(crate) async fn throttle_acquire(
        &self,
        class: ThrottleClass,
        method: Method,
        path: &str,
        query: &str,
    ) -> Duration {
        self.throttle.acquire(class, method, path, query).await
    }

    fn build_request(
        &self,
        call: &Call,
        url: &Url,
        token: &secrecy::SecretString,
        attempt: u32,
    ) -> Result<(reqwest::Request, String), GraphError> {
        let mut req = reqwest::Request::new(call.method.to_reqwest(), url.clone());
        let h = req.headers_mut();
        for (name, value) in call.headers.iter() {
            if is_reserved(name) {
                continue;
            }
            let n = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| GraphError::InvalidRequest(format!("bad header name {name:?}")))?;
            let v = HeaderValue::from_str(value)
                .map_err(|_| GraphError::InvalidRequest(format!("bad value for header {name}")))?;
            h.insert(n, v);
        }
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
            .map_err(|_| {
                GraphError::InvalidRequest(
                    "the access token is not a valid header value".to_owned(),
                )
            })?;
        auth.set_sensitive(true);
        h.insert(reqwest::header::AUTHORIZATION, auth);
        let id = uuid::Uuid::new_v4().to_string();
        if let Ok(v) = HeaderValue::from_str(&id) {
            h.insert(HeaderName::from_static("client-request-id"), v);
        }
        h.insert(
            HeaderName::from_static("return-client-request-id"),
            HeaderValue::from_static("true"),
        );
        if self.background {
            h.insert(
                HeaderName::from_static("x-ms-throttle-priority"),
                HeaderValue::from_static("Low"),
            );
        }
        if attempt > 1 {
            h.insert(
                HeaderName::from_static("retry-attempt"),
                HeaderValue::from(attempt - 1),
            );
        }
        if let Some(body) = &call.body {
            if !h.contains_key(reqwest::header::CONTENT_TYPE) {
                h.insert(
                    reqwest::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
            }
            *req.body_mut() = Some(reqwest::Body::from(body.clone()));
        }
        Ok((req, id))
    }
}

fn is_reserved(name: &str) -> bool {
    [
        "authorization",
        "client-request-id",
        "user-agent",
        "host",
        "content-length",
    ]
    .iter()
    .any(|r| name.eq_ignore_ascii_case(r))
}

fn is_invalid_token(api: &ApiError) -> bool {
    // An unparseable 401 body is treated like InvalidAuthenticationToken: a fresh token is the
    // only useful reaction either way, and it happens once.
    match api.code() {
        None => true,
        Some(code) => code.eq_ignore_ascii_case("InvalidAuthenticationToken"),
    }
}

//! The client and the request values it sends: a [`Call`] (one logical request) and its
//! [`Answer`]. The builder is in `builder`, the pipeline every request takes (origin check,
//! throttle, token, send, retry) in `execute`.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use entra_auth::{Clock, RetryPolicy, TokenCredential};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use url::Url;

use crate::error::GraphError;
use crate::paging::{Continuation, PageStream};
use crate::request::{ApiVersion, GraphRequest, Method};
use crate::throttle::{Throttle, ThrottleClass};

mod builder;
mod execute;

pub use builder::{GraphClientBuilder, DEFAULT_USER_AGENT};

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
    /// Graph's clock as seen in the `Date` header of its latest answer.
    pub(crate) server_offset: ServerOffset,
}

/// Graph's clock minus the local clock, in milliseconds, from the `Date` header of the latest
/// answer (`i64::MIN` until one is seen).
#[derive(Debug)]
pub(crate) struct ServerOffset(AtomicI64);

impl Default for ServerOffset {
    fn default() -> Self {
        ServerOffset(AtomicI64::new(i64::MIN))
    }
}

impl ServerOffset {
    /// Records an answer's `Date` (an HTTP-date), read at `local`.
    pub(crate) fn observe(&self, date: &str, local: OffsetDateTime) {
        let Ok(at) = httpdate::parse_http_date(date.trim()) else {
            return;
        };
        let server = OffsetDateTime::from(at);
        let millis = (server - local).whole_milliseconds();
        let millis = i64::try_from(millis).unwrap_or(i64::MAX).max(i64::MIN + 1);
        self.0.store(millis, Ordering::Relaxed);
    }

    /// The offset, once an answer with a readable `Date` was seen.
    pub(crate) fn get(&self) -> Option<time::Duration> {
        match self.0.load(Ordering::Relaxed) {
            i64::MIN => None,
            millis => Some(time::Duration::milliseconds(millis)),
        }
    }
}

/// One logical request, ready to send (and to re-send on retry).
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Arc<Vec<(String, String)>>,
    pub(crate) body: Option<Bytes>,
    pub(crate) class: ThrottleClass,
    /// Resend only answers that say the request was not run (429): set for a `$batch` holding
    /// a POST, PATCH or DELETE, which a 503 or 504 may have run.
    pub(crate) only_if_not_run: bool,
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
            only_if_not_run: false,
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

    /// Graph's clock minus the local clock (the [`clock`](GraphClientBuilder::clock) the
    /// client was built with), from the HTTP `Date` header of the latest answer (success or
    /// error). `None` until an answer with a readable `Date` has been received. The header has
    /// a resolution of one second and is written before the answer travels, so the offset is
    /// good to a second or two: enough to tell a local clock that is minutes off.
    pub fn server_clock_offset(&self) -> Option<time::Duration> {
        self.inner.server_offset.get()
    }

    /// "Now" by Graph's clock: the local clock plus [`server_clock_offset`](Self::server_clock_offset).
    /// `None` until an answer with a readable `Date` has been received. Use it for what must
    /// agree with the times Graph writes (the end of a window of sign-ins), not the local clock,
    /// which may be off.
    pub fn server_now(&self) -> Option<OffsetDateTime> {
        let offset = self.server_clock_offset()?;
        Some(self.inner.clock.now() + offset)
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
            only_if_not_run: false,
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
            only_if_not_run: false,
        })
    }
}

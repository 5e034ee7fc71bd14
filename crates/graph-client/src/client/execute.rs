//! The one path every HTTP request takes: origin check, throttle, token, send, retry.

use std::time::Duration;

use bytes::Bytes;
use entra_auth::{parse_retry_after, RetryPolicy};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::ExposeSecret;
use tokio::time::Instant;
use tracing::{field, Instrument};
use url::Url;

use super::{Answer, Call, Inner};
use crate::error::{ApiError, GraphError};
use crate::observe::{self, RequestEvent};
use crate::request::Method;
use crate::retry::is_retryable_status;
use crate::throttle::ThrottleClass;

/// Where one logical request stands across its attempts: the URL (a redirect moves it), and
/// what the retry policy, the redirect limit and the token refresh count.
struct Progress {
    start: Instant,
    url: Url,
    attempt: u32,
    retries: u32,
    reauthenticated: bool,
    redirects: u32,
    /// The time waited before retries so far (the span's `wait_ms`).
    waited: Duration,
    idempotent: bool,
}

impl Progress {
    fn new(call: &Call) -> Self {
        Progress {
            start: Instant::now(),
            url: call.url.clone(),
            attempt: 0,
            retries: 0,
            reauthenticated: false,
            redirects: 0,
            waited: Duration::ZERO,
            idempotent: call.method.is_idempotent(),
        }
    }

    /// The policy's wait before the next retry, counted as one (with `retry_after` from the
    /// answer); `None` once the retry budget is spent.
    fn next_retry(
        &mut self,
        policy: &RetryPolicy,
        retry_after: Option<Duration>,
        span: &tracing::Span,
    ) -> Option<Duration> {
        let wait = policy.delay(self.retries + 1, self.start.elapsed(), retry_after)?;
        self.retries += 1;
        self.waited += wait;
        span.record("wait_ms", self.waited.as_millis() as u64);
        Some(wait)
    }
}

/// An answer as it came off the wire.
struct Received {
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// What follows an attempt.
enum Step {
    /// The request is over: this is its result.
    Return(Result<Answer, GraphError>),
    /// Send again (to a redirect's location, with a fresh token, or after a retry wait).
    Again,
}

/// Reports a retry and waits it out.
async fn wait_to_retry(call: &Call, status: Option<u16>, wait: Duration, attempt: u32) {
    observe::emit(|| RequestEvent::Retrying {
        class: call.class,
        status,
        wait,
        attempt,
    });
    tokio::time::sleep(wait).await;
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
        let mut progress = Progress::new(call);
        loop {
            progress.attempt += 1;
            span.record("attempt", progress.attempt);
            self.check_origin(&progress.url)?;
            let path = progress.url.path().to_owned();
            let (sent, client_request_id) = self
                .send_attempt(call, &progress.url, &path, progress.attempt)
                .await?;
            let step = match sent {
                Err(e) => {
                    self.after_transport_error(call, &mut progress, &span, path, e)
                        .await
                }
                Ok(received) => {
                    self.observe_answer(call, &span, &received);
                    self.after_answer(
                        call,
                        &mut progress,
                        &span,
                        received,
                        path,
                        client_request_id,
                    )
                    .await
                }
            };
            if let Step::Return(result) = step {
                return result;
            }
        }
    }

    /// One attempt on the wire: waits for the client-side throttle, takes a token, sends and
    /// reads the whole body. The outer error ends the request (no token, a request that cannot
    /// be built); the inner one is the transport's, which may be retried. Also returns the
    /// `client-request-id` sent.
    async fn send_attempt(
        &self,
        call: &Call,
        url: &Url,
        path: &str,
        attempt: u32,
    ) -> Result<(Result<Received, reqwest::Error>, String), GraphError> {
        self.pace(call, path, url.query().unwrap_or("")).await;
        let token = self
            .credential
            .get_token(&self.scope)
            .await
            .map_err(GraphError::Auth)?;
        let (request, client_request_id) = self.build_request(call, url, &token.token, attempt)?;
        drop(token);
        Ok((self.receive(request).await, client_request_id))
    }

    /// Waits for the client-side throttle of the call's class, and reports a wait.
    async fn pace(&self, call: &Call, path: &str, query: &str) {
        let paced = self
            .throttle
            .acquire(call.class, call.method, path, query)
            .await;
        if !paced.is_zero() {
            tracing::debug!(wait_ms = paced.as_millis() as u64, class = ?call.class, "paced by the client-side throttle");
            observe::emit(|| RequestEvent::Paced {
                class: call.class,
                wait: paced,
            });
        }
    }

    /// Sends the request and reads the answer's status, headers and whole body.
    async fn receive(&self, request: reqwest::Request) -> Result<Received, reqwest::Error> {
        let response = self.http.execute(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await?;
        Ok(Received {
            status,
            headers,
            body,
        })
    }

    /// After a transport error (no answer, or a body cut short): an idempotent request is
    /// retried while the policy allows; otherwise the error is returned.
    async fn after_transport_error(
        &self,
        call: &Call,
        progress: &mut Progress,
        span: &tracing::Span,
        path: String,
        e: reqwest::Error,
    ) -> Step {
        let err = GraphError::Transport {
            method: call.method.as_str().to_owned(),
            path,
            timed_out: e.is_timeout(),
            source: Box::new(e.without_url()),
        };
        if progress.idempotent {
            if let Some(wait) = progress.next_retry(&self.retry, None, span) {
                tracing::warn!(attempt = progress.attempt, wait_ms = wait.as_millis() as u64, error = %err, "transport error, retrying");
                wait_to_retry(call, None, wait, progress.attempt).await;
                return Step::Again;
            }
        }
        Step::Return(Err(err))
    }

    /// Records the answer's status and request id on the span, Graph's clock from its `Date`
    /// header, and feeds Graph's throttle headroom (`x-ms-throttle-limit-percentage`) back to the client-side throttle.
    fn observe_answer(&self, call: &Call, span: &tracing::Span, received: &Received) {
        span.record("status", received.status);
        if let Some(date) = header_str(&received.headers, "date") {
            self.server_offset.observe(&date, self.clock.now());
        }
        if let Some(id) = header_str(&received.headers, "request-id") {
            span.record("request_id", id.as_str());
        }
        if let Some(p) = header_str(&received.headers, "x-ms-throttle-limit-percentage")
            .and_then(|v| v.trim().parse::<f64>().ok())
        {
            self.throttle.observe_limit_percentage(call.class, p);
        }
    }

    /// After an answer: a 2xx is returned; a redirect on the same origin is followed (five at
    /// most); a rejected token is refreshed once; anything else is an error, retried when the
    /// status and the policy allow.
    async fn after_answer(
        &self,
        call: &Call,
        progress: &mut Progress,
        span: &tracing::Span,
        received: Received,
        path: String,
        client_request_id: String,
    ) -> Step {
        let Received {
            status,
            headers,
            body,
        } = received;
        if (200..300).contains(&status) {
            observe::emit(|| RequestEvent::Answered {
                class: call.class,
                status,
                elapsed: progress.start.elapsed(),
            });
            return Step::Return(Ok(Answer {
                status,
                headers,
                body,
                method: call.method,
                path,
            }));
        }
        if (300..400).contains(&status) {
            if let Some(location) = header_str(&headers, "location") {
                match self.follow_redirect(progress, &location) {
                    Ok(true) => return Step::Again,
                    Ok(false) => {}
                    Err(e) => return Step::Return(Err(e)),
                }
            }
        }
        let api = self.api_error(
            status,
            &headers,
            &body,
            call.method,
            &path,
            client_request_id,
        );
        if status == 401 && !progress.reauthenticated && is_invalid_token(&api) {
            progress.reauthenticated = true;
            tracing::info!(
                "Graph rejected the token (InvalidAuthenticationToken): refreshing it once"
            );
            self.credential.invalidate(&self.scope).await;
            return Step::Again;
        }
        self.retry_or_fail(call, progress, span, status, api).await
    }

    /// Moves the request to a redirect's `location`, refused unless on the configured origin.
    /// `false` once five redirects have been followed (the answer is then an error).
    fn follow_redirect(&self, progress: &mut Progress, location: &str) -> Result<bool, GraphError> {
        let next = progress
            .url
            .join(location)
            .map_err(|e| GraphError::InvalidRequest(format!("bad redirect location ({e})")))?;
        self.check_origin(&next)?;
        progress.redirects += 1;
        if progress.redirects <= 5 {
            progress.url = next;
            return Ok(true);
        }
        Ok(false)
    }

    /// The error of a non-2xx answer, with the `client-request-id` sent when Graph did not echo
    /// it, and a `Retry-After` measured against our clock when the answer has no readable `Date`.
    fn api_error(
        &self,
        status: u16,
        headers: &HeaderMap,
        body: &[u8],
        method: Method,
        path: &str,
        client_request_id: String,
    ) -> ApiError {
        let header = |name: &str| header_str(headers, name);
        let mut api = ApiError::from_parts(status, &header, body, method.as_str(), path);
        if api.client_request_id.is_none() {
            api.client_request_id = Some(client_request_id);
        }
        if api.retry_after.is_none() {
            if let Some(v) = header("retry-after") {
                // No readable `Date` in the answer: measured against our clock.
                api.retry_after = parse_retry_after(&v, None, Some(self.clock.now()));
            }
        }
        api
    }

    /// An error answer: retried after the policy's wait when the status is retryable and the
    /// budget allows, else returned.
    async fn retry_or_fail(
        &self,
        call: &Call,
        progress: &mut Progress,
        span: &tracing::Span,
        status: u16,
        api: ApiError,
    ) -> Step {
        let retryable = if call.only_if_not_run {
            status == 429
        } else {
            is_retryable_status(status, progress.idempotent)
        };
        if retryable {
            if let Some(wait) = progress.next_retry(&self.retry, api.retry_after, span) {
                tracing::info!(
                    attempt = progress.attempt,
                    status,
                    code = api.code.as_deref().unwrap_or(""),
                    request_id = api.request_id.as_deref().unwrap_or(""),
                    wait_ms = wait.as_millis() as u64,
                    "Graph answered a retryable status, waiting"
                );
                wait_to_retry(call, Some(status), wait, progress.attempt).await;
                return Step::Again;
            }
            tracing::warn!(attempt = progress.attempt, status, "retry budget exhausted");
        }
        observe::emit(|| RequestEvent::Answered {
            class: call.class,
            status,
            elapsed: progress.start.elapsed(),
        });
        Step::Return(Err(GraphError::from_api(api)))
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

//! The one path every HTTP request takes: origin check, throttle, token, send, retry.

use std::time::Duration;

use entra_auth::parse_retry_after;
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

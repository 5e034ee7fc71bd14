//! Graph errors: the error body, correlation headers and predicates callers branch on.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use entra_auth::AuthError;
use serde_json::Value;

/// Boxed private source error (a `reqwest` or `serde_json` error is never part of the API).
type Source = Box<dyn StdError + Send + Sync + 'static>;

/// An error answer from Microsoft Graph: HTTP status, the body's `error.code` and `message`,
/// and the correlation values to quote in a support case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub(crate) status: u16,
    pub(crate) code: Option<String>,
    pub(crate) message: Option<String>,
    pub(crate) request_id: Option<String>,
    pub(crate) client_request_id: Option<String>,
    pub(crate) date: Option<String>,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) body_excerpt: Option<String>,
}

impl ApiError {
    /// The HTTP status (for a `$batch` item, the item's status).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// `error.code` of the body (`Authorization_RequestDenied`, `TooManyRequests`, ...), if the
    /// body had one.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// `error.message`: developer text; do not branch on it.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The server's `request-id` (response header, else `innerError`).
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// The `client-request-id`: as echoed by Graph, else the one this client sent.
    pub fn client_request_id(&self) -> Option<&str> {
        self.client_request_id.as_deref()
    }

    /// `innerError.date` (else the `Date` response header), as Graph wrote it.
    pub fn date(&self) -> Option<&str> {
        self.date.as_deref()
    }

    /// The `Retry-After` the answer carried, as a duration.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The URL path of the request (no query values).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// For a body that was not a Graph error object (an HTML 502 page, plain text), its first
    /// characters on one line.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.body_excerpt.as_deref()
    }

    fn code_is(&self, code: &str) -> bool {
        self.code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    }

    pub(crate) fn is_resync(&self) -> bool {
        self.status == 410 || self.code_is("syncStateNotFound") || self.code_is("resyncRequired")
    }

    /// Builds an error from a status, the response headers (as name/value pairs, any case) and
    /// the body bytes. Every documented body shape is accepted: `{"error":{...}}`, a bare
    /// `{"code":...,"message":...}`, `innerError` or `innererror`, a non-JSON body.
    pub(crate) fn from_parts(
        status: u16,
        header: &dyn Fn(&str) -> Option<String>,
        body: &[u8],
        method: &str,
        path: &str,
    ) -> ApiError {
        let mut err = ApiError {
            status,
            code: None,
            message: None,
            request_id: header("request-id"),
            client_request_id: header("client-request-id"),
            date: None,
            retry_after: header("retry-after")
                .and_then(|v| entra_auth::parse_retry_after(&v, header("date").as_deref(), None)),
            method: method.to_owned(),
            path: path.to_owned(),
            body_excerpt: None,
        };
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(map)) => {
                let root = Value::Object(map);
                let error = get_ci(&root, "error").filter(|e| e.is_object());
                let error = error.unwrap_or(&root);
                err.code = get_ci(error, "code").and_then(text);
                err.message = get_ci(error, "message").and_then(|m| match m {
                    Value::Object(_) => get_ci(m, "value").and_then(text),
                    other => text(other),
                });
                let inner = get_ci(error, "innerError");
                if let Some(inner) = inner {
                    if err.request_id.is_none() {
                        err.request_id = find_nested(inner, "request-id");
                    }
                    if err.client_request_id.is_none() {
                        err.client_request_id = find_nested(inner, "client-request-id");
                    }
                    err.date = find_nested(inner, "date");
                }
                if err.code.is_none() && err.message.is_none() && get_ci(&root, "error").is_none() {
                    err.body_excerpt = Some(excerpt(body));
                }
            }
            Ok(_) | Err(_) => {
                if !body.is_empty() {
                    err.body_excerpt = Some(excerpt(body));
                }
            }
        }
        if err.date.is_none() {
            err.date = header("date");
        }
        err
    }
}

fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    let map = value.as_object()?;
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Looks `key` up in `inner` and then in its nested `innerError`s.
fn find_nested(inner: &Value, key: &str) -> Option<String> {
    let mut current = inner;
    for _ in 0..8 {
        if let Some(v) = get_ci(current, key).and_then(text) {
            return Some(v);
        }
        current = get_ci(current, "innerError")?;
    }
    None
}

fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]);
    let one_line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    one_line.chars().take(200).collect()
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Microsoft Graph answered {} to {} {}",
            self.status, self.method, self.path
        )?;
        if let Some(code) = &self.code {
            write!(f, ": {code}")?;
        }
        if let Some(message) = &self.message {
            write!(f, " ({message})")?;
        } else if let Some(excerpt) = &self.body_excerpt {
            write!(f, " (non-Graph body: {excerpt})")?;
        }
        if let Some(id) = &self.request_id {
            write!(f, "; request-id {id}")?;
        }
        if let Some(id) = &self.client_request_id {
            write!(f, ", client-request-id {id}")?;
        }
        if let Some(date) = &self.date {
            write!(f, ", date {date}")?;
        }
        let advice = match self.status {
            401 => "; check the credential and its tenant",
            403 if self.code_is("Authentication_RequestFromNonPremiumTenantOrB2CTenant") => {
                "; the tenant needs a Microsoft Entra ID P1/P2 licence for this data"
            }
            403 => "; grant the app the permission this call needs (and admin-consent it)",
            404 => "; the object does not exist (or is not visible to the app)",
            429 | 503 | 504 => "; Graph is throttling or busy: retry later",
            _ => "",
        };
        f.write_str(advice)
    }
}

/// Everything that can go wrong talking to Microsoft Graph.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// Graph answered with an error status (after retries, where the status was retryable).
    #[error("{0}")]
    Api(Box<ApiError>),

    /// The delta or paging state expired (`410 Gone`, `syncStateNotFound`, `resyncRequired`):
    /// drop the saved deltaLink and start a full sync again.
    #[error("delta state expired, start a full sync again: {0}")]
    ResyncRequired(Box<ApiError>),

    /// No access token could be obtained.
    #[error("could not get an access token for Microsoft Graph; check the credential and its permissions")]
    Auth(#[source] AuthError),

    /// The request did not get an HTTP answer (connection, TLS, timeout).
    #[error("{method} {path} got no answer from Microsoft Graph{}; check the network and retry", if *.timed_out { " (timed out)" } else { "" })]
    Transport {
        /// The method.
        method: String,
        /// The URL path (no query values).
        path: String,
        /// Whether the request timed out.
        timed_out: bool,
        /// The transport error.
        #[source]
        source: Source,
    },

    /// A success answer whose body does not have the expected shape.
    #[error("could not decode the answer to {method} {path} at byte {offset} (line {line}, column {column}); the body does not have the expected shape")]
    Decode {
        /// The method.
        method: String,
        /// The URL path (no query values).
        path: String,
        /// Byte offset in the body where the decoder stopped (the end of the offending value).
        offset: usize,
        /// Line (1-based) of the error.
        line: usize,
        /// Column (1-based) of the error.
        column: usize,
        /// The decoder's error.
        #[source]
        source: Source,
    },

    /// A nextLink, deltaLink, redirect or request URL points outside the configured Graph origin:
    /// the request was not made and the token was not sent.
    #[error("refused to send the Graph token to {found}: only {expected} is trusted; check the link or the configured Graph URL")]
    ForeignOrigin {
        /// The configured origin (`scheme://host:port`).
        expected: String,
        /// The origin the link pointed to.
        found: String,
    },

    /// The configuration is not usable (`http://` to a non-loopback host, a bad URL, a bad
    /// header value).
    #[error("invalid Graph client configuration: {0}")]
    Config(String),

    /// A request could not be built (unserializable body, bad header value, bad link).
    #[error("invalid Graph request: {0}")]
    InvalidRequest(String),

    /// A `$batch` answer that does not fit its request (missing ids, malformed envelope).
    #[error("malformed $batch answer: {0}")]
    Batch(String),

    /// A collection page without `value`: not an empty last page (that is `"value":[]`), but
    /// an answer that is not a collection page at all, so the collection may be incomplete.
    #[error("the answer to {method} {path} is not a collection page (it has no `value`); the collection was not read to its end: check the URL, or retry later")]
    MissingValue {
        /// The method.
        method: String,
        /// The URL path (no query values).
        path: String,
    },

    /// A nextLink led back to a page this stream already fetched (or to its first request): the
    /// stream stopped instead of looping for ever.
    #[error("the nextLink of {path} leads back to a page already read in this crawl (a paging loop); the crawl stopped: retry later, and report it to Microsoft if it persists")]
    PagingLoop {
        /// The URL path (no query values) of the repeated link.
        path: String,
    },

    /// A crawl went past its page limit ([`PageStream::max_pages`](crate::PageStream::max_pages)):
    /// stopped so that it cannot starve the other work.
    #[error("the crawl of {path} went past its limit of {limit} pages and stopped; raise the limit if the collection is truly that large (pages are resumable from where it stopped)")]
    PageLimit {
        /// The URL path (no query values) of the crawl's first request.
        path: String,
        /// The limit.
        limit: u64,
    },
}

impl GraphError {
    /// The Graph error answer, if this is one (also for [`ResyncRequired`](Self::ResyncRequired)).
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            GraphError::Api(e) | GraphError::ResyncRequired(e) => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of a Graph error answer.
    pub fn status(&self) -> Option<u16> {
        self.api().map(|e| e.status)
    }

    /// The Graph `error.code`.
    pub fn code(&self) -> Option<&str> {
        self.api().and_then(|e| e.code())
    }

    /// The Graph `error.message`.
    pub fn message(&self) -> Option<&str> {
        self.api().and_then(|e| e.message())
    }

    /// The `request-id` of the failed answer.
    pub fn request_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.request_id())
    }

    /// The `client-request-id` of the failed request.
    pub fn client_request_id(&self) -> Option<&str> {
        self.api().and_then(|e| e.client_request_id())
    }

    /// `innerError.date` (or the `Date` header) of the failed answer.
    pub fn date(&self) -> Option<&str> {
        self.api().and_then(|e| e.date())
    }

    /// The `Retry-After` of the last answer.
    pub fn retry_after(&self) -> Option<Duration> {
        self.api().and_then(|e| e.retry_after())
    }

    /// 429, or code `TooManyRequests`.
    pub fn is_throttled(&self) -> bool {
        self.api()
            .is_some_and(|e| e.status == 429 || e.code_is("TooManyRequests"))
    }

    /// 404.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// 403 (missing permission, missing licence or Conditional Access).
    pub fn is_forbidden(&self) -> bool {
        self.status() == Some(403)
    }

    /// The tenant lacks the Entra ID P1/P2 licence this data needs
    /// (`Authentication_RequestFromNonPremiumTenantOrB2CTenant`): a feature is unavailable, the
    /// credential is fine.
    pub fn is_licence_required(&self) -> bool {
        self.api()
            .is_some_and(|e| e.code_is("Authentication_RequestFromNonPremiumTenantOrB2CTenant"))
    }

    /// The tenant has no active Intune licence: the Intune API (`/deviceManagement/...`,
    /// `/deviceAppManagement/...`) answers `400 BadRequest` "Request not applicable to target
    /// tenant." ("The Microsoft Graph API for Intune requires an active Intune license for the
    /// tenant": api-reference/v1.0/api/intune-devices-manageddevice-list.md; the answer itself
    /// is Intune's, as seen in microsoftgraph/msgraph-beta-sdk-go#198). The message is matched
    /// because the code, `BadRequest`, is Graph's generic one: any other 400, 403 or 404 of an
    /// Intune call is not a licence answer and is reported as what it is.
    pub fn is_intune_not_licensed(&self) -> bool {
        self.api().is_some_and(|e| {
            matches!(e.status, 400 | 403)
                && e.message.as_deref().is_some_and(|m| {
                    m.to_ascii_lowercase()
                        .contains("request not applicable to target tenant")
                })
        })
    }

    /// The app lacks a permission (`Authorization_RequestDenied`).
    pub fn is_permission_denied(&self) -> bool {
        self.api()
            .is_some_and(|e| e.code_is("Authorization_RequestDenied"))
    }

    /// The delta state expired: start a full sync again.
    pub fn is_resync_required(&self) -> bool {
        match self {
            GraphError::ResyncRequired(_) => true,
            GraphError::Api(e) => e.is_resync(),
            _ => false,
        }
    }

    /// A saved or followed continuation (a nextLink with its skip token) that Graph no longer
    /// accepts: `410 Gone`, the code `DirectoryPageTokenNotFoundException` (Microsoft's paging
    /// guide, `concepts/paging.md`, "Error handling"), or a `400` whose code or message is about
    /// the page or skip token (Graph documents no code for an expired `$skiptoken`; the message
    /// is the only sign). The remedy is to drop the link and query the rest afresh: see the
    /// collector. Meaningful only for a request that was a continuation.
    pub fn is_stale_continuation(&self) -> bool {
        let Some(api) = self.api() else {
            return false;
        };
        let code = api.code().unwrap_or_default().to_ascii_lowercase();
        if api.status == 410 || code.starts_with("directorypagetokennotfound") {
            return true;
        }
        if api.status != 400 {
            return false;
        }
        let about_token = |text: &str| {
            let text = text.to_ascii_lowercase();
            ["skiptoken", "skip token", "page token", "pagetoken"]
                .iter()
                .any(|k| text.contains(k))
        };
        about_token(&code) || api.message().is_some_and(about_token)
    }

    /// A nextLink led back to a page already read ([`GraphError::PagingLoop`]).
    pub fn is_paging_loop(&self) -> bool {
        matches!(self, GraphError::PagingLoop { .. })
    }

    /// A crawl went past its page limit ([`GraphError::PageLimit`]).
    pub fn is_page_limit(&self) -> bool {
        matches!(self, GraphError::PageLimit { .. })
    }

    /// A collection answer without `value` ([`GraphError::MissingValue`]).
    pub fn is_missing_value(&self) -> bool {
        matches!(self, GraphError::MissingValue { .. })
    }

    /// A token could not be obtained (or Graph rejected it twice).
    pub fn is_auth(&self) -> bool {
        matches!(self, GraphError::Auth(_)) || self.status() == Some(401)
    }

    /// A link pointed outside the configured Graph origin.
    pub fn is_foreign_origin(&self) -> bool {
        matches!(self, GraphError::ForeignOrigin { .. })
    }

    /// The request got no HTTP answer.
    pub fn is_transport(&self) -> bool {
        matches!(self, GraphError::Transport { .. })
    }

    /// The answer could not be decoded.
    pub fn is_decode(&self) -> bool {
        matches!(self, GraphError::Decode { .. })
    }

    /// Wraps a Graph error answer, typing the resync case.
    pub(crate) fn from_api(err: ApiError) -> GraphError {
        if err.is_resync() {
            GraphError::ResyncRequired(Box::new(err))
        } else {
            GraphError::Api(Box::new(err))
        }
    }

    pub(crate) fn decode(method: &str, path: &str, body: &[u8], err: serde_json::Error) -> Self {
        let (line, column) = (err.line(), err.column());
        GraphError::Decode {
            method: method.to_owned(),
            path: path.to_owned(),
            offset: byte_offset(body, line, column),
            line,
            column,
            source: Box::new(err),
        }
    }
}

impl GraphError {
    pub(crate) fn not_utf8(
        method: &str,
        path: &str,
        body: &[u8],
        err: std::str::Utf8Error,
    ) -> Self {
        let offset = err.valid_up_to();
        let before = &body[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = offset
            - before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        GraphError::Decode {
            method: method.to_owned(),
            path: path.to_owned(),
            offset,
            line,
            column,
            source: Box::new(err),
        }
    }
}

/// Converts serde_json's 1-based line and column (column counts bytes) into a byte offset.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    if line > 1 {
        let mut seen = 1;
        for (i, b) in body.iter().enumerate() {
            if *b == b'\n' {
                seen += 1;
                if seen == line {
                    offset = i + 1;
                    break;
                }
            }
        }
    }
    (offset + column.saturating_sub(1)).min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_offset_counts_lines() {
        let body = b"{\n  \"a\": x\n}";
        let err = serde_json::from_slice::<Value>(body).unwrap_err();
        let off = byte_offset(body, err.line(), err.column());
        assert_eq!(body[off], b'x');
    }
}

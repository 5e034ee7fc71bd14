//! Requests: method, path, OData query options, extra headers and body.

use std::fmt;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

/// The Graph API version a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ApiVersion {
    /// `v1.0`: the stable API.
    #[default]
    V1,
    /// `beta`: preview API (for example non-interactive sign-ins through `signInEventTypes`).
    Beta,
}

impl ApiVersion {
    /// The path segment: `v1.0` or `beta`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V1 => "v1.0",
            ApiVersion::Beta => "beta",
        }
    }
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP method Graph requests use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PATCH`
    Patch,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
}

impl Method {
    /// The method's name, e.g. `GET`.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// Whether sending the request twice has the same effect as once (GET, PUT, DELETE): such
    /// requests are also retried on 408, 500, 502 and transport errors.
    pub fn is_idempotent(self) -> bool {
        matches!(self, Method::Get | Method::Put | Method::Delete)
    }

    pub(crate) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Put => reqwest::Method::PUT,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Characters percent-encoded in a query value: everything but unreserved characters and the
/// few OData punctuation marks Graph expects verbatim. `#`, `&`, `=`, `+`, `?`, `%` and spaces are
/// always encoded (a `#EXT#` guest UPN in `$filter` becomes `%23EXT%23`).
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b',')
    .remove(b':')
    .remove(b'/')
    .remove(b'$')
    .remove(b'@')
    .remove(b'*');

pub(crate) fn encode_query_value(value: &str) -> String {
    utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// A request to Microsoft Graph, built with owned setters and handed to a
/// [`GraphClient`](crate::GraphClient) method (`send`, `pages`, `items`, `batch`, ...).
///
/// The path is relative to the version root (`users`, `/auditLogs/signIns`); it is used as given,
/// so percent-encode path segments that need it (a `#` in a guest UPN is `%23`). Query options are
/// encoded by the builder. Extra headers (`ConsistencyLevel`, `Prefer`) are sent on every page and
/// every retry.
///
/// ```
/// use graph_client::{ApiVersion, GraphRequest};
/// let request = GraphRequest::get("users")
///     .select(["id", "displayName", "userType"])
///     .filter("endsWith(userPrincipalName,'#EXT#@contoso.com')")
///     .count(true)
///     .consistency_eventual()
///     .top(999)
///     .version(ApiVersion::V1);
/// assert_eq!(
///     request.relative_url(),
///     "/users?$select=id,displayName,userType&$filter=endsWith(userPrincipalName,'%23EXT%23@contoso.com')&$count=true&$top=999"
/// );
/// ```
#[derive(Clone)]
pub struct GraphRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Option<Result<Vec<u8>, String>>,
    pub(crate) version: Option<ApiVersion>,
}

impl fmt::Debug for GraphRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Query values and bodies can carry personal data: only names are shown.
        let query: Vec<&str> = self.query.iter().map(|(k, _)| k.as_str()).collect();
        let headers: Vec<&str> = self.headers.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("GraphRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &query)
            .field("headers", &headers)
            .field("has_body", &self.body.is_some())
            .field("version", &self.version)
            .finish()
    }
}

impl GraphRequest {
    /// A request with `method` to `path` (relative to the version root).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        let path = path.into();
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/{path}")
        };
        GraphRequest {
            method,
            path,
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            version: None,
        }
    }

    /// A `GET` request.
    pub fn get(path: impl Into<String>) -> Self {
        Self::new(Method::Get, path)
    }

    /// A `POST` request.
    pub fn post(path: impl Into<String>) -> Self {
        Self::new(Method::Post, path)
    }

    /// A `PATCH` request.
    pub fn patch(path: impl Into<String>) -> Self {
        Self::new(Method::Patch, path)
    }

    /// A `DELETE` request.
    pub fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::Delete, path)
    }

    /// The API version for this request. Default: the client's default version.
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// `$select`: the properties to return.
    pub fn select<I, S>(self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = join(properties);
        self.query("$select", joined)
    }

    /// `$filter`: an OData filter expression, e.g. `createdDateTime ge 2024-05-01T00:00:00Z`.
    pub fn filter(self, expression: impl Into<String>) -> Self {
        self.query("$filter", expression)
    }

    /// `$top`: the page size to ask for.
    pub fn top(self, n: u32) -> Self {
        self.query("$top", n.to_string())
    }

    /// `$orderby`, e.g. `createdDateTime desc`.
    pub fn order_by(self, expression: impl Into<String>) -> Self {
        self.query("$orderby", expression)
    }

    /// `$count=true|false` (needs [`consistency_eventual`](Self::consistency_eventual) on
    /// directory objects, or it is silently ignored).
    pub fn count(self, count: bool) -> Self {
        self.query("$count", count.to_string())
    }

    /// `$search`, e.g. `"displayName:admin"` (quotes included; needs `ConsistencyLevel: eventual`).
    pub fn search(self, expression: impl Into<String>) -> Self {
        self.query("$search", expression)
    }

    /// `$expand`: relationships to inline.
    pub fn expand<I, S>(self, relationships: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined = join(relationships);
        self.query("$expand", joined)
    }

    /// `$skiptoken`. Prefer following `@odata.nextLink` (what the page streams do).
    pub fn skip_token(self, token: impl Into<String>) -> Self {
        self.query("$skiptoken", token)
    }

    /// `$deltatoken=latest`: start a delta query "from now" (the answer is just a deltaLink).
    pub fn delta_latest(self) -> Self {
        self.query("$deltatoken", "latest")
    }

    /// Any other query parameter (the value is percent-encoded). A parameter set twice is sent
    /// once, with the last value.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        if let Some(slot) = self.query.iter_mut().find(|(k, _)| *k == name) {
            slot.1 = value;
        } else {
            self.query.push((name, value));
        }
        self
    }

    /// An extra header, sent on every page and every retry. Setting a header twice keeps the last
    /// value. `Authorization`, `client-request-id` and `User-Agent` are set by the client and
    /// cannot be overridden here (they are ignored).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let name = name.into();
        let value = value.into();
        if let Some(slot) = self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(&name))
        {
            slot.1 = value;
        } else {
            self.headers.push((name, value));
        }
        self
    }

    /// `ConsistencyLevel: eventual`, needed by advanced queries (`$count`, `$search`, `endsWith`,
    /// `ne`, ...).
    pub fn consistency_eventual(self) -> Self {
        self.header("ConsistencyLevel", "eventual")
    }

    /// A `Prefer` header value, e.g. `include-unknown-enum-members` or `return=minimal`. Several
    /// calls are joined with `, `.
    pub fn prefer(mut self, preference: impl Into<String>) -> Self {
        let preference = preference.into();
        if let Some(slot) = self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case("Prefer"))
        {
            slot.1 = format!("{}, {}", slot.1, preference);
            self
        } else {
            self.header("Prefer", preference)
        }
    }

    /// A JSON body (sent with `Content-Type: application/json`). A value that cannot be
    /// serialized makes the request fail when sent, with [`GraphError::InvalidRequest`](crate::GraphError::InvalidRequest).
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Self {
        self.body = Some(serde_json::to_vec(body).map_err(|e| e.to_string()));
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The path relative to the version root, starting with `/`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The API version set on this request, if any (else the client's default applies).
    pub fn api_version(&self) -> Option<ApiVersion> {
        self.version
    }

    /// The path and encoded query, relative to the version root (the form `$batch` uses).
    pub fn relative_url(&self) -> String {
        let mut url = self.path.clone();
        let query = self.encoded_query();
        if !query.is_empty() {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&query);
        }
        url
    }

    pub(crate) fn encoded_query(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.query {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(&encode_query_value(name));
            out.push('=');
            out.push_str(&encode_query_value(value));
        }
        out
    }
}

fn join<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = String::new();
    for item in items {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(item.as_ref());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_values_are_percent_encoded_but_odata_punctuation_is_kept() {
        let r = GraphRequest::get("auditLogs/signIns")
            .filter("createdDateTime ge 2024-05-01T00:00:00Z and status/errorCode eq 0")
            .top(1000);
        assert_eq!(
            r.relative_url(),
            "/auditLogs/signIns?$filter=createdDateTime%20ge%202024-05-01T00:00:00Z%20and%20status/errorCode%20eq%200&$top=1000"
        );
    }

    #[test]
    fn setting_a_query_option_twice_keeps_the_last_value() {
        let r = GraphRequest::get("users").top(5).top(10);
        assert_eq!(r.relative_url(), "/users?$top=10");
    }

    #[test]
    fn prefer_values_accumulate() {
        let r = GraphRequest::get("users")
            .prefer("return=minimal")
            .prefer("include-unknown-enum-members");
        assert_eq!(
            r.headers,
            vec![(
                "Prefer".to_owned(),
                "return=minimal, include-unknown-enum-members".to_owned()
            )]
        );
    }

    #[test]
    fn debug_shows_no_query_values() {
        let r = GraphRequest::get("users").filter("mail eq 'secret@contoso.com'");
        let dbg = format!("{r:?}");
        assert!(!dbg.contains("secret@contoso.com"), "{dbg}");
        assert!(dbg.contains("$filter"));
    }
}

//! The token endpoint: one client-credentials request, its answer, and its retries.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::OffsetDateTime;
use url::Url;
use zeroize::Zeroizing;

use crate::error::{EndpointAnswer, TokenEndpointError, TransportError};
use crate::retry::{parse_retry_after, RetryPolicy};
use crate::{
    AccessToken, AuthError, Clock, Cloud, CredentialIdentity, NetworkSettings, SystemClock,
    TokenClaims,
};

/// `client_assertion_type` of a JWT client assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// `User-Agent` of token requests.
const USER_AGENT: &str = concat!("entra-auth/", env!("CARGO_PKG_VERSION"));

/// How the client proves who it is in one request.
pub(crate) enum ClientAuth<'a> {
    /// `client_secret`.
    Secret(&'a SecretString),
    /// `client_assertion` (a signed JWT, fresh for every request).
    Assertion(SecretString),
}

/// Settings shared by the credentials: where, with what HTTP client, on which clock, retried how.
#[derive(Clone)]
pub(crate) struct EndpointConfig {
    pub(crate) cloud: Cloud,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) network: NetworkSettings,
    pub(crate) retry: RetryPolicy,
}

impl Default for EndpointConfig {
    fn default() -> Self {
        EndpointConfig {
            cloud: Cloud::Global,
            clock: Arc::new(SystemClock),
            http: None,
            network: NetworkSettings::default(),
            retry: RetryPolicy::interactive(),
        }
    }
}

impl fmt::Debug for EndpointConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EndpointConfig")
            .field("cloud", &self.cloud)
            .field("clock", &self.clock)
            .field("network", &self.network)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// A tenant's token endpoint for one client.
pub(crate) struct TokenEndpoint {
    http: reqwest::Client,
    url: Url,
    authority: Url,
    tenant_id: String,
    client_id: String,
    clock: Arc<dyn Clock>,
    retry: RetryPolicy,
}

impl TokenEndpoint {
    /// Checks the ids and the cloud, and builds the HTTP client when none was given.
    pub(crate) fn new(
        tenant_id: String,
        client_id: String,
        config: EndpointConfig,
    ) -> Result<Self, AuthError> {
        let tenant_id = check_tenant(tenant_id)?;
        let client_id = check_client_id(client_id)?;
        config.cloud.validate()?;
        let http = match config.http {
            Some(http) => http,
            None => default_http_client(&config.network)?,
        };
        Ok(TokenEndpoint {
            http,
            url: config.cloud.token_endpoint(&tenant_id),
            authority: config.cloud.authority_host(),
            tenant_id,
            client_id,
            clock: config.clock,
            retry: config.retry,
        })
    }

    /// The token endpoint URL (also the `aud` of client assertions).
    pub(crate) fn url(&self) -> &Url {
        &self.url
    }

    pub(crate) fn authority(&self) -> &Url {
        &self.authority
    }

    pub(crate) fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub(crate) fn client_id(&self) -> &str {
        &self.client_id
    }

    pub(crate) fn clock(&self) -> &dyn Clock {
        &*self.clock
    }

    pub(crate) fn identity(&self) -> CredentialIdentity {
        CredentialIdentity::new(
            self.authority.as_str(),
            self.tenant_id.as_str(),
            self.client_id.as_str(),
        )
    }

    /// Requests a token for `scope`, retrying as the policy says. `auth` is called once per
    /// request (so that each one carries a fresh client assertion).
    pub(crate) async fn request_token<'a, F>(
        &self,
        scope: &str,
        mut auth: F,
    ) -> Result<AccessToken, AuthError>
    where
        F: FnMut() -> Result<ClientAuth<'a>, AuthError> + Send,
    {
        let started = tokio::time::Instant::now();
        let mut retry = 0u32;
        loop {
            let body = self.form_body(scope, auth()?);
            let error = match self.send_once(scope, body).await {
                Ok(token) => return Ok(token),
                Err(error) => error,
            };
            retry += 1;
            let delay = if error.is_retryable() {
                self.retry
                    .delay(retry, started.elapsed(), error.retry_after())
            } else {
                None
            };
            let Some(delay) = delay else {
                tracing::debug!(
                    tenant_id = %self.tenant_id,
                    client_id = %self.client_id,
                    scope,
                    status = error.status(),
                    aadsts = ?error.aadsts_codes(),
                    trace_id = error.trace_id(),
                    correlation_id = error.correlation_id(),
                    "token request failed: {error}"
                );
                return Err(error);
            };
            tracing::warn!(
                tenant_id = %self.tenant_id,
                client_id = %self.client_id,
                scope,
                status = error.status(),
                aadsts = ?error.aadsts_codes(),
                trace_id = error.trace_id(),
                correlation_id = error.correlation_id(),
                retry,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "token request failed, retrying: {error}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    /// The form body, URL-encoded, in memory that is wiped when dropped.
    fn form_body(&self, scope: &str, auth: ClientAuth<'_>) -> Zeroizing<String> {
        let mut body = Zeroizing::new(String::new());
        {
            let mut form = url::form_urlencoded::Serializer::new(&mut *body);
            form.append_pair("client_id", &self.client_id)
                .append_pair("scope", scope)
                .append_pair("grant_type", "client_credentials");
            match &auth {
                ClientAuth::Secret(secret) => {
                    form.append_pair("client_secret", secret.expose_secret());
                }
                ClientAuth::Assertion(assertion) => {
                    form.append_pair("client_assertion_type", JWT_BEARER)
                        .append_pair("client_assertion", assertion.expose_secret());
                }
            }
            form.finish();
        }
        body
    }

    async fn send_once(
        &self,
        scope: &str,
        mut body: Zeroizing<String>,
    ) -> Result<AccessToken, AuthError> {
        let request_id = uuid::Uuid::new_v4();
        tracing::debug!(
            tenant_id = %self.tenant_id,
            client_id = %self.client_id,
            scope,
            client_request_id = %request_id,
            endpoint = %self.url,
            "requesting a token"
        );
        // The HTTP client takes the body by value; it is not wiped after sending.
        let body = std::mem::take(&mut *body);
        let response = self
            .http
            .post(self.url.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .header(reqwest::header::USER_AGENT, USER_AGENT)
            .header("client-request-id", request_id.to_string())
            .header("return-client-request-id", "true")
            .body(body)
            .send()
            .await
            .map_err(|e| AuthError::Transport(TransportError::new(e)))?;
        let status = response.status().as_u16();
        let headers = response.headers();
        let header =
            |name: reqwest::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
        let retry_after = header(reqwest::header::RETRY_AFTER).and_then(|v| {
            parse_retry_after(v, header(reqwest::header::DATE), Some(self.clock.now()))
        });
        let bytes = Zeroizing::new(
            response
                .bytes()
                .await
                .map_err(|e| AuthError::Transport(TransportError::new(e)))?
                .to_vec(),
        );
        if (200..300).contains(&status) {
            let now = self.clock.now();
            let token = parse_token_response(&bytes, now)?;
            tracing::debug!(
                tenant_id = %self.tenant_id,
                client_id = %self.client_id,
                scope,
                client_request_id = %request_id,
                expires_on = %token.expires_on,
                roles = token.claims.roles.names().count(),
                "token acquired"
            );
            Ok(token)
        } else {
            Err(AuthError::from_endpoint(parse_error_response(
                status,
                &bytes,
                retry_after,
            )))
        }
    }
}

/// The crate's default HTTP client: the network settings' roots and proxy, no redirects (the
/// secret is never re-sent elsewhere), 10 s to connect, 30 s per request.
pub(crate) fn default_http_client(network: &NetworkSettings) -> Result<reqwest::Client, AuthError> {
    network
        .client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| AuthError::config(format!("the HTTP client could not be built ({e})")))
}

/// A tenant id (GUID) or domain: one path segment, and not `common` / `consumers`, which the
/// client-credentials grant does not accept (AADSTS9001023).
fn check_tenant(tenant_id: String) -> Result<String, AuthError> {
    let tenant = tenant_id.trim();
    if tenant.is_empty() {
        return Err(AuthError::config(
            "the tenant id is empty: give the directory (tenant) id or a verified domain",
        ));
    }
    if !tenant
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(AuthError::config(format!(
            "the tenant id {tenant:?} is neither a GUID nor a domain name"
        )));
    }
    if tenant.eq_ignore_ascii_case("common") || tenant.eq_ignore_ascii_case("consumers") {
        return Err(AuthError::config(format!(
            "the tenant {tenant:?} cannot issue app-only tokens: give the directory (tenant) id"
        )));
    }
    Ok(tenant.to_owned())
}

fn check_client_id(client_id: String) -> Result<String, AuthError> {
    let client = client_id.trim();
    if client.is_empty() || client.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(AuthError::config(format!(
            "the client id {client:?} is not valid: give the application (client) id"
        )));
    }
    Ok(client.to_owned())
}

/// `{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"..."}`.
#[derive(Deserialize)]
struct TokenResponse {
    token_type: Option<String>,
    expires_in: Option<Seconds>,
    ext_expires_in: Option<Seconds>,
    access_token: Option<String>,
}

/// A number of seconds, sent as a number (v2.0 endpoint) or a string (v1.0 endpoint).
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(i64),
    Text(String),
}

impl Seconds {
    fn get(&self) -> Option<i64> {
        match self {
            Seconds::Number(n) => Some(*n),
            Seconds::Text(s) => s.trim().parse().ok(),
        }
    }
}

pub(crate) fn parse_token_response(
    body: &[u8],
    now: OffsetDateTime,
) -> Result<AccessToken, AuthError> {
    let invalid = |reason: &str| AuthError::InvalidResponse {
        reason: reason.to_owned(),
    };
    let parsed: TokenResponse =
        serde_json::from_slice(body).map_err(|_| invalid("not a JSON token response"))?;
    // Move the token into a secret at once, before any other check can return early.
    let token = SecretString::from(
        parsed
            .access_token
            .ok_or_else(|| invalid("no access_token"))?,
    );
    if token.expose_secret().is_empty() {
        return Err(invalid("an empty access_token"));
    }
    if let Some(kind) = &parsed.token_type {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::InvalidResponse {
                reason: format!("token_type {kind:?} instead of Bearer"),
            });
        }
    }
    let claims = TokenClaims::from_jwt(token.expose_secret()).unwrap_or_default();
    let expires_in = parsed.expires_in.as_ref().and_then(Seconds::get);
    let expires_on = match expires_in {
        // Checked: a lifetime past the calendar's end (`9223372036854775807`) is not a token.
        Some(seconds) if seconds >= 0 => now
            .checked_add(time::Duration::seconds(seconds))
            .ok_or_else(|| invalid("an expires_in past the end of the calendar"))?,
        Some(_) => return Err(invalid("a negative expires_in")),
        None => jwt_expiry(token.expose_secret()).ok_or_else(|| invalid("no expires_in"))?,
    };
    if let Some(ext) = parsed.ext_expires_in.as_ref().and_then(Seconds::get) {
        // Kept for diagnostics only: Graph checks the token's own `exp`, so a token is never
        // used past `expires_in` (see the crate docs).
        tracing::trace!(ext_expires_in = ext, "extended lifetime offered");
    }
    Ok(AccessToken {
        token,
        expires_on,
        claims,
    })
}

/// The `exp` claim of a JWT, for answers without `expires_in`.
fn jwt_expiry(token: &str) -> Option<OffsetDateTime> {
    #[derive(Deserialize)]
    struct Exp {
        exp: i64,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = crate::token::decode_base64url(payload)?;
    let exp: Exp = serde_json::from_slice(&bytes).ok()?;
    OffsetDateTime::from_unix_timestamp(exp.exp).ok()
}

#[derive(Deserialize, Default)]
struct ErrorResponse {
    error: Option<String>,
    error_description: Option<String>,
    #[serde(default)]
    error_codes: Vec<u32>,
    timestamp: Option<String>,
    trace_id: Option<String>,
    correlation_id: Option<String>,
    error_uri: Option<String>,
}

pub(crate) fn parse_error_response(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> TokenEndpointError {
    let parsed: ErrorResponse = serde_json::from_slice(body).unwrap_or_default();
    let mut codes = parsed.error_codes;
    if codes.is_empty() {
        if let Some(description) = &parsed.error_description {
            codes = codes_in(description);
        }
    }
    TokenEndpointError::new(EndpointAnswer {
        status,
        error: parsed.error,
        description: parsed.error_description,
        codes,
        trace_id: parsed.trace_id,
        correlation_id: parsed.correlation_id,
        timestamp: parsed.timestamp,
        error_uri: parsed.error_uri,
        retry_after,
    })
}

/// The `AADSTSnnnn` codes named in a description, in order, without repeats.
fn codes_in(text: &str) -> Vec<u32> {
    let mut codes = Vec::new();
    for (index, _) in text.match_indices("AADSTS") {
        let digits: String = text[index + "AADSTS".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(code) = digits.parse::<u32>() {
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reads_codes_from_the_description_when_the_list_is_missing() {
        let details = parse_error_response(
            400,
            br#"{"error":"invalid_client","error_description":"AADSTS7000222: expired.\r\nTrace ID: x"}"#,
            None,
        );
        assert_eq!(details.aadsts_codes(), [7000222]);
    }

    #[test]
    fn a_non_json_error_keeps_its_status() {
        let details = parse_error_response(502, b"<html>bad gateway</html>", None);
        assert_eq!(details.status(), 502);
        assert_eq!(details.error(), None);
        assert!(matches!(
            AuthError::from_endpoint(details),
            AuthError::ServiceUnavailable(_)
        ));
    }

    #[test]
    fn expires_in_may_be_a_string() {
        let now = datetime!(2025-01-01 00:00 UTC);
        let token = parse_token_response(
            br#"{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","access_token":"opaque"}"#,
            now,
        )
        .unwrap();
        assert_eq!(token.expires_on, now + time::Duration::seconds(3599));
    }

    #[test]
    fn refuses_answers_that_are_not_bearer_tokens() {
        let now = datetime!(2025-01-01 00:00 UTC);
        for body in [
            &b"not json"[..],
            br#"{"expires_in":1}"#,
            br#"{"access_token":"","expires_in":1}"#,
            br#"{"token_type":"pop","access_token":"t","expires_in":1}"#,
            br#"{"access_token":"opaque"}"#,
        ] {
            let error = parse_token_response(body, now).unwrap_err();
            assert!(
                matches!(error, AuthError::InvalidResponse { .. }),
                "{error}"
            );
            assert!(!error.to_string().contains("opaque"));
        }
    }

    #[test]
    fn tenant_ids_are_checked() {
        assert!(check_tenant("contoso.onmicrosoft.com".into()).is_ok());
        assert!(check_tenant("72f988bf-86f1-41af-91ab-2d7cd011db47".into()).is_ok());
        for bad in ["", "common", "Consumers", "a/b", "a b", "x?y"] {
            assert!(check_tenant(bad.into()).is_err(), "{bad}");
        }
        assert!(check_client_id(" ".into()).is_err());
    }
}

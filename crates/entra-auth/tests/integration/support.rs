//! Shared fixtures: a mock token endpoint, tokens, credentials on a manual clock.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use entra_auth::{ClientSecretCredential, Cloud, ManualClock, RetryPolicy};
use secrecy::SecretString;
use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
pub(crate) const CLIENT: &str = "0e6a5f3c-1b2d-4c8e-9f00-000000000001";
/// A secret with every character class that form encoding must escape.
pub(crate) const SECRET: &str = "Sx8Q~s3cr3t+/=&?%value with spaces";

pub(crate) fn start_time() -> OffsetDateTime {
    datetime!(2025-06-01 12:00 UTC)
}

pub(crate) fn token_path() -> String {
    format!("/{TENANT}/oauth2/v2.0/token")
}

/// A mock token endpoint with a catch-all that fails the test on any request no other mock
/// expects (checked when the server is dropped).
pub(crate) async fn server() -> MockServer {
    let server = MockServer::start().await;
    mount_catch_all(&server).await;
    server
}

async fn mount_catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(418))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(server)
        .await;
}

/// Ends a phase of a test: checks every mock's `expect`, then removes them all (the catch-all
/// is mounted again). Used instead of `mount_as_scoped`, whose guards lose track of their mock
/// once mocks of different priorities are mounted (wiremock 0.6 re-sorts its mock list by
/// priority and the guards keep indices into it).
pub(crate) async fn next_phase(server: &MockServer) {
    server.verify().await;
    server.reset().await;
    mount_catch_all(server).await;
}

pub(crate) fn cloud(server: &MockServer) -> Cloud {
    Cloud::custom(&server.uri(), &server.uri()).expect("loopback URLs are accepted")
}

/// An unsigned JWT with this payload (the crate never verifies tokens).
pub(crate) fn jwt(payload: Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!(
        "{}.{}.{}",
        part(&json!({"typ": "JWT", "alg": "RS256", "x5t": "test"})),
        part(&payload),
        URL_SAFE_NO_PAD.encode(b"not a real signature")
    )
}

/// An app-only Graph token as Entra issues it (v1.0 claims).
pub(crate) fn app_token(marker: &str, roles: &[&str]) -> String {
    jwt(json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{TENANT}/"),
        "appid": CLIENT,
        "appidacr": "1",
        "idtyp": "app",
        "oid": "5b1c1d54-0000-0000-0000-00000000000a",
        "tid": TENANT,
        "roles": roles,
        "marker": marker,
        "ver": "1.0",
    }))
}

pub(crate) fn token_response(access_token: &str, expires_in: i64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": access_token,
    }))
}

/// The token endpoint's error body for one AADSTS code.
pub(crate) fn error_response(status: u16, error: &str, code: u32) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "error": error,
        "error_description": format!(
            "AADSTS{code}: Something went wrong. Trace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333 \
             Correlation ID: 1111bbbb-22cc-dddd-ee33-ffffff444444 Timestamp: 2025-06-01 12:00:00Z"
        ),
        "error_codes": [code],
        "timestamp": "2025-06-01 12:00:00Z",
        "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
        "correlation_id": "1111bbbb-22cc-dddd-ee33-ffffff444444",
        "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
    }))
}

pub(crate) fn secret_credential(
    server: &MockServer,
    clock: &ManualClock,
) -> ClientSecretCredential {
    secret_credential_with(server, clock, RetryPolicy::none())
}

pub(crate) fn secret_credential_with(
    server: &MockServer,
    clock: &ManualClock,
    retry: RetryPolicy,
) -> ClientSecretCredential {
    ClientSecretCredential::builder(TENANT, CLIENT, SecretString::from(SECRET))
        .cloud(cloud(server))
        .clock(Arc::new(clock.clone()))
        .http_client(reqwest::Client::new())
        .retry_policy(retry)
        .build()
        .expect("valid settings")
}

/// Decodes the form body of a request.
pub(crate) fn form(request: &wiremock::Request) -> Vec<(String, String)> {
    url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect()
}

pub(crate) fn field<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

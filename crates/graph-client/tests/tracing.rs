//! What the `tracing` output says about a request, and what it never says.
//!
//! A test binary of its own: `tracing` caches callsite interest process-wide, so a thread-local
//! subscriber races with tests running on other threads.

#![allow(clippy::unwrap_used)]

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_auth::{AccessToken, AuthError, TokenClaims, TokenCredential};
use graph_client::{GraphClient, GraphRequest, RetryPolicy};
use serde_json::{json, Value};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug)]
struct Fixed;

#[async_trait::async_trait]
impl TokenCredential for Fixed {
    async fn get_token(&self, _scope: &str) -> Result<AccessToken, AuthError> {
        Ok(AccessToken {
            token: "token-0".to_owned().into(),
            expires_on: time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(30_000),
            claims: TokenClaims::default(),
        })
    }
}

fn reply(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Buf {
        self.clone()
    }
}

#[tokio::test(start_paused = true)]
async fn request_spans_carry_method_path_status_attempt_and_wait_but_no_token_or_query_values() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(
            reply(429, json!({"error": {"code": "TooManyRequests", "message": "Please retry again later."}}))
                .insert_header("Retry-After", "1")
                .insert_header("request-id", "req-429"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(reply(200, json!({"value": []})).insert_header("request-id", "req-200"))
        .with_priority(2)
        .mount(&server)
        .await;
    let buf = Buf::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(buf.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let client = GraphClient::builder()
        .credential(Arc::new(Fixed))
        .base_url(server.uri())
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_initial_delay(Duration::from_secs(1)),
        )
        .build()
        .unwrap();
    let _: Value = client
        .send(GraphRequest::get("users").filter("mail eq 'secret.person@contoso.com'"))
        .await
        .unwrap();
    let out = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
    assert!(out.contains("graph_request"), "{out}");
    assert!(out.contains("method=\"GET\""), "{out}");
    assert!(out.contains("path=/v1.0/users"), "{out}");
    assert!(out.contains("status=429"), "{out}");
    assert!(out.contains("request_id=\"req-429\""), "{out}");
    assert!(out.contains("attempt=1"), "{out}");
    assert!(out.contains("wait_ms=1000"), "{out}");
    for secret in ["token-0", "Bearer", "secret.person", "contoso.com"] {
        assert!(
            !out.contains(secret),
            "{secret} leaked into the logs: {out}"
        );
    }
}

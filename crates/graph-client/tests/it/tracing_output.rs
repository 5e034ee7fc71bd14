//! What the `tracing` output says about a request, and what it never says.

use std::io;
use std::sync::{Arc, Mutex};

use graph_client::{GraphError, GraphRequest};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::Mock;

use crate::common::{builder, json as reply, server, TestCredential};

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
    let server = server().await;
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

    let client = builder(&server, TestCredential::new()).build().unwrap();
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

#[derive(Debug)]
struct FailingCredential;

#[async_trait::async_trait]
impl entra_auth::TokenCredential for FailingCredential {
    async fn get_token(
        &self,
        _scope: &str,
    ) -> Result<entra_auth::AccessToken, entra_auth::AuthError> {
        Err(entra_auth::AuthError::NotImplemented)
    }
}

#[tokio::test]
async fn a_credential_failure_is_an_auth_error_and_nothing_is_sent() {
    let server = server().await;
    let client = builder(&server, TestCredential::new())
        .credential(Arc::new(FailingCredential))
        .build()
        .unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("users"))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Auth(_)), "{err:?}");
    assert!(err.is_auth());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the AuthError is kept as the source"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

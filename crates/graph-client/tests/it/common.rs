//! Test credential, client and server helpers.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use entra_auth::{AccessToken, AuthError, TokenClaims, TokenCredential};
use graph_client::{GraphClient, GraphClientBuilder, RetryPolicy};
use tokio::time::Instant;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A credential that returns `token-{invalidations}` and counts calls and invalidations. It
/// records the (tokio) instant of each call: the client fetches a token right before it sends,
/// after any throttle wait, so these are the dispatch times.
#[derive(Debug, Default)]
pub(crate) struct TestCredential {
    calls: AtomicUsize,
    invalidations: AtomicUsize,
    times: Mutex<Vec<Instant>>,
    scopes: Mutex<Vec<String>>,
}

impl TestCredential {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub(crate) fn invalidations(&self) -> usize {
        self.invalidations.load(Ordering::SeqCst)
    }

    pub(crate) fn times(&self) -> Vec<Instant> {
        self.times.lock().unwrap().clone()
    }

    pub(crate) fn scopes(&self) -> Vec<String> {
        self.scopes.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl TokenCredential for TestCredential {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.times.lock().unwrap().push(Instant::now());
        self.scopes.lock().unwrap().push(scope.to_owned());
        let n = self.invalidations();
        Ok(AccessToken {
            token: format!("token-{n}").into(),
            expires_on: time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(30_000),
            claims: TokenClaims::default(),
        })
    }

    async fn invalidate(&self, _scope: &str) {
        self.invalidations.fetch_add(1, Ordering::SeqCst);
    }
}

/// A client for `server` with deterministic retries (no jitter, 1 s base delay) and no timers of
/// its own (so paused tokio time only moves for the client's waits).
pub(crate) fn builder(server: &MockServer, credential: Arc<TestCredential>) -> GraphClientBuilder {
    GraphClient::builder()
        .credential(credential)
        .base_url(server.uri())
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_initial_delay(Duration::from_secs(1)),
        )
}

/// A server with a catch-all that answers 599 to any request no other mock matched, and fails
/// the test (when the server is dropped) if it was ever hit.
pub(crate) async fn server() -> MockServer {
    let server = MockServer::start().await;
    catch_all(&server).await;
    server
}

pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: no request should reach this")
        .expect(0)
        .mount(server)
        .await;
}

pub(crate) fn json(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

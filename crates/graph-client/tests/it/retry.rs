//! Retry rules, on paused time.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use graph_client::{GraphRequest, RetryPolicy};
use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::{header, header_exists, method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{builder, json as reply, server, TestCredential};

fn throttled_body() -> Value {
    // The documented 429 body (Graph throttling guidance).
    json!({"error": {"code": "TooManyRequests", "innerError": {"code": "429", "date": "2020-08-18T12:51:51",
        "message": "Please retry after", "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2", "status": "429"},
        "message": "Please retry again later."}})
}

async fn ok_after_first(server: &wiremock::MockServer, first: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .and(header_exists("retry-attempt"))
        .respond_with(reply(200, json!({"value": [{"id": "org"}]})))
        .with_priority(2)
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test(start_paused = true)]
async fn a_429_with_fractional_retry_after_waits_exactly_that_long() {
    let server = server().await;
    ok_after_first(
        &server,
        reply(429, throttled_body()).insert_header("Retry-After", "2.128"),
    )
    .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let start = Instant::now();
    let v: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    assert_eq!(v["value"][0]["id"], "org");
    // max(Retry-After 2.128 s, backoff 1 s)
    assert_eq!(start.elapsed(), Duration::from_millis(2128));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_an_http_date_retry_after_waits_until_that_date() {
    let server = server().await;
    ok_after_first(
        &server,
        reply(429, throttled_body())
            .insert_header("Date", "Wed, 21 Oct 2015 07:28:00 GMT")
            .insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:07 GMT"),
    )
    .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let start = Instant::now();
    let _: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    assert_eq!(start.elapsed(), Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn a_429_without_retry_after_waits_the_exponential_backoff() {
    let server = server().await;
    ok_after_first(&server, reply(429, throttled_body())).await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let start = Instant::now();
    let _: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    // No jitter in this policy: the first backoff is the 1 s base delay.
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn full_jitter_keeps_the_wait_within_the_backoff_ceiling() {
    let server = server().await;
    ok_after_first(&server, reply(429, throttled_body())).await;
    let client = builder(&server, TestCredential::new())
        .retry_policy(RetryPolicy::default().with_initial_delay(Duration::from_secs(4)))
        .build()
        .unwrap();

    let start = Instant::now();
    let _: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    assert!(
        start.elapsed() <= Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(start_paused = true)]
async fn a_503_then_200_succeeds() {
    let server = server().await;
    ok_after_first(
        &server,
        ResponseTemplate::new(503).set_body_string("Service Unavailable"),
    )
    .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let _: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
}

#[tokio::test(start_paused = true)]
async fn get_is_retried_on_500_but_post_is_not() {
    let server = server().await;
    ok_after_first(&server, ResponseTemplate::new(500)).await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .respond_with(reply(
            500,
            json!({"error": {"code": "generalException", "message": "boom"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let _: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    let err = client
        .send_empty(GraphRequest::post("users/u1/revokeSignInSessions").json(&json!({})))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), Some("generalException"));
}

#[tokio::test(start_paused = true)]
async fn post_is_retried_on_429() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .respond_with(reply(429, throttled_body()).insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/users/u1/revokeSignInSessions"))
        .and(header("content-type", "application/json"))
        .respond_with(reply(200, json!({"value": true})))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let v: Value = client
        .send(GraphRequest::post("users/u1/revokeSignInSessions").json(&json!({})))
        .await
        .unwrap();
    assert_eq!(v["value"], true);
}

#[tokio::test(start_paused = true)]
async fn an_exhausted_retry_budget_returns_the_last_error() {
    let server = server().await;
    let n = Arc::new(AtomicUsize::new(0));
    let counter = n.clone();
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(move |_: &wiremock::Request| {
            let i = counter.fetch_add(1, Ordering::SeqCst) + 1;
            ResponseTemplate::new(503)
                .insert_header("request-id", format!("req-{i}"))
                .set_body_json(json!({"error": {"code": "serviceNotAvailable", "message": "busy"}}))
        })
        .expect(4)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new())
        .retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_initial_delay(Duration::from_secs(1))
                .with_max_retries(3),
        )
        .build()
        .unwrap();

    let start = Instant::now();
    let err = client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(err.request_id(), Some("req-4"), "the last answer's error");
    // 1 + 2 + 4 s of backoff.
    assert_eq!(start.elapsed(), Duration::from_secs(7));
}

#[tokio::test(start_paused = true)]
async fn the_elapsed_time_budget_stops_retrying_before_a_long_retry_after() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(reply(429, throttled_body()).insert_header("Retry-After", "100"))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new())
        .retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_max_elapsed(Duration::from_secs(150)),
        )
        .build()
        .unwrap();
    let start = Instant::now();
    let err = client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap_err();
    assert!(err.is_throttled());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(100)));
    assert_eq!(start.elapsed(), Duration::from_secs(100));
}

#[tokio::test(start_paused = true)]
async fn a_401_invalid_token_refreshes_the_token_once_and_retries_once() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .and(header("authorization", "Bearer token-0"))
        .respond_with(reply(
            401,
            json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired.",
                   "innerError": {"date": "2024-01-01T00:00:00", "request-id": "r1", "client-request-id": "c1"}}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(reply(200, json!({"value": []})))
        .expect(1)
        .mount(&server)
        .await;
    let cred = TestCredential::new();
    let client = builder(&server, cred.clone()).build().unwrap();

    let start = Instant::now();
    let _: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    assert_eq!(cred.invalidations(), 1);
    assert_eq!(cred.calls(), 2);
    assert_eq!(
        start.elapsed(),
        Duration::ZERO,
        "a token refresh needs no backoff"
    );
}

#[tokio::test(start_paused = true)]
async fn a_second_401_is_returned_not_retried() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(reply(401, json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})))
        .expect(2)
        .mount(&server)
        .await;
    let cred = TestCredential::new();
    let client = builder(&server, cred.clone()).build().unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert!(err.is_auth());
    assert_eq!(cred.invalidations(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_403_is_never_retried() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(reply(403, json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}})))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap_err();
    assert!(err.is_forbidden() && err.is_permission_denied());
}

#[tokio::test(start_paused = true)]
async fn transport_errors_are_retried_for_get() {
    // A port nobody listens on: connection refused on every attempt.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cred = TestCredential::new();
    let client = graph_client::GraphClient::builder()
        .credential(cred.clone())
        .base_url(format!("http://127.0.0.1:{port}"))
        .timeout(None)
        .connect_timeout(None)
        .pool_idle_timeout(None)
        .retry_policy(
            RetryPolicy::default()
                .with_jitter(false)
                .with_initial_delay(Duration::from_secs(1))
                .with_max_retries(2),
        )
        .build()
        .unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap_err();
    assert!(err.is_transport(), "{err:?}");
    assert_eq!(cred.calls(), 3, "first attempt and two retries");
    let post = client
        .send_empty(GraphRequest::post("users/u/revokeSignInSessions"))
        .await
        .unwrap_err();
    assert!(post.is_transport());
    assert_eq!(cred.calls(), 4, "POST is not retried on a transport error");
}

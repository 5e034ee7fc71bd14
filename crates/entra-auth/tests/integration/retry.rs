//! Retries of the token endpoint, on paused tokio time.

use std::sync::Arc;
use std::time::Duration;

use entra_auth::{
    AssertionProfile, AuthError, ClientCertificateCredential, ManualClock, RetryPolicy,
    TokenCredential,
};
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

/// The token endpoint answers `failure` `times` times, then a token: returns the token and how
/// long `get_token` took, on paused time.
async fn token_after(
    failure: ResponseTemplate,
    times: u64,
    policy: RetryPolicy,
) -> (String, Duration) {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(failure)
        .up_to_n_times(times)
        .with_priority(1)
        .expect(times)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_response("after-failures", 3599))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start_time());
    let credential = secret_credential_with(&server, &clock, policy);

    let started = Instant::now();
    let token = credential.get_token("s").await.unwrap();
    let elapsed = started.elapsed();
    let token = secrecy::ExposeSecret::expose_secret(&token.token).to_owned();
    (token, elapsed)
}

#[tokio::test(start_paused = true)]
async fn retries_429_after_the_retry_after_delay() {
    let throttled =
        error_response(429, "temporarily_unavailable", 90055).insert_header("Retry-After", "7");
    let (token, elapsed) = token_after(throttled, 1, RetryPolicy::default()).await;
    assert!(elapsed >= Duration::from_secs(7), "{elapsed:?}");
    assert_eq!(token, "after-failures");
}

#[tokio::test(start_paused = true)]
async fn an_http_date_retry_after_is_measured_against_the_answer_date() {
    // The answer's clock is the server's: seven seconds to wait, although the local clock is
    // ten years later (against it, the date is long past).
    let throttled = ResponseTemplate::new(429)
        .insert_header("Date", "Wed, 21 Oct 2015 07:28:00 GMT")
        .insert_header("Retry-After", "Wed, 21 Oct 2015 07:28:07 GMT");
    let (_, elapsed) = token_after(throttled, 1, RetryPolicy::default()).await;
    assert!(elapsed >= Duration::from_secs(7), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn retries_503_with_exponential_backoff() {
    let policy = RetryPolicy::default()
        .with_initial_delay(Duration::from_secs(2))
        .with_jitter(false);
    let (_, elapsed) = token_after(ResponseTemplate::new(503), 2, policy).await;
    // 2 s, then 4 s (jitter off; its bounds are unit-tested).
    assert!(elapsed >= Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test(start_paused = true)]
async fn gives_up_after_the_configured_retries() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(serde_json::json!({
            "error": "temporarily_unavailable",
            "error_codes": [90033],
        })))
        .expect(3)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start_time());
    let credential =
        secret_credential_with(&server, &clock, RetryPolicy::default().with_max_retries(2));
    let error = credential.get_token("s").await.unwrap_err();
    assert!(
        matches!(error, AuthError::ServiceUnavailable(_)),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn never_retries_a_wrong_credential() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(error_response(401, "invalid_client", 7000215))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start_time());
    let credential = secret_credential_with(&server, &clock, RetryPolicy::default());
    let started = Instant::now();
    let error = credential.get_token("s").await.unwrap_err();
    assert!(
        matches!(error, AuthError::InvalidClientSecret(_)),
        "{error:?}"
    );
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_is_returned_not_waited() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "120"))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start_time());
    let policy = RetryPolicy::default().with_max_elapsed(Duration::from_secs(60));
    let credential = secret_credential_with(&server, &clock, policy);
    let started = Instant::now();
    let error = credential.get_token("s").await.unwrap_err();
    assert!(error.is_throttled());
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)));
    assert!(started.elapsed() < Duration::from_secs(60), "not waited");
}

#[tokio::test(start_paused = true)]
async fn every_retry_carries_a_fresh_assertion() {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(token_response("t", 3599))
        .mount(&server)
        .await;
    let clock = ManualClock::new(start_time());
    let credential =
        ClientCertificateCredential::builder(TENANT, CLIENT, crate::certificate::pem_certificate())
            .cloud(cloud(&server))
            .clock(Arc::new(clock))
            .http_client(reqwest::Client::new())
            .assertion_profile(AssertionProfile::Ps256)
            .build()
            .unwrap();
    credential.get_token("s").await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    let assertions: Vec<String> = requests
        .iter()
        .map(|r| field(&form(r), "client_assertion").unwrap().to_owned())
        .collect();
    assert_ne!(assertions[0], assertions[1]);
}

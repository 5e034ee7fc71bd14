//! The token cache: single flight, early refresh, stale-while-valid, invalidation.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use entra_auth::{AuthError, ManualClock, TokenCache, TokenCredential};
use futures::future::join_all;
use secrecy::ExposeSecret;
use time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::*;

fn cache(server: &MockServer, clock: &ManualClock) -> Arc<TokenCache> {
    Arc::new(
        TokenCache::builder(Arc::new(secret_credential(server, clock)))
            .clock(Arc::new(clock.clone()))
            .build(),
    )
}

/// `n` concurrent callers on their own tasks; every answer.
async fn concurrent_calls(
    cache: &Arc<TokenCache>,
    scope: &str,
    n: usize,
) -> Vec<Result<String, AuthError>> {
    let tasks = (0..n).map(|_| {
        let cache = Arc::clone(cache);
        let scope = scope.to_owned();
        tokio::spawn(async move {
            cache
                .get_token(&scope)
                .await
                .map(|t| t.token.expose_secret().to_owned())
        })
    });
    join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.expect("task completed"))
        .collect()
}

fn is(answer: &Result<String, AuthError>, token: &str) -> bool {
    matches!(answer, Ok(t) if t == token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refreshes_token_once_under_concurrent_callers() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let cache = cache(&server, &clock);
    let scope = cloud(&server).graph_scope();
    let first = app_token("first", &[]);
    let second = app_token("second", &[]);

    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_response(&first, 3599).set_delay(StdDuration::from_millis(200)))
        .expect(1)
        .named("first token")
        .mount(&server)
        .await;
    let answers = concurrent_calls(&cache, &scope, 50).await;
    assert!(answers.iter().all(|a| is(a, &first)));
    next_phase(&server).await;

    // Fresh: answered from the cache, no request (the catch-all would fail the test).
    clock.advance(Duration::minutes(30));
    assert_eq!(
        cache.get_token(&scope).await.unwrap().token.expose_secret(),
        first
    );

    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_response(&second, 3599).set_delay(StdDuration::from_millis(200)))
        .expect(1)
        .named("second token")
        .mount(&server)
        .await;
    clock.advance(Duration::minutes(31)); // past expiry
    let answers = concurrent_calls(&cache, &scope, 50).await;
    assert!(answers.iter().all(|a| is(a, &second)));
    next_phase(&server).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refreshes_early_while_serving_the_valid_token() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let cache = cache(&server, &clock);
    let first = app_token("first", &[]);
    let second = app_token("second", &[]);
    Mock::given(method("POST"))
        .respond_with(token_response(&first, 3600))
        .expect(1)
        .mount(&server)
        .await;
    cache.get_token("s").await.unwrap();
    next_phase(&server).await;
    Mock::given(method("POST"))
        .respond_with(token_response(&second, 3600).set_delay(StdDuration::from_millis(200)))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::minutes(56)); // 4 minutes left: inside the 5-minute margin
    let answers = concurrent_calls(&cache, "s", 50).await;
    // One caller refreshed; the others got the still-valid token at once.
    assert!(answers.iter().any(|a| is(a, &second)));
    assert!(answers.iter().all(|a| is(a, &first) || is(a, &second)));
    assert_eq!(
        cache.get_token("s").await.unwrap().token.expose_secret(),
        second
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_share_one_failure() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let cache = cache(&server, &clock);
    Mock::given(method("POST"))
        .respond_with(
            error_response(401, "invalid_client", 7000222).set_delay(StdDuration::from_millis(200)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let answers = concurrent_calls(&cache, "s", 50).await;
    assert!(answers
        .iter()
        .all(|a| matches!(a, Err(AuthError::ExpiredClientSecret(_)))));
}

#[tokio::test]
async fn a_failed_refresh_serves_the_valid_token_until_it_expires() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let cache = cache(&server, &clock);
    let first = app_token("first", &[]);
    Mock::given(method("POST"))
        .respond_with(token_response(&first, 3600))
        .expect(1)
        .mount(&server)
        .await;
    cache.get_token("s").await.unwrap();
    next_phase(&server).await;
    Mock::given(method("POST"))
        .respond_with(error_response(401, "invalid_client", 7000222))
        .expect(2)
        .mount(&server)
        .await;

    clock.advance(Duration::minutes(57)); // refresh due, token valid for 3 more minutes
    let token = cache.get_token("s").await.unwrap();
    assert_eq!(token.token.expose_secret(), first);
    // Right after a failure the refresh is not retried on every call.
    clock.advance(Duration::seconds(10));
    assert_eq!(
        cache.get_token("s").await.unwrap().token.expose_secret(),
        first
    );

    clock.advance(Duration::minutes(3)); // expired
    let error = cache.get_token("s").await.unwrap_err();
    assert!(
        matches!(error, AuthError::ExpiredClientSecret(_)),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalidate_drops_the_cached_token() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let cache = cache(&server, &clock);
    Mock::given(method("POST"))
        .respond_with(token_response(&app_token("t", &[]), 3600))
        .expect(2)
        .mount(&server)
        .await;
    cache.get_token("s").await.unwrap();
    cache.get_token("s").await.unwrap();
    assert!(cache.cached("s").is_some());
    cache.invalidate("s").await;
    assert!(cache.cached("s").is_none());
    cache.get_token("s").await.unwrap();
}

#[tokio::test]
async fn entries_are_keyed_by_credential_identity_and_scope() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let credential = secret_credential(&server, &clock);
    let identity = credential.identity().unwrap();
    assert_eq!(identity.tenant_id, TENANT);
    assert_eq!(identity.client_id, CLIENT);
    assert_eq!(identity.authority, format!("{}/", server.uri()));
    let cache = TokenCache::builder(Arc::new(credential))
        .clock(Arc::new(clock.clone()))
        .build();
    assert_eq!(cache.identity(), Some(identity));
    Mock::given(method("POST"))
        .respond_with(token_response("opaque", 3600))
        .expect(2)
        .mount(&server)
        .await;
    for _ in 0..3 {
        cache
            .get_token("https://graph.microsoft.com/.default")
            .await
            .unwrap();
        cache.get_token("api://other/.default").await.unwrap();
    }
}

#[tokio::test]
async fn short_tokens_refresh_at_half_life_and_the_margin_is_configurable() {
    let server = server().await;
    let clock = ManualClock::new(start_time());
    let short = TokenCache::builder(Arc::new(secret_credential(&server, &clock)))
        .clock(Arc::new(clock.clone()))
        .build();
    Mock::given(method("POST"))
        .respond_with(token_response("short", 120))
        .expect(1)
        .mount(&server)
        .await;
    short.get_token("s").await.unwrap();
    clock.advance(Duration::seconds(50));
    short.get_token("s").await.unwrap();
    next_phase(&server).await;
    Mock::given(method("POST"))
        .respond_with(token_response("short", 120))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::seconds(15)); // 55 s left of 120: under half
    short.get_token("s").await.unwrap();
    next_phase(&server).await;

    let wide = TokenCache::builder(Arc::new(secret_credential(&server, &clock)))
        .clock(Arc::new(clock.clone()))
        .refresh_before(StdDuration::from_secs(20 * 60))
        .build();
    Mock::given(method("POST"))
        .respond_with(token_response("long", 3600))
        .expect(2)
        .mount(&server)
        .await;
    wide.get_token("s").await.unwrap();
    clock.advance(Duration::minutes(39));
    wide.get_token("s").await.unwrap(); // 21 minutes left: fresh
    clock.advance(Duration::minutes(2));
    wide.get_token("s").await.unwrap(); // 19 minutes left: refreshed
}

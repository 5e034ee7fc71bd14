//! `$batch`: chunking, out-of-order answers, inner retries, dependsOn.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use graph_client::{Batch, GraphRequest};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::{method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::common::{builder, server, TestCredential};

#[derive(Debug, Deserialize)]
struct User {
    id: String,
}

/// Records the ids of each batch received; answers every request with its user, in reverse
/// order, except the request for `users/u7`, which gets one inner 429 (Retry-After 3) first.
fn responder(
    seen: Arc<Mutex<Vec<Vec<String>>>>,
    throttled_once: Arc<AtomicBool>,
) -> impl Fn(&Request) -> ResponseTemplate {
    move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let requests = body["requests"].as_array().unwrap().clone();
        seen.lock().unwrap().push(
            requests
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_owned())
                .collect(),
        );
        let mut responses: Vec<Value> = requests
            .iter()
            .map(|r| {
                let url = r["url"].as_str().unwrap();
                let user = url.trim_start_matches("/users/").split('?').next().unwrap().to_owned();
                if user == "u7" && !throttled_once.swap(true, Ordering::SeqCst) {
                    json!({"id": r["id"], "status": 429, "headers": {"Retry-After": "3"},
                           "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}})
                } else {
                    json!({"id": r["id"], "status": 200, "headers": {"Content-Type": "application/json"},
                           "body": {"id": user}})
                }
            })
            .collect();
        responses.reverse();
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

#[tokio::test(start_paused = true)]
async fn forty_five_requests_go_in_three_batches_and_one_inner_429_is_retried_alone() {
    let server = server().await;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let throttled = Arc::new(AtomicBool::new(false));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(responder(seen.clone(), throttled.clone()))
        .expect(4)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let mut batch = Batch::new();
    let ids: Vec<String> = (0..45)
        .map(|i| batch.add(GraphRequest::get(format!("users/u{i}")).select(["id"])))
        .collect();
    let t0 = Instant::now();
    let answers = client.batch(batch).await.unwrap();

    let seen = seen.lock().unwrap().clone();
    let sizes: Vec<usize> = seen.iter().map(Vec::len).collect();
    assert_eq!(
        sizes,
        [20, 20, 5, 1],
        "3 batches, then the throttled request alone"
    );
    assert_eq!(seen[3], ["8"], "request 8 is users/u7");
    assert!(
        t0.elapsed() >= Duration::from_secs(3),
        "the inner Retry-After was honoured"
    );
    assert_eq!(answers.len(), 45);
    for (i, id) in ids.iter().enumerate() {
        let user: User = answers.json(id).unwrap();
        assert_eq!(
            user.id,
            format!("u{i}"),
            "answer matched by id, not by position"
        );
    }
}

#[tokio::test]
async fn inner_errors_are_typed_graph_errors_and_depends_on_is_sent() {
    let server = server().await;
    let captured = Arc::new(Mutex::new(Value::Null));
    let cap = captured.clone();
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(move |req: &Request| {
            *cap.lock().unwrap() = serde_json::from_slice(&req.body).unwrap();
            ResponseTemplate::new(200).set_body_json(json!({"responses": [
                {"id": "check", "status": 424, "body": {"error": {"code": "FailedDependency", "message": "dependency failed"}}},
                {"id": "patch", "status": 403, "headers": {"request-id": "inner-req"},
                 "body": {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}}},
            ]}))
        })
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let batch = Batch::new()
        .request(
            "patch",
            GraphRequest::patch("users/x").json(&json!({"userType": "Member"})),
        )
        .request_after(
            "check",
            GraphRequest::get("users/x").consistency_eventual(),
            ["patch"],
        );
    let answers = client.batch(batch).await.unwrap();

    let err = answers.json::<Value>("patch").unwrap_err();
    assert!(err.is_permission_denied());
    assert_eq!(err.request_id(), Some("inner-req"));
    assert_eq!(answers.get("check").unwrap().status(), 424);

    let sent = captured.lock().unwrap().clone();
    let reqs = sent["requests"].as_array().unwrap();
    assert_eq!(reqs[0]["method"], "PATCH");
    assert_eq!(reqs[0]["url"], "/users/x");
    assert_eq!(reqs[0]["body"], json!({"userType": "Member"}));
    assert_eq!(reqs[0]["headers"]["Content-Type"], "application/json");
    assert_eq!(reqs[1]["dependsOn"], json!(["patch"]));
    assert_eq!(reqs[1]["headers"]["ConsistencyLevel"], "eventual");
}

/// Counts how often each inner request id arrives; answers each with `answer(id, arrival)`.
fn counting(
    counts: Arc<Mutex<std::collections::HashMap<String, usize>>>,
    answer: impl Fn(&str, usize) -> Value + Send + Sync + 'static,
) -> impl Fn(&Request) -> ResponseTemplate {
    move |req: &Request| {
        let body: Value = serde_json::from_slice(&req.body).unwrap();
        let mut responses = Vec::new();
        for r in body["requests"].as_array().unwrap() {
            let id = r["id"].as_str().unwrap().to_owned();
            let n = {
                let mut c = counts.lock().unwrap();
                let n = c.entry(id.clone()).or_insert(0);
                *n += 1;
                *n
            };
            let mut a = answer(&id, n);
            a["id"] = json!(id);
            responses.push(a);
        }
        ResponseTemplate::new(200).set_body_json(json!({ "responses": responses }))
    }
}

fn ok() -> Value {
    json!({"status": 204, "headers": {}})
}

fn throttled() -> Value {
    json!({"status": 429, "headers": {"Retry-After": "1"},
           "body": {"error": {"code": "TooManyRequests", "message": "Please retry again later."}}})
}

fn failed_dependency() -> Value {
    json!({"status": 424, "body": {"error": {"code": "FailedDependency", "message": "dependency failed"}}})
}

#[tokio::test(start_paused = true)]
async fn only_inner_requests_answered_429_503_or_504_are_resent_never_a_write_that_ran() {
    let server = server().await;
    let counts = Arc::new(Mutex::new(std::collections::HashMap::new()));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(counting(counts.clone(), |id, n| match (id, n) {
            ("delete-busy", 1) => json!({"status": 503, "body": {"error": {"code": "serviceNotAvailable", "message": "busy"}}}),
            ("post-throttled", 1) => throttled(),
            ("patch-500", _) => json!({"status": 500, "body": {"error": {"code": "generalException", "message": "oops"}}}),
            ("get-timeout", 1) => json!({"status": 504, "body": {"error": {"code": "gatewayTimeout", "message": "late"}}}),
            _ => ok(),
        }))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let batch = Batch::new()
        .request(
            "post-ok",
            GraphRequest::post("users/a/revokeSignInSessions"),
        )
        .request(
            "post-throttled",
            GraphRequest::post("users/b/revokeSignInSessions"),
        )
        .request("delete-busy", GraphRequest::delete("users/c"))
        .request(
            "patch-500",
            GraphRequest::patch("users/d").json(&json!({"userType": "Guest"})),
        )
        .request("get-timeout", GraphRequest::get("users/e"));
    let answers = client.batch(batch).await.unwrap();

    let counts = counts.lock().unwrap().clone();
    assert_eq!(counts["post-ok"], 1, "a write that succeeded is not resent");
    assert_eq!(
        counts["patch-500"], 1,
        "a write answered 500 may have run: not resent"
    );
    assert_eq!(counts["post-throttled"], 2);
    assert_eq!(counts["delete-busy"], 2);
    assert_eq!(counts["get-timeout"], 2);
    assert_eq!(answers.get("patch-500").unwrap().status(), 500);
    assert!(answers.get("post-throttled").unwrap().is_success());
}

#[tokio::test(start_paused = true)]
async fn a_chain_is_resent_from_its_throttled_request_and_its_failed_dependencies_only() {
    let server = server().await;
    let counts = Arc::new(Mutex::new(std::collections::HashMap::new()));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(counting(counts.clone(), |id, n| match (id, n) {
            ("2", 1) => throttled(),
            ("3", 1) => failed_dependency(),
            _ => ok(),
        }))
        .expect(2)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let batch = Batch::new()
        .request("1", GraphRequest::post("users/a/revokeSignInSessions"))
        .request_after(
            "2",
            GraphRequest::delete("users/a/authentication/phoneMethods/p"),
            ["1"],
        )
        .request_after(
            "3",
            GraphRequest::delete("users/a/authentication/emailMethods/e"),
            ["2"],
        );
    let answers = client.batch(batch).await.unwrap();

    let counts = counts.lock().unwrap().clone();
    assert_eq!(counts["1"], 1, "the POST that ran is not resent");
    assert_eq!(counts["2"], 2);
    assert_eq!(
        counts["3"], 2,
        "not run (424) after a throttled one: resent"
    );
    assert!(answers.iter().all(|a| a.is_success()));
}

#[tokio::test(start_paused = true)]
async fn an_outer_503_to_a_batch_holding_a_write_is_not_resent() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(
                json!({"error": {"code": "serviceNotAvailable", "message": "busy"}}),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut batch = Batch::new();
    batch.add(GraphRequest::get("users/a"));
    batch.add(GraphRequest::post("users/a/revokeSignInSessions"));
    let err = client.batch(batch).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
}

#[tokio::test(start_paused = true)]
async fn an_outer_429_to_a_batch_holding_a_write_is_resent_as_nothing_ran() {
    let server = server().await;
    let counts = Arc::new(Mutex::new(std::collections::HashMap::new()));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(
                    json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
                ),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(counting(counts.clone(), |_, _| ok()))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let batch = Batch::new().request("w", GraphRequest::delete("users/a"));
    client.batch(batch).await.unwrap();
    assert_eq!(counts.lock().unwrap()["w"], 1);
}

#[tokio::test(start_paused = true)]
async fn an_outer_503_to_a_read_only_batch_is_still_resent() {
    let server = server().await;
    let counts = Arc::new(Mutex::new(std::collections::HashMap::new()));
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(
            ResponseTemplate::new(503).set_body_json(
                json!({"error": {"code": "serviceNotAvailable", "message": "busy"}}),
            ),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/$batch"))
        .respond_with(counting(
            counts.clone(),
            |_, _| json!({"status": 200, "body": {"id": "a"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut batch = Batch::new();
    let id = batch.add(GraphRequest::get("users/a"));
    let answers = client.batch(batch).await.unwrap();
    assert_eq!(answers.json::<User>(&id).unwrap().id, "a");
}

#[tokio::test]
async fn a_batch_mixing_independent_requests_and_a_chain_is_refused_before_sending() {
    // The catch-all fails the test if anything is sent.
    let server = server().await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut batch = Batch::new();
    batch.add(GraphRequest::get("users/x"));
    let batch = batch
        .request("a", GraphRequest::post("users/a/revokeSignInSessions"))
        .request_after("b", GraphRequest::get("users/a"), ["a"]);
    let err = client.batch(batch).await.unwrap_err();
    assert!(
        matches!(err, graph_client::GraphError::InvalidRequest(_)),
        "{err:?}"
    );
}

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

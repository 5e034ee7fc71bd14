//! Host pinning of the bearer token, plain-http refusal, gzip.

use std::io::Write;

use futures::StreamExt;
use graph_client::{Continuation, GraphClient, GraphError, GraphRequest};
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{builder, json as reply, server, TestCredential};

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_without_a_request() {
    let graph = server().await;
    let elsewhere = MockServer::start().await; // another port: another origin
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .respond_with(reply(
            200,
            json!({"@odata.nextLink": format!("{}/v1.0/users?$skiptoken=steal", elsewhere.uri()), "value": [{"id": "a"}]}),
        ))
        .expect(1)
        .mount(&graph)
        .await;
    let cred = TestCredential::new();
    let client = builder(&graph, cred.clone()).build().unwrap();

    let mut pages = client.pages::<Value>(GraphRequest::get("users"));
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 1);
    let err = pages.next().await.unwrap().unwrap_err();
    match &err {
        GraphError::ForeignOrigin { expected, found } => {
            assert_eq!(expected, &graph.uri());
            assert_eq!(found, &elsewhere.uri());
        }
        other => panic!("expected ForeignOrigin, got {other:?}"),
    }
    assert!(err.is_foreign_origin());
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "nothing reached the other host"
    );
    assert_eq!(
        cred.calls(),
        1,
        "no token was even fetched for the foreign link"
    );
}

#[tokio::test]
async fn resuming_from_a_foreign_link_is_refused_without_a_request() {
    let graph = server().await;
    let elsewhere = MockServer::start().await;
    let client = builder(&graph, TestCredential::new()).build().unwrap();
    let link = format!("{}/v1.0/users/delta?$deltatoken=x", elsewhere.uri());
    let err = client
        .resume::<Value>(Continuation::delta_link(link))
        .next()
        .await
        .unwrap()
        .unwrap_err();
    assert!(err.is_foreign_origin(), "{err:?}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_redirect_to_another_host_is_not_followed_with_the_token() {
    let graph = server().await;
    let elsewhere = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/collect", elsewhere.uri())),
        )
        .expect(1)
        .mount(&graph)
        .await;
    let client = builder(&graph, TestCredential::new()).build().unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap_err();
    assert!(err.is_foreign_origin(), "{err:?}");
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_same_origin_redirect_is_followed() {
    let graph = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/v1.0/organization2"))
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization2"))
        .respond_with(reply(200, json!({"ok": true})))
        .expect(1)
        .mount(&graph)
        .await;
    let client = builder(&graph, TestCredential::new()).build().unwrap();
    let v: Value = client
        .send(GraphRequest::get("organization"))
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
}

#[test]
fn plain_http_is_refused_except_to_loopback() {
    let cred = TestCredential::new();
    let err = GraphClient::builder()
        .credential(cred.clone())
        .base_url("http://graph.microsoft.com")
        .build()
        .unwrap_err();
    assert!(matches!(err, GraphError::Config(_)), "{err:?}");
    for ok in [
        "http://127.0.0.1:8080",
        "http://localhost:1",
        "http://[::1]:9",
        "https://graph.microsoft.us",
    ] {
        GraphClient::builder()
            .credential(cred.clone())
            .base_url(ok)
            .build()
            .unwrap();
    }
    let no_credential = GraphClient::builder().build().unwrap_err();
    assert!(matches!(no_credential, GraphError::Config(_)));
}

#[tokio::test]
async fn gzip_answers_are_decoded() {
    let graph = server().await;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(br#"{"value":[{"id":"z"}]}"#).unwrap();
    let body = enc.finish().unwrap();
    Mock::given(method("GET"))
        .and(path("/v1.0/domains"))
        .and(wiremock::matchers::header_regex("accept-encoding", "gzip"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Encoding", "gzip")
                .set_body_raw(body, "application/json"),
        )
        .expect(1)
        .mount(&graph)
        .await;
    let client = builder(&graph, TestCredential::new()).build().unwrap();
    let v: Value = client.send(GraphRequest::get("domains")).await.unwrap();
    assert_eq!(v["value"][0]["id"], "z");
}

#[test]
fn a_cloud_sets_the_graph_root_and_scope() {
    let client = GraphClient::builder()
        .credential(TestCredential::new())
        .cloud(&entra_auth::Cloud::UsGov)
        .build()
        .unwrap();
    assert_eq!(client.root(), "https://graph.microsoft.us");
}

#[tokio::test]
async fn a_cached_credential_is_asked_once_for_many_requests() {
    let graph = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(reply(200, json!({})))
        .expect(3)
        .mount(&graph)
        .await;
    let cred = TestCredential::new();
    let client = builder(&graph, TestCredential::new())
        .cached_credential(cred.clone())
        .build()
        .unwrap();
    for _ in 0..3 {
        client
            .send::<Value>(GraphRequest::get("organization"))
            .await
            .unwrap();
    }
    assert_eq!(cred.calls(), 1);
}

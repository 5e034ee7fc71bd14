//! Paging, resume, delta, resync.

use futures::{StreamExt, TryStreamExt};
use graph_client::{Continuation, GraphError, GraphRequest, LinkKind, Page};
use serde::Deserialize;
use serde_json::{json, value::RawValue};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use crate::common::{builder, json as reply, server, TestCredential};

#[derive(Debug, Deserialize, PartialEq)]
struct User {
    id: String,
}

/// Three pages of `/v1.0/users` (the middle one empty), each page only answered when the
/// `ConsistencyLevel` header and the bearer token are present.
async fn mount_three_pages(server: &MockServer) {
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param("$count", "true"))
        .and(header("ConsistencyLevel", "eventual"))
        .and(header("authorization", "Bearer token-0"))
        .respond_with(reply(
            200,
            json!({
                "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users",
                "@odata.count": 3,
                "@odata.nextLink": format!("{base}/v1.0/users?$count=true&$skiptoken=p2"),
                "value": [{"id": "a"}, {"id": "b"}]
            }),
        ))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p2"))
        .and(header("ConsistencyLevel", "eventual"))
        .and(header("authorization", "Bearer token-0"))
        .respond_with(reply(
            200,
            json!({
                "@odata.nextLink": format!("{base}/v1.0/users?$count=true&$skiptoken=p3"),
                "value": []
            }),
        ))
        .named("page 2 (empty)")
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "p3"))
        .and(header("ConsistencyLevel", "eventual"))
        .and(header("authorization", "Bearer token-0"))
        .respond_with(reply(200, json!({"value": [{"id": "c"}]})))
        .named("page 3 (last)")
        .mount(server)
        .await;
}

fn users_request() -> GraphRequest {
    GraphRequest::get("users")
        .count(true)
        .consistency_eventual()
}

#[tokio::test]
async fn items_stream_crosses_three_pages_including_an_empty_middle_page() {
    let server = server().await;
    mount_three_pages(&server).await;
    let cred = TestCredential::new();
    let client = builder(&server, cred.clone()).build().unwrap();

    let users: Vec<User> = client.items(users_request()).try_collect().await.unwrap();

    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    // One token per request: a crawl outlives a token.
    assert_eq!(cred.calls(), 3);
}

#[tokio::test]
async fn page_stream_reports_links_and_count_and_ends_after_the_last_page() {
    let server = server().await;
    mount_three_pages(&server).await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let mut pages = client.pages::<User>(users_request());
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.count, Some(3));
    assert!(first
        .next_link
        .as_deref()
        .unwrap()
        .ends_with("$skiptoken=p2"));
    let second = pages.next().await.unwrap().unwrap();
    assert!(second.items.is_empty());
    assert!(
        second.next_link.is_some(),
        "an empty page with a nextLink does not end the stream"
    );
    let third = pages.next().await.unwrap().unwrap();
    assert_eq!(third.items, vec![User { id: "c".into() }]);
    assert!(third.is_last());
    assert!(pages.next().await.is_none());
    assert!(pages.continuation().is_none());
}

#[tokio::test]
async fn raw_items_keep_the_exact_json_text() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/beta/auditLogs/signIns"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(
            r#"{"value":[{"id":"s1", "newField" : [1,2.50]}]}"#,
            "application/json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new())
        .throttling(false)
        .build()
        .unwrap();

    let raw: Vec<Box<RawValue>> = client
        .items(GraphRequest::get("auditLogs/signIns").version(graph_client::ApiVersion::Beta))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(raw[0].get(), r#"{"id":"s1", "newField" : [1,2.50]}"#);
}

#[tokio::test]
async fn a_stopped_stream_resumes_from_its_saved_next_link() {
    let server = server().await;
    mount_three_pages(&server).await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let mut pages = client.pages::<User>(users_request());
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.items.len(), 2);
    let saved = serde_json::to_string(&pages.continuation().unwrap()).unwrap();
    drop(pages);

    // Later (another process): the continuation carries the link and the headers to re-send.
    let continuation: Continuation = serde_json::from_str(&saved).unwrap();
    assert_eq!(continuation.kind(), LinkKind::Next);
    assert!(continuation.link().ends_with("$skiptoken=p2"));
    let rest: Vec<User> = client
        .resume::<User>(continuation)
        .items()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(rest, vec![User { id: "c".into() }]);

    let requests = server.received_requests().await.unwrap();
    let first_page_requests = requests
        .iter()
        .filter(|r| r.url.query_pairs().all(|(k, _)| k != "$skiptoken"))
        .count();
    assert_eq!(
        first_page_requests, 1,
        "the resumed crawl does not start over"
    );
}

#[tokio::test]
async fn delta_round_ends_with_a_delta_link_and_resumes_from_it() {
    let server = server().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param_is_missing("$skiptoken"))
        .and(query_param_is_missing("$deltatoken"))
        .and(header("Prefer", "return=minimal"))
        .respond_with(reply(
            200,
            json!({"@odata.nextLink": format!("{base}/v1.0/users/delta?$skiptoken=s1"), "value": [{"id": "a"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$skiptoken", "s1"))
        .and(header("Prefer", "return=minimal"))
        .respond_with(reply(
            200,
            json!({"@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=d1"), "value": [{"id": "b"}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "d1"))
        .and(header("Prefer", "return=minimal"))
        .respond_with(reply(
            200,
            json!({"@odata.deltaLink": format!("{base}/v1.0/users/delta?$deltatoken=d2"),
                   "value": [{"id": "a", "@removed": {"reason": "deleted"}}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let mut round = client.delta::<User>(GraphRequest::get("users/delta").prefer("return=minimal"));
    let mut ids = Vec::new();
    while let Some(page) = round.try_next().await.unwrap() {
        ids.extend(page.items.into_iter().map(|u| u.id));
    }
    assert_eq!(ids, ["a", "b"]);
    let delta_link = round.delta_link().unwrap().to_owned();
    assert!(delta_link.ends_with("$deltatoken=d1"));

    let saved = Continuation::delta_link(delta_link).with_header("Prefer", "return=minimal");
    let mut next = client.resume::<serde_json::Value>(saved);
    let page: Page<serde_json::Value> = next.try_next().await.unwrap().unwrap();
    assert_eq!(page.items[0]["@removed"]["reason"], "deleted");
    assert!(page.delta_link().unwrap().ends_with("$deltatoken=d2"));
    assert!(next.try_next().await.unwrap().is_none());
    assert!(next.delta_link().unwrap().ends_with("$deltatoken=d2"));
}

#[tokio::test]
async fn delta_latest_asks_for_deltatoken_latest() {
    let server = server().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/groups/delta"))
        .and(query_param("$deltatoken", "latest"))
        .respond_with(reply(
            200,
            json!({"@odata.deltaLink": format!("{base}/v1.0/groups/delta?$deltatoken=now"), "value": []}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut s = client.delta::<User>(GraphRequest::get("groups/delta").delta_latest());
    while s.try_next().await.unwrap().is_some() {}
    assert!(s.delta_link().unwrap().ends_with("$deltatoken=now"));
}

#[tokio::test]
async fn an_expired_delta_link_is_a_typed_resync_required_and_is_not_retried() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .and(query_param("$deltatoken", "old"))
        .respond_with(
            reply(
                410,
                json!({"error": {"code": "syncStateNotFound", "message": "The sync state is gone.",
                       "innerError": {"request-id": "r-410", "date": "2024-01-01T00:00:00"}}}),
            )
            .insert_header(
                "Location",
                format!("{}/v1.0/users/delta?$deltatoken=", server.uri()),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();

    let link = format!("{}/v1.0/users/delta?$deltatoken=old", server.uri());
    let mut s = client.resume::<User>(Continuation::delta_link(link));
    let err = s.try_next().await.unwrap_err();
    assert!(matches!(err, GraphError::ResyncRequired(_)), "{err:?}");
    assert!(err.is_resync_required());
    assert_eq!(err.status(), Some(410));
    assert_eq!(err.code(), Some("syncStateNotFound"));
    assert_eq!(err.request_id(), Some("r-410"));
    assert!(
        s.try_next().await.unwrap().is_none(),
        "the stream ends after an error"
    );
}

#[tokio::test]
async fn a_resync_required_code_without_410_is_also_typed() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/delta"))
        .respond_with(reply(
            400,
            json!({"error": {"code": "resyncRequired", "message": "Resync"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let err = client
        .delta::<User>(GraphRequest::get("users/delta"))
        .try_next()
        .await
        .unwrap_err();
    assert!(err.is_resync_required());
}

#[tokio::test]
async fn a_failed_page_leaves_a_continuation_pointing_at_it() {
    let server = server().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(reply(
            200,
            json!({"@odata.nextLink": format!("{base}/v1.0/groups?$skiptoken=two"), "value": [{"id": "g"}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups"))
        .and(query_param("$skiptoken", "two"))
        .respond_with(reply(403, json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}})))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut s = client.pages::<User>(GraphRequest::get("groups"));
    s.try_next().await.unwrap().unwrap();
    let err = s.try_next().await.unwrap_err();
    assert!(err.is_permission_denied());
    assert!(s.continuation().unwrap().link().ends_with("$skiptoken=two"));
}

#[tokio::test]
async fn a_misleading_next_link_inside_an_item_does_not_derail_paging() {
    let server = server().await;
    let base = server.uri();
    // A nested "@odata.nextLink" after the real one: the byte-search guess picks the last
    // occurrence (the decoy); the parsed page decides.
    let page1 = format!(
        r#"{{"@odata.context":"c","value":[{{"id":"a"}}],"@odata.nextLink":"{base}/v1.0/users?$skiptoken=real","extra":{{"@odata.nextLink":"{base}/v1.0/decoy"}}}}"#
    );
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_raw(page1, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users"))
        .and(query_param("$skiptoken", "real"))
        .respond_with(reply(200, json!({"value": [{"id": "b"}]})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/decoy"))
        .respond_with(reply(200, json!({"value": [{"id": "decoy"}]})))
        .expect(0..=1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let users: Vec<User> = client
        .items(GraphRequest::get("users"))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<&str> = users.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
}

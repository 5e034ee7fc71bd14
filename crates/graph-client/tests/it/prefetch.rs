//! The page stream's pipeline: how far it runs ahead of its consumer, large pages decoded on the
//! blocking pool, guesses of the next link that turn out wrong. Throttle pacing is off: the
//! reports class would hold these crawls to 5 pages / 10 s.

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use graph_client::{GraphError, GraphRequest};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::{builder, json as reply, server, TestCredential};

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: String,
}

/// A reports-style body: the nextLink (if any) after the items, then `after` (raw JSON members).
fn body(ids: &[String], pad: usize, next: Option<&str>, after: &str) -> String {
    let items: Vec<String> = ids
        .iter()
        .map(|id| format!(r#"{{"id":"{id}","pad":"{}"}}"#, "x".repeat(pad)))
        .collect();
    let mut body = format!(r#"{{"@odata.context":"c","value":[{}]"#, items.join(","));
    if let Some(next) = next {
        body.push_str(&format!(r#","@odata.nextLink":"{next}""#));
    }
    body.push_str(after);
    body.push('}');
    body
}

fn raw(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "application/json")
}

/// A mock's answer that counts the requests it answers, for a test to wait on.
struct Counted {
    answer: ResponseTemplate,
    answered: Arc<watch::Sender<usize>>,
}

impl Respond for Counted {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.answered.send_modify(|n| *n += 1);
        self.answer.clone()
    }
}

/// `pages` pages of `/v1.0/auditLogs/signIns`, `per_page` items each (ids `p{page}-{i}`), each
/// answered exactly once. The receiver follows how many pages were answered.
async fn mount_pages(
    server: &MockServer,
    pages: usize,
    per_page: usize,
    pad: usize,
) -> watch::Receiver<usize> {
    let base = server.uri();
    let (answered, seen) = watch::channel(0);
    let answered = Arc::new(answered);
    for p in 0..pages {
        let ids: Vec<String> = (0..per_page).map(|i| format!("p{p}-{i}")).collect();
        let next =
            (p + 1 < pages).then(|| format!("{base}/v1.0/auditLogs/signIns?$skiptoken={}", p + 1));
        let mock = Mock::given(method("GET")).and(path("/v1.0/auditLogs/signIns"));
        let mock = if p == 0 {
            mock.and(query_param_is_missing("$skiptoken"))
        } else {
            mock.and(query_param("$skiptoken", p.to_string()))
        };
        mock.respond_with(Counted {
            answer: raw(body(&ids, pad, next.as_deref(), "")),
            answered: answered.clone(),
        })
        .expect(1)
        .named(format!("page {p}"))
        .mount(server)
        .await;
    }
    seen
}

fn ids(pages: usize, per_page: usize) -> Vec<Item> {
    (0..pages)
        .flat_map(|p| {
            (0..per_page).map(move |i| Item {
                id: format!("p{p}-{i}"),
            })
        })
        .collect()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

/// Takes page 0 of a 10-page collection and stops: returns how many requests the stream made
/// while the consumer held that page (`ahead`: the stream's setting, `None` for the default),
/// after checking that the rest then arrives in order, each page fetched once.
async fn requests_while_holding_the_first_page(ahead: Option<usize>) -> usize {
    let server = server().await;
    let mut answered = mount_pages(&server, 10, 2, 0).await;
    let client = builder(&server, TestCredential::new())
        .throttling(false)
        .build()
        .unwrap();

    let mut pages = client.pages::<Item>(GraphRequest::get("auditLogs/signIns"));
    if let Some(n) = ahead {
        pages = pages.ahead(n);
    }
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.items, ids(1, 2));

    // The stream runs ahead while the consumer holds page 0, until it holds what it may: the
    // mocks signal each page they answer.
    let expected = 1 + ahead.unwrap_or(3);
    tokio::time::timeout(
        Duration::from_secs(60),
        answered.wait_for(|n| *n >= expected),
    )
    .await
    .expect("the stream fetched the pages it may hold")
    .unwrap();
    // Give it every chance to run further than it should: one more answer would end this wait
    // at once; none in the grace period (longer than a loopback round trip by far) is a stop.
    let further = tokio::time::timeout(
        Duration::from_millis(200),
        answered.wait_for(|n| *n > expected),
    )
    .await;
    assert!(further.is_err(), "the stream ran past {expected} pages");
    let held = requests(&server).await;

    // The rest, in order, each page fetched once (the mocks' `expect(1)`).
    let rest: Vec<Item> = pages
        .map_ok(|page| futures::stream::iter(page.items.into_iter().map(Ok::<_, GraphError>)))
        .try_flatten()
        .try_collect()
        .await
        .unwrap();
    let mut all = first.items;
    all.extend(rest);
    assert_eq!(all, ids(10, 2));
    held
}

#[tokio::test]
async fn a_consumer_that_stops_taking_pages_holds_the_stream_three_pages_ahead() {
    assert_eq!(
        requests_while_holding_the_first_page(None).await,
        4,
        "page 0 taken, pages 1 to 3 ahead, nothing more"
    );
}

#[tokio::test]
async fn a_stream_told_to_hold_one_page_ahead_fetches_only_that_one_and_goes_on() {
    // It used to stop for good here: with the page handed over and nothing else in flight,
    // nothing woke the stream when the consumer took it.
    let held = tokio::time::timeout(
        Duration::from_secs(60),
        requests_while_holding_the_first_page(Some(1)),
    )
    .await
    .expect("the stream went on after the page was taken");
    assert_eq!(
        held, 2,
        "page 0 taken, page 1 ahead, nothing more; then the rest in order"
    );
}

#[tokio::test]
async fn a_stream_told_to_hold_two_pages_ahead_fetches_only_those() {
    assert_eq!(
        requests_while_holding_the_first_page(Some(2)).await,
        3,
        "page 0 taken, pages 1 and 2 ahead, nothing more"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_pages_decoded_on_the_blocking_pool_arrive_in_order_each_fetched_once() {
    let server = server().await;
    // About 330 KB a page: above the size decoded on the blocking pool.
    mount_pages(&server, 6, 3_000, 100).await;
    let client = builder(&server, TestCredential::new())
        .throttling(false)
        .build()
        .unwrap();

    let items: Vec<Item> = client
        .items(GraphRequest::get("auditLogs/signIns"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(items, ids(6, 3_000));
}

#[tokio::test]
async fn what_was_fetched_after_a_wrong_guess_is_dropped_with_its_error() {
    let server = server().await;
    let base = server.uri();
    // The byte search takes the last "@odata.nextLink" (a decoy after the real one); the decoy
    // leads to another page, whose own next page fails. None of it may reach the consumer.
    let page0 = body(
        &["a".to_owned()],
        0,
        Some(&format!("{base}/v1.0/auditLogs/signIns?$skiptoken=real")),
        &format!(r#","extra":{{"@odata.nextLink":"{base}/v1.0/decoy"}}"#),
    );
    Mock::given(method("GET"))
        .and(path("/v1.0/auditLogs/signIns"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(raw(page0))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/auditLogs/signIns"))
        .and(query_param("$skiptoken", "real"))
        .respond_with(raw(body(&["b".to_owned()], 0, None, "")))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/decoy"))
        .respond_with(raw(body(
            &["decoy".to_owned()],
            0,
            Some(&format!("{base}/v1.0/decoy-failing")),
            "",
        )))
        .expect(0..=1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/decoy-failing"))
        .respond_with(reply(
            404,
            json!({"error": {"code": "Request_ResourceNotFound", "message": "gone"}}),
        ))
        .expect(0..=1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new())
        .throttling(false)
        .build()
        .unwrap();

    let items: Vec<Item> = client
        .items(GraphRequest::get("auditLogs/signIns"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        items,
        [Item { id: "a".into() }, Item { id: "b".into() }],
        "the pages the links name, and nothing else"
    );
}

#[tokio::test]
async fn a_foreign_next_link_behind_a_same_origin_decoy_is_refused_after_its_page() {
    let graph = server().await;
    let elsewhere = MockServer::start().await;
    let base = graph.uri();
    let page0 = body(
        &["a".to_owned()],
        0,
        Some(&format!(
            "{}/v1.0/auditLogs/signIns?$skiptoken=steal",
            elsewhere.uri()
        )),
        &format!(r#","extra":{{"@odata.nextLink":"{base}/v1.0/decoy"}}"#),
    );
    Mock::given(method("GET"))
        .and(path("/v1.0/auditLogs/signIns"))
        .respond_with(raw(page0))
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/decoy"))
        .respond_with(raw(body(&["decoy".to_owned()], 0, None, "")))
        .expect(0..=1)
        .mount(&graph)
        .await;
    let client = builder(&graph, TestCredential::new())
        .throttling(false)
        .build()
        .unwrap();

    let mut pages = client.pages::<Item>(GraphRequest::get("auditLogs/signIns"));
    let first = pages.next().await.unwrap().unwrap();
    assert_eq!(first.items, [Item { id: "a".into() }]);
    let err = pages.next().await.unwrap().unwrap_err();
    assert!(err.is_foreign_origin(), "{err:?}");
    assert!(pages.next().await.is_none(), "the stream ends at the error");
    assert!(
        pages
            .continuation()
            .unwrap()
            .link()
            .starts_with(&elsewhere.uri()),
        "the continuation names the refused link"
    );
    assert!(
        elsewhere.received_requests().await.unwrap().is_empty(),
        "nothing reached the other host"
    );
}

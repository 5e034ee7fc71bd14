//! Pages that never wedge a crawl: items that do not parse, answers without `value`, paging
//! loops, page limits, stale continuations and Graph's clock.

use std::sync::Arc;

use futures::TryStreamExt;
use graph_client::{GraphError, GraphRequest, Lenient, Page};
use serde::Deserialize;
use serde_json::json;
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{builder, json as reply, server, TestCredential};

#[derive(Debug, Deserialize)]
struct Item {
    id: String,
    #[allow(dead_code)]
    n: u32,
}

#[tokio::test]
async fn an_item_of_the_wrong_type_is_rejected_alone_and_the_rest_of_the_page_is_read() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/things"))
        .respond_with(reply(
            200,
            json!({"value": [{"id": "a", "n": 1}, {"id": "b", "n": "two"}, {"id": "c", "n": 3}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let pages: Vec<Page<Lenient<Item>>> = client
        .pages(GraphRequest::get("things"))
        .try_collect()
        .await
        .unwrap();
    let items: Vec<_> = pages.into_iter().flat_map(|p| p.items).collect();
    let parsed: Vec<String> = items
        .iter()
        .filter_map(|i| match i {
            Lenient::Parsed(item) => Some(item.id.clone()),
            Lenient::Rejected(_) => None,
        })
        .collect();
    assert_eq!(parsed, ["a", "c"]);
    let rejected: Vec<_> = items
        .iter()
        .filter_map(|i| match i {
            Lenient::Rejected(r) => Some(r),
            Lenient::Parsed(_) => None,
        })
        .collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].id().as_deref(), Some("b"));
    assert_eq!(rejected[0].json(), r#"{"id":"b","n":"two"}"#);
    assert!(
        rejected[0].error().contains("invalid type"),
        "{}",
        rejected[0].error()
    );
}

#[tokio::test]
async fn an_answer_without_value_is_a_typed_error_naming_the_path_not_an_empty_last_page() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/things"))
        .respond_with(reply(200, json!({"@odata.context": "x", "error": null})))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let result: Result<Vec<Item>, GraphError> = client
        .items(GraphRequest::get("things"))
        .try_collect()
        .await;
    let err = result.expect_err("a page without value is an error");
    assert!(err.is_missing_value(), "{err:?}");
    assert!(err.to_string().contains("/v1.0/things"), "{err}");
}

#[tokio::test]
async fn a_next_link_back_to_a_page_already_read_ends_the_crawl_with_a_paging_loop_error() {
    let server = server().await;
    let base = server.uri();
    // things -> p2 -> p3 -> p2 -> ...
    Mock::given(method("GET"))
        .and(path("/v1.0/things"))
        .and(query_param_is_missing("$skiptoken"))
        .respond_with(reply(
            200,
            json!({"value": [{"id": "a", "n": 1}], "@odata.nextLink": format!("{base}/v1.0/things?$skiptoken=p2")}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/things"))
        .and(query_param("$skiptoken", "p2"))
        .respond_with(reply(
            200,
            json!({"value": [{"id": "b", "n": 2}], "@odata.nextLink": format!("{base}/v1.0/things?$skiptoken=p3")}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/things"))
        .and(query_param("$skiptoken", "p3"))
        .respond_with(reply(
            200,
            json!({"value": [{"id": "c", "n": 3}], "@odata.nextLink": format!("{base}/v1.0/things?$skiptoken=p2")}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut stream = client.pages::<Item>(GraphRequest::get("things"));
    let mut ids = Vec::new();
    let err = loop {
        match stream.try_next().await {
            Ok(Some(page)) => ids.extend(page.items.into_iter().map(|i| i.id)),
            Ok(None) => panic!("the loop must not end as a complete crawl"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        ids,
        ["a", "b", "c"],
        "every page before the loop is yielded"
    );
    assert!(err.is_paging_loop(), "{err:?}");
}

#[tokio::test]
async fn a_crawl_past_its_page_limit_stops_with_a_page_limit_error_before_fetching_more() {
    let server = server().await;
    let base = server.uri();
    // An endless chain: every page links to the next number.
    for n in 0..3u32 {
        let matcher = if n == 0 {
            Mock::given(method("GET"))
                .and(path("/v1.0/things"))
                .and(query_param_is_missing("$skiptoken"))
        } else {
            Mock::given(method("GET"))
                .and(path("/v1.0/things"))
                .and(query_param("$skiptoken", n.to_string()))
        };
        matcher
            .respond_with(reply(
                200,
                json!({"value": [{"id": n.to_string(), "n": n}],
                       "@odata.nextLink": format!("{base}/v1.0/things?$skiptoken={}", n + 1)}),
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let mut stream = client
        .pages::<Item>(GraphRequest::get("things"))
        .max_pages(3);
    let mut pages = 0;
    let err = loop {
        match stream.try_next().await {
            Ok(Some(_)) => pages += 1,
            Ok(None) => panic!("an endless chain cannot end"),
            Err(e) => break e,
        }
    };
    assert_eq!(pages, 3);
    assert!(err.is_page_limit(), "{err:?}");
    assert!(
        stream
            .continuation()
            .is_some_and(|c| c.link().ends_with("$skiptoken=3")),
        "resumable where it stopped: {:?}",
        stream.continuation()
    );
}

#[tokio::test]
async fn stale_continuation_answers_are_recognised_and_others_are_not() {
    let server = server().await;
    let answers = [
        (
            "gone",
            410,
            json!({"error": {"code": "Gone", "message": "gone"}}),
            true,
        ),
        (
            "directory",
            400,
            json!({"error": {"code": "Request_BadRequest", "message": "Invalid object identifier 'x'."}}),
            false,
        ),
        (
            "token",
            400,
            json!({"error": {"code": "DirectoryPageTokenNotFoundException", "message": "The directory page token was not found."}}),
            true,
        ),
        (
            "skip",
            400,
            json!({"error": {"code": "BadRequest", "message": "Invalid $skiptoken: expired."}}),
            true,
        ),
        (
            "filter",
            400,
            json!({"error": {"code": "BadRequest", "message": "Invalid filter clause"}}),
            false,
        ),
    ];
    for (name, status, body, _) in &answers {
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/{name}")))
            .respond_with(reply(*status, body.clone()))
            .mount(&server)
            .await;
    }
    let client = builder(&server, TestCredential::new()).build().unwrap();
    for (name, _, _, stale) in answers {
        let err = client
            .send::<serde_json::Value>(GraphRequest::get(name))
            .await
            .unwrap_err();
        assert_eq!(err.is_stale_continuation(), stale, "{name}: {err}");
    }
}

#[tokio::test]
async fn the_client_tracks_graphs_clock_from_the_date_header_against_its_own_clock() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/things"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"value": []}))
                .insert_header("Date", "Sun, 01 Jun 2025 12:40:00 GMT"),
        )
        .mount(&server)
        .await;
    #[derive(Debug)]
    struct Fixed;
    impl entra_auth::Clock for Fixed {
        fn now(&self) -> time::OffsetDateTime {
            time::macros::datetime!(2025-06-01 12:00 UTC)
        }
    }
    let client = builder(&server, TestCredential::new())
        .clock(Arc::new(Fixed))
        .build()
        .unwrap();
    assert_eq!(client.server_now(), None, "nothing seen yet");
    let _: Vec<Item> = client
        .items(GraphRequest::get("things"))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        client.server_clock_offset(),
        Some(time::Duration::minutes(40))
    );
    assert_eq!(
        client.server_now(),
        Some(time::macros::datetime!(2025-06-01 12:40 UTC))
    );
}

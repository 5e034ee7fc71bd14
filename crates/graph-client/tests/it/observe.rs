//! Request events reported to the observer in scope.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::TryStreamExt;
use graph_client::{
    observe, GraphRequest, Observer, Rate, RequestEvent, ThrottleClass, ThrottleLimits,
};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer};

use crate::common::{builder, json as reply, server, TestCredential};

fn recorder() -> (Observer, Arc<Mutex<Vec<RequestEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    let observer: Observer = Arc::new(move |e: &RequestEvent| sink.lock().unwrap().push(e.clone()));
    (observer, events)
}

async fn mount_sign_in_pages(server: &MockServer, pages: usize) {
    let base = server.uri();
    for p in 0..pages {
        let mut body = json!({"value": [{"id": format!("s{p}")}]});
        if p + 1 < pages {
            body["@odata.nextLink"] = json!(format!(
                "{base}/v1.0/auditLogs/signIns?$skiptoken=p{}",
                p + 1
            ));
        }
        let mock = Mock::given(method("GET")).and(path("/v1.0/auditLogs/signIns"));
        let mock = if p == 0 {
            mock.and(query_param_is_missing("$skiptoken"))
        } else {
            mock.and(query_param("$skiptoken", format!("p{p}")))
        };
        mock.respond_with(reply(200, body)).mount(server).await;
    }
}

#[tokio::test(start_paused = true)]
async fn paced_waits_of_background_page_fetches_reach_the_observer_in_scope() {
    let server = server().await;
    mount_sign_in_pages(&server, 4).await;
    let client = builder(&server, TestCredential::new())
        .throttle_limits(ThrottleLimits::default().reports(Rate::new(2, Duration::from_secs(10))))
        .build()
        .unwrap();
    let (observer, events) = recorder();

    let items: Vec<Value> = observe(observer, async {
        client
            .items::<Value>(GraphRequest::get("auditLogs/signIns"))
            .try_collect()
            .await
    })
    .await
    .unwrap();
    assert_eq!(items.len(), 4);

    let events = events.lock().unwrap();
    let answered = events
        .iter()
        .filter(|e| {
            matches!(
                e,
                RequestEvent::Answered {
                    class: ThrottleClass::Reports,
                    status: 200,
                    ..
                }
            )
        })
        .count();
    assert_eq!(
        answered, 4,
        "every page, fetched by the stream's task, is reported: {events:?}"
    );
    let paced: Vec<Duration> = events
        .iter()
        .filter_map(|e| match e {
            RequestEvent::Paced {
                class: ThrottleClass::Reports,
                wait,
            } => Some(*wait),
            _ => None,
        })
        .collect();
    // Pages 1 and 2 start at 0 s; page 3 waits for the next 10-s window and its 1 % guard
    // (page 4, asked for when page 3 arrives, fits in that window without a wait).
    assert_eq!(paced, [Duration::from_millis(10_100)], "{events:?}");
}

#[tokio::test(start_paused = true)]
async fn a_429_is_reported_as_a_throttled_retry_with_its_wait() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(
            reply(
                429,
                json!({"error": {"code": "TooManyRequests", "message": "slow down"}}),
            )
            .insert_header("Retry-After", "3"),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .respond_with(reply(200, json!({"value": []})))
        .with_priority(2)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let (observer, events) = recorder();

    let _: Value = observe(observer, client.send(GraphRequest::get("organization")))
        .await
        .unwrap();

    let events = events.lock().unwrap();
    let retry = events
        .iter()
        .find(|e| e.is_throttled())
        .expect("a throttled retry event");
    assert!(
        matches!(retry, RequestEvent::Retrying { status: Some(429), attempt: 1, wait, .. } if *wait >= Duration::from_secs(3)),
        "{retry:?}"
    );
    assert!(matches!(
        events.last(),
        Some(RequestEvent::Answered { status: 200, .. })
    ));
}

#[tokio::test]
async fn requests_outside_a_scope_report_nothing_and_do_not_fail() {
    let server = server().await;
    mount_sign_in_pages(&server, 2).await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let (observer, events) = recorder();
    // The stream is created outside the scope: its fetches are not observed.
    let stream = client.items::<Value>(GraphRequest::get("auditLogs/signIns"));
    let items: Vec<Value> = observe(observer, stream.try_collect()).await.unwrap();
    assert_eq!(items.len(), 2);
    assert!(events.lock().unwrap().is_empty());
}

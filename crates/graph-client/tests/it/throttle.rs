//! Client-side throttle pacing, on paused time.

use std::time::Duration;

use futures::future::join_all;
use graph_client::{GraphRequest, Rate, ThrottleLimits};
use serde_json::{json, Value};
use tokio::time::Instant;
use wiremock::matchers::{header, method, path, path_regex};
use wiremock::Mock;

use crate::common::{builder, json as reply, server, TestCredential};

#[tokio::test(start_paused = true)]
async fn a_burst_of_20_report_requests_is_held_to_5_per_10_seconds() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v1\.0/auditLogs/signIns/s\d+$"))
        .respond_with(reply(200, json!({"id": "s"})))
        .expect(20)
        .mount(&server)
        .await;
    let cred = TestCredential::new();
    let client = builder(&server, cred.clone()).build().unwrap();

    let t0 = Instant::now();
    let calls = (0..20).map(|i| {
        let client = client.clone();
        async move {
            client
                .send::<Value>(GraphRequest::get(format!("auditLogs/signIns/s{i}")))
                .await
        }
    });
    for r in join_all(calls).await {
        r.unwrap();
    }

    // The credential is asked for a token right before each send, after the throttle wait:
    // these are the dispatch times, on tokio's (paused) clock.
    let mut times: Vec<Duration> = cred.times().iter().map(|t| *t - t0).collect();
    times.sort();
    assert_eq!(times.len(), 20);
    for w in times.windows(6) {
        assert!(
            w[5] - w[0] >= Duration::from_secs(10),
            "6 requests within 10 s: {times:?}"
        );
    }
    let secs: Vec<u64> = times.iter().map(Duration::as_secs).collect();
    assert_eq!(
        secs,
        [0, 0, 0, 0, 0, 10, 10, 10, 10, 10, 20, 20, 20, 20, 20, 30, 30, 30, 30, 30],
        "no slower than the limit either"
    );
}

#[tokio::test(start_paused = true)]
async fn report_limits_are_settable_and_pacing_can_be_disabled() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/auditLogs/directoryAudits"))
        .respond_with(reply(200, json!({"value": []})))
        .expect(8)
        .mount(&server)
        .await;

    let cred = TestCredential::new();
    let client = builder(&server, cred.clone())
        .throttle_limits(ThrottleLimits::default().reports(Rate::new(2, Duration::from_secs(1))))
        .build()
        .unwrap();
    let t0 = Instant::now();
    for _ in 0..4 {
        client
            .send::<Value>(GraphRequest::get("auditLogs/directoryAudits"))
            .await
            .unwrap();
    }
    // One window (plus its 1 % guard) between the pairs.
    assert_eq!(t0.elapsed(), Duration::from_millis(1010));

    let off = builder(&server, TestCredential::new())
        .throttling(false)
        .build()
        .unwrap();
    let t1 = Instant::now();
    for _ in 0..4 {
        off.send::<Value>(GraphRequest::get("auditLogs/directoryAudits"))
            .await
            .unwrap();
    }
    assert_eq!(t1.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn identity_protection_is_paced_to_one_request_per_second() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/identityProtection/riskyUsers"))
        .respond_with(reply(200, json!({"value": []})))
        .expect(3)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let t0 = Instant::now();
    for _ in 0..3 {
        client
            .send::<Value>(GraphRequest::get("identityProtection/riskyUsers"))
            .await
            .unwrap();
    }
    assert_eq!(
        t0.elapsed(),
        Duration::from_millis(2020),
        "1 s + 1 % guard each"
    );
}

#[tokio::test(start_paused = true)]
async fn directory_reads_spend_resource_units_from_the_tenant_bucket() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/groups/g/transitiveMembers"))
        .respond_with(reply(200, json!({"value": []})))
        .expect(3)
        .mount(&server)
        .await;
    // A 10 RU / 10 s bucket: transitiveMembers costs 5 RU, so two fit and the third waits 5 s.
    let client = builder(&server, TestCredential::new())
        .throttle_limits(ThrottleLimits::default().directory_resource_units(10))
        .build()
        .unwrap();
    let t0 = Instant::now();
    for _ in 0..3 {
        client
            .send::<Value>(GraphRequest::get("groups/g/transitiveMembers"))
            .await
            .unwrap();
    }
    assert_eq!(t0.elapsed(), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_high_limit_percentage_slows_the_class_down() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/auditLogs/signIns"))
        .respond_with(
            reply(200, json!({"value": []})).insert_header("x-ms-throttle-limit-percentage", "0.9"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new())
        .throttle_limits(ThrottleLimits::default().reports(Rate::new(1, Duration::from_secs(1))))
        .build()
        .unwrap();
    let t0 = Instant::now();
    for _ in 0..3 {
        client
            .send::<Value>(GraphRequest::get("auditLogs/signIns"))
            .await
            .unwrap();
    }
    // 1 request / s, doubled to 1 request / 2 s after Graph reported 90 % of the limit used
    // (each window with its 1 % guard).
    assert_eq!(t0.elapsed(), Duration::from_millis(4040));
}

#[tokio::test]
async fn background_mode_sends_low_priority_and_every_request_has_its_own_client_request_id() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/organization"))
        .and(header("x-ms-throttle-priority", "Low"))
        .respond_with(reply(200, json!({})))
        .expect(2)
        .mount(&server)
        .await;
    let cred = TestCredential::new();
    let client = builder(&server, cred.clone())
        .background(true)
        .build()
        .unwrap();
    client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap();
    client
        .send::<Value>(GraphRequest::get("organization"))
        .await
        .unwrap();

    let requests = server.received_requests().await.unwrap();
    let ids: Vec<String> = requests
        .iter()
        .map(|r| {
            r.headers
                .get("client-request-id")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_ne!(ids[0], ids[1]);
    for id in &ids {
        assert_eq!(uuid::Uuid::parse_str(id).unwrap().get_version_num(), 4);
    }
    assert_eq!(cred.scopes()[0], format!("{}/.default", server.uri()));
}

//! Documented throttling limits answer 429 with Retry-After; injected faults.

mod common;

use common::*;
use entra_fake::{FakeTenant, Throttling};

#[tokio::test]
async fn reports_answer_429_with_retry_after_past_five_requests_in_ten_seconds() {
    let t = FakeTenant::builder()
        .seed(31)
        .members(10)
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let url = graph(&t, "v1.0/auditLogs/signIns?$top=10");
    for _ in 0..5 {
        assert_eq!(get(&url, &tok).await.0, 200);
    }
    let (s, h, b) = get(&url, &tok).await;
    assert_eq!(s, 429);
    assert_eq!(b["error"]["code"], "TooManyRequests");
    assert_eq!(b["error"]["innerError"]["status"], "429");
    let retry: u64 = h["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    assert!(h["x-ms-throttle-scope"]
        .to_str()
        .unwrap()
        .starts_with("Tenant_Application/"));
    // Audits share the reports bucket.
    assert_eq!(
        get(&graph(&t, "v1.0/auditLogs/directoryAudits"), &tok)
            .await
            .0,
        429
    );
    // Directory reads are not in that bucket.
    assert_eq!(get(&graph(&t, "v1.0/users"), &tok).await.0, 200);
    // Honouring Retry-After on the tenant's clock lets the next request through.
    t.clock().advance(time::Duration::seconds(retry as i64));
    assert_eq!(get(&url, &tok).await.0, 200);
}

#[tokio::test]
async fn identity_protection_throttles_at_one_per_second_without_retry_after() {
    let t = FakeTenant::builder()
        .seed(32)
        .members(10)
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let url = graph(&t, "v1.0/identityProtection/riskyUsers");
    assert_eq!(get(&url, &tok).await.0, 200);
    let (s, h, _) = get(&graph(&t, "v1.0/identity/conditionalAccess/policies"), &tok).await;
    assert_eq!(s, 429);
    assert!(!h.contains_key("retry-after"));
    t.clock().advance(time::Duration::seconds(1));
    assert_eq!(get(&url, &tok).await.0, 200);
}

#[tokio::test]
async fn sign_in_activity_is_limited_to_ten_requests_a_minute() {
    let t = FakeTenant::builder()
        .seed(33)
        .members(10)
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let url = graph(&t, "v1.0/users?$select=displayName,signInActivity");
    for _ in 0..10 {
        assert_eq!(get(&url, &tok).await.0, 200);
    }
    let (s, h, _) = get(&url, &tok).await;
    assert_eq!(s, 429);
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() <= 60);
}

#[tokio::test]
async fn throttling_can_be_scaled_or_disabled() {
    let t = FakeTenant::builder()
        .seed(34)
        .members(10)
        .throttling(Throttling::scaled(2.0))
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let url = graph(&t, "v1.0/auditLogs/signIns?$top=1");
    for _ in 0..10 {
        assert_eq!(get(&url, &tok).await.0, 200);
    }
    assert_eq!(get(&url, &tok).await.0, 429);
    t.set_throttling(Throttling::disabled());
    for _ in 0..20 {
        assert_eq!(get(&url, &tok).await.0, 200);
    }
}

#[tokio::test]
async fn injected_faults_answer_503_bursts_and_a_malformed_page() {
    let t = FakeTenant::builder()
        .seed(35)
        .members(10)
        .throttling(Throttling::disabled())
        .record_requests(true)
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let url = graph(&t, "v1.0/users");
    t.inject_unavailable(2);
    for _ in 0..2 {
        let (s, h, b) = get(&url, &tok).await;
        assert_eq!(s, 503);
        assert_eq!(h["retry-after"], "1");
        assert_eq!(b["error"]["code"], "serviceNotAvailable");
    }
    assert_eq!(get(&url, &tok).await.0, 200);
    t.inject_malformed_page();
    let r = reqwest::Client::new()
        .get(&url)
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.unwrap();
    assert!(
        serde_json::from_str::<serde_json::Value>(&text).is_err(),
        "a truncated body"
    );
    assert_eq!(get(&url, &tok).await.0, 200);
    let rec = t.recorded_requests().unwrap();
    assert_eq!(rec.iter().filter(|r| r.status == 503).count(), 2);
    assert!(rec
        .iter()
        .any(|r| r.method == "POST" && r.path_and_query.ends_with("/oauth2/v2.0/token")));
}

#[tokio::test(start_paused = true)]
async fn latency_delays_responses_and_the_real_time_clock_follows_paused_time() {
    let t = FakeTenant::builder()
        .seed(36)
        .members(5)
        .real_time(true)
        .latency(std::time::Duration::from_millis(5))
        .start()
        .await
        .unwrap();
    let before = t.clock().now();
    tokio::time::advance(std::time::Duration::from_secs(90)).await;
    assert!(t.clock().now() - before >= time::Duration::seconds(90));
    let tok = token(&t).await;
    assert_eq!(get(&graph(&t, "v1.0/organization"), &tok).await.0, 200);
    t.set_latency(std::time::Duration::ZERO);
    assert!(
        t.recorded_requests().is_none(),
        "recording is off by default"
    );
}

#[tokio::test]
async fn directory_reads_report_their_resource_units() {
    let t = FakeTenant::builder()
        .seed(37)
        .members(5)
        .listen("127.0.0.1:0".parse().unwrap())
        .start()
        .await
        .unwrap();
    assert!(t.uri().starts_with("http://127.0.0.1:"));
    let summary = t.connection_summary();
    assert!(
        summary.contains(t.tenant_id())
            && summary.contains(t.client_id())
            && summary.contains(t.client_secret())
    );
    let tok = token(&t).await;
    let (_, h, _) = get(&graph(&t, "v1.0/users"), &tok).await;
    assert_eq!(h["x-ms-resource-unit"], "2");
    let (_, h, _) = get(&graph(&t, "v1.0/users?$select=id"), &tok).await;
    assert_eq!(h["x-ms-resource-unit"], "1");
    let groups = get_ok(&graph(&t, "v1.0/groups?$top=1"), &tok).await;
    let (_, h, _) = get(
        &graph(
            &t,
            &format!(
                "v1.0/groups/{}/transitiveMembers",
                groups["value"][0]["id"].as_str().unwrap()
            ),
        ),
        &tok,
    )
    .await;
    assert_eq!(h["x-ms-resource-unit"], "5");
}

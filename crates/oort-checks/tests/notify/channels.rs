//! Teams and webhook payloads, headers, signatures and error handling against wiremock.

use std::time::Duration;

use oort_checks::notify::{
    Event, FindingEvent, Notification, Notifier, NotifyErrorKind, TeamsConfig, TeamsNotifier,
    WebhookConfig, WebhookNotifier,
};
use oort_checks::{CheckId, Severity};
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use super::{finding, now};

const TIMEOUT: Duration = Duration::from_secs(10);

/// A server that fails loudly on any request no test mock expects.
async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .mount(&server)
        .await;
    server
}

fn spray() -> Notification {
    Notification::finding(
        "t1",
        now(),
        FindingEvent::new(
            Event::Opened,
            finding(
                CheckId::PasswordSpray,
                Severity::High,
                "203.0.113.7",
                "203.0.113.7 sprayed passwords at 2 users",
            ),
        ),
    )
}

fn body(server_requests: &[wiremock::Request], i: usize) -> Value {
    serde_json::from_slice(&server_requests[i].body).unwrap()
}

fn texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(t)) = m.get("text") {
                out.push(t.clone());
            }
            for v in m.values() {
                texts(v, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| texts(v, out)),
        _ => {}
    }
}

fn facts(v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            if m.get("type").and_then(Value::as_str) == Some("FactSet") {
                for f in m["facts"].as_array().unwrap() {
                    out.push((
                        f["title"].as_str().unwrap().to_owned(),
                        f["value"].as_str().unwrap().to_owned(),
                    ));
                }
            }
            m.values().for_each(|v| facts(v, out));
        }
        Value::Array(a) => a.iter().for_each(|v| facts(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn teams_posts_an_adaptive_card_with_title_severity_summary_evidence_and_times() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/workflows/abc"))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let url = SecretString::from(format!("{}/workflows/abc?sig=s3cr3t", server.uri()));
    let teams = TeamsNotifier::new(&TeamsConfig::new(url), TIMEOUT).unwrap();
    teams.send(&spray()).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers["content-type"], "application/json",
        "JSON content type"
    );
    let body = body(&requests, 0);
    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    assert!(attachment["contentUrl"].is_null());
    let card = &attachment["content"];
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    let title = &card["body"][0];
    assert_eq!(title["type"], "TextBlock");
    assert_eq!(
        title["text"],
        "[HIGH] New password-spray: 203.0.113.7 sprayed passwords at 2 users"
    );
    assert_eq!(title["color"], "Attention", "high severity stands out");
    let mut t = Vec::new();
    texts(card, &mut t);
    assert!(
        t.iter()
            .any(|t| t == "203.0.113.7 sprayed passwords at 2 users"),
        "the summary: {t:?}"
    );
    assert!(
        t.iter().any(|t| t.contains("Block the IP")),
        "the recommendation"
    );
    let mut f = Vec::new();
    facts(card, &mut f);
    let fact = |k: &str| {
        f.iter()
            .find(|(t, _)| t == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no fact {k}: {f:?}"))
    };
    assert_eq!(fact("Severity"), "high");
    assert_eq!(fact("Check"), "password-spray (threat)");
    assert_eq!(fact("Subject"), "IP 203.0.113.7");
    assert_eq!(fact("First seen"), "2024-05-01 10:00:00 UTC");
    assert_eq!(fact("Last seen"), "2024-05-01 10:20:00 UTC");
    assert_eq!(fact("Users"), "adele@contoso.com, bob@contoso.com");
    assert_eq!(fact("IPs"), "203.0.113.7");
    assert_eq!(fact("Countries"), "NL");
    assert_eq!(fact("failed users"), "2");
}

#[tokio::test]
async fn teams_digest_is_one_card_listing_every_finding_and_counting_the_rest() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(200).set_body_string("1"))
        .expect(1)
        .mount(&server)
        .await;
    let url = SecretString::from(format!("{}/hook", server.uri()));
    let teams = TeamsNotifier::new(&TeamsConfig::new(url), TIMEOUT).unwrap();
    let events = vec![
        FindingEvent::new(
            Event::Opened,
            finding(
                CheckId::PasswordSpray,
                Severity::High,
                "203.0.113.7",
                "spray from 203.0.113.7",
            ),
        ),
        FindingEvent::new(
            Event::Reopened,
            finding(
                CheckId::BruteForce,
                Severity::Medium,
                "198.51.100.9",
                "brute force from 198.51.100.9",
            ),
        ),
    ];
    teams
        .send(&Notification::digest("t1", now(), events, 3))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let card = &body(&requests, 0)["attachments"][0]["content"];
    assert_eq!(
        card["body"][0]["text"],
        "5 findings to review (most severe: high)"
    );
    let containers: Vec<&Value> = card["body"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "Container")
        .collect();
    assert_eq!(containers.len(), 2, "one entry per listed finding");
    let mut t = Vec::new();
    texts(card, &mut t);
    for expected in [
        "spray from 203.0.113.7",
        "brute force from 198.51.100.9",
        "...and 3 more: run `oort findings` to see them all.",
    ] {
        assert!(t.iter().any(|t| t == expected), "{expected:?} in {t:?}");
    }
    assert!(t
        .iter()
        .any(|t| t
            .contains("First seen 2024-05-01 10:00:00 UTC - last seen 2024-05-01 10:20:00 UTC")));
}

#[tokio::test]
async fn webhook_posts_the_finding_json_with_its_event_signature_and_extra_headers() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/in"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let mut config = WebhookConfig::new(SecretString::from(format!("{}/in", server.uri())));
    config.secret = Some(SecretString::from("signing-key".to_owned()));
    config.headers.insert(
        "Authorization".to_owned(),
        SecretString::from("Bearer tok-123".to_owned()),
    );
    let hook = WebhookNotifier::new(&config, TIMEOUT).unwrap();
    let message = spray();
    hook.send(&message).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    let body: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["event"], "finding.opened");
    assert_eq!(body["tenant"], "t1");
    assert_eq!(body["sent_at"], "2024-05-02T08:00:00Z");
    assert_eq!(body["finding"]["check_id"], "password-spray");
    assert_eq!(body["finding"]["severity"], "high");
    assert_eq!(body["finding"]["status"], "open");
    assert_eq!(body["finding"]["subject"]["address"], "203.0.113.7");
    assert_eq!(body["finding"]["evidence"]["facts"]["failed_users"], 2);
    assert_eq!(
        body["finding"]["fingerprint"],
        message.events()[0].finding.fingerprint.as_str()
    );
    assert_eq!(request.headers["x-oort-event"], "finding.opened");
    assert_eq!(request.headers["authorization"], "Bearer tok-123");
    assert_eq!(
        request.headers["x-oort-signature"].to_str().unwrap(),
        WebhookNotifier::signature(b"signing-key", &request.body),
        "HMAC-SHA256 of the exact body bytes"
    );
}

#[test]
fn webhook_signature_is_hmac_sha256_in_hex() {
    // RFC 4231, test case 2.
    assert_eq!(
        WebhookNotifier::signature(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

#[tokio::test]
async fn webhook_digest_lists_every_finding_with_its_event() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/in"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let hook = WebhookNotifier::new(
        &WebhookConfig::new(SecretString::from(format!("{}/in", server.uri()))),
        TIMEOUT,
    )
    .unwrap();
    let events = vec![
        FindingEvent::new(
            Event::Opened,
            finding(CheckId::PasswordSpray, Severity::High, "203.0.113.7", "a"),
        ),
        FindingEvent::new(
            Event::Resolved,
            finding(CheckId::BruteForce, Severity::Medium, "198.51.100.9", "b"),
        ),
    ];
    hook.send(&Notification::digest("t1", now(), events, 1))
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body["event"], "digest");
    assert_eq!(body["count"], 3);
    assert_eq!(body["omitted"], 1);
    let findings = body["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2);
    assert_eq!(findings[0]["event"], "finding.opened");
    assert_eq!(findings[0]["finding"]["summary"], "a");
    assert_eq!(findings[1]["event"], "finding.resolved");
    assert!(
        requests[0].headers.get("x-oort-signature").is_none(),
        "unsigned without a secret"
    );
}

#[tokio::test]
async fn errors_and_debug_output_never_show_the_url_or_secrets() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/hook/SIGNATURE-TOKEN"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let url = format!("{}/hook/SIGNATURE-TOKEN?sig=QUERY-SECRET", server.uri());
    let teams =
        TeamsNotifier::new(&TeamsConfig::new(SecretString::from(url.clone())), TIMEOUT).unwrap();
    let refused = teams.send(&spray()).await.unwrap_err();
    assert_eq!(refused.status(), Some(404));
    assert!(!refused.is_retriable(), "a 4xx is not retried");

    // Nothing listens on this port: a connection error, whose text comes from reqwest.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut config = WebhookConfig::new(SecretString::from(format!(
        "http://127.0.0.1:{closed}/in/SIGNATURE-TOKEN?sig=QUERY-SECRET"
    )));
    config.secret = Some(SecretString::from("HMAC-KEY".to_owned()));
    config.headers.insert(
        "Authorization".to_owned(),
        SecretString::from("Bearer HEADER-TOKEN".to_owned()),
    );
    let hook = WebhookNotifier::new(&config, TIMEOUT).unwrap();
    let unreachable = hook.send(&spray()).await.unwrap_err();
    assert_eq!(unreachable.kind(), &NotifyErrorKind::Unreachable);
    assert!(unreachable.is_retriable());

    let texts = [
        refused.to_string(),
        refused.report(),
        format!("{refused:?}"),
        unreachable.to_string(),
        unreachable.report(),
        format!("{unreachable:?}"),
        format!("{teams:?}"),
        format!("{hook:?}"),
        format!("{config:?}"),
    ];
    for t in &texts {
        for secret in [
            "SIGNATURE-TOKEN",
            "QUERY-SECRET",
            "HMAC-KEY",
            "HEADER-TOKEN",
        ] {
            assert!(!t.contains(secret), "{secret} leaked in {t}");
        }
    }
    assert!(
        refused.to_string().contains("teams"),
        "names the channel: {refused}"
    );
    assert!(
        refused.to_string().contains("HTTP 404"),
        "names the status: {refused}"
    );
    assert!(unreachable.to_string().contains("webhook"), "{unreachable}");
}

#[test]
fn plain_http_urls_are_refused_except_to_loopback() {
    let remote = TeamsConfig::new(SecretString::from(
        "http://example.com/hook?sig=abc".to_owned(),
    ));
    let err = TeamsNotifier::new(&remote, TIMEOUT).unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
    assert!(!err.to_string().contains("sig=abc"), "{err}");
    let local = TeamsConfig::new(SecretString::from("http://localhost:1/hook".to_owned()));
    assert!(TeamsNotifier::new(&local, TIMEOUT).is_ok());
}

#[tokio::test]
async fn a_429_is_retriable_and_carries_its_retry_after() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path("/hook"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "7"))
        .mount(&server)
        .await;
    let url = SecretString::from(format!("{}/hook", server.uri()));
    let teams = TeamsNotifier::new(&TeamsConfig::new(url), TIMEOUT).unwrap();
    let err = teams.send(&spray()).await.unwrap_err();
    assert!(err.is_retriable());
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

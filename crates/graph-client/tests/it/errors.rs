//! Error bodies of the documented shapes, correlation values, predicates, decode errors.

use graph_client::{GraphError, GraphRequest, RetryPolicy};
use serde::Deserialize;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{builder, server, TestCredential};

/// Sends one GET (no retries) to a server answering `status` with `body` and returns the error.
async fn error_for(status: u16, body: &str, content_type: &str) -> GraphError {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/subscribedSkus"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.to_owned(), content_type))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new())
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    client
        .send::<Value>(GraphRequest::get("subscribedSkus").select(["skuId"]))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn documented_error_body_with_inner_error_is_parsed() {
    // graph-examples/errors/concepts-errors-1.json
    let body = r#"{
      "error": {
        "code": "invalidRange",
        "message": "Uploaded fragment overlaps with existing data.",
        "innerError": {
          "request-id": "request-id",
          "date": "date-time"
        }
      }
    }"#;
    let err = error_for(416, body, "application/json").await;
    assert_eq!(err.status(), Some(416));
    assert_eq!(err.code(), Some("invalidRange"));
    assert_eq!(
        err.message(),
        Some("Uploaded fragment overlaps with existing data.")
    );
    assert_eq!(err.request_id(), Some("request-id"));
    assert_eq!(err.date(), Some("date-time"));
    // Graph did not echo it here: the id the client sent is kept for the support case.
    let sent = uuid::Uuid::parse_str(err.client_request_id().unwrap()).unwrap();
    assert_eq!(sent.get_version_num(), 4);
}

#[tokio::test]
async fn documented_error_body_without_code_is_parsed() {
    // graph-examples/errors/concepts-errors-2.json
    let err = error_for(
        500,
        r#"{ "error": { "@odata.type": "odata.error" } }"#,
        "application/json",
    )
    .await;
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.code(), None);
    assert_eq!(err.message(), None);
}

#[tokio::test]
async fn documented_bare_error_object_with_lowercase_innererror_is_parsed() {
    // graph-examples/errors/concepts-errors-3.json, plus correlation values in `innererror`
    let body = r#"{"code": "string", "message": "string",
        "innererror": { "@odata.type": "odata.error", "request-id": "r-lower", "client-request-id": "c-lower", "date": "2021-05-18T19:03:10" }}"#;
    let err = error_for(400, body, "application/json").await;
    assert_eq!(err.code(), Some("string"));
    assert_eq!(err.message(), Some("string"));
    assert_eq!(err.request_id(), Some("r-lower"));
    assert_eq!(err.client_request_id(), Some("c-lower"));
    assert_eq!(err.date(), Some("2021-05-18T19:03:10"));
}

#[tokio::test]
async fn documented_throttling_body_is_parsed() {
    // graph-examples/errors/concepts-throttling-1.json
    let body = r#"{
      "error": {
        "code": "TooManyRequests",
        "innerError": {
          "code": "429",
          "date": "2020-08-18T12:51:51",
          "message": "Please retry after",
          "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
          "status": "429"
        },
        "message": "Please retry again later."
      }
    }"#;
    let err = error_for(429, body, "application/json").await;
    assert!(err.is_throttled());
    assert_eq!(err.code(), Some("TooManyRequests"));
    assert_eq!(err.message(), Some("Please retry again later."));
    assert_eq!(
        err.request_id(),
        Some("94fb3b52-452a-4535-a601-69e0a90e3aa2")
    );
    assert_eq!(err.date(), Some("2020-08-18T12:51:51"));
}

#[tokio::test]
async fn the_non_premium_tenant_error_is_licence_required_not_permission_denied() {
    let body = r#"{"error":{"code":"Authentication_RequestFromNonPremiumTenantOrB2CTenant",
          "message":"Neither tenant is B2C or tenant doesn't have premium license",
          "innerError":{"date":"2020-11-05T12:09:59","request-id":"a","client-request-id":"b"}}}"#;
    let err = error_for(403, body, "application/json").await;
    assert!(err.is_forbidden());
    assert!(err.is_licence_required());
    assert!(!err.is_permission_denied());
    assert!(err.to_string().contains("P1/P2"), "{err}");
}

#[tokio::test]
async fn intunes_not_applicable_to_target_tenant_answer_is_intune_not_licensed() {
    let body = r#"{"error":{"code":"BadRequest","message":"Request not applicable to target tenant.",
        "innerError":{"date":"2023-01-04T10:00:00","request-id":"7d1f","client-request-id":"7d1f"}}}"#;
    let err = error_for(400, body, "application/json").await;
    assert!(err.is_intune_not_licensed());
    assert!(!err.is_licence_required());
    assert!(!err.is_permission_denied());
}

#[tokio::test]
async fn other_intune_400_403_and_404_answers_are_not_a_missing_licence() {
    for (status, code, message) in [
        (
            400,
            "BadRequest",
            "Resource not found for the segment 'managedDevicez'.",
        ),
        (
            403,
            "Forbidden",
            "Application is not authorized to perform this operation.",
        ),
        (404, "ResourceNotFound", "Resource not found"),
        (
            404,
            "BadRequest",
            "Request not applicable to target tenant.",
        ),
    ] {
        let body = json!({"error": {"code": code, "message": message,
            "innerError": {"request-id": "r-1", "date": "2023-01-04T10:00:00"}}})
        .to_string();
        let err = error_for(status, &body, "application/json").await;
        assert!(!err.is_intune_not_licensed(), "{status} {message}");
        assert_eq!(err.request_id(), Some("r-1"));
    }
}

#[tokio::test]
async fn a_missing_permission_is_permission_denied() {
    let body = r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.",
        "innerError":{"date":"2021-05-18T19:03:10","request-id":"d9bbd4d8","client-request-id":"539da3bd"}}}"#;
    let err = error_for(403, body, "application/json").await;
    assert!(err.is_permission_denied());
    assert!(!err.is_licence_required());
    assert!(!err.is_not_found());
}

#[tokio::test]
async fn a_non_json_502_page_is_an_error_with_an_excerpt() {
    let html = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body>\n</html>";
    let err = error_for(502, html, "text/html").await;
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.code(), None);
    let api = err.api().unwrap();
    assert!(api.body_excerpt().unwrap().contains("502 Bad Gateway"));
    assert!(!api.body_excerpt().unwrap().contains('\n'));
    assert!(err.to_string().contains("502"));
}

#[tokio::test]
async fn a_404_with_an_empty_body_is_not_found() {
    let err = error_for(404, "", "application/json").await;
    assert!(err.is_not_found());
    assert!(
        err.to_string().contains("GET /v1.0/subscribedSkus"),
        "{err}"
    );
}

#[tokio::test]
async fn correlation_headers_win_over_the_body() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/nobody"))
        .respond_with(
            ResponseTemplate::new(404)
                .insert_header("request-id", "from-header")
                .insert_header("client-request-id", "client-from-header")
                .set_body_raw(
                    r#"{"error":{"code":"Request_ResourceNotFound","message":"Resource 'nobody' does not exist.","innerError":{"request-id":"from-body"}}}"#,
                    "application/json",
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("users/nobody"))
        .await
        .unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.code(), Some("Request_ResourceNotFound"));
    assert_eq!(err.request_id(), Some("from-header"));
    assert_eq!(err.client_request_id(), Some("client-from-header"));
}

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Strict {
    count: u64,
}

#[tokio::test]
async fn a_decode_error_names_the_path_and_byte_offset_but_no_query_values_or_token() {
    let server = server().await;
    let body = r#"{"count": "not-a-number"}"#;
    Mock::given(method("GET"))
        .and(path("/v1.0/users/$count"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = builder(&server, TestCredential::new()).build().unwrap();
    let err = client
        .send::<Strict>(
            GraphRequest::get("users/$count").filter("mail eq 'secret.person@contoso.com'"),
        )
        .await
        .unwrap_err();
    let GraphError::Decode { path, offset, .. } = &err else {
        panic!("expected a decode error, got {err:?}");
    };
    assert_eq!(path, "/v1.0/users/$count");
    // serde stops at the end of the offending value: the closing quote of "not-a-number".
    assert_eq!(*offset, body.rfind('"').unwrap());
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("secret.person"), "{shown}");
    assert!(!shown.contains("token-0"), "{shown}");
    assert!(shown.contains("/v1.0/users/$count"));
}

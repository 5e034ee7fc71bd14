//! Token endpoint refusals become typed errors with operator messages.

use entra_auth::{AuthError, ClientSecretCredential, Cloud, ManualClock, TokenCredential};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::support::*;

const TRACE: &str = "0000aaaa-11bb-cccc-dd22-eeeeee333333";
const CORRELATION: &str = "1111bbbb-22cc-dddd-ee33-ffffff444444";

/// The error for one answer of the token endpoint (no retries).
async fn refusal(answer: ResponseTemplate) -> AuthError {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(answer)
        .expect(1)
        .mount(&server)
        .await;
    let credential = secret_credential(&server, &ManualClock::new(start_time()));
    credential
        .get_token(&cloud(&server).graph_scope())
        .await
        .unwrap_err()
}

type Check = fn(&AuthError) -> bool;

#[tokio::test]
async fn every_daemon_aadsts_code_maps_to_its_variant_and_message() {
    let cases: [(u16, &str, u32, Check, &str); 10] = [
        (
            401,
            "invalid_client",
            7000215,
            |e| matches!(e, AuthError::InvalidClientSecret(_)),
            "the client secret is not valid: use the secret's Value (not its Secret ID)",
        ),
        (
            401,
            "invalid_client",
            7000222,
            |e| matches!(e, AuthError::ExpiredClientSecret(_)),
            "the client secret has expired: create a new secret in Entra ID > App registrations > \
             Certificates & secrets",
        ),
        (
            400,
            "unauthorized_client",
            700016,
            |e| matches!(e, AuthError::ApplicationNotFound(_)),
            "the application was not found in the tenant: check the client id and the tenant id",
        ),
        (
            400,
            "invalid_request",
            90002,
            |e| matches!(e, AuthError::TenantNotFound(_)),
            "the tenant was not found: check the tenant id or domain",
        ),
        (
            400,
            "invalid_request",
            90038,
            |e| matches!(e, AuthError::TenantInOtherCloud(_)),
            "the tenant belongs to another national cloud: set the cloud",
        ),
        (
            401,
            "invalid_client",
            700027,
            |e| matches!(e, AuthError::InvalidClientAssertion(_)),
            "the certificate assertion was rejected: upload this certificate",
        ),
        (
            401,
            "invalid_client",
            50012,
            |e| matches!(e, AuthError::InvalidClientAssertion(_)),
            "the certificate assertion was rejected",
        ),
        (
            400,
            "invalid_client",
            500133,
            |e| matches!(e, AuthError::InvalidClientAssertion(_)),
            "the certificate assertion was rejected",
        ),
        (
            400,
            "invalid_grant",
            65001,
            |e| matches!(e, AuthError::ConsentMissing(_)),
            "the application has no admin consent in this tenant: grant admin consent",
        ),
        (
            400,
            "invalid_request",
            90055,
            |e| matches!(e, AuthError::Throttled(_)),
            "the token endpoint is throttling this application",
        ),
    ];
    for (status, error, code, is_variant, message) in cases {
        let refusal = refusal(error_response(status, error, code)).await;
        assert!(is_variant(&refusal), "AADSTS{code} became {refusal:?}");
        let text = refusal.to_string();
        assert!(text.starts_with(message), "AADSTS{code}: {text}");
        assert!(text.ends_with(&format!("(AADSTS{code})")), "{text}");
        assert!(!text.contains('\n'), "one line: {text}");
        assert_eq!(refusal.aadsts_codes(), [code]);
        assert_eq!(refusal.trace_id(), Some(TRACE));
        assert_eq!(refusal.correlation_id(), Some(CORRELATION));
        assert_eq!(refusal.oauth_error(), Some(error));
        assert_eq!(refusal.status(), Some(status));
        let details = refusal.endpoint_error().unwrap();
        assert_eq!(details.timestamp(), Some("2025-06-01 12:00:00Z"));
        assert!(details
            .description()
            .unwrap()
            .starts_with(&format!("AADSTS{code}:")));
        assert_eq!(refusal.is_retryable(), code == 90055, "AADSTS{code}");
        assert_eq!(
            refusal.is_credential_error(),
            ![65001, 90055].contains(&code),
            "AADSTS{code}"
        );
    }
}

#[tokio::test]
async fn http_429_is_throttling_and_5xx_is_unavailability() {
    let throttled = refusal(ResponseTemplate::new(429).insert_header("retry-after", "3")).await;
    assert!(
        matches!(throttled, AuthError::Throttled(_)),
        "{throttled:?}"
    );
    assert!(throttled.is_throttled() && throttled.is_retryable());
    assert_eq!(
        throttled.retry_after(),
        Some(std::time::Duration::from_secs(3))
    );
    assert!(throttled.to_string().contains("wait 3 s"), "{throttled}");

    let unavailable = refusal(ResponseTemplate::new(503).set_body_json(serde_json::json!({
        "error": "temporarily_unavailable",
        "error_description": "AADSTS90033: A transient error has occurred.",
    })))
    .await;
    assert!(
        matches!(unavailable, AuthError::ServiceUnavailable(_)),
        "{unavailable:?}"
    );
    assert_eq!(
        unavailable.to_string(),
        "the token endpoint is temporarily unavailable (HTTP 503): retry in a few minutes \
         (AADSTS90033)"
    );

    let gateway =
        refusal(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>")).await;
    assert!(
        matches!(gateway, AuthError::ServiceUnavailable(_)),
        "{gateway:?}"
    );
    assert!(gateway.is_retryable());

    let transient = refusal(ResponseTemplate::new(400).set_body_json(serde_json::json!({
        "error": "temporarily_unavailable",
    })))
    .await;
    assert!(
        matches!(transient, AuthError::ServiceUnavailable(_)),
        "{transient:?}"
    );
}

#[tokio::test]
async fn other_refusals_keep_error_codes_and_ids() {
    let other = refusal(error_response(400, "invalid_scope", 70011)).await;
    assert!(matches!(other, AuthError::Other(_)), "{other:?}");
    assert_eq!(other.oauth_error(), Some("invalid_scope"));
    assert_eq!(other.aadsts_codes(), [70011]);
    assert_eq!(other.trace_id(), Some(TRACE));
    assert_eq!(other.correlation_id(), Some(CORRELATION));
    assert_eq!(
        other.endpoint_error().unwrap().error_uri(),
        Some("https://login.microsoftonline.com/error?code=70011")
    );
    assert_eq!(
        other.to_string(),
        "the token endpoint refused the request (HTTP 400, invalid_scope, AADSTS70011): look the \
         code up at https://login.microsoftonline.com/error?code=70011"
    );
    assert!(!other.is_retryable() && !other.is_credential_error());
}

#[tokio::test]
async fn unreadable_success_answers_are_invalid_responses() {
    let error =
        refusal(ResponseTemplate::new(200).set_body_string("<html>captive portal</html>")).await;
    assert!(
        matches!(error, AuthError::InvalidResponse { .. }),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_transport_error() {
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    let cloud = Cloud::custom("http://127.0.0.1:1", "http://127.0.0.1:1").unwrap();
    let credential = ClientSecretCredential::builder(TENANT, CLIENT, SecretString::from(SECRET))
        .cloud(cloud)
        .retry_policy(entra_auth::RetryPolicy::none())
        .build()
        .unwrap();
    let error = credential.get_token("scope/.default").await.unwrap_err();
    assert!(matches!(error, AuthError::Transport(_)), "{error:?}");
    assert!(error.is_retryable());
    assert!(std::error::Error::source(&error).is_some());
    assert_eq!(
        error.to_string(),
        "could not reach the token endpoint: check network access, proxy and DNS for the \
         authority host"
    );
}

//! Credentials without a secret: the managed identity endpoints (instance metadata service and
//! App Service) and workload identity federation (a federated token file), against local fakes.

use std::time::Duration;

use entra_auth::{
    AuthError, ManagedIdentityCredential, RetryPolicy, TokenCredential, WorkloadIdentityCredential,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use wiremock::matchers::{body_string_contains, header, method, path, query_param};
use wiremock::{Mock, ResponseTemplate};

use crate::support::{cloud, server, token_path, CLIENT, TENANT};

fn fast_retries() -> RetryPolicy {
    RetryPolicy::interactive()
        .with_initial_delay(Duration::from_millis(1))
        .with_max_delay(Duration::from_millis(5))
        .with_jitter(false)
}

#[tokio::test]
async fn the_instance_metadata_service_is_asked_for_the_resource_with_its_metadata_header() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/metadata/identity/oauth2/token"))
        .and(header("Metadata", "true"))
        .and(query_param("api-version", "2018-02-01"))
        .and(query_param("resource", "https://graph.microsoft.com"))
        .and(query_param(
            "client_id",
            "11111111-2222-3333-4444-555555555555",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "mi-token", "refresh_token": "", "expires_in": "3599",
            "expires_on": "1893456000", "not_before": "1893452400",
            "resource": "https://graph.microsoft.com", "token_type": "Bearer"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let credential = ManagedIdentityCredential::builder()
        .imds_endpoint(format!("{}/metadata/identity/oauth2/token", server.uri()))
        .user_assigned_client_id("11111111-2222-3333-4444-555555555555")
        .build()
        .unwrap();
    let token = credential
        .get_token("https://graph.microsoft.com/.default")
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "mi-token");
    assert_eq!(token.expires_on.unix_timestamp(), 1_893_456_000);
}

#[tokio::test]
async fn app_service_is_asked_with_its_identity_header_and_its_api_version() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(path("/msi/token"))
        .and(header("X-IDENTITY-HEADER", "the-header-value"))
        .and(query_param("api-version", "2019-08-01"))
        .and(query_param("resource", "https://graph.microsoft.us"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "app-service-token", "expires_on": 1893456000,
            "resource": "https://graph.microsoft.us", "token_type": "Bearer",
            "client_id": "11111111-2222-3333-4444-555555555555"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let credential = ManagedIdentityCredential::builder()
        .app_service(
            format!("{}/msi/token", server.uri()),
            SecretString::from("the-header-value"),
        )
        .build()
        .unwrap();
    assert!(!format!("{credential:?}").contains("the-header-value"));
    let token = credential
        .get_token("https://graph.microsoft.us/.default")
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "app-service-token");
}

#[tokio::test]
async fn no_identity_assigned_is_a_clear_error_and_a_busy_endpoint_is_retried() {
    let server = server().await;
    Mock::given(method("GET"))
        .and(query_param("resource", "https://graph.microsoft.com"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_request", "error_description": "Identity not found"
        })))
        .expect(1)
        .mount(&server)
        .await;
    let credential = ManagedIdentityCredential::builder()
        .imds_endpoint(format!("{}/metadata/identity/oauth2/token", server.uri()))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let e = credential
        .get_token("https://graph.microsoft.com/.default")
        .await
        .unwrap_err();
    assert!(
        matches!(
            e,
            AuthError::ManagedIdentity {
                status: 400,
                retryable: false,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("no managed identity is assigned"),
        "{e}"
    );
    assert!(e.to_string().contains("Identity not found"), "{e}");

    crate::support::next_phase(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "after-retries", "expires_in": 3599
        })))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let token = credential
        .get_token("https://graph.microsoft.com/.default")
        .await
        .unwrap();
    assert_eq!(token.token.expose_secret(), "after-retries");
}

#[tokio::test]
async fn an_unreachable_endpoint_says_oort_is_not_on_a_resource_with_an_identity() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let credential = ManagedIdentityCredential::builder()
        .imds_endpoint(format!(
            "http://127.0.0.1:{port}/metadata/identity/oauth2/token"
        ))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let e = credential
        .get_token("https://graph.microsoft.com/.default")
        .await
        .unwrap_err();
    assert!(
        matches!(e, AuthError::ManagedIdentityUnreachable { .. }),
        "{e:?}"
    );
    assert!(e.to_string().contains("managed identity enabled"), "{e}");
}

#[test]
fn a_managed_identity_endpoint_over_plain_http_elsewhere_than_the_machine_is_refused() {
    let e = ManagedIdentityCredential::builder()
        .imds_endpoint("http://metadata.example.com/token")
        .build()
        .unwrap_err();
    assert!(matches!(e, AuthError::InsecureUrl { .. }), "{e:?}");
    assert!(
        ManagedIdentityCredential::builder().build().is_ok(),
        "169.254.169.254 is allowed"
    );
}

#[tokio::test]
async fn workload_identity_sends_the_federated_token_as_a_client_assertion_read_anew_each_time() {
    let server = server().await;
    let dir = std::env::temp_dir().join(format!("entra-auth-wi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("azure-identity-token");
    std::fs::write(&file, "federated-one\n").unwrap();
    for (assertion, issued) in [("federated-one", "token-1"), ("federated-two", "token-2")] {
        Mock::given(method("POST"))
            .and(path(token_path()))
            .and(body_string_contains(
                "client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer",
            ))
            .and(body_string_contains(format!("client_assertion={assertion}")))
            .and(body_string_contains(format!("client_id={CLIENT}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "token_type": "Bearer", "expires_in": 3599, "access_token": issued
            })))
            .expect(1)
            .mount(&server)
            .await;
    }
    let credential = WorkloadIdentityCredential::builder(TENANT, CLIENT, &file)
        .cloud(cloud(&server))
        .build()
        .unwrap();
    let scope = cloud(&server).graph_scope();
    let first = credential.get_token(&scope).await.unwrap();
    assert_eq!(first.token.expose_secret(), "token-1");
    // Kubernetes rotates the projected token: the next request reads the new one.
    std::fs::write(&file, "federated-two").unwrap();
    let second = credential.get_token(&scope).await.unwrap();
    assert_eq!(second.token.expose_secret(), "token-2");

    std::fs::remove_file(&file).unwrap();
    let e = credential.get_token(&scope).await.unwrap_err();
    assert!(e.to_string().contains("AZURE_FEDERATED_TOKEN_FILE"), "{e}");
    assert!(!e.to_string().contains("federated-two"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

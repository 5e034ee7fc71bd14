//! The client-secret request, exactly.

use entra_auth::{ClientSecretCredential, Cloud, ManualClock, TokenCredential};
use secrecy::{ExposeSecret, SecretString};
use time::Duration;
use wiremock::matchers::{header, method, path};
use wiremock::Mock;

use crate::support::*;

#[tokio::test]
async fn posts_the_client_credentials_form_to_the_tenant_token_endpoint() {
    let server = server().await;
    let access_token = app_token("secret-request", &["AuditLog.Read.All"]);
    Mock::given(method("POST"))
        .and(path(token_path()))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .respond_with(token_response(&access_token, 3599))
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new(start_time());
    let credential = secret_credential(&server, &clock);
    let scope = cloud(&server).graph_scope();

    let token = credential.get_token(&scope).await.unwrap();

    assert_eq!(token.token.expose_secret(), access_token);
    assert_eq!(token.expires_on, start_time() + Duration::seconds(3599));
    let requests = server.received_requests().await.unwrap();
    let request = &requests[0];
    let mut fields = form(request);
    fields.sort();
    let mut expected = vec![
        ("client_id".to_owned(), CLIENT.to_owned()),
        ("client_secret".to_owned(), SECRET.to_owned()),
        ("grant_type".to_owned(), "client_credentials".to_owned()),
        ("scope".to_owned(), format!("{}/.default", server.uri())),
    ];
    expected.sort();
    assert_eq!(fields, expected);
    // The secret is form-url-encoded on the wire, never raw.
    let body = String::from_utf8(request.body.clone()).unwrap();
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    assert!(body.contains(&format!("client_secret={encoded}")), "{body}");
    assert!(!body.contains(SECRET));
    assert!(request.headers.get("client-request-id").is_some());
}

#[tokio::test]
async fn the_scope_is_the_graph_root_of_the_chosen_cloud() {
    let server = server().await;
    let graph = "http://127.0.0.1:1/graph-root/";
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_response("opaque", 60))
        .expect(1)
        .mount(&server)
        .await;
    let cloud = Cloud::custom(&server.uri(), graph).unwrap();
    assert_eq!(
        cloud.graph_scope(),
        "http://127.0.0.1:1/graph-root/.default"
    );
    let credential = ClientSecretCredential::builder(TENANT, CLIENT, SecretString::from(SECRET))
        .cloud(cloud.clone())
        .build()
        .unwrap();

    credential.get_token(&cloud.graph_scope()).await.unwrap();

    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        field(&form(&requests[0]), "scope"),
        Some("http://127.0.0.1:1/graph-root/.default")
    );
}

#[tokio::test]
async fn the_token_endpoint_sits_under_the_custom_authority_path() {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(format!("/prefix/{TENANT}/oauth2/v2.0/token")))
        .respond_with(token_response("opaque", 60))
        .expect(1)
        .mount(&server)
        .await;
    let cloud = Cloud::custom(&format!("{}/prefix/", server.uri()), &server.uri()).unwrap();
    let credential = ClientSecretCredential::builder(TENANT, CLIENT, SecretString::from(SECRET))
        .cloud(cloud)
        .build()
        .unwrap();
    assert_eq!(
        credential.token_endpoint().as_str(),
        format!("{}/prefix/{TENANT}/oauth2/v2.0/token", server.uri())
    );
    credential.get_token("api://x/.default").await.unwrap();
}

#[test]
fn bad_settings_are_refused_before_any_request() {
    let build = |tenant: &str, client: &str, secret: &str, cloud: Cloud| {
        ClientSecretCredential::builder(tenant, client, SecretString::from(secret.to_owned()))
            .cloud(cloud)
            .build()
    };
    let cases = [
        build("", CLIENT, SECRET, Cloud::Global),
        build("common", CLIENT, SECRET, Cloud::Global),
        build("a/b", CLIENT, SECRET, Cloud::Global),
        build(TENANT, "", SECRET, Cloud::Global),
        build(TENANT, CLIENT, "  ", Cloud::Global),
        build(
            TENANT,
            CLIENT,
            SECRET,
            Cloud::Custom {
                authority_host: "http://login.example.com".parse().unwrap(),
                graph_root: "https://graph.example.com".parse().unwrap(),
            },
        ),
    ];
    for result in cases {
        let error = result.unwrap_err();
        assert!(error.is_configuration_error(), "{error}");
        assert!(!error.to_string().contains(SECRET));
    }
}

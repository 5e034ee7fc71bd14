//! A hand-written Graph on wiremock, for answers the fake tenant does not give (a 403 despite
//! the permission, an alternate phone, a method already gone). Unexpected requests fail the
//! test when the server is dropped.

use std::sync::Arc;

use base64::Engine as _;
use entra_auth::{ManualClock, StaticTokenCredential};
use graph_client::GraphClient;
use oort_remediation::Remediator;
use oort_store::prelude::*;
use secrecy::SecretString;
use time::macros::datetime;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const TENANT: &str = "contoso";

/// An unsigned JWT whose `roles` claim holds `roles` (the remediator reads the claims only).
fn token(roles: &[&str]) -> String {
    let b64 = |v: serde_json::Value| {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
    };
    format!(
        "{}.{}.signature",
        b64(serde_json::json!({"alg": "RS256", "typ": "JWT"})),
        b64(serde_json::json!({"roles": roles, "tid": TENANT}))
    )
}

/// A server that fails loudly on any request no test mock answers, and a remediator on it.
pub(crate) async fn mocked(store: Arc<dyn Store>, roles: &[&str]) -> (MockServer, Remediator) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(&server)
        .await;
    let clock = ManualClock::new(datetime!(2025-06-02 12:00 UTC));
    let credential = Arc::new(
        StaticTokenCredential::from_token(
            SecretString::from(token(roles)),
            datetime!(2025-06-02 13:00 UTC),
        )
        .with_clock(Arc::new(clock.clone())),
    );
    let client = GraphClient::builder()
        .credential(credential.clone())
        .base_url(server.uri())
        .throttling(false)
        .build()
        .unwrap();
    let remediator = Remediator::builder()
        .client(client)
        .credential(credential)
        .store(store)
        .tenant(TENANT)
        .clock(Arc::new(clock))
        .build()
        .unwrap();
    (server, remediator)
}

/// A JSON answer with a `request-id` header.
pub(crate) fn json(status: u16, body: serde_json::Value, request_id: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("request-id", request_id)
        .set_body_json(body)
}

/// Answers the privileged-target reads of `user` (who is in no group and holds no role): its
/// transitive memberships, role assignments and eligibilities, each once.
pub(crate) async fn unprivileged(server: &MockServer, user: &str) {
    use wiremock::matchers::{method, path, query_param};
    let empty = || serde_json::json!({"value": []});
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/users/{user}/transitiveMemberOf")))
        .respond_with(json(200, empty(), "rid-memberof"))
        .expect(1)
        .mount(server)
        .await;
    for (p, rid) in [
        (
            "/v1.0/roleManagement/directory/roleAssignments",
            "rid-assignments",
        ),
        (
            "/v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
            "rid-eligible",
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(p))
            .and(query_param("$filter", format!("principalId eq '{user}'")))
            .respond_with(json(200, empty(), rid))
            .expect(1)
            .mount(server)
            .await;
    }
}

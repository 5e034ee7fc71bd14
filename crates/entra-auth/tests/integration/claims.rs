//! The claims decoded from the tokens the endpoint returns.

use entra_auth::{ManualClock, TokenCredential};
use entra_model::Permission;
use serde_json::json;
use wiremock::matchers::method;
use wiremock::Mock;

use crate::support::*;

async fn claims_of(access_token: &str) -> entra_auth::TokenClaims {
    let server = server().await;
    Mock::given(method("POST"))
        .respond_with(token_response(access_token, 3599))
        .expect(1)
        .mount(&server)
        .await;
    let credential = secret_credential(&server, &ManualClock::new(start_time()));
    credential.get_token("s").await.unwrap().claims
}

#[tokio::test]
async fn roles_become_permissions_and_unknown_names_are_kept() {
    let claims = claims_of(&app_token(
        "roles",
        &[
            "AuditLog.Read.All",
            "Directory.Read.All",
            "Contoso.Custom.Role",
        ],
    ))
    .await;
    assert!(claims.roles.contains(Permission::AuditLogReadAll));
    assert!(claims.roles.contains(Permission::DirectoryReadAll));
    assert_eq!(
        claims.roles.unknown().collect::<Vec<_>>(),
        ["Contoso.Custom.Role"]
    );
    assert_eq!(claims.roles.names().count(), 3);
    assert_eq!(claims.tenant_id.as_deref(), Some(TENANT));
    assert_eq!(claims.app_id.as_deref(), Some(CLIENT));
    assert_eq!(
        claims.object_id.as_deref(),
        Some("5b1c1d54-0000-0000-0000-00000000000a")
    );
    assert_eq!(claims.id_type.as_deref(), Some("app"));
}

#[tokio::test]
async fn a_token_without_roles_is_valid_and_grants_nothing() {
    let claims = claims_of(&jwt(json!({"tid": TENANT, "azp": CLIENT, "ver": "2.0"}))).await;
    assert!(claims.roles.is_empty());
    assert_eq!(
        claims.app_id.as_deref(),
        Some(CLIENT),
        "v2 tokens carry azp"
    );
    assert_eq!(claims.id_type, None);
}

#[tokio::test]
async fn empty_roles_grant_nothing() {
    let claims = claims_of(&app_token("none", &[])).await;
    assert!(claims.roles.is_empty());
}

//! The token endpoint and Graph answer the real error bodies when they should.

mod common;

use common::*;
use entra_fake::{FakeTenant, TenantLicence, Throttling};
use serde_json::Value;

async fn post_token(t: &FakeTenant, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}/{tenant}/oauth2/v2.0/token", t.uri()))
        .form(form)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

fn creds_form<'a>(client_id: &'a str, secret: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", "https://graph.microsoft.com/.default"),
    ]
}

fn assert_aadsts(body: &Value, error: &str, code: u64) {
    assert_eq!(body["error"], error, "{body}");
    assert_eq!(body["error_codes"][0], code, "{body}");
    let d = body["error_description"].as_str().unwrap();
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    assert!(
        d.contains("Trace ID: ") && d.contains("Correlation ID: ") && d.contains("Timestamp: ")
    );
    assert!(
        body["trace_id"].is_string()
            && body["correlation_id"].is_string()
            && body["timestamp"].is_string()
    );
    assert_eq!(
        body["error_uri"],
        format!("https://login.microsoftonline.com/error?code={code}")
    );
}

fn claims(token: &str) -> Value {
    use base64::Engine as _;
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "header.payload.signature");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap();
    serde_json::from_slice(&raw).unwrap()
}

#[tokio::test]
async fn token_endpoint_issues_app_tokens_with_roles_and_refuses_bad_credentials() {
    let t = FakeTenant::builder()
        .seed(3)
        .members(5)
        .guests(1)
        .start()
        .await
        .unwrap();
    let c = t.credentials().clone();
    let (s, ok) = post_token(
        &t,
        &c.tenant_id,
        &creds_form(&c.client_id, &c.client_secret),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(ok["token_type"], "Bearer");
    assert_eq!(ok["expires_in"], 3599);
    assert_eq!(ok["ext_expires_in"], 3599);
    let cl = claims(ok["access_token"].as_str().unwrap());
    assert_eq!(cl["tid"], c.tenant_id.as_str());
    assert_eq!(cl["appid"], c.client_id.as_str());
    assert_eq!(cl["azp"], c.client_id.as_str());
    assert_eq!(cl["idtyp"], "app");
    assert!(cl["oid"].is_string());
    assert_eq!(
        cl["exp"].as_i64().unwrap() - cl["iat"].as_i64().unwrap(),
        3599
    );
    let roles: Vec<&str> = cl["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for r in [
        "AuditLog.Read.All",
        "Directory.Read.All",
        "User.ReadWrite.All",
        "User.RevokeSessions.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ] {
        assert!(roles.contains(&r), "{r} in {roles:?}");
    }
    // By domain too.
    let (s, _) = post_token(
        &t,
        &t.with_tenant(|x| x.domain().to_owned()),
        &creds_form(&c.client_id, &c.client_secret),
    )
    .await;
    assert_eq!(s, 200);

    let (s, b) = post_token(
        &t,
        &c.tenant_id,
        &creds_form(&c.client_id, "not-the-secret"),
    )
    .await;
    assert_eq!(s, 401);
    assert_aadsts(&b, "invalid_client", 7_000_215);

    let (s, b) = post_token(
        &t,
        &c.tenant_id,
        &creds_form("11111111-2222-4333-8444-555555555555", &c.client_secret),
    )
    .await;
    assert_eq!(s, 400);
    assert_aadsts(&b, "unauthorized_client", 700_016);

    let (s, b) = post_token(
        &t,
        "99999999-8888-4777-8666-555555555555",
        &creds_form(&c.client_id, &c.client_secret),
    )
    .await;
    assert_eq!(s, 400);
    assert_aadsts(&b, "invalid_request", 90_002);

    let mut no_scope = creds_form(&c.client_id, &c.client_secret);
    no_scope[3] = ("scope", "https://graph.microsoft.com/User.Read");
    let (s, b) = post_token(&t, &c.tenant_id, &no_scope).await;
    assert_eq!(s, 400);
    assert_eq!(b["error"], "invalid_scope");

    let (s, b) = post_token(
        &t,
        &c.tenant_id,
        &creds_form(&c.client_id, &c.client_secret)[..2]
            .iter()
            .chain(&[("scope", "https://graph.microsoft.com/.default")])
            .copied()
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(s, 401);
    assert_aadsts(&b, "invalid_client", 7_000_218);
}

#[tokio::test]
async fn an_expired_app_secret_is_refused_with_7000222() {
    let t = FakeTenant::builder()
        .seed(4)
        .members(5)
        .app_secret_expires_in(time::Duration::days(2))
        .start()
        .await
        .unwrap();
    let c = t.credentials().clone();
    let (s, _) = post_token(
        &t,
        &c.tenant_id,
        &creds_form(&c.client_id, &c.client_secret),
    )
    .await;
    assert_eq!(s, 200);
    t.clock().advance(time::Duration::days(3));
    let (s, b) = post_token(
        &t,
        &c.tenant_id,
        &creds_form(&c.client_id, &c.client_secret),
    )
    .await;
    assert_eq!(s, 401);
    assert_aadsts(&b, "invalid_client", 7_000_222);
}

#[tokio::test]
async fn graph_refuses_missing_invalid_and_expired_tokens_with_401() {
    let t = FakeTenant::builder()
        .seed(5)
        .members(5)
        .start()
        .await
        .unwrap();
    let url = graph(&t, "v1.0/users");
    let r = reqwest::Client::new()
        .get(&url)
        .header("client-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(r.headers()["client-request-id"], "abc-123");
    assert!(r.headers().contains_key("request-id"));
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(b["error"]["message"], "Access token is empty.");
    assert_eq!(b["error"]["innerError"]["client-request-id"], "abc-123");
    assert!(b["error"]["innerError"]["date"].is_string());

    let (s, _, b) = get(&url, "eyJ0eXAiOiJKV1QifQ.e30.forged").await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (401, Some("InvalidAuthenticationToken"))
    );

    let tok = token(&t).await;
    assert_eq!(get(&url, &tok).await.0, 200);
    t.clock().advance(time::Duration::minutes(61));
    let (s, _, b) = get(&url, &tok).await;
    assert_eq!(s, 401);
    assert!(b["error"]["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn missing_permissions_answer_403_authorization_request_denied() {
    let t = FakeTenant::builder()
        .seed(6)
        .members(5)
        .permissions(["User.Read.All"])
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    assert_eq!(get(&graph(&t, "v1.0/users"), &tok).await.0, 200);
    for p in [
        "v1.0/auditLogs/signIns",
        "v1.0/groups",
        "v1.0/applications",
        "v1.0/identityProtection/riskyUsers",
        "v1.0/identity/conditionalAccess/policies",
        "v1.0/deviceManagement/managedDevices",
        "v1.0/users?$select=id,signInActivity",
    ] {
        let (s, _, b) = get(&graph(&t, p), &tok).await;
        assert_eq!(s, 403, "{p}");
        assert_eq!(b["error"]["code"], "Authorization_RequestDenied", "{p}");
        assert_eq!(
            b["error"]["message"],
            "Insufficient privileges to complete the operation."
        );
    }
    let users = get_ok(&graph(&t, "v1.0/users?$top=1"), &tok).await;
    let id = users["value"][0]["id"].as_str().unwrap();
    let r = reqwest::Client::new()
        .post(graph(&t, &format!("v1.0/users/{id}/revokeSignInSessions")))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

#[tokio::test]
async fn a_free_tenant_answers_the_non_premium_error_and_no_intune_fails_devices() {
    let t = FakeTenant::builder()
        .seed(7)
        .members(5)
        .licence(TenantLicence::Free)
        .intune(false)
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    for p in [
        "v1.0/auditLogs/signIns",
        "beta/auditLogs/signIns?$filter=signInEventTypes/any(t:%20t%20eq%20'servicePrincipal')",
        "v1.0/users?$select=displayName,signInActivity",
        "v1.0/reports/authenticationMethods/userRegistrationDetails",
        "v1.0/identityProtection/riskyUsers",
    ] {
        let (s, _, b) = get(&graph(&t, p), &tok).await;
        assert_eq!(s, 403, "{p}");
        assert_eq!(
            b["error"]["code"], "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
            "{p}"
        );
    }
    assert_eq!(get(&graph(&t, "v1.0/users"), &tok).await.0, 200);
    assert_eq!(
        get(&graph(&t, "v1.0/auditLogs/directoryAudits"), &tok)
            .await
            .0,
        200
    );
    let (s, _, b) = get(&graph(&t, "v1.0/deviceManagement/managedDevices"), &tok).await;
    assert_eq!((s, b["error"]["code"].as_str()), (400, Some("BadRequest")));
    let skus = get_ok(&graph(&t, "v1.0/subscribedSkus"), &tok).await;
    let plans = skus.to_string();
    assert!(!plans.contains("41781fb2-bc02-4b7c-bd55-b576c07bb09d") && !plans.contains("INTUNE_A"));
}

#[tokio::test]
async fn a_p1_tenant_hides_risk_and_refuses_risky_users() {
    let t = FakeTenant::builder()
        .seed(8)
        .members(8)
        .licence(TenantLicence::P1)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let page = get_ok(&graph(&t, "v1.0/auditLogs/signIns?$top=50"), &tok).await;
    assert!(page["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|v| v["riskLevelDuringSignIn"] == "hidden"));
    let (s, _, b) = get(&graph(&t, "v1.0/identityProtection/riskyUsers"), &tok).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (
            403,
            Some("Authentication_RequestFromNonPremiumTenantOrB2CTenant")
        )
    );
    let skus = get_ok(&graph(&t, "v1.0/subscribedSkus"), &tok)
        .await
        .to_string();
    assert!(
        skus.contains("41781fb2-bc02-4b7c-bd55-b576c07bb09d")
            && !skus.contains("eec0eb4f-6444-4f95-aba0-50c24d67f998")
    );
    assert!(t
        .ground_truth()
        .iter()
        .all(|g| g.detection != "risky-sign-in"));
}

#[tokio::test]
async fn unknown_paths_and_bad_queries_answer_graph_errors() {
    let t = FakeTenant::builder()
        .seed(9)
        .members(5)
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let (s, _, b) = get(&graph(&t, "v1.0/nothingHere"), &tok).await;
    assert_eq!(s, 400);
    assert!(b["error"]["code"].is_string());
    let (s, _, b) = get(&graph(&t, "v1.0/users/no-such-user"), &tok).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (404, Some("Request_ResourceNotFound"))
    );
    let (s, _, b) = get(&graph(&t, "v1.0/users/$count"), &tok).await;
    assert_eq!(
        (s, b["error"]["message"].as_str()),
        (400, Some("$count is not currently supported."))
    );
    let (s, _, _) = get(&graph(&t, "v1.0/users?$top=abc"), &tok).await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn the_token_endpoint_accepts_the_scope_of_its_own_origin_and_refuses_others() {
    let t = FakeTenant::builder()
        .seed(5)
        .members(5)
        .start()
        .await
        .unwrap();
    let c = t.credentials().clone();
    let own = format!("{}/.default", t.uri());
    for (scope, ok) in [
        (own.as_str(), true),
        ("00000003-0000-0000-c000-000000000000/.default", true),
        ("https://graph.microsoft.com/User.Read", false),
        ("http://127.0.0.1:1/.default", false),
    ] {
        let (status, body) = post_token(
            &t,
            &c.tenant_id,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", c.client_id.as_str()),
                ("client_secret", c.client_secret.as_str()),
                ("scope", scope),
            ],
        )
        .await;
        assert_eq!(status == 200, ok, "{scope}: {body}");
    }
}

#[tokio::test]
async fn a_guest_is_addressable_by_its_percent_encoded_ext_upn() {
    let t = FakeTenant::builder()
        .seed(5)
        .members(5)
        .guests(2)
        .start()
        .await
        .unwrap();
    let token = token(&t).await;
    let users = all_pages(
        &graph(&t, "v1.0/users?$select=id,userPrincipalName,userType"),
        &token,
    )
    .await;
    let guest = users
        .iter()
        .find(|u| u["userType"] == "Guest")
        .expect("the tenant has guests");
    let upn = guest["userPrincipalName"].as_str().unwrap();
    assert!(upn.contains("#EXT#"));
    let encoded = upn.replace('#', "%23");
    let (status, _, body) = get(&graph(&t, &format!("v1.0/users/{encoded}")), &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["id"], guest["id"]);
}

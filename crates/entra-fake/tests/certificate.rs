//! Certificate client assertions: PS256 with x5t#S256 and RS256 with x5t, verified with the
//! registered certificate's public key.

mod common;

use entra_fake::{test_certificate as tc, FakeTenant};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

fn assertion(t: &FakeTenant, alg: Algorithm, key_pem: &str, aud: &str, exp_in: i64) -> String {
    let mut h = Header::new(alg);
    h.typ = Some("JWT".to_owned());
    match alg {
        Algorithm::PS256 => h.x5t_s256 = Some(tc::X5T_S256.to_owned()),
        _ => h.x5t = Some(tc::X5T.to_owned()),
    }
    let now = t.clock().now().unix_timestamp();
    let claims = json!({"aud": aud, "iss": t.client_id(), "sub": t.client_id(), "jti": format!("{now}-{exp_in}"), "nbf": now, "iat": now, "exp": now + exp_in});
    jsonwebtoken::encode(
        &h,
        &claims,
        &EncodingKey::from_rsa_pem(key_pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

async fn post(t: &FakeTenant, assertion: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(t.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", t.client_id()),
            ("scope", "https://graph.microsoft.com/.default"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", assertion),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

#[tokio::test]
async fn signed_assertions_are_verified_with_the_registered_certificate() {
    let t = FakeTenant::builder()
        .seed(61)
        .members(5)
        .start()
        .await
        .unwrap();
    let aud = t.token_url();
    for alg in [Algorithm::PS256, Algorithm::RS256] {
        let (s, b) = post(&t, &assertion(&t, alg, tc::PRIVATE_KEY_PEM, &aud, 600)).await;
        assert_eq!(s, 200, "{alg:?}: {b}");
        let tok = b["access_token"].as_str().unwrap();
        let payload: Value = {
            use base64::Engine as _;
            let p = tok.split('.').nth(1).unwrap();
            serde_json::from_slice(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(p)
                    .unwrap(),
            )
            .unwrap()
        };
        assert_eq!(payload["appidacr"], "2");
        let users = common::get(&common::graph(&t, "v1.0/users"), tok).await;
        assert_eq!(users.0, 200);
    }
    // The Entra audience is accepted too.
    let entra_aud = format!(
        "https://login.microsoftonline.com/{}/oauth2/v2.0/token",
        t.tenant_id()
    );
    assert_eq!(
        post(
            &t,
            &assertion(&t, Algorithm::PS256, tc::PRIVATE_KEY_PEM, &entra_aud, 600)
        )
        .await
        .0,
        200
    );
    // The app lists the certificate.
    let tok = common::token(&t).await;
    let apps = common::get_ok(
        &common::graph(&t, "v1.0/applications?$select=appId,keyCredentials"),
        &tok,
    )
    .await;
    let own = apps["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["appId"] == t.client_id())
        .unwrap();
    assert_eq!(
        own["keyCredentials"][0]["customKeyIdentifier"],
        tc::THUMBPRINT_SHA1_HEX
    );
}

#[tokio::test]
async fn bad_assertions_answer_the_entra_errors() {
    let t = FakeTenant::builder()
        .seed(62)
        .members(5)
        .start()
        .await
        .unwrap();
    let aud = t.token_url();
    let other = include_str!("fixtures/unregistered-key.pem");
    let (s, b) = post(&t, &assertion(&t, Algorithm::PS256, other, &aud, 600)).await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (401, Some(700_027)),
        "{b}"
    );
    let (s, b) = post(
        &t,
        &assertion(&t, Algorithm::PS256, tc::PRIVATE_KEY_PEM, &aud, -900),
    )
    .await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (401, Some(500_133)),
        "{b}"
    );
    let (s, b) = post(
        &t,
        &assertion(
            &t,
            Algorithm::RS256,
            tc::PRIVATE_KEY_PEM,
            "https://example.com/token",
            600,
        ),
    )
    .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (401, Some("invalid_client")),
        "{b}"
    );
    let (s, b) = post(&t, "not-a-jwt").await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (400, Some(50_027)),
        "{b}"
    );
    // Without the certificate registered, even a well-signed assertion is refused.
    let t2 = FakeTenant::builder()
        .seed(62)
        .members(5)
        .certificate(false)
        .start()
        .await
        .unwrap();
    let (s, b) = post(
        &t2,
        &assertion(
            &t2,
            Algorithm::PS256,
            tc::PRIVATE_KEY_PEM,
            &t2.token_url(),
            600,
        ),
    )
    .await;
    assert_eq!(
        (s, b["error_codes"][0].as_u64()),
        (401, Some(700_027)),
        "{b}"
    );
}

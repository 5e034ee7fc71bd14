//! Certificate credentials: loading (PEM, PFX) and the client assertion, decoded and verified.

use std::collections::HashSet;
use std::sync::Arc;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use entra_auth::{
    AssertionProfile, AuthError, ClientCertificate, ClientCertificateCredential, ManualClock,
    TokenCredential,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer};

use crate::support::*;

pub(crate) const CERT_PEM: &[u8] = include_bytes!("../fixtures/test-only-cert.pem");
pub(crate) const KEY_PKCS8_PEM: &[u8] = include_bytes!("../fixtures/test-only-key.pkcs8.pem");
const KEY_PKCS1_PEM: &[u8] = include_bytes!("../fixtures/test-only-key.pkcs1.pem");
const OTHER_KEY_PEM: &[u8] = include_bytes!("../fixtures/test-only-other-key.pkcs8.pem");
const EC_KEY_PEM: &[u8] = include_bytes!("../fixtures/test-only-ec-key.pkcs8.pem");
pub(crate) const PFX_WITH_PASSWORD: &[u8] = include_bytes!("../fixtures/test-only-password.pfx");
const PFX_EMPTY_PASSWORD: &[u8] = include_bytes!("../fixtures/test-only-empty-password.pfx");
const PFX_LEGACY_3DES: &[u8] = include_bytes!("../fixtures/test-only-legacy-3des.pfx");
const PFX_UNENCRYPTED: &[u8] = include_bytes!("../fixtures/test-only-unencrypted.pfx");
pub(crate) const PFX_PASSWORD: &str = "test-only-pfx-password";

/// `openssl x509 -in test-only-cert.pem -outform DER | openssl dgst -sha256`
const CERT_SHA256_HEX: &str = "203ebfbf7ca7594b14a088b801d8e63792f0f81c67ab1fd6713fcbe611155377";
/// `openssl x509 -in test-only-cert.pem -noout -fingerprint -sha1`
const CERT_SHA1_HEX: &str = "C049E8D26F2F08A75D7DD708E112A27D4079D6B1";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn cert_der() -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(CERT_PEM).unwrap()
}

pub(crate) fn pem_certificate() -> ClientCertificate {
    ClientCertificate::from_pem(CERT_PEM, KEY_PKCS8_PEM).unwrap()
}

fn credential(
    server: &MockServer,
    clock: &ManualClock,
    profile: AssertionProfile,
) -> ClientCertificateCredential {
    ClientCertificateCredential::builder(TENANT, CLIENT, pem_certificate())
        .cloud(cloud(server))
        .clock(Arc::new(clock.clone()))
        .assertion_profile(profile)
        .retry_policy(entra_auth::RetryPolicy::none())
        .build()
        .unwrap()
}

/// A decoded assertion: header, claims, signing input and signature.
struct Assertion {
    header: Value,
    claims: Value,
    signing_input: String,
    signature: Vec<u8>,
}

fn decode(assertion: &str) -> Assertion {
    let parts: Vec<&str> = assertion.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS compact serialization");
    let json = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    Assertion {
        header: json(parts[0]),
        claims: json(parts[1]),
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature: URL_SAFE_NO_PAD.decode(parts[2]).unwrap(),
    }
}

/// Verifies a signature with the public key of the test certificate (webpki reads the key from
/// the certificate itself).
fn verify(assertion: &Assertion, algorithm: &dyn rustls_pki_types::SignatureVerificationAlgorithm) {
    let der = cert_der();
    let cert = webpki::EndEntityCert::try_from(&der).unwrap();
    cert.verify_signature(
        algorithm,
        assertion.signing_input.as_bytes(),
        &assertion.signature,
    )
    .expect("the assertion is signed by the certificate's key");
}

async fn token_server() -> MockServer {
    let server = server().await;
    Mock::given(method("POST"))
        .and(path(token_path()))
        .respond_with(token_response("opaque", 3599))
        .mount(&server)
        .await;
    server
}

async fn assertions_sent(server: &MockServer) -> Vec<(Vec<(String, String)>, String)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let fields = form(r);
            let assertion = field(&fields, "client_assertion").unwrap().to_owned();
            (fields, assertion)
        })
        .collect()
}

#[tokio::test]
async fn sends_a_ps256_assertion_with_the_sha256_thumbprint() {
    let server = token_server().await;
    let clock = ManualClock::new(start_time());
    let credential = credential(&server, &clock, AssertionProfile::Ps256);
    let scope = cloud(&server).graph_scope();

    credential.get_token(&scope).await.unwrap();

    let sent = assertions_sent(&server).await;
    let (fields, assertion) = &sent[0];
    let mut names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "client_assertion",
            "client_assertion_type",
            "client_id",
            "grant_type",
            "scope"
        ]
    );
    assert_eq!(
        field(fields, "client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(field(fields, "client_id"), Some(CLIENT));
    assert_eq!(field(fields, "grant_type"), Some("client_credentials"));
    assert_eq!(field(fields, "scope"), Some(scope.as_str()));

    let assertion = decode(assertion);
    assert_eq!(assertion.header["alg"], "PS256");
    assert_eq!(assertion.header["typ"], "JWT");
    assert_eq!(
        assertion.header["x5t#S256"],
        URL_SAFE_NO_PAD.encode(unhex(CERT_SHA256_HEX))
    );
    assert!(assertion.header.get("x5t").is_none());
    assert!(assertion.header.get("x5c").is_none());

    let claims = &assertion.claims;
    let endpoint = format!("{}/{TENANT}/oauth2/v2.0/token", server.uri());
    assert_eq!(claims["aud"], endpoint.as_str());
    assert_eq!(claims["aud"], credential.token_endpoint().as_str());
    assert_eq!(claims["iss"], CLIENT);
    assert_eq!(claims["sub"], CLIENT);
    let now = start_time().unix_timestamp();
    assert_eq!(claims["nbf"], now);
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 600);
    let jti = uuid::Uuid::parse_str(claims["jti"].as_str().unwrap()).unwrap();
    assert_eq!(jti.get_version_num(), 4);

    verify(
        &assertion,
        webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
    );
    // A PSS signature is not a PKCS#1 v1.5 one.
    let der = cert_der();
    let cert = webpki::EndEntityCert::try_from(&der).unwrap();
    assert!(cert
        .verify_signature(
            webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256,
            assertion.signing_input.as_bytes(),
            &assertion.signature
        )
        .is_err());
}

#[tokio::test]
async fn two_assertions_never_share_a_jti() {
    let server = token_server().await;
    let clock = ManualClock::new(start_time());
    let credential = credential(&server, &clock, AssertionProfile::Ps256);

    credential.get_token("a/.default").await.unwrap();
    credential.get_token("a/.default").await.unwrap();

    let sent = assertions_sent(&server).await;
    let jtis: Vec<Value> = sent
        .iter()
        .map(|(_, a)| decode(a).claims["jti"].clone())
        .collect();
    assert_eq!(jtis.len(), 2);
    assert_ne!(jtis[0], jtis[1]);

    let many: HashSet<String> = (0..200)
        .map(|_| {
            let assertion = credential.client_assertion().unwrap();
            decode(assertion.expose_secret()).claims["jti"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(many.len(), 200);
}

#[tokio::test]
async fn the_legacy_profile_signs_rs256_with_the_sha1_thumbprint() {
    let server = token_server().await;
    let clock = ManualClock::new(start_time());
    let credential = credential(&server, &clock, AssertionProfile::Rs256);

    credential.get_token("a/.default").await.unwrap();

    let sent = assertions_sent(&server).await;
    let assertion = decode(&sent[0].1);
    assert_eq!(assertion.header["alg"], "RS256");
    assert_eq!(assertion.header["typ"], "JWT");
    assert_eq!(
        assertion.header["x5t"],
        URL_SAFE_NO_PAD.encode(unhex(CERT_SHA1_HEX))
    );
    assert!(assertion.header.get("x5t#S256").is_none());
    assert_eq!(assertion.claims["iss"], CLIENT);
    verify(&assertion, webpki::aws_lc_rs::RSA_PKCS1_2048_8192_SHA256);
}

#[test]
fn the_chain_is_sent_in_x5c_when_asked() {
    let credential = ClientCertificateCredential::builder(TENANT, CLIENT, pem_certificate())
        .send_certificate_chain(true)
        .build()
        .unwrap();
    let assertion = decode(credential.client_assertion().unwrap().expose_secret());
    assert_eq!(
        assertion.header["x5c"],
        serde_json::json!([STANDARD.encode(cert_der().as_ref())])
    );
}

#[test]
fn the_certificate_validity_is_read_from_the_leaf_of_pem_and_pfx_alike() {
    use time::macros::datetime;
    // `openssl x509 -noout -dates` of tests/fixtures/test-only-cert.pem.
    let pem = pem_certificate();
    assert_eq!(pem.not_before(), datetime!(2026-11-27 08:08:09 UTC));
    assert_eq!(pem.not_after(), datetime!(2126-11-03 08:08:09 UTC));
    let pfx =
        ClientCertificate::from_pkcs12(PFX_WITH_PASSWORD, Some(&SecretString::from(PFX_PASSWORD)))
            .unwrap();
    assert_eq!(pfx.not_after(), pem.not_after());
}

#[test]
fn pem_and_pfx_load_the_same_certificate() {
    let password = SecretString::from(PFX_PASSWORD);
    let empty = SecretString::from("");
    let loaded = [
        (
            "PEM PKCS#8",
            ClientCertificate::from_pem(CERT_PEM, KEY_PKCS8_PEM),
        ),
        (
            "PEM PKCS#1",
            ClientCertificate::from_pem(CERT_PEM, KEY_PKCS1_PEM),
        ),
        ("PEM bundle", {
            let bundle = [CERT_PEM, KEY_PKCS8_PEM].concat();
            ClientCertificate::from_pem(&bundle, &bundle)
        }),
        (
            "PFX with password",
            ClientCertificate::from_pkcs12(PFX_WITH_PASSWORD, Some(&password)),
        ),
        (
            "PFX without password",
            ClientCertificate::from_pkcs12(PFX_EMPTY_PASSWORD, None),
        ),
        (
            "PFX with an empty password",
            ClientCertificate::from_pkcs12(PFX_EMPTY_PASSWORD, Some(&empty)),
        ),
        (
            "PFX 3DES (legacy Windows export)",
            ClientCertificate::from_pkcs12(PFX_LEGACY_3DES, Some(&password)),
        ),
        (
            "PFX unencrypted",
            ClientCertificate::from_pkcs12(PFX_UNENCRYPTED, None),
        ),
    ];
    for (what, certificate) in loaded {
        let certificate = certificate.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(certificate.thumbprint_sha1_hex(), CERT_SHA1_HEX, "{what}");
        assert_eq!(
            certificate.thumbprint_sha256_hex(),
            CERT_SHA256_HEX.to_uppercase(),
            "{what}"
        );
        assert_eq!(certificate.certificate_der(), cert_der().as_ref(), "{what}");
        // The key signs assertions the certificate verifies.
        let credential = ClientCertificateCredential::new(TENANT, CLIENT, certificate).unwrap();
        let assertion = decode(credential.client_assertion().unwrap().expose_secret());
        verify(
            &assertion,
            webpki::aws_lc_rs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        );
    }
}

#[test]
fn unusable_key_material_is_refused_with_a_reason() {
    let wrong = SecretString::from("not the password");
    let encrypted =
        b"-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let cases = [
        (
            ClientCertificate::from_pem(CERT_PEM, OTHER_KEY_PEM),
            "the private key does not belong to the certificate",
        ),
        (
            ClientCertificate::from_pem(CERT_PEM, EC_KEY_PEM),
            "the private key is not an RSA key",
        ),
        (
            ClientCertificate::from_pem(CERT_PEM, encrypted),
            "the PEM private key is encrypted",
        ),
        (
            ClientCertificate::from_pem(CERT_PEM, CERT_PEM),
            "no PRIVATE KEY block",
        ),
        (
            ClientCertificate::from_pem(KEY_PKCS8_PEM, KEY_PKCS8_PEM),
            "no CERTIFICATE block",
        ),
        (
            ClientCertificate::from_pkcs12(PFX_WITH_PASSWORD, Some(&wrong)),
            "wrong password",
        ),
        (
            ClientCertificate::from_pkcs12(PFX_WITH_PASSWORD, None),
            "wrong password",
        ),
        (
            ClientCertificate::from_pkcs12(b"not a pfx", None),
            "the PFX could not be read",
        ),
    ];
    for (result, reason) in cases {
        let error = result.unwrap_err();
        assert!(
            matches!(error, AuthError::InvalidCertificate { .. }),
            "{error:?}"
        );
        assert!(error.is_configuration_error());
        let text = error.to_string();
        assert!(text.contains(reason), "{text}");
        assert!(!text.contains(PFX_PASSWORD) && !text.contains("not the password"));
    }
}

#[test]
fn certificates_load_from_files() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let pem = ClientCertificate::from_pem_files(
        fixtures.join("test-only-cert.pem"),
        fixtures.join("test-only-key.pkcs8.pem"),
    )
    .unwrap();
    let pfx = ClientCertificate::from_pkcs12_file(
        fixtures.join("test-only-password.pfx"),
        Some(&SecretString::from(PFX_PASSWORD)),
    )
    .unwrap();
    assert_eq!(pem.thumbprint_sha256_hex(), pfx.thumbprint_sha256_hex());
    let missing = ClientCertificate::from_pkcs12_file(fixtures.join("missing.pfx"), None);
    assert!(matches!(missing, Err(AuthError::InvalidCertificate { .. })));
}

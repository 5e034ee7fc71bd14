//! No secret in `Debug`, `Display` or `tracing` output.

use std::io;
use std::sync::{Arc, Mutex};

use entra_auth::{
    AccessToken, AuthError, ClientCertificate, ClientCertificateCredential, ClientSecretCredential,
    ManualClock, RetryPolicy, StaticTokenCredential, TokenCache, TokenCredential,
};
use secrecy::{ExposeSecret, SecretString};
use time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, ResponseTemplate};

use crate::certificate::{pem_certificate, KEY_PKCS8_PEM, PFX_PASSWORD, PFX_WITH_PASSWORD};
use crate::support::*;

/// The base64 lines of the test private key: none may appear anywhere.
fn key_lines() -> Vec<String> {
    String::from_utf8(KEY_PKCS8_PEM.to_vec())
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .map(str::to_owned)
        .collect()
}

fn assert_clean(text: &str, secrets: &[&str]) {
    let encoded: String = url::form_urlencoded::byte_serialize(SECRET.as_bytes()).collect();
    for secret in secrets
        .iter()
        .copied()
        .chain([SECRET, encoded.as_str(), PFX_PASSWORD])
    {
        assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
    }
    for line in key_lines() {
        assert!(!text.contains(&line), "key material leaked into:\n{text}");
    }
}

#[tokio::test]
async fn debug_of_every_type_holding_a_secret_shows_no_secret() {
    let token_text = app_token("debug-check", &["User.Read.All"]);
    let token = AccessToken::new(
        SecretString::from(token_text.clone()),
        time::macros::datetime!(2100-01-01 00:00 UTC),
    );
    let secret_builder =
        ClientSecretCredential::builder(TENANT, CLIENT, SecretString::from(SECRET));
    let secret_builder_debug = format!("{secret_builder:?}");
    let secret_credential = secret_builder.build().unwrap();
    let certificate = pem_certificate();
    let pfx_certificate =
        ClientCertificate::from_pkcs12(PFX_WITH_PASSWORD, Some(&SecretString::from(PFX_PASSWORD)))
            .unwrap();
    let certificate_builder =
        ClientCertificateCredential::builder(TENANT, CLIENT, certificate.clone());
    let certificate_builder_debug = format!("{certificate_builder:?}");
    let certificate_credential = certificate_builder.build().unwrap();
    let assertion = certificate_credential.client_assertion().unwrap();
    let static_credential = StaticTokenCredential::new(token.clone());
    let cache_builder = TokenCache::builder(Arc::new(static_credential.clone()));
    let cache_builder_debug = format!("{cache_builder:?}");
    let cache = cache_builder.build();
    cache.get_token("s").await.unwrap();

    let debugs = [
        format!("{token:?}"),
        format!("{:?}", token.token),
        secret_builder_debug,
        format!("{secret_credential:?}"),
        format!("{certificate:?}"),
        format!("{pfx_certificate:?}"),
        certificate_builder_debug,
        format!("{certificate_credential:?}"),
        format!("{assertion:?}"),
        format!("{static_credential:?}"),
        cache_builder_debug,
        format!("{cache:?}"),
        format!("{:?}", SecretString::from(PFX_PASSWORD)),
    ];
    let payload = token_text.split('.').nth(1).unwrap();
    let signature = assertion
        .expose_secret()
        .rsplit('.')
        .next()
        .unwrap()
        .to_owned();
    for debug in &debugs {
        assert_clean(
            debug,
            &[&token_text, payload, assertion.expose_secret(), &signature],
        );
    }
    // A credential's Debug names what it signs in as, and nothing else.
    for debug in [
        format!("{secret_credential:?}"),
        format!("{certificate_credential:?}"),
    ] {
        assert!(debug.contains(TENANT) && debug.contains(CLIENT), "{debug}");
        assert!(
            debug.contains("https://login.microsoftonline.com/"),
            "{debug}"
        );
    }
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test(start_paused = true)]
async fn logs_no_token_or_secret_through_acquire_refresh_fail() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = server().await;
    let clock = ManualClock::new(start_time());
    let first = app_token("first-token-in-the-logs-check", &["AuditLog.Read.All"]);
    let cache = TokenCache::builder(Arc::new(secret_credential_with(
        &server,
        &clock,
        RetryPolicy::default().with_max_retries(1),
    )))
    .clock(Arc::new(clock.clone()))
    .build();

    // Acquire.
    Mock::given(method("POST"))
        .respond_with(token_response(&first, 3600))
        .expect(1)
        .mount(&server)
        .await;
    cache.get_token("s").await.unwrap();
    next_phase(&server).await;
    // Refresh fails (503, retried once) while the token is valid: the cached token is served.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(2)
        .mount(&server)
        .await;
    clock.advance(Duration::minutes(58));
    let token = cache.get_token("s").await.unwrap();
    assert_eq!(token.token.expose_secret(), first);
    next_phase(&server).await;
    // After expiry the failure surfaces.
    Mock::given(method("POST"))
        .respond_with(error_response(401, "invalid_client", 7000215))
        .expect(1)
        .mount(&server)
        .await;
    clock.advance(Duration::minutes(3));
    let error = cache.get_token("s").await.unwrap_err();
    assert!(matches!(error, AuthError::InvalidClientSecret(_)));
    assert_clean(&error.to_string(), &[&first]);
    assert_clean(&format!("{error:?}"), &[&first]);
    next_phase(&server).await;
    // A certificate credential's assertions stay out of the logs too.
    let certificate = ClientCertificateCredential::builder(TENANT, CLIENT, pem_certificate())
        .cloud(cloud(&server))
        .clock(Arc::new(clock.clone()))
        .http_client(reqwest::Client::new())
        .build()
        .unwrap();
    Mock::given(method("POST"))
        .respond_with(token_response(&first, 3600))
        .expect(1)
        .mount(&server)
        .await;
    certificate.get_token("s").await.unwrap();
    let assertions: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter_map(|r| field(&form(r), "client_assertion").map(str::to_owned))
        .collect();
    assert_eq!(assertions.len(), 1);
    next_phase(&server).await;

    let logs = capture.text();
    assert!(logs.contains("token acquired"), "{logs}");
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        logs.contains("token refresh failed, using the cached token"),
        "{logs}"
    );
    assert!(logs.contains("WARN"), "{logs}");
    let payload = first.split('.').nth(1).unwrap();
    let signatures: Vec<&str> = assertions
        .iter()
        .map(|a| a.rsplit('.').next().unwrap())
        .collect();
    let mut secrets = vec![first.as_str(), payload];
    secrets.extend(assertions.iter().map(String::as_str));
    secrets.extend(signatures);
    assert_clean(&logs, &secrets);
}

//! The HTTP clients' network settings against a local TLS server and a local CONNECT proxy:
//! a server whose certificate authority is given is reached, one whose is not is refused, and
//! the proxy carries the requests it should and none of the others.

mod net;

use std::sync::Arc;

use entra_auth::{ClientSecretCredential, Cloud, NetworkSettings, TokenCredential};
use net::{ConnectProxy, Pki, TlsServer, BODY};
use secrecy::{ExposeSecret, SecretString};

/// The settings with no proxy from the environment (a developer's `HTTPS_PROXY` must not
/// change what these tests see).
fn direct() -> NetworkSettings {
    NetworkSettings::new().no_proxy()
}

async fn get(settings: &NetworkSettings, url: &str) -> Result<String, reqwest::Error> {
    settings
        .client_builder()
        .build()?
        .get(url)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await
}

#[tokio::test]
async fn a_server_of_a_private_ca_is_reached_only_when_the_ca_file_names_that_ca() {
    let pki = Pki::generate();
    let server = TlsServer::start(&pki).await;

    let refused = get(&direct(), &server.url()).await;
    assert!(refused.is_err(), "the system roots do not know the test CA");
    assert_eq!(server.requests(), 0);

    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).unwrap();
    let trusted = direct().ca_file(&ca_file).unwrap();
    assert_eq!(trusted.extra_roots().len(), 1);
    assert_eq!(get(&trusted, &server.url()).await.unwrap(), BODY);
    assert_eq!(server.requests(), 1);

    // Another CA in the file is not enough.
    let other = Pki::generate();
    std::fs::write(&ca_file, &other.ca_pem).unwrap();
    let wrong = direct().ca_file(&ca_file).unwrap();
    assert!(get(&wrong, &server.url()).await.is_err());
    // Both CAs in one file (a bundle) work.
    std::fs::write(&ca_file, format!("{}{}", other.ca_pem, pki.ca_pem)).unwrap();
    let bundle = direct().ca_file(&ca_file).unwrap();
    assert_eq!(bundle.extra_roots().len(), 2);
    assert_eq!(get(&bundle, &server.url()).await.unwrap(), BODY);
}

#[tokio::test]
async fn the_token_endpoint_uses_the_credentials_network_settings() {
    let pki = Pki::generate();
    let server = TlsServer::start(&pki).await;
    let cloud = Cloud::custom(&server.url(), &server.url()).unwrap();
    let credential = |network: NetworkSettings| {
        ClientSecretCredential::builder(
            "contoso.onmicrosoft.com",
            "00000000-0000-0000-0000-000000000001",
            SecretString::from("s3cret"),
        )
        .cloud(cloud.clone())
        .network(network)
        .retry_policy(entra_auth::RetryPolicy::none())
        .build()
        .map(Arc::new)
        .unwrap()
    };
    let scope = cloud.graph_scope();
    assert!(credential(direct()).get_token(&scope).await.is_err());
    let trusted = direct().ca_pem(pki.ca_pem.as_bytes()).unwrap();
    let token = credential(trusted).get_token(&scope).await.unwrap();
    assert_eq!(token.token.expose_secret(), "tls-token");
}

#[tokio::test]
async fn a_given_https_proxy_carries_the_requests_except_to_no_proxy_hosts() {
    let pki = Pki::generate();
    let server = TlsServer::start(&pki).await;
    let proxy = ConnectProxy::start().await;
    let base = NetworkSettings::new()
        .ca_pem(pki.ca_pem.as_bytes())
        .unwrap();

    let proxied = base.clone().https_proxy(&proxy.url(), None).unwrap();
    assert_eq!(get(&proxied, &server.url()).await.unwrap(), BODY);
    assert_eq!(
        proxy.tunnels(),
        [format!("localhost:{}", server.addr.port())]
    );

    let bypassed = base
        .https_proxy(&proxy.url(), Some("example.com,localhost"))
        .unwrap();
    assert_eq!(get(&bypassed, &server.url()).await.unwrap(), BODY);
    assert_eq!(proxy.tunnels().len(), 1, "NO_PROXY hosts go direct");
    assert_eq!(server.requests(), 2);
}

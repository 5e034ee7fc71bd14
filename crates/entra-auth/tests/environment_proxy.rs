//! `HTTPS_PROXY` and `NO_PROXY` of the environment are honoured by the default network
//! settings. A test binary of its own: it sets the process environment, which no other test
//! may see.

mod net;

use entra_auth::NetworkSettings;
use net::{ConnectProxy, Pki, TlsServer, BODY};

async fn get(settings: &NetworkSettings, url: &str) -> String {
    settings
        .client_builder()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
async fn https_proxy_of_the_environment_is_used_and_no_proxy_bypasses_it() {
    let pki = Pki::generate();
    let server = TlsServer::start(&pki).await;
    let proxy = ConnectProxy::start().await;
    let settings = NetworkSettings::new()
        .ca_pem(pki.ca_pem.as_bytes())
        .unwrap();
    for name in [
        "https_proxy",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
    ] {
        std::env::remove_var(name);
    }

    std::env::set_var("HTTPS_PROXY", proxy.url());
    assert_eq!(get(&settings, &server.url()).await, BODY);
    assert_eq!(
        proxy.tunnels(),
        [format!("localhost:{}", server.addr.port())]
    );

    std::env::set_var("NO_PROXY", "localhost");
    assert_eq!(get(&settings, &server.url()).await, BODY);
    assert_eq!(proxy.tunnels().len(), 1, "NO_PROXY=localhost goes direct");

    // And a client told to use no proxy ignores the environment.
    std::env::remove_var("NO_PROXY");
    assert_eq!(get(&settings.clone().no_proxy(), &server.url()).await, BODY);
    assert_eq!(proxy.tunnels().len(), 1);
    assert_eq!(server.requests(), 3);
    std::env::remove_var("HTTPS_PROXY");
}

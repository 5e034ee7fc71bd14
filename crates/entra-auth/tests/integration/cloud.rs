//! Clouds: hosts, scopes, token endpoints, and the loopback-only rule for plain http.

use entra_auth::{AuthError, Cloud};

#[test]
fn national_clouds_have_their_documented_hosts() {
    let cases = [
        (
            Cloud::Global,
            "https://login.microsoftonline.com/",
            "https://graph.microsoft.com/.default",
        ),
        (
            Cloud::UsGov,
            "https://login.microsoftonline.us/",
            "https://graph.microsoft.us/.default",
        ),
        (
            Cloud::UsGovDod,
            "https://login.microsoftonline.us/",
            "https://dod-graph.microsoft.us/.default",
        ),
        (
            Cloud::china(),
            "https://login.partner.microsoftonline.cn/",
            "https://microsoftgraph.chinacloudapi.cn/.default",
        ),
    ];
    for (cloud, authority, scope) in cases {
        assert_eq!(cloud.authority_host().as_str(), authority, "{cloud}");
        assert_eq!(cloud.graph_scope(), scope, "{cloud}");
        assert_eq!(
            cloud.token_endpoint("contoso.example").as_str(),
            format!("{authority}contoso.example/oauth2/v2.0/token")
        );
        assert_eq!(cloud.name().parse::<Cloud>().unwrap(), cloud);
    }
    assert_eq!(
        Cloud::Global.graph_root().as_str(),
        "https://graph.microsoft.com/"
    );
}

#[test]
fn china_authority_host_is_configurable() {
    let cloud = Cloud::china_with_authority_host("https://login.chinacloudapi.cn").unwrap();
    assert_eq!(
        cloud.token_endpoint("t").as_str(),
        "https://login.chinacloudapi.cn/t/oauth2/v2.0/token"
    );
    assert_eq!(
        cloud.graph_scope(),
        "https://microsoftgraph.chinacloudapi.cn/.default"
    );
    assert!(matches!(
        Cloud::china_with_authority_host("http://login.chinacloudapi.cn"),
        Err(AuthError::InsecureUrl { .. })
    ));
}

#[test]
fn plain_http_is_allowed_only_to_loopback() {
    for loopback in [
        "http://127.0.0.1:8080",
        "http://127.4.5.6",
        "http://[::1]:9000",
        "http://localhost:1234",
        "http://LOCALHOST",
    ] {
        assert!(Cloud::custom(loopback, loopback).is_ok(), "{loopback}");
    }
    for remote in [
        "http://login.example.com",
        "http://10.0.0.1",
        "http://[::2]",
        "http://localhost.example.com",
        "http://128.0.0.1",
    ] {
        let error = Cloud::custom(remote, "https://graph.example.com").unwrap_err();
        assert!(matches!(error, AuthError::InsecureUrl { .. }), "{remote}");
        assert!(error.to_string().contains("https"), "{error}");
        assert!(error.is_configuration_error());
        let error = Cloud::custom("https://login.example.com", remote).unwrap_err();
        assert!(matches!(error, AuthError::InsecureUrl { .. }), "{remote}");
    }
    assert!(Cloud::custom("https://login.example.com", "https://graph.example.com").is_ok());
    assert!(matches!(
        Cloud::custom("ftp://x", "https://graph.example.com"),
        Err(AuthError::InvalidConfiguration { .. })
    ));
    assert!(matches!(
        Cloud::custom("not a url", "https://graph.example.com"),
        Err(AuthError::InvalidConfiguration { .. })
    ));
}

#[test]
fn tenant_segments_are_encoded() {
    assert_eq!(
        Cloud::Global.token_endpoint("a b").as_str(),
        "https://login.microsoftonline.com/a%20b/oauth2/v2.0/token"
    );
}

#[test]
fn cloud_names_parse() {
    assert_eq!("GCC-High".parse::<Cloud>().unwrap(), Cloud::UsGov);
    assert_eq!("AzureChinaCloud".parse::<Cloud>().unwrap(), Cloud::china());
    assert_eq!("dod".parse::<Cloud>().unwrap(), Cloud::UsGovDod);
    assert!("mars".parse::<Cloud>().is_err());
}

//! The HTTP side of the Teams and webhook channels: URL checks, one POST, status mapping.

use std::net::IpAddr;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Client, Url};
use secrecy::{ExposeSecret, SecretString};

use super::{NotifyError, NotifyErrorKind};

/// Parses a channel URL: `https`, or `http` to a loopback host only (a local relay, tests).
/// The error never quotes the URL.
pub(super) fn endpoint(channel: &str, url: &SecretString) -> Result<Url, NotifyError> {
    let url = Url::parse(url.expose_secret().trim())
        .map_err(|_| NotifyError::config(channel, "the URL is not a valid absolute URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err(NotifyError::config(
            channel,
            "the URL must use https (http is accepted only to a loopback host)",
        )),
        _ => Err(NotifyError::config(channel, "the URL must be an https URL")),
    }
}

/// A client that never follows redirects (a redirect would carry the signed body elsewhere;
/// it is reported as a non-2xx answer instead).
pub(super) fn client(channel: &str) -> Result<Client, NotifyError> {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| {
            NotifyError::new(
                channel,
                NotifyErrorKind::Message {
                    message: "the HTTP client could not be built".to_owned(),
                },
            )
            .with_source(e.without_url())
        })
}

/// POSTs a JSON `body`; a 2xx answer is success (Teams Workflows answer 202).
pub(super) async fn post_json(
    channel: &str,
    client: &Client,
    url: &Url,
    body: Vec<u8>,
    mut headers: HeaderMap,
    timeout: Duration,
) -> Result<(), NotifyError> {
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let response = client
        .post(url.clone())
        .headers(headers)
        .body(body)
        .timeout(timeout)
        .send()
        .await
        .map_err(|e| {
            NotifyError::new(channel, NotifyErrorKind::Unreachable).with_source(e.without_url())
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Err(NotifyError::new(
        channel,
        NotifyErrorKind::Status {
            status: status.as_u16(),
            retry_after,
        },
    ))
}

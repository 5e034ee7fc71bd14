//! The HTTP side of the Teams and webhook channels: URL checks, one POST, status mapping.

use std::net::IpAddr;
use std::time::Duration;

use entra_auth::NetworkSettings;
use reqwest::header::{HeaderMap, HeaderValue, CONTENT_TYPE, DATE, RETRY_AFTER};
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

/// A client with the network settings' proxy and roots that never follows redirects (a
/// redirect would carry the signed body elsewhere; it is reported as a non-2xx answer instead).
pub(super) fn client(channel: &str, network: &NetworkSettings) -> Result<Client, NotifyError> {
    network
        .client_builder()
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
    let retry_after = retry_after(response.headers());
    Err(NotifyError::new(
        channel,
        NotifyErrorKind::Status {
            status: status.as_u16(),
            retry_after,
        },
    ))
}

/// `Retry-After` as delta seconds (fractional accepted) or as an HTTP-date, measured against
/// the answer's own `Date` header (no clock of ours, so no skew); `None` when it cannot be
/// read (the backoff applies then).
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?;
    let date = headers.get(DATE).and_then(|d| d.to_str().ok());
    graph_client::parse_retry_after(value, date, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn retry_after_reads_seconds_fractions_and_http_dates() {
        let h = |v| headers(&[("retry-after", v)]);
        assert_eq!(retry_after(&h("7")), Some(Duration::from_secs(7)));
        assert_eq!(retry_after(&h(" 2.5 ")), Some(Duration::from_millis(2500)));
        assert_eq!(retry_after(&h("-1")), None);
        assert_eq!(retry_after(&h("soon")), None);
        let dated = headers(&[
            ("retry-after", "Wed, 21 Oct 2026 07:28:30 GMT"),
            ("date", "Wed, 21 Oct 2026 07:28:00 GMT"),
        ]);
        assert_eq!(retry_after(&dated), Some(Duration::from_secs(30)));
        let past = headers(&[
            ("retry-after", "Wed, 21 Oct 2026 07:27:00 GMT"),
            ("date", "Wed, 21 Oct 2026 07:28:00 GMT"),
        ]);
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        // Without the answer's Date there is nothing to measure the date against.
        assert_eq!(retry_after(&h("Wed, 21 Oct 2026 07:28:30 GMT")), None);
    }
}

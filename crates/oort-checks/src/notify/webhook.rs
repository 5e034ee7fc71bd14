//! A generic JSON webhook, optionally signed with HMAC-SHA256.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use aws_lc_rs::hmac;
use entra_auth::NetworkSettings;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Client, Url};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::{Notification, Notifier, NotifyError, NotifyErrorKind, WebhookConfig};

/// POSTs notifications as JSON. Channel name: `webhook`.
///
/// A finding:
/// `{"event": "finding.opened" | "finding.reopened" | "finding.resolved", "tenant": "...",
/// "sent_at": "<RFC 3339>", "finding": {<the finding as oort serialises it>}}`.
///
/// A digest: `{"event": "digest", "tenant": "...", "sent_at": "...", "count": <findings
/// covered>, "omitted": <covered but not listed>, "findings": [{"event": "...", "finding":
/// {...}}, ...]}`.
///
/// With a signing secret, each request carries `X-Oort-Signature: sha256=<hex>`, the
/// HMAC-SHA256 of the exact body bytes keyed with the secret (compare it in constant time;
/// `sent_at` in the signed body lets a receiver refuse replays). `X-Oort-Event` repeats the
/// event. Any 2xx answer is success; redirects are not followed.
pub struct WebhookNotifier {
    client: Client,
    url: Url,
    key: Option<hmac::Key>,
    headers: HeaderMap,
    timeout: Duration,
}

impl fmt::Debug for WebhookNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL, the key and header values may all be credentials: names only.
        f.debug_struct("WebhookNotifier")
            .field("url", &"[REDACTED]")
            .field("signed", &self.key.is_some())
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl WebhookNotifier {
    /// The channel name.
    pub const CHANNEL: &'static str = "webhook";
    /// The header carrying the body's signature: `sha256=<lowercase hex>`.
    pub const SIGNATURE_HEADER: &'static str = "x-oort-signature";
    /// The header carrying the event (`finding.opened`, ..., or `digest`).
    pub const EVENT_HEADER: &'static str = "x-oort-event";

    /// A notifier for `config`, each attempt limited to `timeout`. Fails when the URL is not
    /// `https` (or `http` to loopback) or a header name or value is invalid.
    pub fn new(config: &WebhookConfig, timeout: Duration) -> Result<Self, NotifyError> {
        Self::with_network(config, timeout, &NetworkSettings::default())
    }

    /// [`new`](Self::new), reaching the endpoint through `network` (proxy, extra certificate
    /// authorities) instead of the defaults (the environment's proxies, the system's roots).
    pub fn with_network(
        config: &WebhookConfig,
        timeout: Duration,
        network: &NetworkSettings,
    ) -> Result<Self, NotifyError> {
        let mut headers = HeaderMap::new();
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                NotifyError::config(
                    Self::CHANNEL,
                    format!("the header name {name:?} is not valid"),
                )
            })?;
            let mut value = HeaderValue::from_str(value.expose_secret()).map_err(|_| {
                NotifyError::config(
                    Self::CHANNEL,
                    format!("the value of header {name} is not a valid header value"),
                )
            })?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        Ok(WebhookNotifier {
            client: super::http::client(Self::CHANNEL, network)?,
            url: super::http::endpoint(Self::CHANNEL, &config.url)?,
            key: config
                .secret
                .as_ref()
                .map(|s| hmac::Key::new(hmac::HMAC_SHA256, s.expose_secret().as_bytes())),
            headers,
            timeout,
        })
    }

    /// The JSON body posted for `message`.
    pub fn payload(message: &Notification) -> Value {
        let sent_at = entra_model::timestamp::format(&message.at());
        match message {
            Notification::Finding { tenant, event, .. } => json!({
                "event": event.event.as_str(),
                "tenant": tenant,
                "sent_at": sent_at,
                "finding": event.finding,
            }),
            Notification::Digest {
                tenant,
                events,
                omitted,
                ..
            } => json!({
                "event": "digest",
                "tenant": tenant,
                "sent_at": sent_at,
                "count": message.len(),
                "omitted": omitted,
                "findings": events,
            }),
        }
    }

    /// `sha256=<hex>`: the signature of `body` under `secret`, as sent in `X-Oort-Signature`.
    pub fn signature(secret: &[u8], body: &[u8]) -> String {
        sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), body)
    }
}

fn sign(key: &hmac::Key, body: &[u8]) -> String {
    let tag = hmac::sign(key, body);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256=");
    for b in tag.as_ref() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[async_trait]
impl Notifier for WebhookNotifier {
    fn channel(&self) -> &str {
        Self::CHANNEL
    }

    async fn send(&self, message: &Notification) -> Result<(), NotifyError> {
        let payload = Self::payload(message);
        let body = serde_json::to_vec(&payload).map_err(|e| {
            NotifyError::new(
                Self::CHANNEL,
                NotifyErrorKind::Message {
                    message: "the JSON body could not be serialised".to_owned(),
                },
            )
            .with_source(e)
        })?;
        let mut headers = self.headers.clone();
        if let Some(event) = payload["event"].as_str() {
            if let Ok(v) = HeaderValue::from_str(event) {
                headers.insert(HeaderName::from_static(Self::EVENT_HEADER), v);
            }
        }
        if let Some(key) = &self.key {
            // Hex digits and `sha256=`: always a valid header value.
            if let Ok(v) = HeaderValue::from_str(&sign(key, &body)) {
                headers.insert(HeaderName::from_static(Self::SIGNATURE_HEADER), v);
            }
        }
        super::http::post_json(
            Self::CHANNEL,
            &self.client,
            &self.url,
            body,
            headers,
            self.timeout,
        )
        .await
    }
}

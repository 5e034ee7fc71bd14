//! Microsoft Teams: an Adaptive Card POSTed to an incoming webhook or a Workflows URL.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use entra_auth::NetworkSettings;
use reqwest::header::HeaderMap;
use reqwest::{Client, Url};
use serde_json::{json, Value};

use super::render::{self, evidence_facts, finding_facts, finding_title};
use super::{FindingEvent, Notification, Notifier, NotifyError, NotifyErrorKind, TeamsConfig};
use crate::Severity;

/// Sign-ins listed on a single finding's card.
const SIGN_INS_ON_CARD: usize = 5;

/// Posts notifications to a Teams channel as an Adaptive Card (version 1.4) in a `message`
/// envelope, the format both incoming webhooks and the Workflows "when a Teams webhook request
/// is received" trigger accept.
///
/// A finding's card: a title coloured by severity, the summary, a FactSet (severity, check,
/// subject, event, first and last seen), an evidence FactSet (users, IPs, countries, key ids,
/// the rule's figures) and the first sign-ins cited. A digest is one card listing every
/// finding with its severity, summary and first/last seen. Channel name: `teams`.
///
/// Any 2xx answer is success (Workflows answer 202 Accepted; a legacy connector 200).
pub struct TeamsNotifier {
    client: Client,
    url: Url,
    timeout: Duration,
}

impl fmt::Debug for TeamsNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL carries its signature: never printed.
        f.debug_struct("TeamsNotifier")
            .field("url", &"[REDACTED]")
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl TeamsNotifier {
    /// The channel name.
    pub const CHANNEL: &'static str = "teams";

    /// A notifier posting to `config.url`, each attempt limited to `timeout`. Fails when the
    /// URL is not `https` (or `http` to loopback).
    pub fn new(config: &TeamsConfig, timeout: Duration) -> Result<Self, NotifyError> {
        Self::with_network(config, timeout, &NetworkSettings::default())
    }

    /// [`new`](Self::new), reaching the endpoint through `network` (proxy, extra certificate
    /// authorities) instead of the defaults (the environment's proxies, the system's roots).
    pub fn with_network(
        config: &TeamsConfig,
        timeout: Duration,
        network: &NetworkSettings,
    ) -> Result<Self, NotifyError> {
        Ok(TeamsNotifier {
            client: super::http::client(Self::CHANNEL, network)?,
            url: super::http::endpoint(Self::CHANNEL, &config.url)?,
            timeout,
        })
    }

    /// The JSON body posted for `message`: a `message` with one Adaptive Card attachment.
    pub fn payload(message: &Notification) -> Value {
        json!({
            "type": "message",
            "attachments": [{
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": null,
                "content": card(message),
            }],
        })
    }
}

fn color(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "Attention",
        Severity::Medium => "Warning",
        _ => "Default",
    }
}

fn fact_set(facts: Vec<(String, String)>) -> Value {
    json!({
        "type": "FactSet",
        "facts": facts
            .into_iter()
            .map(|(title, value)| json!({"title": title, "value": value}))
            .collect::<Vec<_>>(),
    })
}

fn text(text: impl Into<String>) -> Value {
    json!({"type": "TextBlock", "text": text.into(), "wrap": true})
}

fn finding_body(e: &FindingEvent) -> Vec<Value> {
    let f = &e.finding;
    let mut body = vec![
        json!({
            "type": "TextBlock",
            "text": finding_title(e),
            "size": "Large",
            "weight": "Bolder",
            "color": color(f.severity),
            "wrap": true,
        }),
        text(f.summary.clone()),
        fact_set(finding_facts(e)),
    ];
    let evidence = evidence_facts(&f.evidence);
    if !evidence.is_empty() {
        body.push(
            json!({"type": "TextBlock", "text": "Evidence", "weight": "Bolder", "separator": true}),
        );
        body.push(fact_set(evidence));
    }
    let lines = render::sign_in_lines(&f.evidence, SIGN_INS_ON_CARD);
    if !lines.is_empty() {
        body.push(json!({
            "type": "TextBlock",
            "text": lines.iter().map(|l| format!("- {l}")).collect::<Vec<_>>().join("\n"),
            "size": "Small",
            "fontType": "Monospace",
            "wrap": true,
        }));
    }
    if let Some(r) = &f.recommendation {
        body.push(text(format!("**Recommendation:** {r}")));
    }
    body
}

fn digest_body(events: &[FindingEvent], omitted: usize, title: String) -> Vec<Value> {
    let mut body = vec![json!({
        "type": "TextBlock",
        "text": title,
        "size": "Large",
        "weight": "Bolder",
        "wrap": true,
    })];
    for e in events {
        let f = &e.finding;
        body.push(json!({
            "type": "Container",
            "separator": true,
            "items": [
                {
                    "type": "TextBlock",
                    "text": format!("**{}** {} {} - {}", render::severity(f.severity), e.event.label(), f.check_id.as_str(), f.subject),
                    "color": color(f.severity),
                    "wrap": true,
                },
                text(f.summary.clone()),
                {
                    "type": "TextBlock",
                    "text": format!("First seen {} - last seen {}", render::time(f.first_seen), render::time(f.last_seen)),
                    "isSubtle": true,
                    "size": "Small",
                    "wrap": true,
                },
            ],
        }));
    }
    if omitted > 0 {
        body.push(text(format!(
            "...and {omitted} more: run `oort findings` to see them all."
        )));
    }
    body
}

fn card(message: &Notification) -> Value {
    let mut body = match message {
        Notification::Finding { event, .. } => finding_body(event),
        Notification::Digest {
            events, omitted, ..
        } => digest_body(events, *omitted, message.title()),
    };
    body.push(json!({
        "type": "TextBlock",
        "text": format!("Tenant {} - sent by oort at {}", message.tenant(), render::time(message.at())),
        "isSubtle": true,
        "size": "Small",
        "wrap": true,
    }));
    json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    })
}

#[async_trait]
impl Notifier for TeamsNotifier {
    fn channel(&self) -> &str {
        Self::CHANNEL
    }

    async fn send(&self, message: &Notification) -> Result<(), NotifyError> {
        let body = serde_json::to_vec(&Self::payload(message)).map_err(|e| {
            NotifyError::new(
                Self::CHANNEL,
                NotifyErrorKind::Message {
                    message: "the card could not be serialised".to_owned(),
                },
            )
            .with_source(e)
        })?;
        super::http::post_json(
            Self::CHANNEL,
            &self.client,
            &self.url,
            body,
            HeaderMap::new(),
            self.timeout,
        )
        .await
    }
}

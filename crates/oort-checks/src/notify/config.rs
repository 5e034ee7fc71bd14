//! Serde-loadable settings of the notifications and their channels.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use entra_auth::NetworkSettings;
use secrecy::SecretString;
use serde::Deserialize;

use super::{Notifier, NotifyError, SmtpNotifier, TeamsNotifier, WebhookNotifier};
use crate::Severity;

/// What is notified, how, and on which channels (`[notify]` in `oort.toml`).
///
/// Every field has a default, so an empty document is a valid configuration (with no channel).
/// Unknown keys are refused. Secrets are [`SecretString`]s: `Debug` prints `[REDACTED]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct NotifyConfig {
    /// The lowest severity sent. Default: `medium` (so `info` licence gaps and `low` hygiene
    /// findings stay in `oort findings`, and every threat detection of the catalogue is sent).
    pub min_severity: Severity,
    /// One message per channel per run listing every finding to notify, instead of one
    /// message per finding. Default: `false`.
    pub digest: bool,
    /// In per-finding mode, a channel with more than this many messages in one run gets one
    /// digest instead (a first run over an existing store does not flood). Default: 10.
    pub digest_threshold: usize,
    /// The most findings a digest lists; the others are counted ("and N more") and recorded as
    /// notified all the same. Default: 25 (a Teams card stays under its 28 KB limit).
    pub digest_limit: usize,
    /// Send `finding.resolved` when a finding a channel was told about is resolved. A
    /// resolution is recorded either way. Default: `false`.
    pub notify_resolved: bool,
    /// Attempts per message, the first included (1 = no retry). Default: 4.
    pub retry_attempts: u32,
    /// Delay before the first retry, doubled at each next one. Default: 1000 ms.
    pub retry_base_delay_ms: u64,
    /// Longest delay between attempts (also caps an HTTP `Retry-After`). Default: 60000 ms.
    pub retry_max_delay_ms: u64,
    /// Timeout of one attempt (connection, request and answer). Default: 30 s.
    pub timeout_secs: u64,
    /// E-mail over SMTP (channel `email`). Default: none.
    pub email: Option<SmtpConfig>,
    /// Microsoft Teams (channel `teams`). Default: none.
    pub teams: Option<TeamsConfig>,
    /// A generic JSON webhook (channel `webhook`). Default: none.
    pub webhook: Option<WebhookConfig>,
    /// How the channels reach their servers: the proxy of the Teams and webhook requests, and
    /// certificate authorities trusted besides the system's by all three channels. Not read
    /// from the file (the `oort` command sets it from `OORT_CA_FILE`). Default: the
    /// environment's proxies and the system's trust store.
    #[serde(skip)]
    pub network: NetworkSettings,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            min_severity: Severity::Medium,
            digest: false,
            digest_threshold: 10,
            digest_limit: 25,
            notify_resolved: false,
            retry_attempts: 4,
            retry_base_delay_ms: 1_000,
            retry_max_delay_ms: 60_000,
            timeout_secs: 30,
            email: None,
            teams: None,
            webhook: None,
            network: NetworkSettings::default(),
        }
    }
}

impl NotifyConfig {
    /// Whether at least one channel is configured.
    pub fn has_channels(&self) -> bool {
        self.email.is_some() || self.teams.is_some() || self.webhook.is_some()
    }

    /// The timeout of one attempt.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs(self.timeout_secs.max(1))
    }

    /// The delay before retry number `retry` (1 for the first retry): the base delay doubled
    /// `retry - 1` times, capped at the maximum.
    pub fn retry_delay(&self, retry: u32) -> Duration {
        let base = Duration::from_millis(self.retry_base_delay_ms);
        let max = Duration::from_millis(self.retry_max_delay_ms);
        base.saturating_mul(1u32 << retry.saturating_sub(1).min(20))
            .min(max)
    }

    /// The notifiers of the configured channels, in the order e-mail, Teams, webhook.
    /// Fails on the first channel whose settings cannot be used.
    pub fn notifiers(&self) -> Result<Vec<Arc<dyn Notifier>>, NotifyError> {
        let mut out: Vec<Arc<dyn Notifier>> = Vec::new();
        if let Some(c) = &self.email {
            out.push(Arc::new(SmtpNotifier::with_network(
                c,
                self.timeout(),
                &self.network,
            )?));
        }
        if let Some(c) = &self.teams {
            out.push(Arc::new(TeamsNotifier::with_network(
                c,
                self.timeout(),
                &self.network,
            )?));
        }
        if let Some(c) = &self.webhook {
            out.push(Arc::new(WebhookNotifier::with_network(
                c,
                self.timeout(),
                &self.network,
            )?));
        }
        Ok(out)
    }
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum SmtpSecurity {
    /// Plain SMTP, no encryption: only for a relay on the same host or a trusted network (and
    /// tests). Credentials are refused over it unless the host is loopback. Default port 25.
    None,
    /// Plain connection upgraded with `STARTTLS`, which is required. Default port 587.
    #[default]
    StartTls,
    /// TLS from the first byte (SMTPS). Default port 465.
    Tls,
}

impl SmtpSecurity {
    /// The port used when none is given: 25, 587 or 465.
    pub fn default_port(self) -> u16 {
        match self {
            SmtpSecurity::None => 25,
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::Tls => 465,
        }
    }

    /// `none`, `starttls` or `tls`.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::None => "none",
            SmtpSecurity::StartTls => "starttls",
            SmtpSecurity::Tls => "tls",
        }
    }
}

impl fmt::Display for SmtpSecurity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SmtpSecurity {
    type Err = String;

    /// `none` (or `plain`), `starttls`, `tls` (or `smtps`), case-insensitively.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(SmtpSecurity::None),
            "starttls" | "start_tls" => Ok(SmtpSecurity::StartTls),
            "tls" | "smtps" => Ok(SmtpSecurity::Tls),
            other => Err(format!(
                "{other:?} is not an SMTP security mode: use none, starttls or tls"
            )),
        }
    }
}

/// E-mail over SMTP (`[notify.email]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SmtpConfig {
    /// The SMTP server's host name.
    pub host: String,
    /// The port. Default: the security mode's (25, 587, 465).
    #[serde(default)]
    pub port: Option<u16>,
    /// Connection security. Default: `starttls`.
    #[serde(default)]
    pub security: SmtpSecurity,
    /// The login, if the server requires one.
    #[serde(default)]
    pub username: Option<String>,
    /// The password of `username`.
    #[serde(default)]
    pub password: Option<SecretString>,
    /// A file holding the password (read when the notifier is built; trailing whitespace is
    /// ignored), instead of `password`.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// The sender, `oort@contoso.com` or `oort <oort@contoso.com>`.
    pub from: String,
    /// The recipients (at least one).
    pub to: Vec<String>,
    /// Put before every subject. Default: `[oort]`.
    #[serde(default = "default_subject_prefix")]
    pub subject_prefix: String,
}

fn default_subject_prefix() -> String {
    "[oort]".to_owned()
}

impl SmtpConfig {
    /// A configuration with the defaults (STARTTLS on 587, no login, prefix `[oort]`).
    pub fn new(host: impl Into<String>, from: impl Into<String>, to: Vec<String>) -> Self {
        SmtpConfig {
            host: host.into(),
            port: None,
            security: SmtpSecurity::default(),
            username: None,
            password: None,
            password_file: None,
            from: from.into(),
            to,
            subject_prefix: default_subject_prefix(),
        }
    }

    /// The port in use: `port`, else the security mode's default.
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.security.default_port())
    }
}

/// Microsoft Teams (`[notify.teams]`): an incoming webhook or a Workflows ("when a Teams
/// webhook request is received") URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct TeamsConfig {
    /// The URL. It carries its own signature: it is a secret.
    pub url: SecretString,
}

impl TeamsConfig {
    /// A configuration posting to `url`.
    pub fn new(url: SecretString) -> Self {
        TeamsConfig { url }
    }
}

/// A generic JSON webhook (`[notify.webhook]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct WebhookConfig {
    /// The URL the JSON is POSTed to (a secret: it may carry a token).
    pub url: SecretString,
    /// When set, every request carries `X-Oort-Signature: sha256=<hex HMAC-SHA256 of the body
    /// keyed with this secret>`. Default: none.
    #[serde(default)]
    pub secret: Option<SecretString>,
    /// Extra request headers (e.g. an `Authorization`); values are kept as secrets. Default:
    /// none.
    #[serde(default)]
    pub headers: BTreeMap<String, SecretString>,
}

impl WebhookConfig {
    /// A configuration posting to `url`, unsigned, with no extra header.
    pub fn new(url: SecretString) -> Self {
        WebhookConfig {
            url,
            secret: None,
            headers: BTreeMap::new(),
        }
    }
}

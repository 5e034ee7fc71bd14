//! E-mail over SMTP with lettre (tokio, rustls).

use std::fmt;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use entra_auth::NetworkSettings;
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use super::{Notification, Notifier, NotifyError, NotifyErrorKind, SmtpConfig, SmtpSecurity};

/// Sends notifications as plain-text e-mails. Channel name: `email`.
///
/// The subject is the configured prefix and the notification's title
/// (`[oort] [HIGH] New password-spray: ...`); the body lists, for each finding, its summary,
/// severity, check, subject, first and last seen, evidence and recommendation. One connection
/// per message (no pool: a run sends a few). The message's `Date` is the dispatcher's `now`.
pub struct SmtpNotifier {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    host: String,
    port: u16,
    security: SmtpSecurity,
    from: Mailbox,
    to: Vec<Mailbox>,
    subject_prefix: String,
}

impl fmt::Debug for SmtpNotifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The transport holds the credentials: never printed.
        f.debug_struct("SmtpNotifier")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("from", &self.from.to_string())
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn read_password(config: &SmtpConfig) -> Result<Option<SecretString>, NotifyError> {
    if let Some(p) = &config.password {
        return Ok(Some(p.clone()));
    }
    let Some(path) = &config.password_file else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        NotifyError::config(
            SmtpNotifier::CHANNEL,
            format!("cannot read the password file {}: {e}", path.display()),
        )
    })?;
    let trimmed = text.trim_end_matches(['\r', '\n', ' ', '\t']);
    if trimmed.is_empty() {
        return Err(NotifyError::config(
            SmtpNotifier::CHANNEL,
            format!("the password file {} is empty", path.display()),
        ));
    }
    Ok(Some(SecretString::from(trimmed.to_owned())))
}

impl SmtpNotifier {
    /// The channel name.
    pub const CHANNEL: &'static str = "email";

    /// A notifier for `config`, each attempt (connection and exchange) limited to `timeout`.
    ///
    /// Fails when an address does not parse, there is no recipient, a username comes without
    /// a password (or the reverse), the password file cannot be read, or credentials would
    /// cross an unencrypted connection to a host other than loopback.
    pub fn new(config: &SmtpConfig, timeout: Duration) -> Result<Self, NotifyError> {
        Self::with_network(config, timeout, &NetworkSettings::default())
    }

    /// [`new`](Self::new), trusting the certificate authorities of `network` besides the
    /// system's (a proxy does not apply: SMTP is not HTTP).
    pub fn with_network(
        config: &SmtpConfig,
        timeout: Duration,
        network: &NetworkSettings,
    ) -> Result<Self, NotifyError> {
        let channel = Self::CHANNEL;
        let host = config.host.trim();
        if host.is_empty() {
            return Err(NotifyError::config(channel, "the SMTP host is empty"));
        }
        let from: Mailbox = config.from.trim().parse().map_err(|_| {
            NotifyError::config(
                channel,
                format!("the sender {:?} is not an e-mail address", config.from),
            )
        })?;
        let to = config
            .to
            .iter()
            .map(|a| {
                a.trim().parse::<Mailbox>().map_err(|_| {
                    NotifyError::config(
                        channel,
                        format!("the recipient {a:?} is not an e-mail address"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if to.is_empty() {
            return Err(NotifyError::config(channel, "no recipient is configured"));
        }
        let password = read_password(config)?;
        let credentials = match (&config.username, password) {
            (Some(user), Some(password)) => Some(Credentials::new(
                user.clone(),
                password.expose_secret().to_owned(),
            )),
            (None, None) => None,
            (Some(_), None) => {
                return Err(NotifyError::config(
                    channel,
                    "a username is configured without a password",
                ))
            }
            (None, Some(_)) => {
                return Err(NotifyError::config(
                    channel,
                    "a password is configured without a username",
                ))
            }
        };
        if credentials.is_some() && config.security == SmtpSecurity::None && !is_loopback(host) {
            return Err(NotifyError::config(
                channel,
                "credentials are refused over an unencrypted connection: use security starttls or tls",
            ));
        }
        let port = config.effective_port();
        let tls_failed = |e| {
            NotifyError::config(channel, "TLS cannot be set up for the SMTP host").with_source(e)
        };
        let tls = || -> Result<TlsParameters, NotifyError> {
            if network.extra_roots().is_empty() {
                return TlsParameters::new(host.to_owned()).map_err(tls_failed);
            }
            let mut params = TlsParameters::builder(host.to_owned());
            for der in network.extra_roots() {
                params = params.add_root_certificate(
                    Certificate::from_der(der.as_ref().to_vec()).map_err(tls_failed)?,
                );
            }
            params.build_rustls().map_err(tls_failed)
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host);
        let builder = match config.security {
            SmtpSecurity::None => builder,
            SmtpSecurity::StartTls => builder.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        let mut builder = builder.port(port).timeout(Some(timeout));
        if let Some(c) = credentials {
            builder = builder.credentials(c);
        }
        Ok(SmtpNotifier {
            transport: builder.build(),
            host: host.to_owned(),
            port,
            security: config.security,
            from,
            to,
            subject_prefix: config.subject_prefix.clone(),
        })
    }

    /// The e-mail for `notification`: subject, date from the notification, plain-text body.
    fn message(&self, notification: &Notification) -> Result<Message, NotifyError> {
        let subject = if self.subject_prefix.is_empty() {
            notification.title()
        } else {
            format!("{} {}", self.subject_prefix, notification.title())
        };
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject)
            .date(SystemTime::from(notification.at()));
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        builder
            .header(ContentType::TEXT_PLAIN)
            .body(notification.text())
            .map_err(|e| {
                NotifyError::new(
                    Self::CHANNEL,
                    NotifyErrorKind::Message {
                        message: "the e-mail could not be built".to_owned(),
                    },
                )
                .with_source(e)
            })
    }
}

fn smtp_error(e: lettre::transport::smtp::Error) -> NotifyError {
    let code = e.status().map(u16::from);
    let kind = if e.is_permanent() {
        NotifyErrorKind::Smtp {
            code,
            permanent: true,
        }
    } else if e.is_transient() {
        NotifyErrorKind::Smtp {
            code,
            permanent: false,
        }
    } else if e.is_client() {
        // E.g. no authentication mechanism in common: another attempt changes nothing.
        NotifyErrorKind::Smtp {
            code: None,
            permanent: true,
        }
    } else {
        NotifyErrorKind::Unreachable
    };
    NotifyError::new(SmtpNotifier::CHANNEL, kind).with_source(e)
}

#[async_trait]
impl Notifier for SmtpNotifier {
    fn channel(&self) -> &str {
        Self::CHANNEL
    }

    async fn send(&self, message: &Notification) -> Result<(), NotifyError> {
        let email = self.message(message)?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(smtp_error)
    }
}

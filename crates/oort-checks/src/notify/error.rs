//! The error of one delivery attempt.

use std::fmt;
use std::time::Duration;

/// What went wrong when a notifier tried to deliver a message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyErrorKind {
    /// A setting cannot be used (an address that does not parse, a URL that is not http(s),
    /// credentials over an unencrypted connection). Not retriable.
    Config {
        /// What is wrong, naming the setting.
        message: String,
    },
    /// The endpoint could not be reached or did not answer in time (connection refused, DNS,
    /// TLS handshake, timeout). Retriable.
    Unreachable,
    /// The HTTP endpoint answered with a non-2xx status. Retriable for 429 and 5xx.
    Status {
        /// The HTTP status code.
        status: u16,
        /// The `Retry-After` the endpoint asked for, if any.
        retry_after: Option<Duration>,
    },
    /// The SMTP server refused the message or the login. Retriable for a transient (`4xx`)
    /// reply.
    Smtp {
        /// The reply code, when the server gave one.
        code: Option<u16>,
        /// Whether the server said the failure is permanent (`5xx`).
        permanent: bool,
    },
    /// The message could not be built (rendering or encoding).
    Message {
        /// What failed.
        message: String,
    },
}

/// A failed delivery attempt on one channel.
///
/// It names the channel and what happened, never the endpoint's URL (a Teams or webhook URL
/// carries its credential) nor a password.
#[derive(Debug)]
pub struct NotifyError {
    channel: String,
    kind: NotifyErrorKind,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl NotifyError {
    /// An error of `channel`.
    pub fn new(channel: impl Into<String>, kind: NotifyErrorKind) -> Self {
        NotifyError {
            channel: channel.into(),
            kind,
            source: None,
        }
    }

    /// Attaches the underlying error (it must not hold a secret: strip URLs first).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    pub(crate) fn config(channel: &str, message: impl Into<String>) -> Self {
        Self::new(
            channel,
            NotifyErrorKind::Config {
                message: message.into(),
            },
        )
    }

    /// The channel that failed.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// What went wrong.
    pub fn kind(&self) -> &NotifyErrorKind {
        &self.kind
    }

    /// Whether another attempt may succeed: unreachable endpoint, HTTP 429 or 5xx, SMTP
    /// transient reply.
    pub fn is_retriable(&self) -> bool {
        match &self.kind {
            NotifyErrorKind::Unreachable => true,
            NotifyErrorKind::Status { status, .. } => *status == 429 || *status >= 500,
            NotifyErrorKind::Smtp { permanent, .. } => !permanent,
            NotifyErrorKind::Config { .. } | NotifyErrorKind::Message { .. } => false,
        }
    }

    /// The HTTP status, when the endpoint answered one.
    pub fn status(&self) -> Option<u16> {
        match &self.kind {
            NotifyErrorKind::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the endpoint asked to wait (`Retry-After`), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match &self.kind {
            NotifyErrorKind::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The message with its causes, one line (`Display` of this error, then each source's).
    pub fn report(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(e) = source {
            out.push_str(": ");
            out.push_str(&e.to_string());
            source = e.source();
        }
        out
    }
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let channel = &self.channel;
        match &self.kind {
            NotifyErrorKind::Config { message } => {
                write!(f, "the {channel} notifier is misconfigured: {message}")
            }
            NotifyErrorKind::Unreachable => write!(
                f,
                "the {channel} notification could not reach its endpoint (connection failed or timed out): check the host, the port and the network"
            ),
            NotifyErrorKind::Status { status, .. } if *status == 429 || *status >= 500 => write!(
                f,
                "the {channel} endpoint answered HTTP {status} (throttled or failing): the next run retries"
            ),
            NotifyErrorKind::Status { status, .. } => write!(
                f,
                "the {channel} endpoint refused the notification with HTTP {status}: check the {channel} URL (it may have been revoked) and its secret"
            ),
            NotifyErrorKind::Smtp {
                code,
                permanent: true,
            } => write!(
                f,
                "the {channel} server refused the message{}: check the sender, the recipients and the SMTP credentials",
                code.map(|c| format!(" (SMTP {c})")).unwrap_or_default()
            ),
            NotifyErrorKind::Smtp { code, .. } => write!(
                f,
                "the {channel} server deferred the message{}: the next run retries",
                code.map(|c| format!(" (SMTP {c})")).unwrap_or_default()
            ),
            NotifyErrorKind::Message { message } => {
                write!(f, "the {channel} message could not be built: {message}")
            }
        }
    }
}

impl std::error::Error for NotifyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

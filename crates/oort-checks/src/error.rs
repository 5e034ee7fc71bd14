//! The crate's error type.

/// What can go wrong in `oort-checks`: configuration that cannot be used.
///
/// Analysis itself never fails: missing data is reported as findings (`licence-gap`) or skipped
/// (a sign-in without a timestamp), never as an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range; the message names the setting.
    #[error("invalid check configuration: {setting} {reason}; fix the setting or remove it to use the default")]
    InvalidConfig {
        /// The setting, e.g. `password_spray.min_users`.
        setting: String,
        /// Why it is invalid.
        reason: String,
    },
    /// The configuration text is not valid JSON for [`crate::CheckConfig`].
    #[error("check configuration could not be read: {message}")]
    ConfigSyntax {
        /// What the parser reported (line, column, field).
        message: String,
    },
    /// A check id that is not in the catalogue.
    #[error("unknown check id {id:?}: see the catalogue for valid ids")]
    UnknownCheck {
        /// The id given.
        id: String,
    },
}

impl Error {
    /// Whether this is a configuration problem (bad value or syntax).
    pub fn is_config(&self) -> bool {
        matches!(
            self,
            Error::InvalidConfig { .. } | Error::ConfigSyntax { .. }
        )
    }

    pub(crate) fn invalid(setting: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidConfig {
            setting: setting.into(),
            reason: reason.into(),
        }
    }
}

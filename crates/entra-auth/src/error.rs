//! Errors of token acquisition.

/// Why a token could not be obtained. Each `Display` says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// Placeholder until issue #3 lands the full set of variants.
    #[error("token acquisition is not implemented yet")]
    NotImplemented,
}

//! The crate's parsers of network input, for the fuzz targets in the workspace's `fuzz/`
//! directory. Compiled only with `--cfg fuzzing` (what `cargo fuzz` passes); not an API.

use std::time::Duration;

use time::OffsetDateTime;

use crate::{AccessToken, AuthError, TokenEndpointError};

/// Reads a token endpoint's success answer (client credentials, certificate, workload identity).
pub fn token_response(body: &[u8], now: OffsetDateTime) -> Result<AccessToken, AuthError> {
    crate::endpoint::parse_token_response(body, now)
}

/// Reads a token endpoint's error answer, and the error it becomes.
pub fn token_error(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
) -> (TokenEndpointError, AuthError) {
    let details = crate::endpoint::parse_error_response(status, body, retry_after);
    (details.clone(), AuthError::from_endpoint(details))
}

/// Reads a managed identity endpoint's success answer.
pub fn managed_identity_token(body: &[u8], now: OffsetDateTime) -> Result<AccessToken, AuthError> {
    crate::managed_identity::parse_managed_identity_token(body, now)
}

/// Reads a managed identity endpoint's refusal.
pub fn managed_identity_error(
    status: u16,
    body: &[u8],
    retry_after: Option<Duration>,
    user_assigned: bool,
) -> AuthError {
    crate::managed_identity::managed_identity_error(status, body, retry_after, user_assigned)
}

//! Access tokens and the claims oort reads from them.

use std::fmt;

use entra_model::PermissionSet;
use secrecy::SecretString;
use time::OffsetDateTime;

/// Claims decoded from the token's payload (signature not verified: they are for diagnostics).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenClaims {
    /// `roles`: the application permissions granted (empty when the claim is absent).
    pub roles: PermissionSet,
    /// `tid`: the tenant id.
    pub tenant_id: Option<String>,
    /// `appid` (v1 tokens) or `azp` (v2 tokens): the client id.
    pub app_id: Option<String>,
    /// `oid`: the service principal's object id.
    pub object_id: Option<String>,
    /// `idtyp`: `app` for app-only tokens.
    pub id_type: Option<String>,
}

/// An access token with its expiry and claims. `Debug` never prints the token.
#[derive(Clone)]
pub struct AccessToken {
    /// The bearer token.
    pub token: SecretString,
    /// When it expires.
    pub expires_on: OffsetDateTime,
    /// What it says about the app.
    pub claims: TokenClaims,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[REDACTED]")
            .field("expires_on", &self.expires_on)
            .field("claims", &self.claims)
            .finish()
    }
}

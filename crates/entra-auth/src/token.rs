//! Access tokens and the claims oort reads from them.

use std::fmt;

use base64::Engine as _;
use entra_model::PermissionSet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

/// Claims decoded from the token's payload (signature not verified: they are for diagnostics).
///
/// An app-only token lists the application permissions granted to the app in `roles`; Entra also
/// issues tokens **without** a `roles` claim (the app has no permission on the resource), which
/// decode to an empty [`PermissionSet`]: "token OK" does not mean "permissions OK".
///
/// ```
/// use entra_auth::TokenClaims;
/// use entra_model::Permission;
///
/// // header.payload.signature, payload = {"roles":["AuditLog.Read.All","Custom.Role"],"tid":"t"}
/// let jwt = "e30.eyJyb2xlcyI6WyJBdWRpdExvZy5SZWFkLkFsbCIsIkN1c3RvbS5Sb2xlIl0sInRpZCI6InQifQ.c2ln";
/// let claims = TokenClaims::from_jwt(jwt).unwrap();
/// assert!(claims.roles.contains(Permission::AuditLogReadAll));
/// assert_eq!(claims.roles.unknown().collect::<Vec<_>>(), ["Custom.Role"]);
/// assert_eq!(claims.tenant_id.as_deref(), Some("t"));
/// ```
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

impl TokenClaims {
    /// Decodes the payload of a JWT (`header.payload.signature`, base64url) without verifying
    /// its signature. `None` when the token is not a JWT with a JSON object payload (an opaque
    /// token); claims of unexpected types are skipped.
    pub fn from_jwt(token: &str) -> Option<TokenClaims> {
        let mut parts = token.split('.');
        let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None; // five parts: an encrypted JWE, not a signed JWT
        }
        let bytes = decode_base64url(payload)?;
        let raw: RawClaims = serde_json::from_slice(&bytes).ok()?;
        Some(raw.into_claims())
    }
}

/// Decodes base64url with or without padding.
pub(crate) fn decode_base64url(text: &str) -> Option<Vec<u8>> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .ok()
}

/// The claims as they may appear; every field lenient so that one odd claim does not hide the
/// others.
#[derive(Deserialize)]
struct RawClaims {
    #[serde(default)]
    roles: Lenient<Roles>,
    #[serde(default)]
    tid: Lenient<String>,
    #[serde(default)]
    appid: Lenient<String>,
    #[serde(default)]
    azp: Lenient<String>,
    #[serde(default)]
    oid: Lenient<String>,
    #[serde(default)]
    idtyp: Lenient<String>,
}

impl RawClaims {
    fn into_claims(self) -> TokenClaims {
        let roles = match self.roles.0 {
            Some(Roles::Many(names)) => PermissionSet::from_roles(names),
            Some(Roles::One(name)) => PermissionSet::from_roles([name]),
            None => PermissionSet::new(),
        };
        TokenClaims {
            roles,
            tenant_id: self.tid.0,
            app_id: self.appid.0.or(self.azp.0),
            object_id: self.oid.0,
            id_type: self.idtyp.0,
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Roles {
    Many(Vec<String>),
    One(String),
}

/// A value that is `None` when absent or of an unexpected type.
struct Lenient<T>(Option<T>);

impl<T> Default for Lenient<T> {
    fn default() -> Self {
        Lenient(None)
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(Lenient(serde_json::from_value(value).ok()))
    }
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

impl AccessToken {
    /// A token expiring at `expires_on`, its claims decoded from its payload (empty claims for an
    /// opaque token).
    pub fn new(token: SecretString, expires_on: OffsetDateTime) -> Self {
        let claims = TokenClaims::from_jwt(token.expose_secret()).unwrap_or_default();
        AccessToken {
            token,
            expires_on,
            claims,
        }
    }

    /// The token's time left at `now` (negative once expired).
    pub fn expires_in(&self, now: OffsetDateTime) -> Duration {
        self.expires_on - now
    }

    /// Whether the token has expired at `now`.
    pub fn is_expired_at(&self, now: OffsetDateTime) -> bool {
        now >= self.expires_on
    }

    /// The `Authorization` header value, `Bearer {token}`, as a secret.
    pub fn bearer_header(&self) -> SecretString {
        SecretString::from(format!("Bearer {}", self.token.expose_secret()))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b64(r#"{"alg":"RS256"}"#), b64(payload))
    }

    #[test]
    fn decodes_v1_app_claims() {
        let claims = TokenClaims::from_jwt(&jwt(
            r#"{"roles":["User.Read.All"],"tid":"t","appid":"a","azp":"z","oid":"o","idtyp":"app"}"#,
        ))
        .unwrap();
        assert_eq!(claims.app_id.as_deref(), Some("a"));
        assert_eq!(claims.object_id.as_deref(), Some("o"));
        assert_eq!(claims.id_type.as_deref(), Some("app"));
        assert_eq!(claims.roles.names().collect::<Vec<_>>(), ["User.Read.All"]);
    }

    #[test]
    fn v2_tokens_name_the_client_in_azp() {
        let claims = TokenClaims::from_jwt(&jwt(r#"{"azp":"z"}"#)).unwrap();
        assert_eq!(claims.app_id.as_deref(), Some("z"));
        assert!(claims.roles.is_empty());
    }

    #[test]
    fn odd_claim_types_do_not_hide_the_others() {
        let claims = TokenClaims::from_jwt(&jwt(r#"{"roles":42,"tid":"t","oid":7}"#)).unwrap();
        assert!(claims.roles.is_empty());
        assert_eq!(claims.tenant_id.as_deref(), Some("t"));
        assert_eq!(claims.object_id, None);
    }

    #[test]
    fn opaque_tokens_have_no_claims() {
        assert_eq!(TokenClaims::from_jwt("opaque"), None);
        assert_eq!(TokenClaims::from_jwt("a.b.c"), None);
        assert_eq!(TokenClaims::from_jwt("a.e30.c.d.e"), None);
        let token = AccessToken::new(SecretString::from("opaque"), OffsetDateTime::UNIX_EPOCH);
        assert_eq!(token.claims, TokenClaims::default());
    }

    #[test]
    fn padded_payloads_decode() {
        assert_eq!(decode_base64url("e30="), Some(b"{}".to_vec()));
    }
}

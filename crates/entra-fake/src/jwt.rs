//! JWT-shaped access tokens: `header.payload.signature`, base64url. The signature is a keyed
//! hash only this fake can check (clients never verify Graph tokens), so the server keeps no
//! per-token state.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::rng::hash;

pub(crate) fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn unb64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

fn sign(key: u64, data: &str) -> String {
    let mut h = key;
    let mut out = Vec::with_capacity(32);
    for chunk in data.as_bytes().chunks(8) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        h = hash(&[h, u64::from_le_bytes(w)]);
    }
    for i in 0..4u64 {
        out.extend_from_slice(&hash(&[h, i]).to_le_bytes());
    }
    b64(&out)
}

/// Claims of an issued token.
#[derive(Debug, Clone)]
pub(crate) struct Claims {
    pub(crate) tid: String,
    pub(crate) appid: String,
    pub(crate) exp: i64,
    pub(crate) nbf: i64,
    pub(crate) roles: Vec<String>,
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn issue(
    key: u64,
    tid: &str,
    appid: &str,
    oid: &str,
    roles: &[String],
    iat: i64,
    lifetime: i64,
    jti: &str,
    acr: &str,
) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "kid": "fake-entra-signing-key", "x5t": "fake-entra-signing-key"});
    let mut payload = json!({
        "aud": "https://graph.microsoft.com",
        "iss": format!("https://sts.windows.net/{tid}/"),
        "iat": iat, "nbf": iat, "exp": iat + lifetime,
        "aio": "E2NgYFj+fake",
        "app_displayname": "oort collector",
        "appid": appid, "azp": appid, "appidacr": acr, "azpacr": acr,
        "idp": format!("https://sts.windows.net/{tid}/"),
        "idtyp": "app", "oid": oid, "sub": oid, "tid": tid,
        "uti": jti, "ver": "1.0",
        "xms_tcdt": 1_600_000_000,
    });
    if !roles.is_empty() {
        payload["roles"] = json!(roles);
    }
    let data = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let sig = sign(key, &data);
    format!("{data}.{sig}")
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenError {
    Empty,
    Malformed,
    Expired,
}

pub(crate) fn verify(key: u64, token: &str, now: i64) -> Result<Claims, TokenError> {
    if token.is_empty() {
        return Err(TokenError::Empty);
    }
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };
    if sign(key, &format!("{h}.{p}")) != s {
        return Err(TokenError::Malformed);
    }
    let payload: Value = unb64(p)
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(TokenError::Malformed)?;
    let claims = Claims {
        tid: payload["tid"].as_str().unwrap_or_default().to_owned(),
        appid: payload["appid"].as_str().unwrap_or_default().to_owned(),
        exp: payload["exp"].as_i64().unwrap_or(0),
        nbf: payload["nbf"].as_i64().unwrap_or(0),
        roles: payload["roles"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    };
    if now >= claims.exp || now + 300 < claims.nbf {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_verify_and_tampering_is_refused() {
        let t = issue(
            9,
            "tid",
            "app",
            "oid",
            &["User.Read.All".to_owned()],
            1000,
            3599,
            "j",
            "1",
        );
        let c = verify(9, &t, 1001).unwrap();
        assert_eq!(c.roles, ["User.Read.All"]);
        assert_eq!(c.tid, "tid");
        assert_eq!(verify(9, &t, 1000 + 3599).err(), Some(TokenError::Expired));
        assert_eq!(verify(8, &t, 1001).err(), Some(TokenError::Malformed));
        assert_eq!(verify(9, "", 1001).err(), Some(TokenError::Empty));
        assert_eq!(verify(9, "abc", 1001).err(), Some(TokenError::Malformed));
    }
}

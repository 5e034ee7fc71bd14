//! Certificate client assertions (`client_assertion`): verified against the certificate
//! registered on the fake app, PS256 with `x5t#S256` or RS256 with `x5t`, `aud`, `iss`/`sub`,
//! `exp`/`nbf` on the tenant's clock.

use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// The test-only certificate the fake app registers (with [`crate::FakeTenantBuilder::certificate`]),
/// and its private key, so that tests can sign client assertions. They open nothing but a fake
/// tenant.
pub mod test_certificate {
    /// The certificate, PEM (`CN=oort-fake-tenant-test`, valid 2024-01-01 to 2034-01-01, RSA 2048).
    pub const CERTIFICATE_PEM: &str = include_str!("fixtures/test-cert.pem");
    /// Its private key, PKCS#8 PEM. Test-only.
    pub const PRIVATE_KEY_PEM: &str = include_str!("fixtures/test-key.pem");
    /// SHA-1 thumbprint of the certificate's DER, hex (the `customKeyIdentifier` Entra shows).
    pub const THUMBPRINT_SHA1_HEX: &str = "FDE115C1E9C6596FE697A2464721C133F2C2451D";
    /// The `x5t` header value (base64url SHA-1 of the DER).
    pub const X5T: &str = "_eEVwenGWW_ml6JGRyHBM_LCRR0";
    /// The `x5t#S256` header value (base64url SHA-256 of the DER).
    pub const X5T_S256: &str = "-mY-fZDPtbLwNB7rpPW7tTWpY_UdEneBYJ9f7Vu4x78";
}

/// Why an assertion was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AssertionError {
    Malformed,
    UnknownKey(String),
    BadSignature,
    Audience(String),
    Subject,
    Lifetime,
}

pub(crate) fn verify(
    assertion: &str,
    client_id: &str,
    audiences: &[String],
    now: i64,
    registered: bool,
) -> Result<(), AssertionError> {
    use test_certificate as tc;
    let header = jsonwebtoken::decode_header(assertion).map_err(|_| AssertionError::Malformed)?;
    let thumb_ok = match header.alg {
        Algorithm::PS256 => {
            header.x5t_s256.as_deref() == Some(tc::X5T_S256)
                || header.x5t.as_deref() == Some(tc::X5T)
        }
        Algorithm::RS256 => {
            header.x5t.as_deref() == Some(tc::X5T)
                || header.x5t_s256.as_deref() == Some(tc::X5T_S256)
        }
        _ => return Err(AssertionError::Malformed),
    };
    if !registered || !thumb_ok {
        let used = header
            .x5t_s256
            .or(header.x5t)
            .unwrap_or_else(|| "unknown".to_owned());
        return Err(AssertionError::UnknownKey(used));
    }
    let key = DecodingKey::from_rsa_pem(tc::CERTIFICATE_PEM.as_bytes())
        .map_err(|_| AssertionError::Malformed)?;
    let mut v = Validation::new(header.alg);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.validate_aud = false;
    v.required_spec_claims = HashSet::new();
    let data = jsonwebtoken::decode::<Value>(assertion, &key, &v).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => AssertionError::BadSignature,
        _ => AssertionError::Malformed,
    })?;
    let c = data.claims;
    let aud = c["aud"].as_str().unwrap_or_default();
    if !audiences.iter().any(|a| a.eq_ignore_ascii_case(aud)) {
        return Err(AssertionError::Audience(aud.to_owned()));
    }
    if c["iss"].as_str() != Some(client_id) || c["sub"].as_str() != Some(client_id) {
        return Err(AssertionError::Subject);
    }
    let exp = c["exp"].as_i64().ok_or(AssertionError::Lifetime)?;
    let nbf = c["nbf"].as_i64().unwrap_or(exp - 600);
    const SKEW: i64 = 300;
    if now >= exp + SKEW || now + SKEW < nbf {
        return Err(AssertionError::Lifetime);
    }
    Ok(())
}

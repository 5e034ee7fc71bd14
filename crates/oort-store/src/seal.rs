//! Credentials sealed at rest: AES-256-GCM (aws-lc-rs) under a master key kept outside the
//! store, with the tenant id bound as associated data.
//!
//! A sealed value is one line of text:
//!
//! ```text
//! oort-seal:v1:<key id>:<tenant tag>:<base64 of nonce (12 bytes) || ciphertext || tag (16 bytes)>
//! ```
//!
//! - the *key id* is the first 8 bytes of SHA-256 of the master key, in hex: a value sealed under
//!   another key is reported as such ([`SealError::WrongKey`]) before any decryption is tried;
//! - the *tenant tag* is the first 8 bytes of SHA-256 of the tenant id (domain-separated), in hex:
//!   a value moved to another tenant's row is reported as such ([`SealError::OtherTenant`]);
//! - the associated data is the header and the full tenant id, so changing either (or any byte
//!   of the ciphertext) makes the value fail to open ([`SealError::Tampered`]).
//!
//! Nonces are 96 random bits from aws-lc-rs's system random generator, fresh for every value:
//! with random nonces a key should seal fewer than 2^32 values, far above what a registry
//! re-seals in a key's life (`oort tenants rekey` moves everything to a new key).
//!
//! ```
//! use oort_store::seal::{seal, unseal, MasterKey, SealError};
//! use secrecy::ExposeSecret;
//!
//! let key = MasterKey::from_bytes([7; 32]);
//! let sealed = seal(&key, "contoso", b"client secret").unwrap();
//! assert!(sealed.starts_with("oort-seal:v1:"));
//! assert_eq!(unseal(&key, "contoso", &sealed).unwrap().expose_secret(), b"client secret");
//! assert!(matches!(unseal(&key, "fabrikam", &sealed), Err(SealError::OtherTenant)));
//! ```

use std::fmt;

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::digest::{digest, SHA256};
use base64::Engine as _;
use secrecy::{ExposeSecret, SecretBox};

/// Bytes that are a secret: a credential once opened. `Debug` prints `[REDACTED]`.
pub type SecretBytes = secrecy::SecretSlice<u8>;

/// The prefix (format and version) of every sealed value.
const PREFIX: &str = "oort-seal:v1:";
/// Length of the key id and of the tenant tag, in bytes (hex is twice as long).
const ID_LEN: usize = 8;

/// What went wrong sealing or opening a value, or reading a master key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// The value was sealed under another master key.
    #[error("the master key is not the one these credentials were sealed with (sealed under key {sealed_with}, the key given is {given}): set OORT_MASTER_KEY_FILE to the key they were sealed with")]
    WrongKey {
        /// Key id in the sealed value.
        sealed_with: String,
        /// Key id of the key given.
        given: String,
    },
    /// The value belongs to another tenant's row (it was moved).
    #[error("the sealed credential belongs to another tenant (it was moved from another tenant's row): add the tenant's credential again")]
    OtherTenant,
    /// The value does not open under its key and tenant: a byte was changed.
    #[error("the sealed credential was changed since it was sealed (it does not authenticate): restore the store from a backup or add the tenant's credential again")]
    Tampered,
    /// The text is not a sealed value of a version this oort knows.
    #[error("the stored credential is not a sealed value this oort can read ({0})")]
    Malformed(&'static str),
    /// A master key that cannot be used.
    #[error("the master key cannot be used: {0}; it must be 32 bytes: raw, 64 hex digits or base64 (generate one with `head -c 32 /dev/urandom > key`)")]
    BadKey(&'static str),
    /// The system's random generator failed (no nonce could be drawn).
    #[error("the system random generator failed: no credential was sealed")]
    Random,
}

/// The 256-bit key credentials are sealed under. `Debug` shows only its id.
pub struct MasterKey {
    key: SecretBox<[u8; 32]>,
    id: String,
}

impl MasterKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let id = hex(&digest(&SHA256, &bytes).as_ref()[..ID_LEN]);
        MasterKey {
            key: SecretBox::new(Box::new(bytes)),
            id,
        }
    }

    /// A key from the contents of a key file: 32 raw bytes, or (surrounding whitespace ignored)
    /// 64 hex digits or the base64 of 32 bytes.
    pub fn from_file_contents(contents: &[u8]) -> Result<Self, SealError> {
        if let Ok(raw) = <[u8; 32]>::try_from(contents) {
            return Ok(Self::from_bytes(raw));
        }
        let text = std::str::from_utf8(contents)
            .map_err(|_| SealError::BadKey("the file is neither 32 raw bytes nor text"))?
            .trim();
        let decoded = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            unhex(text).ok_or(SealError::BadKey("invalid hex"))?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(text))
                .map_err(|_| {
                    SealError::BadKey("it is neither 32 raw bytes, 64 hex digits nor base64")
                })?
        };
        let raw = <[u8; 32]>::try_from(decoded.as_slice())
            .map_err(|_| SealError::BadKey("it does not decode to 32 bytes"))?;
        Ok(Self::from_bytes(raw))
    }

    /// The key's id: the first 8 bytes of its SHA-256, in hex (not secret: it names the key).
    pub fn id(&self) -> &str {
        &self.id
    }

    fn aead(&self) -> LessSafeKey {
        // A 32-byte key is always a valid AES-256 key: `new` fails only on a wrong length.
        let unbound = UnboundKey::new(&AES_256_GCM, self.key.expose_secret())
            .unwrap_or_else(|_| unreachable!("32 bytes are an AES-256 key"));
        LessSafeKey::new(unbound)
    }
}

impl Clone for MasterKey {
    fn clone(&self) -> Self {
        MasterKey::from_bytes(*self.key.expose_secret())
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("id", &self.id)
            .field("key", &"[REDACTED]")
            .finish()
    }
}

/// The tenant tag of the header: which tenant a value belongs to, without the id in clear.
fn tenant_tag(tenant_id: &str) -> String {
    let mut input = b"oort-seal tenant\0".to_vec();
    input.extend_from_slice(tenant_id.as_bytes());
    hex(&digest(&SHA256, &input).as_ref()[..ID_LEN])
}

/// The associated data: the header and the whole tenant id.
fn associated_data(header: &str, tenant_id: &str) -> Vec<u8> {
    let mut aad = header.as_bytes().to_vec();
    aad.push(0);
    aad.extend_from_slice(tenant_id.as_bytes());
    aad
}

/// Seals `plaintext` for `tenant_id` under `key`: a line of text safe to store.
pub fn seal(key: &MasterKey, tenant_id: &str, plaintext: &[u8]) -> Result<String, SealError> {
    let mut nonce = [0u8; NONCE_LEN];
    aws_lc_rs::rand::fill(&mut nonce).map_err(|_| SealError::Random)?;
    let header = format!("{PREFIX}{}:{}:", key.id, tenant_tag(tenant_id));
    let mut in_out = plaintext.to_vec();
    key.aead()
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(associated_data(&header, tenant_id)),
            &mut in_out,
        )
        .map_err(|_| SealError::Random)?;
    let mut body = nonce.to_vec();
    body.extend_from_slice(&in_out);
    zeroize_vec(in_out);
    Ok(format!(
        "{header}{}",
        base64::engine::general_purpose::STANDARD.encode(body)
    ))
}

/// Opens a value sealed by [`seal`] for `tenant_id`: the wrong key, another tenant's value and
/// a changed value are each their own error.
pub fn unseal(key: &MasterKey, tenant_id: &str, sealed: &str) -> Result<SecretBytes, SealError> {
    let rest = sealed
        .strip_prefix(PREFIX)
        .ok_or(SealError::Malformed("no oort-seal:v1 prefix"))?;
    let mut parts = rest.splitn(3, ':');
    let (Some(key_id), Some(tag), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(SealError::Malformed("missing fields"));
    };
    if key_id != key.id {
        return Err(SealError::WrongKey {
            sealed_with: key_id.to_owned(),
            given: key.id.clone(),
        });
    }
    if tag != tenant_tag(tenant_id) {
        return Err(SealError::OtherTenant);
    }
    let header = format!("{PREFIX}{key_id}:{tag}:");
    let body = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| SealError::Tampered)?;
    if body.len() < NONCE_LEN + AES_256_GCM.tag_len() {
        return Err(SealError::Tampered);
    }
    let (nonce, ciphertext) = body.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Tampered)?;
    let mut in_out = ciphertext.to_vec();
    let opened = key
        .aead()
        .open_in_place(
            nonce,
            Aad::from(associated_data(&header, tenant_id)),
            &mut in_out,
        )
        .map_err(|_| SealError::Tampered)?
        .to_vec();
    zeroize_vec(in_out);
    Ok(SecretBytes::from(opened))
}

/// Overwrites a buffer that held plaintext before it is freed.
fn zeroize_vec(mut v: Vec<u8>) {
    use zeroize::Zeroize;
    v.zeroize();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> MasterKey {
        MasterKey::from_bytes([b; 32])
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_and_tenant() {
        let sealed = seal(&key(1), "t1", b"s3cr3t value").unwrap();
        assert!(!sealed.contains("s3cr3t"));
        let opened = unseal(&key(1), "t1", &sealed).unwrap();
        assert_eq!(opened.expose_secret(), b"s3cr3t value");
        // Fresh nonces: sealing twice never gives the same text.
        assert_ne!(sealed, seal(&key(1), "t1", b"s3cr3t value").unwrap());
    }

    #[test]
    fn the_wrong_master_key_is_its_own_error_naming_both_keys() {
        let sealed = seal(&key(1), "t1", b"x").unwrap();
        let err = unseal(&key(2), "t1", &sealed).unwrap_err();
        assert_eq!(
            err,
            SealError::WrongKey {
                sealed_with: key(1).id().to_owned(),
                given: key(2).id().to_owned()
            }
        );
        assert!(err
            .to_string()
            .contains("the master key is not the one these credentials were sealed with"));
        assert!(err.to_string().contains("OORT_MASTER_KEY_FILE"));
    }

    #[test]
    fn a_value_moved_to_another_tenant_does_not_open() {
        let sealed = seal(&key(1), "t1", b"x").unwrap();
        assert_eq!(
            unseal(&key(1), "t2", &sealed).unwrap_err(),
            SealError::OtherTenant
        );
        // Rewriting the tenant tag does not help: the tenant id is associated data.
        let forged = sealed.replace(&tenant_tag("t1"), &tenant_tag("t2"));
        assert_eq!(
            unseal(&key(1), "t2", &forged).unwrap_err(),
            SealError::Tampered
        );
    }

    #[test]
    fn any_changed_byte_of_the_ciphertext_is_tampering() {
        let sealed = seal(&key(1), "t1", b"a longer secret").unwrap();
        let (header, body) = sealed.rsplit_once(':').unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            let text = format!(
                "{header}:{}",
                base64::engine::general_purpose::STANDARD.encode(changed)
            );
            assert_eq!(
                unseal(&key(1), "t1", &text).unwrap_err(),
                SealError::Tampered,
                "byte {i}"
            );
        }
        assert!(matches!(
            unseal(&key(1), "t1", "plain text").unwrap_err(),
            SealError::Malformed(_)
        ));
    }

    #[test]
    fn key_files_hold_raw_bytes_hex_or_base64_and_nothing_else() {
        let raw = [0xabu8; 32];
        let from_raw = MasterKey::from_file_contents(&raw).unwrap();
        let from_hex =
            MasterKey::from_file_contents(format!("{}\n", hex(&raw)).as_bytes()).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(raw);
        let from_b64 = MasterKey::from_file_contents(b64.as_bytes()).unwrap();
        assert_eq!(from_raw.id(), from_hex.id());
        assert_eq!(from_raw.id(), from_b64.id());
        for bad in [&b"short"[..], &[0u8; 31][..], &[0u8; 33][..], b"zz"] {
            assert!(matches!(
                MasterKey::from_file_contents(bad),
                Err(SealError::BadKey(_))
            ));
        }
        let debug = format!("{from_raw:?}");
        assert!(
            debug.contains("REDACTED") && !debug.contains("171"),
            "{debug}"
        );
    }
}

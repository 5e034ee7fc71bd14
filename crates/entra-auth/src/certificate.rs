//! Client credentials with a certificate: loading the key pair (PEM, PKCS#12) and signing the
//! client assertion.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use aws_lc_rs::signature::{KeyPair as _, RsaKeyPair, RSA_PKCS1_SHA256, RSA_PSS_SHA256};
use aws_lc_rs::{digest, rand};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rustls_pki_types::pem::{self, PemObject};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::endpoint::{ClientAuth, EndpointConfig, TokenEndpoint};
use crate::{
    AccessToken, AuthError, Clock, Cloud, CredentialIdentity, RetryPolicy, TokenCredential,
};

/// How long a client assertion is valid (MSAL's default; the documentation asks for 5–10 min).
const ASSERTION_LIFETIME: time::Duration = time::Duration::minutes(10);

/// The signature and thumbprint header of client assertions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionProfile {
    /// `alg` PS256 (RSASSA-PSS, SHA-256) with the `x5t#S256` header (SHA-256 thumbprint): the
    /// profile of the current Microsoft documentation. The default.
    #[default]
    Ps256,
    /// `alg` RS256 (RSASSA-PKCS1-v1_5, SHA-256) with the `x5t` header (SHA-1 thumbprint): the
    /// older profile, still accepted, for authorities that do not take PS256 (e.g. AD FS).
    Rs256,
}

/// A certificate and its RSA private key, for signing client assertions.
///
/// The private key is parsed once into an aws-lc key object (freed with its memory wiped); the
/// buffers that carried it while loading are wiped too. `Debug` shows the thumbprints, never
/// the key.
///
/// ```
/// # fn main() -> Result<(), entra_auth::AuthError> {
/// use entra_auth::ClientCertificate;
///
/// let cert = include_bytes!("../tests/fixtures/test-only-cert.pem");
/// let key = include_bytes!("../tests/fixtures/test-only-key.pkcs8.pem");
/// let certificate = ClientCertificate::from_pem(cert, key)?;
/// // What Entra ID > App registrations > Certificates & secrets shows as the thumbprint:
/// assert_eq!(certificate.thumbprint_sha1_hex().len(), 40);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientCertificate {
    key: Arc<RsaKeyPair>,
    chain: Vec<CertificateDer<'static>>,
    sha1: [u8; 20],
    sha256: [u8; 32],
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl ClientCertificate {
    /// From PEM text: the certificate (`CERTIFICATE` blocks: the leaf first, then any
    /// intermediates) and its private key (`PRIVATE KEY`, PKCS#8; `RSA PRIVATE KEY`, PKCS#1, is
    /// accepted too). Both may be the same buffer holding both blocks. Encrypted PEM keys are not
    /// supported: use a password-protected PFX.
    pub fn from_pem(certificate_pem: &[u8], private_key_pem: &[u8]) -> Result<Self, AuthError> {
        let chain = CertificateDer::pem_slice_iter(certificate_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                AuthError::certificate(format!("the certificate PEM is malformed ({e})"))
            })?;
        if chain.is_empty() {
            return Err(AuthError::certificate(
                "no CERTIFICATE block was found in the certificate PEM",
            ));
        }
        let key = match PrivateKeyDer::from_pem_slice(private_key_pem) {
            Ok(key) => Zeroizing::new(key),
            Err(pem::Error::NoItemsFound)
                if contains(private_key_pem, b"ENCRYPTED PRIVATE KEY") =>
            {
                return Err(AuthError::certificate(
                    "the PEM private key is encrypted, which is not supported: decrypt it or \
                     use a password-protected PFX",
                ))
            }
            Err(pem::Error::NoItemsFound) => {
                return Err(AuthError::certificate(
                    "no PRIVATE KEY block was found in the private key PEM",
                ))
            }
            // The error's text names the problem, never the key's bytes.
            Err(e) => {
                return Err(AuthError::certificate(format!(
                    "the private key PEM is malformed ({e})"
                )))
            }
        };
        let key_pair = match &*key {
            PrivateKeyDer::Pkcs8(der) => RsaKeyPair::from_pkcs8(der.secret_pkcs8_der()),
            PrivateKeyDer::Pkcs1(der) => RsaKeyPair::from_der(der.secret_pkcs1_der()),
            _ => return Err(not_rsa()),
        }
        .map_err(|rejected| key_rejected(&rejected))?;
        Self::new(key_pair, chain)
    }

    /// From a PKCS#12 / PFX file (as exported by Windows, Azure Key Vault or `openssl pkcs12`)
    /// holding the private key and its certificate. `None` opens a PFX made without a password
    /// (an empty one).
    pub fn from_pkcs12(pfx: &[u8], password: Option<&SecretString>) -> Result<Self, AuthError> {
        let password = password.map(ExposeSecret::expose_secret).unwrap_or("");
        let store = p12_keystore::KeyStore::from_pkcs12(
            pfx,
            password,
            p12_keystore::Pkcs12ImportPolicy::Strict,
        )
        .map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) | p12_keystore::error::Error::UnpadError => {
                AuthError::certificate(
                    "the PFX could not be opened: wrong password, or a damaged file",
                )
            }
            other => AuthError::certificate(format!("the PFX could not be read ({other})")),
        })?;
        let Some((_alias, chain)) = store.private_key_chain() else {
            return Err(AuthError::certificate(
                "the PFX holds no private key with its certificate",
            ));
        };
        let key_pair = RsaKeyPair::from_pkcs8(chain.key().as_der())
            .map_err(|rejected| key_rejected(&rejected))?;
        let certs = chain
            .certs()
            .iter()
            .map(|c| CertificateDer::from(c.as_der().to_vec()))
            .collect::<Vec<_>>();
        if certs.is_empty() {
            return Err(AuthError::certificate(
                "the PFX holds a private key without its certificate",
            ));
        }
        Self::new(key_pair, certs)
    }

    /// [`from_pem`](Self::from_pem) with the certificate and the key read from files (they may be
    /// the same file).
    pub fn from_pem_files(
        certificate_path: impl AsRef<Path>,
        private_key_path: impl AsRef<Path>,
    ) -> Result<Self, AuthError> {
        let certificate = read_file(certificate_path.as_ref())?;
        let key = read_file(private_key_path.as_ref())?;
        Self::from_pem(&certificate, &key)
    }

    /// [`from_pkcs12`](Self::from_pkcs12) with the PFX read from a file.
    pub fn from_pkcs12_file(
        path: impl AsRef<Path>,
        password: Option<&SecretString>,
    ) -> Result<Self, AuthError> {
        let pfx = read_file(path.as_ref())?;
        Self::from_pkcs12(&pfx, password)
    }

    fn new(key: RsaKeyPair, chain: Vec<CertificateDer<'static>>) -> Result<Self, AuthError> {
        let leaf = chain.first().ok_or_else(|| {
            AuthError::certificate("no certificate was given with the private key")
        })?;
        // The certificate's SubjectPublicKeyInfo holds the key's RSAPublicKey DER verbatim.
        if !contains(leaf, key.public_key().as_ref()) {
            return Err(AuthError::certificate(
                "the private key does not belong to the certificate",
            ));
        }
        let sha1 = digest_array(&digest::SHA1_FOR_LEGACY_USE_ONLY, leaf);
        let sha256 = digest_array(&digest::SHA256, leaf);
        let (_, parsed) = x509_parser::parse_x509_certificate(leaf).map_err(|e| {
            AuthError::certificate(format!("the certificate is not valid X.509 ({e})"))
        })?;
        let validity = parsed.validity();
        let (not_before, not_after) = (
            validity.not_before.to_datetime(),
            validity.not_after.to_datetime(),
        );
        Ok(ClientCertificate {
            key: Arc::new(key),
            chain,
            sha1,
            sha256,
            not_before,
            not_after,
        })
    }

    /// When the certificate becomes valid (`notBefore`).
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// When the certificate expires (`notAfter`): Entra refuses its assertions from then on, so
    /// `oort status` shows it like a client secret's expiry.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The certificate's SHA-1 thumbprint in upper-case hex, as the Entra portal shows it.
    pub fn thumbprint_sha1_hex(&self) -> String {
        hex_upper(&self.sha1)
    }

    /// The certificate's SHA-256 thumbprint in upper-case hex.
    pub fn thumbprint_sha256_hex(&self) -> String {
        hex_upper(&self.sha256)
    }

    /// The leaf certificate, DER (the file to upload to the app registration, once PEM-wrapped).
    pub fn certificate_der(&self) -> &[u8] {
        self.chain.first().map(|c| c.as_ref()).unwrap_or(&[])
    }

    /// A signed client assertion: header `alg`, `typ` `JWT`, the thumbprint of the profile (and
    /// `x5c` when asked); claims `aud` = the token endpoint, `iss` = `sub` = the client id, a new
    /// UUID v4 `jti`, `nbf` = `iat` = `now`, `exp` = `now` + 10 minutes.
    pub(crate) fn assertion(
        &self,
        token_endpoint: &str,
        client_id: &str,
        now: OffsetDateTime,
        profile: AssertionProfile,
        send_chain: bool,
    ) -> Result<SecretString, AuthError> {
        let x5c = send_chain.then(|| {
            self.chain
                .iter()
                .map(|c| STANDARD.encode(c.as_ref()))
                .collect::<Vec<_>>()
        });
        let header = match profile {
            AssertionProfile::Ps256 => Header {
                alg: "PS256",
                typ: "JWT",
                x5t: None,
                x5t_s256: Some(URL_SAFE_NO_PAD.encode(self.sha256)),
                x5c,
            },
            AssertionProfile::Rs256 => Header {
                alg: "RS256",
                typ: "JWT",
                x5t: Some(URL_SAFE_NO_PAD.encode(self.sha1)),
                x5t_s256: None,
                x5c,
            },
        };
        let issued = now.unix_timestamp();
        let claims = Claims {
            aud: token_endpoint,
            iss: client_id,
            sub: client_id,
            jti: uuid::Uuid::new_v4().to_string(),
            nbf: issued,
            iat: issued,
            exp: (now + ASSERTION_LIFETIME).unix_timestamp(),
        };
        let mut jwt = Zeroizing::new(format!(
            "{}.{}",
            encode_part(&header)?,
            encode_part(&claims)?
        ));
        let padding: &'static dyn aws_lc_rs::signature::RsaEncoding = match profile {
            AssertionProfile::Ps256 => &RSA_PSS_SHA256,
            AssertionProfile::Rs256 => &RSA_PKCS1_SHA256,
        };
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(
                padding,
                &rand::SystemRandom::new(),
                jwt.as_bytes(),
                &mut signature,
            )
            .map_err(|_| AuthError::certificate("the private key could not sign the assertion"))?;
        jwt.push('.');
        jwt.push_str(&URL_SAFE_NO_PAD.encode(&signature));
        Ok(SecretString::from(std::mem::take(&mut *jwt)))
    }
}

impl fmt::Debug for ClientCertificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificate")
            .field("thumbprint_sha1", &self.thumbprint_sha1_hex())
            .field("thumbprint_sha256", &self.thumbprint_sha256_hex())
            .field("chain_len", &self.chain.len())
            .field("private_key", &"[REDACTED]")
            .finish()
    }
}

/// One base64url JSON part of the JWT.
fn encode_part<T: Serialize>(value: &T) -> Result<String, AuthError> {
    let json = serde_json::to_vec(value)
        .map_err(|e| AuthError::certificate(format!("assertion encoding failed ({e})")))?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

#[derive(Serialize)]
struct Header {
    alg: &'static str,
    typ: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5t: Option<String>,
    #[serde(rename = "x5t#S256", skip_serializing_if = "Option::is_none")]
    x5t_s256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x5c: Option<Vec<String>>,
}

#[derive(Serialize)]
struct Claims<'a> {
    aud: &'a str,
    iss: &'a str,
    sub: &'a str,
    jti: String,
    nbf: i64,
    iat: i64,
    exp: i64,
}

/// Reads key material into memory that is wiped when dropped.
fn read_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, AuthError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| AuthError::certificate(format!("{} could not be read ({e})", path.display())))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn digest_array<const N: usize>(algorithm: &'static digest::Algorithm, data: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    let d = digest::digest(algorithm, data);
    out.copy_from_slice(d.as_ref());
    out
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn not_rsa() -> AuthError {
    AuthError::certificate(
        "the private key is not an RSA key: Entra ID client assertions are signed with RSA",
    )
}

fn key_rejected(rejected: &aws_lc_rs::error::KeyRejected) -> AuthError {
    match rejected.description_() {
        "WrongAlgorithm" => not_rsa(),
        reason => AuthError::certificate(format!(
            "the private key was rejected ({reason}): give an unencrypted RSA key of 2048 bits or \
             more"
        )),
    }
}

/// An app registration signing in with a certificate: every token request carries a fresh
/// client assertion (a JWT signed with the certificate's private key).
///
/// By default the assertion is signed PS256 with the `x5t#S256` header (SHA-256 thumbprint), as
/// Microsoft documents today; [`AssertionProfile::Rs256`] selects the older RS256 + `x5t`
/// (SHA-1) profile. Wrap the credential in a [`TokenCache`](crate::TokenCache) to reuse tokens.
/// `Debug` shows the tenant, the client id and the authority only.
///
/// ```
/// # fn main() -> Result<(), entra_auth::AuthError> {
/// use entra_auth::{ClientCertificate, ClientCertificateCredential};
///
/// let pfx = include_bytes!("../tests/fixtures/test-only-empty-password.pfx");
/// let credential = ClientCertificateCredential::builder(
///     "contoso.onmicrosoft.com",
///     "00000000-0000-0000-0000-000000000001",
///     ClientCertificate::from_pkcs12(pfx, None)?,
/// )
/// .build()?;
/// assert_eq!(credential.client_id(), "00000000-0000-0000-0000-000000000001");
/// # Ok(()) }
/// ```
pub struct ClientCertificateCredential {
    endpoint: TokenEndpoint,
    certificate: ClientCertificate,
    profile: AssertionProfile,
    send_chain: bool,
}

impl ClientCertificateCredential {
    /// A credential for the global cloud with the default settings.
    pub fn new(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
    ) -> Result<Self, AuthError> {
        Self::builder(tenant_id, client_id, certificate).build()
    }

    /// A builder, to choose the cloud, clock, HTTP client, retry policy and assertion profile.
    pub fn builder(
        tenant_id: impl Into<String>,
        client_id: impl Into<String>,
        certificate: ClientCertificate,
    ) -> ClientCertificateCredentialBuilder {
        ClientCertificateCredentialBuilder {
            tenant_id: tenant_id.into(),
            client_id: client_id.into(),
            certificate,
            profile: AssertionProfile::default(),
            send_chain: false,
            config: EndpointConfig::default(),
        }
    }

    /// The tenant id or domain.
    pub fn tenant_id(&self) -> &str {
        self.endpoint.tenant_id()
    }

    /// The application (client) id.
    pub fn client_id(&self) -> &str {
        self.endpoint.client_id()
    }

    /// The token endpoint this credential posts to (also the assertions' `aud`).
    pub fn token_endpoint(&self) -> &url::Url {
        self.endpoint.url()
    }

    /// The certificate.
    pub fn certificate(&self) -> &ClientCertificate {
        &self.certificate
    }

    /// A freshly signed client assertion for this credential's token endpoint (for callers
    /// that send the request themselves).
    pub fn client_assertion(&self) -> Result<SecretString, AuthError> {
        self.certificate.assertion(
            self.endpoint.url().as_str(),
            self.endpoint.client_id(),
            self.endpoint.clock().now(),
            self.profile,
            self.send_chain,
        )
    }
}

#[async_trait]
impl TokenCredential for ClientCertificateCredential {
    async fn get_token(&self, scope: &str) -> Result<AccessToken, AuthError> {
        self.endpoint
            .request_token(scope, || self.client_assertion().map(ClientAuth::Assertion))
            .await
    }

    fn identity(&self) -> Option<CredentialIdentity> {
        Some(self.endpoint.identity())
    }
}

impl fmt::Debug for ClientCertificateCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificateCredential")
            .field("tenant_id", &self.endpoint.tenant_id())
            .field("client_id", &self.endpoint.client_id())
            .field("authority", &self.endpoint.authority().as_str())
            .finish_non_exhaustive()
    }
}

/// Builds a [`ClientCertificateCredential`].
pub struct ClientCertificateCredentialBuilder {
    tenant_id: String,
    client_id: String,
    certificate: ClientCertificate,
    profile: AssertionProfile,
    send_chain: bool,
    config: EndpointConfig,
}

impl ClientCertificateCredentialBuilder {
    /// The cloud. Default [`Cloud::Global`].
    pub fn cloud(mut self, cloud: Cloud) -> Self {
        self.config.cloud = cloud;
        self
    }

    /// The clock that dates assertions and tokens. Default [`SystemClock`](crate::SystemClock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.config.clock = clock;
        self
    }

    /// The proxy and the extra certificate authorities of the default HTTP client. Default
    /// [`NetworkSettings::default`](crate::NetworkSettings::default): the system's trust store and the environment's proxies
    /// (`HTTPS_PROXY`, `NO_PROXY`). Not used when [`http_client`](Self::http_client) is given.
    pub fn network(mut self, network: crate::NetworkSettings) -> Self {
        self.config.network = network;
        self
    }

    /// The HTTP client. Default: a client that follows no redirect, with a 10 s connect timeout
    /// and a 30 s request timeout.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.config.http = Some(client);
        self
    }

    /// How the token endpoint is retried. Default [`RetryPolicy::interactive`] (4 retries, within
    /// a minute): a token is wanted by a request that is waiting for it.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.config.retry = policy;
        self
    }

    /// The assertion's signature and thumbprint header. Default [`AssertionProfile::Ps256`].
    pub fn assertion_profile(mut self, profile: AssertionProfile) -> Self {
        self.profile = profile;
        self
    }

    /// Whether assertions carry the certificate chain in an `x5c` header (needed for
    /// subject-name/issuer authentication, where the app trusts a certificate's subject instead
    /// of one thumbprint). Default `false`.
    pub fn send_certificate_chain(mut self, send: bool) -> Self {
        self.send_chain = send;
        self
    }

    /// Checks the settings: a tenant id or domain (not `common`/`consumers`), a client id, and a
    /// cloud with secure URLs.
    pub fn build(self) -> Result<ClientCertificateCredential, AuthError> {
        let endpoint = TokenEndpoint::new(self.tenant_id, self.client_id, self.config)?;
        Ok(ClientCertificateCredential {
            endpoint,
            certificate: self.certificate,
            profile: self.profile,
            send_chain: self.send_chain,
        })
    }
}

impl fmt::Debug for ClientCertificateCredentialBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCertificateCredentialBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("authority", &self.config.cloud.authority_host().as_str())
            .finish_non_exhaustive()
    }
}

//! How the workspace's HTTP clients reach the network: the trust roots and the proxy.
//!
//! Every `reqwest` client of the workspace (the token endpoint here, Graph in `graph-client`,
//! the Teams and webhook notifications in `oort-checks`) starts from [`NetworkSettings::client_builder`],
//! so that a proxy or a custom certificate authority holds for all of them alike.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::AuthError;

/// Where HTTPS requests go through, and which certificate authorities are trusted besides the
/// system's.
///
/// The default is what `reqwest` does by itself: the system's trust store (through
/// `rustls-platform-verifier`) and the proxies of the environment (`HTTPS_PROXY` for `https`
/// URLs, `HTTP_PROXY` for `http` ones, `ALL_PROXY`, and `NO_PROXY` for the hosts that bypass
/// them; lower-case names too). A corporate network that inspects TLS adds its certificate
/// authority with [`ca_file`](Self::ca_file) (the `oort` command reads it from `OORT_CA_FILE`).
///
/// ```
/// use entra_auth::NetworkSettings;
///
/// let settings = NetworkSettings::default().https_proxy("http://proxy.contoso.com:3128", Some("localhost,.internal"))?;
/// let client = settings.client_builder().build()?;
/// # drop(client);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct NetworkSettings {
    roots: Arc<Vec<CertificateDer<'static>>>,
    ca_file: Option<PathBuf>,
    proxy: Proxy,
}

/// Which proxy HTTPS requests take.
#[derive(Clone, Default)]
enum Proxy {
    /// The environment's (`HTTPS_PROXY`, `NO_PROXY`, ...), read when a client is built.
    #[default]
    Environment,
    /// None at all, whatever the environment says.
    Direct,
    /// This proxy for `https` URLs (it may carry a user and password), except the hosts listed.
    Https {
        proxy: Box<reqwest::Proxy>,
        no_proxy: Option<String>,
    },
}

impl fmt::Debug for NetworkSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proxy = match &self.proxy {
            Proxy::Environment => "environment".to_owned(),
            Proxy::Direct => "none".to_owned(),
            // A proxy URL may hold a password: never printed.
            Proxy::Https { no_proxy, .. } => {
                format!("https: [REDACTED], no_proxy: {no_proxy:?}")
            }
        };
        f.debug_struct("NetworkSettings")
            .field("extra_roots", &self.roots.len())
            .field("ca_file", &self.ca_file)
            .field("proxy", &proxy)
            .finish()
    }
}

impl NetworkSettings {
    /// The system's trust store and the environment's proxies (the default).
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts the certificate authorities of a PEM file (one or more `CERTIFICATE` blocks) as
    /// well as the system's: the CA of a TLS-inspecting proxy, or of a private PKI.
    ///
    /// Fails, naming the file, when it cannot be read or holds no certificate.
    pub fn ca_file(mut self, path: impl AsRef<Path>) -> Result<Self, AuthError> {
        let path = path.as_ref();
        let pem = std::fs::read(path).map_err(|e| {
            AuthError::config(format!(
                "cannot read the CA file {} ({e}): check OORT_CA_FILE",
                path.display()
            ))
        })?;
        let certs = parse_pem(&pem).map_err(|reason| {
            AuthError::config(format!(
                "the CA file {} {reason}: give PEM certificates (-----BEGIN CERTIFICATE-----)",
                path.display()
            ))
        })?;
        Arc::make_mut(&mut self.roots).extend(certs);
        self.ca_file = Some(path.to_path_buf());
        Ok(self)
    }

    /// Trusts the certificate authorities of PEM text as well as the system's (what
    /// [`ca_file`](Self::ca_file) does with a file's content).
    pub fn ca_pem(mut self, pem: &[u8]) -> Result<Self, AuthError> {
        let certs = parse_pem(pem)
            .map_err(|reason| AuthError::config(format!("the CA certificates {reason}")))?;
        Arc::make_mut(&mut self.roots).extend(certs);
        Ok(self)
    }

    /// Sends `https` requests through the proxy at `url` (`http://[user:password@]host:port`),
    /// except to the hosts of `no_proxy` (comma-separated, as `NO_PROXY`: names, `.suffix`es, IP
    /// addresses and CIDR ranges). Replaces the environment's proxies.
    pub fn https_proxy(mut self, url: &str, no_proxy: Option<&str>) -> Result<Self, AuthError> {
        // The URL is never quoted: it may hold a password.
        let proxy = reqwest::Proxy::https(url)
            .map_err(|_| AuthError::config("the proxy URL is not a valid URL"))?
            .no_proxy(no_proxy.and_then(reqwest::NoProxy::from_string));
        self.proxy = Proxy::Https {
            proxy: Box::new(proxy),
            no_proxy: no_proxy.map(str::to_owned),
        };
        Ok(self)
    }

    /// Uses no proxy at all, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.proxy = Proxy::Direct;
        self
    }

    /// The certificate authorities trusted besides the system's (DER), e.g. for a database
    /// connection that should trust the same ones.
    pub fn extra_roots(&self) -> &[CertificateDer<'static>] {
        &self.roots
    }

    /// The CA file given to [`ca_file`](Self::ca_file), if any.
    pub fn ca_file_path(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// A `reqwest` client builder with these roots and this proxy: the one place the workspace's
    /// HTTP clients start from. Callers add their own redirect policy and timeouts.
    pub fn client_builder(&self) -> reqwest::ClientBuilder {
        let mut builder = reqwest::Client::builder();
        let extra: Vec<reqwest::Certificate> = self
            .roots
            .iter()
            // Invariant: every root was parsed from PEM into DER above; a DER reqwest cannot
            // read is skipped (rustls checks it again when the client is built).
            .filter_map(|der| reqwest::Certificate::from_der(der.as_ref()).ok())
            .collect();
        if !extra.is_empty() {
            builder = builder.tls_certs_merge(extra);
        }
        match &self.proxy {
            Proxy::Environment => builder,
            Proxy::Direct => builder.no_proxy(),
            Proxy::Https { proxy, .. } => builder.proxy(proxy.as_ref().clone()),
        }
    }
}

/// The certificates of PEM text, or why there are none.
fn parse_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("is not valid PEM ({e})"))?;
    if certs.is_empty() {
        return Err("holds no certificate".to_owned());
    }
    Ok(certs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_password_never_shows_in_debug() {
        let s = NetworkSettings::new()
            .https_proxy("http://user:hunter2@proxy.example:3128", None)
            .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
    }

    #[test]
    fn a_file_without_certificates_is_refused_naming_it() {
        let dir = std::env::temp_dir().join(format!("entra-auth-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let err = NetworkSettings::new()
            .ca_file(&path)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("empty.pem") && err.contains("no certificate"),
            "{err}"
        );
        let err = NetworkSettings::new()
            .ca_file(dir.join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("missing.pem") && err.contains("OORT_CA_FILE"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

//! Wiring: the credential, the Graph client and the store, from the settings.

use std::sync::Arc;

use entra_auth::{
    ClientCertificate, ClientCertificateCredential, ClientSecretCredential, Clock, Cloud,
    NetworkSettings, RetryPolicy, SystemClock, TokenCache, TokenCredential,
};
use graph_client::GraphClient;
use oort_store::prelude::*;
use oort_store::{PostgresOptions, PostgresStore, SqliteStore};
use secrecy::SecretString;

use crate::config::{Secret, Settings};
use crate::error::CliError;

/// A credential and a Graph client for one tenant.
pub(crate) struct Connection {
    pub(crate) credential: Arc<dyn TokenCredential>,
    pub(crate) client: GraphClient,
    pub(crate) scope: String,
    pub(crate) tenant_id: String,
}

fn required(value: &Option<String>, what: &str, env: &str, key: &str) -> Result<String, CliError> {
    value.clone().ok_or_else(|| {
        CliError::config(format!(
            "no {what}: set {env} or {key} in oort.toml (oort init writes a template; docs/entra-setup.md says where to find it)"
        ))
    })
}

/// The tenant id of the settings, for the commands that read only the store.
pub(crate) fn tenant_of(settings: &Settings) -> Result<String, CliError> {
    settings.tenant_id.clone().ok_or_else(|| {
        CliError::config(
            "no tenant id: set OORT_TENANT_ID or tenant_id in oort.toml (oort init writes a template)",
        )
    })
}

/// Builds the credential (cached) and the Graph client. `background` marks collection traffic
/// low priority for Graph's throttling and keeps the generous background retry policy; without
/// it (an operator waiting: remediation, connectivity) Graph is retried by
/// [`RetryPolicy::interactive`], about a minute at most.
pub(crate) fn connect(settings: &Settings, background: bool) -> Result<Connection, CliError> {
    let tenant_id = required(
        &settings.tenant_id,
        "tenant id",
        "OORT_TENANT_ID",
        "tenant_id",
    )?;
    let client_id = required(
        &settings.client_id,
        "client id",
        "OORT_CLIENT_ID",
        "client_id",
    )?;
    let cloud: Cloud = settings.cloud.clone();
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (t, c, k, n) = (
        tenant_id.clone(),
        client_id.clone(),
        clock.clone(),
        settings.network.clone(),
    );
    let cloud_of = cloud.clone();
    let with_secret = move |secret: SecretString| -> Result<Arc<dyn TokenCredential>, CliError> {
        Ok(Arc::new(
            ClientSecretCredential::builder(t.clone(), c.clone(), secret)
                .cloud(cloud_of.clone())
                .clock(k.clone())
                .network(n.clone())
                .build()?,
        ))
    };
    let (t, c, k, n) = (
        tenant_id.clone(),
        client_id.clone(),
        clock.clone(),
        settings.network.clone(),
    );
    let cloud_of = cloud.clone();
    let with_certificate =
        move |certificate: ClientCertificate| -> Result<Arc<dyn TokenCredential>, CliError> {
            Ok(Arc::new(
                ClientCertificateCredential::builder(t.clone(), c.clone(), certificate)
                    .cloud(cloud_of.clone())
                    .clock(k.clone())
                    .network(n.clone())
                    .build()?,
            ))
        };
    // A secret or certificate read from a file is read again when the file changes, so a
    // credential rotated on disk is used by the next token request of a long-running
    // `collect --watch` (each run asks for a new token: see `Collector::granted_from`).
    let inner: Arc<dyn TokenCredential> = match (&settings.secret, &settings.secret_file) {
        (None, _) => {
            return Err(CliError::config(
                "no credential: set OORT_CLIENT_SECRET or OORT_CLIENT_SECRET_FILE (or OORT_CERTIFICATE) in the environment, or client_secret_file / certificate in oort.toml",
            ))
        }
        (Some(Secret::ClientSecret(_)), Some(file)) => {
            let path = file.clone();
            Arc::new(ReloadingCredential::new(file.clone(), move || {
                with_secret(crate::config::read_secret_file(&path)?)
            })?)
        }
        (Some(Secret::ClientSecret(secret)), None) => with_secret(secret.clone())?,
        (Some(Secret::Certificate { path, password }), _) => {
            let (file, password) = (path.clone(), password.clone());
            Arc::new(ReloadingCredential::new(path.clone(), move || {
                with_certificate(load_certificate(&file, password.as_ref())?)
            })?)
        }
    };
    connection(
        tenant_id,
        inner,
        &cloud,
        &settings.scope,
        &settings.network,
        background,
    )
}

/// The cached credential and the Graph client of one tenant, from its credential (`inner`),
/// cloud and Graph scope.
pub(crate) fn connection(
    tenant_id: String,
    inner: Arc<dyn TokenCredential>,
    cloud: &Cloud,
    scope: &str,
    network: &NetworkSettings,
    background: bool,
) -> Result<Connection, CliError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let credential: Arc<dyn TokenCredential> =
        Arc::new(TokenCache::builder(inner).clock(clock.clone()).build());
    // Collection runs unattended and retries for up to 30 minutes (the client's default); an
    // operator's command (remediation, connectivity) gives up within about a minute.
    let retry = if background {
        RetryPolicy::default()
    } else {
        RetryPolicy::interactive()
    };
    let client = GraphClient::builder()
        .credential(credential.clone())
        .base_url(cloud.graph_root().as_str().trim_end_matches('/'))
        .scope(scope.to_owned())
        .background(background)
        .retry_policy(retry)
        .clock(clock)
        .network(network.clone())
        .build()
        .map_err(|e| CliError::config(format!("Graph client: {e}")))?;
    Ok(Connection {
        credential,
        client,
        scope: scope.to_owned(),
        tenant_id,
    })
}

/// Loads the certificate file: a PFX (`.pfx`, `.p12`) with its password, or a PEM holding the
/// certificate and its key.
pub(crate) fn load_certificate(
    path: &std::path::Path,
    password: Option<&secrecy::SecretString>,
) -> Result<ClientCertificate, CliError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    Ok(if ext == "pfx" || ext == "p12" {
        ClientCertificate::from_pkcs12_file(path, password)?
    } else {
        ClientCertificate::from_pem_files(path, path)?
    })
}

/// Which credential is used, and the others configured but not used, as one line:
/// `client secret (OORT_CLIENT_SECRET_FILE); also configured, not used: certificate in oort.toml`.
pub(crate) fn credential_line(settings: &Settings) -> String {
    let Some((used, unused)) = settings.credential_sources.split_first() else {
        return "none configured (set OORT_CLIENT_SECRET_FILE or OORT_CERTIFICATE)".to_owned();
    };
    let kind = match settings.secret {
        Some(Secret::Certificate { .. }) => "certificate",
        _ => "client secret",
    };
    if unused.is_empty() {
        format!("{kind} ({used})")
    } else {
        format!(
            "{kind} ({used}); also configured, not used: {}",
            unused.join(", ")
        )
    }
}

/// Opens the store named by `url`: `sqlite:PATH` (or a bare path) or `postgres://...` (whose
/// TLS trusts the network settings' extra certificate authorities too).
pub(crate) async fn open_store(
    url: &str,
    network: &NetworkSettings,
) -> Result<Arc<dyn Store>, CliError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let options = PostgresOptions::new().extra_roots(network.extra_roots().iter().cloned());
        let store = PostgresStore::connect_with(url, &options)
            .await
            .map_err(|e| {
                CliError::config(format!("cannot open the PostgreSQL store: {}", causes(&e)))
            })?;
        return Ok(Arc::new(store));
    }
    if let Some((scheme, _)) = url.split_once("://").filter(|(s, _)| *s != "sqlite") {
        // Only the scheme: the rest may hold a password.
        return Err(CliError::config(format!(
            "OORT_STORE names a {scheme}:// store, which oort does not have: use SQLite \
             (sqlite:PATH, e.g. sqlite:/var/lib/oort/oort.db) or PostgreSQL \
             (postgres://USER@HOST/DATABASE)"
        )));
    }
    let path = url.strip_prefix("sqlite:").unwrap_or(url);
    let path = path.strip_prefix("//").unwrap_or(path);
    if path.is_empty() {
        return Err(CliError::config(
            "OORT_STORE names no file: use sqlite:PATH or a postgres:// URL",
        ));
    }
    let store = SqliteStore::open(path).map_err(|e| {
        CliError::config(format!(
            "cannot open the SQLite store {path}: {}",
            causes(&e)
        ))
    })?;
    Ok(Arc::new(store))
}

/// An error and its causes, outermost first (the store's message says what to check; the
/// database's own reason follows it).
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(&format!(" ({more})"));
        }
        source = cause.source();
    }
    text
}

/// The store location for display, without a PostgreSQL password.
pub(crate) fn store_display(url: &str) -> String {
    if let Some(rest) = url
        .strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
    {
        if let Some((auth, host)) = rest.split_once('@') {
            let user = auth.split(':').next().unwrap_or("");
            return format!("postgres://{user}@{host}");
        }
    }
    url.to_owned()
}

/// A credential built from a file (a client secret file, a certificate), built again when the
/// file changes (its modification time or length), so that a secret or certificate rotated on
/// disk is used from the next token request on. A file that cannot be used yet (half written,
/// empty) keeps the previous credential, with a warning.
struct ReloadingCredential {
    path: std::path::PathBuf,
    build: Box<dyn Fn() -> Result<Arc<dyn TokenCredential>, CliError> + Send + Sync>,
    current: std::sync::Mutex<(Option<FileStamp>, Arc<dyn TokenCredential>)>,
}

/// What tells a file changed.
type FileStamp = (std::time::SystemTime, u64);

fn stamp(path: &std::path::Path) -> Option<FileStamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl ReloadingCredential {
    fn new(
        path: std::path::PathBuf,
        build: impl Fn() -> Result<Arc<dyn TokenCredential>, CliError> + Send + Sync + 'static,
    ) -> Result<Self, CliError> {
        let first = stamp(&path);
        let credential = build()?;
        Ok(ReloadingCredential {
            path,
            build: Box::new(build),
            current: std::sync::Mutex::new((first, credential)),
        })
    }

    /// The credential for the file as it is now.
    fn credential(&self) -> Arc<dyn TokenCredential> {
        let mut current = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = stamp(&self.path);
        if now.is_some() && now != current.0 {
            match (self.build)() {
                Ok(credential) => {
                    tracing::info!(file = %self.path.display(), "the credential file changed: its new content is used from now on");
                    *current = (now, credential);
                }
                Err(e) => tracing::warn!(
                    file = %self.path.display(),
                    "the credential file changed but cannot be used ({}): the previous credential is kept",
                    e.message
                ),
            }
        }
        current.1.clone()
    }
}

impl std::fmt::Debug for ReloadingCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReloadingCredential")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

#[async_trait::async_trait]
impl TokenCredential for ReloadingCredential {
    async fn get_token(
        &self,
        scope: &str,
    ) -> Result<entra_auth::AccessToken, entra_auth::AuthError> {
        let credential = self.credential();
        credential.get_token(scope).await
    }

    async fn invalidate(&self, scope: &str) {
        let credential = self.credential();
        credential.invalidate(scope).await;
    }

    fn identity(&self) -> Option<entra_auth::CredentialIdentity> {
        self.credential().identity()
    }
}

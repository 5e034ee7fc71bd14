//! Wiring: the credential, the Graph client and the store, from the settings.

use std::sync::Arc;

use entra_auth::{
    ClientCertificate, ClientCertificateCredential, ClientSecretCredential, Clock, Cloud,
    RetryPolicy, SystemClock, TokenCache, TokenCredential,
};
use graph_client::GraphClient;
use oort_store::prelude::*;
use oort_store::{PostgresStore, SqliteStore};

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
    let inner: Arc<dyn TokenCredential> = match &settings.secret {
        None => {
            return Err(CliError::config(
                "no credential: set OORT_CLIENT_SECRET or OORT_CLIENT_SECRET_FILE (or OORT_CERTIFICATE) in the environment, or client_secret_file / certificate in oort.toml",
            ))
        }
        Some(Secret::ClientSecret(secret)) => Arc::new(
            ClientSecretCredential::builder(tenant_id.clone(), client_id.clone(), secret.clone())
                .cloud(cloud.clone())
                .clock(clock.clone())
                .build()?,
        ),
        Some(Secret::Certificate { path, password }) => {
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            let certificate = if ext == "pfx" || ext == "p12" {
                ClientCertificate::from_pkcs12_file(path, password.as_ref())?
            } else {
                ClientCertificate::from_pem_files(path, path)?
            };
            Arc::new(
                ClientCertificateCredential::builder(
                    tenant_id.clone(),
                    client_id.clone(),
                    certificate,
                )
                .cloud(cloud.clone())
                .clock(clock.clone())
                .build()?,
            )
        }
    };
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
        .scope(settings.scope.clone())
        .background(background)
        .retry_policy(retry)
        .clock(clock)
        .build()
        .map_err(|e| CliError::config(format!("Graph client: {e}")))?;
    Ok(Connection {
        credential,
        client,
        scope: settings.scope.clone(),
        tenant_id,
    })
}

/// Opens the store named by `url`: `sqlite:PATH` (or a bare path) or `postgres://...`.
pub(crate) async fn open_store(url: &str) -> Result<Arc<dyn Store>, CliError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PostgresStore::connect(url).await.map_err(|e| {
            CliError::config(format!(
                "cannot open the PostgreSQL store: {e}; check OORT_STORE"
            ))
        })?;
        return Ok(Arc::new(store));
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
            "cannot open the SQLite store {path}: {e}; check OORT_STORE"
        ))
    })?;
    Ok(Arc::new(store))
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

//! Configuration: `oort.toml` (or `--config`) and the `OORT_*` environment, environment winning.

use std::path::{Path, PathBuf};

use entra_auth::{Cloud, NetworkSettings};
use oort_checks::notify::{NotifyConfig, SmtpConfig, TeamsConfig, WebhookConfig};
use oort_checks::Severity;
use oort_collector::{CollectorConfig, StreamKind};
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::CliError;

/// The file's shape. Every key is optional; unknown keys are refused (a typo should not be
/// silently ignored). `Debug` prints `[REDACTED]` for the secrets (the client secret, the
/// certificate password, a password in the store URL, and the notification secrets).
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    tenant_id: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    client_secret_file: Option<PathBuf>,
    certificate: Option<PathBuf>,
    certificate_password: Option<String>,
    cloud: Option<String>,
    authority_host: Option<String>,
    graph_url: Option<String>,
    ca_file: Option<PathBuf>,
    store: Option<String>,
    devices: Option<bool>,
    /// No longer read (operators are store records): refused with a message saying so.
    operator: Option<toml::Value>,
    /// No longer read: refused with a message saying so.
    role: Option<toml::Value>,
    #[serde(default)]
    break_glass_accounts: Option<Vec<String>>,
    #[serde(default)]
    protected_accounts: Option<Vec<String>>,
    #[serde(default)]
    collect: CollectSection,
    /// `[notify]`: the library's own shape (unknown keys refused there too).
    #[serde(default)]
    notify: NotifyConfig,
}

impl std::fmt::Debug for FileConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Every field, named: a new field must be placed here, redacted if it is a secret.
        let FileConfig {
            tenant_id,
            client_id,
            client_secret,
            client_secret_file,
            certificate,
            certificate_password,
            cloud,
            authority_host,
            graph_url,
            ca_file,
            store,
            devices,
            operator,
            role,
            break_glass_accounts,
            protected_accounts,
            collect,
            notify,
        } = self;
        let redacted = |v: &Option<String>| v.as_ref().map(|_| "[REDACTED]");
        f.debug_struct("FileConfig")
            .field("tenant_id", tenant_id)
            .field("client_id", client_id)
            .field("client_secret", &redacted(client_secret))
            .field("client_secret_file", client_secret_file)
            .field("certificate", certificate)
            .field("certificate_password", &redacted(certificate_password))
            .field("cloud", cloud)
            .field("authority_host", authority_host)
            .field("graph_url", graph_url)
            .field("ca_file", ca_file)
            .field(
                "store",
                // The user's password is cut by `store_display`; a `password=` parameter is
                // not, so such a connection string is not shown at all.
                &store.as_deref().map(|url| {
                    if url.to_ascii_lowercase().contains("password=") {
                        "[REDACTED]".to_owned()
                    } else {
                        crate::connect::store_display(url)
                    }
                }),
            )
            .field("devices", devices)
            .field("operator", operator)
            .field("role", role)
            .field("break_glass_accounts", break_glass_accounts)
            .field("protected_accounts", protected_accounts)
            .field("collect", collect)
            .field("notify", notify)
            .finish()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CollectSection {
    backfill: Option<String>,
    overlap: Option<String>,
    settle_delay: Option<String>,
    slice: Option<String>,
    page_size: Option<u32>,
    max_pages: Option<u64>,
    disabled_streams: Option<Vec<StreamKind>>,
    retention: Option<String>,
}

/// Where the client secret comes from.
pub(crate) enum Secret {
    /// A client secret (from `OORT_CLIENT_SECRET`, a file, or oort.toml).
    ClientSecret(SecretString),
    /// A certificate file (PEM with certificate and key, or PFX/PKCS#12) and its password.
    Certificate {
        path: PathBuf,
        password: Option<SecretString>,
    },
}

/// The resolved configuration. Holds a secret: no `Debug`.
pub(crate) struct Settings {
    pub(crate) tenant_id: Option<String>,
    pub(crate) client_id: Option<String>,
    pub(crate) secret: Option<Secret>,
    /// Every credential configured, in the order oort picks them: the first is the one used.
    pub(crate) credential_sources: Vec<&'static str>,
    /// The file the client secret was read from, when it came from one (read again when it
    /// changes: see `connect`).
    pub(crate) secret_file: Option<PathBuf>,
    pub(crate) cloud: Cloud,
    pub(crate) scope: String,
    pub(crate) store: String,
    /// `OORT_OPERATOR` / `OORT_ROLE` when set: no longer read, `oort remediate` refuses them
    /// (the operator and role come from the store).
    pub(crate) identity_vars: Vec<&'static str>,
    pub(crate) break_glass_accounts: Vec<String>,
    pub(crate) protected_accounts: Vec<String>,
    pub(crate) collector: CollectorConfig,
    /// Notifications (`[notify]` and `OORT_NOTIFY_*`); holds secrets.
    pub(crate) notify: NotifyConfig,
    /// Proxy (the environment's) and extra certificate authorities (`OORT_CA_FILE`) of every
    /// connection: Graph, the token endpoint, notifications and PostgreSQL.
    pub(crate) network: NetworkSettings,
    /// The file read, if any.
    pub(crate) file: Option<PathBuf>,
    /// What the operator should fix but that does not stop the command (files holding secrets
    /// that others can read), printed before the command runs.
    pub(crate) warnings: Vec<String>,
}

/// Reads the environment through a function, so that tests can give their own.
pub(crate) trait Env {
    fn var(&self, name: &str) -> Option<String>;
}

/// The process environment (empty values count as unset).
pub(crate) struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn boolean(name: &str, text: &str) -> Result<bool, CliError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(CliError::config(format!(
            "{name}={text:?} is not a boolean: use true or false"
        ))),
    }
}

fn duration(key: &str, text: &str) -> Result<time::Duration, CliError> {
    let d = crate::cli::parse_duration(text)
        .map_err(|e| CliError::config(format!("[collect] {key} in oort.toml: {e}")))?;
    Ok(time::Duration::seconds(d.as_secs() as i64))
}

pub(crate) fn read_secret_file(path: &Path) -> Result<SecretString, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "cannot read the client secret file {}: {e}; check OORT_CLIENT_SECRET_FILE",
            path.display()
        ))
    })?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CliError::config(format!(
            "the client secret file {} is empty",
            path.display()
        )));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

/// Whether a URL points at a loopback host (a fake tenant).
fn is_loopback_url(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or(url);
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = host.rsplit_once(':').map_or(host, |(h, port)| {
        if port.chars().all(|c| c.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Settings {
    /// Loads `explicit` (which must exist), else `oort.toml` in the working directory when
    /// present, then applies the environment.
    pub(crate) fn load(explicit: Option<&Path>, env: &dyn Env) -> Result<Settings, CliError> {
        let (file, path) = match explicit {
            Some(p) => (Some(read_file(p)?), Some(p.to_path_buf())),
            None => {
                let p = PathBuf::from("oort.toml");
                if p.exists() {
                    (Some(read_file(&p)?), Some(p))
                } else {
                    (None, None)
                }
            }
        };
        Self::resolve(file.unwrap_or_default(), path, env)
    }

    fn resolve(f: FileConfig, path: Option<PathBuf>, env: &dyn Env) -> Result<Settings, CliError> {
        if f.operator.is_some() || f.role.is_some() {
            return Err(CliError::config(
                "`operator` and `role` in oort.toml are no longer read: remove them. The operator who acts is the store's operator record mapped to the OS account running oort (`oort operators list`; an administrator adds one with `oort operators add NAME --role ROLE --os-user USER`)",
            ));
        }
        let pick = |name: &str, file: Option<String>| env.var(name).or(file);
        let mut warnings = Vec::new();
        if let Some(p) = &path {
            if file_holds_secret(&f) {
                warn_if_shared(
                    p,
                    "the configuration file, which holds a secret,",
                    &mut warnings,
                );
            }
        }
        for p in [
            env.var("OORT_CLIENT_SECRET_FILE").map(PathBuf::from),
            f.client_secret_file.clone(),
        ]
        .into_iter()
        .flatten()
        {
            warn_if_shared(&p, "the client secret file", &mut warnings);
        }
        for p in [
            env.var("OORT_CERTIFICATE").map(PathBuf::from),
            f.certificate.clone(),
        ]
        .into_iter()
        .flatten()
        {
            warn_if_shared(
                &p,
                "the certificate file (it holds the private key)",
                &mut warnings,
            );
        }
        if let Some(p) = env
            .var("OORT_NOTIFY_SMTP_PASSWORD_FILE")
            .map(PathBuf::from)
            .or_else(|| {
                f.notify
                    .email
                    .as_ref()
                    .and_then(|e| e.password_file.clone())
            })
        {
            warn_if_shared(&p, "the SMTP password file", &mut warnings);
        }
        let authority_from_file =
            env.var("OORT_AUTHORITY_HOST").is_none() && f.authority_host.is_some();
        let tenant_id = pick("OORT_TENANT_ID", f.tenant_id);
        let client_id = pick("OORT_CLIENT_ID", f.client_id);
        let file_secret = FileSecret {
            client_secret: f.client_secret,
            client_secret_file: f.client_secret_file,
            certificate: f.certificate,
            certificate_password: f.certificate_password,
        };
        let credential_sources = credential_sources(env, &file_secret);
        let secret_file = match credential_sources.first() {
            Some(&"OORT_CLIENT_SECRET_FILE") => {
                env.var("OORT_CLIENT_SECRET_FILE").map(PathBuf::from)
            }
            Some(&"client_secret_file in oort.toml") => file_secret.client_secret_file.clone(),
            _ => None,
        };
        let secret = secret_settings(env, file_secret)?;
        let (cloud, scope) = cloud_settings(
            pick("OORT_CLOUD", f.cloud),
            pick("OORT_AUTHORITY_HOST", f.authority_host),
            pick("OORT_GRAPH_URL", f.graph_url),
        )?;
        check_authority(&cloud, authority_from_file, path.as_deref())?;
        let network = match env.var("OORT_CA_FILE").map(PathBuf::from).or(f.ca_file) {
            Some(ca) => NetworkSettings::new()
                .ca_file(&ca)
                .map_err(|e| CliError::config(format!("OORT_CA_FILE: {e}")))?,
            None => NetworkSettings::new(),
        };

        let store = pick("OORT_STORE", f.store).unwrap_or_else(|| "sqlite:oort.db".to_owned());
        let devices = match env.var("OORT_DEVICES") {
            Some(v) => boolean("OORT_DEVICES", &v)?,
            None => f.devices.unwrap_or(false),
        };
        let break_glass_accounts = match env.var("OORT_BREAK_GLASS_ACCOUNTS") {
            Some(v) => list(&v),
            None => f.break_glass_accounts.unwrap_or_default(),
        };
        let protected_accounts = match env.var("OORT_PROTECTED_ACCOUNTS") {
            Some(v) => list(&v),
            None => f.protected_accounts.unwrap_or_default(),
        };
        let collector = collector_settings(f.collect, devices)?;
        let mut notify = notify_settings(f.notify, env)?;
        notify.network = network.clone();

        Ok(Settings {
            tenant_id,
            client_id,
            secret,
            credential_sources,
            secret_file,
            cloud,
            scope,
            store,
            identity_vars: ["OORT_OPERATOR", "OORT_ROLE"]
                .into_iter()
                .filter(|v| env.var(v).is_some())
                .collect(),
            break_glass_accounts,
            protected_accounts,
            collector,
            notify,
            network,
            file: path,
            warnings,
        })
    }
}

/// Whether the file's own keys hold a secret (a file only named by it is checked on its own).
fn file_holds_secret(f: &FileConfig) -> bool {
    let n = &f.notify;
    f.client_secret.is_some()
        || f.certificate_password.is_some()
        || f.store.as_deref().is_some_and(store_url_has_password)
        || n.email.as_ref().is_some_and(|e| e.password.is_some())
        || n.teams.is_some()
        || n.webhook.is_some()
}

/// Whether a `postgres://user:password@host/...` URL carries a password.
fn store_url_has_password(url: &str) -> bool {
    url.strip_prefix("postgres://")
        .or_else(|| url.strip_prefix("postgresql://"))
        .and_then(|rest| rest.split_once('@'))
        .is_some_and(|(auth, _)| auth.contains(':'))
}

/// Adds a warning when the file at `path` can be read by its group or by others (Unix), naming
/// the file and the command that fixes it. A file that cannot be inspected is left to the
/// code that reads it.
pub(crate) fn warn_if_shared(path: &Path, what: &str, warnings: &mut Vec<String>) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                let shown = path.display();
                warnings.push(format!(
                    "{what} {shown} can be read by other users (mode {mode:03o}): run chmod 600 {shown}"
                ));
            }
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what, warnings);
}

/// Refuses an authority host the client secret should not be sent to: one that is not on
/// loopback while Graph is (a fake tenant's Graph with a real login: the real token would go
/// over plain http), and one that is not a Microsoft login host unless `OORT_AUTHORITY_HOST`
/// itself names it (a value only in `oort.toml` could have been planted there).
fn check_authority(cloud: &Cloud, from_file: bool, file: Option<&Path>) -> Result<(), CliError> {
    let authority = cloud.authority_host();
    let host = authority.host_str().unwrap_or_default();
    if cloud.has_loopback_graph() && !cloud.has_loopback_authority() {
        return Err(CliError::config(format!(
            "the Graph URL is on loopback (a fake tenant) but the authority host {host} is not: a real token would be sent over plain http; point OORT_AUTHORITY_HOST at the same fake tenant (oort fake-tenant prints both)"
        )));
    }
    if from_file && !cloud.has_microsoft_authority() {
        let file = file.map_or_else(|| "oort.toml".to_owned(), |p| p.display().to_string());
        return Err(CliError::config(format!(
            "authority_host in {file} names {authority}, which is not a Microsoft login host ({}): the client secret is sent there, so set OORT_AUTHORITY_HOST in the environment to use it; a value only in the configuration file is refused",
            entra_auth::MICROSOFT_AUTHORITY_HOSTS.join(", ")
        )));
    }
    Ok(())
}

/// The credential keys of `oort.toml`.
struct FileSecret {
    client_secret: Option<String>,
    client_secret_file: Option<PathBuf>,
    certificate: Option<PathBuf>,
    certificate_password: Option<String>,
}

/// The credentials configured, in the order [`secret_settings`] picks them, named as the user
/// set them: the first is used, the others are reported as configured but not used.
fn credential_sources(env: &dyn Env, f: &FileSecret) -> Vec<&'static str> {
    let mut sources = Vec::new();
    for name in [
        "OORT_CLIENT_SECRET",
        "OORT_CLIENT_SECRET_FILE",
        "OORT_CERTIFICATE",
    ] {
        if env.var(name).is_some() {
            sources.push(name);
        }
    }
    if f.client_secret.is_some() {
        sources.push("client_secret in oort.toml");
    }
    if f.client_secret_file.is_some() {
        sources.push("client_secret_file in oort.toml");
    }
    if f.certificate.is_some() {
        sources.push("certificate in oort.toml");
    }
    sources
}

/// The secret: environment first (value, then file), then the file's keys.
fn secret_settings(env: &dyn Env, f: FileSecret) -> Result<Option<Secret>, CliError> {
    Ok(if let Some(s) = env.var("OORT_CLIENT_SECRET") {
        Some(Secret::ClientSecret(SecretString::from(s)))
    } else if let Some(p) = env.var("OORT_CLIENT_SECRET_FILE") {
        Some(Secret::ClientSecret(read_secret_file(Path::new(&p))?))
    } else if let Some(p) = env.var("OORT_CERTIFICATE") {
        Some(Secret::Certificate {
            path: PathBuf::from(p),
            password: env
                .var("OORT_CERTIFICATE_PASSWORD")
                .or(f.certificate_password)
                .map(SecretString::from),
        })
    } else if let Some(s) = f.client_secret {
        Some(Secret::ClientSecret(SecretString::from(s)))
    } else if let Some(p) = f.client_secret_file {
        Some(Secret::ClientSecret(read_secret_file(&p)?))
    } else {
        f.certificate.map(|p| Secret::Certificate {
            path: p,
            password: env
                .var("OORT_CERTIFICATE_PASSWORD")
                .or(f.certificate_password)
                .map(SecretString::from),
        })
    })
}

/// The cloud and the Graph scope, from `OORT_CLOUD` and the custom hosts over it.
fn cloud_settings(
    cloud: Option<String>,
    authority: Option<String>,
    graph: Option<String>,
) -> Result<(Cloud, String), CliError> {
    let base: Cloud = match cloud {
        Some(name) => name
            .parse()
            .map_err(|e: entra_auth::AuthError| CliError::config(format!("OORT_CLOUD: {e}")))?,
        None => Cloud::Global,
    };
    if authority.is_none() && graph.is_none() {
        let scope = base.graph_scope();
        return Ok((base, scope));
    }
    let authority = authority.unwrap_or_else(|| base.authority_host().to_string());
    let graph = graph.unwrap_or_else(|| base.graph_root().to_string());
    let cloud = Cloud::custom(&authority, &graph)
        .map_err(|e| CliError::config(format!("OORT_AUTHORITY_HOST / OORT_GRAPH_URL: {e}")))?;
    // A Graph on loopback is a fake tenant (`oort fake-tenant`), which answers for the
    // global Graph resource only; any other custom Graph root is its own resource.
    let scope = if is_loopback_url(&graph) {
        Cloud::Global.graph_scope()
    } else {
        cloud.graph_scope()
    };
    Ok((cloud, scope))
}

/// `[collect]` of `oort.toml` over the collector's defaults.
fn collector_settings(c: CollectSection, devices: bool) -> Result<CollectorConfig, CliError> {
    let mut collector = CollectorConfig::default();
    collector.devices = devices;
    if let Some(v) = &c.backfill {
        collector.backfill = duration("backfill", v)?;
    }
    if let Some(v) = &c.overlap {
        collector.overlap = duration("overlap", v)?;
    }
    if let Some(v) = &c.settle_delay {
        collector.settle_delay = duration("settle_delay", v)?;
    }
    if let Some(v) = &c.slice {
        collector.slice = duration("slice", v)?;
    }
    if let Some(v) = c.page_size {
        if !(1..=1000).contains(&v) {
            return Err(CliError::config(
                "[collect] page_size in oort.toml must be between 1 and 1000",
            ));
        }
        collector.page_size = v;
    }
    if let Some(v) = c.max_pages {
        if v == 0 {
            return Err(CliError::config(
                "[collect] max_pages in oort.toml must be at least 1",
            ));
        }
        collector.max_pages = v;
    }
    if let Some(v) = c.disabled_streams {
        collector.disabled = v;
    }
    if let Some(v) = &c.retention {
        let keep = duration("retention", v)?;
        // The analysis looks 8 days back, and a first run fetches the backfill.
        let floor = collector.backfill.max(time::Duration::days(8));
        if keep < floor {
            return Err(CliError::config(format!(
                "[collect] retention in oort.toml is {v}: keep at least the backfill and the checks' 8-day look-back ({} days)",
                floor.whole_days()
            )));
        }
        collector.retention = Some(keep);
    }
    Ok(collector)
}

/// `[notify]` with the `OORT_NOTIFY_*` environment applied over it (the environment wins).
///
/// A channel exists when its section is in the file or its variables are set: e-mail needs a
/// host, a sender and recipients; Teams and the webhook a URL.
fn notify_settings(mut n: NotifyConfig, env: &dyn Env) -> Result<NotifyConfig, CliError> {
    if let Some(v) = env.var("OORT_NOTIFY_MIN_SEVERITY") {
        n.min_severity = v
            .parse::<Severity>()
            .map_err(|e| CliError::config(format!("OORT_NOTIFY_MIN_SEVERITY: {e}")))?;
    }
    if let Some(v) = env.var("OORT_NOTIFY_DIGEST") {
        n.digest = boolean("OORT_NOTIFY_DIGEST", &v)?;
    }
    if let Some(v) = env.var("OORT_NOTIFY_RESOLVED") {
        n.notify_resolved = boolean("OORT_NOTIFY_RESOLVED", &v)?;
    }

    // E-mail.
    let host = env.var("OORT_NOTIFY_SMTP_HOST");
    let from = env.var("OORT_NOTIFY_EMAIL_FROM");
    let to = env.var("OORT_NOTIFY_EMAIL_TO").map(|v| list(&v));
    let port = env.var("OORT_NOTIFY_SMTP_PORT");
    let security = env.var("OORT_NOTIFY_SMTP_SECURITY");
    let username = env.var("OORT_NOTIFY_SMTP_USERNAME");
    let password = env.var("OORT_NOTIFY_SMTP_PASSWORD");
    let password_file = env.var("OORT_NOTIFY_SMTP_PASSWORD_FILE");
    let any_smtp = [
        &host,
        &from,
        &port,
        &security,
        &username,
        &password,
        &password_file,
    ]
    .iter()
    .any(|v| v.is_some())
        || to.is_some();
    if n.email.is_none() && any_smtp {
        let missing: Vec<&str> = [
            ("OORT_NOTIFY_SMTP_HOST", host.is_none()),
            ("OORT_NOTIFY_EMAIL_FROM", from.is_none()),
            ("OORT_NOTIFY_EMAIL_TO", to.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, absent)| absent.then_some(name))
        .collect();
        if !missing.is_empty() {
            return Err(CliError::config(format!(
                "e-mail notifications need {} (or [notify.email] in oort.toml)",
                missing.join(", ")
            )));
        }
        n.email = Some(SmtpConfig::new("", "", Vec::new()));
    }
    if let Some(email) = n.email.as_mut() {
        if let Some(v) = host {
            email.host = v;
        }
        if let Some(v) = from {
            email.from = v;
        }
        if let Some(v) = to {
            email.to = v;
        }
        if let Some(v) = port {
            email.port = Some(v.trim().parse().map_err(|_| {
                CliError::config(format!("OORT_NOTIFY_SMTP_PORT={v:?} is not a port number"))
            })?);
        }
        if let Some(v) = security {
            email.security = v
                .parse()
                .map_err(|e| CliError::config(format!("OORT_NOTIFY_SMTP_SECURITY: {e}")))?;
        }
        if let Some(v) = username {
            email.username = Some(v);
        }
        if let Some(v) = password {
            email.password = Some(SecretString::from(v));
            email.password_file = None;
        } else if let Some(v) = password_file {
            email.password_file = Some(PathBuf::from(v));
            email.password = None;
        }
    }

    // Teams.
    if let Some(url) = env.var("OORT_NOTIFY_TEAMS_URL") {
        n.teams = Some(TeamsConfig::new(SecretString::from(url)));
    }

    // Webhook.
    if let Some(url) = env.var("OORT_NOTIFY_WEBHOOK_URL") {
        match n.webhook.as_mut() {
            Some(w) => w.url = SecretString::from(url),
            None => n.webhook = Some(WebhookConfig::new(SecretString::from(url))),
        }
    }
    if let Some(secret) = env.var("OORT_NOTIFY_WEBHOOK_SECRET") {
        match n.webhook.as_mut() {
            Some(w) => w.secret = Some(SecretString::from(secret)),
            None => {
                return Err(CliError::config(
                    "OORT_NOTIFY_WEBHOOK_SECRET is set but there is no webhook: set OORT_NOTIFY_WEBHOOK_URL or [notify.webhook] url in oort.toml",
                ))
            }
        }
    }
    Ok(n)
}

fn read_file(path: &Path) -> Result<FileConfig, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "cannot read the configuration file {}: {e}; run oort init to write one",
            path.display()
        ))
    })?;
    toml::from_str(&text).map_err(|e| {
        let msg = e.message().to_owned();
        let at = e
            .span()
            .map(|span| {
                let (line, column) = line_and_column(&text, span.start);
                format!(" at line {line}, column {column}")
            })
            .unwrap_or_default();
        CliError::config(format!(
            "the configuration file {} is not valid{at}: {msg}; see the template oort init writes",
            path.display()
        ))
    })
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The commented template `oort init` writes.
pub(crate) const TEMPLATE: &str = r#"# oort configuration. A key marked "env: NAME" may also be set in that environment variable,
# and the environment wins; the other keys are read from this file only. See
# docs/entra-setup.md for the app registration these values come from, and docs/cli.md for
# every key. This file is created readable only by you (mode 600): keep it so if it holds a
# secret.

# The directory (tenant) id and the application (client) id of the oort app registration.
tenant_id = ""                            # env: OORT_TENANT_ID
client_id = ""                            # env: OORT_CLIENT_ID

# The credential: a client secret or a certificate. Never put a secret on the command line.
# Prefer a file readable only by you (chmod 600):
# client_secret_file = "/etc/oort/client-secret"   # env: OORT_CLIENT_SECRET_FILE
# client_secret = ""                      # env: OORT_CLIENT_SECRET; allowed, but keep this file private
# certificate = "/etc/oort/oort.pfx"      # env: OORT_CERTIFICATE; PEM (certificate and key) or PFX
# certificate_password = ""               # env: OORT_CERTIFICATE_PASSWORD (better there)

# The cloud: global, usgov, usgov-dod or china.
cloud = "global"                          # env: OORT_CLOUD
# Override the hosts instead. An authority host that is not a Microsoft login host
# (login.microsoftonline.com, .us, login.partner.microsoftonline.cn, login.chinacloudapi.cn),
# e.g. a fake tenant on loopback (see `oort fake-tenant`), is accepted only from the
# environment (OORT_AUTHORITY_HOST), never from this file: the client secret is sent there.
# graph_url = "https://graph.microsoft.com"  # env: OORT_GRAPH_URL

# Certificate authorities (PEM) trusted besides the system's, for every connection (Graph,
# login, notifications, PostgreSQL): a TLS-inspecting proxy's. Proxies come from HTTPS_PROXY
# and NO_PROXY in the environment.
# ca_file = "/etc/oort/corporate-ca.pem"   # env: OORT_CA_FILE

# Where collected data and findings are kept: sqlite:PATH or a postgres:// URL.
store = "sqlite:oort.db"                  # env: OORT_STORE

# Collect Intune managed devices (needs Intune and DeviceManagementManagedDevices.Read.All).
devices = false                           # env: OORT_DEVICES

# Who acts in `oort remediate` is not configured here: it is the operator (a record in the
# store, see `oort operators`) that the OS account running oort is mapped to.

# Emergency-access accounts (UPNs or object ids): any sign-in is a finding, and remediation
# never acts on them. More accounts remediation must refuse go in protected_accounts.
break_glass_accounts = []                 # env: OORT_BREAK_GLASS_ACCOUNTS (comma-separated)
protected_accounts = []                   # env: OORT_PROTECTED_ACCOUNTS (comma-separated)

[collect]
# (file only)
# How far back the first collection reaches, how far behind the watermark later runs start
# again, how far behind now a window ends, and the time slices a window is cut into.
# backfill = "30d"
# overlap = "30m"
# settle_delay = "2m"
# slice = "1d"
# page_size = 1000
# Most pages one time slice, delta round or snapshot reads in a run (a guard against a paging
# loop on Graph's side: past it the stream fails for the run and resumes from there).
# max_pages = 100000
# Streams not to collect, e.g. ["managed_identity_sign_ins"].
# disabled_streams = []
# Delete sign-ins and directory audits older than this after each collection (at least the
# backfill). Unset: keep everything (about 3.5 KB per sign-in in SQLite).
# retention = "90d"

[notify]
# `oort checks --notify` tells people about new and reopened findings, once per finding and
# channel. Secrets (SMTP password, Teams URL, webhook URL and secret) are better kept in the
# environment or a file.
# min_severity = "medium"         # env: OORT_NOTIFY_MIN_SEVERITY; info, low, medium, high or critical
# digest = false                  # env: OORT_NOTIFY_DIGEST; one message per channel per run
# digest_threshold = 10           # more messages than this in one run: one digest instead
# digest_limit = 25               # findings listed in a digest (the rest are counted)
# notify_resolved = false         # env: OORT_NOTIFY_RESOLVED; also send finding.resolved
# retry_attempts = 4              # attempts per message (backoff from retry_base_delay_ms)
# retry_base_delay_ms = 1000
# retry_max_delay_ms = 60000
# timeout_secs = 30

# [notify.email]
# host = "smtp.contoso.com"       # env: OORT_NOTIFY_SMTP_HOST
# port = 587                      # env: OORT_NOTIFY_SMTP_PORT; default 25, 587 or 465 by security
# security = "starttls"           # env: OORT_NOTIFY_SMTP_SECURITY; none (local relay only), starttls or tls
# username = "oort@contoso.com"   # env: OORT_NOTIFY_SMTP_USERNAME
# password_file = "/etc/oort/smtp-password"   # env: OORT_NOTIFY_SMTP_PASSWORD_FILE (or _PASSWORD)
# from = "oort <oort@contoso.com>"            # env: OORT_NOTIFY_EMAIL_FROM
# to = ["soc@contoso.com"]                    # env: OORT_NOTIFY_EMAIL_TO (comma-separated)
# subject_prefix = "[oort]"

# [notify.teams]
# url = ""                        # env: OORT_NOTIFY_TEAMS_URL (better there); incoming webhook or Workflows URL

# [notify.webhook]
# url = ""                        # env: OORT_NOTIFY_WEBHOOK_URL (better there)
# secret = ""                     # env: OORT_NOTIFY_WEBHOOK_SECRET (better there); HMAC-SHA256 key
# headers = { Authorization = "Bearer ..." }
"#;

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    struct MapEnv(HashMap<&'static str, &'static str>);

    impl Env for MapEnv {
        fn var(&self, name: &str) -> Option<String> {
            self.0.get(name).map(|v| (*v).to_owned())
        }
    }

    fn file(text: &str) -> FileConfig {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn the_template_parses_and_gives_the_defaults() {
        let s = Settings::resolve(file(TEMPLATE), None, &MapEnv(HashMap::new())).unwrap();
        assert_eq!(s.store, "sqlite:oort.db");
        assert_eq!(s.cloud, Cloud::Global);
        assert_eq!(s.scope, "https://graph.microsoft.com/.default");
        assert!(s.secret.is_none());
        assert_eq!(s.collector.backfill, time::Duration::days(30));
        assert!(!s.notify.has_channels());
        assert_eq!(s.notify.min_severity, Severity::Medium);
    }

    #[test]
    fn an_invalid_configuration_file_is_named_with_the_line_and_column_of_the_mistake() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("oort.toml");
        std::fs::write(&path, "tenant_id = \"x\"\n[collect]\nbackfill = 3\n").unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(
            e.message
                .contains("oort.toml is not valid at line 3, column 12"),
            "{}",
            e.message
        );
        std::fs::write(&path, "tenant_id = \"é\"\nclient_id = \n").unwrap();
        let e = read_file(&path).unwrap_err();
        assert!(e.message.contains("at line 2, column 13"), "{}", e.message);
        assert_eq!(line_and_column("ab\ncé\nd", 7), (3, 1));
    }

    #[test]
    fn with_a_secret_and_a_certificate_both_configured_the_sources_say_which_is_used() {
        let env = MapEnv(HashMap::from([("OORT_CLIENT_SECRET", "s3cret")]));
        let both =
            Settings::resolve(file("certificate = \"/etc/oort/oort.pem\"\n"), None, &env).unwrap();
        assert_eq!(
            both.credential_sources,
            ["OORT_CLIENT_SECRET", "certificate in oort.toml"]
        );
        assert!(matches!(both.secret, Some(Secret::ClientSecret(_))));
        let only_file = Settings::resolve(
            file("certificate = \"/etc/oort/oort.pem\"\n"),
            None,
            &MapEnv(HashMap::new()),
        )
        .unwrap();
        assert_eq!(only_file.credential_sources, ["certificate in oort.toml"]);
        assert!(matches!(only_file.secret, Some(Secret::Certificate { .. })));
    }

    #[test]
    fn a_retention_is_read_and_must_keep_the_backfill_and_the_look_back() {
        let env = MapEnv(HashMap::new());
        let kept = Settings::resolve(file("[collect]\nretention = \"90d\"\n"), None, &env).unwrap();
        assert_eq!(kept.collector.retention, Some(time::Duration::days(90)));
        let none = Settings::resolve(file(""), None, &env).unwrap();
        assert_eq!(none.collector.retention, None);
        let short = Settings::resolve(file("[collect]\nretention = \"7d\"\n"), None, &env);
        let err = short.err().expect("shorter than the backfill").to_string();
        assert!(
            err.contains("retention") && err.contains("30 days"),
            "{err}"
        );
        let small = "[collect]\nbackfill = \"2d\"\nretention = \"7d\"\n";
        let err = Settings::resolve(file(small), None, &env)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("8 days"), "the look-back: {err}");
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let env = MapEnv(HashMap::from([
            ("OORT_TENANT_ID", "env-tenant"),
            ("OORT_CLIENT_SECRET", "env-secret"),
            ("OORT_BREAK_GLASS_ACCOUNTS", "bg1@x.com, bg2@x.com"),
            ("OORT_DEVICES", "true"),
        ]));
        let s = Settings::resolve(
            file("tenant_id = \"file-tenant\"\nclient_id = \"file-client\"\nclient_secret = \"file-secret\"\nbreak_glass_accounts = [\"a@x.com\"]\n[collect]\nbackfill = \"2d\"\n"),
            None,
            &env,
        )
        .unwrap();
        assert_eq!(s.tenant_id.as_deref(), Some("env-tenant"));
        assert_eq!(s.client_id.as_deref(), Some("file-client"));
        match s.secret {
            Some(Secret::ClientSecret(secret)) => assert_eq!(secret.expose_secret(), "env-secret"),
            _ => panic!("expected the environment's client secret"),
        }
        assert_eq!(s.break_glass_accounts, ["bg1@x.com", "bg2@x.com"]);
        assert!(s.collector.devices);
        assert_eq!(s.collector.backfill, time::Duration::days(2));
    }

    #[test]
    fn a_loopback_graph_url_is_a_fake_tenant_asked_for_the_global_graph_scope() {
        let env = MapEnv(HashMap::from([
            ("OORT_AUTHORITY_HOST", "http://127.0.0.1:8400"),
            ("OORT_GRAPH_URL", "http://127.0.0.1:8400"),
        ]));
        let s = Settings::resolve(FileConfig::default(), None, &env).unwrap();
        assert_eq!(s.cloud.name(), "custom");
        assert_eq!(s.scope, "https://graph.microsoft.com/.default");
    }

    #[test]
    fn notify_settings_come_from_the_file_and_the_environment_wins() {
        let env = MapEnv(HashMap::from([
            ("OORT_NOTIFY_MIN_SEVERITY", "HIGH"),
            ("OORT_NOTIFY_DIGEST", "true"),
            ("OORT_NOTIFY_SMTP_HOST", "smtp.env.example"),
            ("OORT_NOTIFY_SMTP_PORT", "2525"),
            ("OORT_NOTIFY_SMTP_SECURITY", "tls"),
            ("OORT_NOTIFY_SMTP_PASSWORD", "env-pw"),
            ("OORT_NOTIFY_EMAIL_TO", "a@x.com, b@x.com"),
            ("OORT_NOTIFY_WEBHOOK_URL", "https://hooks.example/env"),
            ("OORT_NOTIFY_WEBHOOK_SECRET", "env-hmac"),
        ]));
        let s = Settings::resolve(
            file("[notify]\nmin_severity = \"low\"\nnotify_resolved = true\n[notify.email]\nhost = \"smtp.file.example\"\nusername = \"oort\"\npassword = \"file-pw\"\nfrom = \"oort@x.com\"\nto = [\"soc@x.com\"]\n[notify.teams]\nurl = \"https://teams.example/file\"\n"),
            None,
            &env,
        )
        .unwrap();
        let n = &s.notify;
        assert_eq!(n.min_severity, Severity::High);
        assert!(n.digest && n.notify_resolved);
        let email = n.email.as_ref().unwrap();
        assert_eq!(email.host, "smtp.env.example");
        assert_eq!(email.effective_port(), 2525);
        assert_eq!(email.security.as_str(), "tls");
        assert_eq!(email.username.as_deref(), Some("oort"));
        assert_eq!(email.password.as_ref().unwrap().expose_secret(), "env-pw");
        assert_eq!(email.from, "oort@x.com");
        assert_eq!(email.to, ["a@x.com", "b@x.com"]);
        assert_eq!(
            n.teams.as_ref().unwrap().url.expose_secret(),
            "https://teams.example/file"
        );
        let hook = n.webhook.as_ref().unwrap();
        assert_eq!(hook.url.expose_secret(), "https://hooks.example/env");
        assert_eq!(hook.secret.as_ref().unwrap().expose_secret(), "env-hmac");
    }

    #[test]
    fn incomplete_notify_environment_names_what_is_missing() {
        let env = MapEnv(HashMap::from([("OORT_NOTIFY_SMTP_HOST", "smtp.example")]));
        let err = Settings::resolve(FileConfig::default(), None, &env)
            .err()
            .unwrap();
        assert_eq!(err.code, 2);
        assert!(
            err.message.contains("OORT_NOTIFY_EMAIL_FROM"),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("OORT_NOTIFY_EMAIL_TO"),
            "{}",
            err.message
        );
        let env = MapEnv(HashMap::from([("OORT_NOTIFY_WEBHOOK_SECRET", "k")]));
        assert!(Settings::resolve(FileConfig::default(), None, &env).is_err());
        let env = MapEnv(HashMap::from([("OORT_NOTIFY_MIN_SEVERITY", "urgent")]));
        assert!(Settings::resolve(FileConfig::default(), None, &env).is_err());
        assert!(toml::from_str::<FileConfig>("[notify]\nmin_sev = \"low\"").is_err());
    }

    #[test]
    fn unknown_keys_and_bad_values_are_configuration_errors() {
        assert!(toml::from_str::<FileConfig>("tenant = \"x\"").is_err());
        let env = MapEnv(HashMap::from([("OORT_CLOUD", "mars")]));
        let err = Settings::resolve(FileConfig::default(), None, &env)
            .err()
            .unwrap();
        assert_eq!(err.code, 2);
        assert!(err.message.contains("usgov"), "{}", err.message);
    }

    #[test]
    fn an_authority_host_from_the_file_must_be_microsofts_unless_the_environment_names_it() {
        let planted = "authority_host = \"https://login.attacker.example\"\n";
        let err = Settings::resolve(file(planted), None, &MapEnv(HashMap::new()))
            .err()
            .expect("a planted authority host is refused");
        assert_eq!(err.code, 2);
        assert!(
            err.message.contains("OORT_AUTHORITY_HOST")
                && err.message.contains("login.attacker.example"),
            "{}",
            err.message
        );
        // The same host from the environment is the operator's explicit choice.
        let env = MapEnv(HashMap::from([(
            "OORT_AUTHORITY_HOST",
            "https://login.attacker.example",
        )]));
        let s = Settings::resolve(FileConfig::default(), None, &env).unwrap();
        assert_eq!(
            s.cloud.authority_host().host_str(),
            Some("login.attacker.example")
        );
        // A Microsoft login host from the file is fine.
        let china = "cloud = \"china\"\nauthority_host = \"https://login.chinacloudapi.cn\"\n";
        assert!(Settings::resolve(file(china), None, &MapEnv(HashMap::new())).is_ok());
    }

    #[test]
    fn a_loopback_graph_with_an_authority_that_is_not_loopback_is_refused() {
        let env = MapEnv(HashMap::from([
            ("OORT_AUTHORITY_HOST", "https://login.microsoftonline.com"),
            ("OORT_GRAPH_URL", "http://127.0.0.1:8400"),
        ]));
        let err = Settings::resolve(FileConfig::default(), None, &env)
            .err()
            .expect("a real login with a fake Graph is refused");
        assert_eq!(err.code, 2);
        assert!(err.message.contains("plain http"), "{}", err.message);
    }

    #[test]
    fn file_config_debug_prints_no_secret() {
        let key_value = file("store = \"host=db user=oort password=kv-SECRET-0\"\n");
        assert!(
            !format!("{key_value:?}").contains("SECRET"),
            "{key_value:?}"
        );
        let text = "client_secret = \"cs-SECRET-1\"\ncertificate_password = \"pfx-SECRET-2\"\nstore = \"postgres://oort:pg-SECRET-3@db/oort\"\n[notify.email]\nhost = \"smtp.example\"\nusername = \"u\"\npassword = \"smtp-SECRET-4\"\nfrom = \"a@x.com\"\nto = [\"b@x.com\"]\n[notify.teams]\nurl = \"https://teams.example/teams-SECRET-5\"\n[notify.webhook]\nurl = \"https://hooks.example/hook-SECRET-6\"\nsecret = \"hmac-SECRET-7\"\nheaders = { Authorization = \"Bearer hdr-SECRET-8\" }\n";
        let config = file(text);
        let debug = format!("{config:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
        assert!(
            debug.contains("smtp.example"),
            "identifiers stay visible: {debug}"
        );
        // The resolved notification settings too.
        let s = Settings::resolve(config, None, &MapEnv(HashMap::new())).unwrap();
        let debug = format!("{:?}", s.notify);
        assert!(!debug.contains("SECRET"), "{debug}");
    }

    #[cfg(unix)]
    #[test]
    fn files_holding_secrets_that_others_can_read_get_a_warning_naming_the_chmod() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("oort.toml");
        std::fs::write(&toml, "client_secret = \"x\"\n").unwrap();
        std::fs::set_permissions(&toml, std::fs::Permissions::from_mode(0o644)).unwrap();
        let cert = dir.path().join("oort.pem");
        std::fs::write(&cert, "key").unwrap();
        std::fs::set_permissions(&cert, std::fs::Permissions::from_mode(0o640)).unwrap();
        let cert_text = cert.display().to_string();
        let env = MapEnv(HashMap::from([(
            "OORT_CERTIFICATE",
            cert_text.leak() as &str,
        )]));
        let s = Settings::load(Some(&toml), &env).unwrap();
        let joined = s.warnings.join("\n");
        assert!(
            joined.contains(&format!("chmod 600 {}", toml.display())),
            "{joined}"
        );
        assert!(
            joined.contains(&format!("chmod 600 {}", cert.display())),
            "{joined}"
        );

        // Private files, or a file without a secret, are not mentioned.
        std::fs::set_permissions(&cert, std::fs::Permissions::from_mode(0o600)).unwrap();
        std::fs::write(&toml, "tenant_id = \"t\"\n").unwrap();
        let s = Settings::load(Some(&toml), &env).unwrap();
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    }

    #[test]
    fn oort_ca_file_adds_its_certificates_and_an_unreadable_one_is_a_configuration_error() {
        let env = MapEnv(HashMap::from([("OORT_CA_FILE", "/nonexistent/ca.pem")]));
        let err = Settings::resolve(FileConfig::default(), None, &env)
            .err()
            .expect("a missing CA file is refused");
        assert_eq!(err.code, 2);
        assert!(
            err.message.contains("/nonexistent/ca.pem"),
            "{}",
            err.message
        );
        let s = Settings::resolve(FileConfig::default(), None, &MapEnv(HashMap::new())).unwrap();
        assert!(s.network.extra_roots().is_empty());
    }
}

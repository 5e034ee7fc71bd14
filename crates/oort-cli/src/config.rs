//! Configuration: `oort.toml` (or `--config`) and the `OORT_*` environment, environment winning.

use std::path::{Path, PathBuf};

use entra_auth::Cloud;
use oort_checks::notify::{NotifyConfig, SmtpConfig, TeamsConfig, WebhookConfig};
use oort_checks::Severity;
use oort_collector::{CollectorConfig, StreamKind};
use secrecy::SecretString;
use serde::Deserialize;

use crate::error::CliError;

/// The file's shape. Every key is optional; unknown keys are refused (a typo should not be
/// silently ignored).
#[derive(Debug, Default, Deserialize)]
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
    store: Option<String>,
    devices: Option<bool>,
    operator: Option<String>,
    role: Option<String>,
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
    pub(crate) cloud: Cloud,
    pub(crate) scope: String,
    pub(crate) store: String,
    pub(crate) operator: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) break_glass_accounts: Vec<String>,
    pub(crate) protected_accounts: Vec<String>,
    pub(crate) collector: CollectorConfig,
    /// Notifications (`[notify]` and `OORT_NOTIFY_*`); holds secrets.
    pub(crate) notify: NotifyConfig,
    /// The file read, if any.
    pub(crate) file: Option<PathBuf>,
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

fn read_secret_file(path: &Path) -> Result<SecretString, CliError> {
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
        let pick = |name: &str, file: Option<String>| env.var(name).or(file);
        let tenant_id = pick("OORT_TENANT_ID", f.tenant_id);
        let client_id = pick("OORT_CLIENT_ID", f.client_id);
        let secret = secret_settings(
            env,
            FileSecret {
                client_secret: f.client_secret,
                client_secret_file: f.client_secret_file,
                certificate: f.certificate,
                certificate_password: f.certificate_password,
            },
        )?;
        let (cloud, scope) = cloud_settings(
            pick("OORT_CLOUD", f.cloud),
            pick("OORT_AUTHORITY_HOST", f.authority_host),
            pick("OORT_GRAPH_URL", f.graph_url),
        )?;

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
        let notify = notify_settings(f.notify, env)?;

        Ok(Settings {
            tenant_id,
            client_id,
            secret,
            cloud,
            scope,
            store,
            operator: pick("OORT_OPERATOR", f.operator),
            role: pick("OORT_ROLE", f.role),
            break_glass_accounts,
            protected_accounts,
            collector,
            notify,
            file: path,
        })
    }
}

/// The credential keys of `oort.toml`.
struct FileSecret {
    client_secret: Option<String>,
    client_secret_file: Option<PathBuf>,
    certificate: Option<PathBuf>,
    certificate_password: Option<String>,
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
        CliError::config(format!(
            "the configuration file {} is not valid: {msg}",
            path.display()
        ))
    })
}

/// The commented template `oort init` writes.
pub(crate) const TEMPLATE: &str = r#"# oort configuration. Every key may also be set in the environment (OORT_<KEY> in upper
# case, e.g. OORT_TENANT_ID); the environment wins. See docs/entra-setup.md for the app
# registration these values come from.

# The directory (tenant) id and the application (client) id of the oort app registration.
tenant_id = ""
client_id = ""

# The credential: a client secret or a certificate. Never put a secret on the command line.
# Prefer the environment (OORT_CLIENT_SECRET) or a file readable only by you:
# client_secret_file = "/etc/oort/client-secret"
# client_secret = ""                      # allowed, but keep this file private (chmod 600)
# certificate = "/etc/oort/oort.pfx"      # PEM (certificate and key in one file) or PFX
# certificate_password = ""               # PFX password; better: OORT_CERTIFICATE_PASSWORD

# The cloud: global, usgov, usgov-dod or china.
cloud = "global"
# Override both hosts instead (e.g. a fake tenant on loopback, see `oort fake-tenant`):
# authority_host = "http://127.0.0.1:8400"
# graph_url = "http://127.0.0.1:8400"

# Where collected data and findings are kept: sqlite:PATH or a postgres:// URL.
store = "sqlite:oort.db"

# Collect Intune managed devices (needs Intune and DeviceManagementManagedDevices.Read.All).
devices = false

# Who acts in `oort remediate`, for the audit trail, and their role:
# administrator, help-desk or read-only.
# operator = "alice"
# role = "help-desk"

# Emergency-access accounts (UPNs or object ids): any sign-in is a finding, and remediation
# never acts on them. More accounts remediation must refuse go in protected_accounts.
break_glass_accounts = []
protected_accounts = []

[collect]
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
# channel. Every key also has an OORT_NOTIFY_* variable (see docs/cli.md); the environment wins.
# Secrets (SMTP password, Teams URL, webhook URL and secret) are better kept in the environment.
# min_severity = "medium"         # info, low, medium, high or critical
# digest = false                  # one message per channel per run instead of one per finding
# digest_threshold = 10           # more messages than this in one run: one digest instead
# digest_limit = 25               # findings listed in a digest (the rest are counted)
# notify_resolved = false         # also send finding.resolved
# retry_attempts = 4              # attempts per message (backoff from retry_base_delay_ms)
# retry_base_delay_ms = 1000
# retry_max_delay_ms = 60000
# timeout_secs = 30

# [notify.email]
# host = "smtp.contoso.com"
# port = 587                      # default: 25, 587 or 465 by security
# security = "starttls"           # none (local relay only), starttls or tls
# username = "oort@contoso.com"
# password_file = "/etc/oort/smtp-password"   # or OORT_NOTIFY_SMTP_PASSWORD
# from = "oort <oort@contoso.com>"
# to = ["soc@contoso.com"]
# subject_prefix = "[oort]"

# [notify.teams]
# url = ""                        # incoming webhook or Workflows URL; better: OORT_NOTIFY_TEAMS_URL

# [notify.webhook]
# url = ""                        # better: OORT_NOTIFY_WEBHOOK_URL
# secret = ""                     # HMAC-SHA256 signing key; better: OORT_NOTIFY_WEBHOOK_SECRET
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
}

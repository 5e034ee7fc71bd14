//! Arguments: the commands, their options, and the refusal of secrets on the command line.

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use oort_store::{FindingStatus, Severity};

use crate::error::CliError;

/// Identity threat detection for Microsoft Entra ID.
#[derive(Debug, Parser)]
#[command(name = "oort", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Print one JSON document instead of tables.
    #[arg(long, global = true)]
    pub(crate) json: bool,
    /// More log output (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub(crate) verbose: u8,
    /// Less output: only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// The configuration file. Default: `oort.toml` in the working directory, if present.
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Log lines as text (default) or JSON, one object per line. Which events are logged:
    /// `-v`/`-q`, or `RUST_LOG` (e.g. `warn,oort_collector=debug`) when set.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, env = "OORT_LOG_FORMAT")]
    pub(crate) log_format: LogFormat,
    /// Append log lines to this file (created mode 0600) instead of stderr.
    #[arg(long, global = true, value_name = "PATH", env = "OORT_LOG_FILE")]
    pub(crate) log_file: Option<PathBuf>,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (time, level, target, fields), for log shippers.
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// A self-contained tour: a fake tenant with planted attacks, connectivity, collection,
    /// checks and a remediation dry run.
    Demo(DemoArgs),
    /// Check the credential, the granted permissions and the tenant's licences.
    TestConnectivity,
    /// Collect sign-ins and directory data into the store.
    Collect(CollectArgs),
    /// Run the checks over the store and store their findings; `--notify` then tells the
    /// configured channels (e-mail, Teams, webhook) about new and reopened findings.
    Checks(ChecksArgs),
    /// List stored findings.
    Findings(FindingsArgs),
    /// Act on a user: dry run by default, `--yes` executes.
    Remediate(RemediateArgs),
    /// The audit trail (newest first), or `audit verify`: walk its hash chains.
    Audit(AuditArgs),
    /// oort's operators: who may act, in which role, as which OS accounts (administrators only;
    /// `bootstrap` makes the first).
    Operators(OperatorsArgs),
    /// The tenant registry: the tenants oort serves, each with its own app registration and
    /// sealed credential (under the key of OORT_MASTER_KEY_FILE). Changes: administrators only.
    Tenants(TenantsArgs),
    /// Last collection per stream, checkpoints, store, rejected items, the credential in use and its expiry (client secret or certificate), the analysis and the retention.
    Status,
    /// Serve a fake tenant and print the environment that points oort at it.
    FakeTenant(FakeTenantArgs),
    /// Write a commented `oort.toml` template.
    Init(InitArgs),
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Store to collect into (`sqlite:PATH` or a `postgres://` URL). Default: a fresh SQLite
    /// file in a temporary directory, removed at the end.
    #[arg(long, value_name = "URL")]
    pub(crate) store: Option<String>,
    /// Seed of the fake tenant.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Member users of the fake tenant.
    #[arg(long, default_value_t = 50)]
    pub(crate) users: u32,
}

#[derive(Debug, Args)]
pub(crate) struct CollectArgs {
    /// Collect on a schedule until Ctrl-C or SIGTERM.
    #[arg(long)]
    pub(crate) watch: bool,
    /// Time between collections with `--watch` (e.g. `90s`, `15m`, `1h`).
    #[arg(long, default_value = "15m", value_parser = parse_duration, requires = "watch")]
    pub(crate) interval: std::time::Duration,
    /// After each collection, run the checks over the store (as `oort checks`).
    #[arg(long)]
    pub(crate) checks: bool,
    /// After the checks, send notifications for findings the channels were not told about (as
    /// `oort checks --notify`; implies `--checks`). Failed messages are retried by the next run.
    #[arg(long)]
    pub(crate) notify: bool,
    /// When another collection of this tenant into this store is running (it holds the
    /// tenant's lease), wait for it to finish instead of exiting with code 3.
    #[arg(long)]
    pub(crate) wait: bool,
    /// Instead of collecting, re-read the items earlier collections set aside because they did
    /// not read (after an upgrade): those that read now are stored and leave the rejected
    /// items. No Graph request is made.
    #[arg(long, conflicts_with_all = ["watch", "checks", "notify"])]
    pub(crate) retry_rejected: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ChecksArgs {
    /// After the checks, send notifications for findings the channels were not told about
    /// (configured in `[notify]` of oort.toml or `OORT_NOTIFY_*`). Exit 1 if one still fails
    /// after its retries; the findings are stored either way.
    #[arg(long)]
    pub(crate) notify: bool,
    /// Replay every stored sign-in, not only what the last run has not analysed (plus the
    /// 8-day look-back): after changing a threshold, to find older attacks with it.
    #[arg(long)]
    pub(crate) full: bool,
}

#[derive(Debug, Args)]
pub(crate) struct FindingsArgs {
    /// Only findings of this status.
    #[arg(long, value_enum)]
    pub(crate) status: Option<StatusFilter>,
    /// Only findings of this severity or above.
    #[arg(long, value_enum)]
    pub(crate) severity: Option<SeverityFilter>,
    /// At most this many findings.
    #[arg(long, default_value_t = 200)]
    pub(crate) limit: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum StatusFilter {
    Open,
    Resolved,
    Suppressed,
}

impl StatusFilter {
    pub(crate) fn status(self) -> FindingStatus {
        match self {
            StatusFilter::Open => FindingStatus::Open,
            StatusFilter::Resolved => FindingStatus::Resolved,
            StatusFilter::Suppressed => FindingStatus::Suppressed,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SeverityFilter {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl SeverityFilter {
    pub(crate) fn severity(self) -> Severity {
        match self {
            SeverityFilter::Info => Severity::Info,
            SeverityFilter::Low => Severity::Low,
            SeverityFilter::Medium => Severity::Medium,
            SeverityFilter::High => Severity::High,
            SeverityFilter::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RemediateArgs {
    #[command(subcommand)]
    pub(crate) action: RemediateAction,
    /// Execute the plan (default: a dry run that changes nothing).
    #[arg(long, global = true)]
    pub(crate) yes: bool,
    /// Act on a privileged target anyway (one that holds or can activate a privileged
    /// directory role), for this reason: Administrators only, with --yes to execute; the
    /// reason is stored in the audit trail.
    #[arg(long, global = true, value_name = "REASON")]
    pub(crate) override_privileged: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum RoleArg {
    Administrator,
    HelpDesk,
    ReadOnly,
}

#[derive(Debug, Args)]
pub(crate) struct OperatorsArgs {
    #[command(subcommand)]
    pub(crate) command: OperatorsCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum OperatorsCommand {
    /// Add an operator.
    Add {
        /// The operator's name.
        name: String,
        /// The role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// An OS account this operator acts as (repeat for more). The `oort` command acts as
        /// the operator its real uid's account is mapped to.
        #[arg(long = "os-user", value_name = "USER")]
        os_users: Vec<String>,
        /// A file whose first line is the operator's console password (stored as an argon2id
        /// hash; never pass a password on the command line).
        #[arg(long, value_name = "FILE")]
        password_file: Option<PathBuf>,
    },
    /// List the operators.
    List,
    /// Change an operator's role.
    SetRole {
        /// The operator's name.
        name: String,
        /// The new role.
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Remove an operator (and its OS accounts).
    Remove {
        /// The operator's name.
        name: String,
    },
    /// Create the first administrator, acting as the OS account running this, on a store
    /// without operators.
    Bootstrap {
        /// The operator's name. Default: the OS account's name.
        name: Option<String>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct TenantsArgs {
    #[command(subcommand)]
    pub(crate) command: TenantsCommand,
}

/// Where a new secret or certificate comes from (never the command line).
#[derive(Debug, Args)]
#[group(id = "credential_source", multiple = false)]
pub(crate) struct SecretSource {
    /// A file whose content is the client secret (surrounding whitespace ignored).
    #[arg(long, value_name = "FILE", group = "credential_source")]
    pub(crate) secret_file: Option<PathBuf>,
    /// Read the client secret from standard input.
    #[arg(long, group = "credential_source")]
    pub(crate) secret_stdin: bool,
    /// A certificate file with its private key: PEM, or PKCS#12 (`.pfx`, `.p12`). Its bytes
    /// are sealed into the registry: the file is not needed afterwards.
    #[arg(long, value_name = "FILE", group = "credential_source")]
    pub(crate) certificate: Option<PathBuf>,
    /// A file whose first line is the PKCS#12 certificate's password.
    #[arg(long, value_name = "FILE", requires = "certificate")]
    pub(crate) certificate_password_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct TenantAddArgs {
    /// The Entra tenant id.
    #[arg(long, value_name = "ID")]
    pub(crate) tenant_id: String,
    /// The app registration's client (application) id.
    #[arg(long, value_name = "ID")]
    pub(crate) client_id: String,
    #[command(flatten)]
    pub(crate) secret: SecretSource,
    /// Sign in as the Azure managed identity of the machine oort runs on (no secret).
    #[arg(long, conflicts_with = "credential_source")]
    pub(crate) managed_identity: bool,
    /// A user-assigned managed identity's client id (default: the system-assigned identity).
    #[arg(long, value_name = "ID", requires = "managed_identity")]
    pub(crate) identity_client_id: Option<String>,
    /// Sign in with a federated token file (Kubernetes workload identity, CI), no secret.
    #[arg(long, conflicts_with_all = ["credential_source", "managed_identity"], requires = "token_file")]
    pub(crate) workload_identity: bool,
    /// The federated token file of `--workload-identity` (read anew for every token).
    #[arg(long, value_name = "FILE", requires = "workload_identity")]
    pub(crate) token_file: Option<PathBuf>,
    /// A name for people.
    #[arg(long, value_name = "NAME")]
    pub(crate) name: Option<String>,
    /// Collect devices too (they need Intune).
    #[arg(long)]
    pub(crate) devices: bool,
    /// The cloud: global (default), usgov, usgov-dod or china.
    #[arg(long, value_name = "CLOUD", conflicts_with_all = ["authority_host", "graph_url"])]
    pub(crate) cloud: Option<String>,
    /// A custom cloud's token authority host (with --graph-url).
    #[arg(long, value_name = "URL", requires = "graph_url")]
    pub(crate) authority_host: Option<String>,
    /// A custom cloud's Graph root (with --authority-host).
    #[arg(long, value_name = "URL", requires = "authority_host")]
    pub(crate) graph_url: Option<String>,
    /// Time between collections (e.g. `15m`, `1h`).
    #[arg(long, default_value = "15m", value_parser = parse_duration)]
    pub(crate) interval: std::time::Duration,
    /// A break-glass account (UPN or object id; repeat for more).
    #[arg(long = "break-glass-account", value_name = "ACCOUNT")]
    pub(crate) break_glass_accounts: Vec<String>,
    /// An account remediation must refuse (UPN or object id; repeat for more).
    #[arg(long = "protected-account", value_name = "ACCOUNT")]
    pub(crate) protected_accounts: Vec<String>,
    /// A stream not to collect (repeat for more; names as in `[collect] disabled_streams`).
    #[arg(long = "disable-stream", value_name = "STREAM")]
    pub(crate) disabled_streams: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum TenantsCommand {
    /// Add a tenant: its credential from a file or standard input (sealed), a managed
    /// identity, or a workload identity token file.
    Add(Box<TenantAddArgs>),
    /// List the tenants, their credential kind and state (never a secret).
    List,
    /// Show one tenant (never its secret).
    Show {
        /// The tenant id.
        tenant: String,
    },
    /// Test the tenant's connectivity with its own credential and hosts.
    Test {
        /// The tenant id.
        tenant: String,
    },
    /// Replace the tenant's secret or certificate: the new one must obtain a token first;
    /// one that does not leaves the old in place.
    RotateSecret {
        /// The tenant id.
        tenant: String,
        #[command(flatten)]
        secret: SecretSource,
    },
    /// Stop serving the tenant until it is resumed.
    Pause {
        /// The tenant id.
        tenant: String,
    },
    /// Serve a paused (or failing) tenant again.
    Resume {
        /// The tenant id.
        tenant: String,
    },
    /// Remove the tenant from the registry (its collected data and audit trail stay).
    Remove {
        /// The tenant id.
        tenant: String,
    },
    /// Re-seal every credential under a new master key (OORT_MASTER_KEY_FILE is the old one),
    /// in one transaction; then point OORT_MASTER_KEY_FILE at the new key.
    Rekey {
        /// The new key file (32 bytes: raw, 64 hex digits or base64).
        #[arg(long, value_name = "FILE")]
        new_key_file: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum RemediateAction {
    /// Set a user's type to member or guest.
    UpdateUserType {
        /// The user: UPN or object id.
        #[arg(long)]
        user: String,
        /// The new type.
        #[arg(long, value_enum)]
        to: UserTypeArg,
    },
    /// Delete a guest user (restorable for 30 days).
    DeleteGuestUser {
        /// The user: UPN or object id.
        #[arg(long)]
        user: String,
    },
    /// Revoke a user's sign-in sessions.
    LogOut {
        /// The user: UPN or object id.
        #[arg(long)]
        user: String,
    },
    /// Delete a user's registered authentication methods (the password is kept).
    ResetMfa {
        /// The user: UPN or object id.
        #[arg(long)]
        user: String,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum UserTypeArg {
    Member,
    Guest,
}

#[derive(Debug, Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    pub(crate) command: Option<AuditCommand>,
    /// At most this many entries, newest first.
    #[arg(long, default_value_t = 50)]
    pub(crate) limit: usize,
    /// The operators' chain (changes to oort's operators) instead of the tenant's.
    #[arg(long)]
    pub(crate) operators: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk every audit chain of the store (each tenant's and the operators') and report the
    /// first entry that was changed, removed or reordered: exit 1 then, 0 when all are intact.
    Verify,
}

#[derive(Debug, Args)]
pub(crate) struct FakeTenantArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8400")]
    pub(crate) listen: SocketAddr,
    /// Seed the tenant is generated from.
    #[arg(long, default_value_t = 1)]
    pub(crate) seed: u64,
    /// Member users.
    #[arg(long, default_value_t = 50)]
    pub(crate) users: u32,
    /// Days of sign-in history (1 to 30).
    #[arg(long, default_value_t = 30)]
    pub(crate) days: u32,
    /// Answer without Graph's throttling limits.
    #[arg(long)]
    pub(crate) no_throttling: bool,
}

#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// Where to write the template.
    #[arg(long, default_value = "oort.toml")]
    pub(crate) path: PathBuf,
    /// Overwrite an existing file.
    #[arg(long)]
    pub(crate) force: bool,
}

/// Parses `90s`, `15m`, `2h`, `30d` or a number of seconds.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(split);
    let n: u64 = n
        .parse()
        .map_err(|_| format!("{text:?} is not a duration: use e.g. 90s, 15m, 2h or 30d"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" | "min" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(format!(
                "{text:?} is not a duration: use e.g. 90s, 15m, 2h or 30d"
            ))
        }
    };
    if secs == 0 {
        return Err(format!("{text:?}: a duration must be above zero"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// Options that would carry a secret. oort reads secrets from the environment, a file or
/// oort.toml only: a command-line argument ends up in shell history and process listings.
const SECRET_OPTIONS: &[&str] = &[
    "--client-secret",
    "--secret",
    "--certificate-password",
    "--password",
    "--access-token",
    "--token",
];

/// Options that would carry a notification channel's secret (a Teams or webhook URL carries
/// its signature), with the variable to use instead.
const NOTIFY_SECRET_OPTIONS: &[(&str, &str)] = &[
    (
        "--smtp-password",
        "OORT_NOTIFY_SMTP_PASSWORD or OORT_NOTIFY_SMTP_PASSWORD_FILE",
    ),
    ("--teams-url", "OORT_NOTIFY_TEAMS_URL"),
    ("--webhook-url", "OORT_NOTIFY_WEBHOOK_URL"),
    ("--webhook-secret", "OORT_NOTIFY_WEBHOOK_SECRET"),
];

/// Refuses a secret passed as an argument, without repeating its value.
pub(crate) fn refuse_secret_arguments(args: &[OsString]) -> Result<(), CliError> {
    for arg in args.iter().skip(1) {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let name = arg.split('=').next().unwrap_or(arg);
        if let Some((_, instead)) = NOTIFY_SECRET_OPTIONS.iter().find(|(o, _)| *o == name) {
            return Err(CliError::config(format!(
                "{name} is refused: oort never takes a secret on the command line (it would stay in shell history and process listings); set {instead} in the environment, or [notify] in oort.toml"
            )));
        }
        if SECRET_OPTIONS.contains(&name) {
            return Err(CliError::config(format!(
                "{name} is refused: oort never takes a secret on the command line (it would stay in shell history and process listings); set OORT_CLIENT_SECRET or OORT_CLIENT_SECRET_FILE (OORT_CERTIFICATE_PASSWORD for a certificate) in the environment, or client_secret_file in oort.toml"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_seconds_minutes_hours_and_days() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("15m").unwrap().as_secs(), 900);
        assert_eq!(parse_duration("2h").unwrap().as_secs(), 7200);
        assert_eq!(parse_duration("30d").unwrap().as_secs(), 30 * 86_400);
        assert_eq!(parse_duration("45").unwrap().as_secs(), 45);
        assert!(parse_duration("0m").is_err());
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn secret_options_are_refused_without_echoing_the_value() {
        let args: Vec<OsString> = ["oort", "collect", "--client-secret=hunter2"]
            .iter()
            .map(OsString::from)
            .collect();
        let err = refuse_secret_arguments(&args).unwrap_err();
        assert_eq!(err.code, 2);
        assert!(err.message.contains("OORT_CLIENT_SECRET"));
        assert!(!err.message.contains("hunter2"));
    }

    #[test]
    fn notification_secrets_are_refused_naming_their_variable() {
        for (arg, variable) in [
            (
                "--webhook-url=https://hooks.example/t0ken",
                "OORT_NOTIFY_WEBHOOK_URL",
            ),
            (
                "--teams-url=https://x.webhook.office.com/t0ken",
                "OORT_NOTIFY_TEAMS_URL",
            ),
            ("--webhook-secret=t0ken", "OORT_NOTIFY_WEBHOOK_SECRET"),
            ("--smtp-password=t0ken", "OORT_NOTIFY_SMTP_PASSWORD"),
        ] {
            let args: Vec<OsString> = ["oort", "checks", "--notify", arg]
                .iter()
                .map(OsString::from)
                .collect();
            let err = refuse_secret_arguments(&args).unwrap_err();
            assert_eq!(err.code, 2);
            assert!(err.message.contains(variable), "{}", err.message);
            assert!(!err.message.contains("t0ken"), "{}", err.message);
        }
    }
}

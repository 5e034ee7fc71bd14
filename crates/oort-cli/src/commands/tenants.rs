//! `oort tenants`: the tenant registry. Each tenant has its own app registration, cloud and
//! credential; a secret or certificate is sealed under the master key of
//! `OORT_MASTER_KEY_FILE` before it reaches the store, and is opened only to sign in (`test`,
//! `rotate-secret`, the workers). Only an administrator operator changes the registry; every
//! change is recorded by the store in the tenant's audit chain (a re-key in the operators'
//! chain), in the change's transaction.

use std::io::Read as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use entra_auth::{
    ClientCertificate, ClientCertificateCredential, ClientSecretCredential, Clock, Cloud,
    ManagedIdentityCredential, NetworkSettings, SystemClock, TokenCredential,
    WorkloadIdentityCredential,
};
use oort_store::prelude::*;
use oort_store::seal::{MasterKey, SealError, SecretBytes};
use oort_store::{
    seal_credential, AuditOutcome, AuditRecord, OperatorRecord, ProcessOrigin, SealedCredential,
    StreamKind, TenantChange, TenantCloud, TenantCredentialKind, TenantRecord, TenantState,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::cli::{SecretSource, TenantAddArgs, TenantsArgs, TenantsCommand};
use crate::config::{warn_if_shared, Settings};
use crate::connect::{connection, open_store, Connection};
use crate::error::CliError;
use crate::identity::{acting_administrator, origin};
use crate::output::{ts, Out, Table};

use super::test_connectivity::{connectivity_json, print_connectivity, probe};

/// The variable naming the master key file.
const MASTER_KEY_VAR: &str = "OORT_MASTER_KEY_FILE";

pub(super) async fn run(
    settings: &Settings,
    args: TenantsArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let store = open_store(&settings.store, &settings.network).await?;
    match args.command {
        TenantsCommand::List => list(&*store, &out).await,
        TenantsCommand::Show { tenant } => {
            let rec = find(&*store, &tenant).await?;
            show(&rec, &out);
            Ok(ExitCode::SUCCESS)
        }
        TenantsCommand::Test { tenant } => {
            let rec = find(&*store, &tenant).await?;
            let key = if rec.credential_kind.is_sealed() {
                Some(master_key()?)
            } else {
                None
            };
            let opened = rec.open_credential_or_exit(key.as_ref())?;
            let conn = tenant_connection(&rec, opened.as_ref(), &settings.network)?;
            test(&rec, &conn, &out).await
        }
        command => {
            let origin = origin()?;
            let me = acting_administrator(&*store, &origin, "change the tenant registry").await?;
            let actor = Actor {
                me: &me,
                origin: &origin,
            };
            change(&*store, settings, command, actor, &out).await
        }
    }
}

/// Who acts: the administrator and the process.
#[derive(Clone, Copy)]
struct Actor<'a> {
    me: &'a OperatorRecord,
    origin: &'a ProcessOrigin,
}

impl Actor<'_> {
    /// An audit entry of a registry change (never a secret in it).
    fn entry(
        self,
        action: &str,
        target: &str,
        entry: serde_json::Value,
        now: time::OffsetDateTime,
    ) -> AuditRecord {
        let mut rec = AuditRecord::intent(
            uuid::Uuid::new_v4().to_string(),
            now,
            &self.me.name,
            self.me.role.as_str(),
            action,
            entry,
        )
        .with_origin(Some(self.origin.clone()));
        rec.outcome = AuditOutcome::Success;
        rec.completed_at = Some(now);
        rec.target_id = Some(target.to_owned());
        rec
    }
}

async fn change(
    store: &dyn Store,
    settings: &Settings,
    command: TenantsCommand,
    actor: Actor<'_>,
    out: &Out,
) -> Result<ExitCode, CliError> {
    let now = SystemClock.now();
    match command {
        TenantsCommand::Add(args) => add(store, *args, actor, out, now).await,
        TenantsCommand::RotateSecret { tenant, secret } => {
            rotate(store, settings, &tenant, &secret, actor, out, now).await
        }
        TenantsCommand::Pause { tenant } => {
            let audit = actor.entry("tenant_pause", &tenant, json!({ "tenant": tenant }), now);
            let result = store
                .set_tenant_state(&tenant, &TenantState::Paused, now, Some(&audit))
                .await?;
            report(result, &tenant, &format!("paused {tenant}"), out)
        }
        TenantsCommand::Resume { tenant } => {
            let audit = actor.entry("tenant_resume", &tenant, json!({ "tenant": tenant }), now);
            let result = store
                .set_tenant_state(&tenant, &TenantState::Enabled, now, Some(&audit))
                .await?;
            report(result, &tenant, &format!("resumed {tenant}"), out)
        }
        TenantsCommand::Remove { tenant } => {
            let audit = actor.entry("tenant_remove", &tenant, json!({ "tenant": tenant }), now);
            let result = store.remove_tenant(&tenant, &audit).await?;
            report(
                result,
                &tenant,
                &format!(
                    "removed {tenant} from the registry (its collected data and audit trail stay)"
                ),
                out,
            )
        }
        TenantsCommand::Rekey { new_key_file } => {
            let old = master_key()?;
            let new = read_key(&new_key_file, "--new-key-file")?;
            if old.id() == new.id() {
                return Err(CliError::config(
                    "the new key is the key in OORT_MASTER_KEY_FILE: generate a new one with `head -c 32 /dev/urandom > FILE`",
                ));
            }
            let audit = actor.entry(
                "tenants_rekey",
                "tenant registry",
                json!({ "old_key_id": old.id(), "new_key_id": new.id() }),
                now,
            );
            let count = store
                .rekey_tenants(&old, &new, &audit)
                .await
                .map_err(sealed_error)?;
            out.line(format!(
                "re-sealed {count} credential(s) under key {}: set {MASTER_KEY_VAR} to {} now",
                new.id(),
                new_key_file.display()
            ));
            out.json(&json!({ "resealed": count, "old_key_id": old.id(), "new_key_id": new.id() }));
            Ok(ExitCode::SUCCESS)
        }
        TenantsCommand::List | TenantsCommand::Show { .. } | TenantsCommand::Test { .. } => {
            unreachable!("read-only commands are handled by run")
        }
    }
}

async fn add(
    store: &dyn Store,
    args: TenantAddArgs,
    actor: Actor<'_>,
    out: &Out,
    now: time::OffsetDateTime,
) -> Result<ExitCode, CliError> {
    let cloud = registry_cloud(&args)?;
    // The hosts are checked before anything is stored (plain http only to loopback, and not a
    // real login with a fake Graph).
    auth_cloud(&cloud)?;
    let kind = if args.managed_identity {
        TenantCredentialKind::ManagedIdentity
    } else if args.workload_identity {
        TenantCredentialKind::WorkloadIdentity
    } else if args.secret.certificate.is_some() {
        TenantCredentialKind::Certificate
    } else if args.secret.secret_file.is_some() || args.secret.secret_stdin {
        TenantCredentialKind::Secret
    } else {
        return Err(CliError::config(
            "no credential: give --secret-file FILE, --secret-stdin, --certificate FILE, --managed-identity or --workload-identity --token-file FILE",
        ));
    };
    let mut rec = TenantRecord::new(&args.tenant_id, &args.client_id, kind, now);
    rec.display_name = args.name;
    rec.cloud = cloud;
    rec.devices = args.devices;
    rec.interval_seconds = args.interval.as_secs() as i64;
    rec.break_glass_accounts = args.break_glass_accounts;
    rec.protected_accounts = args.protected_accounts;
    rec.disabled_streams = args
        .disabled_streams
        .iter()
        .map(|s| {
            StreamKind::ALL
                .iter()
                .copied()
                .find(|k| k.as_str() == s.trim())
                .ok_or_else(|| {
                    let names: Vec<_> = StreamKind::ALL.iter().map(|k| k.as_str()).collect();
                    CliError::config(format!(
                        "--disable-stream {s:?} is not a stream: use one of {}",
                        names.join(", ")
                    ))
                })
        })
        .collect::<Result<_, _>>()?;
    rec.identity_client_id = args.identity_client_id;
    rec.token_file = args
        .token_file
        .map(|p| std::path::absolute(&p).unwrap_or(p).display().to_string());
    if kind.is_sealed() {
        let key = master_key()?;
        let credential = read_credential(&args.secret)?;
        let sealed = seal_credential(&key, &rec.tenant_id, &credential)
            .map_err(|e| CliError::failure(format!("cannot seal the credential: {e}")))?;
        rec = rec.with_sealed_credential(sealed);
    }
    let audit = actor.entry(
        "tenant_add",
        &rec.tenant_id,
        json!({
            "tenant": rec.tenant_id,
            "name": rec.display_name,
            "client_id": rec.client_id,
            "cloud": rec.cloud,
            "credential_kind": rec.credential_kind,
        }),
        now,
    );
    let result = store.add_tenant(&rec, &audit).await?;
    report(
        result,
        &rec.tenant_id,
        &format!(
            "added {} ({} credential{}): check it with `oort tenants test {}`",
            rec.tenant_id,
            rec.credential_kind,
            if kind.is_sealed() { ", sealed" } else { "" },
            rec.tenant_id
        ),
        out,
    )
}

#[allow(clippy::too_many_arguments)]
async fn rotate(
    store: &dyn Store,
    settings: &Settings,
    tenant: &str,
    source: &SecretSource,
    actor: Actor<'_>,
    out: &Out,
    now: time::OffsetDateTime,
) -> Result<ExitCode, CliError> {
    let rec = find(store, tenant).await?;
    if !rec.credential_kind.is_sealed() {
        return Err(CliError::config(format!(
            "tenant {tenant} signs in with a {} credential, which has no secret to rotate",
            rec.credential_kind
        )));
    }
    let key = master_key()?;
    // The stored credential must open: a wrong master key is found before anything changes.
    rec.open_credential_or_exit(Some(&key))?;
    let credential = read_credential(source)?;
    if credential.kind() != rec.credential_kind {
        return Err(CliError::config(format!(
            "tenant {tenant} signs in with a {} credential: give {}",
            rec.credential_kind,
            if rec.credential_kind == TenantCredentialKind::Certificate {
                "--certificate FILE"
            } else {
                "--secret-file FILE or --secret-stdin"
            }
        )));
    }
    // The new credential must obtain a token before it replaces the old one.
    let conn = tenant_connection(&rec, Some(&credential), &settings.network)?;
    if let Err(e) = conn.credential.get_token(&conn.scope).await {
        return Err(CliError::config(format!(
            "the new credential of {tenant} does not sign in, so the stored one was kept: {e}"
        )));
    }
    let sealed = seal_credential(&key, &rec.tenant_id, &credential)
        .map_err(|e| CliError::failure(format!("cannot seal the credential: {e}")))?;
    let audit = actor.entry(
        "tenant_rotate_secret",
        tenant,
        json!({ "tenant": tenant, "credential_kind": rec.credential_kind }),
        now,
    );
    let result = store
        .replace_tenant_credential(tenant, &sealed, &audit)
        .await?;
    report(
        result,
        tenant,
        &format!(
            "the new credential of {tenant} signed in and replaced the old one at {}",
            ts(now)
        ),
        out,
    )
}

async fn list(store: &dyn Store, out: &Out) -> Result<ExitCode, CliError> {
    let tenants = store.tenants().await?;
    let mut table = Table::new([
        "tenant",
        "name",
        "cloud",
        "client id",
        "credential",
        "state",
        "interval",
        "updated",
    ]);
    for t in &tenants {
        table.row([
            t.tenant_id.clone(),
            t.display_name.clone().unwrap_or_else(|| "-".to_owned()),
            t.cloud.as_str().to_owned(),
            t.client_id.clone(),
            t.credential_kind.to_string(),
            state_text(&t.state),
            format!("{}s", t.interval_seconds),
            ts(t.updated_at),
        ]);
    }
    if tenants.is_empty() {
        out.line("no tenants in the registry: add one with `oort tenants add`");
    } else {
        out.table(&table);
    }
    out.json(&json!({ "tenants": tenants }));
    Ok(ExitCode::SUCCESS)
}

fn state_text(state: &TenantState) -> String {
    match state {
        TenantState::Failing { last_error, since } => {
            format!("failing since {}: {last_error}", ts(*since))
        }
        other => other.as_str().to_owned(),
    }
}

fn show(rec: &TenantRecord, out: &Out) {
    let (authority, graph) = rec.cloud.hosts();
    let none = || "-".to_owned();
    let list = |v: &[String]| if v.is_empty() { none() } else { v.join(", ") };
    let mut table = Table::new(["field", "value"]);
    for (field, value) in [
        ("tenant", rec.tenant_id.clone()),
        ("name", rec.display_name.clone().unwrap_or_else(none)),
        ("cloud", rec.cloud.as_str().to_owned()),
        ("authority host", authority.map_or_else(none, str::to_owned)),
        ("Graph URL", graph.map_or_else(none, str::to_owned)),
        ("client id", rec.client_id.clone()),
        (
            "credential",
            if rec.credential_kind.is_sealed() {
                format!("{} (sealed)", rec.credential_kind)
            } else {
                rec.credential_kind.to_string()
            },
        ),
        (
            "identity client id",
            rec.identity_client_id.clone().unwrap_or_else(none),
        ),
        ("token file", rec.token_file.clone().unwrap_or_else(none)),
        ("devices", rec.devices.to_string()),
        (
            "disabled streams",
            list(
                &rec.disabled_streams
                    .iter()
                    .map(|s| s.as_str().to_owned())
                    .collect::<Vec<_>>(),
            ),
        ),
        ("interval", format!("{}s", rec.interval_seconds)),
        ("break-glass accounts", list(&rec.break_glass_accounts)),
        ("protected accounts", list(&rec.protected_accounts)),
        ("state", state_text(&rec.state)),
        ("added", ts(rec.created_at)),
        ("updated", ts(rec.updated_at)),
        (
            "credential rotated",
            rec.credential_rotated_at.map_or_else(none, ts),
        ),
    ] {
        table.row([field.to_owned(), value]);
    }
    out.table(&table);
    out.json(&json!({ "tenant": rec }));
}

async fn test(rec: &TenantRecord, conn: &Connection, out: &Out) -> Result<ExitCode, CliError> {
    let cloud = auth_cloud(&rec.cloud)?;
    let authority = cloud.authority_host();
    let authority = authority.as_str().trim_end_matches('/');
    let graph = cloud.graph_root();
    let graph = graph.as_str().trim_end_matches('/');
    out.line(format!("tenant: {}", rec.tenant_id));
    out.line(format!(
        "authority host: {authority} (the credential is sent here)"
    ));
    out.line(format!("Graph: {graph}"));
    out.line(format!("credential: {}", rec.credential_kind));
    let report = probe(conn).await?;
    let connected = print_connectivity(&report, out);
    let mut doc = connectivity_json(&report);
    doc["tenant"] = json!(rec.tenant_id);
    doc["credential"] = json!(rec.credential_kind);
    doc["authority_host"] = json!(authority);
    doc["graph_url"] = json!(graph);
    out.json(&doc);
    if connected {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(CliError::config(format!(
            "tenant {} is not connected: the app cannot read the directory's users",
            rec.tenant_id
        )))
    }
}

/// Prints the result of a change; anything but `Done` is an error saying why.
fn report(result: TenantChange, tenant: &str, done: &str, out: &Out) -> Result<ExitCode, CliError> {
    match result {
        TenantChange::Done => {
            out.line(done);
            out.json(&json!({ "tenant": tenant, "result": result }));
            Ok(ExitCode::SUCCESS)
        }
        TenantChange::NotFound => Err(CliError::failure(format!(
            "there is no tenant {tenant:?} in the registry: see `oort tenants list`"
        ))),
        TenantChange::AlreadyExists => Err(CliError::failure(format!(
            "tenant {tenant:?} is in the registry already: replace its credential with `oort tenants rotate-secret`, or remove it first"
        ))),
        other => Err(CliError::failure(format!(
            "the change of {tenant:?} was refused: {other:?}"
        ))),
    }
}

async fn find(store: &dyn Store, tenant: &str) -> Result<TenantRecord, CliError> {
    store.tenant(tenant).await?.ok_or_else(|| {
        CliError::failure(format!(
            "there is no tenant {tenant:?} in the registry: see `oort tenants list`"
        ))
    })
}

/// A sealing error of the store's (a re-key) as a configuration error (exit 2).
fn sealed_error(e: oort_store::StoreError) -> CliError {
    if e.seal_error().is_some() {
        CliError::config(e.to_string())
    } else {
        CliError::from(e)
    }
}

trait OpenOrExit {
    fn open_credential_or_exit(
        &self,
        key: Option<&MasterKey>,
    ) -> Result<Option<SealedCredential>, CliError>;
}

impl OpenOrExit for TenantRecord {
    /// The opened credential (`None` for kinds without one); a credential that does not open is
    /// a configuration error (exit 2) saying why: the wrong key (naming OORT_MASTER_KEY_FILE),
    /// another tenant's value, a changed value.
    fn open_credential_or_exit(
        &self,
        key: Option<&MasterKey>,
    ) -> Result<Option<SealedCredential>, CliError> {
        let Some(key) = key else { return Ok(None) };
        if self.credential_kind.is_sealed() && self.sealed_credential.is_none() {
            return Err(CliError::config(format!(
                "tenant {} has no stored credential: replace it with `oort tenants rotate-secret`",
                self.tenant_id
            )));
        }
        self.open_credential(key).map_err(|e: SealError| {
            CliError::config(format!("the credential of tenant {}: {e}", self.tenant_id))
        })
    }
}

/// The master key of `OORT_MASTER_KEY_FILE`.
fn master_key() -> Result<MasterKey, CliError> {
    let path = std::env::var_os(MASTER_KEY_VAR)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            CliError::config(format!(
                "no master key: set {MASTER_KEY_VAR} to a file of 32 random bytes (create one with `head -c 32 /dev/urandom > oort-master.key && chmod 600 oort-master.key`); the registry's credentials are sealed under it"
            ))
        })?;
    read_key(Path::new(&path), MASTER_KEY_VAR)
}

/// A key file (`what` names where it was given); a file others can read gets a warning.
fn read_key(path: &Path, what: &str) -> Result<MasterKey, CliError> {
    let contents = zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| {
        CliError::config(format!(
            "cannot read the master key file {} ({what}): {e}",
            path.display()
        ))
    })?);
    let mut warnings = Vec::new();
    warn_if_shared(path, "the master key file", &mut warnings);
    for w in warnings {
        eprintln!("warning: {w}");
    }
    MasterKey::from_file_contents(&contents)
        .map_err(|e| CliError::config(format!("{what} {}: {e}", path.display())))
}

/// The new credential of `add` or `rotate-secret`, from its file or standard input.
fn read_credential(source: &SecretSource) -> Result<SealedCredential, CliError> {
    if let Some(path) = &source.certificate {
        let file = std::fs::read(path).map_err(|e| {
            CliError::config(format!(
                "cannot read the certificate file {}: {e}",
                path.display()
            ))
        })?;
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let password = source
            .certificate_password_file
            .as_deref()
            .map(|p| read_secret(p, "certificate password"))
            .transpose()?;
        return Ok(SealedCredential::Certificate {
            file: SecretBytes::from(file),
            pkcs12: ext == "pfx" || ext == "p12",
            password,
        });
    }
    if let Some(path) = &source.secret_file {
        return Ok(SealedCredential::ClientSecret(read_secret(
            path,
            "client secret",
        )?));
    }
    if source.secret_stdin {
        let mut text = zeroize::Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::config(format!("cannot read the secret from stdin: {e}")))?;
        let secret = text.trim();
        if secret.is_empty() {
            return Err(CliError::config(
                "standard input held no secret: pipe the client secret into oort",
            ));
        }
        return Ok(SealedCredential::ClientSecret(SecretString::from(
            secret.to_owned(),
        )));
    }
    Err(CliError::config(
        "no new credential: give --secret-file FILE, --secret-stdin or --certificate FILE",
    ))
}

/// A secret file's content, surrounding whitespace removed.
fn read_secret(path: &Path, what: &str) -> Result<SecretString, CliError> {
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "cannot read the {what} file {}: {e}",
            path.display()
        ))
    })?);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(CliError::config(format!(
            "the {what} file {} is empty",
            path.display()
        )));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

/// The cloud of `add`'s options.
fn registry_cloud(args: &TenantAddArgs) -> Result<TenantCloud, CliError> {
    if let (Some(authority_host), Some(graph_url)) = (&args.authority_host, &args.graph_url) {
        return Ok(TenantCloud::Custom {
            authority_host: authority_host.trim_end_matches('/').to_owned(),
            graph_url: graph_url.trim_end_matches('/').to_owned(),
        });
    }
    let name = args.cloud.as_deref().unwrap_or("global");
    let normalised: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    Ok(match normalised.as_str() {
        "global" => TenantCloud::Global,
        "usgov" => TenantCloud::Usgov,
        "usgovdod" => TenantCloud::UsgovDod,
        "china" => TenantCloud::China,
        _ => {
            return Err(CliError::config(format!(
                "--cloud {name:?} is not a cloud: use global, usgov, usgov-dod or china, or give --authority-host and --graph-url"
            )))
        }
    })
}

/// The credential library's cloud of a registry cloud, its hosts checked: `https`, or plain
/// http to loopback only, and no real login beside a fake (loopback) Graph.
fn auth_cloud(cloud: &TenantCloud) -> Result<Cloud, CliError> {
    let c = match cloud {
        TenantCloud::Global => Cloud::Global,
        TenantCloud::Usgov => Cloud::UsGov,
        TenantCloud::UsgovDod => Cloud::UsGovDod,
        TenantCloud::China => Cloud::china(),
        TenantCloud::Custom {
            authority_host,
            graph_url,
        } => Cloud::custom(authority_host, graph_url)
            .map_err(|e| CliError::config(format!("--authority-host / --graph-url: {e}")))?,
        other => {
            return Err(CliError::config(format!(
                "the cloud {} is not known to this oort: upgrade oort",
                other.as_str()
            )))
        }
    };
    if c.has_loopback_graph() && !c.has_loopback_authority() {
        return Err(CliError::config(
            "the Graph URL is on loopback (a fake tenant) but the authority host is not: a real token would be sent over plain http; give the same fake tenant's authority host",
        ));
    }
    Ok(c)
}

/// The tenant's credential and Graph client, from its record and its opened credential.
fn tenant_connection(
    rec: &TenantRecord,
    opened: Option<&SealedCredential>,
    network: &NetworkSettings,
) -> Result<Connection, CliError> {
    let cloud = auth_cloud(&rec.cloud)?;
    // A fake tenant on loopback answers for the global Graph resource only.
    let scope = if cloud.has_loopback_graph() {
        Cloud::Global.graph_scope()
    } else {
        cloud.graph_scope()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let (tenant, client) = (rec.tenant_id.clone(), rec.client_id.clone());
    let inner: Arc<dyn TokenCredential> = match (rec.credential_kind, opened) {
        (TenantCredentialKind::Secret, Some(SealedCredential::ClientSecret(secret))) => Arc::new(
            ClientSecretCredential::builder(tenant.clone(), client, secret.clone())
                .cloud(cloud.clone())
                .clock(clock)
                .network(network.clone())
                .build()?,
        ),
        (
            TenantCredentialKind::Certificate,
            Some(SealedCredential::Certificate {
                file,
                pkcs12,
                password,
            }),
        ) => {
            let certificate = if *pkcs12 {
                ClientCertificate::from_pkcs12(file.expose_secret(), password.as_ref())?
            } else {
                ClientCertificate::from_pem(file.expose_secret(), file.expose_secret())?
            };
            Arc::new(
                ClientCertificateCredential::builder(tenant.clone(), client, certificate)
                    .cloud(cloud.clone())
                    .clock(clock)
                    .network(network.clone())
                    .build()?,
            )
        }
        (TenantCredentialKind::ManagedIdentity, _) => {
            let mut builder = ManagedIdentityCredential::builder()
                .clock(clock)
                .network(network.clone());
            // App Service and Functions name their identity endpoint in the environment.
            if let (Ok(endpoint), Ok(header)) = (
                std::env::var("IDENTITY_ENDPOINT"),
                std::env::var("IDENTITY_HEADER"),
            ) {
                builder = builder.app_service(endpoint, SecretString::from(header));
            }
            if let Some(id) = &rec.identity_client_id {
                builder = builder.user_assigned_client_id(id.clone());
            }
            Arc::new(builder.build()?)
        }
        (TenantCredentialKind::WorkloadIdentity, _) => {
            let file = rec.token_file.clone().ok_or_else(|| {
                CliError::config(format!(
                    "tenant {} uses a workload identity without a token file: remove it and add it again with --token-file",
                    rec.tenant_id
                ))
            })?;
            Arc::new(
                WorkloadIdentityCredential::builder(tenant.clone(), client, file)
                    .cloud(cloud.clone())
                    .clock(clock)
                    .network(network.clone())
                    .build()?,
            )
        }
        (kind, _) => {
            return Err(CliError::config(format!(
                "tenant {} has no usable {kind} credential: replace it with `oort tenants rotate-secret`",
                rec.tenant_id
            )))
        }
    };
    connection(tenant, inner, &cloud, &scope, network, false)
}

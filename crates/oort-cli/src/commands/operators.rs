//! `oort operators`: who may act, in which role, as which OS accounts. Only an administrator
//! operator manages them; `bootstrap` creates the first administrator on an empty table. Every
//! change is recorded in the operators' audit chain by the store, in the change's transaction.

use std::path::Path;
use std::process::ExitCode;

use argon2::password_hash::{PasswordHasher, SaltString};
use entra_auth::{Clock, SystemClock};
use oort_store::{
    AuditOutcome, AuditRecord, OperatorChange, OperatorRecord, ProcessOrigin, StoredRole,
};
use password_hash::rand_core::OsRng;
use serde_json::json;

use crate::cli::{OperatorsArgs, OperatorsCommand, RoleArg};
use crate::config::Settings;
use crate::connect::open_store;
use crate::error::CliError;
use crate::identity::{acting_administrator, origin};
use crate::output::{ts, Out, Table};

impl RoleArg {
    pub(crate) fn stored(self) -> StoredRole {
        match self {
            RoleArg::Administrator => StoredRole::Administrator,
            RoleArg::HelpDesk => StoredRole::HelpDesk,
            RoleArg::ReadOnly => StoredRole::ReadOnly,
        }
    }
}

pub(super) async fn run(
    settings: &Settings,
    args: OperatorsArgs,
    out: Out,
) -> Result<ExitCode, CliError> {
    let store = open_store(&settings.store, &settings.network).await?;
    let origin = origin()?;
    let now = SystemClock.now();
    if let OperatorsCommand::Bootstrap { name } = &args.command {
        let name = name.clone().unwrap_or_else(|| origin.os_user.clone());
        let op = OperatorRecord::new(name.clone(), StoredRole::Administrator, now)
            .with_os_users([origin.os_user.clone()]);
        let audit = change_entry(
            &name,
            StoredRole::Administrator,
            &origin,
            "operator_bootstrap",
            &op,
            now,
        );
        let result = store.bootstrap_operator(&op, &audit).await?;
        return report(
            result,
            &op.name,
            &format!(
                "{} is the first administrator, acting as the OS account {:?}",
                op.name, origin.os_user
            ),
            &out,
        );
    }
    let me = acting_administrator(&*store, &origin, "manage operators").await?;
    match args.command {
        OperatorsCommand::Bootstrap { .. } => unreachable!("handled above"),
        OperatorsCommand::List => {
            let ops = store.operators().await?;
            let mut table = Table::new(["name", "role", "os accounts", "password", "updated"]);
            for op in &ops {
                table.row([
                    op.name.clone(),
                    op.role.to_string(),
                    op.os_users.join(", "),
                    if op.password_hash.is_some() {
                        "set"
                    } else {
                        "-"
                    }
                    .to_owned(),
                    ts(op.updated_at),
                ]);
            }
            out.table(&table);
            out.json(&json!({ "operators": ops }));
            Ok(ExitCode::SUCCESS)
        }
        OperatorsCommand::Add {
            name,
            role,
            os_users,
            password_file,
        } => {
            let mut op =
                OperatorRecord::new(name.clone(), role.stored(), now).with_os_users(os_users);
            if let Some(path) = password_file {
                op = op.with_password_hash(hash_password_file(&path)?);
            }
            let audit = change_entry(&me.name, me.role, &origin, "operator_add", &op, now);
            let result = store.add_operator(&op, &audit).await?;
            report(result, &name, &format!("added {name} ({})", op.role), &out)
        }
        OperatorsCommand::SetRole { name, role } => {
            let mut audit = change_entry(
                &me.name,
                me.role,
                &origin,
                "operator_set_role",
                &OperatorRecord::new(name.clone(), role.stored(), now),
                now,
            );
            audit.entry = json!({ "operator": name, "role": role.stored() });
            let result = store
                .set_operator_role(&name, role.stored(), &audit)
                .await?;
            report(
                result,
                &name,
                &format!("{name} is now {}", role.stored()),
                &out,
            )
        }
        OperatorsCommand::Remove { name } => {
            let mut audit = change_entry(
                &me.name,
                me.role,
                &origin,
                "operator_remove",
                &OperatorRecord::new(name.clone(), StoredRole::ReadOnly, now),
                now,
            );
            audit.entry = json!({ "operator": name });
            let result = store.remove_operator(&name, &audit).await?;
            report(result, &name, &format!("removed {name}"), &out)
        }
    }
}

/// The audit entry of an operator change by `actor` (the password hash is never in it).
fn change_entry(
    actor: &str,
    actor_role: StoredRole,
    origin: &ProcessOrigin,
    action: &str,
    op: &OperatorRecord,
    now: time::OffsetDateTime,
) -> AuditRecord {
    let mut rec = AuditRecord::intent(
        uuid::Uuid::new_v4().to_string(),
        now,
        actor,
        actor_role.as_str(),
        action,
        json!({
            "operator": op.name,
            "role": op.role,
            "os_users": op.os_users,
            "password_set": op.password_hash.is_some(),
        }),
    )
    .with_origin(Some(origin.clone()));
    rec.outcome = AuditOutcome::Success;
    rec.completed_at = Some(now);
    rec.target_id = Some(op.name.clone());
    rec
}

/// Prints the result of a change; anything but `Done` is an error saying why.
fn report(result: OperatorChange, name: &str, done: &str, out: &Out) -> Result<ExitCode, CliError> {
    let refused = |why: String| Err(CliError::failure(why));
    match result {
        OperatorChange::Done => {
            out.line(done);
            out.json(&json!({ "operator": name, "result": result }));
            Ok(ExitCode::SUCCESS)
        }
        OperatorChange::NotFound => refused(format!("there is no operator {name:?}: see `oort operators list`")),
        OperatorChange::AlreadyExists => refused(format!("an operator {name:?} exists already: change it with `oort operators set-role`, or choose another name")),
        OperatorChange::OsUserTaken { os_user, operator } => refused(format!("the OS account {os_user:?} already acts as operator {operator:?}: an account acts as one operator; remove it from {operator:?} first")),
        OperatorChange::LastAdministrator => refused(format!("{name:?} is the last administrator: make another operator administrator first, or nobody could manage operators")),
        OperatorChange::NotEmpty => refused("the store has operators already: bootstrap only creates the first; an administrator adds more with `oort operators add`".to_owned()),
        other => refused(format!("the change of {name:?} was refused: {other:?}")),
    }
}

/// An argon2id PHC string of the password in `path` (its one line; a trailing newline is not
/// part of it). The password never crosses the command line.
fn hash_password_file(path: &Path) -> Result<String, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::config(format!(
            "cannot read the password file {}: {e}",
            path.display()
        ))
    })?;
    let password = text.strip_suffix('\n').unwrap_or(&text);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        return Err(CliError::config(format!(
            "the password file {} is empty: write the password on its first line",
            path.display()
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    // Argon2::default() is argon2id, version 19, m = 19 MiB, t = 2, p = 1 (OWASP's minimum).
    let hash = argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| CliError::failure(format!("cannot hash the password: {e}")))?;
    Ok(hash.to_string())
}

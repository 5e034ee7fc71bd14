//! Who is acting: the OS account of the process's real uid (not `$USER`, which anyone may set),
//! the host and the process, and the operator that account is mapped to in the store.

use oort_store::prelude::*;
use oort_store::{OperatorRecord, ProcessOrigin, StoredRole};

use crate::error::CliError;

/// The real uid's account name, the host name, the pid and the executable.
pub(crate) fn origin() -> Result<ProcessOrigin, CliError> {
    let uid = nix::unistd::getuid();
    let user = nix::unistd::User::from_uid(uid)
        .map_err(|e| {
            CliError::failure(format!("cannot read the account of uid {uid} ({e}): oort names the OS account that acts"))
        })?
        .ok_or_else(|| {
            CliError::failure(format!(
                "uid {uid} has no account name (no passwd entry): oort acts only as a named OS account"
            ))
        })?;
    let host = nix::unistd::gethostname()
        .map_err(|e| CliError::failure(format!("cannot read the host name: {e}")))?
        .to_string_lossy()
        .into_owned();
    let exe = std::env::current_exe()
        .map_err(|e| {
            CliError::failure(format!("cannot read the path of the oort executable: {e}"))
        })?
        .display()
        .to_string();
    Ok(ProcessOrigin::new(user.name, host, std::process::id(), exe))
}

/// The operator the OS account of `origin` is mapped to, or an error saying who can add one.
pub(crate) async fn acting_operator(
    store: &dyn Store,
    origin: &ProcessOrigin,
) -> Result<OperatorRecord, CliError> {
    match store.operator_for_os_user(&origin.os_user).await? {
        Some(op) => Ok(op),
        None => Err(CliError::config(format!(
            "the OS account {:?} is not mapped to an oort operator, so it may not act: an administrator adds it with `oort operators add NAME --role ROLE --os-user {}`, or, on a store without operators, `oort operators bootstrap` makes the account running it the first administrator",
            origin.os_user, origin.os_user
        ))),
    }
}

/// The operator acting, when it is an administrator; otherwise an error saying that only an
/// administrator may do `what` (e.g. "manage operators").
pub(crate) async fn acting_administrator(
    store: &dyn Store,
    origin: &ProcessOrigin,
    what: &str,
) -> Result<OperatorRecord, CliError> {
    let me = acting_operator(store, origin).await?;
    if me.role != StoredRole::Administrator {
        return Err(CliError::failure(format!(
            "operator {} ({}) may not {what}: only an administrator may",
            me.name, me.role
        )));
    }
    Ok(me)
}

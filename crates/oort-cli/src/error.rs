//! The CLI's error: one line saying what to do, and the exit code.

use std::fmt;

/// Exit code of a configuration error or a tenant that is not connected.
pub(crate) const EXIT_CONFIG: u8 = 2;
/// Exit code of anything else that failed.
pub(crate) const EXIT_FAILURE: u8 = 1;
/// Exit code of a collection that did not run because another collection of the tenant holds
/// its lease in the store (`oort collect` without `--wait`).
pub(crate) const EXIT_BUSY: u8 = 3;

/// An error to print as one line, with its exit code.
#[derive(Debug)]
pub(crate) struct CliError {
    pub(crate) message: String,
    pub(crate) code: u8,
}

impl CliError {
    /// A configuration problem or a tenant that is not connected (exit 2).
    pub(crate) fn config(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: EXIT_CONFIG,
        }
    }

    /// Anything else (exit 1).
    pub(crate) fn failure(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            code: EXIT_FAILURE,
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<oort_store::StoreError> for CliError {
    fn from(e: oort_store::StoreError) -> Self {
        CliError::failure(format!("store: {e}"))
    }
}

impl From<entra_auth::AuthError> for CliError {
    fn from(e: entra_auth::AuthError) -> Self {
        // No token means not connected, whatever the cause: exit 2.
        CliError::config(format!("not connected: {e}"))
    }
}

impl From<oort_checks::RunError> for CliError {
    fn from(e: oort_checks::RunError) -> Self {
        CliError::from(&e)
    }
}

impl From<&oort_checks::RunError> for CliError {
    fn from(e: &oort_checks::RunError) -> Self {
        match e {
            oort_checks::RunError::NoCollection => CliError::failure(
                "the store holds no collection for this tenant: run oort collect first",
            ),
            oort_checks::RunError::Config(e) => CliError::config(format!("checks: {e}")),
            other => CliError::failure(format!("checks: {other}")),
        }
    }
}

impl From<oort_collector::CollectError> for CliError {
    fn from(e: oort_collector::CollectError) -> Self {
        CliError::from(&e)
    }
}

/// A tenant whose lease another collection holds exits 3, naming the holder and since when.
impl From<&oort_collector::CollectError> for CliError {
    fn from(e: &oort_collector::CollectError) -> Self {
        use oort_collector::CollectError;
        match e {
            CollectError::Store(e) => CliError::failure(format!("store: {e}")),
            e if e.is_busy() => CliError {
                message: e.to_string(),
                code: EXIT_BUSY,
            },
            other => CliError::failure(other.to_string()),
        }
    }
}

impl From<oort_fleet::FleetError> for CliError {
    fn from(e: oort_fleet::FleetError) -> Self {
        CliError::from(&e)
    }
}

/// A stage of the collect -> checks -> notify cycle failed: the stage's own message.
impl From<&oort_fleet::FleetError> for CliError {
    fn from(e: &oort_fleet::FleetError) -> Self {
        use oort_fleet::FleetError;
        match e {
            FleetError::Collection(e) => CliError::failure(format!("store: {e}")),
            FleetError::Lease(e) => CliError::from(e),
            FleetError::Checks(e) => CliError::from(e),
            FleetError::Notify(e) => CliError::failure(format!("notify: {e}")),
            other => CliError::failure(other.to_string()),
        }
    }
}

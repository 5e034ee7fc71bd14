//! The store's error type.

use std::fmt;

/// What went wrong in the store.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The database could not be opened or reached.
    Unavailable,
    /// A query or write failed.
    Database,
    /// The database was written by a newer oort (schema version higher than this build knows).
    SchemaTooNew {
        /// The version in the database.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A stored value could not be read back (e.g. raw JSON that no longer parses).
    Corrupt {
        /// Table name.
        table: &'static str,
        /// Row id.
        id: String,
    },
    /// A tenant's sealed credential does not open (a wrong master key, a value moved from
    /// another tenant's row, a changed value): [`StoreError::seal_error`] says which.
    Sealed {
        /// The tenant whose credential it is.
        tenant: String,
    },
    /// A blocking task failed.
    Task,
}

/// An error of a [`Store`](super::Store) operation.
#[derive(Debug)]
pub struct StoreError {
    kind: StoreErrorKind,
    context: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "the constructors are for the backends")
)]
impl StoreError {
    pub(crate) fn new(
        kind: StoreErrorKind,
        context: impl Into<String>,
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        StoreError {
            kind,
            context: context.into(),
            source,
        }
    }

    pub(crate) fn database(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(StoreErrorKind::Database, context, Some(Box::new(source)))
    }

    pub(crate) fn unavailable(
        context: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self::new(StoreErrorKind::Unavailable, context, Some(Box::new(source)))
    }

    pub(crate) fn corrupt(
        table: &'static str,
        id: impl Into<String>,
        source: serde_json::Error,
    ) -> Self {
        Self::corrupt_value(table, id, "stored JSON", source)
    }

    /// A stored value (`what`: a time, a severity, ...) of row `id` that cannot be read.
    pub(crate) fn corrupt_value(
        table: &'static str,
        id: impl Into<String>,
        what: &'static str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        let id = id.into();
        Self::new(
            StoreErrorKind::Corrupt { table, id },
            what,
            Some(Box::new(source)),
        )
    }

    /// A blocking or background task of a store's writer failed (panicked or was cancelled).
    pub fn task(context: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Task, context, None)
    }

    /// A tenant's credential that does not open (or cannot be sealed).
    pub(crate) fn sealed(tenant: impl Into<String>, source: crate::seal::SealError) -> Self {
        Self::new(
            StoreErrorKind::Sealed {
                tenant: tenant.into(),
            },
            source.to_string(),
            Some(Box::new(source)),
        )
    }

    /// The sealing error of [`StoreErrorKind::Sealed`] (e.g. [`SealError::WrongKey`](crate::seal::SealError::WrongKey)).
    pub fn seal_error(&self) -> Option<&crate::seal::SealError> {
        match self.kind {
            StoreErrorKind::Sealed { .. } => self.source.as_deref()?.downcast_ref(),
            _ => None,
        }
    }

    /// What went wrong.
    pub fn kind(&self) -> &StoreErrorKind {
        &self.kind
    }

    /// Whether retrying later may succeed (the database was unreachable or busy).
    pub fn is_transient(&self) -> bool {
        matches!(self.kind, StoreErrorKind::Unavailable)
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            StoreErrorKind::Unavailable => write!(
                f,
                "the store is unavailable ({}): check OORT_STORE and that the database is reachable",
                self.context
            ),
            StoreErrorKind::Database => write!(f, "the store failed to {}", self.context),
            StoreErrorKind::SchemaTooNew { found, supported } => write!(
                f,
                "the store's schema version {found} is newer than this oort supports ({supported}): upgrade oort"
            ),
            StoreErrorKind::Corrupt { table, id } => write!(
                f,
                "row {id:?} of table {table} holds {} that cannot be read: restore the store from a backup or recollect",
                self.context
            ),
            StoreErrorKind::Sealed { tenant } => {
                write!(f, "the credential of tenant {tenant}: {}", self.context)
            }
            StoreErrorKind::Task => write!(f, "a store task failed: {}", self.context),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as _)
    }
}

/// For `map_err` on a database call (either backend's driver error): the error as
/// [`StoreErrorKind::Database`], with what was being done.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn db_err<E>(context: &'static str) -> impl Fn(E) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
{
    move |e| StoreError::database(context, e)
}

//! oort's operators: who may act, in which role, as which OS accounts.

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::names::stored_names;

stored_names! {
    /// An operator's role as the store keeps it (the names of `oort_remediation::OperatorRole`,
    /// which maps from it).
    #[non_exhaustive]
    pub enum StoredRole ("operator role") {
        /// May take every action and manage operators.
        Administrator = "administrator",
        /// May update a user's type, log a user out and reset MFA; may not delete.
        HelpDesk = "help-desk",
        /// May take no action.
        ReadOnly = "read-only",
    }
}

/// An operator of oort: a person who acts on tenants within a role.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OperatorRecord {
    /// The operator's name (unique).
    pub name: String,
    /// The role.
    pub role: StoredRole,
    /// The local OS accounts this operator acts as (each maps to one operator at most).
    pub os_users: Vec<String>,
    /// The console password as an argon2id PHC string (`$argon2id$v=19$...`), if one was set.
    #[serde(skip_serializing)]
    pub password_hash: Option<String>,
    /// When the operator was added.
    #[serde(with = "entra_model::timestamp")]
    pub created_at: OffsetDateTime,
    /// When the operator was last changed.
    #[serde(with = "entra_model::timestamp")]
    pub updated_at: OffsetDateTime,
}

impl OperatorRecord {
    /// An operator without OS accounts nor password, created and updated at `at`.
    pub fn new(name: impl Into<String>, role: StoredRole, at: OffsetDateTime) -> Self {
        OperatorRecord {
            name: name.into(),
            role,
            os_users: Vec::new(),
            password_hash: None,
            created_at: crate::audit::to_micros(at),
            updated_at: crate::audit::to_micros(at),
        }
    }

    /// The same operator, acting as these OS accounts.
    pub fn with_os_users<I, S>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.os_users = users.into_iter().map(Into::into).collect();
        self
    }

    /// The same operator with a password hash (an argon2id PHC string).
    pub fn with_password_hash(mut self, hash: impl Into<String>) -> Self {
        self.password_hash = Some(hash.into());
        self
    }
}

impl fmt::Debug for OperatorRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The hash is not the password, but it is what an offline guessing attack needs.
        f.debug_struct("OperatorRecord")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("os_users", &self.os_users)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[REDACTED]"),
            )
            .field("created_at", &self.created_at)
            .field("updated_at", &self.updated_at)
            .finish()
    }
}

/// What a change to the operators did. Anything but `Done` changed nothing (and recorded
/// nothing in the audit chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
#[non_exhaustive]
pub enum OperatorChange {
    /// Changed, and recorded in the audit chain in the same transaction.
    Done,
    /// No operator has that name.
    NotFound,
    /// An operator with that name exists.
    AlreadyExists,
    /// The OS account already acts as another operator.
    OsUserTaken {
        /// The OS account.
        os_user: String,
        /// The operator it acts as.
        operator: String,
    },
    /// The change would leave no administrator (nobody could manage operators any more).
    LastAdministrator,
    /// Bootstrap refused: operators exist already (an administrator adds more).
    NotEmpty,
}

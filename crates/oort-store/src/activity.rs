//! Activity logs as read back: which sign-ins, what changed since the analysis looked, what
//! retention deleted.

use entra_model::{Raw, SignIn};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// What [`ActivityStore::prune`](crate::ActivityStore::prune) deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PruneSummary {
    /// Sign-ins deleted.
    pub sign_ins: u64,
    /// Directory audit entries deleted.
    pub directory_audits: u64,
}

/// Sign-ins written since an analysis last looked ([`ActivityStore::sign_in_changes`](crate::ActivityStore::sign_in_changes)): how far back it
/// must read to see them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignInChanges {
    /// The earliest `created_at` among them.
    pub earliest: OffsetDateTime,
    /// The mark's version: the number of batches that moved it. Clearing it with this version
    /// fails when a batch was written after it was read.
    pub version: i64,
}

/// Which sign-ins to read, in (created_at, id) order.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SignInQuery {
    /// Only sign-ins at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Only sign-ins before this time.
    pub until: Option<OffsetDateTime>,
    /// Keyset cursor: only sign-ins after this (created_at, id).
    pub after: Option<(OffsetDateTime, String)>,
    /// At most this many (default 1,000 when 0).
    pub limit: usize,
}

impl SignInQuery {
    /// Sign-ins in `[from, until)`, `limit` at a time.
    pub fn between(from: OffsetDateTime, until: OffsetDateTime, limit: usize) -> Self {
        SignInQuery {
            from: Some(from),
            until: Some(until),
            after: None,
            limit,
        }
    }

    /// Sets the page size.
    pub fn limit_to(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The next page after the last sign-in returned.
    pub fn after(mut self, last: &Raw<SignIn>) -> Self {
        if let Some(t) = last.value().created_date_time {
            self.after = Some((t, last.value().id.clone()));
        }
        self
    }
}

//! A tenant's lease: who holds it, since when, until when.

use serde::Serialize;
use time::OffsetDateTime;

/// The lease of one tenant as stored: its holder, when the holder took it and when it expires
/// unless renewed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Lease {
    /// The tenant.
    pub tenant: String,
    /// Who holds it: a worker's or a process's name (oort's own owners name the host and the
    /// process id, so an operator can find the holder).
    pub owner: String,
    /// When the holder took it (renewals keep it). `None` for a lease taken before the store
    /// recorded it (schema migration 10).
    #[serde(with = "time::serde::rfc3339::option")]
    pub since: Option<OffsetDateTime>,
    /// When it expires unless renewed: after that, anyone may take it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

impl Lease {
    /// A lease record (for stores and tests; the stores build them from their rows).
    pub fn new(
        tenant: impl Into<String>,
        owner: impl Into<String>,
        since: Option<OffsetDateTime>,
        expires_at: OffsetDateTime,
    ) -> Self {
        Lease {
            tenant: tenant.into(),
            owner: owner.into(),
            since,
            expires_at,
        }
    }

    /// Whether it still holds at `now` (it has not expired).
    pub fn is_live(&self, now: OffsetDateTime) -> bool {
        self.expires_at > now
    }
}

/// What [`LeaseStore::claim_lease`](crate::LeaseStore::claim_lease) got.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeaseClaim {
    /// The lease is the claimer's (newly taken, or extended when it already held it).
    Taken(Lease),
    /// Another owner holds a live lease: who, and since when.
    Held(Lease),
}

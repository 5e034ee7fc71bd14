//! The remediation audit trail's entries, and the hash chain that makes it tamper-evident.
//!
//! Every entry is appended, never updated nor deleted: an attempt is an intent entry (outcome
//! `incomplete`, written before the first Graph call) and an outcome entry (its final outcome),
//! two rows with the attempt's id. Each chain (one per tenant, and [`OPERATORS_CHAIN`] for the
//! changes to oort's operators) numbers its entries 1, 2, 3, ... (`seq`), and each entry carries
//! the SHA-256 of the entry before it (`prev_hash`; 64 zeros for the first) and its own hash over
//! its canonical serialisation ([`canonical_entry`]). Changing, removing or reordering a stored
//! entry therefore breaks the chain where it was done, and [`AuditStore::verify_audit_chain`]
//! (`oort audit verify`) says where.
//!
//! [`AuditStore::verify_audit_chain`]: crate::AuditStore::verify_audit_chain

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

use crate::names::stored_names;

/// The chain the changes to oort's operators (`oort operators ...`) are recorded in: operators
/// are not a tenant's, so their changes have a chain of their own beside the tenants' chains.
pub const OPERATORS_CHAIN: &str = "oort:operators";

/// The `prev_hash` of a chain's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The first element of the canonical serialisation: the version of its layout.
const CANONICAL_VERSION: &str = "oort-audit-chain/1";

stored_names! {
    /// How a remediation attempt ended, as the audit trail keeps it.
    #[non_exhaustive]
    pub enum AuditOutcome ("audit outcome") {
        /// Not finished: the intent recorded before the first Graph call. An attempt whose intent
        /// has no outcome entry was interrupted; check the tenant for what was done.
        Incomplete = "incomplete",
        /// A gate refused; nothing was changed.
        Refused = "refused",
        /// The plan was returned; nothing was changed.
        DryRun = "dry_run",
        /// Every change of the plan was made (or had already been made).
        Success = "success",
        /// Some changes were made and some could not be (see the per-call and per-method results).
        Partial = "partial",
        /// The action failed; the per-call results say how far it got.
        Failed = "failed",
    }
}

/// Where an action came from: the OS account, host and process that ran it (recorded with every
/// remediation, override and operator change).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProcessOrigin {
    /// The OS account the process runs as (the real uid's account name).
    pub os_user: String,
    /// The host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The executable's path.
    pub exe: String,
}

impl ProcessOrigin {
    /// An origin.
    pub fn new(
        os_user: impl Into<String>,
        host: impl Into<String>,
        pid: u32,
        exe: impl Into<String>,
    ) -> Self {
        ProcessOrigin {
            os_user: os_user.into(),
            host: host.into(),
            pid,
            exe: exe.into(),
        }
    }
}

/// An entry's place in its chain, as the store wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChainLink {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// The previous entry's hash ([`GENESIS_HASH`] for the first), lowercase hex.
    pub prev_hash: String,
    /// This entry's hash: SHA-256 of its canonical serialisation, lowercase hex.
    pub hash: String,
}

/// One entry of an audit chain. Appended once, never changed or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuditRecord {
    /// The attempt's id: its intent and its outcome entry share it.
    pub id: String,
    /// When the attempt was made. The store keeps it to the microsecond.
    #[serde(with = "entra_model::timestamp")]
    pub at: OffsetDateTime,
    /// Operator name.
    pub operator: String,
    /// Operator role.
    pub role: String,
    /// Action, e.g. `log_out`, `operator_add`.
    pub action: String,
    /// Target object id (or operator name), once resolved.
    pub target_id: Option<String>,
    /// Target UPN, once known.
    pub target_upn: Option<String>,
    /// `Incomplete` for an intent entry; the attempt's outcome for an outcome entry.
    pub outcome: AuditOutcome,
    /// When the outcome was recorded (outcome entries). The store keeps it to the microsecond.
    #[serde(with = "entra_model::timestamp::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// The OS account, host and process that acted, when known.
    pub origin: Option<ProcessOrigin>,
    /// The rest (plan, gates, per-call statuses and request ids), as the remediation crate defines it.
    pub entry: serde_json::Value,
    /// The entry's place in its chain: set by the store when read back (`None` before appending).
    pub link: Option<ChainLink>,
}

impl AuditRecord {
    /// An entry with outcome `incomplete` (an intent).
    pub fn intent(
        id: impl Into<String>,
        at: OffsetDateTime,
        operator: impl Into<String>,
        role: impl Into<String>,
        action: impl Into<String>,
        entry: serde_json::Value,
    ) -> Self {
        AuditRecord {
            id: id.into(),
            at,
            operator: operator.into(),
            role: role.into(),
            action: action.into(),
            target_id: None,
            target_upn: None,
            outcome: AuditOutcome::Incomplete,
            completed_at: None,
            origin: None,
            entry,
            link: None,
        }
    }

    /// The same entry with the origin of the action.
    pub fn with_origin(mut self, origin: Option<ProcessOrigin>) -> Self {
        self.origin = origin;
        self
    }

    /// The entry as a chain row, its times cut to the microsecond (what both backends keep).
    #[cfg_attr(
        not(any(feature = "sqlite", feature = "postgres")),
        allow(dead_code, reason = "for the backends")
    )]
    pub(crate) fn to_row(&self, chain: &str, seq: i64, prev_hash: &str) -> ChainRow {
        let o = self.origin.as_ref();
        ChainRow {
            chain: chain.to_owned(),
            seq,
            id: self.id.clone(),
            at: canonical_time(self.at),
            operator: self.operator.clone(),
            role: self.role.clone(),
            action: self.action.clone(),
            target_id: self.target_id.clone(),
            target_upn: self.target_upn.clone(),
            outcome: self.outcome.as_str().to_owned(),
            completed_at: self.completed_at.map(canonical_time),
            os_user: o.map(|o| o.os_user.clone()),
            host: o.map(|o| o.host.clone()),
            pid: o.map(|o| i64::from(o.pid)),
            exe: o.map(|o| o.exe.clone()),
            entry_json: self.entry.to_string(),
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        }
        .sealed()
    }
}

/// The origin of an entry from its four columns (all set, or none).
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "for the backends")
)]
pub(crate) fn origin_from(
    id: &str,
    (os_user, host, pid, exe): (Option<String>, Option<String>, Option<i64>, Option<String>),
) -> Result<Option<ProcessOrigin>, crate::StoreError> {
    Ok(match (os_user, host, pid, exe) {
        (Some(os_user), Some(host), Some(pid), Some(exe)) => {
            let pid = u32::try_from(pid).map_err(|e| {
                crate::StoreError::corrupt_value("audit_log", id, "a process id", e)
            })?;
            Some(ProcessOrigin::new(os_user, host, pid, exe))
        }
        _ => None,
    })
}

/// A time cut to the microsecond (what PostgreSQL's `timestamptz` keeps), so that the time
/// hashed is the time stored in either backend.
pub(crate) fn to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let t = t.to_offset(UtcOffset::UTC);
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// A time as the canonical serialisation writes it: UTC, RFC 3339, exactly six fractional
/// digits, `Z` (`2024-05-01T10:11:12.123456Z`).
pub(crate) fn canonical_time(t: OffsetDateTime) -> String {
    let t = to_micros(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.nanosecond() / 1_000
    )
}

/// An audit entry as stored, every column as the text (or number) the database holds: what
/// the hash is computed over, and what verification reads (so that a value that no longer
/// parses is reported as a change, not an error).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "for the backends")
)]
pub(crate) struct ChainRow {
    pub(crate) chain: String,
    pub(crate) seq: i64,
    pub(crate) id: String,
    /// [`canonical_time`] of the stored time (or the stored text when it does not parse).
    pub(crate) at: String,
    pub(crate) operator: String,
    pub(crate) role: String,
    pub(crate) action: String,
    pub(crate) target_id: Option<String>,
    pub(crate) target_upn: Option<String>,
    pub(crate) outcome: String,
    pub(crate) completed_at: Option<String>,
    pub(crate) os_user: Option<String>,
    pub(crate) host: Option<String>,
    pub(crate) pid: Option<i64>,
    pub(crate) exe: Option<String>,
    pub(crate) entry_json: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "for the backends")
)]
impl ChainRow {
    /// The row with its hash set.
    pub(crate) fn sealed(mut self) -> Self {
        self.hash = self.computed_hash();
        self
    }

    /// The hash of this row's canonical serialisation.
    pub(crate) fn computed_hash(&self) -> String {
        self.hash_at(self.seq)
    }

    /// The hash this row would have at position `seq`.
    fn hash_at(&self, seq: i64) -> String {
        hex(&Sha256::digest(canonical_entry(self, seq).as_bytes()))
    }
}

/// The canonical serialisation of an entry, the bytes its hash is computed over: the UTF-8 of a
/// compact JSON array (serde_json's escaping, no spaces) of, in this order,
/// `"oort-audit-chain/1"`, chain (tenant id), seq (number), prev_hash (hex), id, at, operator,
/// role, action, target_id, target_upn, outcome, completed_at, os_user, host, pid (number),
/// exe, entry_json (the stored JSON text, as a string); absent values are `null`, times are
/// [`canonical_time`]. Documented in `docs/store-schema.md`.
pub(crate) fn canonical_entry(r: &ChainRow, seq: i64) -> String {
    let v = serde_json::json!([
        CANONICAL_VERSION,
        r.chain,
        seq,
        r.prev_hash,
        r.id,
        r.at,
        r.operator,
        r.role,
        r.action,
        r.target_id,
        r.target_upn,
        r.outcome,
        r.completed_at,
        r.os_user,
        r.host,
        r.pid,
        r.exe,
        r.entry_json,
    ]);
    v.to_string()
}

fn hex(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// What is wrong with a chain, at its first problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChainProblemKind {
    /// The entry's content no longer matches its hash: it was changed after it was written.
    Changed,
    /// Entries `first` to `last` are missing: they were removed.
    Removed {
        /// First missing position.
        first: i64,
        /// Last missing position.
        last: i64,
    },
    /// The entry was written at position `written_at` and now stands at `seq`: entries were
    /// reordered.
    Reordered {
        /// Where the entry was written.
        written_at: i64,
    },
    /// The entry is intact but does not follow the entry before it as that one was written:
    /// the entry before it (or this one) was rewritten, hash included.
    BrokenLink,
}

/// The first problem of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChainProblem {
    /// Where the problem is: the position of the entry found changed or reordered, or of the
    /// first entry after those removed.
    pub seq: i64,
    /// The id of the entry at `seq`.
    pub id: String,
    /// What is wrong.
    #[serde(flatten)]
    pub kind: ChainProblemKind,
}

impl fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ChainProblemKind::Changed => write!(
                f,
                "entry {} (attempt {}) was changed after it was written: its content does not match its hash",
                self.seq, self.id
            ),
            ChainProblemKind::Removed { first, last } if first == last => write!(
                f,
                "entry {first} was removed (the chain goes on at entry {}, attempt {})",
                self.seq, self.id
            ),
            ChainProblemKind::Removed { first, last } => write!(
                f,
                "entries {first} to {last} were removed (the chain goes on at entry {}, attempt {})",
                self.seq, self.id
            ),
            ChainProblemKind::Reordered { written_at } => write!(
                f,
                "entry {} (attempt {}) was written as entry {written_at}: entries were reordered",
                self.seq, self.id
            ),
            ChainProblemKind::BrokenLink => write!(
                f,
                "entry {} (attempt {}) does not follow entry {} as that was written: one of them was rewritten, hash included",
                self.seq,
                self.id,
                self.seq - 1
            ),
        }
    }
}

/// The result of walking one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChainVerification {
    /// The chain (a tenant id, or [`OPERATORS_CHAIN`]).
    pub chain: String,
    /// How many entries it holds.
    pub entries: u64,
    /// The last entry's position and hash (`None` when empty). Keep it elsewhere to detect a
    /// removal of the newest entries later: a chain cannot show what was cut off its end.
    pub head: Option<ChainLink>,
    /// The first problem, `None` when the chain is intact.
    pub problem: Option<ChainProblem>,
}

impl ChainVerification {
    /// Whether the chain is intact.
    pub fn is_intact(&self) -> bool {
        self.problem.is_none()
    }
}

/// Walks a chain's rows (in `seq` order) and reports the first entry that was changed, removed
/// or reordered.
#[cfg_attr(
    not(any(feature = "sqlite", feature = "postgres")),
    allow(dead_code, reason = "for the backends")
)]
pub(crate) fn verify_rows(chain: &str, rows: &[ChainRow]) -> ChainVerification {
    let head = rows.last().map(|r| ChainLink {
        seq: r.seq,
        prev_hash: r.prev_hash.clone(),
        hash: r.hash.clone(),
    });
    let problem = first_problem(rows);
    ChainVerification {
        chain: chain.to_owned(),
        entries: rows.len() as u64,
        head,
        problem,
    }
}

fn first_problem(rows: &[ChainRow]) -> Option<ChainProblem> {
    let max_seq = rows.iter().map(|r| r.seq).max().unwrap_or(0);
    let mut prev_hash = GENESIS_HASH;
    for (expected_seq, row) in (1_i64..).zip(rows) {
        let problem = |kind| {
            Some(ChainProblem {
                seq: row.seq,
                id: row.id.clone(),
                kind,
            })
        };
        if row.seq != expected_seq {
            return problem(ChainProblemKind::Removed {
                first: expected_seq,
                last: row.seq - 1,
            });
        }
        if row.computed_hash() != row.hash {
            // Written elsewhere in the chain (hashes include the position) or changed.
            let written_at = (1..=max_seq.max(expected_seq) + 1)
                .find(|s| *s != row.seq && row.hash_at(*s) == row.hash);
            return problem(match written_at {
                Some(written_at) => ChainProblemKind::Reordered { written_at },
                None => ChainProblemKind::Changed,
            });
        }
        if row.prev_hash != prev_hash {
            return problem(ChainProblemKind::BrokenLink);
        }
        prev_hash = &row.hash;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ChainRow> {
        let at = entra_model::timestamp::parse("2024-05-01T10:11:12.1234567Z").unwrap();
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let rec = AuditRecord::intent(
                    format!("a{seq}"),
                    at,
                    "alice",
                    "administrator",
                    "log_out",
                    serde_json::json!({"n": seq}),
                );
                let row = rec.to_row("t1", seq, &prev);
                prev = row.hash.clone();
                row
            })
            .collect()
    }

    #[test]
    fn canonical_serialisation_is_a_json_array_in_the_documented_order() {
        let rows = chain(1);
        assert_eq!(
            canonical_entry(&rows[0], 1),
            format!(
                r#"["oort-audit-chain/1","t1",1,"{GENESIS_HASH}","a1","2024-05-01T10:11:12.123456Z","alice","administrator","log_out",null,null,"incomplete",null,null,null,null,null,"{{\"n\":1}}"]"#
            )
        );
        assert_eq!(rows[0].hash.len(), 64);
    }

    #[test]
    fn an_intact_chain_verifies_and_each_kind_of_tampering_is_named_where_it_was_done() {
        let rows = chain(5);
        let ok = verify_rows("t1", &rows);
        assert!(ok.is_intact(), "{:?}", ok.problem);
        assert_eq!(ok.head.unwrap().seq, 5);

        let mut changed = rows.clone();
        changed[2].outcome = "success".into();
        let p = verify_rows("t1", &changed).problem.unwrap();
        assert_eq!((p.seq, p.kind), (3, ChainProblemKind::Changed));

        let mut removed = rows.clone();
        removed.remove(1);
        let p = verify_rows("t1", &removed).problem.unwrap();
        assert_eq!(
            (p.seq, p.kind),
            (3, ChainProblemKind::Removed { first: 2, last: 2 })
        );

        let mut swapped = rows.clone();
        swapped.swap(1, 3);
        swapped[1].seq = 2;
        swapped[3].seq = 4;
        let p = verify_rows("t1", &swapped).problem.unwrap();
        assert_eq!(
            (p.seq, p.kind),
            (2, ChainProblemKind::Reordered { written_at: 4 })
        );

        let mut rewritten = rows.clone();
        rewritten[1].operator = "mallory".into();
        rewritten[1].hash = rewritten[1].computed_hash();
        let p = verify_rows("t1", &rewritten).problem.unwrap();
        assert_eq!((p.seq, p.kind), (3, ChainProblemKind::BrokenLink));
    }
}

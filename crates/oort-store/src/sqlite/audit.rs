//! The audit chains in SQLite: appends under an immediate transaction (the database's write
//! lock, so concurrent writers, in this process or another, take turns), reads, and the walk
//! that verifies a chain.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::{required, SqliteStore};
use crate::audit::{canonical_time, origin_from, verify_rows, ChainRow};
use crate::error::{db_err, StoreError};
use crate::rows::{self, parse_ts};
use crate::{AuditRecord, AuditStore, ChainLink, ChainVerification, GENESIS_HASH};

const COLUMNS: &str = "tenant_id, seq, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, os_user, host, pid, exe, entry_json, prev_hash, hash";

/// The next position of `chain` and the hash it follows.
fn next_link(tx: &Transaction<'_>, chain: &str) -> Result<(i64, String), StoreError> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit_log WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT 1",
            [chain],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db_err("read the end of the audit chain"))?;
    Ok(match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_owned()),
    })
}

/// Inserts a sealed row (its times stored as the text given).
fn insert(
    tx: &Transaction<'_>,
    row: &ChainRow,
    at: &str,
    completed_at: Option<&str>,
) -> Result<ChainLink, StoreError> {
    tx.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)"),
        params![
            row.chain, row.seq, row.id, at, row.operator, row.role, row.action, row.target_id,
            row.target_upn, row.outcome, completed_at, row.os_user, row.host, row.pid, row.exe,
            row.entry_json, row.prev_hash, row.hash
        ],
    )
    .map_err(db_err("append an audit entry"))?;
    Ok(ChainLink {
        seq: row.seq,
        prev_hash: row.prev_hash.clone(),
        hash: row.hash.clone(),
    })
}

/// Appends `record` at the end of `chain` inside `tx` (which holds the write lock).
pub(super) fn append_chained(
    tx: &Transaction<'_>,
    chain: &str,
    record: &AuditRecord,
) -> Result<ChainLink, StoreError> {
    let (seq, prev) = next_link(tx, chain)?;
    let row = record.to_row(chain, seq, &prev);
    insert(tx, &row, &row.at, row.completed_at.as_deref())
}

/// A stored time as it is hashed: its canonical form, or the text as it is when it does not
/// parse (which then does not match: it was changed).
fn hashed_time(s: &str) -> String {
    parse_ts(s)
        .map(canonical_time)
        .unwrap_or_else(|| s.to_owned())
}

/// The rows of a chain in position order, as stored.
fn chain_rows(conn: &Connection, chain: &str) -> Result<Vec<ChainRow>, StoreError> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE tenant_id = ?1 ORDER BY seq"
        ))
        .map_err(db_err("read an audit chain"))?;
    let rows = stmt
        .query_map([chain], |r| {
            let time = |s: String| hashed_time(&s);
            Ok(ChainRow {
                chain: r.get(0)?,
                seq: r.get(1)?,
                id: r.get(2)?,
                at: time(r.get(3)?),
                operator: r.get(4)?,
                role: r.get(5)?,
                action: r.get(6)?,
                target_id: r.get(7)?,
                target_upn: r.get(8)?,
                outcome: r.get(9)?,
                completed_at: r.get::<_, Option<String>>(10)?.map(time),
                os_user: r.get(11)?,
                host: r.get(12)?,
                pid: r.get(13)?,
                exe: r.get(14)?,
                entry_json: r.get(15)?,
                prev_hash: r.get(16)?,
                hash: r.get(17)?,
            })
        })
        .map_err(db_err("read an audit chain"))?;
    rows.collect::<Result<Vec<_>, _>>()
        .map_err(db_err("read an audit entry"))
}

/// Version 9's migration step: chains the entries of version 2's `audit_log` (now
/// `audit_log_v2`), per tenant in (time, id) order, one entry each with its columns as they
/// were (a value that does not read still does not, and is reported where it is read), then
/// drops that table.
pub(super) fn chain_legacy_audit(tx: &Transaction<'_>) -> Result<(), StoreError> {
    type Legacy = (String, String, String, String, String, String);
    type LegacyRest = (
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        String,
    );
    let legacy: Vec<(Legacy, LegacyRest)> = {
        let mut stmt = tx
            .prepare("SELECT tenant_id, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json FROM audit_log_v2 ORDER BY tenant_id, at, id")
            .map_err(db_err("read the audit log to chain it"))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    (
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ),
                    (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?),
                ))
            })
            .map_err(db_err("read the audit log to chain it"))?;
        rows.collect::<Result<_, _>>()
            .map_err(db_err("read the audit log to chain it"))?
    };
    for (
        (chain, id, at, operator, role, action),
        (target_id, target_upn, outcome, completed, entry_json),
    ) in legacy
    {
        let (seq, prev_hash) = next_link(tx, &chain)?;
        let row = ChainRow {
            chain,
            seq,
            id,
            at: hashed_time(&at),
            operator,
            role,
            action,
            target_id,
            target_upn,
            outcome,
            completed_at: completed.as_deref().map(hashed_time),
            os_user: None,
            host: None,
            pid: None,
            exe: None,
            entry_json,
            prev_hash,
            hash: String::new(),
        }
        .sealed();
        insert(tx, &row, &at, completed.as_deref())?;
    }
    tx.execute_batch("DROP TABLE audit_log_v2")
        .map_err(db_err("drop the audit log chained"))?;
    Ok(())
}

/// An audit entry from its 10 columns of version 2 as text (id, at, operator, role, action,
/// target_id, target_upn, outcome, completed_at, entry_json).
fn audit_from_text(
    text: [Option<String>; 10],
    link: Option<ChainLink>,
) -> Result<AuditRecord, StoreError> {
    let [id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry] =
        text;
    let id = id.unwrap_or_default();
    let t = "audit_log";
    let mut rec = AuditRecord::intent(
        id.clone(),
        rows::stored_ts(t, &id, &required(t, &id, at)?)?,
        required(t, &id, operator)?,
        required(t, &id, role)?,
        required(t, &id, action)?,
        serde_json::from_str(&required(t, &id, entry)?)
            .map_err(|e| StoreError::corrupt(t, id.clone(), e))?,
    );
    rec.target_id = target_id;
    rec.target_upn = target_upn;
    rec.outcome = rows::stored_name(t, &id, &required(t, &id, outcome)?)?;
    rec.completed_at = rows::stored_opt_ts(t, &id, completed_at.as_deref())?;
    rec.link = link;
    Ok(rec)
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(
        &self,
        chain: &str,
        record: &AuditRecord,
    ) -> Result<ChainLink, StoreError> {
        let chain = chain.to_owned();
        let r = record.clone();
        let link = self
            .with(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err("begin a transaction"))?;
                let link = append_chained(&tx, &chain, &r)?;
                tx.commit().map_err(db_err("commit an audit entry"))?;
                Ok(link)
            })
            .await?;
        self.committed();
        Ok(link)
    }

    async fn audit_log(&self, chain: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let chain = chain.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json, os_user, host, pid, exe, seq, prev_hash, hash FROM audit_log WHERE tenant_id = ?1 ORDER BY seq DESC LIMIT ?2")
                .map_err(db_err("read the audit log"))?;
            let rows = stmt
                .query_map(params![chain, limit as i64], |r| {
                    let text: [Option<String>; 10] = [
                        r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?,
                        r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?,
                    ];
                    let origin: (Option<String>, Option<String>, Option<i64>, Option<String>) =
                        (r.get(10)?, r.get(11)?, r.get(12)?, r.get(13)?);
                    let link = ChainLink { seq: r.get(14)?, prev_hash: r.get(15)?, hash: r.get(16)? };
                    Ok((text, origin, link))
                })
                .map_err(db_err("read the audit log"))?;
            let mut out = Vec::new();
            for row in rows {
                let (text, origin, link) = row.map_err(db_err("read an audit entry"))?;
                let rec = audit_from_text(text, Some(link))?;
                let origin = origin_from(&rec.id, origin)?;
                out.push(rec.with_origin(origin));
            }
            Ok(out)
        })
        .await
    }

    async fn audit_chains(&self) -> Result<Vec<String>, StoreError> {
        self.with(|conn| {
            let mut stmt = conn
                .prepare("SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id")
                .map_err(db_err("list the audit chains"))?;
            let rows = stmt
                .query_map([], |r| r.get(0))
                .map_err(db_err("list the audit chains"))?;
            rows.collect::<Result<_, _>>()
                .map_err(db_err("list the audit chains"))
        })
        .await
    }

    async fn verify_audit_chain(&self, chain: &str) -> Result<ChainVerification, StoreError> {
        let chain = chain.to_owned();
        self.with(move |conn| Ok(verify_rows(&chain, &chain_rows(conn, &chain)?)))
            .await
    }
}

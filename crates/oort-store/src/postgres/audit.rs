//! The audit chains in PostgreSQL: an append takes the chain's advisory lock for its
//! transaction, so that concurrent writers (of any process of the fleet) take turns; the
//! primary key (tenant_id, seq) is the backstop.

use async_trait::async_trait;
use time::OffsetDateTime;
use tokio_postgres::{Row, Transaction};

use super::PostgresStore;
use crate::audit::{canonical_time, origin_from, to_micros, verify_rows, ChainRow};
use crate::error::{db_err, StoreError};
use crate::rows;
use crate::{AuditRecord, AuditStore, ChainLink, ChainVerification, GENESIS_HASH};

const COLUMNS: &str = "tenant_id, seq, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, os_user, host, pid, exe, entry_json, prev_hash, hash";

/// The first key of the advisory locks of audit chains (the second is the chain's `hashtext`).
const CHAIN_LOCK: i32 = 7302;

/// The next position of `chain` and the hash it follows, after taking the chain's advisory
/// lock (held until `tx` ends).
async fn next_link(tx: &Transaction<'_>, chain: &str) -> Result<(i64, String), StoreError> {
    tx.execute(
        "SELECT pg_advisory_xact_lock($1, hashtext($2))",
        &[&CHAIN_LOCK, &chain],
    )
    .await
    .map_err(db_err("lock the audit chain"))?;
    let last = tx
        .query_opt(
            "SELECT seq, hash FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT 1",
            &[&chain],
        )
        .await
        .map_err(db_err("read the end of the audit chain"))?;
    Ok(match last {
        Some(r) => (r.get::<_, i64>(0) + 1, r.get::<_, String>(1)),
        None => (1, GENESIS_HASH.to_owned()),
    })
}

/// Inserts a sealed row with its times.
async fn insert(
    tx: &Transaction<'_>,
    row: &ChainRow,
    at: OffsetDateTime,
    completed_at: Option<OffsetDateTime>,
) -> Result<ChainLink, StoreError> {
    tx.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"),
        &[
            &row.chain, &row.seq, &row.id, &at, &row.operator, &row.role, &row.action,
            &row.target_id, &row.target_upn, &row.outcome, &completed_at, &row.os_user, &row.host,
            &row.pid, &row.exe, &row.entry_json, &row.prev_hash, &row.hash,
        ],
    )
    .await
    .map_err(db_err("append an audit entry"))?;
    Ok(ChainLink {
        seq: row.seq,
        prev_hash: row.prev_hash.clone(),
        hash: row.hash.clone(),
    })
}

/// Appends `record` at the end of `chain` inside `tx`, under the chain's advisory lock.
pub(super) async fn append_chained(
    tx: &Transaction<'_>,
    chain: &str,
    record: &AuditRecord,
) -> Result<ChainLink, StoreError> {
    let (seq, prev) = next_link(tx, chain).await?;
    let row = record.to_row(chain, seq, &prev);
    insert(
        tx,
        &row,
        to_micros(record.at),
        record.completed_at.map(to_micros),
    )
    .await
}

fn chain_row(r: &Row) -> ChainRow {
    ChainRow {
        chain: r.get(0),
        seq: r.get(1),
        id: r.get(2),
        at: canonical_time(r.get(3)),
        operator: r.get(4),
        role: r.get(5),
        action: r.get(6),
        target_id: r.get(7),
        target_upn: r.get(8),
        outcome: r.get(9),
        completed_at: r.get::<_, Option<OffsetDateTime>>(10).map(canonical_time),
        os_user: r.get(11),
        host: r.get(12),
        pid: r.get(13),
        exe: r.get(14),
        entry_json: r.get(15),
        prev_hash: r.get(16),
        hash: r.get(17),
    }
}

/// An entry read back.
fn record(r: &Row) -> Result<AuditRecord, StoreError> {
    let id: String = r.get(2);
    let entry = serde_json::from_str(r.get(15))
        .map_err(|e| StoreError::corrupt("audit_log", id.clone(), e))?;
    let mut rec = AuditRecord::intent(
        id.clone(),
        r.get(3),
        r.get::<_, String>(4),
        r.get::<_, String>(5),
        r.get::<_, String>(6),
        entry,
    );
    rec.target_id = r.get(7);
    rec.target_upn = r.get(8);
    rec.outcome = rows::stored_name("audit_log", &id, r.get(9))?;
    rec.completed_at = r.get(10);
    rec.origin = origin_from(&id, (r.get(11), r.get(12), r.get(13), r.get(14)))?;
    rec.link = Some(ChainLink {
        seq: r.get(1),
        prev_hash: r.get(16),
        hash: r.get(17),
    });
    Ok(rec)
}

/// Version 9's migration step: chains the entries of version 2's `audit_log` (now
/// `audit_log_v2`), per tenant in (time, id) order, one entry each with its columns as they
/// were, then drops that table.
pub(super) async fn chain_legacy_audit(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let legacy = tx
        .query("SELECT tenant_id, id, at, operator, role, action, target_id, target_upn, outcome, completed_at, entry_json FROM audit_log_v2 ORDER BY tenant_id, at, id", &[])
        .await
        .map_err(db_err("read the audit log to chain it"))?;
    for r in &legacy {
        let chain: String = r.get(0);
        let (seq, prev_hash) = next_link(tx, &chain).await?;
        let row = ChainRow {
            chain,
            seq,
            id: r.get(1),
            at: canonical_time(r.get(2)),
            operator: r.get(3),
            role: r.get(4),
            action: r.get(5),
            target_id: r.get(6),
            target_upn: r.get(7),
            outcome: r.get(8),
            completed_at: r.get::<_, Option<OffsetDateTime>>(9).map(canonical_time),
            os_user: None,
            host: None,
            pid: None,
            exe: None,
            entry_json: r.get(10),
            prev_hash,
            hash: String::new(),
        }
        .sealed();
        insert(
            tx,
            &row,
            to_micros(r.get(2)),
            r.get::<_, Option<OffsetDateTime>>(9).map(to_micros),
        )
        .await?;
    }
    tx.batch_execute("DROP TABLE audit_log_v2")
        .await
        .map_err(db_err("drop the audit log chained"))
}

#[async_trait]
impl AuditStore for PostgresStore {
    async fn append_audit(&self, chain: &str, r: &AuditRecord) -> Result<ChainLink, StoreError> {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        let link = append_chained(&tx, chain, r).await?;
        tx.commit().await.map_err(db_err("commit an audit entry"))?;
        Ok(link)
    }

    async fn audit_log(&self, chain: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        let rows = self
            .query(&format!("SELECT {COLUMNS} FROM audit_log WHERE tenant_id = $1 ORDER BY seq DESC LIMIT $2"), &[&chain, &(limit as i64)])
            .await?;
        rows.iter().map(record).collect()
    }

    async fn audit_chains(&self) -> Result<Vec<String>, StoreError> {
        let rows = self
            .query(
                "SELECT DISTINCT tenant_id FROM audit_log ORDER BY tenant_id",
                &[],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn verify_audit_chain(&self, chain: &str) -> Result<ChainVerification, StoreError> {
        let client = self.client.lock().await;
        let rows = client
            .query(
                &format!("SELECT {COLUMNS} FROM audit_log WHERE tenant_id = $1 ORDER BY seq"),
                &[&chain],
            )
            .await
            .map_err(db_err("read an audit chain"))?;
        let rows: Vec<ChainRow> = rows.iter().map(chain_row).collect();
        Ok(verify_rows(chain, &rows))
    }
}

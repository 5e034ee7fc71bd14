//! oort's operators in SQLite. Every change runs in an immediate transaction (the write lock)
//! together with its audit entry.

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};

use super::audit::append_chained;
use super::SqliteStore;
use crate::error::{db_err, StoreError};
use crate::rows::{self, ts_text};
use crate::{
    AuditRecord, OperatorChange, OperatorRecord, OperatorStore, StoredRole, OPERATORS_CHAIN,
};

impl SqliteStore {
    /// Runs `change` in an immediate transaction and, when it returns `Done`, appends `audit`
    /// to the operators' chain in it before committing; anything else is rolled back.
    async fn operator_change<F>(
        &self,
        audit: &AuditRecord,
        change: F,
    ) -> Result<OperatorChange, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<OperatorChange, StoreError> + Send + 'static,
    {
        let audit = audit.clone();
        let result = self
            .with(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err("begin a transaction"))?;
                let result = change(&tx)?;
                if result == OperatorChange::Done {
                    append_chained(&tx, OPERATORS_CHAIN, &audit)?;
                    tx.commit().map_err(db_err("commit an operator change"))?;
                }
                Ok(result)
            })
            .await?;
        if result == OperatorChange::Done {
            self.committed();
        }
        Ok(result)
    }
}

/// Inserts an operator and its OS accounts, unless the name or an account is taken.
fn insert(tx: &Transaction<'_>, op: &OperatorRecord) -> Result<OperatorChange, StoreError> {
    let exists: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM operators WHERE name = ?1)",
            [&op.name],
            |r| r.get(0),
        )
        .map_err(db_err("look an operator up"))?;
    if exists {
        return Ok(OperatorChange::AlreadyExists);
    }
    for os_user in &op.os_users {
        let taken: Option<String> = tx
            .query_row(
                "SELECT operator FROM operator_os_users WHERE os_user = ?1",
                [os_user],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err("look an OS account up"))?;
        if let Some(operator) = taken {
            return Ok(OperatorChange::OsUserTaken {
                os_user: os_user.clone(),
                operator,
            });
        }
    }
    tx.execute(
        "INSERT INTO operators (name, role, password_hash, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![op.name, op.role.as_str(), op.password_hash, ts_text(op.created_at), ts_text(op.updated_at)],
    )
    .map_err(db_err("add an operator"))?;
    for os_user in &op.os_users {
        tx.execute(
            "INSERT OR IGNORE INTO operator_os_users (os_user, operator) VALUES (?1, ?2)",
            params![os_user, op.name],
        )
        .map_err(db_err("map an OS account to an operator"))?;
    }
    Ok(OperatorChange::Done)
}

/// The role of an operator, `None` when there is none of that name.
fn role_of(tx: &Transaction<'_>, name: &str) -> Result<Option<StoredRole>, StoreError> {
    let role: Option<String> = tx
        .query_row("SELECT role FROM operators WHERE name = ?1", [name], |r| {
            r.get(0)
        })
        .optional()
        .map_err(db_err("look an operator up"))?;
    role.map(|r| rows::stored_name("operators", name, &r))
        .transpose()
}

fn administrators(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    tx.query_row(
        "SELECT COUNT(*) FROM operators WHERE role = ?1",
        [StoredRole::Administrator.as_str()],
        |r| r.get(0),
    )
    .map_err(db_err("count the administrators"))
}

/// Operators matching `filter` (an SQL condition on `o`, with `?1` bound to `arg`).
fn select(conn: &Connection, filter: &str, arg: &str) -> Result<Vec<OperatorRecord>, StoreError> {
    let sql = format!(
        "SELECT o.name, o.role, o.password_hash, o.created_at, o.updated_at, \
         (SELECT group_concat(os_user, char(10)) FROM (SELECT os_user FROM operator_os_users u WHERE u.operator = o.name ORDER BY os_user)) \
         FROM operators o WHERE {filter} ORDER BY o.name"
    );
    let mut stmt = conn.prepare(&sql).map_err(db_err("read the operators"))?;
    let found = stmt
        .query_map([arg], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })
        .map_err(db_err("read the operators"))?;
    let mut out = Vec::new();
    for row in found {
        let (name, role, password_hash, created, updated, users) =
            row.map_err(db_err("read an operator"))?;
        let t = "operators";
        let mut op = OperatorRecord::new(
            name.clone(),
            rows::stored_name(t, &name, &role)?,
            rows::stored_ts(t, &name, &created)?,
        );
        op.updated_at = rows::stored_ts(t, &name, &updated)?;
        op.password_hash = password_hash;
        op.os_users = users
            .map(|u| u.split('\n').map(str::to_owned).collect())
            .unwrap_or_default();
        out.push(op);
    }
    Ok(out)
}

#[async_trait]
impl OperatorStore for SqliteStore {
    async fn bootstrap_operator(
        &self,
        operator: &OperatorRecord,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let op = operator.clone();
        self.operator_change(audit, move |tx| {
            let any: bool = tx
                .query_row("SELECT EXISTS (SELECT 1 FROM operators)", [], |r| r.get(0))
                .map_err(db_err("look for operators"))?;
            if any {
                return Ok(OperatorChange::NotEmpty);
            }
            insert(tx, &op)
        })
        .await
    }

    async fn add_operator(
        &self,
        operator: &OperatorRecord,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let op = operator.clone();
        self.operator_change(audit, move |tx| insert(tx, &op)).await
    }

    async fn set_operator_role(
        &self,
        name: &str,
        role: StoredRole,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let name = name.to_owned();
        let at = ts_text(crate::audit::to_micros(audit.at));
        self.operator_change(audit, move |tx| {
            let Some(current) = role_of(tx, &name)? else {
                return Ok(OperatorChange::NotFound);
            };
            if current == StoredRole::Administrator
                && role != StoredRole::Administrator
                && administrators(tx)? <= 1
            {
                return Ok(OperatorChange::LastAdministrator);
            }
            tx.execute(
                "UPDATE operators SET role = ?2, updated_at = ?3 WHERE name = ?1",
                params![name, role.as_str(), at],
            )
            .map_err(db_err("change an operator's role"))?;
            Ok(OperatorChange::Done)
        })
        .await
    }

    async fn remove_operator(
        &self,
        name: &str,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let name = name.to_owned();
        self.operator_change(audit, move |tx| {
            let Some(current) = role_of(tx, &name)? else {
                return Ok(OperatorChange::NotFound);
            };
            if current == StoredRole::Administrator && administrators(tx)? <= 1 {
                return Ok(OperatorChange::LastAdministrator);
            }
            tx.execute("DELETE FROM operator_os_users WHERE operator = ?1", [&name])
                .map_err(db_err("remove an operator's OS accounts"))?;
            tx.execute("DELETE FROM operators WHERE name = ?1", [&name])
                .map_err(db_err("remove an operator"))?;
            Ok(OperatorChange::Done)
        })
        .await
    }

    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        self.with(|conn| select(conn, "?1 = ?1", "")).await
    }

    async fn operator_for_os_user(
        &self,
        os_user: &str,
    ) -> Result<Option<OperatorRecord>, StoreError> {
        let os_user = os_user.to_owned();
        self.with(move |conn| {
            Ok(select(
                conn,
                "o.name = (SELECT operator FROM operator_os_users WHERE os_user = ?1)",
                &os_user,
            )?
            .into_iter()
            .next())
        })
        .await
    }
}

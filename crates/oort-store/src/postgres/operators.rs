//! oort's operators in PostgreSQL. Every change runs in a transaction under the operators'
//! advisory lock (so that "the table is empty" and "another administrator remains" hold until
//! it commits), together with its audit entry.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use tokio_postgres::{Row, Transaction};

use super::audit::append_chained;
use super::PostgresStore;
use crate::error::{db_err, StoreError};
use crate::rows;
use crate::{
    AuditRecord, OperatorChange, OperatorRecord, OperatorStore, StoredRole, OPERATORS_CHAIN,
};

/// The advisory lock every operator change holds.
const OPERATORS_LOCK: i64 = 7303;

type Change<'a> = Pin<Box<dyn Future<Output = Result<OperatorChange, StoreError>> + Send + 'a>>;

impl PostgresStore {
    /// Runs `change` in a transaction under the operators' lock and, when it returns `Done`,
    /// appends `audit` to the operators' chain before committing; anything else is rolled back.
    async fn operator_change<F>(
        &self,
        audit: &AuditRecord,
        change: F,
    ) -> Result<OperatorChange, StoreError>
    where
        F: for<'t> FnOnce(&'t Transaction<'t>) -> Change<'t> + Send,
    {
        let mut client = self.client.lock().await;
        let tx = client
            .transaction()
            .await
            .map_err(db_err("begin a transaction"))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&OPERATORS_LOCK])
            .await
            .map_err(db_err("lock the operators"))?;
        let result = change(&tx).await?;
        if result == OperatorChange::Done {
            append_chained(&tx, OPERATORS_CHAIN, audit).await?;
            tx.commit()
                .await
                .map_err(db_err("commit an operator change"))?;
        }
        Ok(result)
    }
}

async fn insert(tx: &Transaction<'_>, op: &OperatorRecord) -> Result<OperatorChange, StoreError> {
    let exists = tx
        .query_opt("SELECT 1 FROM operators WHERE name = $1", &[&op.name])
        .await
        .map_err(db_err("look an operator up"))?;
    if exists.is_some() {
        return Ok(OperatorChange::AlreadyExists);
    }
    for os_user in &op.os_users {
        let taken = tx
            .query_opt(
                "SELECT operator FROM operator_os_users WHERE os_user = $1",
                &[os_user],
            )
            .await
            .map_err(db_err("look an OS account up"))?;
        if let Some(r) = taken {
            return Ok(OperatorChange::OsUserTaken {
                os_user: os_user.clone(),
                operator: r.get(0),
            });
        }
    }
    tx.execute(
        "INSERT INTO operators (name, role, password_hash, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)",
        &[&op.name, &op.role.as_str(), &op.password_hash, &op.created_at, &op.updated_at],
    )
    .await
    .map_err(db_err("add an operator"))?;
    for os_user in &op.os_users {
        tx.execute(
            "INSERT INTO operator_os_users (os_user, operator) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[os_user, &op.name],
        )
        .await
        .map_err(db_err("map an OS account to an operator"))?;
    }
    Ok(OperatorChange::Done)
}

async fn role_of(tx: &Transaction<'_>, name: &str) -> Result<Option<StoredRole>, StoreError> {
    let row = tx
        .query_opt("SELECT role FROM operators WHERE name = $1", &[&name])
        .await
        .map_err(db_err("look an operator up"))?;
    row.map(|r| rows::stored_name("operators", name, r.get(0)))
        .transpose()
}

async fn administrators(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    Ok(tx
        .query_one(
            "SELECT COUNT(*) FROM operators WHERE role = $1",
            &[&StoredRole::Administrator.as_str()],
        )
        .await
        .map_err(db_err("count the administrators"))?
        .get(0))
}

const SELECT: &str = "SELECT o.name, o.role, o.password_hash, o.created_at, o.updated_at, \
    ARRAY(SELECT os_user FROM operator_os_users u WHERE u.operator = o.name ORDER BY os_user) \
    FROM operators o";

fn operator(r: &Row) -> Result<OperatorRecord, StoreError> {
    let name: String = r.get(0);
    let mut op = OperatorRecord::new(
        name.clone(),
        rows::stored_name("operators", &name, r.get(1))?,
        r.get(3),
    );
    op.password_hash = r.get(2);
    op.updated_at = r.get(4);
    op.os_users = r.get(5);
    Ok(op)
}

#[async_trait]
impl OperatorStore for PostgresStore {
    async fn bootstrap_operator(
        &self,
        operator: &OperatorRecord,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let operator = operator.clone();
        self.operator_change(audit, move |tx| {
            Box::pin(async move {
                let any = tx
                    .query_opt("SELECT 1 FROM operators LIMIT 1", &[])
                    .await
                    .map_err(db_err("look for operators"))?;
                if any.is_some() {
                    return Ok(OperatorChange::NotEmpty);
                }
                insert(tx, &operator).await
            })
        })
        .await
    }

    async fn add_operator(
        &self,
        operator: &OperatorRecord,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let operator = operator.clone();
        self.operator_change(audit, move |tx| {
            Box::pin(async move { insert(tx, &operator).await })
        })
        .await
    }

    async fn set_operator_role(
        &self,
        name: &str,
        role: StoredRole,
        audit: &AuditRecord,
    ) -> Result<OperatorChange, StoreError> {
        let at = crate::audit::to_micros(audit.at);
        let name = name.to_owned();
        self.operator_change(audit, move |tx| {
            Box::pin(async move {
                let Some(current) = role_of(tx, &name).await? else {
                    return Ok(OperatorChange::NotFound);
                };
                if current == StoredRole::Administrator
                    && role != StoredRole::Administrator
                    && administrators(tx).await? <= 1
                {
                    return Ok(OperatorChange::LastAdministrator);
                }
                tx.execute(
                    "UPDATE operators SET role = $2, updated_at = $3 WHERE name = $1",
                    &[&name, &role.as_str(), &at],
                )
                .await
                .map_err(db_err("change an operator's role"))?;
                Ok(OperatorChange::Done)
            })
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
            Box::pin(async move {
                let Some(current) = role_of(tx, &name).await? else {
                    return Ok(OperatorChange::NotFound);
                };
                if current == StoredRole::Administrator && administrators(tx).await? <= 1 {
                    return Ok(OperatorChange::LastAdministrator);
                }
                tx.execute(
                    "DELETE FROM operator_os_users WHERE operator = $1",
                    &[&name],
                )
                .await
                .map_err(db_err("remove an operator's OS accounts"))?;
                tx.execute("DELETE FROM operators WHERE name = $1", &[&name])
                    .await
                    .map_err(db_err("remove an operator"))?;
                Ok(OperatorChange::Done)
            })
        })
        .await
    }

    async fn operators(&self) -> Result<Vec<OperatorRecord>, StoreError> {
        let rows = self
            .query(&format!("{SELECT} ORDER BY o.name"), &[])
            .await?;
        rows.iter().map(operator).collect()
    }

    async fn operator_for_os_user(
        &self,
        os_user: &str,
    ) -> Result<Option<OperatorRecord>, StoreError> {
        let rows = self
            .query(
                &format!("{SELECT} WHERE o.name = (SELECT operator FROM operator_os_users WHERE os_user = $1)"),
                &[&os_user],
            )
            .await?;
        rows.first().map(operator).transpose()
    }
}

//! The PostgreSQL store: the same behaviour as SQLite, for fleets of collectors sharing one
//! database. Sign-ins are bulk-loaded with `COPY` into a staging table and upserted from there.
//!
//! This module connects and migrates, and holds the helpers every statement goes through; each
//! concern's statements are in a module of their own (`write` for batches and snapshots, then
//! one per trait).

mod activity;
mod audit;
mod checkpoints;
mod directory;
mod findings;
mod leases;
mod notifications;
mod operators;
mod rejected;
mod tenants;
mod tls;
mod write;

use std::fmt;

use entra_model::Raw;
use tokio::sync::Mutex;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row, Transaction};

use crate::error::{db_err, StoreError, StoreErrorKind};
use crate::rows::parse_raw;
use crate::{schema, WriteSummary};

pub use tls::PostgresOptions;

/// A store in PostgreSQL (tokio-postgres), shared by a fleet of collector processes.
///
/// TLS with rustls as libpq's `sslmode` says (`disable`, `prefer` (the default), `require`,
/// `verify-ca`, `verify-full`), with the CA of `sslrootcert=FILE` or the system's trust store
/// plus [`PostgresOptions::extra_roots`]. Use `verify-full` across any network that is not
/// trusted: the other modes do not check who answers.
pub struct PostgresStore {
    client: Mutex<Client>,
    target: String,
}

impl fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The connection string may hold a password: show only where it points.
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// Host, port and database of a connection string, without user or password.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(h) => h.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(p) => p.display().to_string(),
        })
        .collect();
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}:{}/{}",
        hosts.join(","),
        port,
        config.get_dbname().unwrap_or("")
    )
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user@host:port/db`, `?sslmode=...&sslrootcert=...`) and
    /// migrates the schema. TLS trusts the system's certificate authorities.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, &PostgresOptions::default()).await
    }

    /// [`connect`](Self::connect), with `options` (certificate authorities trusted besides the
    /// system's).
    pub async fn connect_with(url: &str, options: &PostgresOptions) -> Result<Self, StoreError> {
        let split = tls::split(url)?;
        let mut config: tokio_postgres::Config = split
            .rest
            .parse()
            .map_err(|e| StoreError::unavailable("parsing the PostgreSQL connection string", e))?;
        let target = describe(&config);
        let (ssl_mode, connector) = tls::connector(&split, options)?;
        config.ssl_mode(ssl_mode);
        let (client, connection) = config.connect(connector).await.map_err(|e| {
            // The causes name the TLS failure (e.g. a certificate for another host name).
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                why = format!("{why}: {cause}");
                source = cause.source();
            }
            StoreError::unavailable(
                format!(
                    "connecting to {target} with sslmode={}: {why}",
                    split.mode.as_str()
                ),
                e,
            )
        })?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        let mut client = client;
        // Raw JSON (a few KB a sign-in) is compressed when stored: lz4 (PostgreSQL 14+, when
        // built with it) costs a fraction of the default pglz's CPU, which otherwise dominates
        // the server's share of an ingest. A server without it keeps its default.
        if let Err(e) = client
            .batch_execute("SET default_toast_compression = 'lz4'")
            .await
        {
            tracing::debug!(error = %e, "lz4 TOAST compression unavailable, keeping the default");
        }
        migrate(&mut client).await?;
        Ok(PostgresStore {
            client: Mutex::new(client),
            target,
        })
    }
}

impl PostgresStore {
    /// Whether this store's connection to the server is encrypted (TLS), as the server sees it
    /// (`pg_stat_ssl`).
    pub async fn connection_encrypted(&self) -> Result<bool, StoreError> {
        let client = self.client.lock().await;
        let row = client
            .query_one(
                "SELECT COALESCE((SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()), false)",
                &[],
            )
            .await
            .map_err(db_err("read the connection's TLS state"))?;
        Ok(row.get(0))
    }
}

async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(db_err("begin a migration"))?;
    // One migrator at a time across the fleet.
    tx.execute("SELECT pg_advisory_xact_lock(7301)", &[])
        .await
        .map_err(db_err("lock the schema"))?;
    tx.batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
        .await
        .map_err(db_err("create the schema_version table"))?;
    let current: i64 = tx
        .query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])
        .await
        .map_err(db_err("read the schema version"))?
        .get(0);
    let supported = schema::POSTGRES.len() as i64;
    if current > supported {
        return Err(StoreError::new(
            StoreErrorKind::SchemaTooNew {
                found: current,
                supported,
            },
            "",
            None,
        ));
    }
    for (i, sql) in schema::POSTGRES.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql)
            .await
            .map_err(db_err("apply a schema migration"))?;
        if i + 1 == schema::AUDIT_CHAIN_VERSION {
            audit::chain_legacy_audit(&tx).await?;
        }
        tx.execute("DELETE FROM schema_version", &[])
            .await
            .map_err(db_err("record the schema version"))?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES ($1)",
            &[&(i as i64 + 1)],
        )
        .await
        .map_err(db_err("record the schema version"))?;
    }
    tx.commit().await.map_err(db_err("commit migrations"))
}

fn summarize(rows: &[Row], summary: &mut WriteSummary) {
    for row in rows {
        if row.get::<_, bool>(0) {
            summary.inserted += 1;
        } else {
            summary.updated += 1;
        }
    }
}

async fn upsert(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
    summary: &mut WriteSummary,
) -> Result<(), StoreError> {
    let rows = tx
        .query(sql, params)
        .await
        .map_err(db_err("upsert a row"))?;
    summarize(&rows, summary);
    Ok(())
}

async fn mark(
    tx: &Transaction<'_>,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<u64, StoreError> {
    tx.execute(sql, params).await.map_err(db_err("mark rows"))
}

impl PostgresStore {
    async fn query(
        &self,
        sql: &str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>, StoreError> {
        let client = self.client.lock().await;
        client
            .query(sql, params)
            .await
            .map_err(db_err("run a query"))
    }

    async fn raw_rows<T: serde::de::DeserializeOwned>(
        &self,
        table: &'static str,
        sql: &str,
        tenant: &str,
    ) -> Result<Vec<Raw<T>>, StoreError> {
        self.query(sql, &[&tenant])
            .await?
            .iter()
            .map(|r| parse_raw(table, r.get(0), r.get(1)))
            .collect()
    }
}

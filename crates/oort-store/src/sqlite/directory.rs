//! The directory as last collected, read back from SQLite.

use async_trait::async_trait;
use entra_model::{Application, AuthenticationMethod, Group, Raw, ServicePrincipal};
use rusqlite::{params, Connection};

use super::SqliteStore;
use crate::error::{db_err, StoreError};
use crate::rows::{self, parse_raw};
use crate::{DirectoryStore, ItemKind, Membership, StoredCredential, StoredUser};

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn users(&self, tenant: &str) -> Result<Vec<StoredUser>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached(
                    "SELECT id, raw_json, deleted_at, sign_in_activity_json FROM users WHERE tenant_id = ?1 ORDER BY id",
                )
                .map_err(db_err("read users"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ))
                })
                .map_err(db_err("read users"))?;
            let mut out = Vec::new();
            for row in rows {
                let (id, json, deleted, activity) = row.map_err(db_err("read a user"))?;
                let sign_in_activity = match activity {
                    Some(a) => Some(
                        serde_json::from_str(&a)
                            .map_err(|e| StoreError::corrupt("users", id.clone(), e))?,
                    ),
                    None => None,
                };
                out.push(StoredUser {
                    user: parse_raw("users", &id, &json)?,
                    sign_in_activity,
                    deleted_at: rows::stored_opt_ts("users", &id, deleted.as_deref())?,
                });
            }
            Ok(out)
        })
        .await
    }
    async fn groups(&self, tenant: &str) -> Result<Vec<Raw<Group>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| query_raw(conn, "groups", "SELECT id, raw_json FROM groups WHERE tenant_id = ?1 AND deleted_at IS NULL ORDER BY id", &tenant)).await
    }
    async fn group_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT group_id, member_id, member_type, removed_at FROM group_members WHERE tenant_id = ?1 ORDER BY group_id, member_id")
                .map_err(db_err("read memberships"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    let container_id: String = r.get(0)?;
                    let removed: Option<String> = r.get(3)?;
                    let (member_id, member_type) = (r.get(1)?, r.get(2)?);
                    Ok(rows::stored_opt_ts("group_members", &container_id, removed.as_deref()).map(|removed_at| Membership {
                        container_id,
                        member_id,
                        member_type,
                        removed_at,
                    }))
                })
                .map_err(db_err("read memberships"))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.map_err(db_err("read a membership"))??);
            }
            Ok(out)
        })
        .await
    }
    async fn role_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT role_id, member_id, member_type FROM role_members WHERE tenant_id = ?1 ORDER BY role_id, member_id")
                .map_err(db_err("read role memberships"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    Ok(Membership { container_id: r.get(0)?, member_id: r.get(1)?, member_type: r.get(2)?, removed_at: None })
                })
                .map_err(db_err("read role memberships"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err("read a role membership"))
        })
        .await
    }
    async fn app_credentials(&self, tenant: &str) -> Result<Vec<StoredCredential>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at FROM app_credentials WHERE tenant_id = ?1 ORDER BY owner_kind, owner_id, kind, key_id")
                .map_err(db_err("read credentials"))?;
            let rows = stmt
                .query_map([tenant], |r| {
                    let owner_kind: String = r.get(0)?;
                    let kind: String = r.get(3)?;
                    let key_id: String = r.get(2)?;
                    let owner_id: String = r.get(1)?;
                    let (start, end): (Option<String>, Option<String>) = (r.get(7)?, r.get(8)?);
                    let times = rows::stored_opt_ts("app_credentials", &owner_id, start.as_deref())
                        .and_then(|s| Ok((s, rows::stored_opt_ts("app_credentials", &owner_id, end.as_deref())?)));
                    let (start, end) = match times {
                        Ok(t) => t,
                        Err(e) => return Ok(Err(e)),
                    };
                    Ok(Ok(StoredCredential {
                        owner_kind: rows::credential_owner(&owner_kind),
                        owner_id,
                        app_id: r.get(4)?,
                        owner_display_name: r.get(5)?,
                        credential: rows::stored_credential(&kind, key_id, r.get(6)?, start, end),
                    }))
                })
                .map_err(db_err("read credentials"))?;
            let mut out = Vec::new();
            for row in rows {
                out.push(row.map_err(db_err("read a credential"))??);
            }
            Ok(out)
        })
        .await
    }
    async fn applications(&self, tenant: &str) -> Result<Vec<Raw<Application>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            query_raw(
                conn,
                "applications",
                "SELECT id, raw_json FROM applications WHERE tenant_id = ?1 ORDER BY id",
                &tenant,
            )
        })
        .await
    }
    async fn service_principals(
        &self,
        tenant: &str,
    ) -> Result<Vec<Raw<ServicePrincipal>>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            query_raw(
                conn,
                "service_principals",
                "SELECT id, raw_json FROM service_principals WHERE tenant_id = ?1 ORDER BY id",
                &tenant,
            )
        })
        .await
    }
    async fn auth_methods(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Raw<AuthenticationMethod>)>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT user_id, method_id, raw_json FROM auth_methods WHERE tenant_id = ?1 ORDER BY user_id, method_type, method_id")
                .map_err(db_err("read methods"))?;
            let rows = stmt
                .query_map([tenant], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
                .map_err(db_err("read methods"))?;
            let mut out = Vec::new();
            for row in rows {
                let (user, id, json) = row.map_err(db_err("read a method"))?;
                out.push((user, parse_raw("auth_methods", &id, &json)?));
            }
            Ok(out)
        })
        .await
    }
    async fn items(&self, tenant: &str, kind: ItemKind) -> Result<Vec<String>, StoreError> {
        let tenant = tenant.to_owned();
        self.with(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT raw_json FROM directory_items WHERE tenant_id = ?1 AND kind = ?2 ORDER BY id")
                .map_err(db_err("read items"))?;
            let rows = stmt
                .query_map(params![tenant, kind.as_str()], |r| r.get::<_, String>(0))
                .map_err(db_err("read items"))?;
            rows.collect::<Result<Vec<_>, _>>().map_err(db_err("read an item"))
        })
        .await
    }
}

fn query_raw<T: serde::de::DeserializeOwned>(
    conn: &mut Connection,
    table: &'static str,
    sql: &str,
    tenant: &str,
) -> Result<Vec<Raw<T>>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_err("read rows"))?;
    let rows = stmt
        .query_map([tenant], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(db_err("read rows"))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, json) = row.map_err(db_err("read a row"))?;
        out.push(parse_raw(table, &id, &json)?);
    }
    Ok(out)
}

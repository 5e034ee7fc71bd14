//! The directory as last collected, read back from PostgreSQL.

use async_trait::async_trait;
use entra_model::{Application, AuthenticationMethod, Group, Raw, ServicePrincipal};

use super::PostgresStore;
use crate::error::StoreError;
use crate::rows::{self, parse_raw};
use crate::{DirectoryStore, ItemKind, Membership, StoredCredential, StoredUser};

#[async_trait]
impl DirectoryStore for PostgresStore {
    async fn users(&self, tenant: &str) -> Result<Vec<StoredUser>, StoreError> {
        let rows = self
            .query(
                "SELECT id, raw_json, deleted_at, sign_in_activity_json FROM users WHERE tenant_id = $1 ORDER BY id",
                &[&tenant],
            )
            .await?;
        rows.iter()
            .map(|r| {
                let id: &str = r.get(0);
                let sign_in_activity = match r.get::<_, Option<&str>>(3) {
                    Some(a) => Some(
                        serde_json::from_str(a).map_err(|e| StoreError::corrupt("users", id, e))?,
                    ),
                    None => None,
                };
                Ok(StoredUser {
                    user: parse_raw("users", id, r.get(1))?,
                    sign_in_activity,
                    deleted_at: r.get(2),
                })
            })
            .collect()
    }
    async fn groups(&self, tenant: &str) -> Result<Vec<Raw<Group>>, StoreError> {
        self.raw_rows("groups", "SELECT id, raw_json FROM groups WHERE tenant_id = $1 AND deleted_at IS NULL ORDER BY id", tenant).await
    }
    async fn group_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = self.query("SELECT group_id, member_id, member_type, removed_at FROM group_members WHERE tenant_id = $1 ORDER BY group_id, member_id", &[&tenant]).await?;
        Ok(rows
            .iter()
            .map(|r| Membership {
                container_id: r.get(0),
                member_id: r.get(1),
                member_type: r.get(2),
                removed_at: r.get(3),
            })
            .collect())
    }
    async fn role_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        let rows = self.query("SELECT role_id, member_id, member_type FROM role_members WHERE tenant_id = $1 ORDER BY role_id, member_id", &[&tenant]).await?;
        Ok(rows
            .iter()
            .map(|r| Membership {
                container_id: r.get(0),
                member_id: r.get(1),
                member_type: r.get(2),
                removed_at: None,
            })
            .collect())
    }
    async fn app_credentials(&self, tenant: &str) -> Result<Vec<StoredCredential>, StoreError> {
        let rows = self
            .query("SELECT owner_kind, owner_id, key_id, kind, app_id, owner_display_name, display_name, start_at, end_at FROM app_credentials WHERE tenant_id = $1 ORDER BY owner_kind, owner_id, kind, key_id", &[&tenant])
            .await?;
        Ok(rows
            .iter()
            .map(|r| StoredCredential {
                owner_kind: rows::credential_owner(r.get(0)),
                owner_id: r.get(1),
                app_id: r.get(4),
                owner_display_name: r.get(5),
                credential: rows::stored_credential(
                    r.get(3),
                    r.get(2),
                    r.get(6),
                    r.get(7),
                    r.get(8),
                ),
            })
            .collect())
    }
    async fn applications(&self, tenant: &str) -> Result<Vec<Raw<Application>>, StoreError> {
        self.raw_rows(
            "applications",
            "SELECT id, raw_json FROM applications WHERE tenant_id = $1 ORDER BY id",
            tenant,
        )
        .await
    }
    async fn service_principals(
        &self,
        tenant: &str,
    ) -> Result<Vec<Raw<ServicePrincipal>>, StoreError> {
        self.raw_rows(
            "service_principals",
            "SELECT id, raw_json FROM service_principals WHERE tenant_id = $1 ORDER BY id",
            tenant,
        )
        .await
    }
    async fn auth_methods(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Raw<AuthenticationMethod>)>, StoreError> {
        let rows = self.query("SELECT user_id, method_id, raw_json FROM auth_methods WHERE tenant_id = $1 ORDER BY user_id, method_type, method_id", &[&tenant]).await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.get::<_, String>(0),
                    parse_raw("auth_methods", r.get(1), r.get(2))?,
                ))
            })
            .collect()
    }
    async fn items(&self, tenant: &str, kind: ItemKind) -> Result<Vec<String>, StoreError> {
        let rows = self.query("SELECT raw_json FROM directory_items WHERE tenant_id = $1 AND kind = $2 ORDER BY id", &[&tenant, &kind.as_str()]).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

//! A fake tenant, a Graph client on it, and a remediator over a given store.

pub(crate) mod faulty_store;
pub(crate) mod mocked;

use std::collections::BTreeSet;
use std::sync::Arc;

use entra_auth::{ManualClock, SystemClock, TokenCredential};
use entra_fake::connect::FakeConnection;
use entra_fake::{FakeTenant, FakeTenantBuilder, RecordedRequest, Throttling};
use entra_model::{AuthenticationMethod, User, UserType};
use futures::TryStreamExt;
use graph_client::{GraphClient, GraphRequest};
use oort_remediation::{Remediator, RemediatorBuilder};

use oort_store::{AuditRecord, AuditStore};
use time::macros::datetime;

/// The fake answers tokens for the global Graph resource only.
pub(crate) const SCOPE: &str = "https://graph.microsoft.com/.default";

pub(crate) struct Env {
    pub(crate) tenant: FakeTenant,
    pub(crate) credential: Arc<dyn TokenCredential>,
    pub(crate) client: GraphClient,
    pub(crate) store: Arc<dyn AuditStore>,
    pub(crate) clock: ManualClock,
}

pub(crate) fn builder() -> FakeTenantBuilder {
    FakeTenant::builder()
        .seed(11)
        .members(30)
        .guests(6)
        .groups(3)
        .applications(2)
        .history_days(1)
        .attacks(false)
        .benign_lookalikes(false)
        .throttling(Throttling::disabled())
        .record_requests(true)
}

pub(crate) async fn env(store: Arc<dyn AuditStore>) -> Env {
    env_with(store, builder()).await
}

pub(crate) async fn env_with(store: Arc<dyn AuditStore>, builder: FakeTenantBuilder) -> Env {
    let tenant = builder.start().await.expect("the fake tenant starts");
    // Tokens and requests on the system clock: the remediator's own clock is a manual one.
    let FakeConnection {
        credential, client, ..
    } = FakeConnection::builder(&tenant)
        .clock(Arc::new(SystemClock))
        .graph(|client| client.throttling(false))
        .build()
        .expect("a client connects to the fake tenant");
    Env {
        tenant,
        credential,
        client,
        store,
        clock: ManualClock::new(datetime!(2025-06-02 12:30 UTC)),
    }
}

impl Env {
    /// A remediator over this tenant and store, break-glass accounts configured.
    pub(crate) fn remediator_builder(&self) -> RemediatorBuilder {
        Remediator::builder()
            .client(self.client.clone())
            .credential(self.credential.clone())
            .scope(SCOPE)
            .store(self.store.clone())
            .tenant(self.tenant.tenant_id())
            .clock(Arc::new(self.clock.clone()))
            .break_glass_accounts(self.tenant.break_glass_accounts())
    }

    pub(crate) fn remediator(&self) -> Remediator {
        self.remediator_builder().build().unwrap()
    }

    /// Graph requests the fake received (the token endpoint excluded).
    pub(crate) fn graph_requests(&self) -> Vec<RecordedRequest> {
        self.tenant
            .recorded_requests()
            .expect("recording is on")
            .into_iter()
            .filter(|r| {
                r.path_and_query.starts_with("/v1.0/") || r.path_and_query.starts_with("/beta/")
            })
            .collect()
    }

    /// The attempts as the audit trail says they ended, newest first: per attempt its
    /// outcome entry, or its intent when it has none (the chain holds both).
    pub(crate) async fn audit(&self) -> Vec<AuditRecord> {
        let entries = self
            .store
            .audit_log(self.tenant.tenant_id(), 200)
            .await
            .unwrap();
        let mut seen = std::collections::HashSet::new();
        entries
            .into_iter()
            .filter(|e| seen.insert(e.id.clone()))
            .collect()
    }

    /// Every entry of the tenant's audit chain, newest first.
    pub(crate) async fn audit_entries(&self) -> Vec<AuditRecord> {
        self.store
            .audit_log(self.tenant.tenant_id(), 200)
            .await
            .unwrap()
    }

    /// The user as the fake tenant holds it now (`None` once deleted).
    pub(crate) fn user(&self, id: &str) -> Option<User> {
        self.tenant
            .with_tenant(|t| t.users())
            .into_iter()
            .find(|u| u.id == id)
    }

    /// Ids of every user holding or able to activate any directory role (active assignments
    /// to them or to a group they are in, eligible assignments), read through Graph.
    pub(crate) async fn role_holders(&self) -> BTreeSet<String> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Assignment {
            principal_id: String,
        }
        #[derive(serde::Deserialize)]
        struct Id {
            id: String,
        }
        let mut principals: Vec<Assignment> = self
            .client
            .items(GraphRequest::get(
                "/roleManagement/directory/roleAssignments",
            ))
            .try_collect()
            .await
            .unwrap();
        // Without P2 the tenant has no eligibilities to read (Graph answers 400).
        let eligible: Vec<Assignment> = self
            .client
            .items(GraphRequest::get(
                "/roleManagement/directory/roleEligibilityScheduleInstances",
            ))
            .try_collect()
            .await
            .unwrap_or_default();
        principals.extend(eligible);
        let users: BTreeSet<String> = self
            .tenant
            .with_tenant(|t| t.users())
            .into_iter()
            .map(|u| u.id)
            .collect();
        let mut out = BTreeSet::new();
        for p in principals {
            if users.contains(&p.principal_id) {
                out.insert(p.principal_id);
                continue;
            }
            // A group: its members hold the role.
            let members: Vec<Id> = self
                .client
                .items(GraphRequest::get(format!(
                    "/groups/{}/transitiveMembers",
                    p.principal_id
                )))
                .try_collect()
                .await
                .unwrap_or_default();
            out.extend(members.into_iter().map(|m| m.id));
        }
        out
    }

    /// Ids of the Global Administrators, read through Graph.
    pub(crate) async fn global_admins(&self) -> Vec<String> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: String,
        }
        let members: Vec<Id> = self
            .client
            .items(GraphRequest::get(
                "/directoryRoles/62e90394-69f5-4237-9190-012177145e10/members",
            ))
            .try_collect()
            .await
            .unwrap();
        members.into_iter().map(|m| m.id).collect()
    }

    pub(crate) async fn methods(&self, user_id: &str) -> Vec<AuthenticationMethod> {
        self.client
            .items(GraphRequest::get(format!(
                "/users/{user_id}/authentication/methods"
            )))
            .try_collect()
            .await
            .unwrap()
    }

    /// Members holding and able to activate no directory role, not on the break-glass list.
    pub(crate) async fn plain_members(&self) -> Vec<User> {
        let admins = self.role_holders().await;
        let break_glass = self.tenant.break_glass_accounts();
        self.tenant
            .with_tenant(|t| t.users())
            .into_iter()
            .filter(|u| u.user_type == Some(UserType::Member))
            .filter(|u| !admins.contains(&u.id))
            .filter(|u| {
                !break_glass
                    .iter()
                    .any(|b| Some(b.as_str()) == u.user_principal_name.as_deref())
            })
            .collect()
    }

    pub(crate) fn guests(&self) -> Vec<User> {
        self.tenant
            .with_tenant(|t| t.users())
            .into_iter()
            .filter(User::is_guest)
            .collect()
    }

    /// A plain member whose methods satisfy `pred`.
    pub(crate) async fn member_with_methods(
        &self,
        pred: impl Fn(&[AuthenticationMethod]) -> bool,
    ) -> (User, Vec<AuthenticationMethod>) {
        for u in self.plain_members().await {
            let methods = self.methods(&u.id).await;
            if pred(&methods) {
                return (u, methods);
            }
        }
        panic!("no member of the fake tenant has the methods this test needs");
    }
}

pub(crate) fn is_phone(m: &AuthenticationMethod) -> bool {
    matches!(m, AuthenticationMethod::Phone(_))
}

pub(crate) fn is_password(m: &AuthenticationMethod) -> bool {
    matches!(m, AuthenticationMethod::Password(_))
}

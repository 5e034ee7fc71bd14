//! A store that delegates to a real one, with one fault: the process "dies" right after the
//! intent is written, or the outcome is never recorded.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use entra_model::{Application, AuthenticationMethod, Group, Raw, ServicePrincipal, SignIn};
use oort_collector::store::{
    AuditRecord, Batch, Checkpoint, CollectionRun, FindingFilter, ItemKind, Membership,
    SignInQuery, SnapshotScope, Store, StoreError, StoredCredential, StoredFinding, StoredUser,
    WriteContext, WriteSummary,
};
use time::OffsetDateTime;
use tokio::sync::oneshot;

#[derive(Debug)]
pub(crate) enum Fault {
    /// After an `incomplete` entry is appended: signal, then never return (a crash).
    HangAfterIntent(Mutex<Option<oneshot::Sender<()>>>),
    /// `complete_audit` reports that nothing was completed.
    LoseCompletion,
}

#[derive(Debug)]
pub(crate) struct FaultyStore {
    pub(crate) inner: Arc<dyn Store>,
    pub(crate) fault: Fault,
}

#[async_trait]
impl Store for FaultyStore {
    async fn write(
        &self,
        ctx: WriteContext<'_>,
        batch: Batch,
        checkpoint: Option<Checkpoint>,
    ) -> Result<WriteSummary, StoreError> {
        self.inner.write(ctx, batch, checkpoint).await
    }

    async fn finish_snapshot(
        &self,
        ctx: WriteContext<'_>,
        scope: SnapshotScope,
        started_at: OffsetDateTime,
    ) -> Result<u64, StoreError> {
        self.inner.finish_snapshot(ctx, scope, started_at).await
    }

    async fn save_checkpoint(
        &self,
        tenant: &str,
        checkpoint: Checkpoint,
    ) -> Result<(), StoreError> {
        self.inner.save_checkpoint(tenant, checkpoint).await
    }

    async fn checkpoints(&self, tenant: &str, stream: &str) -> Result<Vec<Checkpoint>, StoreError> {
        self.inner.checkpoints(tenant, stream).await
    }

    async fn delete_checkpoint(
        &self,
        tenant: &str,
        stream: &str,
        key: &str,
    ) -> Result<(), StoreError> {
        self.inner.delete_checkpoint(tenant, stream, key).await
    }

    async fn record_run(&self, tenant: &str, run: &CollectionRun) -> Result<(), StoreError> {
        self.inner.record_run(tenant, run).await
    }

    async fn runs(&self, tenant: &str, limit: usize) -> Result<Vec<CollectionRun>, StoreError> {
        self.inner.runs(tenant, limit).await
    }

    async fn sign_ins(
        &self,
        tenant: &str,
        query: SignInQuery,
    ) -> Result<Vec<Raw<SignIn>>, StoreError> {
        self.inner.sign_ins(tenant, query).await
    }

    async fn sign_in_count(&self, tenant: &str) -> Result<u64, StoreError> {
        self.inner.sign_in_count(tenant).await
    }

    async fn directory_audit_count(&self, tenant: &str) -> Result<u64, StoreError> {
        self.inner.directory_audit_count(tenant).await
    }

    async fn users(&self, tenant: &str) -> Result<Vec<StoredUser>, StoreError> {
        self.inner.users(tenant).await
    }

    async fn groups(&self, tenant: &str) -> Result<Vec<Raw<Group>>, StoreError> {
        self.inner.groups(tenant).await
    }

    async fn group_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        self.inner.group_members(tenant).await
    }

    async fn role_members(&self, tenant: &str) -> Result<Vec<Membership>, StoreError> {
        self.inner.role_members(tenant).await
    }

    async fn app_credentials(&self, tenant: &str) -> Result<Vec<StoredCredential>, StoreError> {
        self.inner.app_credentials(tenant).await
    }

    async fn applications(&self, tenant: &str) -> Result<Vec<Raw<Application>>, StoreError> {
        self.inner.applications(tenant).await
    }

    async fn service_principals(
        &self,
        tenant: &str,
    ) -> Result<Vec<Raw<ServicePrincipal>>, StoreError> {
        self.inner.service_principals(tenant).await
    }

    async fn auth_methods(
        &self,
        tenant: &str,
    ) -> Result<Vec<(String, Raw<AuthenticationMethod>)>, StoreError> {
        self.inner.auth_methods(tenant).await
    }

    async fn items(&self, tenant: &str, kind: ItemKind) -> Result<Vec<String>, StoreError> {
        self.inner.items(tenant, kind).await
    }

    async fn upsert_findings(
        &self,
        ctx: WriteContext<'_>,
        findings: Vec<StoredFinding>,
    ) -> Result<WriteSummary, StoreError> {
        self.inner.upsert_findings(ctx, findings).await
    }

    async fn findings(
        &self,
        tenant: &str,
        filter: FindingFilter,
    ) -> Result<Vec<StoredFinding>, StoreError> {
        self.inner.findings(tenant, filter).await
    }

    async fn record_notification(
        &self,
        tenant: &str,
        fingerprint: &str,
        status: &str,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.inner
            .record_notification(tenant, fingerprint, status, at)
            .await
    }

    async fn append_audit(&self, tenant: &str, record: &AuditRecord) -> Result<(), StoreError> {
        self.inner.append_audit(tenant, record).await?;
        if let Fault::HangAfterIntent(signal) = &self.fault {
            if record.outcome == "incomplete" {
                if let Some(tx) = signal.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                std::future::pending::<()>().await;
            }
        }
        Ok(())
    }

    async fn complete_audit(&self, tenant: &str, record: &AuditRecord) -> Result<bool, StoreError> {
        match self.fault {
            Fault::LoseCompletion => Ok(false),
            Fault::HangAfterIntent(_) => self.inner.complete_audit(tenant, record).await,
        }
    }

    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner.audit_log(tenant, limit).await
    }

    async fn register_tenant(&self, tenant: &str) -> Result<(), StoreError> {
        self.inner.register_tenant(tenant).await
    }

    async fn acquire_lease(
        &self,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<Option<String>, StoreError> {
        self.inner.acquire_lease(owner, ttl, now).await
    }

    async fn renew_lease(
        &self,
        tenant: &str,
        owner: &str,
        ttl: time::Duration,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        self.inner.renew_lease(tenant, owner, ttl, now).await
    }

    async fn release_lease(&self, tenant: &str, owner: &str) -> Result<(), StoreError> {
        self.inner.release_lease(tenant, owner).await
    }
}

//! An audit trail that delegates to a real store's, with one fault: the process "dies" right after the
//! intent is written, or the outcome is never recorded.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oort_store::{AuditOutcome, AuditRecord, AuditStore, StoreError};
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
    pub(crate) inner: Arc<dyn AuditStore>,
    pub(crate) fault: Fault,
}

#[async_trait]
impl AuditStore for FaultyStore {
    async fn append_audit(&self, tenant: &str, record: &AuditRecord) -> Result<(), StoreError> {
        self.inner.append_audit(tenant, record).await?;
        if let Fault::HangAfterIntent(signal) = &self.fault {
            if record.outcome == AuditOutcome::Incomplete {
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
}

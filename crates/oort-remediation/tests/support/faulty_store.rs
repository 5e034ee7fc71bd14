//! An audit trail that delegates to a real store's, with one fault: the process "dies" right after the
//! intent is written, or the outcome cannot be appended.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use oort_store::{AuditOutcome, AuditRecord, AuditStore, ChainLink, ChainVerification, StoreError};
use tokio::sync::oneshot;

#[derive(Debug)]
pub(crate) enum Fault {
    /// After an `incomplete` entry is appended: signal, then never return (a crash).
    HangAfterIntent(Mutex<Option<oneshot::Sender<()>>>),
    /// The outcome entry (anything but `incomplete`) cannot be appended.
    LoseOutcome,
}

#[derive(Debug)]
pub(crate) struct FaultyStore {
    pub(crate) inner: Arc<dyn AuditStore>,
    pub(crate) fault: Fault,
}

#[async_trait]
impl AuditStore for FaultyStore {
    async fn append_audit(
        &self,
        tenant: &str,
        record: &AuditRecord,
    ) -> Result<ChainLink, StoreError> {
        if matches!(self.fault, Fault::LoseOutcome) && record.outcome != AuditOutcome::Incomplete {
            // A real store error: an entry that cannot be appended (a second intent).
            let mut twice = record.clone();
            twice.outcome = AuditOutcome::Incomplete;
            return self.inner.append_audit(tenant, &twice).await;
        }
        let link = self.inner.append_audit(tenant, record).await?;
        if let Fault::HangAfterIntent(signal) = &self.fault {
            if record.outcome == AuditOutcome::Incomplete {
                if let Some(tx) = signal.lock().unwrap().take() {
                    let _ = tx.send(());
                }
                std::future::pending::<()>().await;
            }
        }
        Ok(link)
    }

    async fn audit_log(&self, tenant: &str, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
        self.inner.audit_log(tenant, limit).await
    }

    async fn audit_chains(&self) -> Result<Vec<String>, StoreError> {
        self.inner.audit_chains().await
    }

    async fn verify_audit_chain(&self, chain: &str) -> Result<ChainVerification, StoreError> {
        self.inner.verify_audit_chain(chain).await
    }
}

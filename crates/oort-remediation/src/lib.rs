//! Gated, audited remediation actions on Microsoft Entra ID users.
//!
//! When a finding is confirmed, an operator acts from oort instead of the Entra portal. Four
//! actions exist, each able to do real damage, so each passes four gates in order, can be
//! previewed, and leaves a record:
//!
//! | action | Graph calls (after reading the user) |
//! | --- | --- |
//! | [`Action::UpdateUserType`] | `PATCH /users/{id}` `{"userType": ...}` |
//! | [`Action::DeleteGuestUser`] | `DELETE /users/{id}` (external guests only; restorable 30 days) |
//! | [`Action::LogOut`] | `POST /users/{id}/revokeSignInSessions` |
//! | [`Action::ResetMfa`] | `GET /users/{id}/authentication/methods`, then a `DELETE` per method at its type's path, alternate and office phones first, the mobile phone last, the password never |
//!
//! The gates ([`Gate`]), each refusing with a typed [`RemediationError`] that says what to do:
//! 1. **Operator role** ([`OperatorRole`], from the operator's record in the store): `Administrator` may
//!    take every action, `HelpDesk` all but deleting, `ReadOnly` none. Only an `Administrator`
//!    may act on a privileged target, and only with an explicit override and its reason
//!    ([`RemediationRequest::override_privileged`]); any other role is refused here whatever it
//!    passes, and again once the target turns out privileged.
//! 2. **Granted permissions**: the app token's `roles` must cover every call of the action as
//!    `entra-model`'s catalogue lists it ([`entra_model::RemediationAction::requirement`]), and,
//!    unless an Administrator overrides the privileged protection, the reads that tell whether
//!    the target is privileged ([`entra_model::Requirement::PRIVILEGED_TARGET`]: transitive
//!    memberships, role assignments, eligibility schedule instances). Nothing is sent to Graph
//!    before this gate passes.
//! 3. **Target rules** (reads only): the target (object id or UPN) is resolved to an id; break-glass
//!    and configured protected accounts are refused; a privileged target (one that holds or can
//!    activate a privileged directory role: directly, through a role-assignable group, or as
//!    eligible in Privileged Identity Management; when eligibility cannot be read, treated as
//!    privileged) is refused without the override, and the plan says which role and how
//!    ([`Privilege`]); delete refuses a non-guest, a guest that is not an external account, and
//!    the operator who made the user a guest within 7 days; update user type refuses a no-op.
//! 4. **Confirmation**: the default is a dry run returning the plan — every write with method,
//!    path and body, the gates passed, the target's state — without writing anything;
//!    [`RemediationRequest::confirm`] executes it.
//!
//! A reset MFA deletes the methods in a safe order and retries the ones Graph refuses while
//! others remain (the user's default method) once the others are gone; it ends `partial` only
//! when something is still registered, naming each method left, why, and Graph's request-id.
//!
//! Every attempt is appended to the store's audit chain ([`oort_store::AuditStore`]), never
//! updated: refusals by the first two gates as one outcome entry; anything that reaches Graph
//! as an `incomplete` intent entry written before the first Graph call and an outcome entry
//! (`refused`, `dry_run`, `success`, `partial`, `failed`) with the same id after the last. Each
//! entry names the operator, their role and, when the caller gives it ([`Operator::with_origin`]),
//! the OS account, host and process they acted from. The entry is the
//! [`Report`]: gates, target state, plan, every call with its status and Graph `request-id`.
//!
//! This crate is not a Graph client (calls go through `graph-client`), not a token library
//! (`entra-auth`), not a store (`oort-collector`), and decides nothing by itself: which user to
//! act on is the operator's call, typically after a finding of `oort-checks`.
//!
//! # Example
//!
//! A dry run, then the execution, of logging a guest out of a fake tenant:
//!
//! ```
//! use std::sync::Arc;
//! use entra_auth::{ClientSecretCredential, Cloud, TokenCache, TokenCredential};
//! use graph_client::GraphClient;
//! use oort_store::prelude::*;
//! use oort_store::SqliteStore;
//! use oort_remediation::{Action, Operator, OperatorRole, AuditOutcome, RemediationRequest, Remediator};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tenant = entra_fake::FakeTenant::builder().seed(3).members(10).guests(2).start().await?;
//! let credential: Arc<dyn TokenCredential> = Arc::new(TokenCache::new(Arc::new(
//!     ClientSecretCredential::builder(
//!         tenant.tenant_id(),
//!         tenant.client_id(),
//!         secrecy::SecretString::from(tenant.client_secret()),
//!     )
//!     .cloud(Cloud::custom(&tenant.authority_host(), &tenant.graph_url())?)
//!     .build()?,
//! )));
//! let scope = "https://graph.microsoft.com/.default"; // the fake's resource
//! let client = GraphClient::builder()
//!     .credential(credential.clone())
//!     .base_url(tenant.graph_url())
//!     .scope(scope)
//!     .build()?;
//! let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory()?);
//! let remediator = Remediator::builder()
//!     .client(client)
//!     .credential(credential)
//!     .scope(scope)
//!     .store(store.clone())
//!     .tenant(tenant.tenant_id())
//!     .break_glass_accounts(tenant.break_glass_accounts())
//!     .build()?;
//!
//! let guest = tenant.with_tenant(|t| t.users()).into_iter().find(|u| u.is_guest()).unwrap();
//! let upn = guest.user_principal_name.clone().unwrap();
//! let request = RemediationRequest::new(
//!     Action::LogOut,
//!     upn.as_str(),
//!     Operator::new("alice", OperatorRole::HelpDesk),
//! );
//!
//! let plan = remediator.run(&request).await?;
//! assert_eq!(plan.outcome, AuditOutcome::DryRun);
//! assert_eq!(plan.plan[0].path, format!("/users/{}/revokeSignInSessions", guest.id));
//!
//! let done = remediator.run(&request.confirm()).await?;
//! assert_eq!(done.outcome, AuditOutcome::Success);
//! assert!(done.notes.iter().any(|n| n.contains("up to about an hour")));
//!
//! // Two attempts, each an intent and an outcome entry, in a chain that verifies.
//! let trail = store.audit_log(tenant.tenant_id(), 10).await?;
//! assert_eq!(trail.len(), 4);
//! assert!(store.verify_audit_chain(tenant.tenant_id()).await?.is_intact());
//! let outcomes = trail.iter().filter(|r| r.outcome != AuditOutcome::Incomplete);
//! assert!(outcomes.into_iter().all(|r| r.target_id.as_deref() == Some(guest.id.as_str())));
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod error;
mod remediator;
mod report;
mod request;

pub use error::{ErrorKind, Protection, RemediationError};
pub use remediator::{Remediator, RemediatorBuilder};
pub use report::{
    AuditOutcome, CallResult, Gate, GateCheck, MethodResult, MethodStatus, Mode, PlannedCall,
    Privilege, PrivilegedRole, Report, TargetState, Via,
};
pub use request::{Action, Operator, OperatorRole, RemediationRequest, Target};

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_and_sync() {
        assert_send_sync::<Remediator>();
        assert_send_sync::<RemediationError>();
        assert_send_sync::<Report>();
        assert_send_sync::<RemediationRequest>();
    }
}

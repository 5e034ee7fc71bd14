//! The remediator: gates, plan, execution and audit trail of one attempt.
//!
//! [`Remediator::run`] walks an attempt through the four gates; the steps live in one module
//! each: `audit` (the intent and its completion), `plan` (gate 3 and the dry-run plan),
//! `execute` (the writes of a confirmed plan) and `calls` (every Graph call, recorded).

use std::sync::Arc;

use entra_auth::{Clock, SystemClock, TokenCredential};
use entra_model::{Clause, PermissionSet, Requirement};
use graph_client::GraphClient;
use oort_store::AuditStore;
use time::OffsetDateTime;

use crate::error::{ErrorKind, RemediationError};
use crate::report::{AuditOutcome, Gate, Mode, Report};
use crate::request::{Action, OperatorRole, RemediationRequest};

mod audit;
mod calls;
mod execute;
mod guest;
mod plan;
mod privilege;

/// Performs remediation actions through Graph, behind the four gates, and records every attempt
/// in the store's audit trail. Build it with [`Remediator::builder`]; run attempts with
/// [`Remediator::run`].
#[derive(Debug, Clone)]
pub struct Remediator {
    client: GraphClient,
    credential: Arc<dyn TokenCredential>,
    scope: String,
    store: Arc<dyn AuditStore>,
    tenant: String,
    clock: Arc<dyn Clock>,
    break_glass: Vec<String>,
    protected: Vec<String>,
}

/// Builds a [`Remediator`].
#[derive(Debug, Default)]
pub struct RemediatorBuilder {
    client: Option<GraphClient>,
    credential: Option<Arc<dyn TokenCredential>>,
    scope: Option<String>,
    store: Option<Arc<dyn AuditStore>>,
    tenant: Option<String>,
    clock: Option<Arc<dyn Clock>>,
    break_glass: Vec<String>,
    protected: Vec<String>,
}

impl RemediatorBuilder {
    /// The Graph client every call goes through. Required.
    pub fn client(mut self, client: GraphClient) -> Self {
        self.client = Some(client);
        self
    }

    /// The credential the client uses: its token's `roles` are the permissions the second gate
    /// checks. Required.
    pub fn credential(mut self, credential: Arc<dyn TokenCredential>) -> Self {
        self.credential = Some(credential);
        self
    }

    /// The token scope. Default: `{origin of the client's Graph root}/.default`, as the client
    /// uses by default.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The store whose audit trail records every attempt. Required.
    pub fn store(mut self, store: Arc<dyn AuditStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The tenant id the audit records are filed under. Required.
    pub fn tenant(mut self, tenant: impl Into<String>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// The clock that dates audit records. Default: the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Break-glass accounts (UPNs or object ids, case-insensitive): never acted on. Default: none.
    pub fn break_glass_accounts<I, S>(mut self, accounts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.break_glass = clean(accounts);
        self
    }

    /// More accounts never acted on (UPNs or object ids, case-insensitive). Default: none.
    pub fn protected_accounts<I, S>(mut self, accounts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protected = clean(accounts);
        self
    }

    /// Builds the remediator; fails when the client, credential, store or tenant is missing.
    pub fn build(self) -> Result<Remediator, RemediationError> {
        let missing = |what: &str| {
            RemediationError::new(ErrorKind::Config(format!(
                "no {what}: call .{what}(...) on the builder"
            )))
        };
        let client = self.client.ok_or_else(|| missing("client"))?;
        let credential = self.credential.ok_or_else(|| missing("credential"))?;
        let store = self.store.ok_or_else(|| missing("store"))?;
        let tenant = self.tenant.ok_or_else(|| missing("tenant"))?;
        let scope = self
            .scope
            .unwrap_or_else(|| format!("{}/.default", origin(client.root())));
        Ok(Remediator {
            client,
            credential,
            scope,
            store,
            tenant,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            break_glass: self.break_glass,
            protected: self.protected,
        })
    }
}

fn clean<I, S>(accounts: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    accounts
        .into_iter()
        .map(Into::into)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `scheme://host:port` of a URL (the root has no query).
fn origin(root: &str) -> &str {
    let after_scheme = root.find("://").map_or(0, |i| i + 3);
    match root[after_scheme..].find('/') {
        Some(i) => &root[..after_scheme + i],
        None => root,
    }
}
impl Remediator {
    /// A builder.
    pub fn builder() -> RemediatorBuilder {
        RemediatorBuilder::default()
    }

    /// The tenant the audit records are filed under.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// Runs one attempt through the gates, in order: the operator's role, the app's granted
    /// permissions, the target rules, and the confirmation. A dry run (the default) returns the
    /// plan and changes nothing; a confirmed request executes it.
    ///
    /// Every attempt is recorded in the audit trail. Refusals by the first two gates send
    /// nothing to Graph; from then on an `incomplete` intent is written before the first Graph
    /// call and an outcome entry appended after the last, so an attempt interrupted in between
    /// leaves an `incomplete` entry. The third gate only reads (the user, their role-assignable
    /// groups, role assignments and eligibilities, role definitions, the user's methods, and
    /// for a deletion the store's audit trail); nothing is written before the fourth.
    ///
    /// Returns the report of a dry run, a success or a partial reset; a refusal or failure is an
    /// error carrying the report where one was made.
    pub async fn run(&self, request: &RemediationRequest) -> Result<Report, RemediationError> {
        let mut attempt = Attempt::new(self, request);
        attempt.check_role(request).await?;
        attempt.check_permissions(request).await?;

        // The intent, before the first Graph call.
        attempt.write_intent().await?;

        // Gate 3: the target rules (reads only).
        let plan = match attempt.plan(request).await {
            Ok(plan) => plan,
            Err(e) => return Err(attempt.finish_err(e).await),
        };

        // Gate 4: confirmation.
        if !request.confirmed {
            attempt.pass(
                Gate::Confirmation,
                "dry run: no confirmation given, nothing was written".to_owned(),
            );
            attempt.report.outcome = AuditOutcome::DryRun;
            return attempt.finish_ok().await;
        }
        attempt.pass(
            Gate::Confirmation,
            "confirmed by the operator: executing the plan".to_owned(),
        );
        match attempt.execute(plan).await {
            Ok(()) => attempt.finish_ok().await,
            Err(e) => Err(attempt.finish_err(e).await),
        }
    }
}

/// One attempt on its way through the gates: the report it fills, and whether its intent is in
/// the audit trail yet.
struct Attempt<'a> {
    r: &'a Remediator,
    report: Report,
    at: OffsetDateTime,
    intent_written: bool,
    /// The token's roles, once the permission gate read them.
    granted: PermissionSet,
}

impl<'a> Attempt<'a> {
    /// An attempt at `request`, dated now, with an empty report.
    fn new(r: &'a Remediator, request: &RemediationRequest) -> Self {
        let at = r.clock.now();
        let report = Report {
            audit_id: uuid::Uuid::new_v4().to_string(),
            action: request.action.kind(),
            new_user_type: match &request.action {
                Action::UpdateUserType(t) => Some(t.clone()),
                _ => None,
            },
            mode: if request.confirmed {
                Mode::Execute
            } else {
                Mode::DryRun
            },
            outcome: AuditOutcome::Incomplete,
            operator: request.operator.name.clone(),
            role: request.operator.role,
            origin: request.operator.origin.clone(),
            target_given: request.target.as_str().to_owned(),
            privileged_override: request.override_privileged.clone(),
            target: None,
            gates: Vec::new(),
            plan: Vec::new(),
            calls: Vec::new(),
            methods: Vec::new(),
            undo: None,
            notes: Vec::new(),
            error: None,
        };
        Attempt {
            r,
            report,
            at,
            intent_written: false,
            granted: PermissionSet::new(),
        }
    }

    /// Gate 1: the operator's role. A refusal is recorded (no intent: nothing was sent yet).
    async fn check_role(&mut self, request: &RemediationRequest) -> Result<(), RemediationError> {
        let action = request.action.kind();
        let role = request.operator.role;
        if !role.may(action) {
            let kind = ErrorKind::RoleNotAllowed {
                operator: request.operator.name.clone(),
                role,
                action,
            };
            return Err(self.refuse(Gate::OperatorRole, kind).await);
        }
        if let Some(reason) = &request.override_privileged {
            if role != OperatorRole::Administrator {
                let kind = ErrorKind::OverrideNeedsAdministrator {
                    operator: request.operator.name.clone(),
                    role,
                };
                return Err(self.refuse(Gate::OperatorRole, kind).await);
            }
            if reason.trim().is_empty() {
                let kind = ErrorKind::InvalidRequest {
                    reason:
                        "the privileged override needs a reason (it is stored in the audit trail)"
                            .to_owned(),
                };
                return Err(self.refuse(Gate::OperatorRole, kind).await);
            }
        }
        self.pass(Gate::OperatorRole, format!("role {role} may {action}"));
        Ok(())
    }

    /// Gate 2: the app's granted permissions (the token's roles) cover every call of the action,
    /// and the Global Administrator check unless overridden. A refusal is recorded.
    async fn check_permissions(
        &mut self,
        request: &RemediationRequest,
    ) -> Result<(), RemediationError> {
        let action = request.action.kind();
        let token = match self.r.credential.get_token(&self.r.scope).await {
            Ok(t) => t,
            Err(e) => {
                let err = RemediationError::new(ErrorKind::Token).with_source(Box::new(e));
                return Err(self.finish_err(err).await);
            }
        };
        let granted = token.claims.roles;
        let mut missing: Vec<Clause> = action.requirement().missing(&granted);
        let overridden = request.override_privileged.is_some();
        if !overridden {
            missing.extend(Requirement::PRIVILEGED_TARGET.missing(&granted));
        }
        if !missing.is_empty() {
            let kind = ErrorKind::MissingPermissions { action, missing };
            return Err(self.refuse(Gate::Permissions, kind).await);
        }
        self.granted = granted.clone();
        let names: Vec<&str> = granted.names().collect();
        self.pass(
            Gate::Permissions,
            format!(
                "the token's roles ({}) cover every call of {action}{}",
                names.join(", "),
                if overridden {
                    ""
                } else {
                    " and the privileged-role reads"
                }
            ),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_drops_the_path() {
        assert_eq!(
            origin("https://graph.microsoft.com"),
            "https://graph.microsoft.com"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/prefix"),
            "http://127.0.0.1:8080"
        );
    }
}

//! The remediator: gates, plan, execution and audit trail of one attempt.

use std::sync::Arc;

use entra_auth::{Clock, SystemClock, TokenCredential};
use entra_model::{
    AuthenticationMethod, Capability, Clause, DirectoryRole, RemediationAction, User, UserType,
    UserTypeUpdate,
};
use futures::TryStreamExt;
use graph_client::{Continuation, GraphClient, GraphError, GraphRequest, GraphResponse};
use oort_store::{AuditRecord, AuditStore};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use time::OffsetDateTime;

use crate::error::{ErrorKind, Protection, RemediationError};
use crate::report::{
    AuditOutcome, CallResult, Gate, GateCheck, MethodResult, MethodStatus, Mode, PlannedCall,
    Report, TargetState,
};
use crate::request::{Action, RemediationRequest, Target};

const USER_SELECT: &[&str] = &[
    "id",
    "userPrincipalName",
    "displayName",
    "userType",
    "accountEnabled",
    "signInSessionsValidFromDateTime",
];

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

fn is_object_id(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[derive(Deserialize)]
struct Collection<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

#[derive(Deserialize)]
struct IdOnly {
    #[serde(default)]
    id: String,
    #[serde(rename = "roleTemplateId", default)]
    role_template_id: Option<String>,
}

/// What planning produced, for execution.
enum Plan {
    Single(GraphRequest),
    Methods(Vec<(usize, GraphRequest)>),
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
    /// call and completed with the outcome after the last, so an attempt interrupted in between
    /// leaves an `incomplete` entry. The third gate only reads (the user, the Global
    /// Administrator role's members, the user's methods); nothing is written before the fourth.
    ///
    /// Returns the report of a dry run, a success or a partial reset; a refusal or failure is an
    /// error carrying the report where one was made.
    pub async fn run(&self, request: &RemediationRequest) -> Result<Report, RemediationError> {
        let action = request.action.kind();
        let at = self.clock.now();
        let report = Report {
            audit_id: uuid::Uuid::new_v4().to_string(),
            action,
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
            target_given: request.target.as_str().to_owned(),
            global_admin_override: request.override_global_admin_protection,
            target: None,
            gates: Vec::new(),
            plan: Vec::new(),
            calls: Vec::new(),
            methods: Vec::new(),
            undo: None,
            notes: Vec::new(),
            error: None,
        };
        let mut attempt = Attempt {
            r: self,
            report,
            at,
            intent_written: false,
        };

        // Gate 1: the operator's role.
        let role = request.operator.role;
        if !role.may(action) {
            let kind = ErrorKind::RoleNotAllowed {
                operator: request.operator.name.clone(),
                role,
                action,
            };
            return Err(attempt.refuse(Gate::OperatorRole, kind).await);
        }
        attempt.pass(Gate::OperatorRole, format!("role {role} may {action}"));

        // Gate 2: the app's granted permissions (the token's roles).
        let token = match self.credential.get_token(&self.scope).await {
            Ok(t) => t,
            Err(e) => {
                let err = RemediationError::new(ErrorKind::Token).with_source(Box::new(e));
                return Err(attempt.finish_err(err).await);
            }
        };
        let granted = token.claims.roles;
        let mut missing: Vec<Clause> = action.requirement().missing(&granted);
        if !request.override_global_admin_protection {
            missing.extend(Capability::DirectoryRoles.requirement().missing(&granted));
        }
        if !missing.is_empty() {
            let kind = ErrorKind::MissingPermissions { action, missing };
            return Err(attempt.refuse(Gate::Permissions, kind).await);
        }
        let names: Vec<&str> = granted.names().collect();
        attempt.pass(
            Gate::Permissions,
            format!(
                "the token's roles ({}) cover every call of {action}{}",
                names.join(", "),
                if request.override_global_admin_protection {
                    ""
                } else {
                    " and the Global Administrator check"
                }
            ),
        );

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

struct Attempt<'a> {
    r: &'a Remediator,
    report: Report,
    at: OffsetDateTime,
    intent_written: bool,
}

impl Attempt<'_> {
    fn pass(&mut self, gate: Gate, detail: String) {
        self.report.gates.push(GateCheck {
            gate,
            passed: true,
            detail,
        });
    }

    fn record(&self) -> AuditRecord {
        // A report always serializes (string keys, no maps with other keys); `Null` is unreachable.
        let entry = serde_json::to_value(&self.report).unwrap_or(serde_json::Value::Null);
        let mut rec = AuditRecord::intent(
            self.report.audit_id.clone(),
            self.at,
            self.report.operator.clone(),
            self.report.role.as_str(),
            self.report.action.as_str(),
            entry,
        );
        if let Some(t) = &self.report.target {
            rec.target_id = Some(t.id.clone());
            rec.target_upn = t.user_principal_name.clone();
        }
        rec
    }

    async fn write_intent(&mut self) -> Result<(), RemediationError> {
        let rec = self.record();
        match self.r.store.append_audit(&self.r.tenant, &rec).await {
            Ok(()) => {
                self.intent_written = true;
                Ok(())
            }
            Err(e) => Err(RemediationError::new(ErrorKind::Audit {
                context: format!("the intent of {}", self.report.action),
            })
            .with_source(Box::new(e))),
        }
    }

    /// Writes the final record: completes the intent, or appends a complete entry when no intent
    /// was written (the first two gates).
    async fn write_outcome(&mut self) -> Result<(), RemediationError> {
        let mut rec = self.record();
        rec.outcome = self.report.outcome;
        rec.completed_at = Some(self.r.clock.now());
        tracing::info!(
            audit_id = %rec.id,
            action = %rec.action,
            operator = %rec.operator,
            role = %rec.role,
            target_id = rec.target_id.as_deref().unwrap_or(""),
            outcome = %rec.outcome,
            "remediation attempt"
        );
        if self.intent_written {
            match self.r.store.complete_audit(&self.r.tenant, &rec).await {
                Ok(true) => Ok(()),
                Ok(false) => Err(RemediationError::new(ErrorKind::AuditIncomplete {
                    // The store found no incomplete entry with this id to complete.
                    audit_id: rec.id,
                    outcome: rec.outcome,
                })),
                Err(e) => Err(RemediationError::new(ErrorKind::AuditIncomplete {
                    audit_id: rec.id,
                    outcome: rec.outcome,
                })
                .with_source(Box::new(e))),
            }
        } else {
            self.r
                .store
                .append_audit(&self.r.tenant, &rec)
                .await
                .map_err(|e| {
                    RemediationError::new(ErrorKind::Audit {
                        context: format!("the {} outcome of {}", rec.outcome, rec.action),
                    })
                    .with_source(Box::new(e))
                })
        }
    }

    async fn refuse(&mut self, gate: Gate, kind: ErrorKind) -> RemediationError {
        let err = RemediationError::new(kind);
        self.report.gates.push(GateCheck {
            gate,
            passed: false,
            detail: err.to_string(),
        });
        self.finish_err(err).await
    }

    async fn finish_err(&mut self, err: RemediationError) -> RemediationError {
        if err.is_refusal() {
            self.report.outcome = AuditOutcome::Refused;
            if !self.report.gates.iter().any(|g| !g.passed) {
                let gate = err.gate().unwrap_or(Gate::TargetRules);
                self.report.gates.push(GateCheck {
                    gate,
                    passed: false,
                    detail: err.to_string(),
                });
            }
        } else {
            self.report.outcome = AuditOutcome::Failed;
        }
        self.report.error = Some(err.to_string());
        match self.write_outcome().await {
            Ok(()) => err.with_report(self.report.clone()),
            Err(audit) => audit.with_report(self.report.clone()),
        }
    }

    async fn finish_ok(&mut self) -> Result<Report, RemediationError> {
        self.write_outcome()
            .await
            .map_err(|e| e.with_report(self.report.clone()))?;
        Ok(self.report.clone())
    }

    /// Sends a request, recording the call.
    async fn send(&mut self, request: GraphRequest) -> Result<GraphResponse, GraphError> {
        let method = request.method().as_str().to_owned();
        let path = request.relative_url();
        let result = self.r.client.execute(request).await;
        self.report.calls.push(match &result {
            Ok(resp) => CallResult {
                method,
                path,
                status: Some(resp.status()),
                request_id: resp.request_id().map(str::to_owned),
                error_code: None,
                error: None,
            },
            Err(e) => CallResult {
                method,
                path,
                status: e.status(),
                request_id: e.request_id().map(str::to_owned),
                error_code: e.code().map(str::to_owned),
                error: Some(e.to_string()),
            },
        });
        result
    }

    /// Reads a collection, every page.
    async fn collection<T: DeserializeOwned + Send + 'static>(
        &mut self,
        request: GraphRequest,
    ) -> Result<Vec<T>, GraphError> {
        let first: Collection<T> = self.send(request).await?.json()?;
        let mut items = first.value;
        if let Some(link) = first.next_link {
            let rest: Vec<T> = self
                .r
                .client
                .resume::<T>(Continuation::next_link(link.clone()))
                .items()
                .try_collect()
                .await?;
            self.report.calls.push(CallResult {
                method: "GET".to_owned(),
                path: link,
                status: Some(200),
                request_id: None,
                error_code: None,
                error: None,
            });
            items.extend(rest);
        }
        Ok(items)
    }

    /// Gate 3 and the plan: resolves the target, checks the rules, lists what would be written.
    async fn plan(&mut self, request: &RemediationRequest) -> Result<Plan, RemediationError> {
        if let Action::UpdateUserType(t) = &request.action {
            if !matches!(t, UserType::Member | UserType::Guest) {
                return Err(RemediationError::new(ErrorKind::InvalidRequest {
                    reason: format!("userType {t} cannot be set; use Member or Guest"),
                }));
            }
        }
        let user = self.resolve(&request.target).await?;
        let id = user.id.clone();
        let name = user
            .user_principal_name
            .clone()
            .unwrap_or_else(|| id.clone());
        self.report.target = Some(TargetState {
            id: id.clone(),
            user_principal_name: user.user_principal_name.clone(),
            display_name: user.display_name.clone(),
            user_type: user.user_type.clone(),
            account_enabled: user.account_enabled,
            sign_in_sessions_valid_from: user.sign_in_sessions_valid_from_date_time,
            global_administrator: None,
            methods: Vec::new(),
        });

        // Protected accounts.
        let listed = |list: &[String]| {
            list.iter().any(|p| {
                p.eq_ignore_ascii_case(&id)
                    || user
                        .user_principal_name
                        .as_deref()
                        .is_some_and(|u| p.eq_ignore_ascii_case(u))
            })
        };
        let protected = |reason| {
            RemediationError::new(ErrorKind::Protected {
                target: name.clone(),
                reason,
            })
        };
        if listed(&self.r.break_glass) {
            return Err(protected(Protection::BreakGlass));
        }
        if listed(&self.r.protected) {
            return Err(protected(Protection::Configured));
        }
        let mut checks = vec![format!("{name} ({id}) exists")];
        if request.override_global_admin_protection {
            checks.push("Global Administrator protection overridden by the operator".to_owned());
        } else {
            let is_ga = self.is_global_administrator(&id).await?;
            if let Some(t) = self.report.target.as_mut() {
                t.global_administrator = Some(is_ga);
            }
            if is_ga {
                return Err(protected(Protection::GlobalAdministrator));
            }
            checks.push("not a Global Administrator".to_owned());
        }
        checks.push("not a break-glass or protected account".to_owned());

        let user_path = format!("/users/{id}");
        let plan = match &request.action {
            Action::UpdateUserType(to) => {
                if user.user_type.as_ref() == Some(to) {
                    return Err(RemediationError::new(ErrorKind::NoChange {
                        target: name,
                        user_type: to.clone(),
                    }));
                }
                let body = UserTypeUpdate::new(to.clone());
                checks.push(format!(
                    "userType changes from {} to {to}",
                    user.user_type
                        .as_ref()
                        .map_or_else(|| "unset".to_owned(), ToString::to_string)
                ));
                self.report.plan.push(PlannedCall {
                    method: "PATCH".to_owned(),
                    path: user_path.clone(),
                    body: serde_json::to_value(&body).ok(),
                    purpose: format!("set userType to {to}"),
                });
                Plan::Single(GraphRequest::patch(user_path).json(&body))
            }
            Action::DeleteGuestUser => {
                if !user.is_guest() {
                    return Err(RemediationError::new(ErrorKind::NotAGuest {
                        target: name,
                        user_type: user.user_type.clone(),
                    }));
                }
                checks.push("userType is Guest".to_owned());
                self.report.plan.push(PlannedCall {
                    method: "DELETE".to_owned(),
                    path: user_path.clone(),
                    body: None,
                    purpose: "delete the guest (soft delete: deleted items keep it 30 days)"
                        .to_owned(),
                });
                self.report.undo = Some(PlannedCall {
                    method: "POST".to_owned(),
                    path: format!("/directory/deletedItems/{id}/restore"),
                    body: None,
                    purpose:
                        "restore the user within 30 days of the deletion (needs User.ReadWrite.All)"
                            .to_owned(),
                });
                Plan::Single(GraphRequest::delete(user_path))
            }
            Action::LogOut => {
                let path = format!("{user_path}/revokeSignInSessions");
                self.report.plan.push(PlannedCall {
                    method: "POST".to_owned(),
                    path: path.clone(),
                    body: None,
                    purpose: "revoke refresh tokens and session cookies".to_owned(),
                });
                Plan::Single(GraphRequest::post(path))
            }
            Action::ResetMfa => {
                let mut methods: Vec<AuthenticationMethod> = self
                    .collection(GraphRequest::get(format!(
                        "{user_path}/authentication/methods"
                    )))
                    .await
                    .map_err(|e| {
                        graph_failure(&e, &format!("GET {user_path}/authentication/methods"))
                    })?;
                methods.sort_by_key(AuthenticationMethod::reset_order);
                let mut deletes = Vec::new();
                for m in &methods {
                    let method_type = m.type_name().unwrap_or("unknown").to_owned();
                    let mid = m.id().unwrap_or_default().to_owned();
                    if let Some(t) = self.report.target.as_mut() {
                        t.methods.push((method_type.clone(), mid.clone()));
                    }
                    let path = m.delete_path(&id);
                    let status = if path.is_some() {
                        MethodStatus::Planned
                    } else {
                        MethodStatus::Kept
                    };
                    let detail = match m {
                        AuthenticationMethod::Password(_) => {
                            Some("the password is never deleted by a reset".to_owned())
                        }
                        _ if path.is_none() => Some(
                            "a method type oort does not know is left alone; remove it in the portal if needed"
                                .to_owned(),
                        ),
                        _ => None,
                    };
                    if let Some(p) = &path {
                        self.report.plan.push(PlannedCall {
                            method: "DELETE".to_owned(),
                            path: p.clone(),
                            body: None,
                            purpose: format!("remove {method_type} {mid}"),
                        });
                        deletes.push((self.report.methods.len(), GraphRequest::delete(p.clone())));
                    }
                    self.report.methods.push(MethodResult {
                        id: mid,
                        method_type,
                        path,
                        status,
                        http_status: None,
                        request_id: None,
                        detail,
                    });
                }
                checks.push(format!(
                    "{} of {} registered methods to remove, the password kept",
                    deletes.len(),
                    methods.len()
                ));
                if deletes.is_empty() {
                    self.report
                        .notes
                        .push("the user has no method to remove".to_owned());
                }
                Plan::Methods(deletes)
            }
        };
        self.pass(Gate::TargetRules, checks.join("; "));
        Ok(plan)
    }

    /// Reads the target by id, or finds it by UPN.
    async fn resolve(&mut self, target: &Target) -> Result<User, RemediationError> {
        let not_found = || {
            RemediationError::new(ErrorKind::TargetNotFound {
                target: target.as_str().to_owned(),
            })
        };
        match target {
            Target::Id(id) => {
                if !is_object_id(id) {
                    return Err(RemediationError::new(ErrorKind::InvalidRequest {
                        reason: format!(
                            "{id:?} is neither an object id (a GUID) nor a user principal name"
                        ),
                    }));
                }
                let request = GraphRequest::get(format!("/users/{id}")).select(USER_SELECT);
                match self.send(request).await.and_then(|r| r.json::<User>()) {
                    Ok(u) => Ok(u),
                    Err(e) if e.is_not_found() => Err(not_found()),
                    Err(e) => Err(graph_failure(&e, &format!("GET /users/{id}"))),
                }
            }
            Target::Upn(upn) => {
                // A filter rather than `/users/{upn}`: a guest's `#EXT#` needs no path escaping.
                let request = GraphRequest::get("/users")
                    .filter(format!(
                        "userPrincipalName eq '{}'",
                        upn.replace('\'', "''")
                    ))
                    .select(USER_SELECT);
                let users: Vec<User> = self.collection(request).await.map_err(|e| {
                    graph_failure(&e, "GET /users?$filter=userPrincipalName eq ...")
                })?;
                users
                    .into_iter()
                    .find(|u| !u.id.is_empty())
                    .ok_or_else(not_found)
            }
        }
    }

    /// Whether the user is a member of the Global Administrator role.
    async fn is_global_administrator(&mut self, user_id: &str) -> Result<bool, RemediationError> {
        let roles: Vec<IdOnly> = self
            .collection(GraphRequest::get("/directoryRoles").select(["id", "roleTemplateId"]))
            .await
            .map_err(|e| graph_failure(&e, "GET /directoryRoles"))?;
        let Some(ga) = roles.into_iter().find(|r| {
            r.role_template_id.as_deref() == Some(DirectoryRole::GLOBAL_ADMINISTRATOR_TEMPLATE_ID)
        }) else {
            // The role is activated on first assignment: not activated means no members.
            return Ok(false);
        };
        let path = format!("/directoryRoles/{}/members", ga.id);
        let members: Vec<IdOnly> = self
            .collection(GraphRequest::get(path.clone()).select(["id"]))
            .await
            .map_err(|e| graph_failure(&e, &format!("GET {path}")))?;
        Ok(members.iter().any(|m| m.id.eq_ignore_ascii_case(user_id)))
    }

    async fn execute(&mut self, plan: Plan) -> Result<(), RemediationError> {
        match plan {
            Plan::Single(request) => {
                let call = format!("{} {}", request.method(), request.path());
                if let Err(e) = self.send(request).await {
                    return Err(graph_failure(&e, &call));
                }
                self.report.outcome = AuditOutcome::Success;
                self.add_success_notes();
                Ok(())
            }
            Plan::Methods(deletes) => self.reset_methods(deletes).await,
        }
    }

    fn add_success_notes(&mut self) {
        let target = self.report.target.clone();
        let (id, name) = target
            .map(|t| (t.id.clone(), t.user_principal_name.unwrap_or(t.id)))
            .unwrap_or_default();
        match self.report.action {
            RemediationAction::UpdateUserType => {
                let to = self
                    .report
                    .new_user_type
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                self.report.notes.push(format!("{name} is now a {to}"));
            }
            RemediationAction::DeleteGuestUser => self.report.notes.push(format!(
                "{name} was moved to deleted items, where it stays restorable for 30 days: POST /directory/deletedItems/{id}/restore (Entra admin center > Users > Deleted users > Restore)"
            )),
            RemediationAction::LogOut => {
                self.report.notes.push(format!(
                    "refresh tokens and session cookies of {name} issued before now are revoked (Graph applies it within a few minutes)"
                ));
                self.report.notes.push("access tokens already issued stay valid until they expire, up to about an hour (sooner for resources with Continuous Access Evaluation); disable the account as well to stop all access".to_owned());
                if self
                    .report
                    .target
                    .as_ref()
                    .is_some_and(|t| t.user_type == Some(UserType::Guest))
                {
                    self.report.notes.push("a guest signs in at their home tenant: sessions there are not revoked".to_owned());
                }
            }
            _ => {}
        }
    }

    async fn reset_methods(
        &mut self,
        deletes: Vec<(usize, GraphRequest)>,
    ) -> Result<(), RemediationError> {
        let mut done = 0usize;
        let mut first_failure: Option<(ErrorKind, bool)> = None;
        for (index, request) in deletes {
            let call = format!("{} {}", request.method(), request.path());
            let result = self.send(request).await;
            let m = &mut self.report.methods[index];
            match result {
                Ok(resp) => {
                    m.status = MethodStatus::Removed;
                    m.http_status = Some(resp.status());
                    m.request_id = resp.request_id().map(str::to_owned);
                    done += 1;
                }
                Err(e) => {
                    m.http_status = e.status();
                    m.request_id = e.request_id().map(str::to_owned);
                    m.detail = Some(e.message().map_or_else(|| e.to_string(), str::to_owned));
                    if e.is_not_found() {
                        m.status = MethodStatus::AlreadyRemoved;
                        m.detail = Some("already removed (404)".to_owned());
                        done += 1;
                    } else if e.status() == Some(400) {
                        m.status = MethodStatus::NotDeletable;
                        if first_failure.is_none() {
                            first_failure = Some((graph_failure(&e, &call).kind().clone(), false));
                        }
                    } else {
                        m.status = MethodStatus::Failed;
                        if first_failure.as_ref().is_none_or(|(_, hard)| !hard) {
                            first_failure = Some((graph_failure(&e, &call).kind().clone(), true));
                        }
                    }
                }
            }
        }
        let Some((kind, _)) = first_failure else {
            self.report.outcome = AuditOutcome::Success;
            self.report.notes.push("every removable method is gone, the password is kept; the user registers MFA again at the next sign-in".to_owned());
            self.report.notes.push("sessions already open stay valid: log the user out as well to make the next sign-in (and the new registration) happen now".to_owned());
            return Ok(());
        };
        if self
            .report
            .methods
            .iter()
            .any(|m| m.status == MethodStatus::NotDeletable)
        {
            self.report.notes.push("a method Graph would not delete is usually the user's default sign-in method: change the default (Entra admin center > Users > the user > Authentication methods), then run reset MFA again".to_owned());
        }
        if done > 0 {
            self.report.outcome = AuditOutcome::Partial;
            self.report.error = Some(RemediationError::new(kind).to_string());
            Ok(())
        } else {
            Err(RemediationError::new(kind))
        }
    }
}

/// A Graph failure as the error kind: a 403 despite the permission gate is [`ErrorKind::Forbidden`].
fn graph_failure(e: &GraphError, call: &str) -> RemediationError {
    let kind = if e.is_forbidden() && !e.is_licence_required() {
        ErrorKind::Forbidden {
            call: call.to_owned(),
            code: e.code().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
        }
    } else {
        ErrorKind::Graph {
            call: call.to_owned(),
            status: e.status(),
            code: e.code().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
            message: match (e.status(), e.code(), e.message()) {
                (Some(status), code, message) => {
                    let mut text = format!("Graph answered {status}");
                    if let Some(code) = code {
                        text.push_str(&format!(" {code}"));
                    }
                    if let Some(message) = message {
                        text.push_str(&format!(" ({message})"));
                    }
                    text
                }
                _ => e.to_string(),
            },
        }
    };
    RemediationError::new(kind)
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

    #[test]
    fn object_ids_are_guids() {
        assert!(is_object_id("62e90394-69f5-4237-9190-012177145e10"));
        assert!(!is_object_id("62e90394-69f5-4237-9190-012177145e1"));
        assert!(!is_object_id("../users/62e90394-69f5-4237-9190-0121771"));
    }
}

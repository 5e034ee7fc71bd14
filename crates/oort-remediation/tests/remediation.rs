//! The remediation actions, gates and audit trail against the fake tenant, with the SQLite store
//! and with PostgreSQL (a throwaway cluster; ignored when the machine has none, a build error
//! with `OORT_REQUIRE_POSTGRES=1`).

use oort_store::testing as pg;
mod support;

use std::sync::Arc;

use oort_store::prelude::*;
use oort_store::{PostgresStore, SqliteStore};

fn sqlite() -> Arc<dyn Store> {
    Arc::new(SqliteStore::in_memory().expect("an in-memory SQLite store opens"))
}

async fn postgres() -> Arc<dyn Store> {
    let url = pg::fresh_database().await;
    Arc::new(
        PostgresStore::connect(&url)
            .await
            .expect("the store connects and migrates"),
    )
}

/// Each scenario once per store.
macro_rules! with_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::scenarios::$name(super::sqlite()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                #[cfg_attr(not(oort_postgres), ignore = "no PostgreSQL here: install it (initdb) or set OORT_TEST_DATABASE_URL")]
                async fn $name() {
                    let store = super::postgres().await;
                    super::scenarios::$name(store).await;
                }
            )*
        }
    };
}

with_both_stores!(
    update_user_type_changes_the_type_in_the_tenant_and_audits_success,
    delete_guest_soft_deletes_it_visibly_in_users_delta_and_says_how_to_restore,
    log_out_moves_sign_in_sessions_valid_from_and_warns_that_access_tokens_live_on,
    reset_mfa_removes_every_method_but_the_password,
    reset_mfa_removes_a_default_office_phone_after_every_other_method,
    reset_mfa_removes_a_default_authenticator_after_every_other_method,
    reset_mfa_that_graph_keeps_refusing_ends_partial_saying_what_and_why,
    dry_runs_send_no_write_and_return_the_plan,
    read_only_operator_is_refused_with_nothing_sent_to_graph,
    help_desk_operator_may_not_delete_and_nothing_is_sent,
    missing_permission_is_refused_naming_it_and_where_to_grant_it_with_nothing_sent,
    deleting_a_member_is_refused_after_reads_only,
    privileged_targets_need_an_administrator_the_override_with_its_reason_and_confirmation,
    a_role_through_a_role_assignable_group_makes_the_target_privileged,
    an_eligible_global_administrator_is_privileged,
    unreadable_eligibility_treats_the_target_as_privileged_and_says_why,
    break_glass_account_is_refused_even_with_the_override,
    update_user_type_to_the_current_type_is_refused_as_no_change,
    unknown_target_is_refused_as_not_found,
    crash_after_the_intent_leaves_one_incomplete_entry,
    outcome_that_cannot_be_recorded_leaves_the_entry_incomplete_and_says_so,
    graph_403_despite_the_permission_is_reported_as_forbidden_with_its_request_id,
    reset_mfa_deletes_in_the_safe_order_and_counts_404_as_already_removed,
    token_failure_sends_nothing_to_graph_and_is_recorded_as_failed,
    privileged_reads_need_their_permissions_unless_an_administrator_overrides,
    deleting_a_guest_that_is_not_an_external_account_is_refused,
    the_operator_who_made_a_user_a_guest_cannot_delete_them_within_7_days,
);

mod scenarios {
    use std::sync::{Arc, Mutex};

    use entra_model::{RemediationAction, UserType};
    use futures::TryStreamExt;
    use graph_client::{Continuation, GraphRequest};
    use oort_remediation::{
        Action, AuditOutcome, ErrorKind, Gate, MethodStatus, Mode, Operator, OperatorRole,
        Protection, RemediationRequest, Via,
    };
    use oort_store::prelude::*;
    use time::Duration;

    use crate::support::faulty_store::{Fault, FaultyStore};
    use crate::support::{env, env_with, is_password, is_phone};
    use crate::UnwrapReport as _;
    use wiremock::ResponseTemplate;

    fn origin() -> oort_store::ProcessOrigin {
        oort_store::ProcessOrigin::new("alice-os", "bastion-1", 4242, "/usr/local/bin/oort")
    }

    fn admin() -> Operator {
        Operator::new("alice", OperatorRole::Administrator).with_origin(origin())
    }

    fn writes(requests: &[entra_fake::RecordedRequest]) -> Vec<String> {
        requests
            .iter()
            .filter(|r| r.method != "GET")
            .map(|r| format!("{} {}", r.method, r.path_and_query))
            .collect()
    }

    pub(crate) async fn update_user_type_changes_the_type_in_the_tenant_and_audits_success(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let upn = member.user_principal_name.clone().unwrap();
        let request = RemediationRequest::new(
            Action::UpdateUserType(UserType::Guest),
            upn.as_str(),
            admin(),
        )
        .confirm();

        let report = env.remediator().run(&request).await.unwrap();

        assert_eq!(report.outcome, AuditOutcome::Success);
        assert_eq!(
            env.user(&member.id).unwrap().user_type,
            Some(UserType::Guest)
        );
        let patch = report.writes().next().unwrap();
        assert_eq!(patch.method, "PATCH");
        assert_eq!(patch.path, format!("/users/{}", member.id));
        assert_eq!(patch.status, Some(204));
        assert!(patch.request_id.is_some());
        let audit = env.audit().await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].outcome, AuditOutcome::Success);
        assert_eq!(audit[0].target_id.as_deref(), Some(member.id.as_str()));
        assert_eq!(audit[0].target_upn.as_deref(), Some(upn.as_str()));
        assert_eq!(audit[0].operator, "alice");
        assert_eq!(audit[0].role, "administrator");
        assert_eq!(audit[0].action, "update-user-type");
        assert!(audit[0].completed_at.is_some());
        assert_eq!(audit[0].entry["plan"][0]["body"]["userType"], "Guest");
        let stored: oort_remediation::Report =
            serde_json::from_value(audit[0].entry.clone()).unwrap();
        assert_eq!(stored, report, "the audit entry is the report");
        assert_eq!(
            audit[0].entry["calls"].as_array().unwrap().last().unwrap()["request_id"],
            patch.request_id.as_deref().unwrap()
        );
        // The chain holds the intent, written before the first Graph call, and the outcome as
        // a second entry: nothing was updated.
        let entries = env.audit_entries().await;
        assert_eq!(entries.len(), 2);
        assert_eq!(
            (entries[1].id.as_str(), entries[1].outcome),
            (audit[0].id.as_str(), AuditOutcome::Incomplete)
        );
        assert!(entries[1].completed_at.is_none());
        assert_eq!(
            entries[0].link.as_ref().unwrap().prev_hash,
            entries[1].link.as_ref().unwrap().hash
        );
        for e in &entries {
            assert_eq!(e.origin, Some(origin()), "who acted from where");
        }
        assert_eq!(report.origin, Some(origin()));
        assert!(env
            .store
            .verify_audit_chain(env.tenant.tenant_id())
            .await
            .unwrap()
            .is_intact());
    }

    pub(crate) async fn delete_guest_soft_deletes_it_visibly_in_users_delta_and_says_how_to_restore(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let guest = env.guests().remove(0);
        let mut delta = env
            .client
            .delta::<serde_json::Value>(GraphRequest::get("/users/delta").select(["id"]));
        while delta.try_next().await.unwrap().is_some() {}
        let delta_link = Continuation::delta_link(delta.delta_link().unwrap());

        let report = env
            .remediator()
            .run(
                &RemediationRequest::new(Action::DeleteGuestUser, guest.id.as_str(), admin())
                    .confirm(),
            )
            .await
            .unwrap();

        assert_eq!(report.outcome, AuditOutcome::Success);
        assert!(
            env.user(&guest.id).is_none(),
            "the guest is gone from /users"
        );
        let mut next = env.client.resume::<serde_json::Value>(delta_link);
        let mut changes = Vec::new();
        while let Some(page) = next.try_next().await.unwrap() {
            changes.extend(page.items);
        }
        let removed = changes
            .iter()
            .find(|c| c["id"] == guest.id.as_str())
            .expect("the deleted guest is in the next delta round");
        assert_eq!(removed["@removed"]["reason"], "changed", "restorable");
        let undo = report.undo.as_ref().unwrap();
        assert_eq!(undo.method, "POST");
        assert_eq!(
            undo.path,
            format!("/directory/deletedItems/{}/restore", guest.id)
        );
        assert!(report.notes.iter().any(|n| n.contains("30 days")));
        // The restore hint works.
        env.client
            .send_empty(GraphRequest::post(undo.path.clone()))
            .await
            .unwrap();
        assert!(env.user(&guest.id).is_some());
        assert_eq!(env.audit().await[0].outcome, AuditOutcome::Success);
    }

    pub(crate) async fn log_out_moves_sign_in_sessions_valid_from_and_warns_that_access_tokens_live_on(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let before = env
            .user(&member.id)
            .unwrap()
            .sign_in_sessions_valid_from_date_time;
        env.tenant.clock().advance(Duration::minutes(5));
        let now = env.tenant.clock().now();

        let report = env
            .remediator()
            .run(&RemediationRequest::new(Action::LogOut, member.id.as_str(), admin()).confirm())
            .await
            .unwrap();

        assert_eq!(report.outcome, AuditOutcome::Success);
        let after = env
            .user(&member.id)
            .unwrap()
            .sign_in_sessions_valid_from_date_time;
        assert_ne!(after, before);
        assert_eq!(after, Some(now.replace_nanosecond(0).unwrap()));
        assert_eq!(
            report.target.as_ref().unwrap().sign_in_sessions_valid_from,
            before
        );
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("access tokens already issued stay valid")
                && n.contains("about an hour")));
        assert_eq!(env.audit().await[0].outcome, AuditOutcome::Success);
    }

    pub(crate) async fn reset_mfa_removes_every_method_but_the_password(store: Arc<dyn Store>) {
        let env = env(store).await;
        let (user, methods) = env
            .member_with_methods(|m| !m.iter().any(is_phone) && m.len() >= 2)
            .await;

        let report = env
            .remediator()
            .run(&RemediationRequest::new(Action::ResetMfa, user.id.as_str(), admin()).confirm())
            .await
            .unwrap();

        assert_eq!(report.outcome, AuditOutcome::Success);
        let left = env.methods(&user.id).await;
        assert_eq!(left.len(), 1, "{left:?}");
        assert!(is_password(&left[0]));
        assert_eq!(report.methods.len(), methods.len());
        for m in &report.methods {
            let expected = if m.method_type == "passwordAuthenticationMethod" {
                MethodStatus::Kept
            } else {
                MethodStatus::Removed
            };
            assert_eq!(m.status, expected, "{m:?}");
        }
        assert_eq!(
            report.writes().filter(|c| c.is_success()).count(),
            methods.len() - 1,
            "one successful DELETE per method (a default one after a refusal)"
        );
        assert_eq!(env.audit().await[0].outcome, AuditOutcome::Success);
    }

    /// Sets `user`'s methods in the fake tenant: the password and `others`, `default` first.
    fn set_methods(
        env: &crate::support::Env,
        user: &str,
        others: Vec<serde_json::Value>,
        default: &str,
    ) {
        let mut methods = vec![serde_json::from_value(serde_json::json!({"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": entra_model::PASSWORD_METHOD_ID})).unwrap()];
        methods.extend(
            others
                .into_iter()
                .map(|m| serde_json::from_value(m).unwrap()),
        );
        env.tenant
            .with_tenant(|t| t.set_authentication_methods(user, methods, Some(default)))
            .unwrap();
    }

    fn phone(id: &str, phone_type: &str) -> serde_json::Value {
        serde_json::json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": id, "phoneType": phone_type, "phoneNumber": "+1 4255550100"})
    }

    fn authenticator() -> serde_json::Value {
        serde_json::json!({"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "auth-1", "displayName": "iPhone 15"})
    }

    fn email() -> serde_json::Value {
        serde_json::json!({"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": entra_model::EMAIL_METHOD_ID, "emailAddress": "x@outlook.com"})
    }

    /// Resets a user whose default method Graph refuses to delete while others remain, and
    /// checks that it went last, after a first refusal: `(DELETE paths sent, report)`.
    async fn reset_with_default(
        env: &crate::support::Env,
        user: &str,
        default_path_end: &str,
        methods: usize,
    ) -> oort_remediation::Report {
        let before = env.graph_requests().len();
        let report = env
            .remediator()
            .run(&RemediationRequest::new(Action::ResetMfa, user, admin()).confirm())
            .await
            .unwrap_err_or_report();
        assert_eq!(report.outcome, AuditOutcome::Success, "{:?}", report.error);
        let left = env.methods(user).await;
        assert_eq!(left.len(), 1, "only the password is left: {left:?}");
        assert!(is_password(&left[0]));
        let deletes = writes(&env.graph_requests()[before..]);
        assert_eq!(deletes.len(), methods - 1 + 1, "one retry: {deletes:?}");
        let first = deletes
            .iter()
            .position(|d| d.ends_with(default_path_end))
            .unwrap();
        assert!(
            first < deletes.len() - 1,
            "refused once while others remained"
        );
        assert!(
            deletes.last().unwrap().ends_with(default_path_end),
            "{deletes:?}"
        );
        let default = report
            .methods
            .iter()
            .find(|m| {
                m.path
                    .as_deref()
                    .is_some_and(|p| p.ends_with(default_path_end))
            })
            .unwrap();
        assert_eq!(default.status, MethodStatus::Removed);
        assert_eq!(default.http_status, Some(204));
        assert!(default.detail.as_deref().unwrap().contains("removed last"));
        assert!(report.error.is_none());
        let calls_to_default: Vec<_> = report
            .calls
            .iter()
            .filter(|c| c.method == "DELETE" && c.path.ends_with(default_path_end))
            .collect();
        assert_eq!(
            calls_to_default
                .iter()
                .map(|c| c.status)
                .collect::<Vec<_>>(),
            [Some(400), Some(204)]
        );
        assert_eq!(env.audit().await[0].outcome, AuditOutcome::Success);
        report
    }

    pub(crate) async fn reset_mfa_removes_a_default_office_phone_after_every_other_method(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let user = env.plain_members().await.remove(0);
        set_methods(
            &env,
            &user.id,
            vec![
                phone(entra_model::OFFICE_PHONE_METHOD_ID, "office"),
                phone(entra_model::MOBILE_PHONE_METHOD_ID, "mobile"),
                authenticator(),
                email(),
            ],
            "voiceOffice",
        );
        reset_with_default(
            &env,
            &user.id,
            &format!("phoneMethods/{}", entra_model::OFFICE_PHONE_METHOD_ID),
            5,
        )
        .await;
    }

    pub(crate) async fn reset_mfa_removes_a_default_authenticator_after_every_other_method(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let user = env.plain_members().await.remove(0);
        set_methods(
            &env,
            &user.id,
            vec![
                authenticator(),
                phone(entra_model::MOBILE_PHONE_METHOD_ID, "mobile"),
                email(),
            ],
            "push",
        );
        reset_with_default(&env, &user.id, "microsoftAuthenticatorMethods/auth-1", 4).await;
    }

    pub(crate) async fn reset_mfa_that_graph_keeps_refusing_ends_partial_saying_what_and_why(
        store: Arc<dyn Store>,
    ) {
        use wiremock::matchers::{method, path, path_regex};
        use wiremock::Mock;

        use crate::support::mocked::{json, mocked, unprivileged, TENANT};

        let user = "0c1f6a3e-2b7d-4e59-8f21-6a9d3c4b5e70";
        let (server, remediator) = mocked(
            store.clone(),
            &[
                "User.Read.All",
                "UserAuthenticationMethod.ReadWrite.All",
                "RoleManagement.Read.Directory",
            ],
        )
        .await;
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/users/{user}")))
            .respond_with(json(200, serde_json::json!({"id": user, "userPrincipalName": "adele@contoso.com", "userType": "Member"}), "rid-read"))
            .mount(&server)
            .await;
        unprivileged(&server, user).await;
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/users/{user}/authentication/methods")))
            .respond_with(json(200, serde_json::json!({"value": [
                {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": entra_model::PASSWORD_METHOD_ID},
                {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": entra_model::MOBILE_PHONE_METHOD_ID, "phoneType": "mobile"},
                {"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": entra_model::EMAIL_METHOD_ID}
            ]}), "rid-methods"))
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v1.0/users/{user}/authentication/phoneMethods/{}", entra_model::MOBILE_PHONE_METHOD_ID)))
            .respond_with(json(400, serde_json::json!({"error": {"code": "badRequest", "message": "Cannot delete default method with other methods configured. Please change default method before deletion."}}), "rid-400"))
            .expect(2)
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path_regex(format!(
                "^/v1.0/users/{user}/authentication/emailMethods/.+$"
            )))
            .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rid-204"))
            .expect(1)
            .with_priority(2)
            .mount(&server)
            .await;

        let report = remediator
            .run(&RemediationRequest::new(Action::ResetMfa, user, admin()).confirm())
            .await
            .unwrap_err_or_report();

        assert_eq!(report.outcome, AuditOutcome::Partial);
        let error = report.error.as_deref().unwrap();
        assert!(
            error.contains(&format!(
                "phoneAuthenticationMethod {}",
                entra_model::MOBILE_PHONE_METHOD_ID
            )),
            "{error}"
        );
        assert!(error.contains("Cannot delete default method"), "{error}");
        assert!(error.contains("request-id rid-400"), "{error}");
        let mobile = report
            .methods
            .iter()
            .find(|m| m.id == entra_model::MOBILE_PHONE_METHOD_ID)
            .unwrap();
        assert_eq!(mobile.status, MethodStatus::NotDeletable);
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("default sign-in method")));
        let audit = store.audit_log(TENANT, 10).await.unwrap();
        assert_eq!(audit[0].outcome, AuditOutcome::Partial);
        assert_eq!(audit[0].entry["error"], error);
    }

    pub(crate) async fn dry_runs_send_no_write_and_return_the_plan(store: Arc<dyn Store>) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let guest = env.guests().remove(0);
        let (mfa_user, methods) = env
            .member_with_methods(|m| m.iter().filter(|x| !is_password(x)).count() >= 2)
            .await;
        let before = env.graph_requests().len();
        let remediator = env.remediator();

        let update = remediator
            .run(&RemediationRequest::new(
                Action::UpdateUserType(UserType::Guest),
                member.id.as_str(),
                admin(),
            ))
            .await
            .unwrap();
        let delete = remediator
            .run(&RemediationRequest::new(
                Action::DeleteGuestUser,
                guest.id.as_str(),
                admin(),
            ))
            .await
            .unwrap();
        let log_out = remediator
            .run(&RemediationRequest::new(
                Action::LogOut,
                member.id.as_str(),
                admin(),
            ))
            .await
            .unwrap();
        let reset = remediator
            .run(&RemediationRequest::new(
                Action::ResetMfa,
                mfa_user.id.as_str(),
                admin(),
            ))
            .await
            .unwrap();

        let sent = &env.graph_requests()[before..];
        assert!(!sent.is_empty(), "the reads happened");
        assert_eq!(writes(sent), Vec::<String>::new());
        for r in [&update, &delete, &log_out, &reset] {
            assert_eq!(r.outcome, AuditOutcome::DryRun);
            assert_eq!(r.mode, Mode::DryRun);
            assert_eq!(r.gates.len(), 4);
            assert!(r.gates.iter().all(|g| g.passed));
            assert!(r.target.is_some());
            assert!(r.writes().next().is_none());
        }
        assert_eq!(update.plan[0].method, "PATCH");
        assert_eq!(
            update.plan[0].body,
            Some(serde_json::json!({"userType": "Guest"}))
        );
        assert_eq!(
            update.target.as_ref().unwrap().user_type,
            Some(UserType::Member)
        );
        assert_eq!(delete.plan[0].method, "DELETE");
        assert_eq!(delete.plan[0].path, format!("/users/{}", guest.id));
        assert_eq!(
            log_out.plan[0].path,
            format!("/users/{}/revokeSignInSessions", member.id)
        );
        assert_eq!(reset.plan.len(), methods.len() - 1);
        assert!(reset
            .methods
            .iter()
            .all(|m| matches!(m.status, MethodStatus::Planned | MethodStatus::Kept)));
        // Nothing changed.
        assert_eq!(
            env.user(&member.id).unwrap().user_type,
            Some(UserType::Member)
        );
        assert!(env.user(&guest.id).is_some());
        assert_eq!(env.methods(&mfa_user.id).await.len(), methods.len());
        let audit = env.audit().await;
        assert_eq!(audit.len(), 4);
        assert!(audit
            .iter()
            .all(|r| r.outcome == AuditOutcome::DryRun && r.completed_at.is_some()));
    }

    pub(crate) async fn read_only_operator_is_refused_with_nothing_sent_to_graph(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let before = env.graph_requests().len();

        let err = env
            .remediator()
            .run(
                &RemediationRequest::new(
                    Action::LogOut,
                    member.id.as_str(),
                    Operator::new("bob", OperatorRole::ReadOnly),
                )
                .confirm(),
            )
            .await
            .unwrap_err();

        assert!(err.is_refusal());
        assert_eq!(err.gate(), Some(Gate::OperatorRole));
        assert!(matches!(
            err.kind(),
            ErrorKind::RoleNotAllowed {
                role: OperatorRole::ReadOnly,
                ..
            }
        ));
        assert!(err.to_string().contains("read-only"), "{err}");
        assert_eq!(env.graph_requests().len(), before, "nothing sent to Graph");
        let audit = env.audit().await;
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].outcome, AuditOutcome::Refused);
        assert_eq!(audit[0].role, "read-only");
        assert_eq!(audit[0].operator, "bob");
        assert_eq!(audit[0].entry["error"], err.to_string());
        assert_eq!(audit[0].entry["gates"][0]["gate"], "operator_role");
        assert_eq!(audit[0].entry["gates"][0]["passed"], false);
        assert_eq!(err.audit_id(), Some(audit[0].id.as_str()));
    }

    pub(crate) async fn help_desk_operator_may_not_delete_and_nothing_is_sent(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let guest = env.guests().remove(0);
        let before = env.graph_requests().len();
        let help_desk = Operator::new("carol", OperatorRole::HelpDesk);

        let err = env
            .remediator()
            .run(
                &RemediationRequest::new(Action::DeleteGuestUser, guest.id.as_str(), help_desk)
                    .confirm(),
            )
            .await
            .unwrap_err();

        assert_eq!(err.gate(), Some(Gate::OperatorRole));
        assert_eq!(env.graph_requests().len(), before);
        assert!(env.user(&guest.id).is_some());
        let audit = env.audit().await;
        assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "refused"));
        assert!(audit[0].entry["error"]
            .as_str()
            .unwrap()
            .contains("help-desk"));
    }

    pub(crate) async fn missing_permission_is_refused_naming_it_and_where_to_grant_it_with_nothing_sent(
        store: Arc<dyn Store>,
    ) {
        let env = env_with(
            store,
            crate::support::builder()
                .permissions(["User.Read.All", "RoleManagement.Read.Directory"]),
        )
        .await;
        let member = env.plain_members().await.remove(0);
        let before = env.graph_requests().len();

        let err = env
            .remediator()
            .run(&RemediationRequest::new(Action::LogOut, member.id.as_str(), admin()).confirm())
            .await
            .unwrap_err();

        assert_eq!(err.gate(), Some(Gate::Permissions));
        let ErrorKind::MissingPermissions { action, missing } = err.kind() else {
            panic!("{err:?}");
        };
        assert_eq!(*action, RemediationAction::LogOut);
        assert_eq!(missing.len(), 1);
        assert_eq!(missing[0].call, "POST /users/{id}/revokeSignInSessions");
        let message = err.to_string();
        assert!(message.contains("User.RevokeSessions.All"), "{message}");
        assert!(
            message.contains("API permissions") && message.contains("Grant admin consent"),
            "{message}"
        );
        assert_eq!(env.graph_requests().len(), before, "nothing sent to Graph");
        let audit = env.audit().await;
        assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "refused"));
        assert_eq!(audit[0].entry["error"], message);
        assert_eq!(audit[0].entry["gates"][1]["gate"], "permissions");
    }

    pub(crate) async fn deleting_a_member_is_refused_after_reads_only(store: Arc<dyn Store>) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let before = env.graph_requests().len();

        let err = env
            .remediator()
            .run(
                &RemediationRequest::new(Action::DeleteGuestUser, member.id.as_str(), admin())
                    .confirm(),
            )
            .await
            .unwrap_err();

        assert!(matches!(
            err.kind(),
            ErrorKind::NotAGuest {
                user_type: Some(UserType::Member),
                ..
            }
        ));
        assert_eq!(err.gate(), Some(Gate::TargetRules));
        assert_eq!(
            writes(&env.graph_requests()[before..]),
            Vec::<String>::new()
        );
        assert!(env.user(&member.id).is_some());
        let audit = env.audit().await;
        assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "refused"));
        assert_eq!(audit[0].target_id.as_deref(), Some(member.id.as_str()));
        assert!(audit[0].entry["error"]
            .as_str()
            .unwrap()
            .contains("not a guest"));
    }

    pub(crate) async fn privileged_targets_need_an_administrator_the_override_with_its_reason_and_confirmation(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let break_glass = env.tenant.break_glass_accounts();
        let admins = env.global_admins().await;
        let ga = admins
            .iter()
            .find(|id| {
                let upn = env.user(id).unwrap().user_principal_name.unwrap();
                !break_glass.contains(&upn)
            })
            .expect("a Global Administrator who is not break-glass")
            .clone();
        let before = env.graph_requests().len();
        let remediator = env.remediator();
        let request = RemediationRequest::new(Action::LogOut, ga.as_str(), admin()).confirm();

        // An administrator without the override is refused; the plan says why.
        let err = remediator.run(&request).await.unwrap_err();
        let ErrorKind::PrivilegedTarget { why, .. } = err.kind() else {
            panic!("{err:?}");
        };
        assert!(
            why.contains("Global Administrator (assigned directly)"),
            "{why}"
        );
        assert!(err.to_string().contains("--override-privileged"), "{err}");
        let privilege = err
            .report()
            .unwrap()
            .target
            .as_ref()
            .unwrap()
            .privilege
            .clone()
            .unwrap();
        assert!(privilege.privileged);
        assert_eq!(privilege.roles[0].via, Via::Direct);
        assert!(
            privilege.judged_by.contains("isPrivileged"),
            "{}",
            privilege.judged_by
        );

        // A help-desk operator is refused at the role gate, with or without the override.
        let carol = || Operator::new("carol", OperatorRole::HelpDesk);
        let err = remediator
            .run(&RemediationRequest::new(Action::LogOut, ga.as_str(), carol()).confirm())
            .await
            .unwrap_err();
        assert_eq!(err.gate(), Some(Gate::OperatorRole));
        assert!(
            matches!(err.kind(), ErrorKind::PrivilegedNeedsAdministrator { .. }),
            "{err:?}"
        );
        let sent = env.graph_requests().len();
        let err = remediator
            .run(
                &RemediationRequest::new(Action::LogOut, ga.as_str(), carol())
                    .override_privileged("incident 42")
                    .confirm(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::OverrideNeedsAdministrator { .. }),
            "{err:?}"
        );
        assert_eq!(
            env.graph_requests().len(),
            sent,
            "refused before any Graph call"
        );

        // With the override but no confirmation: a dry run.
        let dry = remediator
            .run(
                &RemediationRequest::new(Action::LogOut, ga.as_str(), admin())
                    .override_privileged("incident 42"),
            )
            .await
            .unwrap();
        assert_eq!(dry.outcome, AuditOutcome::DryRun);
        assert_eq!(
            writes(&env.graph_requests()[before..]),
            Vec::<String>::new()
        );

        // An empty reason is no reason.
        let err = remediator
            .run(&request.clone().override_privileged("  "))
            .await
            .unwrap_err();
        assert!(
            matches!(err.kind(), ErrorKind::InvalidRequest { .. }),
            "{err:?}"
        );

        let report = remediator
            .run(&request.override_privileged("incident 42: token theft"))
            .await
            .unwrap();
        assert_eq!(report.outcome, AuditOutcome::Success);
        assert_eq!(
            report.privileged_override.as_deref(),
            Some("incident 42: token theft")
        );
        let rules = report.gate(Gate::TargetRules).unwrap();
        assert!(
            rules.detail.contains("reason: incident 42: token theft"),
            "{}",
            rules.detail
        );
        assert_eq!(writes(&env.graph_requests()[before..]).len(), 1);
        let audit = env.audit().await;
        assert_eq!(audit.len(), 6);
        let done = audit.iter().find(|r| r.id == report.audit_id).unwrap();
        assert_eq!(done.outcome, AuditOutcome::Success);
        assert_eq!(
            done.entry["privileged_override"],
            "incident 42: token theft"
        );
    }

    pub(crate) async fn a_role_through_a_role_assignable_group_makes_the_target_privileged(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let group = env
            .tenant
            .with_tenant(|t| {
                let g = t.add_role_assignable_group("Tier 0", &[member.id.as_str()])?;
                t.assign_directory_role(&g, "e8611ab8-c189-46e8-94e1-60213ab1f814")?;
                Ok::<_, entra_fake::FakeError>(g)
            })
            .unwrap();

        let err = env
            .remediator()
            .run(&RemediationRequest::new(
                Action::ResetMfa,
                member.id.as_str(),
                admin(),
            ))
            .await
            .unwrap_err();

        let ErrorKind::PrivilegedTarget { why, .. } = err.kind() else {
            panic!("{err:?}");
        };
        assert!(
            why.contains("Privileged Role Administrator (through group Tier 0)"),
            "{why}"
        );
        let privilege = err
            .report()
            .unwrap()
            .target
            .as_ref()
            .unwrap()
            .privilege
            .clone()
            .unwrap();
        assert_eq!(
            privilege.roles[0].via,
            Via::Group {
                group_id: group,
                group_name: Some("Tier 0".to_owned())
            }
        );
        let audit = env.audit().await;
        assert_eq!(audit[0].outcome, AuditOutcome::Refused);
        assert_eq!(
            audit[0].entry["target"]["privilege"]["roles"][0]["via"]["kind"],
            "group"
        );
    }

    pub(crate) async fn an_eligible_global_administrator_is_privileged(store: Arc<dyn Store>) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        env.tenant
            .with_tenant(|t| {
                t.add_role_eligibility(&member.id, "62e90394-69f5-4237-9190-012177145e10")
            })
            .unwrap();

        let err = env
            .remediator()
            .run(&RemediationRequest::new(Action::LogOut, member.id.as_str(), admin()).confirm())
            .await
            .unwrap_err();

        let ErrorKind::PrivilegedTarget { why, .. } = err.kind() else {
            panic!("{err:?}");
        };
        assert!(
            why.contains("Global Administrator (eligible (can activate it))"),
            "{why}"
        );
        assert_eq!(writes(&env.graph_requests()), Vec::<String>::new());
    }

    pub(crate) async fn unreadable_eligibility_treats_the_target_as_privileged_and_says_why(
        store: Arc<dyn Store>,
    ) {
        let env = env_with(
            store,
            crate::support::builder().licence(entra_fake::TenantLicence::P1),
        )
        .await;
        let member = env.plain_members().await.remove(0);

        let err = env
            .remediator()
            .run(&RemediationRequest::new(
                Action::LogOut,
                member.id.as_str(),
                admin(),
            ))
            .await
            .unwrap_err();

        let ErrorKind::PrivilegedTarget { why, .. } = err.kind() else {
            panic!("{err:?}");
        };
        assert!(why.contains("eligible roles"), "{why}");
        assert!(why.contains("AadPremiumLicenseRequired"), "{why}");
        assert!(why.contains("request-id"), "{why}");
        assert!(why.contains("treated as privileged"), "{why}");
        let privilege = err
            .report()
            .unwrap()
            .target
            .as_ref()
            .unwrap()
            .privilege
            .clone()
            .unwrap();
        assert!(privilege.roles.is_empty() && privilege.privileged);

        // An administrator's override acts all the same, the reason recorded.
        let report = env
            .remediator()
            .run(
                &RemediationRequest::new(Action::LogOut, member.id.as_str(), admin())
                    .override_privileged("no PIM licence; checked by hand")
                    .confirm(),
            )
            .await
            .unwrap();
        assert_eq!(report.outcome, AuditOutcome::Success);
    }

    pub(crate) async fn break_glass_account_is_refused_even_with_the_override(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let upn = env.tenant.break_glass_accounts().remove(0);
        let before = env.graph_requests().len();

        let err = env
            .remediator()
            .run(
                &RemediationRequest::new(Action::ResetMfa, upn.as_str(), admin())
                    .override_privileged("incident 42")
                    .confirm(),
            )
            .await
            .unwrap_err();

        assert!(matches!(
            err.kind(),
            ErrorKind::Protected {
                reason: Protection::BreakGlass,
                ..
            }
        ));
        assert_eq!(
            writes(&env.graph_requests()[before..]),
            Vec::<String>::new()
        );
        let audit = env.audit().await;
        assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "refused"));
        assert!(audit[0].entry["error"]
            .as_str()
            .unwrap()
            .contains("break-glass"));
    }

    pub(crate) async fn update_user_type_to_the_current_type_is_refused_as_no_change(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let guest = env.guests().remove(0);
        let upn = guest.user_principal_name.clone().unwrap();
        assert!(upn.contains("#EXT#"), "a guest UPN: {upn}");
        let before = env.graph_requests().len();

        let err = env
            .remediator()
            .run(
                &RemediationRequest::new(
                    Action::UpdateUserType(UserType::Guest),
                    upn.as_str(),
                    admin(),
                )
                .confirm(),
            )
            .await
            .unwrap_err();

        assert!(matches!(
            err.kind(),
            ErrorKind::NoChange {
                user_type: UserType::Guest,
                ..
            }
        ));
        assert_eq!(
            writes(&env.graph_requests()[before..]),
            Vec::<String>::new()
        );
        let audit = env.audit().await;
        assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "refused"));
        assert_eq!(
            audit[0].target_id.as_deref(),
            Some(guest.id.as_str()),
            "the UPN was resolved"
        );
    }

    pub(crate) async fn unknown_target_is_refused_as_not_found(store: Arc<dyn Store>) {
        let env = env(store).await;
        let remediator = env.remediator();
        for target in [
            "nobody@contoso.example",
            "00000000-0000-0000-0000-00000000abcd",
        ] {
            let err = remediator
                .run(&RemediationRequest::new(Action::LogOut, target, admin()).confirm())
                .await
                .unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::TargetNotFound { target: t } if t == target),
                "{err:?}"
            );
        }
        assert_eq!(writes(&env.graph_requests()), Vec::<String>::new());
        let audit = env.audit().await;
        assert_eq!(audit.len(), 2);
        assert!(audit
            .iter()
            .all(|r| r.outcome == AuditOutcome::Refused && r.target_id.is_none()));
    }

    pub(crate) async fn crash_after_the_intent_leaves_one_incomplete_entry(store: Arc<dyn Store>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let faulty: Arc<dyn AuditStore> = Arc::new(FaultyStore {
            inner: store.clone(),
            fault: Fault::HangAfterIntent(Mutex::new(Some(tx))),
        });
        let env = env(faulty).await;
        let member = env.plain_members().await.remove(0);
        let before = env.graph_requests().len();
        let remediator = env.remediator();
        let request = RemediationRequest::new(
            Action::UpdateUserType(UserType::Guest),
            member.id.as_str(),
            admin(),
        )
        .confirm();

        // The attempt is dropped (the process "dies") as soon as its intent is written.
        tokio::select! {
            result = remediator.run(&request) => panic!("the attempt cannot finish: {result:?}"),
            _ = rx => {}
        }

        let audit = store.audit_log(env.tenant.tenant_id(), 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].outcome, AuditOutcome::Incomplete);
        assert!(audit[0].completed_at.is_none());
        assert_eq!(audit[0].action, "update-user-type");
        assert_eq!(audit[0].entry["target_given"], member.id.as_str());
        assert_eq!(audit[0].entry["mode"], "execute");
        assert_eq!(audit[0].entry["outcome"], "incomplete");
        assert_eq!(
            env.graph_requests().len(),
            before,
            "the intent precedes the first Graph call"
        );
        assert_eq!(
            env.user(&member.id).unwrap().user_type,
            Some(UserType::Member)
        );
    }

    pub(crate) async fn outcome_that_cannot_be_recorded_leaves_the_entry_incomplete_and_says_so(
        store: Arc<dyn Store>,
    ) {
        let faulty: Arc<dyn AuditStore> = Arc::new(FaultyStore {
            inner: store.clone(),
            fault: Fault::LoseOutcome,
        });
        let env = env(faulty).await;
        let member = env.plain_members().await.remove(0);
        let before = env
            .user(&member.id)
            .unwrap()
            .sign_in_sessions_valid_from_date_time;
        env.tenant.clock().advance(Duration::minutes(5));

        let err = env
            .remediator()
            .run(&RemediationRequest::new(Action::LogOut, member.id.as_str(), admin()).confirm())
            .await
            .unwrap_err();

        let ErrorKind::AuditIncomplete { audit_id, outcome } = err.kind() else {
            panic!("{err:?}");
        };
        assert_eq!(*outcome, AuditOutcome::Success, "the action itself ran");
        assert_eq!(err.report().unwrap().outcome, AuditOutcome::Success);
        let audit = store.audit_log(env.tenant.tenant_id(), 10).await.unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(&audit[0].id, audit_id);
        assert_eq!(audit[0].outcome, AuditOutcome::Incomplete);
        assert!(err.to_string().contains("stays incomplete"), "{err}");
        assert_ne!(
            env.user(&member.id)
                .unwrap()
                .sign_in_sessions_valid_from_date_time,
            before,
            "the log out happened in the tenant"
        );
    }

    pub(crate) async fn graph_403_despite_the_permission_is_reported_as_forbidden_with_its_request_id(
        store: Arc<dyn Store>,
    ) {
        use wiremock::matchers::{method, path};
        use wiremock::Mock;

        use crate::support::mocked::{json, mocked, TENANT};

        let guest = "5b9f1c1e-7d1a-4c2b-9a51-2f0d8f6f0a11";
        let (server, remediator) = mocked(
            store.clone(),
            &[
                "User.Read.All",
                "User.ReadWrite.All",
                "RoleManagement.Read.Directory",
            ],
        )
        .await;
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/users/{guest}")))
            .respond_with(json(
                200,
                serde_json::json!({"id": guest, "userPrincipalName": "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com", "userType": "Guest"}),
                "rid-read",
            ))
            .expect(1)
            .mount(&server)
            .await;
        crate::support::mocked::unprivileged(&server, guest).await;
        Mock::given(method("DELETE"))
            .and(path(format!("/v1.0/users/{guest}")))
            .respond_with(json(
                403,
                serde_json::json!({"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation.", "innerError": {"request-id": "rid-403"}}}),
                "rid-403",
            ))
            .expect(1)
            .mount(&server)
            .await;

        let err = remediator
            .run(&RemediationRequest::new(Action::DeleteGuestUser, guest, admin()).confirm())
            .await
            .unwrap_err();

        assert!(err.is_forbidden(), "{err:?}");
        assert!(!err.is_refusal());
        assert_eq!(err.request_id(), Some("rid-403"));
        let text = err.to_string();
        assert!(text.contains("403 Authorization_RequestDenied"), "{text}");
        assert!(
            text.contains("although the app holds the permission"),
            "{text}"
        );
        let report = err.report().unwrap();
        assert_eq!(report.outcome, AuditOutcome::Failed);
        assert_eq!(report.gates.len(), 4, "every gate had passed");
        let delete = report.writes().next().unwrap();
        assert_eq!(
            (delete.status, delete.request_id.as_deref()),
            (Some(403), Some("rid-403"))
        );
        let audit = store.audit_log(TENANT, 10).await.unwrap();
        assert_eq!(audit.len(), 2, "the intent and the outcome");
        assert_eq!(audit[1].outcome, AuditOutcome::Incomplete);
        assert_eq!(audit[0].outcome, AuditOutcome::Failed);
        assert_eq!(audit[0].entry["error"], text);
        assert_eq!(audit[0].entry["calls"][4]["request_id"], "rid-403");
    }

    pub(crate) async fn reset_mfa_deletes_in_the_safe_order_and_counts_404_as_already_removed(
        store: Arc<dyn Store>,
    ) {
        use wiremock::matchers::{method, path, path_regex, query_param};
        use wiremock::Mock;

        use crate::support::mocked::{json, mocked, TENANT};

        let user = "0c1f6a3e-2b7d-4e59-8f21-6a9d3c4b5e70";
        let (server, remediator) = mocked(
            store.clone(),
            &[
                "User.Read.All",
                "UserAuthenticationMethod.ReadWrite.All",
                "Directory.Read.All",
                "RoleEligibilitySchedule.Read.Directory",
            ],
        )
        .await;
        Mock::given(method("GET"))
            .and(path("/v1.0/users"))
            .and(query_param("$filter", "userPrincipalName eq 'adele@contoso.com'"))
            .respond_with(json(
                200,
                serde_json::json!({"value": [{"id": user, "userPrincipalName": "adele@contoso.com", "userType": "Member"}]}),
                "rid-read",
            ))
            .expect(1)
            .mount(&server)
            .await;
        crate::support::mocked::unprivileged(&server, user).await;
        let methods = serde_json::json!({"value": [
            {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": entra_model::MOBILE_PHONE_METHOD_ID, "phoneType": "mobile", "phoneNumber": "+1 4255550100"},
            {"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": entra_model::EMAIL_METHOD_ID, "emailAddress": "adele@outlook.com"},
            {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": entra_model::PASSWORD_METHOD_ID},
            {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": entra_model::ALTERNATE_MOBILE_PHONE_METHOD_ID, "phoneType": "alternateMobile"},
            {"@odata.type": "#microsoft.graph.qrCodePinAuthenticationMethod", "id": "qr-1"},
            {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": entra_model::OFFICE_PHONE_METHOD_ID, "phoneType": "office"},
            {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "auth-1", "displayName": "iPhone"}
        ]});
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/users/{user}/authentication/methods")))
            .respond_with(json(200, methods, "rid-methods"))
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path(format!(
                "/v1.0/users/{user}/authentication/phoneMethods/{}",
                entra_model::ALTERNATE_MOBILE_PHONE_METHOD_ID
            )))
            .respond_with(json(
                404,
                serde_json::json!({"error": {"code": "itemNotFound", "message": "The authentication method was not found for this user."}}),
                "rid-404",
            ))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("DELETE"))
            .and(path_regex(format!(
                "^/v1.0/users/{user}/authentication/[A-Za-z0-9]+Methods/[^/]+$"
            )))
            .respond_with(ResponseTemplate::new(204).insert_header("request-id", "rid-204"))
            .with_priority(2)
            .mount(&server)
            .await;

        let report = remediator
            .run(&RemediationRequest::new(Action::ResetMfa, "adele@contoso.com", admin()).confirm())
            .await
            .unwrap_err_or_report();

        let deletes: Vec<String> = server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.method.as_str() == "DELETE")
            .map(|r| {
                r.url
                    .path()
                    .rsplit('/')
                    .take(2)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .collect();
        assert_eq!(
            deletes,
            [
                format!(
                    "phoneMethods/{}",
                    entra_model::ALTERNATE_MOBILE_PHONE_METHOD_ID
                ),
                format!("phoneMethods/{}", entra_model::OFFICE_PHONE_METHOD_ID),
                "microsoftAuthenticatorMethods/auth-1".to_owned(),
                format!("emailMethods/{}", entra_model::EMAIL_METHOD_ID),
                format!("phoneMethods/{}", entra_model::MOBILE_PHONE_METHOD_ID),
            ]
        );
        assert_eq!(report.outcome, AuditOutcome::Success);
        let status = |id: &str| report.methods.iter().find(|m| m.id == id).unwrap().status;
        assert_eq!(
            status(entra_model::ALTERNATE_MOBILE_PHONE_METHOD_ID),
            MethodStatus::AlreadyRemoved
        );
        assert_eq!(
            status(entra_model::MOBILE_PHONE_METHOD_ID),
            MethodStatus::Removed
        );
        assert_eq!(status(entra_model::PASSWORD_METHOD_ID), MethodStatus::Kept);
        assert_eq!(status("qr-1"), MethodStatus::Kept);
        let audit = store.audit_log(TENANT, 10).await.unwrap();
        assert_eq!(audit[0].outcome, AuditOutcome::Success);
        assert_eq!(audit[0].target_id.as_deref(), Some(user));
    }

    pub(crate) async fn token_failure_sends_nothing_to_graph_and_is_recorded_as_failed(
        store: Arc<dyn Store>,
    ) {
        use entra_auth::{AccessToken, AuthError, TokenCredential};
        use oort_remediation::Remediator;

        #[derive(Debug)]
        struct NoToken;
        #[async_trait::async_trait]
        impl TokenCredential for NoToken {
            async fn get_token(&self, _scope: &str) -> Result<AccessToken, AuthError> {
                Err(AuthError::NotImplemented)
            }
        }

        let env = env(store).await;
        let before = env.graph_requests().len();
        let remediator = Remediator::builder()
            .client(env.client.clone())
            .credential(Arc::new(NoToken))
            .store(env.store.clone())
            .tenant(env.tenant.tenant_id())
            .build()
            .unwrap();

        let err = remediator
            .run(&RemediationRequest::new(Action::LogOut, "adele@contoso.com", admin()).confirm())
            .await
            .unwrap_err();

        assert!(matches!(err.kind(), ErrorKind::Token), "{err:?}");
        assert!(!err.is_refusal());
        assert!(
            std::error::Error::source(&err).is_some(),
            "the AuthError is kept as the source"
        );
        assert_eq!(env.graph_requests().len(), before);
        let audit = env.audit().await;
        assert_eq!((audit.len(), audit[0].outcome.as_str()), (1, "failed"));
        assert!(audit[0].entry["error"]
            .as_str()
            .unwrap()
            .contains("access token"));
    }

    pub(crate) async fn privileged_reads_need_their_permissions_unless_an_administrator_overrides(
        store: Arc<dyn Store>,
    ) {
        let env = env_with(
            store,
            crate::support::builder().permissions(["User.Read.All", "User.RevokeSessions.All"]),
        )
        .await;
        let guest = env.guests().remove(0);
        let before = env.graph_requests().len();
        let remediator = env.remediator();
        let request = RemediationRequest::new(Action::LogOut, guest.id.as_str(), admin()).confirm();

        let err = remediator.run(&request).await.unwrap_err();
        let ErrorKind::MissingPermissions { missing, .. } = err.kind() else {
            panic!("{err:?}");
        };
        let calls: Vec<&str> = missing.iter().map(|c| c.call).collect();
        assert_eq!(
            calls,
            [
                "GET /roleManagement/directory/roleAssignments",
                "GET /roleManagement/directory/roleEligibilityScheduleInstances"
            ]
        );
        let text = err.to_string();
        assert!(
            text.contains(
                "needs RoleManagement.Read.Directory, RoleManagement.Read.All, Directory.Read.All"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "needs RoleEligibilitySchedule.Read.Directory, RoleManagement.Read.Directory"
            ),
            "{text}"
        );
        assert!(text.contains("privileged override"), "{text}");
        assert_eq!(env.graph_requests().len(), before, "nothing sent to Graph");

        let report = remediator
            .run(&request.override_privileged("app cannot read roles yet"))
            .await
            .unwrap();
        assert_eq!(report.outcome, AuditOutcome::Success);
        let privilege = report.target.as_ref().unwrap().privilege.clone().unwrap();
        assert!(
            privilege.privileged,
            "what was not read counts as privileged"
        );
        assert_eq!(privilege.unreadable.len(), 2, "{:?}", privilege.unreadable);
        let sent = &env.graph_requests()[before..];
        assert!(sent
            .iter()
            .all(|r| !r.path_and_query.contains("roleManagement")));
    }

    pub(crate) async fn deleting_a_guest_that_is_not_an_external_account_is_refused(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let member = env.plain_members().await.remove(0);
        let alice = env.remediator();
        alice
            .run(
                &RemediationRequest::new(
                    Action::UpdateUserType(UserType::Guest),
                    member.id.as_str(),
                    admin(),
                )
                .confirm(),
            )
            .await
            .unwrap();
        let bob = Operator::new("bob", OperatorRole::Administrator);

        let err = alice
            .run(
                &RemediationRequest::new(Action::DeleteGuestUser, member.id.as_str(), bob)
                    .confirm(),
            )
            .await
            .unwrap_err();

        assert!(
            matches!(err.kind(), ErrorKind::NotExternal { .. }),
            "{err:?}"
        );
        assert!(
            err.to_string().contains("no mark of an external account"),
            "{err}"
        );
        assert!(env.user(&member.id).is_some());
    }

    pub(crate) async fn the_operator_who_made_a_user_a_guest_cannot_delete_them_within_7_days(
        store: Arc<dyn Store>,
    ) {
        let env = env(store).await;
        let guest = env.guests().remove(0);
        let remediator = env.remediator();
        let bob = || Operator::new("bob", OperatorRole::Administrator);
        // A real external account that someone made a member, and alice made a guest again.
        remediator
            .run(
                &RemediationRequest::new(
                    Action::UpdateUserType(UserType::Member),
                    guest.id.as_str(),
                    bob(),
                )
                .confirm(),
            )
            .await
            .unwrap();
        env.clock.advance(Duration::days(1));
        let made_guest = remediator
            .run(
                &RemediationRequest::new(
                    Action::UpdateUserType(UserType::Guest),
                    guest.id.as_str(),
                    admin(),
                )
                .confirm(),
            )
            .await
            .unwrap();
        env.clock.advance(Duration::days(6));

        let delete = |op: Operator| {
            RemediationRequest::new(Action::DeleteGuestUser, guest.id.as_str(), op).confirm()
        };
        let err = remediator.run(&delete(admin())).await.unwrap_err();
        let ErrorKind::SameOperatorMadeGuest {
            operator, audit_id, ..
        } = err.kind()
        else {
            panic!("{err:?}");
        };
        assert_eq!(operator, "alice");
        assert_eq!(audit_id, &made_guest.audit_id);
        assert!(env.user(&guest.id).is_some());

        // Another operator may; so may alice once the 7 days have passed (dry run).
        env.clock.advance(Duration::days(1) + Duration::minutes(1));
        let later = remediator
            .run(&RemediationRequest::new(
                Action::DeleteGuestUser,
                guest.id.as_str(),
                admin(),
            ))
            .await
            .unwrap();
        assert_eq!(later.outcome, AuditOutcome::DryRun);
        let report = remediator.run(&delete(bob())).await.unwrap();
        assert_eq!(report.outcome, AuditOutcome::Success);
        let rules = report.gate(Gate::TargetRules).unwrap();
        assert!(
            rules.detail.contains("an external account"),
            "{}",
            rules.detail
        );
        assert!(env.user(&guest.id).is_none());
    }
}

/// `Result::unwrap` that shows the error's report on failure.
trait UnwrapReport {
    fn unwrap_err_or_report(self) -> oort_remediation::Report;
}

impl UnwrapReport for Result<oort_remediation::Report, oort_remediation::RemediationError> {
    fn unwrap_err_or_report(self) -> oort_remediation::Report {
        match self {
            Ok(r) => r,
            Err(e) => panic!("{e}: {:#?}", e.report()),
        }
    }
}

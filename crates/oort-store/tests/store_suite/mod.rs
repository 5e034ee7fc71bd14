//! The store test suite: the same behaviour is required of every `Store` implementation.
//! `store.rs` instantiates it for SQLite (and PostgreSQL when a server is available).

use entra_model::*;
use oort_store::*;
use serde_json::json;
use time::{Duration, OffsetDateTime};

pub(crate) fn t(s: &str) -> OffsetDateTime {
    timestamp::parse(s).unwrap()
}

pub(crate) fn ctx(tenant: &str, now: &str) -> WriteContext<'static> {
    WriteContext {
        tenant: Box::leak(tenant.to_owned().into_boxed_str()),
        now: t(now),
    }
}

pub(crate) fn raw<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Raw<T> {
    Raw::from_json(&v.to_string()).unwrap()
}

fn sign_in(id: &str, at: &str, extra: serde_json::Value) -> Raw<SignIn> {
    let mut v = json!({"id": id, "createdDateTime": at, "userId": "u1",
        "userPrincipalName": "adele@contoso.com", "ipAddress": "1.2.3.4",
        "status": {"errorCode": 0}, "location": {"countryOrRegion": "FR", "city": "Paris",
        "geoCoordinates": {"latitude": 48.85, "longitude": 2.35}}, "isInteractive": true});
    if let (Some(map), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
        map.extend(extra);
    }
    raw(v)
}

pub(crate) async fn sign_ins_upsert_by_id_and_keep_raw_json(store: &dyn Store) {
    let c = ctx("t1", "2024-05-02T00:00:00Z");
    let first = vec![
        sign_in(
            "a",
            "2024-05-01T10:00:00.1234567Z",
            json!({"unknownField": [1, 2]}),
        ),
        sign_in("b", "2024-05-01T11:00:00Z", json!({})),
        sign_in("c", "2024-05-01T09:00:00Z", json!({})),
    ];
    let s = store.write(c, Batch::SignIns(first), None).await.unwrap();
    assert_eq!((s.inserted, s.updated), (3, 0));
    let again = vec![
        sign_in(
            "a",
            "2024-05-01T10:00:00.1234567Z",
            json!({"riskState": "atRisk"}),
        ),
        sign_in("d", "2024-05-01T12:00:00Z", json!({})),
    ];
    let s = store.write(c, Batch::SignIns(again), None).await.unwrap();
    assert_eq!(
        (s.inserted, s.updated),
        (1, 1),
        "the overlap is an update, not a duplicate"
    );
    assert_eq!(store.sign_in_count("t1").await.unwrap(), 4);
    let all = store.sign_ins("t1", SignInQuery::default()).await.unwrap();
    let ids: Vec<_> = all.iter().map(|s| s.value().id.as_str()).collect();
    assert_eq!(ids, ["c", "a", "b", "d"], "time order");
    assert!(
        all[1].json().contains("\"riskState\":\"atRisk\""),
        "the newer raw JSON wins"
    );
    assert_eq!(
        all[1].value().created_date_time,
        Some(t("2024-05-01T10:00:00.1234567Z"))
    );
    assert_eq!(
        store.sign_in_count("other-tenant").await.unwrap(),
        0,
        "tenants are isolated"
    );
}

pub(crate) async fn sign_in_writes_mark_how_far_back_the_analysis_must_read(store: &dyn Store) {
    let c = ctx("t1", "2024-05-02T00:00:00Z");
    assert_eq!(store.sign_in_changes("t1").await.unwrap(), None);
    let batch = vec![
        sign_in("a", "2024-05-01T10:00:00Z", json!({})),
        sign_in("b", "2024-05-01T09:00:00.5Z", json!({})),
    ];
    store.write(c, Batch::SignIns(batch), None).await.unwrap();
    let first = store.sign_in_changes("t1").await.unwrap().unwrap();
    assert_eq!(first.earliest, t("2024-05-01T09:00:00.5Z"));
    // A later batch keeps the earliest time and moves the version; an older one moves both.
    let later = vec![sign_in("c", "2024-05-01T12:00:00Z", json!({}))];
    store.write(c, Batch::SignIns(later), None).await.unwrap();
    let second = store.sign_in_changes("t1").await.unwrap().unwrap();
    assert_eq!(second.earliest, first.earliest);
    assert_ne!(second.version, first.version);
    assert_eq!(
        store.sign_in_changes("t2").await.unwrap(),
        None,
        "per tenant"
    );
    // Clearing with a stale version fails: a batch was written after it was read.
    assert!(!store
        .clear_sign_in_changes("t1", first.version)
        .await
        .unwrap());
    assert_eq!(store.sign_in_changes("t1").await.unwrap(), Some(second));
    assert!(store
        .clear_sign_in_changes("t1", second.version)
        .await
        .unwrap());
    assert_eq!(store.sign_in_changes("t1").await.unwrap(), None);
    let backfill = vec![sign_in("z", "2024-04-01T00:00:00Z", json!({}))];
    store
        .write(c, Batch::SignIns(backfill), None)
        .await
        .unwrap();
    assert_eq!(
        store.sign_in_changes("t1").await.unwrap().unwrap().earliest,
        t("2024-04-01T00:00:00Z")
    );
}

pub(crate) async fn sign_ins_page_by_keyset_through_equal_timestamps(store: &dyn Store) {
    let c = ctx("t1", "2024-05-02T00:00:00Z");
    let items: Vec<_> = (0..25)
        .map(|i| {
            sign_in(
                &format!("id-{i:02}"),
                if i < 10 {
                    "2024-05-01T10:00:00Z"
                } else {
                    "2024-05-01T10:00:01Z"
                },
                json!({}),
            )
        })
        .collect();
    store.write(c, Batch::SignIns(items), None).await.unwrap();
    let mut seen = Vec::new();
    let mut q = SignInQuery::between(t("2024-05-01T00:00:00Z"), t("2024-05-02T00:00:00Z"), 7);
    loop {
        let page = store.sign_ins("t1", q.clone()).await.unwrap();
        if page.is_empty() {
            break;
        }
        seen.extend(page.iter().map(|s| s.value().id.clone()));
        q = q.after(page.last().unwrap());
    }
    let expected: Vec<_> = (0..25).map(|i| format!("id-{i:02}")).collect();
    assert_eq!(seen, expected, "every sign-in exactly once, in order");
    let window = store
        .sign_ins(
            "t1",
            SignInQuery::between(t("2024-05-01T10:00:01Z"), t("2024-05-01T10:00:02Z"), 100),
        )
        .await
        .unwrap();
    assert_eq!(window.len(), 15, "from is inclusive, until exclusive");
}

pub(crate) async fn checkpoints_are_written_with_their_batch_and_replaced(store: &dyn Store) {
    let c = ctx("t1", "2024-05-02T00:00:00Z");
    let cp = Checkpoint::new(
        "sign_ins",
        "2024-05-01T00:00:00Z",
        json!({"next_link": "https://graph/next?$skiptoken=1"}),
    );
    store
        .write(
            c,
            Batch::SignIns(vec![sign_in("a", "2024-05-01T10:00:00Z", json!({}))]),
            Some(cp.clone()),
        )
        .await
        .unwrap();
    assert_eq!(store.checkpoints("t1", "sign_ins").await.unwrap(), [cp]);
    let done = Checkpoint::new("sign_ins", "2024-05-01T00:00:00Z", json!({"done": true}));
    store.save_checkpoint("t1", done.clone()).await.unwrap();
    store
        .save_checkpoint("t1", Checkpoint::new("users", "delta", json!("link")))
        .await
        .unwrap();
    assert_eq!(store.checkpoints("t1", "sign_ins").await.unwrap(), [done]);
    store
        .delete_checkpoint("t1", "sign_ins", "2024-05-01T00:00:00Z")
        .await
        .unwrap();
    assert!(store
        .checkpoints("t1", "sign_ins")
        .await
        .unwrap()
        .is_empty());
    assert_eq!(store.checkpoints("t1", "users").await.unwrap().len(), 1);
    assert!(store.checkpoints("t2", "users").await.unwrap().is_empty());
}

pub(crate) async fn deleted_users_are_marked_not_erased_and_restores_clear_the_mark(
    store: &dyn Store,
) {
    let users = vec![
        raw(
            json!({"id": "u1", "userPrincipalName": "a@contoso.com", "userType": "Member", "accountEnabled": true,
                   "signInActivity": {"lastSuccessfulSignInDateTime": "2024-04-01T00:00:00Z"}}),
        ),
        raw(
            json!({"id": "u2", "userPrincipalName": "g_x.com#EXT#@contoso.com", "userType": "Guest"}),
        ),
    ];
    let s = store
        .write(ctx("t1", "2024-05-01T00:00:00Z"), Batch::Users(users), None)
        .await
        .unwrap();
    assert_eq!(s.inserted, 2);
    let removed = vec![raw(json!({"id": "u2", "@removed": {"reason": "changed"}}))];
    let s = store
        .write(
            ctx("t1", "2024-05-02T00:00:00Z"),
            Batch::Users(removed),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.removed, 1);
    let stored = store.users("t1").await.unwrap();
    assert_eq!(stored.len(), 2, "a deleted user is kept");
    let u2 = stored.iter().find(|u| u.user.value().id == "u2").unwrap();
    assert_eq!(u2.deleted_at, Some(t("2024-05-02T00:00:00Z")));
    assert!(u2.user.value().is_guest(), "the last full JSON is kept");
    let restored = vec![raw(
        json!({"id": "u2", "userPrincipalName": "g_x.com#EXT#@contoso.com", "userType": "Guest"}),
    )];
    store
        .write(
            ctx("t1", "2024-05-03T00:00:00Z"),
            Batch::Users(restored),
            None,
        )
        .await
        .unwrap();
    let u2 = store
        .users("t1")
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.user.value().id == "u2")
        .unwrap();
    assert_eq!(u2.deleted_at, None);
    // A signInActivity read updates the activity without touching the user's JSON.
    let activity = vec![raw(
        json!({"id": "u1", "signInActivity": {"lastSignInDateTime": "2024-05-02T09:00:00Z", "lastSuccessfulSignInDateTime": "2024-05-02T08:00:00Z"}}),
    )];
    store
        .write(
            ctx("t1", "2024-05-03T00:00:00Z"),
            Batch::SignInActivity(activity),
            None,
        )
        .await
        .unwrap();
    let u1 = store
        .users("t1")
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.user.value().id == "u1")
        .unwrap();
    assert_eq!(
        u1.activity().unwrap().last_successful_sign_in_date_time,
        Some(t("2024-05-02T08:00:00Z"))
    );
    assert_eq!(
        u1.user.value().user_principal_name.as_deref(),
        Some("a@contoso.com"),
        "the user JSON is kept"
    );
    // A full sync that no longer returns u1 marks it deleted.
    let started = t("2024-05-04T00:00:00Z");
    store
        .write(
            ctx("t1", "2024-05-04T00:00:01Z"),
            Batch::Users(vec![raw(json!({"id": "u2"}))]),
            None,
        )
        .await
        .unwrap();
    let n = store
        .finish_snapshot(
            ctx("t1", "2024-05-04T00:00:02Z"),
            SnapshotScope::Users,
            started,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let u1 = store
        .users("t1")
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.user.value().id == "u1")
        .unwrap();
    assert_eq!(u1.deleted_at, Some(t("2024-05-04T00:00:02Z")));
}

pub(crate) async fn group_delta_applies_member_changes_and_marks_removals(store: &dyn Store) {
    let groups = vec![raw(
        json!({"id": "g1", "displayName": "Sales", "securityEnabled": true,
        "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "u1"},
                          {"@odata.type": "#microsoft.graph.group", "id": "g2"}]}),
    )];
    store
        .write(
            ctx("t1", "2024-05-01T00:00:00Z"),
            Batch::Groups(groups),
            None,
        )
        .await
        .unwrap();
    let members = store.group_members("t1").await.unwrap();
    assert_eq!(members.len(), 2);
    assert_eq!(members[1].member_type.as_deref(), Some("user"));
    let change = vec![raw(json!({"id": "g1", "displayName": "Sales",
        "members@delta": [{"@odata.type": "#microsoft.graph.user", "id": "u1", "@removed": {"reason": "deleted"}}]}))];
    let s = store
        .write(
            ctx("t1", "2024-05-02T00:00:00Z"),
            Batch::Groups(change),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.removed, 1);
    let members = store.group_members("t1").await.unwrap();
    let u1 = members.iter().find(|m| m.member_id == "u1").unwrap();
    assert_eq!(
        u1.removed_at,
        Some(t("2024-05-02T00:00:00Z")),
        "marked with the time, not erased"
    );
    let deleted = vec![raw(json!({"id": "g1", "@removed": {"reason": "deleted"}}))];
    store
        .write(
            ctx("t1", "2024-05-03T00:00:00Z"),
            Batch::Groups(deleted),
            None,
        )
        .await
        .unwrap();
    assert!(
        store.groups("t1").await.unwrap().is_empty(),
        "deleted groups are not current"
    );
    let g2 = store
        .group_members("t1")
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.member_id == "g2")
        .unwrap();
    assert_eq!(
        g2.removed_at,
        Some(t("2024-05-03T00:00:00Z")),
        "a deleted group's memberships end"
    );
}

pub(crate) async fn member_listing_snapshot_marks_missing_members_removed(store: &dyn Store) {
    let list = |ids: &[&str]| -> Vec<DirectoryObject> {
        ids.iter()
            .map(|id| {
                serde_json::from_value(json!({"@odata.type": "#microsoft.graph.user", "id": id}))
                    .unwrap()
            })
            .collect()
    };
    store
        .write(
            ctx("t1", "2024-05-01T00:00:00Z"),
            Batch::GroupMembers {
                group_id: "g1".into(),
                members: list(&["u1", "u2"]),
            },
            None,
        )
        .await
        .unwrap();
    let started = t("2024-05-02T00:00:00Z");
    store
        .write(
            ctx("t1", "2024-05-02T00:00:01Z"),
            Batch::GroupMembers {
                group_id: "g1".into(),
                members: list(&["u2", "u3"]),
            },
            None,
        )
        .await
        .unwrap();
    let n = store
        .finish_snapshot(
            ctx("t1", "2024-05-02T00:00:02Z"),
            SnapshotScope::GroupMembers {
                group_id: "g1".into(),
            },
            started,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let members = store.group_members("t1").await.unwrap();
    let current: Vec<_> = members
        .iter()
        .filter(|m| m.removed_at.is_none())
        .map(|m| m.member_id.as_str())
        .collect();
    assert_eq!(current, ["u2", "u3"]);
}

pub(crate) async fn application_credentials_are_stored_and_replaced_with_their_owner(
    store: &dyn Store,
) {
    let apps = vec![raw(
        json!({"id": "a1", "appId": "client-1", "displayName": "oort",
        "passwordCredentials": [{"keyId": "k1", "displayName": "ci", "startDateTime": "2024-01-01T00:00:00Z", "endDateTime": "2024-07-01T00:00:00Z"}],
        "keyCredentials": [{"keyId": "k2", "endDateTime": "2026-01-01T00:00:00Z", "type": "AsymmetricX509Cert"}]}),
    )];
    let sps = vec![raw(
        json!({"id": "sp1", "appId": "client-2", "displayName": "Graph", "servicePrincipalType": "Application",
        "passwordCredentials": [{"keyId": "k3", "endDateTime": "2023-01-01T00:00:00Z"}]}),
    )];
    store
        .write(
            ctx("t1", "2024-05-01T00:00:01Z"),
            Batch::Applications(apps),
            None,
        )
        .await
        .unwrap();
    store
        .write(
            ctx("t1", "2024-05-01T00:00:01Z"),
            Batch::ServicePrincipals(sps),
            None,
        )
        .await
        .unwrap();
    let creds = store.app_credentials("t1").await.unwrap();
    assert_eq!(creds.len(), 3);
    let k1 = creds
        .iter()
        .find(|c| c.credential.key_id.as_deref() == Some("k1"))
        .unwrap();
    assert_eq!(k1.owner_kind, CredentialOwner::Application);
    assert_eq!(k1.app_id.as_deref(), Some("client-1"));
    assert_eq!(k1.credential.kind, CredentialKind::Secret);
    assert_eq!(k1.credential.end, Some(t("2024-07-01T00:00:00Z")));
    assert_eq!(store.applications("t1").await.unwrap().len(), 1);
    assert_eq!(store.service_principals("t1").await.unwrap().len(), 1);
    // The secret was rotated: the next listing replaces the credentials.
    let rotated = vec![raw(
        json!({"id": "a1", "appId": "client-1", "passwordCredentials": [{"keyId": "k9", "endDateTime": "2025-01-01T00:00:00Z"}]}),
    )];
    store
        .write(
            ctx("t1", "2024-05-02T00:00:00Z"),
            Batch::Applications(rotated),
            None,
        )
        .await
        .unwrap();
    let keys: Vec<_> = store
        .app_credentials("t1")
        .await
        .unwrap()
        .into_iter()
        .filter(|c| c.owner_kind == CredentialOwner::Application)
        .map(|c| c.credential.key_id.unwrap())
        .collect();
    assert_eq!(keys, ["k9"]);
    // A snapshot that no longer lists the service principal deletes it and its credentials.
    let n = store
        .finish_snapshot(
            ctx("t1", "2024-05-03T00:00:00Z"),
            SnapshotScope::ServicePrincipals,
            t("2024-05-02T12:00:00Z"),
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert!(store.service_principals("t1").await.unwrap().is_empty());
    assert!(store
        .app_credentials("t1")
        .await
        .unwrap()
        .iter()
        .all(|c| c.owner_kind == CredentialOwner::Application));
}

pub(crate) async fn auth_methods_replace_the_users_set(store: &dyn Store) {
    let methods = |v: serde_json::Value| -> Vec<Raw<AuthenticationMethod>> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|m| raw(m.clone()))
            .collect()
    };
    let first = methods(json!([
        {"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": PASSWORD_METHOD_ID},
        {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": MOBILE_PHONE_METHOD_ID, "phoneType": "mobile"}
    ]));
    let s = store
        .write(
            ctx("t1", "2024-05-01T00:00:00Z"),
            Batch::AuthMethods {
                user_id: "u1".into(),
                methods: first,
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.inserted, 2);
    let second = methods(
        json!([{"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": PASSWORD_METHOD_ID}]),
    );
    let s = store
        .write(
            ctx("t1", "2024-05-02T00:00:00Z"),
            Batch::AuthMethods {
                user_id: "u1".into(),
                methods: second,
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.removed, 1);
    let stored = store.auth_methods("t1").await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "u1");
    assert!(matches!(
        stored[0].1.value(),
        AuthenticationMethod::Password(_)
    ));
}

pub(crate) async fn snapshot_items_and_roles_are_replaced_per_run(store: &dyn Store) {
    let risky = vec![
        raw(json!({"id": "u1", "riskLevel": "high", "riskState": "atRisk"})),
        raw(json!({"id": "u2", "riskLevel": "low"})),
    ];
    store
        .write(
            ctx("t1", "2024-05-01T00:00:00Z"),
            Batch::RiskyUsers(risky),
            None,
        )
        .await
        .unwrap();
    let started = t("2024-05-02T00:00:00Z");
    store
        .write(
            ctx("t1", "2024-05-02T00:00:01Z"),
            Batch::RiskyUsers(vec![raw(json!({"id": "u1", "riskLevel": "medium"}))]),
            None,
        )
        .await
        .unwrap();
    store
        .finish_snapshot(
            ctx("t1", "2024-05-02T00:00:02Z"),
            SnapshotScope::Items(ItemKind::RiskyUsers),
            started,
        )
        .await
        .unwrap();
    let items = store.items("t1", ItemKind::RiskyUsers).await.unwrap();
    assert_eq!(items.len(), 1);
    assert!(items[0].contains("medium"));
    assert!(store
        .items("t1", ItemKind::ManagedDevices)
        .await
        .unwrap()
        .is_empty());

    let role: Raw<DirectoryRole> = raw(
        json!({"id": "r1", "displayName": "Global Administrator", "roleTemplateId": DirectoryRole::GLOBAL_ADMINISTRATOR_TEMPLATE_ID}),
    );
    let members: Vec<DirectoryObject> = serde_json::from_value(json!([{"@odata.type": "#microsoft.graph.user", "id": "u1"}, {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp1"}])).unwrap();
    store
        .write(
            ctx("t1", "2024-05-01T00:00:00Z"),
            Batch::RoleMembers { role, members },
            None,
        )
        .await
        .unwrap();
    let rm = store.role_members("t1").await.unwrap();
    assert_eq!(rm.len(), 2);
    assert_eq!(rm[1].member_type.as_deref(), Some("user"));
    assert_eq!(
        store
            .items("t1", ItemKind::DirectoryRoles)
            .await
            .unwrap()
            .len(),
        1
    );
}

pub(crate) async fn runs_are_recorded_and_listed_newest_first(store: &dyn Store) {
    let start = t("2024-05-01T00:00:00Z");
    for i in 0..3 {
        let mut run = CollectionRun::new(format!("run-{i}"), start + Duration::hours(i));
        store.record_run("t1", &run).await.unwrap();
        run.finished_at = Some(run.started_at + Duration::minutes(5));
        run.status = RunStatus::Succeeded;
        run.report = json!({"sign_ins": {"inserted": i}});
        store.record_run("t1", &run).await.unwrap();
    }
    let runs = store.runs("t1", 2).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].id, "run-2");
    assert_eq!(runs[0].status, RunStatus::Succeeded);
    assert_eq!(runs[0].report["sign_ins"]["inserted"], 2);
    assert_eq!(runs[0].finished_at, Some(t("2024-05-01T02:05:00Z")));
}

pub(crate) async fn directory_audits_upsert_by_id(store: &dyn Store) {
    let audits = vec![raw(
        json!({"id": "d1", "activityDateTime": "2024-05-01T00:00:00Z", "activityDisplayName": "Delete user", "result": "success"}),
    )];
    let s = store
        .write(
            ctx("t1", "2024-05-02T00:00:00Z"),
            Batch::DirectoryAudits(audits),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.inserted, 1);
    let again = vec![raw(
        json!({"id": "d1", "activityDateTime": "2024-05-01T00:00:00Z"}),
    )];
    let s = store
        .write(
            ctx("t1", "2024-05-02T00:00:00Z"),
            Batch::DirectoryAudits(again),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.updated, 1);
    assert_eq!(store.directory_audit_count("t1").await.unwrap(), 1);
}

pub(crate) async fn prune_deletes_sign_ins_and_audits_older_than_the_retention(store: &dyn Store) {
    let c = ctx("t1", "2024-05-10T00:00:00Z");
    // 12,005 old sign-ins (more than one delete batch) and 2 recent ones; another tenant's old one.
    let old: Vec<Raw<SignIn>> = (0..12_005)
        .map(|i| {
            let at = t("2024-04-01T00:00:00Z") + Duration::seconds(i);
            sign_in(&format!("old-{i}"), &timestamp::format(&at), json!({}))
        })
        .collect();
    store.write(c, Batch::SignIns(old), None).await.unwrap();
    let recent = vec![
        sign_in("r1", "2024-05-09T00:00:00Z", json!({})),
        sign_in("r2", "2024-05-03T00:00:00Z", json!({})),
    ];
    store.write(c, Batch::SignIns(recent), None).await.unwrap();
    let other = vec![sign_in("o1", "2024-04-01T00:00:00Z", json!({}))];
    store
        .write(
            ctx("t2", "2024-05-10T00:00:00Z"),
            Batch::SignIns(other),
            None,
        )
        .await
        .unwrap();
    let audits = vec![
        raw(json!({"id": "a-old", "activityDateTime": "2024-04-02T00:00:00Z"})),
        raw(json!({"id": "a-new", "activityDateTime": "2024-05-09T00:00:00Z"})),
    ];
    store
        .write(c, Batch::DirectoryAudits(audits), None)
        .await
        .unwrap();

    let pruned = store.prune("t1", t("2024-05-03T00:00:00Z")).await.unwrap();
    assert_eq!((pruned.sign_ins, pruned.directory_audits), (12_005, 1));
    let left: Vec<String> = store
        .sign_ins("t1", SignInQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|s| s.value().id.clone())
        .collect();
    assert_eq!(left, ["r2", "r1"], "the boundary is kept");
    assert_eq!(store.directory_audit_count("t1").await.unwrap(), 1);
    assert_eq!(store.sign_in_count("t2").await.unwrap(), 1, "per tenant");
    let again = store.prune("t1", t("2024-05-03T00:00:00Z")).await.unwrap();
    assert_eq!((again.sign_ins, again.directory_audits), (0, 0));
}

pub(crate) async fn findings_upsert_by_fingerprint_and_keep_notification_state(store: &dyn Store) {
    let f = |status: FindingStatus, last: &str| {
        StoredFinding::new(
            "fp-1",
            "password-spray",
            FindingKind::Threat,
            Severity::High,
            status,
            "203.0.113.7",
            "203.0.113.7 sprayed 40 users",
            t("2024-05-01T00:00:00Z"),
            t(last),
            json!({"evidence": {"users": 40}}),
        )
    };
    let s = store
        .upsert_findings(
            ctx("t1", "2024-05-01T01:00:00Z"),
            vec![f(FindingStatus::Open, "2024-05-01T00:20:00Z")],
        )
        .await
        .unwrap();
    assert_eq!(s.inserted, 1);
    store
        .record_notification("t1", "fp-1", FindingStatus::Open, t("2024-05-01T01:00:01Z"))
        .await
        .unwrap();
    let s = store
        .upsert_findings(
            ctx("t1", "2024-05-02T01:00:00Z"),
            vec![f(FindingStatus::Open, "2024-05-02T00:20:00Z")],
        )
        .await
        .unwrap();
    assert_eq!(s.updated, 1, "an ongoing attack updates its finding");
    let other = StoredFinding::new(
        "fp-2",
        "inactive-guest",
        FindingKind::Posture,
        Severity::Medium,
        FindingStatus::Resolved,
        "guest@x.com",
        "s",
        t("2024-04-01T00:00:00Z"),
        t("2024-04-02T00:00:00Z"),
        json!({}),
    );
    store
        .upsert_findings(ctx("t1", "2024-05-02T01:00:00Z"), vec![other])
        .await
        .unwrap();
    let open = store
        .findings("t1", FindingFilter::status(FindingStatus::Open))
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].last_seen, t("2024-05-02T00:20:00Z"));
    assert_eq!(
        open[0].notified_status,
        Some(FindingStatus::Open),
        "notification state survives updates"
    );
    assert_eq!(open[0].json["evidence"]["users"], 40);
    let all = store
        .findings("t1", FindingFilter::default())
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .map(|f| f.fingerprint.as_str())
            .collect::<Vec<_>>(),
        ["fp-1", "fp-2"],
        "most recent first"
    );
}

pub(crate) async fn notifications_are_recorded_per_channel_and_replaced(store: &dyn Store) {
    let finding = |fp: &str| {
        StoredFinding::new(
            fp,
            "password-spray",
            FindingKind::Threat,
            Severity::High,
            FindingStatus::Open,
            "203.0.113.7",
            "s",
            t("2024-05-01T00:00:00Z"),
            t("2024-05-01T00:20:00Z"),
            json!({}),
        )
    };
    store
        .upsert_findings(
            ctx("t1", "2024-05-01T01:00:00Z"),
            vec![finding("fp-1"), finding("fp-2")],
        )
        .await
        .unwrap();
    assert!(store.notifications("t1").await.unwrap().is_empty());
    let at = t("2024-05-01T01:00:01Z");
    store
        .record_channel_notifications(
            "t1",
            &[
                NotificationRecord::new("fp-1", "teams", FindingStatus::Open, at),
                NotificationRecord::new("fp-1", "email", FindingStatus::Open, at),
                NotificationRecord::new("fp-2", "email", FindingStatus::Open, at),
            ],
        )
        .await
        .unwrap();
    // Another tenant's state is its own.
    store
        .record_channel_notifications(
            "t2",
            &[NotificationRecord::new(
                "fp-1",
                "teams",
                FindingStatus::Resolved,
                at,
            )],
        )
        .await
        .unwrap();
    let later = t("2024-05-03T00:00:00Z");
    store
        .record_channel_notifications(
            "t1",
            &[NotificationRecord::new(
                "fp-1",
                "teams",
                FindingStatus::Resolved,
                later,
            )],
        )
        .await
        .unwrap();
    assert_eq!(
        store.notifications("t1").await.unwrap(),
        [
            NotificationRecord::new("fp-1", "email", FindingStatus::Open, at),
            NotificationRecord::new("fp-1", "teams", FindingStatus::Resolved, later),
            NotificationRecord::new("fp-2", "email", FindingStatus::Open, at),
        ],
        "one row per (finding, channel), the last status replacing the previous one"
    );
    let findings = store
        .findings("t1", FindingFilter::default())
        .await
        .unwrap();
    let fp1 = findings.iter().find(|f| f.fingerprint == "fp-1").unwrap();
    assert_eq!(
        (fp1.notified_status, fp1.notified_at),
        (Some(FindingStatus::Resolved), Some(later)),
        "the finding keeps the last status notified on any channel"
    );
    assert_eq!(store.notifications("t2").await.unwrap().len(), 1);
}

fn origin() -> ProcessOrigin {
    ProcessOrigin::new("alice", "bastion-1", 4242, "/usr/local/bin/oort")
}

pub(crate) async fn audit_entries_are_appended_as_intent_and_outcome_never_updated(
    store: &dyn Store,
) {
    let intent = AuditRecord::intent(
        "a1",
        t("2024-05-01T00:00:00.1234567Z"),
        "alice",
        "administrator",
        "log_out",
        json!({"plan": ["POST /users/u1/revokeSignInSessions"]}),
    )
    .with_origin(Some(origin()));
    let first = store.append_audit("t1", &intent).await.unwrap();
    assert_eq!((first.seq, first.prev_hash.as_str()), (1, GENESIS_HASH));
    assert!(
        store.append_audit("t1", &intent).await.is_err(),
        "an attempt has one intent entry"
    );
    let mut done = intent.clone();
    done.outcome = AuditOutcome::Success;
    done.target_id = Some("u1".into());
    done.completed_at = Some(t("2024-05-01T00:00:02Z"));
    done.entry = json!({"calls": [{"status": 200, "request_id": "r-1"}]});
    let second = store.append_audit("t1", &done).await.unwrap();
    assert_eq!(
        (second.seq, second.prev_hash.as_str()),
        (2, first.hash.as_str()),
        "each entry carries the hash of the one before"
    );
    let mut again = done.clone();
    again.outcome = AuditOutcome::Failed;
    assert!(
        store.append_audit("t1", &again).await.is_err(),
        "an attempt has one outcome entry"
    );
    let crashed = AuditRecord::intent(
        "a2",
        t("2024-05-01T00:01:00Z"),
        "bob",
        "help-desk",
        "reset_mfa",
        json!({}),
    );
    store.append_audit("t1", &crashed).await.unwrap();
    let other = store.append_audit("t2", &crashed).await.unwrap();
    assert_eq!(other.seq, 1, "each tenant has a chain of its own");

    let log = store.audit_log("t1", 10).await.unwrap();
    let entries: Vec<_> = log
        .iter()
        .map(|e| (e.link.as_ref().unwrap().seq, e.id.as_str(), e.outcome))
        .collect();
    assert_eq!(
        entries,
        [
            (3, "a2", AuditOutcome::Incomplete),
            (2, "a1", AuditOutcome::Success),
            (1, "a1", AuditOutcome::Incomplete),
        ],
        "newest first; the intent is still there beside its outcome"
    );
    assert_eq!(log[1].target_id.as_deref(), Some("u1"));
    assert_eq!(log[1].entry["calls"][0]["request_id"], "r-1");
    assert_eq!(log[2].origin, Some(origin()));
    assert_eq!(log[0].origin, None);
    assert_eq!(
        log[2].at,
        t("2024-05-01T00:00:00.123456Z"),
        "kept to the microsecond"
    );
    assert_eq!(store.audit_log("t1", 1).await.unwrap().len(), 1);
    assert_eq!(store.audit_chains().await.unwrap(), ["t1", "t2"]);
    let verified = store.verify_audit_chain("t1").await.unwrap();
    assert!(verified.is_intact(), "{:?}", verified.problem);
    assert_eq!(verified.entries, 3);
    assert_eq!(
        verified.head.unwrap().hash,
        log[0].link.as_ref().unwrap().hash
    );
}

/// Four entries in `chain`, for the tampering tests.
pub(crate) async fn four_entries(store: &dyn Store, chain: &str) {
    for i in 1..=4 {
        let mut rec = AuditRecord::intent(
            format!("a{i}"),
            t("2024-05-01T00:00:00Z") + Duration::minutes(i),
            "alice",
            "administrator",
            "log_out",
            json!({"n": i}),
        );
        rec.outcome = AuditOutcome::Refused;
        store.append_audit(chain, &rec).await.unwrap();
    }
    assert!(store.verify_audit_chain(chain).await.unwrap().is_intact());
}

/// SQL run on the store's database behind its back (both dialects accept it).
pub(crate) const TAMPERING: &[(&str, &[&str])] = &[
    (
        "changed",
        &["UPDATE audit_log SET outcome = 'success' WHERE tenant_id = 'changed' AND seq = 2"],
    ),
    (
        "removed",
        &["DELETE FROM audit_log WHERE tenant_id = 'removed' AND seq = 2"],
    ),
    (
        "swapped",
        &[
            "UPDATE audit_log SET seq = -1 WHERE tenant_id = 'swapped' AND seq = 2",
            "UPDATE audit_log SET seq = 2 WHERE tenant_id = 'swapped' AND seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE tenant_id = 'swapped' AND seq = -1",
        ],
    ),
];

/// After [`TAMPERING`] was run on chains made by [`four_entries`]: each is found where it was
/// done.
pub(crate) async fn verification_finds_each_tampering(store: &dyn Store) {
    let changed = store.verify_audit_chain("changed").await.unwrap();
    let p = changed.problem.expect("a changed outcome is found");
    assert_eq!(
        (p.seq, p.id.as_str(), p.kind.clone()),
        (2, "a2", ChainProblemKind::Changed)
    );
    assert!(p.to_string().contains("entry 2"), "{p}");

    let removed = store.verify_audit_chain("removed").await.unwrap();
    let p = removed.problem.expect("a removed entry is found");
    assert_eq!(
        (p.seq, p.kind),
        (3, ChainProblemKind::Removed { first: 2, last: 2 })
    );

    let swapped = store.verify_audit_chain("swapped").await.unwrap();
    let p = swapped.problem.expect("swapped entries are found");
    assert_eq!(
        (p.seq, p.id.as_str(), p.kind),
        (2, "a3", ChainProblemKind::Reordered { written_at: 3 })
    );
}

pub(crate) async fn concurrent_appends_make_one_unbroken_chain(store: std::sync::Arc<dyn Store>) {
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..4 {
        let store = store.clone();
        tasks.spawn(async move {
            for i in 0..10 {
                let rec = AuditRecord::intent(
                    format!("w{w}-{i}"),
                    t("2024-05-01T00:00:00Z"),
                    format!("worker-{w}"),
                    "administrator",
                    "log_out",
                    json!({}),
                );
                store.append_audit("busy", &rec).await.unwrap();
            }
        });
    }
    while let Some(task) = tasks.join_next().await {
        task.unwrap();
    }
    let verified = store.verify_audit_chain("busy").await.unwrap();
    assert!(verified.is_intact(), "{:?}", verified.problem);
    assert_eq!(verified.entries, 40);
    assert_eq!(verified.head.unwrap().seq, 40);
}

fn admin_audit(action: &str, target: &str) -> AuditRecord {
    let mut rec = AuditRecord::intent(
        format!("{action}-{target}"),
        t("2024-05-01T00:00:00Z"),
        "root-admin",
        "administrator",
        action,
        json!({"operator": target}),
    )
    .with_origin(Some(origin()));
    rec.outcome = AuditOutcome::Success;
    rec.target_id = Some(target.to_owned());
    rec
}

pub(crate) async fn operators_are_stored_found_by_os_account_and_every_change_is_audited(
    store: &dyn Store,
) {
    let at = t("2024-05-01T00:00:00Z");
    let first =
        OperatorRecord::new("root-admin", StoredRole::Administrator, at).with_os_users(["alice"]);
    assert_eq!(
        store
            .bootstrap_operator(&first, &admin_audit("operator_bootstrap", "root-admin"))
            .await
            .unwrap(),
        OperatorChange::Done
    );
    let again = OperatorRecord::new("second", StoredRole::Administrator, at);
    assert_eq!(
        store
            .bootstrap_operator(&again, &admin_audit("operator_bootstrap", "second"))
            .await
            .unwrap(),
        OperatorChange::NotEmpty,
        "bootstrap only on an empty table"
    );
    let helper = OperatorRecord::new("hd", StoredRole::HelpDesk, at)
        .with_os_users(["bob", "bob-admin"])
        .with_password_hash("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA");
    assert_eq!(
        store
            .add_operator(&helper, &admin_audit("operator_add", "hd"))
            .await
            .unwrap(),
        OperatorChange::Done
    );
    assert_eq!(
        store
            .add_operator(&helper, &admin_audit("operator_add", "hd-2"))
            .await
            .unwrap(),
        OperatorChange::AlreadyExists
    );
    let taken = OperatorRecord::new("other", StoredRole::ReadOnly, at).with_os_users(["bob"]);
    assert_eq!(
        store
            .add_operator(&taken, &admin_audit("operator_add", "other"))
            .await
            .unwrap(),
        OperatorChange::OsUserTaken {
            os_user: "bob".into(),
            operator: "hd".into()
        },
        "an OS account acts as one operator"
    );

    let all = store.operators().await.unwrap();
    assert_eq!(all, [helper.clone(), first.clone()]);
    assert!(
        !format!("{:?}", all[0]).contains("aGFzaA"),
        "no hash in Debug"
    );
    assert_eq!(
        store.operator_for_os_user("bob-admin").await.unwrap(),
        Some(helper.clone())
    );
    assert_eq!(store.operator_for_os_user("mallory").await.unwrap(), None);

    assert_eq!(
        store
            .set_operator_role(
                "root-admin",
                StoredRole::ReadOnly,
                &admin_audit("operator_set_role", "root-admin")
            )
            .await
            .unwrap(),
        OperatorChange::LastAdministrator,
        "the last administrator keeps the role"
    );
    assert_eq!(
        store
            .remove_operator("root-admin", &admin_audit("operator_remove", "root-admin"))
            .await
            .unwrap(),
        OperatorChange::LastAdministrator
    );
    assert_eq!(
        store
            .set_operator_role(
                "nobody",
                StoredRole::ReadOnly,
                &admin_audit("operator_set_role", "nobody")
            )
            .await
            .unwrap(),
        OperatorChange::NotFound
    );
    let mut later = admin_audit("operator_set_role", "hd");
    later.at = t("2024-05-02T00:00:00Z");
    assert_eq!(
        store
            .set_operator_role("hd", StoredRole::Administrator, &later)
            .await
            .unwrap(),
        OperatorChange::Done
    );
    let hd = store.operator_for_os_user("bob").await.unwrap().unwrap();
    assert_eq!(
        (hd.role, hd.updated_at, hd.created_at),
        (StoredRole::Administrator, later.at, at)
    );
    assert_eq!(
        store
            .remove_operator("root-admin", &admin_audit("operator_remove", "root-admin"))
            .await
            .unwrap(),
        OperatorChange::Done,
        "another administrator remains"
    );
    assert_eq!(store.operator_for_os_user("alice").await.unwrap(), None);
    assert_eq!(store.operators().await.unwrap().len(), 1);

    let trail = store.audit_log(OPERATORS_CHAIN, 10).await.unwrap();
    let actions: Vec<_> = trail
        .iter()
        .map(|e| (e.action.as_str(), e.target_id.as_deref().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("operator_remove", "root-admin"),
            ("operator_set_role", "hd"),
            ("operator_add", "hd"),
            ("operator_bootstrap", "root-admin"),
        ],
        "every change, and only changes, in the operators' chain"
    );
    assert_eq!(trail[0].origin, Some(origin()));
    assert!(store
        .verify_audit_chain(OPERATORS_CHAIN)
        .await
        .unwrap()
        .is_intact());
}

fn registry_audit(action: &str, tenant: &str, at: &str) -> AuditRecord {
    let mut rec = admin_audit(action, tenant);
    rec.id = format!("{action}-{tenant}-{at}");
    rec.at = t(at);
    rec
}

pub(crate) async fn tenants_are_registered_with_sealed_credentials_and_every_change_is_audited(
    store: &dyn Store,
) {
    use oort_store::seal::MasterKey;
    use secrecy::{ExposeSecret, SecretString};
    let key = MasterKey::from_bytes([3; 32]);
    let secret = SealedCredential::ClientSecret(SecretString::from("s3cr3t-value"));
    let mut contoso = TenantRecord::new(
        "contoso",
        "app-1",
        TenantCredentialKind::Secret,
        t("2024-05-01T00:00:00.1234567Z"),
    )
    .with_sealed_credential(seal_credential(&key, "contoso", &secret).unwrap());
    contoso.display_name = Some("Contoso".into());
    contoso.cloud = TenantCloud::Custom {
        authority_host: "http://127.0.0.1:1".into(),
        graph_url: "http://127.0.0.1:2".into(),
    };
    contoso.devices = true;
    contoso.disabled_streams = vec![StreamKind::RiskyUsers];
    contoso.interval_seconds = 300;
    contoso.break_glass_accounts = vec!["bg@contoso.com".into()];
    contoso.protected_accounts = vec!["ceo@contoso.com".into()];
    let mut fabrikam = TenantRecord::new(
        "fabrikam",
        "app-2",
        TenantCredentialKind::ManagedIdentity,
        t("2024-05-01T00:00:00Z"),
    );
    fabrikam.identity_client_id = Some("mi-1".into());
    let add = |id: &str| registry_audit("tenant_add", id, "2024-05-01T00:00:00Z");
    assert_eq!(
        store.add_tenant(&contoso, &add("contoso")).await.unwrap(),
        TenantChange::Done
    );
    assert_eq!(
        store.add_tenant(&fabrikam, &add("fabrikam")).await.unwrap(),
        TenantChange::Done
    );
    assert_eq!(
        store
            .add_tenant(&contoso, &add("contoso-again"))
            .await
            .unwrap(),
        TenantChange::AlreadyExists
    );
    let stored = store.tenant("contoso").await.unwrap().unwrap();
    assert_eq!(stored, contoso, "every field reads back");
    assert_eq!(
        stored.created_at,
        t("2024-05-01T00:00:00.123456Z"),
        "times to the microsecond"
    );
    assert!(!stored
        .sealed_credential
        .as_deref()
        .unwrap()
        .contains("s3cr3t"));
    match stored.open_credential(&key).unwrap().unwrap() {
        SealedCredential::ClientSecret(s) => assert_eq!(s.expose_secret(), "s3cr3t-value"),
        other => panic!("{other:?}"),
    }
    let ids: Vec<_> = store
        .tenants()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.tenant_id)
        .collect();
    assert_eq!(ids, ["contoso", "fabrikam"]);
    assert_eq!(store.tenant("nobody").await.unwrap(), None);
    // Added tenants are in the leases' list too.
    let at = t("2024-05-01T00:00:00Z");
    let mut leased = Vec::new();
    while let Some(id) = store
        .acquire_lease("w", Duration::minutes(5), at)
        .await
        .unwrap()
    {
        leased.push(id);
    }
    leased.sort();
    assert_eq!(leased, ["contoso", "fabrikam"]);

    // A new credential replaces the old and says when.
    let new = SealedCredential::ClientSecret(SecretString::from("n3w-value"));
    let sealed = seal_credential(&key, "contoso", &new).unwrap();
    let rotate = registry_audit("tenant_rotate_secret", "contoso", "2024-05-02T00:00:00Z");
    assert_eq!(
        store
            .replace_tenant_credential("contoso", &sealed, &rotate)
            .await
            .unwrap(),
        TenantChange::Done
    );
    assert_eq!(
        store
            .replace_tenant_credential("nobody", &sealed, &rotate)
            .await
            .unwrap(),
        TenantChange::NotFound
    );
    let rotated = store.tenant("contoso").await.unwrap().unwrap();
    assert_eq!(
        rotated.credential_rotated_at,
        Some(t("2024-05-02T00:00:00Z"))
    );
    assert_eq!(rotated.updated_at, t("2024-05-02T00:00:00Z"));
    assert_eq!(rotated.sealed_credential.as_deref(), Some(sealed.as_str()));

    // Paused by an operator (audited), failing as a worker reports it (not audited), resumed.
    let pause = registry_audit("tenant_pause", "contoso", "2024-05-03T00:00:00Z");
    assert_eq!(
        store
            .set_tenant_state("contoso", &TenantState::Paused, pause.at, Some(&pause))
            .await
            .unwrap(),
        TenantChange::Done
    );
    assert_eq!(
        store.tenant("contoso").await.unwrap().unwrap().state,
        TenantState::Paused
    );
    let failing = TenantState::Failing {
        last_error: "AADSTS7000215: invalid client secret".into(),
        since: t("2024-05-04T00:00:00Z"),
    };
    store
        .set_tenant_state("contoso", &failing, t("2024-05-04T00:00:00Z"), None)
        .await
        .unwrap();
    assert_eq!(
        store.tenant("contoso").await.unwrap().unwrap().state,
        failing
    );
    assert_eq!(
        store
            .set_tenant_state("nobody", &TenantState::Enabled, at, None)
            .await
            .unwrap(),
        TenantChange::NotFound
    );

    let remove = registry_audit("tenant_remove", "fabrikam", "2024-05-05T00:00:00Z");
    assert_eq!(
        store.remove_tenant("fabrikam", &remove).await.unwrap(),
        TenantChange::Done
    );
    assert_eq!(
        store.remove_tenant("fabrikam", &remove).await.unwrap(),
        TenantChange::NotFound
    );
    assert_eq!(store.tenant("fabrikam").await.unwrap(), None);

    let actions = |chain: &'static str| async move {
        store
            .audit_log(chain, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        actions("contoso").await,
        ["tenant_pause", "tenant_rotate_secret", "tenant_add"],
        "every operator's change, and only changes, in the tenant's chain"
    );
    assert_eq!(actions("fabrikam").await, ["tenant_remove", "tenant_add"]);
    assert!(store
        .verify_audit_chain("contoso")
        .await
        .unwrap()
        .is_intact());
}

pub(crate) async fn rekey_reseals_every_credential_or_none(store: &dyn Store) {
    use oort_store::seal::{MasterKey, SealError};
    use secrecy::{ExposeSecret, SecretString};
    let (old, new) = (
        MasterKey::from_bytes([1; 32]),
        MasterKey::from_bytes([2; 32]),
    );
    let at = t("2024-05-01T00:00:00Z");
    for id in ["a", "b"] {
        let secret = SealedCredential::ClientSecret(SecretString::from(format!("secret-{id}")));
        let rec = TenantRecord::new(id, "app", TenantCredentialKind::Secret, at)
            .with_sealed_credential(seal_credential(&old, id, &secret).unwrap());
        store
            .add_tenant(
                &rec,
                &registry_audit("tenant_add", id, "2024-05-01T00:00:00Z"),
            )
            .await
            .unwrap();
    }
    let mi = TenantRecord::new("c", "app", TenantCredentialKind::WorkloadIdentity, at);
    store
        .add_tenant(
            &mi,
            &registry_audit("tenant_add", "c", "2024-05-01T00:00:00Z"),
        )
        .await
        .unwrap();
    let rekey = registry_audit("tenants_rekey", "all", "2024-05-02T00:00:00Z");
    // The wrong old key: an error naming the tenant and the cause, and nothing changed.
    let wrong = MasterKey::from_bytes([9; 32]);
    let err = store.rekey_tenants(&wrong, &new, &rekey).await.unwrap_err();
    assert!(
        matches!(err.seal_error(), Some(SealError::WrongKey { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("tenant a"), "{err}");
    let a = store.tenant("a").await.unwrap().unwrap();
    assert!(a.open_credential(&old).is_ok(), "still under the old key");
    assert!(store
        .audit_log(OPERATORS_CHAIN, 10)
        .await
        .unwrap()
        .is_empty());

    assert_eq!(store.rekey_tenants(&old, &new, &rekey).await.unwrap(), 2);
    for id in ["a", "b"] {
        let rec = store.tenant(id).await.unwrap().unwrap();
        assert!(matches!(
            rec.open_credential(&old),
            Err(SealError::WrongKey { .. })
        ));
        match rec.open_credential(&new).unwrap().unwrap() {
            SealedCredential::ClientSecret(s) => {
                assert_eq!(s.expose_secret(), format!("secret-{id}"))
            }
            other => panic!("{other:?}"),
        }
    }
    let trail = store.audit_log(OPERATORS_CHAIN, 10).await.unwrap();
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0].action, "tenants_rekey");
}

pub(crate) async fn leases_hand_each_tenant_to_one_worker_until_they_expire(store: &dyn Store) {
    for tenant in ["ta", "tb"] {
        store.register_tenant(tenant).await.unwrap();
    }
    store.register_tenant("ta").await.unwrap();
    let now = t("2024-05-01T00:00:00Z");
    let ttl = Duration::minutes(5);
    let a = store
        .acquire_lease("worker-1", ttl, now)
        .await
        .unwrap()
        .unwrap();
    let b = store
        .acquire_lease("worker-2", ttl, now)
        .await
        .unwrap()
        .unwrap();
    assert_ne!(a, b);
    assert_eq!(
        store.acquire_lease("worker-3", ttl, now).await.unwrap(),
        None,
        "every tenant is leased"
    );
    assert!(store
        .renew_lease(&a, "worker-1", ttl, now + Duration::minutes(4))
        .await
        .unwrap());
    assert!(
        !store.renew_lease(&a, "worker-2", ttl, now).await.unwrap(),
        "only the owner renews"
    );
    // worker-2 crashed: its lease expires and another worker picks the tenant up.
    let later = now + Duration::minutes(6);
    assert_eq!(
        store
            .acquire_lease("worker-3", ttl, later)
            .await
            .unwrap()
            .as_deref(),
        Some(b.as_str())
    );
    assert!(
        !store.renew_lease(&b, "worker-2", ttl, later).await.unwrap(),
        "the lost lease cannot be renewed"
    );
    store.release_lease(&a, "worker-1").await.unwrap();
    assert_eq!(
        store
            .acquire_lease("worker-4", ttl, later)
            .await
            .unwrap()
            .as_deref(),
        Some(a.as_str())
    );
}

/// One collection's lease of a named tenant: taken when free (the tenant registered on the way),
/// refused to another owner with who holds it since when, extended (its `since` kept) when the
/// holder claims it again, taken over once expired, free again when released.
pub(crate) async fn a_claimed_lease_names_its_holder_since_when_until_it_expires_or_is_released(
    store: &dyn Store,
) {
    let now = t("2024-05-01T00:00:00Z");
    let ttl = Duration::minutes(2);
    assert_eq!(store.lease("contoso").await.unwrap(), None, "never leased");
    let LeaseClaim::Taken(mine) = store
        .claim_lease("contoso", "host-a pid 1", ttl, now)
        .await
        .unwrap()
    else {
        panic!("a free tenant's lease is taken");
    };
    assert_eq!(
        (mine.owner.as_str(), mine.since, mine.expires_at),
        ("host-a pid 1", Some(now), now + ttl)
    );
    assert_eq!(store.lease("contoso").await.unwrap(), Some(mine.clone()));

    let a_minute_on = now + Duration::minutes(1);
    match store
        .claim_lease("contoso", "host-b pid 2", ttl, a_minute_on)
        .await
        .unwrap()
    {
        LeaseClaim::Held(holder) => assert_eq!(holder, mine, "the holder, since when"),
        other => panic!("a live lease was handed to a second owner: {other:?}"),
    }
    // The holder claims again (a renewal by claim): extended, since kept.
    let LeaseClaim::Taken(again) = store
        .claim_lease("contoso", "host-a pid 1", ttl, a_minute_on)
        .await
        .unwrap()
    else {
        panic!("the holder's own claim extends its lease");
    };
    assert_eq!(
        (again.since, again.expires_at),
        (Some(now), a_minute_on + ttl)
    );
    assert!(store
        .renew_lease(
            "contoso",
            "host-a pid 1",
            ttl,
            a_minute_on + Duration::minutes(1)
        )
        .await
        .unwrap());
    assert_eq!(
        store.lease("contoso").await.unwrap().unwrap().since,
        Some(now),
        "a renewal keeps since when"
    );

    // The holder died: once its lease expired, another owner takes it, since now.
    let expired = a_minute_on + Duration::minutes(4);
    let LeaseClaim::Taken(theirs) = store
        .claim_lease("contoso", "host-b pid 2", ttl, expired)
        .await
        .unwrap()
    else {
        panic!("an expired lease is taken over");
    };
    assert_eq!(
        (theirs.owner.as_str(), theirs.since),
        ("host-b pid 2", Some(expired))
    );
    assert!(
        !store
            .renew_lease("contoso", "host-a pid 1", ttl, expired)
            .await
            .unwrap(),
        "the dead holder's renewal fails"
    );
    store
        .release_lease("contoso", "host-a pid 1")
        .await
        .unwrap();
    assert_eq!(
        store.lease("contoso").await.unwrap().map(|l| l.owner),
        Some("host-b pid 2".to_owned()),
        "only the holder releases"
    );
    store
        .release_lease("contoso", "host-b pid 2")
        .await
        .unwrap();
    assert_eq!(store.lease("contoso").await.unwrap(), None, "released");
    assert!(matches!(
        store
            .claim_lease("contoso", "host-c pid 3", ttl, expired)
            .await
            .unwrap(),
        LeaseClaim::Taken(_)
    ));
    // A fleet worker's lease says since when, too.
    store.register_tenant("fabrikam").await.unwrap();
    let picked = store
        .acquire_lease("worker-1", ttl, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(picked, "fabrikam");
    assert_eq!(
        store.lease("fabrikam").await.unwrap().unwrap().since,
        Some(now)
    );
}

/// Collections started together on one tenant: of 8 owners claiming at once, exactly one
/// takes the lease and the seven others are told it is that one's.
pub(crate) async fn concurrent_claims_of_one_tenant_hand_it_to_exactly_one_owner(
    store: std::sync::Arc<dyn Store>,
) {
    let now = t("2024-05-01T00:00:00Z");
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(8));
    let mut claims = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (store, start) = (store.clone(), start.clone());
        claims.spawn(async move {
            start.wait().await;
            store
                .claim_lease("contoso", &format!("owner-{i}"), Duration::minutes(2), now)
                .await
                .unwrap()
        });
    }
    let mut taken = Vec::new();
    let mut held = Vec::new();
    while let Some(claim) = claims.join_next().await {
        match claim.unwrap() {
            LeaseClaim::Taken(l) => taken.push(l.owner),
            LeaseClaim::Held(l) => held.push(l.owner),
            other => panic!("unexpected claim {other:?}"),
        }
    }
    assert_eq!(taken.len(), 1, "one owner takes it: {taken:?}");
    assert_eq!(held.len(), 7);
    assert!(held.iter().all(|h| *h == taken[0]), "{held:?} vs {taken:?}");
}

/// Many workers asking at once, as a fleet does: each of 16 concurrent tasks takes, holds,
/// renews and gives back leases of 5 tenants, many times over. A tenant is never handed to a
/// second worker while the first holds it, and the first grab of all hands out every tenant
/// exactly once.
pub(crate) async fn concurrent_workers_are_never_handed_a_tenant_already_leased(
    store: std::sync::Arc<dyn Store>,
) {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    const TENANTS: usize = 5;
    const WORKERS: usize = 16;
    const ROUNDS: usize = 12;
    let tenants: Vec<String> = (0..TENANTS).map(|i| format!("tenant-{i}")).collect();
    for tenant in &tenants {
        store.register_tenant(tenant).await.unwrap();
    }
    let now = t("2024-05-01T00:00:00Z");
    let ttl = Duration::minutes(5);

    // Everyone at once: each tenant goes to exactly one worker, the others get nothing.
    let start = Arc::new(tokio::sync::Barrier::new(WORKERS));
    let mut grabs = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let (store, start) = (store.clone(), start.clone());
        grabs.spawn(async move {
            let owner = format!("worker-{w}");
            start.wait().await;
            let lease = store.acquire_lease(&owner, ttl, now).await.unwrap();
            (owner, lease)
        });
    }
    let mut first: Vec<(String, String)> = Vec::new();
    while let Some(grab) = grabs.join_next().await {
        if let (owner, Some(tenant)) = grab.unwrap() {
            first.push((tenant, owner));
        }
    }
    let mut handed: Vec<&str> = first.iter().map(|(t, _)| t.as_str()).collect();
    handed.sort_unstable();
    assert_eq!(
        handed, tenants,
        "every tenant handed out once, no tenant twice"
    );
    for (tenant, owner) in &first {
        store.release_lease(tenant, owner).await.unwrap();
    }

    // Churn: take, hold (renewing), give back. `held` is updated before a release and after
    // an acquire, so two holders of one tenant would meet in it.
    let held: Arc<Mutex<HashMap<String, String>>> = Arc::default();
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let (store, held, start) = (store.clone(), held.clone(), start.clone());
        workers.spawn(async move {
            let owner = format!("worker-{w}");
            let mut taken = 0usize;
            start.wait().await;
            for _ in 0..ROUNDS {
                let Some(tenant) = store.acquire_lease(&owner, ttl, now).await.unwrap() else {
                    tokio::task::yield_now().await;
                    continue;
                };
                if let Some(other) = held.lock().unwrap().insert(tenant.clone(), owner.clone()) {
                    panic!("{tenant} handed to {owner} while {other} holds its lease");
                }
                taken += 1;
                tokio::task::yield_now().await;
                assert!(
                    store.renew_lease(&tenant, &owner, ttl, now).await.unwrap(),
                    "{owner} still holds {tenant}"
                );
                held.lock().unwrap().remove(&tenant);
                store.release_lease(&tenant, &owner).await.unwrap();
            }
            taken
        });
    }
    let mut taken = 0;
    while let Some(worker) = workers.join_next().await {
        taken += worker.unwrap();
    }
    assert!(
        taken > TENANTS,
        "tenants changed hands ({taken} leases taken in all)"
    );
}

pub(crate) async fn rejected_items_are_recorded_once_per_key_counted_listed_and_deleted(
    store: &dyn Store,
) {
    let first = ctx("t1", "2024-05-02T00:00:00Z");
    let items = [
        RejectedItem::new(
            StreamKind::SignIns,
            "s1",
            r#"{"id":"s1","createdDateTime":"yesterday"}"#,
            "invalid timestamp",
        ),
        RejectedItem::new(StreamKind::SignIns, "s2", r#"{"id":"s2"}"#, "bad"),
        RejectedItem::new(StreamKind::Users, "u1", r#"{"id":"u1"}"#, "wrong type"),
    ];
    let s = store.record_rejected(first, &items).await.unwrap();
    assert_eq!((s.inserted, s.updated), (3, 0));
    // The same page read again: recorded once, the newer error and time kept.
    let again = ctx("t1", "2024-05-03T00:00:00Z");
    let newer = RejectedItem::new(
        StreamKind::SignIns,
        "s1",
        r#"{"id":"s1","createdDateTime":"today"}"#,
        "still invalid",
    );
    let s = store
        .record_rejected(again, std::slice::from_ref(&newer))
        .await
        .unwrap();
    assert_eq!((s.inserted, s.updated), (0, 1));
    let counts = store.rejected_counts("t1").await.unwrap();
    let counts: Vec<_> = counts.iter().map(|c| (c.stream, c.count)).collect();
    assert_eq!(counts, [(StreamKind::SignIns, 2), (StreamKind::Users, 1)]);
    let sign_ins = store
        .rejected_items("t1", Some(StreamKind::SignIns), 10)
        .await
        .unwrap();
    assert_eq!(sign_ins.len(), 2);
    let s1 = sign_ins.iter().find(|r| r.item.item_key == "s1").unwrap();
    assert_eq!(s1.item, newer, "the JSON and error of the latest reading");
    assert_eq!(s1.first_rejected_at, t("2024-05-02T00:00:00Z"));
    assert_eq!(s1.last_rejected_at, t("2024-05-03T00:00:00Z"));
    assert_eq!(store.rejected_items("t1", None, 10).await.unwrap().len(), 3);
    assert_eq!(store.rejected_items("t1", None, 1).await.unwrap().len(), 1);
    assert!(
        store.rejected_counts("other").await.unwrap().is_empty(),
        "tenants are isolated"
    );
    let deleted = store
        .delete_rejected(
            "t1",
            StreamKind::SignIns,
            &["s1".to_owned(), "u1".to_owned(), "missing".to_owned()],
        )
        .await
        .unwrap();
    assert_eq!(deleted, 1, "only the stream's own keys");
    let left: Vec<_> = store
        .rejected_items("t1", None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.item.item_key)
        .collect();
    assert_eq!(left, ["s2", "u1"]);
}

/// Runs every test of the suite against stores made by `make` (a fresh, empty store each time).
#[macro_export]
macro_rules! store_suite {
    ($make:expr) => {
        store_suite!($make, #[allow(unused_attributes)]);
    };
    ($make:expr, #[$attr:meta]) => {
        store_suite!(@tests $make; $attr;
            sign_ins_upsert_by_id_and_keep_raw_json,
            sign_in_writes_mark_how_far_back_the_analysis_must_read,
            sign_ins_page_by_keyset_through_equal_timestamps,
            checkpoints_are_written_with_their_batch_and_replaced,
            deleted_users_are_marked_not_erased_and_restores_clear_the_mark,
            group_delta_applies_member_changes_and_marks_removals,
            member_listing_snapshot_marks_missing_members_removed,
            application_credentials_are_stored_and_replaced_with_their_owner,
            auth_methods_replace_the_users_set,
            snapshot_items_and_roles_are_replaced_per_run,
            runs_are_recorded_and_listed_newest_first,
            directory_audits_upsert_by_id,
            prune_deletes_sign_ins_and_audits_older_than_the_retention,
            findings_upsert_by_fingerprint_and_keep_notification_state,
            notifications_are_recorded_per_channel_and_replaced,
            audit_entries_are_appended_as_intent_and_outcome_never_updated,
            operators_are_stored_found_by_os_account_and_every_change_is_audited,
            tenants_are_registered_with_sealed_credentials_and_every_change_is_audited,
            rekey_reseals_every_credential_or_none,
            leases_hand_each_tenant_to_one_worker_until_they_expire,
            a_claimed_lease_names_its_holder_since_when_until_it_expires_or_is_released,
            rejected_items_are_recorded_once_per_key_counted_listed_and_deleted,
        );
        store_suite!(@shared $make; $attr;
            concurrent_workers_are_never_handed_a_tenant_already_leased,
            concurrent_claims_of_one_tenant_hand_it_to_exactly_one_owner,
            concurrent_appends_make_one_unbroken_chain,
        );
    };
    (@tests $make:expr; $attr:meta; $($name:ident),+ $(,)?) => {$(
        #[tokio::test]
        #[$attr]
        async fn $name() {
            let store = $make.await;
            $crate::store_suite::$name(&*store).await;
        }
    )+};
    // Tests that share the store between tasks (on a runtime with threads of its own).
    (@shared $make:expr; $attr:meta; $($name:ident),+ $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        #[$attr]
        async fn $name() {
            let store = $make.await;
            $crate::store_suite::$name(store).await;
        }
    )+};
}

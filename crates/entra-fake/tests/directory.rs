//! Directory endpoints: users, groups, roles, applications, methods, reports, risk, policies,
//! devices, licences.

mod common;

use std::collections::{BTreeSet, HashSet};

use common::*;
use entra_fake::{FakeTenant, Throttling};
use serde_json::Value;

async fn tenant() -> (FakeTenant, String) {
    let t = FakeTenant::builder()
        .seed(51)
        .members(120)
        .guests(20)
        .groups(15)
        .applications(10)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    (t, tok)
}

#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<FakeTenant>();
    check::<entra_fake::Tenant>();
    check::<entra_fake::FakeClock>();
    check::<entra_fake::GroundTruth>();
    check::<entra_fake::FakeError>();
    check::<entra_fake::Credentials>();
}

#[tokio::test]
async fn credentials_tenant_and_server_debug_hide_the_secret() {
    let t = FakeTenant::builder().build().unwrap();
    let c = t.credentials();
    assert!(!format!("{c:?}").contains(&c.client_secret));
    assert!(!format!("{t:?}").contains(&c.client_secret));
    let served = FakeTenant::builder().members(5).start().await.unwrap();
    assert!(!format!("{served:?}").contains(served.client_secret()));
    assert!(FakeTenant::builder()
        .history_days(31)
        .build()
        .unwrap_err()
        .is_config());
}

#[tokio::test]
async fn users_page_with_caps_select_and_sign_in_activity() {
    let (t, tok) = tenant().await;
    let all = all_pages(&graph(&t, "v1.0/users?$top=25"), &tok).await;
    assert_eq!(all.len(), 142);
    let ids: HashSet<&str> = all.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 142);
    // Default properties only.
    assert!(all
        .iter()
        .all(|u| u.get("accountEnabled").is_none() && u["userPrincipalName"].is_string()));
    let first = get_ok(&graph(&t, "v1.0/users"), &tok).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 100);
    let big = get_ok(&graph(&t, "v1.0/users?$top=5000&$select=id"), &tok).await;
    assert_eq!(big["value"].as_array().unwrap().len(), 142);
    let sel = all_pages(&graph(&t, "v1.0/users?$select=id,userPrincipalName,userType,accountEnabled,onPremisesSyncEnabled,externalUserState,signInActivity&$top=999"), &tok).await;
    let guests: Vec<&Value> = sel.iter().filter(|u| u["userType"] == "Guest").collect();
    assert_eq!(guests.len(), 20);
    assert!(guests
        .iter()
        .all(|g| g["userPrincipalName"].as_str().unwrap().contains("#EXT#@")));
    assert!(guests
        .iter()
        .any(|g| g["externalUserState"] == "PendingAcceptance"));
    assert!(sel.iter().any(|u| u["accountEnabled"] == false));
    assert!(sel.iter().any(|u| u["onPremisesSyncEnabled"] == true));
    assert!(sel.iter().all(|u| u.get("displayName").is_none()));
    // signInActivity: present for users who signed in, consistent with the log.
    let with: Vec<&Value> = sel
        .iter()
        .filter(|u| u["signInActivity"].is_object())
        .collect();
    assert!(with.len() > 100);
    assert!(
        sel.iter().any(|u| u["signInActivity"].is_null()),
        "some never signed in"
    );
    let start = t.with_tenant(|x| x.history_start());
    let u = with
        .iter()
        .find(|u| {
            u["userType"] == "Member"
                && entra_model::timestamp::parse(
                    u["signInActivity"]["lastSignInDateTime"].as_str().unwrap(),
                )
                .unwrap()
                    > start
        })
        .unwrap();
    let last = u["signInActivity"]["lastSignInRequestId"].as_str().unwrap();
    let one = get_ok(&graph(&t, &format!("beta/auditLogs/signIns/{last}")), &tok).await;
    assert_eq!(one["userId"], u["id"]);
    assert_eq!(one["isInteractive"], true);
    assert_eq!(
        entra_model::timestamp::parse(one["createdDateTime"].as_str().unwrap()).unwrap(),
        entra_model::timestamp::parse(u["signInActivity"]["lastSignInDateTime"].as_str().unwrap())
            .unwrap()
    );
    // $top caps at 500 with signInActivity.
    let p = get_ok(
        &graph(&t, "v1.0/users?$select=id,signInActivity&$top=999"),
        &tok,
    )
    .await;
    assert!(p["value"].as_array().unwrap().len() <= 500);
    // Filters, $count with ConsistencyLevel, by id and by UPN.
    let g = all_pages(
        &graph(&t, "v1.0/users?$filter=userType%20eq%20'Guest'"),
        &tok,
    )
    .await;
    assert_eq!(g.len(), 20);
    let r = reqwest::Client::new()
        .get(graph(&t, "v1.0/users/$count"))
        .bearer_auth(&tok)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "142");
    let upn = all[5]["userPrincipalName"].as_str().unwrap();
    let by_upn = get_ok(&graph(&t, &format!("v1.0/users/{upn}")), &tok).await;
    assert_eq!(by_upn["id"], all[5]["id"]);
}

#[tokio::test]
async fn groups_list_members_of_mixed_types_and_transitive_members() {
    let (t, tok) = tenant().await;
    let groups = all_pages(&graph(&t, "v1.0/groups?$top=5"), &tok).await;
    assert_eq!(groups.len(), 15);
    let mut types = BTreeSet::new();
    let mut nested = 0;
    for g in &groups {
        let id = g["id"].as_str().unwrap();
        let (s, _, _) = get(&graph(&t, &format!("v1.0/groups/{id}/members")), &tok).await;
        if g["visibility"] == "HiddenMembership" {
            assert_eq!(s, 200, "Member.Read.Hidden is granted by default");
        }
        let direct = all_pages(&graph(&t, &format!("v1.0/groups/{id}/members")), &tok).await;
        let transitive = all_pages(
            &graph(&t, &format!("v1.0/groups/{id}/transitiveMembers")),
            &tok,
        )
        .await;
        let d: BTreeSet<&str> = direct.iter().map(|m| m["id"].as_str().unwrap()).collect();
        let tr: BTreeSet<&str> = transitive
            .iter()
            .map(|m| m["id"].as_str().unwrap())
            .collect();
        assert!(d.is_subset(&tr));
        if tr.len() > d.len() {
            nested += 1;
        }
        for m in &direct {
            types.insert(m["@odata.type"].as_str().unwrap().to_owned());
        }
    }
    assert!(nested > 0, "some groups nest others");
    for ty in [
        "#microsoft.graph.user",
        "#microsoft.graph.group",
        "#microsoft.graph.device",
        "#microsoft.graph.servicePrincipal",
    ] {
        assert!(types.contains(ty), "{ty} in {types:?}");
    }
    // Groups delta lists members in members@delta.
    let delta = all_pages(&graph(&t, "v1.0/groups/delta"), &tok).await;
    assert_eq!(delta.len(), 15);
    assert!(delta
        .iter()
        .any(|g| g["members@delta"].as_array().is_some_and(|m| !m.is_empty())));
    let latest = get_ok(&graph(&t, "v1.0/users/delta?$deltatoken=latest"), &tok).await;
    assert!(
        latest["value"].as_array().unwrap().is_empty() && latest["@odata.deltaLink"].is_string()
    );
}

#[tokio::test]
async fn roles_applications_and_credentials() {
    let (t, tok) = tenant().await;
    let roles = get_ok(&graph(&t, "v1.0/directoryRoles"), &tok).await;
    let ga = roles["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["roleTemplateId"] == "62e90394-69f5-4237-9190-012177145e10")
        .unwrap();
    let members = get_ok(
        &graph(
            &t,
            &format!("v1.0/directoryRoles/{}/members", ga["id"].as_str().unwrap()),
        ),
        &tok,
    )
    .await;
    let upns: Vec<&str> = members["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["userPrincipalName"].as_str().unwrap())
        .collect();
    assert!(upns.len() >= 2 && upns.iter().any(|u| u.starts_with("breakglass")));
    assert_eq!(t.break_glass_accounts().len(), 2);

    let apps = all_pages(
        &graph(
            &t,
            "v1.0/applications?$select=id,appId,displayName,passwordCredentials,keyCredentials",
        ),
        &tok,
    )
    .await;
    assert_eq!(apps.len(), 11);
    let now = t.clock().now();
    let mut ends = Vec::new();
    for a in &apps {
        for c in a["passwordCredentials"]
            .as_array()
            .unwrap()
            .iter()
            .chain(a["keyCredentials"].as_array().unwrap())
        {
            ends.push(
                entra_model::timestamp::parse(c["endDateTime"].as_str().unwrap()).unwrap() - now,
            );
        }
    }
    assert!(ends.iter().any(|d| d.is_negative()), "expired credentials");
    assert!(
        ends.iter().any(|d| *d > time::Duration::days(365)),
        "years ahead"
    );
    assert!(
        ends.iter()
            .any(|d| !d.is_negative() && *d < time::Duration::days(90)),
        "expiring soon"
    );
    let own = apps.iter().find(|a| a["appId"] == t.client_id()).unwrap();
    assert_eq!(own["passwordCredentials"][0]["secretText"], Value::Null);
    let sps = all_pages(&graph(&t, "v1.0/servicePrincipals"), &tok).await;
    assert!(sps
        .iter()
        .any(|s| s["servicePrincipalType"] == "ManagedIdentity"));
    assert!(sps
        .iter()
        .any(|s| s["appOwnerOrganizationId"] == "f8cdef31-a31e-4b4a-93e4-5f571e91255a"));
}

#[tokio::test]
async fn methods_reports_risk_policies_devices_and_skus() {
    let (t, tok) = tenant().await;
    let reg = all_pages(
        &graph(
            &t,
            "v1.0/reports/authenticationMethods/userRegistrationDetails",
        ),
        &tok,
    )
    .await;
    assert_eq!(reg.len(), 142);
    assert!(
        reg.iter().any(|r| r["isMfaRegistered"] == false)
            && reg.iter().any(|r| r["isMfaRegistered"] == true)
    );
    assert!(reg.iter().any(|r| r["isAdmin"] == true));
    let not_registered = all_pages(&graph(&t, "v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=isMfaRegistered%20eq%20false"), &tok).await;
    assert_eq!(
        not_registered.len(),
        reg.iter().filter(|r| r["isMfaRegistered"] == false).count()
    );
    let kinds: BTreeSet<String> = reg
        .iter()
        .flat_map(|r| {
            r["methodsRegistered"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned())
        })
        .collect();
    for k in [
        "mobilePhone",
        "microsoftAuthenticatorPush",
        "fido2",
        "email",
    ] {
        assert!(kinds.contains(k), "{k}");
    }
    let id = reg[10]["id"].as_str().unwrap();
    let phones = get_ok(
        &graph(&t, &format!("v1.0/users/{id}/authentication/phoneMethods")),
        &tok,
    )
    .await;
    assert!(phones["value"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["@odata.type"] == "#microsoft.graph.phoneAuthenticationMethod"));

    let risky = all_pages(&graph(&t, "v1.0/identityProtection/riskyUsers"), &tok).await;
    assert!(!risky.is_empty() && risky.iter().any(|r| r["riskLevel"] == "high"));
    let det = all_pages(&graph(&t, "v1.0/identityProtection/riskDetections"), &tok).await;
    assert!(!det.is_empty());
    let ca = get_ok(&graph(&t, "v1.0/identity/conditionalAccess/policies"), &tok).await;
    let states: BTreeSet<&str> = ca["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        states,
        BTreeSet::from(["disabled", "enabled", "enabledForReportingButNotEnforced"])
    );
    let devices = all_pages(&graph(&t, "v1.0/deviceManagement/managedDevices"), &tok).await;
    assert!(devices.len() > 50);
    assert!(devices
        .iter()
        .any(|d| d["complianceState"] == "noncompliant"));
    let skus = get_ok(&graph(&t, "v1.0/subscribedSkus"), &tok)
        .await
        .to_string();
    assert!(skus.contains("eec0eb4f-6444-4f95-aba0-50c24d67f998") && skus.contains("INTUNE_A"));
    let audits = all_pages(&graph(&t, "v1.0/auditLogs/directoryAudits?$top=50"), &tok).await;
    let times: Vec<_> = audits
        .iter()
        .map(|a| entra_model::timestamp::parse(a["activityDateTime"].as_str().unwrap()).unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(audits.len(), 360);
    let since = entra_model::timestamp::format(&(t.clock().now() - time::Duration::days(2)));
    let recent = all_pages(
        &graph(
            &t,
            &format!("v1.0/auditLogs/directoryAudits?$filter=activityDateTime%20ge%20{since}"),
        ),
        &tok,
    )
    .await;
    assert_eq!(
        recent.len(),
        times
            .iter()
            .filter(|x| **x >= t.clock().now() - time::Duration::days(2))
            .count()
    );
}

#[tokio::test]
async fn hidden_membership_needs_member_read_hidden_and_sign_in_activity_filters() {
    let t = FakeTenant::builder()
        .seed(52)
        .members(40)
        .groups(12)
        .throttling(Throttling::disabled())
        .permissions(["GroupMember.Read.All", "User.Read.All", "AuditLog.Read.All"])
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let groups = all_pages(&graph(&t, "v1.0/groups"), &tok).await;
    let hidden = groups
        .iter()
        .find(|g| g["visibility"] == "HiddenMembership")
        .expect("a hidden-membership group");
    let (s, _, b) = get(
        &graph(
            &t,
            &format!("v1.0/groups/{}/members", hidden["id"].as_str().unwrap()),
        ),
        &tok,
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
    // Devices among members come back with limited information without a device read permission.
    let mut limited = false;
    for g in groups
        .iter()
        .filter(|g| g["visibility"] != "HiddenMembership")
    {
        for m in all_pages(
            &graph(
                &t,
                &format!("v1.0/groups/{}/members", g["id"].as_str().unwrap()),
            ),
            &tok,
        )
        .await
        {
            if m["@odata.type"] == "#microsoft.graph.device" {
                assert!(m.get("displayName").is_none());
                limited = true;
            }
        }
    }
    assert!(limited);
    // signInActivity filter: users whose last successful sign-in is older than 30 days (the last
    // attempt may be recent: planted sprays and lockouts also try inactive accounts).
    let cut = entra_model::timestamp::format(&(t.clock().now() - time::Duration::days(30)));
    let old = all_pages(&graph(&t, &format!("v1.0/users?$select=id,signInActivity&$filter=signInActivity/lastSuccessfulSignInDateTime%20le%20{cut}")), &tok).await;
    assert!(!old.is_empty());
    for u in &old {
        let last = entra_model::timestamp::parse(
            u["signInActivity"]["lastSuccessfulSignInDateTime"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert!(last <= t.clock().now() - time::Duration::days(30));
    }
}

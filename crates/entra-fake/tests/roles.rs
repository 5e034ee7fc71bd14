//! Role management: role definitions, active assignments (direct and to role-assignable
//! groups), eligible assignments with their permission and licence, transitive memberships,
//! and the external identities of guests.

mod common;

use common::*;
use entra_fake::{FakeTenant, TenantLicence, Throttling};
use serde_json::Value;

const GLOBAL_ADMIN: &str = "62e90394-69f5-4237-9190-012177145e10";
const PRIVILEGED_ROLE_ADMIN: &str = "e8611ab8-c189-46e8-94e1-60213ab1f814";
const EXCHANGE_ADMIN: &str = "29232cdf-9323-42fd-ade2-1d097af3e4de";

fn builder() -> entra_fake::FakeTenantBuilder {
    FakeTenant::builder()
        .seed(31)
        .members(20)
        .guests(4)
        .groups(3)
        .attacks(false)
        .throttling(Throttling::disabled())
}

/// Members without any role, active or eligible.
async fn plain_members(t: &FakeTenant) -> Vec<String> {
    let tok = token(t).await;
    let mut holders = ids(
        &get_ok(
            &graph(t, "v1.0/roleManagement/directory/roleAssignments"),
            &tok,
        )
        .await,
        "principalId",
    );
    holders.extend(ids(
        &get_ok(
            &graph(
                t,
                "v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
            ),
            &tok,
        )
        .await,
        "principalId",
    ));
    t.with_tenant(|x| x.users())
        .into_iter()
        .filter(|u| u.user_type == Some(entra_model::UserType::Member))
        .filter(|u| !holders.contains(&u.id))
        .map(|u| u.id)
        .collect()
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x[key].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn role_definitions_say_which_roles_are_privileged_in_beta_only() {
    let t = builder().start().await.unwrap();
    let tok = token(&t).await;
    let beta = get_ok(
        &graph(&t, "beta/roleManagement/directory/roleDefinitions"),
        &tok,
    )
    .await;
    let find = |v: &Value, id: &str| {
        v["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(find(&beta, GLOBAL_ADMIN)["isPrivileged"], true);
    assert_eq!(find(&beta, EXCHANGE_ADMIN)["isPrivileged"], false);
    assert_eq!(find(&beta, GLOBAL_ADMIN)["templateId"], GLOBAL_ADMIN);
    let v1 = get_ok(
        &graph(&t, "v1.0/roleManagement/directory/roleDefinitions"),
        &tok,
    )
    .await;
    assert!(find(&v1, GLOBAL_ADMIN).get("isPrivileged").is_none());
}

#[tokio::test]
async fn role_assignments_list_direct_and_group_assignments_by_principal() {
    let t = builder().start().await.unwrap();
    let members = plain_members(&t).await;
    let (direct, via_group) = (members[3].clone(), members[4].clone());
    let group = t
        .with_tenant(|x| {
            x.assign_directory_role(&direct, EXCHANGE_ADMIN)?;
            let g = x.add_role_assignable_group("Tier 0 admins", &[via_group.as_str()])?;
            x.assign_directory_role(&g, PRIVILEGED_ROLE_ADMIN)?;
            Ok::<_, entra_fake::FakeError>(g)
        })
        .unwrap();
    let tok = token(&t).await;
    let by = |p: &str| {
        graph(
            &t,
            &format!("v1.0/roleManagement/directory/roleAssignments?$filter=principalId eq '{p}'"),
        )
    };
    let a = get_ok(&by(&direct), &tok).await;
    assert_eq!(ids(&a, "roleDefinitionId"), [EXCHANGE_ADMIN]);
    assert_eq!(a["value"][0]["directoryScopeId"], "/");
    assert!(get_ok(&by(&via_group), &tok).await["value"]
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        ids(&get_ok(&by(&group), &tok).await, "roleDefinitionId"),
        [PRIVILEGED_ROLE_ADMIN]
    );
    // The member of the group sees it among their transitive memberships.
    let of = get_ok(
        &graph(
            &t,
            &format!("v1.0/users/{via_group}/transitiveMemberOf?$select=id,isAssignableToRole"),
        ),
        &tok,
    )
    .await;
    let g = of["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == group.as_str())
        .expect("the role-assignable group is listed");
    assert_eq!(g["@odata.type"], "#microsoft.graph.group");
    assert_eq!(g["isAssignableToRole"], true);
    // An unknown principal cannot hold a role.
    assert!(t
        .with_tenant(|x| x.assign_directory_role("no-such-principal", GLOBAL_ADMIN))
        .unwrap_err()
        .is_config());
    // Without a role-management permission the list is refused.
    let narrow = builder()
        .permissions(["User.Read.All"])
        .start()
        .await
        .unwrap();
    let tok = token(&narrow).await;
    let (s, _, b) = get(
        &graph(&narrow, "v1.0/roleManagement/directory/roleAssignments"),
        &tok,
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
}

#[tokio::test]
async fn eligibilities_need_their_permission_and_entra_id_p2() {
    let t = builder().start().await.unwrap();
    let user = plain_members(&t).await[5].clone();
    let instance = t
        .with_tenant(|x| x.add_role_eligibility(&user, GLOBAL_ADMIN))
        .unwrap();
    let tok = token(&t).await;
    let url = graph(
        &t,
        &format!(
            "v1.0/roleManagement/directory/roleEligibilityScheduleInstances?$filter=principalId eq '{user}'"
        ),
    );
    let v = get_ok(&url, &tok).await;
    assert_eq!(ids(&v, "id"), [instance]);
    assert_eq!(v["value"][0]["roleDefinitionId"], GLOBAL_ADMIN);
    assert_eq!(v["value"][0]["memberType"], "Direct");

    // Directory.Read.All reads assignments but not eligibilities.
    let no_pim = builder()
        .permissions(["User.Read.All", "Directory.Read.All"])
        .start()
        .await
        .unwrap();
    let tok = token(&no_pim).await;
    let (s, _, _) = get(
        &graph(
            &no_pim,
            "v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        ),
        &tok,
    )
    .await;
    assert_eq!(s, 403);
    get_ok(
        &graph(&no_pim, "v1.0/roleManagement/directory/roleAssignments"),
        &tok,
    )
    .await;

    // Without P2 (Privileged Identity Management) Graph answers 400 AadPremiumLicenseRequired.
    let p1 = builder().licence(TenantLicence::P1).start().await.unwrap();
    let tok = token(&p1).await;
    let (s, _, b) = get(
        &graph(
            &p1,
            "v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        ),
        &tok,
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"]["code"], "AadPremiumLicenseRequired");
}

#[tokio::test]
async fn generated_tenants_hold_an_eligible_global_administrator() {
    let t = FakeTenant::builder()
        .seed(5)
        .members(30)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    let v = get_ok(
        &graph(
            &t,
            "v1.0/roleManagement/directory/roleEligibilityScheduleInstances",
        ),
        &tok,
    )
    .await;
    assert_eq!(ids(&v, "roleDefinitionId"), [GLOBAL_ADMIN]);
}

#[tokio::test]
async fn guests_carry_an_external_identity_and_members_their_tenant_upn() {
    let t = builder().start().await.unwrap();
    let tok = token(&t).await;
    let users = all_pages(
        &graph(&t, "v1.0/users?$select=id,userType,userPrincipalName,creationType,externalUserState,identities"),
        &tok,
    )
    .await;
    for u in &users {
        let user: entra_model::User = serde_json::from_value(u.clone()).unwrap();
        let marks = user.external_identity_marks();
        if user.is_guest() {
            assert!(marks.len() >= 3, "{marks:?}");
            assert_eq!(u["identities"][0]["signInType"], "federated");
        } else {
            assert!(marks.is_empty(), "{marks:?}");
            assert_eq!(u["identities"][0]["signInType"], "userPrincipalName");
        }
    }
}

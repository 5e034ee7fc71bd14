//! Remediation endpoints change the tenant's state, and later reads show it.

mod common;

use common::*;
use entra_fake::{FakeTenant, Throttling};
use serde_json::{json, Value};

async fn tenant() -> (FakeTenant, String) {
    let t = FakeTenant::builder()
        .seed(21)
        .members(30)
        .guests(6)
        .throttling(Throttling::disabled())
        .start()
        .await
        .unwrap();
    let tok = token(&t).await;
    (t, tok)
}

async fn send(method: reqwest::Method, url: &str, tok: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, url).bearer_auth(tok);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let s = r.status().as_u16();
    let text = r.text().await.unwrap();
    (s, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A guest and a member without directory roles.
async fn pick(t: &FakeTenant, tok: &str) -> (Value, Value) {
    let users = all_pages(
        &graph(
            t,
            "v1.0/users?$select=id,userPrincipalName,userType,accountEnabled,onPremisesSyncEnabled",
        ),
        tok,
    )
    .await;
    let admins: Vec<String> = {
        let roles = get_ok(&graph(t, "v1.0/directoryRoles"), tok).await;
        let mut ids = Vec::new();
        for r in roles["value"].as_array().unwrap() {
            let m = get_ok(
                &graph(
                    t,
                    &format!("v1.0/directoryRoles/{}/members", r["id"].as_str().unwrap()),
                ),
                tok,
            )
            .await;
            ids.extend(
                m["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x["id"].as_str().unwrap().to_owned()),
            );
        }
        ids
    };
    let guest = users
        .iter()
        .find(|u| u["userType"] == "Guest")
        .unwrap()
        .clone();
    let member = users
        .iter()
        .find(|u| {
            u["userType"] == "Member"
                && u["onPremisesSyncEnabled"].is_null()
                && !admins.contains(&u["id"].as_str().unwrap().to_owned())
                && u["accountEnabled"] == true
        })
        .unwrap()
        .clone();
    (guest, member)
}

#[tokio::test]
async fn patch_user_type_and_account_enabled_show_in_later_reads() {
    let (t, tok) = tenant().await;
    let (guest, member) = pick(&t, &tok).await;
    let gid = guest["id"].as_str().unwrap();
    let (s, _) = send(
        reqwest::Method::PATCH,
        &graph(&t, &format!("v1.0/users/{gid}")),
        &tok,
        Some(json!({"userType": "Member"})),
    )
    .await;
    assert_eq!(s, 204);
    let v = get_ok(
        &graph(&t, &format!("v1.0/users/{gid}?$select=userType")),
        &tok,
    )
    .await;
    assert_eq!(v["userType"], "Member");
    let (s, b) = send(
        reqwest::Method::PATCH,
        &graph(&t, &format!("v1.0/users/{gid}")),
        &tok,
        Some(json!({"userType": "Boss"})),
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("Request_BadRequest"))
    );

    // Addressable by UPN; block sign-in, then new sign-ins of that user fail with 50057.
    let upn = member["userPrincipalName"].as_str().unwrap();
    let (s, _) = send(
        reqwest::Method::PATCH,
        &graph(&t, &format!("v1.0/users/{upn}")),
        &tok,
        Some(json!({"accountEnabled": false})),
    )
    .await;
    assert_eq!(s, 204);
    let v = get_ok(
        &graph(&t, &format!("v1.0/users/{upn}?$select=accountEnabled")),
        &tok,
    )
    .await;
    assert_eq!(v["accountEnabled"], false);
    t.clock().advance(time::Duration::days(2));
    let tok = token(&t).await;
    let mid = member["id"].as_str().unwrap();
    let since = entra_model::timestamp::format(&(t.clock().now() - time::Duration::days(2)));
    let filter = format!("userId eq '{mid}' and createdDateTime ge {since}");
    let url = format!(
        "{}?$filter={}",
        graph(&t, "beta/auditLogs/signIns"),
        url::form_urlencoded::byte_serialize(filter.as_bytes()).collect::<String>()
    );
    let later = all_pages(&url, &tok).await;
    assert!(!later.is_empty(), "the blocked user keeps trying");
    assert!(
        later.iter().all(|s| s["status"]["errorCode"] == 50057),
        "{later:?}"
    );
    // The audit log records the change.
    let audits = get_ok(&graph(&t, "v1.0/auditLogs/directoryAudits?$top=5"), &tok).await;
    assert!(audits["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a["activityDisplayName"] == "Update user"
            && a["initiatedBy"]["app"]["appId"] == t.client_id()));
}

#[tokio::test]
async fn delete_user_soft_deletes_and_shows_in_delta_as_removed() {
    let (t, tok) = tenant().await;
    let (guest, _) = pick(&t, &tok).await;
    let gid = guest["id"].as_str().unwrap().to_owned();
    // Initial delta rounds for users and groups.
    let mut delta = None;
    let mut next = Some(graph(&t, "v1.0/users/delta?$select=displayName,userType"));
    let mut initial = Vec::new();
    while let Some(u) = next {
        let v = get_ok(&u, &tok).await;
        initial.extend(v["value"].as_array().unwrap().clone());
        next = v["@odata.nextLink"].as_str().map(str::to_owned);
        delta = v["@odata.deltaLink"].as_str().map(str::to_owned).or(delta);
    }
    assert_eq!(initial.len(), 38);
    let delta = delta.unwrap();
    let gdelta = {
        let mut next = Some(graph(&t, "v1.0/groups/delta?$select=displayName,members"));
        let mut link = None;
        let mut saw_members = false;
        while let Some(u) = next {
            let v = get_ok(&u, &tok).await;
            saw_members |= v["value"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g.get("members@delta").is_some());
            next = v["@odata.nextLink"].as_str().map(str::to_owned);
            link = v["@odata.deltaLink"].as_str().map(str::to_owned).or(link);
        }
        assert!(saw_members);
        link.unwrap()
    };
    // Nothing changed yet.
    assert_eq!(
        get_ok(&delta, &tok).await["value"]
            .as_array()
            .unwrap()
            .len(),
        0
    );

    let (s, _) = send(
        reqwest::Method::DELETE,
        &graph(&t, &format!("v1.0/users/{gid}")),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, 204);
    let (s, _, _) = get(&graph(&t, &format!("v1.0/users/{gid}")), &tok).await;
    assert_eq!(s, 404);
    let list = all_pages(&graph(&t, "v1.0/users"), &tok).await;
    assert!(list.iter().all(|u| u["id"] != gid.as_str()));
    let changes = get_ok(&delta, &tok).await;
    let items = changes["value"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], gid.as_str());
    assert_eq!(items[0]["@removed"]["reason"], "changed");
    let g = get_ok(&gdelta, &tok).await;
    let removed: Vec<Value> = g["value"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["members@delta"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["id"] == gid.as_str())
        .collect();
    assert!(
        !removed.is_empty(),
        "a group that held the guest reports the removal"
    );
    assert!(removed.iter().all(|m| m["@removed"]["reason"] == "deleted"));
    // Deleted items list it; restore brings it back.
    let deleted = get_ok(
        &graph(&t, "v1.0/directory/deletedItems/microsoft.graph.user"),
        &tok,
    )
    .await;
    assert!(deleted["value"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == gid.as_str()));
    let (s, b) = send(
        reqwest::Method::POST,
        &graph(&t, &format!("v1.0/directory/deletedItems/{gid}/restore")),
        &tok,
        None,
    )
    .await;
    assert_eq!(
        (s, b["@odata.type"].as_str()),
        (200, Some("#microsoft.graph.user"))
    );
    assert_eq!(
        get(&graph(&t, &format!("v1.0/users/{gid}")), &tok).await.0,
        200
    );
}

#[tokio::test]
async fn privileged_users_cannot_be_deleted_or_disabled_by_the_app() {
    let (t, tok) = tenant().await;
    let roles = get_ok(&graph(&t, "v1.0/directoryRoles"), &tok).await;
    let ga = roles["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["displayName"] == "Global Administrator")
        .unwrap();
    let members = get_ok(
        &graph(
            &t,
            &format!("v1.0/directoryRoles/{}/members", ga["id"].as_str().unwrap()),
        ),
        &tok,
    )
    .await;
    let admin = members["value"][0]["id"].as_str().unwrap();
    let (s, b) = send(
        reqwest::Method::DELETE,
        &graph(&t, &format!("v1.0/users/{admin}")),
        &tok,
        None,
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("Authorization_RequestDenied"))
    );
    let (s, _) = send(
        reqwest::Method::PATCH,
        &graph(&t, &format!("v1.0/users/{admin}")),
        &tok,
        Some(json!({"accountEnabled": false})),
    )
    .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn revoke_sign_in_sessions_sets_the_valid_from_time() {
    let (t, tok) = tenant().await;
    let (_, member) = pick(&t, &tok).await;
    let id = member["id"].as_str().unwrap();
    t.clock().advance(time::Duration::minutes(7));
    let (s, b) = send(
        reqwest::Method::POST,
        &graph(&t, &format!("v1.0/users/{id}/revokeSignInSessions")),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b["value"], true);
    assert!(b["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with("$metadata#Edm.Boolean"));
    let v = get_ok(
        &graph(
            &t,
            &format!("v1.0/users/{id}?$select=signInSessionsValidFromDateTime"),
        ),
        &tok,
    )
    .await;
    let at = entra_model::timestamp::parse(v["signInSessionsValidFromDateTime"].as_str().unwrap())
        .unwrap();
    assert_eq!(at.unix_timestamp(), t.clock().now().unix_timestamp());
}

fn method(json: Value) -> entra_model::AuthenticationMethod {
    serde_json::from_value(json).unwrap()
}

fn password() -> entra_model::AuthenticationMethod {
    method(
        json!({"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": entra_model::PASSWORD_METHOD_ID}),
    )
}

fn phone(id: &str, phone_type: &str) -> entra_model::AuthenticationMethod {
    method(
        json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": id, "phoneType": phone_type, "phoneNumber": "+1 4255550100"}),
    )
}

#[tokio::test]
async fn the_default_method_is_refused_while_other_methods_remain_and_deleted_last() {
    let (t, tok) = tenant().await;
    let (_, member) = pick(&t, &tok).await;
    let id = member["id"].as_str().unwrap().to_owned();
    t.with_tenant(|x| {
        x.set_authentication_methods(
            &id,
            vec![
                password(),
                phone(entra_model::MOBILE_PHONE_METHOD_ID, "mobile"),
                method(json!({"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "auth-1", "displayName": "iPhone"})),
                method(json!({"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": entra_model::EMAIL_METHOD_ID, "emailAddress": "a@outlook.com"})),
            ],
            Some("push"),
        )
    })
    .unwrap();
    let url =
        |seg: &str, mid: &str| graph(&t, &format!("v1.0/users/{id}/authentication/{seg}/{mid}"));
    let authenticator = url("microsoftAuthenticatorMethods", "auth-1");

    let (s, b) = send(reqwest::Method::DELETE, &authenticator, &tok, None).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(b["error"]["code"], "badRequest");
    assert!(b["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Cannot delete default method with other methods configured"));
    for (seg, mid) in [
        ("phoneMethods", entra_model::MOBILE_PHONE_METHOD_ID),
        ("emailMethods", entra_model::EMAIL_METHOD_ID),
    ] {
        let (s, b) = send(reqwest::Method::DELETE, &url(seg, mid), &tok, None).await;
        assert_eq!(s, 204, "{b}");
    }
    let (s, b) = send(reqwest::Method::DELETE, &authenticator, &tok, None).await;
    assert_eq!(s, 204, "the default goes once it is the last method: {b}");
    let left = get_ok(
        &graph(&t, &format!("v1.0/users/{id}/authentication/methods")),
        &tok,
    )
    .await;
    assert_eq!(
        left["value"].as_array().unwrap().len(),
        1,
        "the password remains"
    );
    let reg = get_ok(
        &graph(
            &t,
            &format!(
                "v1.0/reports/authenticationMethods/userRegistrationDetails?$filter=id eq '{id}'"
            ),
        ),
        &tok,
    )
    .await;
    assert_eq!(
        reg["value"][0]["userPreferredMethodForSecondaryAuthentication"],
        "none"
    );
    // The password method cannot be deleted.
    let (s, _) = send(
        reqwest::Method::DELETE,
        &url("passwordMethods", entra_model::PASSWORD_METHOD_ID),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, 405);
}

#[tokio::test]
async fn a_default_office_phone_is_refused_until_the_other_phones_are_gone() {
    let (t, tok) = tenant().await;
    let (_, member) = pick(&t, &tok).await;
    let id = member["id"].as_str().unwrap().to_owned();
    t.with_tenant(|x| {
        x.set_authentication_methods(
            &id,
            vec![
                password(),
                phone(entra_model::MOBILE_PHONE_METHOD_ID, "mobile"),
                phone(entra_model::OFFICE_PHONE_METHOD_ID, "office"),
            ],
            Some("voiceOffice"),
        )
    })
    .unwrap();
    let url = |mid: &str| {
        graph(
            &t,
            &format!("v1.0/users/{id}/authentication/phoneMethods/{mid}"),
        )
    };
    let (s, _) = send(
        reqwest::Method::DELETE,
        &url(entra_model::OFFICE_PHONE_METHOD_ID),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = send(
        reqwest::Method::DELETE,
        &url(entra_model::MOBILE_PHONE_METHOD_ID),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, 204, "a phone that is not the default goes");
    let (s, _) = send(
        reqwest::Method::DELETE,
        &url(entra_model::OFFICE_PHONE_METHOD_ID),
        &tok,
        None,
    )
    .await;
    assert_eq!(s, 204);
    assert!(t
        .with_tenant(|x| x.set_authentication_methods(&id, Vec::new(), Some("carrierPigeon")))
        .unwrap_err()
        .is_config());
}

#[tokio::test]
async fn batch_runs_inner_requests_with_their_own_statuses() {
    let (t, tok) = tenant().await;
    let (guest, member) = pick(&t, &tok).await;
    let body = json!({"requests": [
        {"id": "1", "method": "POST", "url": format!("/users/{}/revokeSignInSessions", member["id"].as_str().unwrap())},
        {"id": "2", "method": "GET", "url": format!("/users/{}?$select=userType", guest["id"].as_str().unwrap())},
        {"id": "3", "method": "GET", "url": "/users/does-not-exist"},
        {"id": "4", "method": "GET", "url": "/users?$top=1", "dependsOn": ["3"]},
        {"id": "5", "method": "PATCH", "url": format!("/users/{}", guest["id"].as_str().unwrap()), "headers": {"Content-Type": "application/json"}, "body": {"userType": "Member"}}
    ]});
    let (s, b) = send(
        reqwest::Method::POST,
        &graph(&t, "v1.0/$batch"),
        &tok,
        Some(body),
    )
    .await;
    assert_eq!(s, 200);
    let by_id = |id: &str| {
        b["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id("1")["status"], 200);
    assert_eq!(by_id("1")["body"]["value"], true);
    assert_eq!(by_id("2")["status"], 200);
    assert_eq!(by_id("2")["body"]["userType"], "Guest");
    assert_eq!(by_id("3")["status"], 404);
    assert_eq!(by_id("4")["status"], 424);
    assert_eq!(by_id("5")["status"], 204);
    let v = get_ok(
        &graph(
            &t,
            &format!(
                "v1.0/users/{}?$select=userType",
                guest["id"].as_str().unwrap()
            ),
        ),
        &tok,
    )
    .await;
    assert_eq!(v["userType"], "Member");
    let too_many: Vec<Value> = (0..21)
        .map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"}))
        .collect();
    let (s, _) = send(
        reqwest::Method::POST,
        &graph(&t, "v1.0/$batch"),
        &tok,
        Some(json!({"requests": too_many})),
    )
    .await;
    assert_eq!(s, 400);
}

//! Per-type model tests: full, minimal, null-everywhere and unknown-field objects, open enums,
//! polymorphic dispatch and timestamps.

use std::fmt::Debug;

use entra_model::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

const SIGN_IN_FULL: &str = include_str!("fixtures/sign_in_full.json");

/// Every field set to null at the top level; `@odata.type` kept so dispatch still works.
fn top_level_nulls(v: &Value) -> Value {
    let mut out = v.clone();
    if let Value::Object(map) = &mut out {
        for (k, val) in map.iter_mut() {
            if k != "@odata.type" {
                *val = Value::Null;
            }
        }
    }
    out
}

/// Every scalar at every depth set to null; objects and arrays of objects kept as containers.
fn deep_nulls(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, val)| {
                    let nv = if k == "@odata.type" {
                        val.clone()
                    } else {
                        match val {
                            Value::Object(_) => deep_nulls(val),
                            Value::Array(items) if items.iter().all(Value::is_object) => {
                                Value::Array(items.iter().map(deep_nulls).collect())
                            }
                            _ => Value::Null,
                        }
                    };
                    (k.clone(), nv)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Properties modelled as free-form JSON (`serde_json::Value`): they keep whatever they hold, so
/// unknown fields are not added inside them.
const FREE_FORM: &[&str] = &[
    "includeRulesSatisfied",
    "excludeRulesSatisfied",
    "conditionalAccessAudiences",
    "authenticationStrength",
    "appliedEventListeners",
    "authenticationAppPolicyEvaluationDetails",
    "device",
    "includeGuestsOrExternalUsers",
    "excludeGuestsOrExternalUsers",
];

/// Adds unknown properties at the top level and inside every nested typed object.
fn with_unknown_fields(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut m: serde_json::Map<String, Value> = map
                .iter()
                .map(|(k, val)| {
                    let nv = if FREE_FORM.contains(&k.as_str()) {
                        val.clone()
                    } else {
                        with_unknown_fields(val)
                    };
                    (k.clone(), nv)
                })
                .collect();
            m.insert(
                "zzNotYetModelled".into(),
                json!({"nested": [1, "two", null]}),
            );
            m.insert("zz@odata.annotation".into(), json!("x"));
            Value::Object(m)
        }
        Value::Array(items) => Value::Array(items.iter().map(with_unknown_fields).collect()),
        other => other.clone(),
    }
}

/// The checks every model passes; returns the parsed full object for type-specific assertions.
fn check_model<T>(full: &str) -> T
where
    T: DeserializeOwned + Serialize + PartialEq + Debug,
{
    let full_value: Value = serde_json::from_str(full).expect("fixture is JSON");
    let parsed: T = serde_json::from_str(full).expect("full object parses");

    let printed = serde_json::to_string(&parsed).expect("serializes");
    let reparsed: T = serde_json::from_str(&printed).expect("printed object parses");
    assert_eq!(
        reparsed, parsed,
        "serialize then parse gives the same value"
    );

    let mut minimal = json!({"id": "only-an-id"});
    if let Some(t) = full_value.get("@odata.type") {
        minimal["@odata.type"] = t.clone();
    }
    serde_json::from_value::<T>(minimal).expect("a minimal object parses");
    serde_json::from_str::<T>("{}").expect("an empty object parses");

    serde_json::from_value::<T>(top_level_nulls(&full_value)).expect("top-level nulls parse");
    serde_json::from_value::<T>(deep_nulls(&full_value)).expect("nulls at every depth parse");

    let with_unknown: T = serde_json::from_value(with_unknown_fields(&full_value))
        .expect("unknown fields are ignored");
    if !is_kept_raw(&full_value) {
        assert_eq!(with_unknown, parsed, "unknown fields change nothing");
    }
    parsed
}

/// Objects of an unknown `@odata.type` are kept as raw JSON, unknown fields included.
fn is_kept_raw(v: &Value) -> bool {
    v.get("@odata.type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.contains("x509Certificate"))
}

#[test]
fn sign_in_full_object_keeps_every_modelled_property() {
    let s: SignIn = check_model(SIGN_IN_FULL);
    assert_eq!(s.id, "66ea54eb-6301-4ee5-be62-ff5a759b0100");
    assert_eq!(s.created_date_time.unwrap().nanosecond(), 123_456_700);
    assert_eq!(
        s.conditional_access_status,
        Some(ConditionalAccessStatus::Success)
    );
    assert_eq!(s.risk_level_during_sign_in, Some(RiskLevel::Medium));
    assert_eq!(s.risk_state, Some(RiskState::AtRisk));
    assert_eq!(
        s.risk_event_types_v2,
        ["unlikelyTravel", "anonymizedIPAddress"]
    );
    assert_eq!(s.applied_conditional_access_policies.len(), 2);
    assert_eq!(
        s.applied_conditional_access_policies[1].result,
        Some(AppliedConditionalAccessPolicyResult::ReportOnlyNotApplied)
    );
    assert_eq!(
        s.applied_conditional_access_policies[0]
            .conditions_satisfied
            .as_deref(),
        Some("application,users")
    );
    assert_eq!(s.authentication_details.len(), 2);
    assert_eq!(s.authentication_details[1].succeeded, Some(true));
    assert_eq!(
        s.mfa_detail.as_ref().unwrap().auth_method.as_deref(),
        Some("PhoneAppNotification")
    );
    assert_eq!(s.autonomous_system_number, Some(8075));
    assert_eq!(s.sign_in_event_types, [SignInEventType::InteractiveUser]);
    assert_eq!(
        s.user_type,
        Some(UserType::Member),
        "sign-ins spell it `member`"
    );
    assert_eq!(s.token_issuer_type, Some(TokenIssuerType::AzureAd));
    assert_eq!(
        s.coordinates(),
        Some((47.68050003051758, -122.12094116210938))
    );
    assert_eq!(s.country(), Some("US"));
    assert!(s.is_success());
    assert_eq!(s.status.unwrap().error_code, Some(0));
}

#[test]
fn sign_in_accepts_legacy_mfa_detail_names_and_numeric_conditions() {
    let s: SignIn = serde_json::from_value(json!({
        "id": "x",
        "mfaDetail": {"mfaAuthMethod": "Phone Auth", "mfaAuthDetail": null},
        "appliedConditionalAccessPolicies": [{"conditionsSatisfied": 0, "conditionsNotSatisfied": 3}]
    }))
    .unwrap();
    assert_eq!(
        s.mfa_detail.unwrap().auth_method.as_deref(),
        Some("Phone Auth")
    );
    let p = &s.applied_conditional_access_policies[0];
    assert_eq!(p.conditions_satisfied.as_deref(), Some("0"));
    assert_eq!(p.conditions_not_satisfied.as_deref(), Some("3"));
}

#[test]
fn sign_in_event_type_falls_back_to_is_interactive() {
    let s: SignIn = serde_json::from_value(json!({"id": "x", "isInteractive": false})).unwrap();
    assert_eq!(s.event_type(), Some(SignInEventType::NonInteractiveUser));
    let s: SignIn = serde_json::from_value(json!({"id": "x"})).unwrap();
    assert_eq!(s.event_type(), None);
    assert!(!s.is_success(), "no status is not a success");
}

#[test]
fn sign_in_without_coordinates_has_none_rather_than_a_guess() {
    let s: SignIn = serde_json::from_value(json!({
        "id": "x", "location": {"city": "Paris", "countryOrRegion": "", "geoCoordinates": {"latitude": 48.8}}
    }))
    .unwrap();
    assert_eq!(s.coordinates(), None);
    assert_eq!(s.country(), None);
}

#[test]
fn timestamps_accept_offsets_and_seven_digits_and_reject_garbage() {
    let a: SignIn =
        serde_json::from_value(json!({"createdDateTime": "2019-03-12T16:02:15.5522137+00:00"}))
            .unwrap();
    let b: SignIn =
        serde_json::from_value(json!({"createdDateTime": "2019-03-12T16:02:15.5522137Z"})).unwrap();
    assert_eq!(a.created_date_time, b.created_date_time);
    let err = serde_json::from_value::<SignIn>(json!({"createdDateTime": "yesterday"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("invalid timestamp \"yesterday\""), "{err}");
}

#[test]
fn unknown_enum_values_round_trip_unchanged() {
    let s: SignIn = serde_json::from_value(json!({
        "id": "x",
        "riskState": "someFutureState",
        "conditionalAccessStatus": "partiallyApplied",
        "signInEventTypes": ["interactiveUser", "agentSignIn"]
    }))
    .unwrap();
    assert_eq!(
        s.risk_state,
        Some(RiskState::Other("someFutureState".into()))
    );
    assert!(!s.risk_state.as_ref().unwrap().is_known());
    let v = serde_json::to_value(&s).unwrap();
    assert_eq!(v["riskState"], "someFutureState");
    assert_eq!(v["conditionalAccessStatus"], "partiallyApplied");
    assert_eq!(
        v["signInEventTypes"],
        json!(["interactiveUser", "agentSignIn"])
    );
}

#[test]
fn enums_accept_the_event_hub_casing() {
    assert_eq!(UserType::from_wire("Member"), UserType::Member);
    assert_eq!(UserType::from_wire("member"), UserType::Member);
    assert_eq!(UserType::from_wire("GUEST"), UserType::Guest);
    assert_eq!(RiskLevel::from_wire("High"), RiskLevel::High);
    assert_eq!(
        UserType::Member.to_string(),
        "Member",
        "printed as on users"
    );
}

#[test]
fn user_full_object_and_helpers() {
    let u: User = check_model(
        r#"{
        "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        "userPrincipalName": "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "displayName": "Adele Vance", "givenName": "Adele", "surname": "Vance",
        "mail": "adele@fabrikam.com", "jobTitle": "Retail Manager", "mobilePhone": null,
        "businessPhones": ["+1 425 555 0109"], "officeLocation": "18/2111", "preferredLanguage": "en-US",
        "accountEnabled": true, "userType": "Guest", "externalUserState": "Accepted",
        "externalUserStateChangeDateTime": "2023-01-02T03:04:05Z",
        "createdDateTime": "2022-12-31T23:59:59Z", "creationType": "Invitation",
        "onPremisesSyncEnabled": null, "lastPasswordChangeDateTime": "2023-01-02T03:04:05Z",
        "passwordPolicies": "DisablePasswordExpiration",
        "signInSessionsValidFromDateTime": "2023-01-02T03:04:05Z",
        "assignedLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": []}],
        "identities": [{"signInType": "userPrincipalName", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "adele@contoso.onmicrosoft.com"}],
        "otherMails": ["adele@fabrikam.com"], "proxyAddresses": ["SMTP:adele@fabrikam.com"],
        "signInActivity": {
            "lastSignInDateTime": "2024-04-01T00:00:00Z", "lastSignInRequestId": "r1",
            "lastNonInteractiveSignInDateTime": "2024-04-03T00:00:00Z", "lastNonInteractiveSignInRequestId": "r2",
            "lastSuccessfulSignInDateTime": "2024-04-02T00:00:00Z", "lastSuccessfulSignInRequestId": "r3"
        },
        "deletedDateTime": null
    }"#,
    );
    assert!(u.is_guest());
    assert_eq!(u.external_user_state, Some(ExternalUserState::Accepted));
    assert_eq!(u.creation_type, Some(CreationType::Invitation));
    assert_eq!(
        u.last_successful_sign_in().unwrap(),
        timestamp::parse("2024-04-02T00:00:00Z").unwrap()
    );
    assert_eq!(
        u.last_sign_in().unwrap(),
        timestamp::parse("2024-04-03T00:00:00Z").unwrap()
    );
    assert_eq!(
        serde_json::to_value(UserTypeUpdate::new(UserType::Guest)).unwrap(),
        json!({"userType": "Guest"})
    );
}

#[test]
fn user_delta_removed_annotation_is_read() {
    let u: User =
        serde_json::from_value(json!({"id": "u1", "@removed": {"reason": "changed"}})).unwrap();
    assert_eq!(u.removed, Some(Removed::new(RemovedReason::Changed)));
    let v = serde_json::to_value(&u).unwrap();
    assert_eq!(v["@removed"]["reason"], "changed");
}

#[test]
fn group_delta_carries_member_changes() {
    let g: Group = check_model(
        r##"{
        "id": "g1", "displayName": "Sales", "description": "d", "groupTypes": ["Unified", "DynamicMembership"],
        "securityEnabled": false, "mailEnabled": true, "mail": "sales@contoso.com", "mailNickname": "sales",
        "membershipRule": "user.department -eq \"Sales\"", "membershipRuleProcessingState": "On",
        "onPremisesSyncEnabled": null, "visibility": "Private", "isAssignableToRole": false,
        "createdDateTime": "2023-01-01T00:00:00Z", "renewedDateTime": "2023-01-01T00:00:00Z",
        "members@delta": [
            {"@odata.type": "#microsoft.graph.user", "id": "u1"},
            {"@odata.type": "#microsoft.graph.user", "id": "u2", "@removed": {"reason": "deleted"}}
        ]
    }"##,
    );
    assert!(g.is_dynamic() && g.is_microsoft_365());
    assert_eq!(g.members_delta.len(), 2);
    assert!(!g.members_delta[0].is_removed());
    assert!(g.members_delta[1].is_removed());
    let g: Group =
        serde_json::from_value(json!({"id": "g", "createdDateTime": "datetime-value"})).unwrap();
    assert_eq!(
        g.created_date_time, None,
        "placeholder timestamps of groups read as None"
    );
}

#[test]
fn directory_object_dispatches_on_odata_type_and_keeps_unknown_types() {
    let members: Vec<DirectoryObject> = serde_json::from_value(json!([
        {"@odata.type": "#microsoft.graph.user", "id": "u1", "userPrincipalName": "a@contoso.com"},
        {"@odata.type": "#microsoft.graph.group", "id": "g1", "displayName": "Nested"},
        {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "sp1", "appId": "app"},
        {"@odata.type": "#microsoft.graph.device", "id": "d1", "deviceId": "dev"},
        {"@odata.type": "#microsoft.graph.orgContact", "id": "c1", "mail": "c@x.com"},
        {"@odata.type": "#microsoft.graph.application", "id": "a1", "appId": "app2"},
        {"@odata.type": "#microsoft.graph.agentUser", "id": "ag1", "displayName": "Bot", "extra": 1},
        {"id": "untyped"}
    ]))
    .unwrap();
    let types: Vec<_> = members.iter().map(|m| m.type_name()).collect();
    assert_eq!(
        types,
        [
            Some("user"),
            Some("group"),
            Some("servicePrincipal"),
            Some("device"),
            Some("orgContact"),
            Some("application"),
            Some("agentUser"),
            None
        ]
    );
    assert_eq!(
        members[0].as_user().unwrap().user_principal_name.as_deref(),
        Some("a@contoso.com")
    );
    match &members[6] {
        DirectoryObject::Other {
            odata_type,
            id,
            raw,
        } => {
            assert_eq!(odata_type.as_deref(), Some("#microsoft.graph.agentUser"));
            assert_eq!(id.as_deref(), Some("ag1"));
            assert!(raw.get().contains("\"extra\":1"));
        }
        other => panic!("expected Other, got {other:?}"),
    }
    assert_eq!(members[7].id(), Some("untyped"));
    // Round trip: typed variants gain their @odata.type, Other keeps its raw text.
    let printed = serde_json::to_string(&members).unwrap();
    let back: Vec<DirectoryObject> = serde_json::from_str(&printed).unwrap();
    assert_eq!(back, members);
    // Parsing from an in-memory Value (not text) works too.
    let from_value: DirectoryObject =
        serde_json::from_value(json!({"@odata.type": "#microsoft.graph.user", "id": "u9"}))
            .unwrap();
    assert_eq!(from_value.id(), Some("u9"));
}

#[test]
fn directory_roles_know_global_administrator() {
    let r: DirectoryRole = check_model(
        r#"{"id": "r1", "displayName": "Global Administrator", "description": "Can manage all",
            "roleTemplateId": "62e90394-69f5-4237-9190-012177145e10", "deletedDateTime": null}"#,
    );
    assert!(r.is_global_administrator() && r.is_privileged());
    let a: UnifiedRoleAssignment = check_model(
        r##"{"id": "ra", "principalId": "u1", "roleDefinitionId": "62e90394-69f5-4237-9190-012177145e10",
            "directoryScopeId": "/", "principal": {"@odata.type": "#microsoft.graph.user", "id": "u1"}}"##,
    );
    assert_eq!(a.principal.unwrap().id(), Some("u1"));
}

#[test]
fn application_credentials_expire_and_secrets_never_print() {
    let app: Application = check_model(
        r#"{
        "id": "a1", "appId": "00000000-0000-0000-0000-0000000000a1", "displayName": "oort",
        "signInAudience": "AzureADMyOrg", "publisherDomain": "contoso.com", "createdDateTime": "2024-01-01T00:00:00Z",
        "passwordCredentials": [{"keyId": "k1", "displayName": "ci", "startDateTime": "2024-01-01T00:00:00Z",
            "endDateTime": "2024-07-01T00:00:00Z", "hint": "abc", "secretText": "super-secret-value", "customKeyIdentifier": null}],
        "keyCredentials": [{"keyId": "k2", "displayName": "CN=oort", "startDateTime": "2024-01-01T00:00:00Z",
            "endDateTime": "2026-01-01T00:00:00Z", "type": "AsymmetricX509Cert", "usage": "Verify",
            "customKeyIdentifier": "B3E4", "key": null}],
        "requiredResourceAccess": [{"resourceAppId": "00000003-0000-0000-c000-000000000000",
            "resourceAccess": [{"id": "b0afded3-3588-46d8-8b3d-9842eff778da", "type": "Role"}]}],
        "identifierUris": [], "tags": ["x"]
    }"#,
    );
    assert_eq!(app.sign_in_audience, Some(SignInAudience::AzureAdMyOrg));
    let creds = app.credentials();
    assert_eq!(creds.len(), 2);
    assert_eq!(creds[0].kind, CredentialKind::Secret);
    assert_eq!(creds[1].kind, CredentialKind::Certificate);
    let now = timestamp::parse("2024-06-10T00:00:00Z").unwrap();
    assert_eq!(creds[0].remaining(now).unwrap().whole_days(), 21);
    assert!(!creds[0].is_expired(now));
    assert!(creds[0].is_expired(timestamp::parse("2024-07-01T00:00:00Z").unwrap()));
    assert_eq!(creds[0].lifetime().unwrap().whole_days(), 182);
    let debug = format!("{app:?}");
    assert!(!debug.contains("super-secret-value"), "{debug}");
    assert!(debug.contains("[REDACTED]"));
    assert_eq!(
        app.key_credentials[0].key_type.as_deref(),
        Some("AsymmetricX509Cert")
    );

    let sp: ServicePrincipal = check_model(
        r#"{"id": "sp", "appId": "x", "displayName": "Graph", "servicePrincipalType": "ManagedIdentity",
            "appOwnerOrganizationId": "t", "accountEnabled": true, "servicePrincipalNames": ["x"],
            "passwordCredentials": [], "keyCredentials": [], "tags": []}"#,
    );
    assert_eq!(
        sp.service_principal_type,
        Some(ServicePrincipalType::ManagedIdentity)
    );
}

#[test]
fn every_authentication_method_type_parses_with_its_delete_path() {
    let cases = [
        (
            json!({"@odata.type": "#microsoft.graph.passwordAuthenticationMethod", "id": PASSWORD_METHOD_ID, "password": null, "createdDateTime": "2024-01-01T00:00:00Z"}),
            None,
        ),
        (
            json!({"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": MOBILE_PHONE_METHOD_ID, "phoneNumber": "+1 2065555555", "phoneType": "mobile", "smsSignInState": "ready"}),
            Some("phoneMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "m1", "displayName": "iPhone", "deviceTag": "SoftwareTokenActivated", "phoneAppVersion": "6.2", "createdDateTime": "2024-01-01T00:00:00Z"}),
            Some("microsoftAuthenticatorMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "f1", "displayName": "YubiKey", "creationDateTime": "2024-01-01T00:00:00Z", "aaGuid": "cb69481e", "model": "YubiKey 5", "attestationCertificates": ["c"], "attestationLevel": "attested"}),
            Some("fido2Methods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.softwareOathAuthenticationMethod", "id": "s1", "secretKey": "JBSWY3DPEHPK3PXP"}),
            Some("softwareOathMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": EMAIL_METHOD_ID, "emailAddress": "a@b.com"}),
            Some("emailMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.temporaryAccessPassAuthenticationMethod", "id": "t1", "temporaryAccessPass": "TAPSECRET1", "createdDateTime": "2024-01-01T00:00:00Z", "startDateTime": "2024-01-01T00:00:00Z", "lifetimeInMinutes": 60, "isUsableOnce": true, "isUsable": true, "methodUsabilityReason": "EnabledByPolicy"}),
            Some("temporaryAccessPassMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod", "id": "w1", "displayName": "PC", "createdDateTime": "2024-01-01T00:00:00Z", "keyStrength": "normal"}),
            Some("windowsHelloForBusinessMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.platformCredentialAuthenticationMethod", "id": "p1", "displayName": "Mac", "keyStrength": "strong", "platform": "macOS"}),
            Some("platformCredentialMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.externalAuthenticationMethod", "id": "e1", "displayName": "Duo", "configurationId": "cfg"}),
            Some("externalAuthenticationMethods"),
        ),
        (
            json!({"@odata.type": "#microsoft.graph.x509CertificateAuthenticationMethod", "id": "x1"}),
            None,
        ),
    ];
    for (json, segment) in cases {
        let text = json.to_string();
        let m: AuthenticationMethod = check_model(&text);
        assert_eq!(m.delete_segment(), segment, "{text}");
        assert_eq!(m.is_deletable(), segment.is_some());
        assert_eq!(m.odata_type(), json["@odata.type"].as_str());
        assert_eq!(m.id(), json["id"].as_str());
        if let Some(seg) = segment {
            assert_eq!(
                m.delete_path("u1").unwrap(),
                format!(
                    "/users/u1/authentication/{seg}/{}",
                    json["id"].as_str().unwrap()
                )
            );
        }
        let debug = format!("{m:?}");
        assert!(
            !debug.contains("JBSWY3DPEHPK3PXP") && !debug.contains("TAPSECRET1"),
            "{debug}"
        );
    }
}

#[test]
fn mfa_reset_order_puts_alternate_phones_first_and_mobile_last() {
    let methods: Vec<AuthenticationMethod> = serde_json::from_value(json!([
        {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": MOBILE_PHONE_METHOD_ID, "phoneType": "mobile"},
        {"@odata.type": "#microsoft.graph.emailAuthenticationMethod", "id": EMAIL_METHOD_ID},
        {"@odata.type": "#microsoft.graph.fido2AuthenticationMethod", "id": "f"},
        {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": OFFICE_PHONE_METHOD_ID, "phoneType": "office"},
        {"@odata.type": "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod", "id": "m"},
        {"@odata.type": "#microsoft.graph.phoneAuthenticationMethod", "id": ALTERNATE_MOBILE_PHONE_METHOD_ID, "phoneType": "alternateMobile"}
    ]))
    .unwrap();
    let mut sorted = methods.clone();
    sorted.sort_by_key(AuthenticationMethod::reset_order);
    let ids: Vec<_> = sorted.iter().map(|m| m.id().unwrap()).collect();
    assert_eq!(
        ids,
        [
            ALTERNATE_MOBILE_PHONE_METHOD_ID,
            OFFICE_PHONE_METHOD_ID,
            "m",
            "f",
            EMAIL_METHOD_ID,
            MOBILE_PHONE_METHOD_ID
        ]
    );
    assert!(methods[2].is_phishing_resistant() && methods[2].is_mfa_capable());
    assert!(!methods[1].is_mfa_capable(), "e-mail is for SSPR, not MFA");
}

#[test]
fn registration_details_and_risk_models() {
    let r: UserRegistrationDetails = check_model(
        r#"{"id": "u1", "userPrincipalName": "a@contoso.com", "userDisplayName": "A", "userType": "member",
            "isAdmin": true, "isMfaCapable": true, "isMfaRegistered": true, "isPasswordlessCapable": false,
            "isSsprCapable": false, "isSsprEnabled": false, "isSsprRegistered": false,
            "isSystemPreferredAuthenticationMethodEnabled": true, "lastUpdatedDateTime": "2024-01-01T00:00:00Z",
            "methodsRegistered": ["mobilePhone", "fido2"], "systemPreferredAuthenticationMethods": ["Fido2"],
            "userPreferredMethodForSecondaryAuthentication": "push"}"#,
    );
    assert!(r.has_phishing_resistant_method());
    assert_eq!(r.user_type, Some(UserType::Member));

    let u: RiskyUser = check_model(
        r#"{"id": "u1", "isDeleted": false, "isProcessing": false, "riskLastUpdatedDateTime": "2024-01-01T00:00:00Z",
            "riskLevel": "high", "riskState": "confirmedCompromised", "riskDetail": "adminConfirmedUserCompromised",
            "userDisplayName": "A", "userPrincipalName": "a@contoso.com"}"#,
    );
    assert_eq!(u.risk_level, Some(RiskLevel::High));
    assert_eq!(
        u.risk_detail,
        Some(RiskDetail::AdminConfirmedUserCompromised)
    );

    let d: RiskDetection = check_model(
        r#"{"id": "d1", "requestId": "r", "correlationId": "c", "riskEventType": "unlikelyTravel",
            "riskState": "atRisk", "riskLevel": "medium", "riskDetail": "none", "source": "IdentityProtection",
            "detectionTimingType": "offline", "activity": "signin", "tokenIssuerType": "AzureAD",
            "ipAddress": "1.2.3.4", "location": {"city": "Oslo", "countryOrRegion": "NO",
            "geoCoordinates": {"latitude": 59.9, "longitude": 10.7}},
            "activityDateTime": "2024-01-01T00:00:00Z", "detectedDateTime": "2024-01-01T00:00:00Z",
            "lastUpdatedDateTime": "2024-01-01T00:00:00Z", "userId": "u1", "userDisplayName": "A",
            "userPrincipalName": "a@contoso.com", "additionalInfo": "[{\"Key\":\"userAgent\"}]"}"#,
    );
    assert_eq!(
        d.detection_timing_type,
        Some(RiskDetectionTimingType::Offline)
    );
    assert_eq!(d.activity, Some(ActivityType::SignIn));
}

#[test]
fn conditional_access_policy_model() {
    let p: ConditionalAccessPolicy = check_model(
        r#"{"id": "p1", "displayName": "MFA for admins", "state": "enabledForReportingButNotEnforced",
            "createdDateTime": "2024-01-01T00:00:00Z", "modifiedDateTime": null, "templateId": null,
            "conditions": {
                "users": {"includeUsers": ["All"], "excludeUsers": ["u-breakglass"], "includeGroups": [],
                          "excludeGroups": [], "includeRoles": ["62e90394-69f5-4237-9190-012177145e10"], "excludeRoles": []},
                "applications": {"includeApplications": ["All"], "excludeApplications": [], "includeUserActions": []},
                "clientAppTypes": ["browser", "mobileAppsAndDesktopClients", "exchangeActiveSync", "other"],
                "locations": {"includeLocations": ["All"], "excludeLocations": ["AllTrusted"]},
                "platforms": {"includePlatforms": ["all"], "excludePlatforms": []},
                "signInRiskLevels": ["high"], "userRiskLevels": []
            },
            "grantControls": {"operator": "OR", "builtInControls": ["mfa"], "customAuthenticationFactors": [], "termsOfUse": []},
            "sessionControls": {"signInFrequency": {"value": 4, "type": "hours", "isEnabled": true}}}"#,
    );
    assert_eq!(
        p.state,
        Some(ConditionalAccessPolicyState::EnabledForReportingButNotEnforced)
    );
    assert!(!p.is_enforced() && p.requires_mfa() && !p.blocks());
    let c = p.conditions.unwrap();
    assert_eq!(
        c.client_app_types[3],
        ConditionalAccessClientApp::OtherClients
    );
    assert_eq!(c.sign_in_risk_levels, [RiskLevel::High]);
    assert_eq!(
        p.session_controls
            .unwrap()
            .sign_in_frequency
            .unwrap()
            .unit
            .as_deref(),
        Some("hours")
    );
}

#[test]
fn managed_device_and_directory_audit_models() {
    let d: ManagedDevice = check_model(
        r#"{"id": "md1", "deviceName": "LAPTOP-1", "userId": "u1", "userPrincipalName": "a@contoso.com",
            "operatingSystem": "Windows", "osVersion": "10.0.22631", "complianceState": "noncompliant",
            "managementAgent": "mdm", "managedDeviceOwnerType": "company", "enrolledDateTime": "2024-01-01T00:00:00Z",
            "lastSyncDateTime": "2024-05-01T00:00:00Z", "azureADDeviceId": "aad-dev", "azureADRegistered": true,
            "isEncrypted": true, "isSupervised": false, "jailBroken": "False", "serialNumber": "SN",
            "model": "XPS", "manufacturer": "Dell", "totalStorageSpaceInBytes": 512000000000, "freeStorageSpaceInBytes": 1}"#,
    );
    assert_eq!(d.compliance_state, Some(ComplianceState::Noncompliant));
    assert_eq!(d.azure_ad_device_id.as_deref(), Some("aad-dev"));

    let a: DirectoryAudit = check_model(
        r#"{"id": "Directory_1", "category": "UserManagement", "correlationId": "c", "result": "success",
            "resultReason": "", "activityDisplayName": "Delete user", "activityDateTime": "2024-01-01T00:00:00Z",
            "loggedByService": "Core Directory", "operationType": "Delete",
            "initiatedBy": {"user": null, "app": {"appId": "x", "displayName": "oort", "servicePrincipalId": "sp", "servicePrincipalName": null}},
            "targetResources": [{"id": "u1", "displayName": null, "type": "User", "userPrincipalName": "a@contoso.com",
                "modifiedProperties": [{"displayName": "AccountEnabled", "oldValue": "[true]", "newValue": "[false]"}]}],
            "additionalDetails": [{"key": "UserType", "value": "Guest"}]}"#,
    );
    assert_eq!(a.result, Some(OperationResult::Success));
    assert_eq!(a.target_resources[0].resource_type.as_deref(), Some("User"));
    let quirk: TargetResource = serde_json::from_value(json!({"Type": "User"})).unwrap();
    assert_eq!(
        quirk.resource_type.as_deref(),
        Some("User"),
        "the docs' `Type` spelling is accepted"
    );
}

#[test]
fn raw_keeps_the_exact_text_and_serializes_it_back() {
    let text = r#"{"id":"a",  "unknownThing":{"x":[1,2]},"createdDateTime":"2024-05-01T10:11:12.1234567Z"}"#;
    let raw: Raw<SignIn> = Raw::from_json(text).unwrap();
    assert_eq!(raw.json(), text);
    assert_eq!(raw.value().id, "a");
    assert_eq!(serde_json::to_string(&raw).unwrap(), text);
    let page: Vec<Raw<SignIn>> = serde_json::from_str(&format!("[{text},{text}]")).unwrap();
    assert_eq!(page[1].json(), text);
}

#[test]
fn role_definitions_and_eligibilities_read_the_documented_shapes() {
    // `api-reference/beta/api/rbacapplication-list-roledefinitions.md`, example 1.
    let d: UnifiedRoleDefinition = check_model(
        r#"{"id": "729827e3-9c14-49f7-bb1b-9608f156bbb8", "description": "Can reset passwords for non-administrators and Helpdesk Administrators.",
            "displayName": "Helpdesk Administrator", "isBuiltIn": true, "isEnabled": true, "isPrivileged": true,
            "templateId": "729827e3-9c14-49f7-bb1b-9608f156bbb8", "version": "1"}"#,
    );
    assert_eq!(d.is_privileged, Some(true));
    assert_eq!(d.display_name.as_deref(), Some("Helpdesk Administrator"));
    // `api-reference/v1.0/api/rbacapplication-list-roleeligibilityscheduleinstances.md`.
    let e: UnifiedRoleEligibilityScheduleInstance = check_model(
        r#"{"id": "8MYkhImhnkm70CbBdTyW1BbHHAdHgZdDpbqyEFlRzAs-1-e", "principalId": "071cc716-8147-4397-a5ba-b2105951cc0b",
            "roleDefinitionId": "8424c6f0-a189-499e-bbd0-26c1753c96d4", "directoryScopeId": "/", "appScopeId": null,
            "startDateTime": "2022-04-12T14:44:50.287Z", "endDateTime": "2024-04-10T00:00:00Z", "memberType": "Direct",
            "roleEligibilityScheduleId": "77f71919-62f3-4d0c-9f88-0a0391b665cd"}"#,
    );
    assert_eq!(e.member_type.as_deref(), Some("Direct"));
    assert!(e.end_date_time.is_some());
    assert_eq!(
        DirectoryRole::built_in_privileged("62E90394-69F5-4237-9190-012177145E10"),
        Some((
            "Global Administrator",
            "62e90394-69f5-4237-9190-012177145e10"
        ))
    );
    assert_eq!(
        DirectoryRole::built_in_privileged("4a5d8f65-41da-4de4-8968-e035b65339cf"),
        None,
        "Reports Reader is not privileged"
    );
}

#[test]
fn external_identity_marks_tell_a_b2b_guest_from_a_member_typed_guest() {
    let guest: User = serde_json::from_value(json!({
        "id": "g1", "userType": "Guest", "creationType": "Invitation", "externalUserState": "Accepted",
        "userPrincipalName": "ann_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "identities": [{"signInType": "federated", "issuer": "ExternalAzureAD", "issuerAssignedId": null}]
    }))
    .unwrap();
    assert_eq!(
        guest.external_identity_marks(),
        [
            "creationType Invitation",
            "externalUserState Accepted",
            "#EXT# user principal name",
            "identity issued by ExternalAzureAD"
        ]
    );
    let made_guest: User = serde_json::from_value(json!({
        "id": "m1", "userType": "Guest", "creationType": null, "externalUserState": null,
        "userPrincipalName": "adele@contoso.com",
        "identities": [{"signInType": "userPrincipalName", "issuer": "contoso.onmicrosoft.com", "issuerAssignedId": "adele@contoso.com"}]
    }))
    .unwrap();
    assert!(made_guest.external_identity_marks().is_empty());
}

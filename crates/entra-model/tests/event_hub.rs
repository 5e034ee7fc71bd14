//! Event Hub diagnostic records into sign-ins and audits.

use entra_model::*;

const MESSAGE: &str = r#"{"records": [
 {
  "time": "2019-03-12T16:02:15.5522137Z",
  "resourceId": "/tenants/t1/providers/Microsoft.aadiam",
  "operationName": "Sign-in activity", "operationVersion": "1.0", "category": "NonInteractiveUserSignInLogs",
  "tenantId": "t1", "resultType": "50140", "resultSignature": "None",
  "resultDescription": "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
  "durationMs": 0, "callerIpAddress": "1.2.3.4", "correlationId": "c-envelope", "identity": "Timothy Perkins",
  "Level": 4, "location": "US",
  "properties": {
    "id": "si-1", "createdDateTime": "2019-03-12T16:02:15.5522137+00:00", "userDisplayName": "Timothy Perkins",
    "userPrincipalName": "timothy@contoso.com", "userId": "u1", "appId": "a1", "appDisplayName": "Azure Portal",
    "ipAddress": "1.2.3.4", "status": {"errorCode": 50140, "failureReason": "Keep me signed in interrupt"},
    "clientAppUsed": "Browser", "userAgent": "Mozilla/5.0",
    "deviceDetail": {"deviceId": "", "operatingSystem": "Windows 10", "browser": "Chrome 72.0.3626"},
    "location": {"city": "Redmond", "state": "WA", "countryOrRegion": "US", "geoCoordinates": {"latitude": 45, "longitude": 122}},
    "correlationId": "c-props", "conditionalAccessStatus": "notApplied",
    "appliedConditionalAccessPolicies": [{"id": "p", "displayName": "P", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "notApplied", "conditionsSatisfied": 0, "conditionsNotSatisfied": 0}],
    "originalRequestId": "o", "authenticationProcessingDetails": [{"key": "Login Hint Present", "value": "True"}],
    "networkLocationDetails": [], "processingTimeInMilliseconds": 238, "riskDetail": "none", "riskLevelAggregated": "none",
    "riskLevelDuringSignIn": "none", "riskState": "none", "riskEventTypes": [], "riskEventTypes_v2": [],
    "resourceDisplayName": "Office 365 SharePoint Online", "resourceId": "00000003-0000-0ff1-ce00-000000000000",
    "tokenIssuerName": "", "tokenIssuerType": "AzureAD",
    "authenticationDetails": [{"authenticationStepDateTime": "2019-03-12T16:02:15Z", "authenticationMethod": "Previously satisfied", "succeeded": true, "authenticationStepRequirement": "Primary authentication", "StatusSequence": 0, "RequestSequence": 0}],
    "authenticationRequirement": "multiFactorAuthentication", "userType": "Member", "flaggedForReview": false,
    "isTenantRestricted": false, "autonomousSystemNumber": 8000, "crossTenantAccessType": "none",
    "privateLinkDetails": {}, "ssoExtensionVersion": "", "sessionId": "sess-1",
    "tokenProtectionStatusDetails": {"signInSessionStatus": "unbound", "signInSessionStatusCode": 1002}
  }
 },
 {
  "time": "2024-01-01T00:00:00Z", "category": "AuditLogs", "operationName": "Delete user", "tenantId": "t1",
  "properties": {"id": "Directory_1", "category": "UserManagement", "result": "success",
                 "activityDisplayName": "Delete user", "loggedByService": "Core Directory",
                 "targetResources": [{"id": "u2", "type": "User"}]}
 },
 {"time": "2024-01-01T00:00:00Z", "category": "MicrosoftGraphActivityLogs", "properties": {"requestId": "r"}}
]}"#;

#[test]
fn sign_in_record_converts_with_event_type_from_category() {
    let message = EventHubMessage::from_slice(MESSAGE.as_bytes()).unwrap();
    assert_eq!(message.records.len(), 3);
    let record = &message.records[0];
    assert!(record.is_sign_in());
    assert_eq!(
        record.category,
        Some(LogCategory::NonInteractiveUserSignInLogs)
    );
    assert_eq!(record.result_type.as_deref(), Some("50140"));
    assert_eq!(record.level.as_deref(), Some("4"));
    let sign_in = record.to_sign_in().unwrap();
    assert_eq!(sign_in.id, "si-1");
    assert_eq!(
        sign_in.sign_in_event_types,
        [SignInEventType::NonInteractiveUser]
    );
    assert_eq!(
        sign_in.is_interactive,
        Some(false),
        "set from the category when absent"
    );
    assert_eq!(
        sign_in.user_type,
        Some(UserType::Member),
        "stream casing `Member` accepted"
    );
    assert_eq!(sign_in.error_code(), Some(50140));
    assert_eq!(
        sign_in.correlation_id.as_deref(),
        Some("c-props"),
        "the properties' value wins"
    );
    assert_eq!(sign_in.session_id.as_deref(), Some("sess-1"));
    assert_eq!(
        sign_in.applied_conditional_access_policies[0]
            .conditions_satisfied
            .as_deref(),
        Some("0")
    );
    assert_eq!(sign_in.coordinates(), Some((45.0, 122.0)));
    assert!(
        record
            .properties_json()
            .unwrap()
            .contains("ssoExtensionVersion"),
        "raw kept"
    );
}

#[test]
fn every_sign_in_category_maps_to_its_event_type() {
    for (category, expected) in [
        ("SignInLogs", SignInEventType::InteractiveUser),
        (
            "NonInteractiveUserSignInLogs",
            SignInEventType::NonInteractiveUser,
        ),
        (
            "NonInteractiveUserSIgnInLogs",
            SignInEventType::NonInteractiveUser,
        ),
        (
            "ServicePrincipalSignInLogs",
            SignInEventType::ServicePrincipal,
        ),
        (
            "ManagedIdentitySignInLogs",
            SignInEventType::ManagedIdentity,
        ),
    ] {
        let json = format!(r#"{{"category": "{category}", "properties": {{"id": "x"}}}}"#);
        let record: DiagnosticRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(
            record.to_sign_in().unwrap().sign_in_event_types,
            [expected],
            "{category}"
        );
    }
}

#[test]
fn audit_record_converts_and_other_categories_are_refused_with_a_reason() {
    let message = EventHubMessage::from_slice(MESSAGE.as_bytes()).unwrap();
    let audit = message.records[1].to_directory_audit().unwrap();
    assert_eq!(audit.activity_display_name.as_deref(), Some("Delete user"));
    assert_eq!(
        audit.activity_date_time, message.records[1].time,
        "time filled from the envelope"
    );

    let err = message.records[2].to_sign_in().unwrap_err();
    assert_eq!(
        err.kind(),
        &EventHubErrorKind::WrongCategory {
            expected: "a sign-in category",
            found: "MicrosoftGraphActivityLogs".into()
        }
    );
    assert!(err.to_string().contains("route records by category"));
    let err = message.records[0].to_directory_audit().unwrap_err();
    assert!(matches!(
        err.kind(),
        EventHubErrorKind::WrongCategory { .. }
    ));
}

#[test]
fn malformed_messages_and_properties_give_typed_errors() {
    let err = EventHubMessage::from_slice(b"{\"records\": [1,").unwrap_err();
    assert_eq!(err.kind(), &EventHubErrorKind::InvalidMessage);
    assert!(std::error::Error::source(&err).is_some());

    let record: DiagnosticRecord =
        serde_json::from_str(r#"{"category": "SignInLogs", "properties": {"createdDateTime": 5}}"#)
            .unwrap();
    let err = record.to_sign_in().unwrap_err();
    assert_eq!(err.kind(), &EventHubErrorKind::InvalidProperties);
    assert!(err.to_string().contains("line 1"), "{err}");

    let record: DiagnosticRecord = serde_json::from_str(r#"{"category": "SignInLogs"}"#).unwrap();
    assert_eq!(
        record.to_sign_in().unwrap_err().kind(),
        &EventHubErrorKind::MissingProperties
    );
}

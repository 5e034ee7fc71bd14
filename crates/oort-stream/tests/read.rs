//! Reading diagnostic-settings messages: the documented schema, the forms real exports take,
//! what is rejected and why, and that no input makes the reader panic or lose a record.

#![recursion_limit = "256"]

use entra_model::SignInEventType;
use oort_stream::{read_message, MessageError, StreamRecord, MAX_MESSAGE_BYTES};
use proptest::prelude::*;
use serde_json::{json, Value};

/// The sign-in record of the Azure Monitor sign-in schema page (`graph-reference.md` §9.2).
fn documented_sign_in() -> Value {
    json!({
      "time": "2019-03-12T16:02:15.5522137Z",
      "resourceId": "/tenants/aaaabbbb-0000-cccc-1111-dddd2222eeee/providers/Microsoft.aadiam",
      "operationName": "Sign-in activity",
      "operationVersion": "1.0",
      "category": "SignInLogs",
      "tenantId": "aaaabbbb-0000-cccc-1111-dddd2222eeee",
      "resultType": "50140",
      "resultSignature": "None",
      "resultDescription": "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
      "durationMs": 0,
      "callerIpAddress": "203.0.113.7",
      "correlationId": "aaaa0000-bb11-2222-33cc-444444dddddd",
      "identity": "Timothy Perkins",
      "Level": 4,
      "location": "US",
      "properties": {
        "id": "1f0a8ed7-77d8-4d33-b7f4-79a1b5e30e00",
        "createdDateTime": "2019-03-12T16:02:15.5522137+00:00",
        "userDisplayName": "Timothy Perkins",
        "userPrincipalName": "tim@contoso.com",
        "userId": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "appId": "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        "appDisplayName": "Azure Portal",
        "ipAddress": "203.0.113.7",
        "status": {"errorCode": 50140, "failureReason": "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in."},
        "clientAppUsed": "Browser",
        "userAgent": "Mozilla/5.0",
        "deviceDetail": {"deviceId": "", "operatingSystem": "Windows 10", "browser": "Chrome 72.0.3626"},
        "location": {"city": "Redmond", "state": "Washington", "countryOrRegion": "US", "geoCoordinates": {"latitude": 47.67, "longitude": -122.12}},
        "correlationId": "aaaa0000-bb11-2222-33cc-444444dddddd",
        "conditionalAccessStatus": "notApplied",
        "appliedConditionalAccessPolicies": [{"id": "p1", "displayName": "MFA", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "notApplied", "conditionsSatisfied": 0, "conditionsNotSatisfied": 0}],
        "isInteractive": true,
        "authenticationDetails": [{"authenticationStepDateTime": "2019-03-12T16:02:15.5522137+00:00", "authenticationMethod": "Previously satisfied", "succeeded": true, "StatusSequence": 0, "RequestSequence": 0}],
        "processingTimeInMilliseconds": 238,
        "riskDetail": "none", "riskLevelAggregated": "none", "riskLevelDuringSignIn": "none", "riskState": "none",
        "riskEventTypes": [], "riskEventTypes_v2": [],
        "tokenIssuerType": "AzureAD",
        "userType": "Member",
        "autonomousSystemNumber": 8000,
        "sessionId": "0a1b2c3d-session",
        "brandNewStreamOnlyField": {"kept": true}
      }
    })
}

fn message(records: Vec<Value>) -> Vec<u8> {
    json!({ "records": records }).to_string().into_bytes()
}

fn sign_in(record: &StreamRecord) -> &entra_model::Raw<entra_model::SignIn> {
    match record {
        StreamRecord::SignIn(s) => s.as_ref(),
        other => panic!("not a sign-in: {other:?}"),
    }
}

#[test]
fn the_documented_sign_in_record_reads_as_the_polled_sign_in_with_its_unknown_fields_kept() {
    let read = read_message(&message(vec![documented_sign_in()])).unwrap();
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    let s = sign_in(&read.records[0]);
    let v = s.value();
    assert_eq!(v.id, "1f0a8ed7-77d8-4d33-b7f4-79a1b5e30e00");
    assert_eq!(v.event_type(), Some(SignInEventType::InteractiveUser));
    assert_eq!(v.error_code(), Some(50140));
    assert_eq!(v.user_principal_name.as_deref(), Some("tim@contoso.com"));
    assert_eq!(v.coordinates(), Some((47.67, -122.12)));
    assert_eq!(v.created_date_time.unwrap().unix_timestamp(), 1_552_406_535);
    // The stored text is the event with everything it carried.
    let stored: Value = serde_json::from_str(s.json()).unwrap();
    assert_eq!(stored["brandNewStreamOnlyField"], json!({"kept": true}));
    assert_eq!(stored["sessionId"], "0a1b2c3d-session");
    assert_eq!(stored["authenticationDetails"][0]["StatusSequence"], 0);
    assert_eq!(read.records[0].category(), "SignInLogs");
}

#[test]
fn each_sign_in_category_gives_its_event_type() {
    let categories = [
        ("SignInLogs", SignInEventType::InteractiveUser),
        (
            "NonInteractiveUserSignInLogs",
            SignInEventType::NonInteractiveUser,
        ),
        (
            "ServicePrincipalSignInLogs",
            SignInEventType::ServicePrincipal,
        ),
        (
            "managedidentitysigninlogs",
            SignInEventType::ManagedIdentity,
        ),
    ];
    let records = categories
        .iter()
        .enumerate()
        .map(|(i, (c, _))| {
            let mut r = documented_sign_in();
            r["category"] = json!(c);
            r["properties"]["id"] = json!(format!("s-{i}"));
            r["properties"]
                .as_object_mut()
                .unwrap()
                .remove("isInteractive");
            r
        })
        .collect();
    let read = read_message(&message(records)).unwrap();
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    for (record, (_, expected)) in read.records.iter().zip(categories) {
        let v = sign_in(record).value();
        assert_eq!(
            v.is_interactive,
            Some(expected == SignInEventType::InteractiveUser)
        );
        assert_eq!(v.event_type(), Some(expected));
    }
    assert_eq!(read.records[3].category(), "ManagedIdentitySignInLogs");
}

#[test]
fn real_export_forms_are_read_times_numbers_as_strings_key_case_and_properties_as_a_string() {
    let mut r = documented_sign_in();
    let record = r.as_object_mut().unwrap();
    let props = record.remove("properties").unwrap();
    let level = record.remove("Level").unwrap();
    let category = record.remove("category").unwrap();
    record.insert("Properties".into(), json!(props.to_string()));
    record.insert("level".into(), json!(level.to_string()));
    record.insert("Category".into(), category);
    record.insert("durationMs".into(), json!("12"));
    record.insert("time".into(), json!("12/12/2025 3:03:58 PM +01:00"));
    let mut p: Value = props;
    p["createdDateTime"] = json!("12/12/2025 3:03:58 PM +01:00");
    p["status"]["errorCode"] = json!("0");
    p["isInteractive"] = json!("True");
    p["processingTimeInMilliseconds"] = json!("238");
    p["location"]["geoCoordinates"]["latitude"] = json!("47.67");
    record.insert("Properties".into(), json!(p.to_string()));
    let read = read_message(&message(vec![r])).unwrap();
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    let v = sign_in(&read.records[0]).value();
    assert_eq!(v.error_code(), Some(0));
    assert_eq!(v.is_interactive, Some(true));
    assert_eq!(
        v.created_date_time.unwrap(),
        time::macros::datetime!(2025-12-12 14:03:58 UTC)
    );
    assert_eq!(v.coordinates(), Some((47.67, -122.12)));
}

#[test]
fn a_sign_in_without_its_own_time_takes_the_envelope_time() {
    let mut r = documented_sign_in();
    r["properties"]
        .as_object_mut()
        .unwrap()
        .remove("createdDateTime");
    r["time"] = json!("2025-12-12 15:03:58");
    let read = read_message(&message(vec![r])).unwrap();
    let v = sign_in(&read.records[0]).value();
    assert_eq!(
        v.created_date_time.unwrap(),
        time::macros::datetime!(2025-12-12 15:03:58 UTC)
    );
}

#[test]
fn audit_records_and_other_categories_are_read_and_kept_by_category() {
    let audit = json!({
        "time": "12/12/2025 3:03:58 PM",
        "operationName": "Add service principal credentials",
        "category": "AuditLogs",
        "Level": "4",
        "properties": {
            "id": "Directory_ABC", "category": "ApplicationManagement", "result": "success",
            "activityDisplayName": "Add service principal credentials",
            "activityDateTime": "12/12/2025 3:03:58 PM",
            "initiatedBy": {"user": {"userPrincipalName": "mallory@contoso.com"}},
            "targetResources": [{"id": "sp-1", "type": "ServicePrincipal"}],
            "tenantGeo": "EU"
        }
    });
    let risky = json!({"time": "2025-12-12T15:04:00Z", "category": "RiskyUsers",
                       "properties": {"id": "u-1", "riskLevel": "high"}});
    let future = json!({"time": "2025-12-12T15:04:00Z", "category": "SomethingNewLogs",
                        "properties": {"whatever": 1}});
    let read = read_message(&message(vec![audit, risky, future])).unwrap();
    assert!(read.rejected.is_empty(), "{:?}", read.rejected);
    match &read.records[0] {
        StreamRecord::DirectoryAudit(a) => {
            assert_eq!(a.value().id, "Directory_ABC");
            assert_eq!(
                a.value().activity_date_time.unwrap(),
                time::macros::datetime!(2025-12-12 15:03:58 UTC)
            );
            let stored: Value = serde_json::from_str(a.json()).unwrap();
            assert_eq!(stored["tenantGeo"], "EU");
        }
        other => panic!("{other:?}"),
    }
    match &read.records[1] {
        StreamRecord::Other {
            category,
            id,
            time,
            raw,
        } => {
            assert_eq!(category, "RiskyUsers");
            assert_eq!(id.as_deref(), Some("u-1"));
            assert!(time.is_some());
            assert!(raw.get().contains("\"riskLevel\":\"high\""));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(read.records[2].category(), "SomethingNewLogs");
}

#[test]
fn odd_records_are_rejected_with_their_text_and_reason_and_the_rest_of_the_message_is_kept() {
    let good = documented_sign_in();
    let mut empty_id = documented_sign_in();
    empty_id["properties"]["id"] = json!("  ");
    let mut no_props = documented_sign_in();
    no_props.as_object_mut().unwrap().remove("properties");
    let mut no_time = documented_sign_in();
    no_time["properties"]
        .as_object_mut()
        .unwrap()
        .remove("createdDateTime");
    no_time["time"] = json!("last tuesday");
    let mut bad_props = documented_sign_in();
    bad_props["properties"] = json!("{not json");
    let mut wrong_type = documented_sign_in();
    wrong_type["properties"]["appliedConditionalAccessPolicies"] = json!("not a list");
    let no_category = json!({"time": "2025-12-12T15:04:00Z", "properties": {"id": "x"}});
    let records = vec![
        empty_id,
        json!(42),
        no_props,
        good,
        no_time,
        bad_props,
        wrong_type,
        no_category,
    ];
    let read = read_message(&message(records)).unwrap();
    assert_eq!(
        read.records.len(),
        1,
        "only the good one: {:?}",
        read.rejected
    );
    let reasons: Vec<(usize, &str)> = read
        .rejected
        .iter()
        .map(|r| (r.index, r.reason.as_str()))
        .collect();
    assert_eq!(
        reasons.iter().map(|(i, _)| *i).collect::<Vec<_>>(),
        [0, 1, 2, 4, 5, 6, 7]
    );
    assert!(reasons[0].1.contains("no id"), "{reasons:?}");
    assert!(reasons[1].1.contains("not a JSON object"), "{reasons:?}");
    assert!(reasons[2].1.contains("no properties"), "{reasons:?}");
    assert!(reasons[3].1.contains("no time"), "{reasons:?}");
    assert!(
        reasons[4].1.contains("properties are a string"),
        "{reasons:?}"
    );
    assert!(reasons[5].1.contains("shape"), "{reasons:?}");
    assert!(reasons[6].1.contains("no category"), "{reasons:?}");
    // The rejected text is the record as it came.
    assert_eq!(read.rejected[1].raw, "42");
    assert_eq!(read.rejected[0].category.as_deref(), Some("SignInLogs"));
}

#[test]
fn a_body_that_is_not_a_diagnostic_message_is_an_error_saying_so() {
    assert!(matches!(
        read_message(b"not json"),
        Err(MessageError::NotJson(_))
    ));
    assert!(matches!(read_message(b"[]"), Err(MessageError::NoRecords)));
    assert!(matches!(
        read_message(b"{\"value\": []}"),
        Err(MessageError::NoRecords)
    ));
    assert!(matches!(
        read_message(b"{\"records\": {}}"),
        Err(MessageError::NoRecords)
    ));
    let big = vec![b' '; MAX_MESSAGE_BYTES + 1];
    assert!(matches!(read_message(&big), Err(MessageError::TooLarge(_))));
    // `Records` in another case is still the envelope.
    let read = read_message(b"{\"Records\": []}").unwrap();
    assert!(read.records.is_empty() && read.rejected.is_empty());
}

#[test]
fn a_record_whose_time_offset_cuts_a_multibyte_character_is_read_not_a_panic() {
    // Found by the `eventhub_message` fuzz target: an envelope time whose offset is four bytes
    // holding a multibyte character made the reader panic (and so the stream stop).
    let mut record = documented_sign_in();
    record["time"] = json!("12/12/2025 3:03:58 PM -\u{20ac}6");
    let read = read_message(&message(vec![record])).unwrap();
    assert_eq!(read.records.len() + read.rejected.len(), 1);
}

/// A JSON value from a small grammar: the shapes records and their fields take.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[ -~]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("12/12/2025 3:03:58 PM"),
            Just("2025-12-12T15:03:58Z"),
            Just("SignInLogs"),
            Just("AuditLogs"),
            Just("")
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("id".to_owned()),
                    Just("time".to_owned()),
                    Just("category".to_owned()),
                    Just("properties".to_owned()),
                    Just("status".to_owned()),
                    Just("errorCode".to_owned()),
                    Just("createdDateTime".to_owned()),
                    "[a-zA-Z]{1,8}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The documented record with one field replaced by an arbitrary value.
fn mutated_record() -> impl Strategy<Value = Value> {
    let paths = prop_oneof![
        Just(vec!["time"]),
        Just(vec!["category"]),
        Just(vec!["Level"]),
        Just(vec!["properties"]),
        Just(vec!["properties", "id"]),
        Just(vec!["properties", "createdDateTime"]),
        Just(vec!["properties", "status"]),
        Just(vec!["properties", "status", "errorCode"]),
        Just(vec!["properties", "location"]),
        Just(vec!["properties", "isInteractive"]),
        Just(vec!["properties", "appliedConditionalAccessPolicies"]),
    ];
    (paths, any_json()).prop_map(|(path, value)| {
        let mut record = documented_sign_in();
        let mut at = &mut record;
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        if at.is_object() {
            at[*path.last().unwrap()] = value;
        }
        record
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn no_bytes_make_the_reader_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = read_message(&body);
    }

    #[test]
    fn no_byte_edit_of_a_documented_message_makes_the_reader_panic(
        edits in prop::collection::vec((any::<usize>(), any::<u8>(), 0u8..3), 1..8),
    ) {
        let mut body = message(vec![documented_sign_in(), documented_sign_in()]);
        for (at, byte, kind) in edits {
            let at = at % (body.len() + 1);
            match kind {
                0 if at < body.len() => body[at] = byte,
                1 if at < body.len() => {
                    body.remove(at);
                }
                _ => body.insert(at, byte),
            }
        }
        let _ = read_message(&body);
    }

    #[test]
    fn no_json_makes_the_reader_panic(records in prop::collection::vec(any_json(), 0..6)) {
        let _ = read_message(&message(records));
    }

    #[test]
    fn every_record_is_either_read_or_rejected_never_dropped(
        records in prop::collection::vec(mutated_record(), 0..8)
    ) {
        let n = records.len();
        let read = read_message(&message(records)).unwrap();
        prop_assert_eq!(read.records.len() + read.rejected.len(), n);
        for r in &read.rejected {
            prop_assert!(!r.reason.is_empty());
            prop_assert!(serde_json::from_str::<Value>(&r.raw).is_ok());
        }
        for r in &read.records {
            if let StreamRecord::SignIn(s) = r {
                prop_assert!(!s.value().id.trim().is_empty());
                prop_assert!(s.value().created_date_time.is_some());
            }
        }
    }
}

//! Property tests of the parsers of what Graph sends (the stable half of the fuzzing in the
//! workspace's `fuzz/`): collection pages of every stream, error bodies and links, over
//! arbitrary bytes and over real bodies mutated. None may panic, allocate for what a body only
//! claims, or follow a link off the configured origin.

use std::sync::Arc;

use entra_auth::StaticTokenCredential;
use entra_model::{
    Application, AuthenticationMethod, ConditionalAccessPolicy, DirectoryAudit, DirectoryRole,
    Group, ManagedDevice, Raw, RiskDetection, RiskyUser, ServicePrincipal, SignIn, User,
    UserRegistrationDetails,
};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::decode_json;
use crate::error::ApiError;
use crate::paging::{guess_next_link, Page, PageBody};
use crate::request::Method;
use crate::{Continuation, GraphClient, GraphError, Lenient};

/// Real page bodies of every stream (Microsoft's documented examples, entra-model's full
/// sign-in), each with the stream it belongs to.
const PAGES: &[(Stream, &str)] = &[
    (
        Stream::Users,
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#users","@odata.nextLink":"https://graph.microsoft.com/v1.0/users/delta?$skiptoken=pqwSUjGYvb3jQpbwVAwEL7yuI3dU1LecfkkfLPtnIjsXoYQp_dpA3cNJWc","value":[{"businessPhones":[],"displayName":"Conf Room Adams","givenName":null,"jobTitle":null,"mail":"Adams@contoso.com","mobilePhone":null,"officeLocation":null,"preferredLanguage":null,"surname":null,"userPrincipalName":"Adams@contoso.com","id":"6e7b768e-07e2-4810-8459-485f84f8f204","accountEnabled":true,"createdDateTime":"2024-01-01T00:00:00Z","signInActivity":{"lastSignInDateTime":"2024-05-01T10:00:00Z","lastNonInteractiveSignInDateTime":null}},{"id":"u9","@removed":{"reason":"deleted"}}]}"#,
    ),
    (
        Stream::Groups,
        r##"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#groups","@odata.deltaLink":"https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=sZwAFZibx-LQOdZIo1hHhmmDhHzCY0Hs6snoIHJCSIfCHdqKdWNZ2VX3kErpyna9GygROwBk-rqWWMFxJC3pw","value":[{"displayName":"TestGroup1","description":null,"mailEnabled":false,"securityEnabled":true,"groupTypes":[],"id":"g1","members@delta":[{"@odata.type":"#microsoft.graph.user","id":"693acd06-2877-4339-8ade-b704261fe7a0"},{"@odata.type":"#microsoft.graph.user","id":"49320844-be99-4164-8167-87ff5d047ace","@removed":"deleted"}]},{"id":"g2","@removed":{"reason":"changed"}}]}"##,
    ),
    (
        Stream::SignIns,
        concat!(
            r#"{"@odata.nextLink":"https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=s","value":["#,
            include_str!("../../entra-model/tests/fixtures/sign_in_full.json"),
            "]}"
        ),
    ),
    (
        Stream::DirectoryAudits,
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#auditLogs/directoryAudits","value":[{"id":"Directory_1","category":"UserManagement","correlationId":"c","result":"success","resultReason":"","activityDisplayName":"Delete user","activityDateTime":"2024-01-01T00:00:00Z","loggedByService":"Core Directory","operationType":"Delete","initiatedBy":{"user":null,"app":{"appId":"x","displayName":"oort","servicePrincipalId":"sp","servicePrincipalName":null}},"targetResources":[{"id":"u1","displayName":null,"type":"User","userPrincipalName":"a@contoso.com","modifiedProperties":[{"displayName":"AccountEnabled","oldValue":"[true]","newValue":"[false]"}]}],"additionalDetails":[]}]}"#,
    ),
    (
        Stream::Applications,
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#applications","@odata.count":1396,"value":[{"id":"a1","appId":"00000000-0000-0000-0000-000000000000","identifierUris":["http://contoso/"],"displayName":"My app","publisherDomain":"contoso.com","signInAudience":"AzureADMyOrg","passwordCredentials":[{"keyId":"k","displayName":"s","endDateTime":"2026-01-01T00:00:00Z","startDateTime":"2024-01-01T00:00:00Z","hint":"abc"}],"keyCredentials":[],"requiredResourceAccess":[{"resourceAppId":"00000003-0000-0000-c000-000000000000","resourceAccess":[{"id":"df021288-bdef-4463-88db-98f22de89214","type":"Role"}]}]}]}"#,
    ),
    (
        Stream::ServicePrincipals,
        r#"{"value":[{"id":"59e617e5-e447-4adc-8b88-00af644d7c92","deletedDateTime":null,"accountEnabled":true,"appDisplayName":"My App","appId":"65415bb1-9267-4313-bbf5-ae259732ee12","appOwnerOrganizationId":"1bc1c026-2f7b-48a5-98da-afa2fd8bc7bc","appRoleAssignmentRequired":false,"displayName":"foo","servicePrincipalNames":["f1bd758f-4a1a-4b71-aa20-a248a22a8928"],"servicePrincipalType":"Application","tags":[],"keyCredentials":[],"passwordCredentials":[]}]}"#,
    ),
    (
        Stream::AuthMethods,
        r##"{"value":[{"@odata.type":"#microsoft.graph.fido2AuthenticationMethod","id":"-2_GRUg2-HYz6_1YG4YRAQ2","displayName":"Red key","creationDateTime":"2020-08-10T06:44:09Z","aaGuid":"2fc0579f-8113-47ea-b116-555a8db9202a","model":"NFC key","attestationCertificates":["dbe793efdf1945e2df25d93653a1e8a3268a9075"],"attestationLevel":"attested"},{"@odata.type":"#microsoft.graph.phoneAuthenticationMethod","phoneNumber":"+1 2065555555","phoneType":"mobile","smsSignInState":"ready","id":"3179e48a-750b-4051-897c-87b9720928f7"},{"@odata.type":"#microsoft.graph.passwordAuthenticationMethod","id":"28c10230-6103-485e-b985-444c60001490","password":null,"creationDateTime":null}]}"##,
    ),
    (
        Stream::RegistrationDetails,
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#reports/authenticationMethods/userRegistrationDetails","value":[{"id":"86462606-fde0-4fc4-9e0c-a20eb73e54c6","userPrincipalName":"AlexW@Contoso.com","userDisplayName":"Alex Wilber","isAdmin":false,"isSsprRegistered":false,"isSsprEnabled":false,"isSsprCapable":false,"isMfaRegistered":true,"isMfaCapable":true,"isPasswordlessCapable":false,"lastUpdatedDateTime":"2023-03-13T19:15:41.6195833Z","methodsRegistered":["microsoftAuthenticatorPush","softwareOneTimePasscode"],"isSystemPreferredAuthenticationMethodEnabled":true,"systemPreferredAuthenticationMethods":["push"],"userPreferredMethodForSecondaryAuthentication":"push","userType":"member"}]}"#,
    ),
    (
        Stream::RiskyUsers,
        r#"{"value":[{"id":"c2b6c2b9-dddc-acd0-2b39-d519d803dbc3","riskLastUpdatedDateTime":"2016-01-29T20:03:57.7872426Z","isDeleted":false,"isProcessing":false,"riskDetail":"adminConfirmedSigninCompromised","riskLevel":"high","riskState":"atRisk","userDisplayName":"Alex Wilbur","userPrincipalName":"alexw@contoso.com"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/identityProtection/riskyUsers?$skiptoken=abc"}"#,
    ),
    (
        Stream::RiskDetections,
        r#"{"value":[{"id":"6a5874ca-abcd-9d82-5b31-d18cbcd3f1d9","requestId":"6ee5b3d8-0a9e-4b4c-a0a5-6a5874ca9d82","correlationId":"03c8a5c2-5c2e-4d3e-8e1f-95f2bd7d8b45","riskType":"unlikelyTravel","riskEventType":"unlikelyTravel","riskState":"remediated","riskLevel":"medium","riskDetail":"userPerformedSecuredPasswordReset","source":"IdentityProtection","detectionTimingType":"offline","activity":"signin","tokenIssuerType":"AzureAD","ipAddress":"203.0.113.1","activityDateTime":"2018-09-05T00:09:18.7822406Z","detectedDateTime":"2018-09-05T00:11:27.773803Z","lastUpdatedDateTime":"2018-09-05T00:11:27.773803Z","userId":"e3d1e3d1-e3d1-e3d1-e3d1-e3d1e3d1e3d1","userDisplayName":"Jon Doe","userPrincipalName":"jondoe@contoso.com","additionalInfo":"[{\"Key\":\"userAgent\",\"Value\":\"Mozilla/5.0\"}]","location":{"city":"Los Angeles","state":"California","countryOrRegion":"US","geoCoordinates":null}}]}"#,
    ),
    (
        Stream::CaPolicies,
        r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#conditionalAccess/policies","value":[{"id":"ad8d2b4a-8d30-413f-88b8-144c6c8d98d9","displayName":"SimplePolicy1","createdDateTime":null,"modifiedDateTime":null,"state":"enabledForReportingButNotEnforced","sessionControls":{"signInFrequency":{"value":4,"type":"hours","isEnabled":true}},"conditions":{"signInRiskLevels":[],"clientAppTypes":["all"],"platforms":null,"locations":{"includeLocations":["All"],"excludeLocations":["AllTrusted"]},"applications":{"includeApplications":["None"],"excludeApplications":[],"includeUserActions":[]},"users":{"includeUsers":["None"],"excludeUsers":[],"includeGroups":[],"excludeGroups":[],"includeRoles":[],"excludeRoles":[]}},"grantControls":{"operator":"OR","builtInControls":["block"],"customAuthenticationFactors":[],"termsOfUse":[]}}]}"#,
    ),
    (
        Stream::ManagedDevices,
        r#"{"value":[{"id":"md1","deviceName":"LAPTOP-1","userId":"u1","userPrincipalName":"a@contoso.com","operatingSystem":"Windows","osVersion":"10.0.22631","complianceState":"noncompliant","managementAgent":"mdm","managedDeviceOwnerType":"company","enrolledDateTime":"2024-01-01T00:00:00Z","lastSyncDateTime":"2024-05-01T00:00:00Z","azureADDeviceId":"aad-dev","azureADRegistered":true,"isEncrypted":true,"isSupervised":false,"jailBroken":"False","serialNumber":"SN","model":"XPS","manufacturer":"Dell","totalStorageSpaceInBytes":512000000000,"freeStorageSpaceInBytes":1}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/deviceManagement/managedDevices?$skiptoken=x"}"#,
    ),
    (
        Stream::DirectoryRoles,
        r#"{"value":[{"id":"r1","displayName":"Global Administrator","description":"Can manage all","roleTemplateId":"62e90394-69f5-4237-9190-012177145e10","deletedDateTime":null}]}"#,
    ),
];

/// Error bodies as Graph sends them (the documented shapes, nested `innerError`s, HTML).
const ERRORS: &[&str] = &[
    r#"{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation.","innerError":{"date":"2020-11-05T12:09:59","request-id":"a","client-request-id":"b"}}}"#,
    r#"{"error":{"code":"badRequest","message":"Uploaded fragment overlaps with existing data.","innerError":{"code":"invalidRange","request-id":"request-id","date":"date-time","innerError":{"code":"deeper","request-id":"r2"}}}}"#,
    r#"{"error":{"code":"TooManyRequests","innerError":{"code":"429","date":"2020-08-18T12:51:51","message":"Please retry after","request-id":"94fb3b52","status":"429"},"message":"Please retry again later."}}"#,
    r#"{"code":"InvalidAuthenticationToken","message":{"lang":"en-US","value":"Access token has expired."}}"#,
    "<html><head><title>502 Bad Gateway</title></head><body>\n<h1>Bad Gateway</h1>\n</body></html>",
];

/// The stream whose entra-model type a page is read as.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Users,
    Groups,
    SignIns,
    DirectoryAudits,
    Applications,
    ServicePrincipals,
    AuthMethods,
    RegistrationDetails,
    RiskyUsers,
    RiskDetections,
    CaPolicies,
    ManagedDevices,
    DirectoryRoles,
}

const ALL_STREAMS: [Stream; 13] = [
    Stream::Users,
    Stream::Groups,
    Stream::SignIns,
    Stream::DirectoryAudits,
    Stream::Applications,
    Stream::ServicePrincipals,
    Stream::AuthMethods,
    Stream::RegistrationDetails,
    Stream::RiskyUsers,
    Stream::RiskDetections,
    Stream::CaPolicies,
    Stream::ManagedDevices,
    Stream::DirectoryRoles,
];

/// A page decoded as a page stream decodes it.
fn page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, GraphError> {
    decode_json::<PageBody<T>>(body, Method::Get, "/v1.0/x")?.into_page("GET", "/v1.0/x")
}

/// Decodes `body` leniently (as the collector does) and strictly, checking what holds for every
/// page: the items are as many as were sent, no more capacity is held than that (nothing is
/// allocated for what the body only claims, such as `@odata.count`), and every item is either
/// typed or set aside with its JSON.
fn check_page<T: DeserializeOwned>(body: &[u8]) -> Result<(), TestCaseError> {
    let lenient = page::<Lenient<Raw<T>>>(body);
    let values = page::<serde_json::Value>(body);
    match (&lenient, &values) {
        (Ok(lenient), Ok(values)) => {
            prop_assert_eq!(lenient.items.len(), values.items.len());
            prop_assert!(lenient.items.capacity() <= 2 * lenient.items.len() + 4);
            prop_assert_eq!(&lenient.next_link, &values.next_link);
            for item in &lenient.items {
                if let Lenient::Rejected(rejected) = item {
                    prop_assert!(serde_json::from_str::<serde_json::Value>(rejected.json()).is_ok());
                    prop_assert!(!rejected.error().is_empty());
                    let _ = (rejected.id(), format!("{rejected:?}"));
                }
            }
            let _ = lenient.continuation();
        }
        // The lenient page fails only where the page itself does.
        (Ok(_), Err(e)) => prop_assert!(false, "a page read leniently that is not a page: {e}"),
        (Err(e), Ok(_)) => prop_assert!(false, "one item failed a lenient page: {e}"),
        (Err(a), Err(_)) => {
            let _ = (a.to_string(), format!("{a:?}"));
        }
    }
    let _ = page::<T>(body).map(|p| p.items.len());
    Ok(())
}

fn check_stream_page(stream: Stream, body: &[u8]) -> Result<(), TestCaseError> {
    match stream {
        Stream::Users => check_page::<User>(body),
        Stream::Groups => check_page::<Group>(body),
        Stream::SignIns => check_page::<SignIn>(body),
        Stream::DirectoryAudits => check_page::<DirectoryAudit>(body),
        Stream::Applications => check_page::<Application>(body),
        Stream::ServicePrincipals => check_page::<ServicePrincipal>(body),
        Stream::AuthMethods => check_page::<AuthenticationMethod>(body),
        Stream::RegistrationDetails => check_page::<UserRegistrationDetails>(body),
        Stream::RiskyUsers => check_page::<RiskyUser>(body),
        Stream::RiskDetections => check_page::<RiskDetection>(body),
        Stream::CaPolicies => check_page::<ConditionalAccessPolicy>(body),
        Stream::ManagedDevices => check_page::<ManagedDevice>(body),
        Stream::DirectoryRoles => check_page::<DirectoryRole>(body),
    }
}

/// Values that break parsers: out-of-range numbers and times, wrong types, odd escapes.
const TOKENS: &[&str] = &[
    "null",
    "[]",
    "{}",
    "0",
    "-1",
    "1e999",
    "18446744073709551616",
    "-9223372036854775809",
    "1000000000",
    "\"\"",
    "\"9999-12-31T23:59:59.9999999Z\"",
    "\"0000-00-00T00:00:00Z\"",
    "\"2024-02-30T25:61:61+99:99\"",
    "\"\\ud800\"",
    "\"\\u0000\"",
    "\"@odata.nextLink\":\"https://evil.example/x\",",
    "\"@odata.count\":1000000000,",
    "\"value\":",
    "[[[[[[[[",
    "\"#microsoft.graph.user\"",
    "true",
];

/// One mutation of a document's bytes.
#[derive(Debug, Clone)]
enum Mutation {
    /// Replaces the byte at the position (modulo the length).
    Replace(usize, u8),
    /// Inserts a byte.
    Insert(usize, u8),
    /// Removes up to 16 bytes.
    Remove(usize, u8),
    /// Inserts one of the [`TOKENS`].
    Token(usize, usize),
    /// Cuts the document short.
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1u8..16).prop_map(|(at, n)| Mutation::Remove(at, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Token(at, t)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(doc: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = doc.to_vec();
    for m in mutations {
        let len = out.len().max(1);
        match *m {
            Mutation::Replace(at, b) if !out.is_empty() => out[at % len] = b,
            Mutation::Replace(..) => {}
            Mutation::Insert(at, b) => out.insert(at % (out.len() + 1), b),
            Mutation::Remove(at, n) => {
                let start = at % len;
                let end = (start + usize::from(n)).min(out.len());
                out.drain(start.min(end)..end);
            }
            Mutation::Token(at, t) => {
                let at = at % (out.len() + 1);
                out.splice(at..at, TOKENS[t].bytes());
            }
            Mutation::Truncate(at) => out.truncate(at % len),
        }
    }
    out
}

fn client() -> GraphClient {
    let credential = StaticTokenCredential::from_token(
        secrecy::SecretString::from("t".to_owned()),
        time::OffsetDateTime::UNIX_EPOCH,
    );
    GraphClient::builder()
        .credential(Arc::new(credential))
        .base_url("https://graph.microsoft.com")
        .build()
        .unwrap()
}

/// Links as they appear in pages, and links that try to leave the origin.
const LINKS: &[&str] = &[
    "https://graph.microsoft.com/v1.0/users?$top=999&$skiptoken=RFNwdAIAAQAAAA",
    "https://graph.microsoft.com/v1.0/groups/delta?$deltatoken=abc",
    "/v1.0/auditLogs/signIns?$skiptoken=x",
    "https://evil.example/v1.0/users",
    "https://graph.microsoft.com@evil.example/v1.0/users",
    "//evil.example/v1.0/users",
    "https://graph.microsoft.com:444/v1.0/users",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn pages_of_arbitrary_bytes_never_panic_in_any_stream(
        body in prop::collection::vec(any::<u8>(), 0..512),
        stream in prop::sample::select(&ALL_STREAMS[..]),
    ) {
        check_stream_page(stream, &body)?;
    }

    #[test]
    fn mutated_real_pages_never_panic_and_lose_no_item(
        pick in 0..PAGES.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let (stream, doc) = PAGES[pick];
        check_stream_page(stream, &mutate(doc.as_bytes(), &mutations))?;
    }

    #[test]
    fn error_bodies_never_panic_and_their_excerpt_stays_short(
        pick in 0..ERRORS.len(),
        mutations in prop::collection::vec(mutation(), 0..6),
        junk in prop::collection::vec(any::<u8>(), 0..256),
        status in any::<u16>(),
        retry_after in "[0-9a-zA-Z ,:.-]{0,40}",
    ) {
        let mutated = mutate(ERRORS[pick].as_bytes(), &mutations);
        for body in [&mutated, &junk] {
            let header = |name: &str| (name == "retry-after").then(|| retry_after.clone());
            let e = ApiError::from_parts(status, &header, body, "GET", "/v1.0/users");
            prop_assert!(e.body_excerpt().is_none_or(|x| x.chars().count() <= 200));
            prop_assert!(e.retry_after().is_none_or(|d| d.as_secs() <= 86_400));
            let _ = (e.to_string(), format!("{e:?}"));
            let e = GraphError::from_api(e);
            let _ = (e.is_stale_continuation(), e.is_resync_required(), e.is_throttled());
            let _ = (e.is_licence_required(), e.is_permission_denied(), e.to_string());
        }
    }

    #[test]
    fn a_guessed_next_link_is_a_quoted_run_of_the_body_without_escapes(
        body in prop::collection::vec(any::<u8>(), 0..256),
        pick in 0..PAGES.len(),
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        for body in [body, mutate(PAGES[pick].1.as_bytes(), &mutations)] {
            if let Some(link) = guess_next_link(&body) {
                prop_assert!(!link.contains('"') && !link.contains('\\'));
                let quoted = format!("\"@odata.nextLink\":\"{link}\"");
                prop_assert!(memchr::memmem::find(&body, quoted.as_bytes()).is_some());
            }
        }
    }

    #[test]
    fn followed_and_resumed_links_never_leave_the_configured_origin(
        pick in 0..LINKS.len(),
        mutations in prop::collection::vec(mutation(), 0..4),
        junk in "\\PC{0,64}",
    ) {
        let client = client();
        let origin = Url::parse("https://graph.microsoft.com").unwrap().origin();
        let current = Url::parse("https://graph.microsoft.com/v1.0/users?$top=999").unwrap();
        let mutated = String::from_utf8_lossy(&mutate(LINKS[pick].as_bytes(), &mutations)).into_owned();
        for link in [mutated.as_str(), junk.as_str()] {
            if let Ok(url) = current.join(link) {
                if client.inner.check_origin(&url).is_ok() {
                    prop_assert_eq!(url.origin(), origin.clone());
                }
            }
            for c in [Continuation::next_link(link), Continuation::delta_link(link)] {
                if let Ok(call) = client.inner.call_for_link(&c) {
                    prop_assert_eq!(call.url.origin(), origin.clone());
                }
            }
        }
    }
}

#[test]
fn a_page_claiming_a_billion_items_holds_only_the_items_it_has() {
    let body = br#"{"@odata.count":1000000000,"value":[{"id":"a"},{"id":"b"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users?$top=999999999999&$skiptoken=x"}"#;
    let page = page::<Lenient<Raw<User>>>(body).unwrap();
    assert_eq!(page.count, Some(1_000_000_000));
    assert_eq!(page.items.len(), 2);
    assert!(page.items.capacity() <= 8, "{}", page.items.capacity());
    // A huge `$top` in a link is only a query value: the throttle class reads it without
    // overflowing, and the cost stays within the documented range.
    let class = crate::throttle::ThrottleClass::of(Method::Get, "/users", "$top=999999999999");
    assert_eq!(class, crate::throttle::ThrottleClass::Directory);
    let cost = crate::throttle::directory_cost(Method::Get, "/users", "$top=99999999999999999999");
    assert!((1..=5).contains(&cost), "{cost}");
}

#[test]
fn every_real_page_reads_in_its_stream() {
    for (stream, doc) in PAGES {
        check_stream_page(*stream, doc.as_bytes()).unwrap();
        let values = page::<serde_json::Value>(doc.as_bytes()).unwrap();
        assert!(!values.items.is_empty(), "{stream:?}");
    }
}

//! Shared data generators for oort's benchmarks.
//!
//! The benchmarks live in `benches/`; this library holds what several of them need, such as
//! pages of realistic sign-ins.

#![forbid(unsafe_code)]
#![recursion_limit = "256"]
#![deny(missing_docs, missing_debug_implementations)]

use serde_json::{json, Value};

/// A small deterministic generator (xorshift64*), so every run benchmarks the same bytes.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a fixed non-zero value).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One element of a slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A random GUID-shaped string.
    pub fn guid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        )
    }
}

const CITIES: &[(&str, &str, &str, f64, f64)] = &[
    ("Redmond", "Washington", "US", 47.6740, -122.1215),
    ("Paris", "Ile-de-France", "FR", 48.8566, 2.3522),
    ("Berlin", "Berlin", "DE", 52.5200, 13.4050),
    ("Tokyo", "Tokyo", "JP", 35.6762, 139.6503),
    ("Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333),
    ("Sydney", "New South Wales", "AU", -33.8688, 151.2093),
];
const APPS: &[(&str, &str)] = &[
    (
        "00000002-0000-0ff1-ce00-000000000000",
        "Office 365 Exchange Online",
    ),
    ("de8bc8b5-d9f9-48b1-a8ad-b748da725064", "Graph Explorer"),
    ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
    ("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal"),
];
const BROWSERS: &[(&str, &str)] = &[
    ("Windows 10", "Edge 124.0.0"),
    ("MacOs", "Safari 17.4"),
    ("Ios", "Mobile Safari 17.0"),
    ("Android", "Chrome Mobile 123.0.0"),
];
const ERRORS: &[(i64, &str)] = &[
    (0, "Other."),
    (0, "Other."),
    (0, "Other."),
    (
        50126,
        "Error validating credentials due to invalid username or password.",
    ),
    (
        50140,
        "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
    ),
    (50074, "Strong Authentication is required."),
    (
        500121,
        "Authentication failed during strong authentication request.",
    ),
];

/// One realistic sign-in as JSON (about 2.5-3.5 KB): nested status, location, device, applied
/// conditional access policies, authentication details and the beta additions.
pub fn sign_in_json(rng: &mut Rng, index: u64) -> Value {
    let (city, state, country, lat, lon) = *rng.pick(CITIES);
    let (app_id, app_name) = *rng.pick(APPS);
    let (os, browser) = *rng.pick(BROWSERS);
    let (code, reason) = *rng.pick(ERRORS);
    let user = rng.below(5_000);
    let secs = 1_714_550_000 + index * 7;
    let ts = |extra: u64| {
        let t = time::OffsetDateTime::from_unix_timestamp((secs + extra) as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
            t.year(),
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            rng_digits(index)
        )
    };
    json!({
        "id": rng.guid(),
        "createdDateTime": ts(0),
        "userDisplayName": format!("User {user}"),
        "userPrincipalName": format!("user{user}@contoso.com"),
        "userId": rng.guid(),
        "appId": app_id,
        "appDisplayName": app_name,
        "ipAddress": format!("{}.{}.{}.{}", 20 + rng.below(200), rng.below(255), rng.below(255), 1 + rng.below(254)),
        "clientAppUsed": "Browser",
        "correlationId": rng.guid(),
        "conditionalAccessStatus": if code == 0 { "success" } else { "notApplied" },
        "isInteractive": true,
        "riskDetail": "none",
        "riskLevelAggregated": "none",
        "riskLevelDuringSignIn": "none",
        "riskState": "none",
        "riskEventTypes": [],
        "riskEventTypes_v2": [],
        "resourceDisplayName": "Microsoft Graph",
        "resourceId": "00000003-0000-0000-c000-000000000000",
        "resourceTenantId": "84841066-274d-4ec0-a5c1-276be684bdd3",
        "homeTenantId": "84841066-274d-4ec0-a5c1-276be684bdd3",
        "userAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0",
        "status": {"errorCode": code, "failureReason": reason, "additionalDetails": "MFA requirement satisfied by claim in the token"},
        "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": os, "browser": browser, "isCompliant": false, "isManaged": false, "trustType": ""},
        "location": {"city": city, "state": state, "countryOrRegion": country,
                     "geoCoordinates": {"altitude": null, "latitude": lat, "longitude": lon}},
        "appliedConditionalAccessPolicies": [
            {"id": rng.guid(), "displayName": "Require multifactor authentication for admins", "enforcedGrantControls": ["Mfa"], "enforcedSessionControls": [], "result": "notApplied"},
            {"id": rng.guid(), "displayName": "Block legacy authentication", "enforcedGrantControls": ["Block"], "enforcedSessionControls": [], "result": "notApplied"},
            {"id": rng.guid(), "displayName": "Require compliant device for Office 365", "enforcedGrantControls": ["RequireCompliantDevice"], "enforcedSessionControls": ["SignInFrequency"], "result": "reportOnlyNotApplied"}
        ],
        "authenticationDetails": [
            {"authenticationStepDateTime": ts(0), "authenticationMethod": "Password", "authenticationMethodDetail": "Password in the cloud", "succeeded": code == 0, "authenticationStepResultDetail": "Correct password", "authenticationStepRequirement": "Primary authentication"},
            {"authenticationStepDateTime": ts(2), "authenticationMethod": "Mobile app notification", "authenticationMethodDetail": null, "succeeded": code == 0, "authenticationStepResultDetail": "MFA successfully completed", "authenticationStepRequirement": "Multi-factor authentication"}
        ],
        "authenticationMethodsUsed": [],
        "authenticationProcessingDetails": [
            {"key": "Legacy TLS (TLS 1.0, 1.1, 3DES)", "value": "False"},
            {"key": "Is CAE Token", "value": "False"}
        ],
        "authenticationProtocol": "none",
        "authenticationRequirement": "multiFactorAuthentication",
        "authenticationRequirementPolicies": [{"requirementProvider": "multiConditionalAccess", "detail": "Conditional Access"}],
        "autonomousSystemNumber": 8075 + rng.below(100),
        "clientCredentialType": "none",
        "crossTenantAccessType": "none",
        "flaggedForReview": false,
        "incomingTokenType": "none",
        "isTenantRestricted": false,
        "isThroughGlobalSecureAccess": false,
        "mfaDetail": {"authMethod": "PhoneAppNotification", "authDetail": null},
        "networkLocationDetails": [],
        "originalRequestId": rng.guid(),
        "originalTransferMethod": "none",
        "processingTimeInMilliseconds": 80 + rng.below(400),
        "resourceServicePrincipalId": "2cab1707-656d-40cc-8522-3178a184e03d",
        "servicePrincipalCredentialKeyId": "",
        "servicePrincipalCredentialThumbprint": "",
        "sessionLifetimePolicies": [],
        "signInEventTypes": ["interactiveUser"],
        "signInIdentifier": format!("user{user}@contoso.com"),
        "signInIdentifierType": "userPrincipalName",
        "signInTokenProtectionStatus": "none",
        "tokenIssuerName": "",
        "tokenIssuerType": "AzureAD",
        "uniqueTokenIdentifier": format!("{}{}", rng.guid(), rng.below(1000)),
        "userType": "member"
    })
}

fn rng_digits(index: u64) -> u64 {
    (index * 7_919_993) % 10_000_000
}

/// A Graph page `{"@odata.context", "value": [...], "@odata.nextLink"}` of `n` sign-ins, as bytes.
pub fn sign_in_page(seed: u64, n: usize, next_link: Option<&str>) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let items: Vec<Value> = (0..n as u64)
        .map(|i| sign_in_json(&mut rng, seed * 1_000_000 + i))
        .collect();
    let mut page = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns",
        "value": items,
    });
    if let Some(link) = next_link {
        page["@odata.nextLink"] = Value::String(link.to_owned());
    }
    serde_json::to_vec(&page).unwrap_or_default()
}

/// Users of the tenant that [`tenant_sign_in_json`] signs in.
pub const TENANT_USERS: u64 = 10_000;
/// Sign-ins [`tenant_sign_in_json`] spreads over [`TENANT_DAYS`] (100,000 a day).
pub const TENANT_SIGN_INS: u64 = 3_000_000;
/// Days over which [`TENANT_SIGN_INS`] sign-ins happen.
pub const TENANT_DAYS: u64 = 30;
/// When the first sign-in of [`tenant_sign_in_json`] happens: 2024-05-01T00:00:00Z.
pub const TENANT_START_UNIX: u64 = 1_714_521_600;

const HOMES: &[(&str, &str, f64, f64)] = &[
    ("Redmond", "US", 47.6740, -122.1215),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Berlin", "DE", 52.5200, 13.4050),
    ("Tokyo", "JP", 35.6762, 139.6503),
    ("Sao Paulo", "BR", -23.5505, -46.6333),
    ("Sydney", "AU", -33.8688, 151.2093),
];

/// The `index`-th sign-in of a tenant of [`TENANT_USERS`] users signing in at the rate of
/// [`TENANT_SIGN_INS`] in [`TENANT_DAYS`] days, in time order from [`TENANT_START_UNIX`]: a
/// [`sign_in_json`] whose user is one of the tenant's, from the user's home IP (1 in 20 from a
/// roaming one) and home city (the plain generator picks a random city per sign-in, which would
/// make every user a traveller).
///
/// Call it with `index` 0, 1, 2, ... on one [`Rng`] to get the detection benchmarks' stream,
/// one sign-in at a time.
pub fn tenant_sign_in_json(rng: &mut Rng, index: u64) -> Value {
    let mut v = sign_in_json(rng, index);
    let user = rng.below(TENANT_USERS);
    let secs = TENANT_START_UNIX + index * TENANT_DAYS * 86_400 / TENANT_SIGN_INS;
    let t = time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    v["createdDateTime"] = entra_model::timestamp::format(&t).into();
    v["userId"] = format!("00000000-0000-0000-0000-{user:012}").into();
    v["userPrincipalName"] = format!("user{user}@contoso.com").into();
    let ip = if rng.below(20) == 0 {
        format!("198.51.{}.{}", rng.below(256), rng.below(256))
    } else {
        format!("10.{}.{}.{}", user / 65_536, (user / 256) % 256, user % 256)
    };
    v["ipAddress"] = ip.into();
    let (city, country, lat, lon) = HOMES[(user % HOMES.len() as u64) as usize];
    v["location"] = json!({"city": city, "state": city, "countryOrRegion": country,
        "geoCoordinates": {"latitude": lat, "longitude": lon}});
    v
}

/// Turns the tenant's `index`-th sign-in (see [`tenant_sign_in_json`]) into an attack on it:
/// every 10th sign-in becomes a failed password (50126) from one of 10 spraying IPs
/// (`203.0.113.0`-`203.0.113.9`) and every 1000th (at index 5 mod 1000) a success from one of
/// them, so that password-spray and account-under-attack findings are opened and extended all
/// along. Returns the spraying IP and the error code when the sign-in was changed.
pub fn attack_sign_in(index: u64) -> Option<(String, i64)> {
    let (ip, code) = match index % 1000 {
        5 => (index / 1000 % 10, 0),
        k if k % 10 == 0 => (index / 10 % 10, 50126),
        _ => return None,
    };
    Some((format!("203.0.113.{ip}"), code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_sign_ins_are_realistic_sized_and_parse() {
        let page = sign_in_page(7, 100, Some("https://graph.microsoft.com/v1.0/next"));
        let avg = page.len() / 100;
        assert!(
            (2_000..=4_000).contains(&avg),
            "average sign-in is {avg} bytes"
        );
        #[derive(serde::Deserialize)]
        struct Page {
            value: Vec<entra_model::SignIn>,
        }
        let parsed: Page = serde_json::from_slice(&page).unwrap();
        assert_eq!(parsed.value.len(), 100);
        assert!(parsed.value.iter().all(|s| s.created_date_time.is_some()));
        assert_eq!(
            sign_in_page(7, 100, None),
            sign_in_page(7, 100, None),
            "deterministic"
        );
    }
}

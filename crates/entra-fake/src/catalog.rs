//! Static reference data the generator draws from: names, cities, apps, devices, error codes.

/// A city users live in or attackers come from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct City {
    pub(crate) name: &'static str,
    pub(crate) state: &'static str,
    pub(crate) country: &'static str,
    pub(crate) lat: f64,
    pub(crate) lon: f64,
    /// UTC offset in hours (standard time), for the working-day profile.
    pub(crate) utc_offset: i64,
    /// First two octets of the addresses handed out here.
    pub(crate) net: (u8, u8),
    /// Autonomous system of the local ISP.
    pub(crate) asn: i64,
}

macro_rules! city {
    ($n:literal, $s:literal, $c:literal, $lat:literal, $lon:literal, $tz:literal, $a:literal, $b:literal, $asn:literal) => {
        City {
            name: $n,
            state: $s,
            country: $c,
            lat: $lat,
            lon: $lon,
            utc_offset: $tz,
            net: ($a, $b),
            asn: $asn,
        }
    };
}

/// Where the tenant's users live (weighted by [`HOME_WEIGHTS`]).
pub(crate) const HOME_CITIES: &[City] = &[
    city!("New York", "New York", "US", 40.7128, -74.0060, -5, 72, 229, 7922),
    city!(
        "Seattle",
        "Washington",
        "US",
        47.6062,
        -122.3321,
        -8,
        73,
        109,
        7922
    ),
    city!("Chicago", "Illinois", "US", 41.8781, -87.6298, -6, 98, 213, 7018),
    city!(
        "Los Angeles",
        "California",
        "US",
        34.0522,
        -118.2437,
        -8,
        76,
        91,
        20001
    ),
    city!("London", "England", "GB", 51.5074, -0.1278, 0, 81, 2, 2856),
    city!(
        "Manchester",
        "England",
        "GB",
        53.4808,
        -2.2426,
        0,
        86,
        13,
        5089
    ),
    city!(
        "Paris",
        "Ile-de-France",
        "FR",
        48.8566,
        2.3522,
        1,
        90,
        63,
        3215
    ),
    city!(
        "Lyon",
        "Auvergne-Rhone-Alpes",
        "FR",
        45.7640,
        4.8357,
        1,
        92,
        154,
        12322
    ),
    city!("Berlin", "Berlin", "DE", 52.5200, 13.4050, 1, 91, 64, 3320),
    city!("Munich", "Bavaria", "DE", 48.1351, 11.5820, 1, 93, 104, 3320),
    city!(
        "Amsterdam",
        "Noord-Holland",
        "NL",
        52.3676,
        4.9041,
        1,
        94,
        208,
        1136
    ),
    city!("Madrid", "Madrid", "ES", 40.4168, -3.7038, 1, 83, 40, 3352),
    city!("Toronto", "Ontario", "CA", 43.6532, -79.3832, -5, 99, 224, 577),
    city!(
        "Bengaluru",
        "Karnataka",
        "IN",
        12.9716,
        77.5946,
        5,
        49,
        207,
        24560
    ),
    city!("Tokyo", "Tokyo", "JP", 35.6762, 139.6503, 9, 126, 15, 2516),
    city!(
        "Sydney",
        "New South Wales",
        "AU",
        -33.8688,
        151.2093,
        10,
        101,
        160,
        1221
    ),
];

/// Relative share of users per home city.
pub(crate) const HOME_WEIGHTS: &[f64] = &[
    14.0, 8.0, 6.0, 6.0, 12.0, 4.0, 10.0, 3.0, 7.0, 4.0, 5.0, 4.0, 5.0, 5.0, 4.0, 3.0,
];

/// Places attacks come from.
pub(crate) const ATTACK_CITIES: &[City] = &[
    city!("Moscow", "Moscow", "RU", 55.7558, 37.6173, 3, 95, 165, 12389),
    city!("Lagos", "Lagos", "NG", 6.5244, 3.3792, 1, 102, 89, 36873),
    city!(
        "Sao Paulo",
        "Sao Paulo",
        "BR",
        -23.5505,
        -46.6333,
        -3,
        177,
        92,
        28573
    ),
    city!(
        "Bucharest",
        "Bucuresti",
        "RO",
        44.4268,
        26.1025,
        2,
        89,
        34,
        8708
    ),
    city!(
        "Ho Chi Minh City",
        "Ho Chi Minh",
        "VN",
        10.8231,
        106.6297,
        7,
        113,
        161,
        7552
    ),
];

/// A sign-in from a comprehensively sanctioned country (the `denied-territory` default list).
pub(crate) const DENIED_CITY: City =
    city!("Tehran", "Tehran", "IR", 35.6892, 51.3890, 3, 5, 160, 58224);

/// Azure data-centre egress, for service principal and managed identity sign-ins.
pub(crate) const AZURE_CITY: City = city!(
    "Amsterdam",
    "Noord-Holland",
    "NL",
    52.3676,
    4.9041,
    1,
    20,
    61,
    8075
);

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Adele",
    "Alex",
    "Amara",
    "Ana",
    "Arjun",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Daniel",
    "Diego",
    "Elena",
    "Emma",
    "Ethan",
    "Fatima",
    "Felix",
    "Grace",
    "Hana",
    "Hugo",
    "Isabel",
    "Ivan",
    "Jade",
    "James",
    "Jonas",
    "Julia",
    "Kenji",
    "Lara",
    "Leo",
    "Lucas",
    "Maya",
    "Mei",
    "Miguel",
    "Nadia",
    "Noah",
    "Olivia",
    "Omar",
    "Paul",
    "Priya",
    "Rafael",
    "Rosa",
    "Sam",
    "Sara",
    "Sofia",
    "Tariq",
    "Tom",
    "Valentina",
    "Victor",
    "Yuki",
    "Zoe",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Adams", "Bauer", "Becker", "Brown", "Carter", "Costa", "Dubois", "Evans", "Fischer", "Garcia",
    "Gomez", "Green", "Hall", "Ito", "Jensen", "Khan", "Kim", "Kowalski", "Lambert", "Lee",
    "Lopez", "Martin", "Meyer", "Moreau", "Muller", "Nakamura", "Nguyen", "Novak", "Okafor",
    "Patel", "Perez", "Rossi", "Sato", "Schmidt", "Silva", "Singh", "Smith", "Suzuki", "Tanaka",
    "Taylor", "Thomas", "Turner", "Vance", "Wagner", "Walker", "Weber", "White", "Wilson",
    "Wright", "Young",
];

pub(crate) const DEPARTMENTS: &[&str] = &[
    "Sales",
    "Marketing",
    "Engineering",
    "Finance",
    "Human Resources",
    "Legal",
    "Operations",
    "Support",
    "IT",
    "Research",
];

pub(crate) const JOB_TITLES: &[&str] = &[
    "Account Manager",
    "Analyst",
    "Consultant",
    "Designer",
    "Developer",
    "Director",
    "Engineer",
    "Manager",
    "Specialist",
    "Coordinator",
    "Administrator",
    "Architect",
];

pub(crate) const GUEST_DOMAINS: &[&str] = &[
    "fabrikam.com",
    "northwindtraders.com",
    "adatum.com",
    "tailspintoys.com",
    "wingtiptoys.com",
    "gmail.com",
    "outlook.com",
    "woodgrovebank.com",
];

/// A first-party application users sign in to, with the resource it reaches.
#[derive(Debug, Clone, Copy)]
pub(crate) struct App {
    pub(crate) app_id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) resource_id: &'static str,
    pub(crate) resource_name: &'static str,
}

pub(crate) const INTERACTIVE_APPS: &[App] = &[
    App {
        app_id: "4765445b-32c6-49b0-83e6-1d93765276ca",
        name: "OfficeHome",
        resource_id: "4765445b-32c6-49b0-83e6-1d93765276ca",
        resource_name: "OfficeHome",
    },
    App {
        app_id: "00000002-0000-0ff1-ce00-000000000000",
        name: "Office 365 Exchange Online",
        resource_id: "00000002-0000-0ff1-ce00-000000000000",
        resource_name: "Office 365 Exchange Online",
    },
    App {
        app_id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        name: "Microsoft Teams",
        resource_id: "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
        resource_name: "Microsoft Teams Services",
    },
    App {
        app_id: "00000003-0000-0ff1-ce00-000000000000",
        name: "Office 365 SharePoint Online",
        resource_id: "00000003-0000-0ff1-ce00-000000000000",
        resource_name: "Office 365 SharePoint Online",
    },
    App {
        app_id: "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
        name: "Azure Portal",
        resource_id: "797f4846-ba00-4fd7-ba43-dac1f8f63013",
        resource_name: "Windows Azure Service Management API",
    },
    App {
        app_id: "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        name: "Microsoft Office",
        resource_id: "00000003-0000-0000-c000-000000000000",
        resource_name: "Microsoft Graph",
    },
];

pub(crate) const NON_INTERACTIVE_APPS: &[App] = &[
    App {
        app_id: "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        name: "Microsoft Teams",
        resource_id: "00000003-0000-0000-c000-000000000000",
        resource_name: "Microsoft Graph",
    },
    App {
        app_id: "27922004-5251-4030-b22d-91ecd9a37ea4",
        name: "Outlook Mobile",
        resource_id: "00000002-0000-0ff1-ce00-000000000000",
        resource_name: "Office 365 Exchange Online",
    },
    App {
        app_id: "29d9ed98-a469-4536-ade2-f981bc1d605e",
        name: "Microsoft Authentication Broker",
        resource_id: "00000003-0000-0000-c000-000000000000",
        resource_name: "Microsoft Graph",
    },
    App {
        app_id: "ab9b8c07-8f02-4f72-87fa-80105867a763",
        name: "OneDrive SyncEngine",
        resource_id: "00000003-0000-0ff1-ce00-000000000000",
        resource_name: "Office 365 SharePoint Online",
    },
    App {
        app_id: "d3590ed6-52b3-4102-aeff-aad2292ab01c",
        name: "Microsoft Office",
        resource_id: "00000002-0000-0ff1-ce00-000000000000",
        resource_name: "Office 365 Exchange Online",
    },
];

pub(crate) const GRAPH_APP_ID: &str = "00000003-0000-0000-c000-000000000000";
pub(crate) const MICROSOFT_TENANT_ID: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// A desktop or mobile device profile: (operatingSystem, browser, user agent, is mobile).
pub(crate) const DEVICE_PROFILES: &[(&str, &str, &str, bool)] = &[
    ("Windows10", "Edge 124.0.2478", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80", false),
    ("Windows10", "Chrome 124.0.6367", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.119 Safari/537.36", false),
    ("MacOs", "Safari 17.4", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15", false),
    ("MacOs", "Chrome 124.0.6367", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", false),
    ("Windows10", "Firefox 125.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", false),
];

pub(crate) const MOBILE_PROFILES: &[(&str, &str, &str, bool)] = &[
    ("Ios", "Mobile Safari 17.4", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1", true),
    ("Android", "Chrome Mobile 124.0.6367", "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.113 Mobile Safari/537.36", true),
];

/// Baseline interactive result codes and their weights (per mille). Failures and interrupts only
/// occur from a user's own address, never from a shared one.
pub(crate) const INTERACTIVE_CODES: &[(i64, f64)] = &[
    (0, 880.0),
    (50140, 30.0),
    (50126, 25.0),
    (50074, 20.0),
    (50076, 12.0),
    (70044, 8.0),
    (50097, 5.0),
    (500121, 4.0),
    (53003, 3.0),
    (53000, 3.0),
    (50055, 2.0),
    (50125, 2.0),
    (50158, 2.0),
    (50072, 2.0),
    (50079, 2.0),
];

pub(crate) const NON_INTERACTIVE_CODES: &[(i64, f64)] = &[
    (0, 955.0),
    (70044, 20.0),
    (50097, 10.0),
    (50074, 8.0),
    (50076, 5.0),
    (53000, 2.0),
];

/// Whether a code may come from an address shared by several users. Only successes do: a
/// detection that counts every non-zero code as a failure must not see a busy office address
/// as an address under attack.
pub(crate) fn shared_ip_code(code: i64) -> bool {
    code == 0
}

/// The failure reason Graph prints for a code.
pub(crate) fn failure_reason(code: i64) -> &'static str {
    match code {
        0 => "Other.",
        50126 => "Error validating credentials due to invalid username or password.",
        50053 => "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
        50055 => "The password is expired.",
        50057 => "User account is disabled. The account has been disabled by an administrator.",
        50074 => "Strong Authentication is required.",
        50076 => "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access.",
        50079 => "Due to a configuration change made by your administrator, or because you moved to a new location, you must enroll in multi-factor authentication.",
        50072 => "Users needs to enroll for second factor authentication.",
        500121 => "Authentication failed during strong authentication request.",
        53003 => "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
        53000 => "Device is not in required device state: compliant. Conditional Access policy requires a compliant device, and the device is not compliant.",
        50097 => "Device authentication is required.",
        50158 => "External security challenge not satisfied. User will be redirected to another page or authentication provider to satisfy additional authentication challenges.",
        50140 => "This error occurred due to 'Keep me signed in' interrupt when the user was signing in.",
        50125 => "Sign-in was interrupted due to a password reset or password registration entry.",
        70044 => "The session has expired or is invalid due to sign-in frequency checks by conditional access.",
        7000215 => "Invalid client secret is provided.",
        7000222 => "The provided client secret keys are expired.",
        _ => "Other.",
    }
}

/// Directory roles the generator assigns: (display name, role template id).
pub(crate) const ROLES: &[(&str, &str)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
    ),
    ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
    (
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
    ),
    (
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
    ),
    (
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    ),
    (
        "Helpdesk Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
    ),
    ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
    ("Reports Reader", "4a5d8f65-41da-4de4-8968-e035b65339cf"),
];

/// The built-in role definitions the fake tenant lists (`roleManagement/directory/roleDefinitions`):
/// name, template id (the definition id of a built-in role) and `isPrivileged`, as the page
/// "Microsoft Entra built-in roles" labels them (`MicrosoftDocs/entra-docs`
/// `docs/identity/role-based-access-control/permissions-reference.md`, ms.date 01/20/2026).
pub(crate) const ROLE_DEFINITIONS: &[(&str, &str, bool)] = &[
    (
        "Global Administrator",
        "62e90394-69f5-4237-9190-012177145e10",
        true,
    ),
    (
        "User Administrator",
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        true,
    ),
    (
        "Security Administrator",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        true,
    ),
    (
        "Privileged Role Administrator",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        true,
    ),
    (
        "Application Administrator",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        true,
    ),
    (
        "Helpdesk Administrator",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        true,
    ),
    (
        "Global Reader",
        "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        true,
    ),
    (
        "Reports Reader",
        "4a5d8f65-41da-4de4-8968-e035b65339cf",
        false,
    ),
    (
        "Privileged Authentication Administrator",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        true,
    ),
    (
        "Authentication Administrator",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        true,
    ),
    (
        "Conditional Access Administrator",
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        true,
    ),
    (
        "Cloud Application Administrator",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        true,
    ),
    (
        "Hybrid Identity Administrator",
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        true,
    ),
    (
        "Exchange Administrator",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        false,
    ),
    (
        "SharePoint Administrator",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        false,
    ),
    (
        "Billing Administrator",
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
        false,
    ),
    (
        "Groups Administrator",
        "fdd7a751-b60b-444a-984c-02652fe8fa1c",
        false,
    ),
    (
        "Directory Readers",
        "88d8e3e3-8f55-4a1e-953a-9b9898b8876b",
        false,
    ),
    (
        "Message Center Reader",
        "790c1fb9-7f7d-4f88-86a1-ef1f95c05c1b",
        false,
    ),
];

/// Great-circle distance in kilometres.
pub(crate) fn distance_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1) = (a.0.to_radians(), a.1.to_radians());
    let (la2, lo2) = (b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

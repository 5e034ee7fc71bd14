//! Typed, serde-loadable configuration of every check, defaulted to the catalogue.
//!
//! Every field has `#[serde(default)]`, so an empty document (`{}`) is the catalogue's
//! defaults, and a file needs only the settings it changes. Unknown keys are rejected, so a
//! typo is an error instead of a silently ignored setting.

use serde::{Deserialize, Serialize};

use crate::check::CheckId;
use crate::Error;

/// Users, IPs, countries and applications a check must not report on.
///
/// A sign-in that matches any list is not fed to that check at all (it neither fires it nor
/// counts towards its thresholds). Users match by object id or UPN, IPs by exact address (no
/// CIDR ranges), countries by two-letter code, apps by application (client) id or object id;
/// all ASCII case-insensitively. Default: empty.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct IgnoreList {
    /// Object ids or UPNs.
    pub users: Vec<String>,
    /// IP addresses.
    pub ips: Vec<String>,
    /// Two-letter country codes.
    pub countries: Vec<String>,
    /// Application (client) ids or object ids (app credential checks).
    pub apps: Vec<String>,
}

pub(crate) fn contains_ci(list: &[String], value: Option<&str>) -> bool {
    value.is_some_and(|v| !v.is_empty() && list.iter().any(|x| x.eq_ignore_ascii_case(v)))
}

impl IgnoreList {
    /// Whether a user (by id or UPN) is ignored.
    pub fn ignores_user(&self, id: Option<&str>, upn: Option<&str>) -> bool {
        contains_ci(&self.users, id) || contains_ci(&self.users, upn)
    }

    /// Whether a sign-in's user, IP or country is ignored.
    pub fn ignores(
        &self,
        user_id: Option<&str>,
        upn: Option<&str>,
        ip: Option<&str>,
        country: Option<&str>,
    ) -> bool {
        self.ignores_user(user_id, upn)
            || contains_ci(&self.ips, ip)
            || contains_ci(&self.countries, country)
    }

    /// Whether an application (by client id or object id) is ignored.
    pub fn ignores_app(&self, app_id: Option<&str>, object_id: &str) -> bool {
        contains_ci(&self.apps, app_id) || contains_ci(&self.apps, Some(object_id))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.users.is_empty() && self.ips.is_empty() && self.countries.is_empty()
    }
}

/// A region of a country denied as a whole territory, matched on the sign-in's
/// `location.state` (and `location.city`, for cities such as Sevastopol).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct DeniedRegion {
    /// Two-letter country codes the geolocation may report for the region (e.g. `UA`, `RU`).
    pub countries: Vec<String>,
    /// Spellings of the region's name as IP geolocation reports it; matched ASCII
    /// case-insensitively as a substring of `state` or `city`.
    pub names: Vec<String>,
}

impl DeniedRegion {
    /// A region.
    pub fn new(countries: &[&str], names: &[&str]) -> Self {
        DeniedRegion {
            countries: countries.iter().map(|s| (*s).to_owned()).collect(),
            names: names.iter().map(|s| (*s).to_owned()).collect(),
        }
    }

    /// Whether a location (country, state, city) falls in this region.
    pub fn matches(&self, country: Option<&str>, state: Option<&str>, city: Option<&str>) -> bool {
        if !contains_ci(&self.countries, country) {
            return false;
        }
        let hit = |field: Option<&str>| {
            field.is_some_and(|f| {
                let f = f.to_ascii_lowercase();
                self.names
                    .iter()
                    .any(|n| !n.is_empty() && f.contains(&n.to_ascii_lowercase()))
            })
        };
        hit(state) || hit(city)
    }
}

macro_rules! check_config {
    (
        $(#[$m:meta])* $name:ident ($id:expr) {
            $( $(#[$fm:meta])* $field:ident : $ty:ty = $default:expr, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        #[non_exhaustive]
        pub struct $name {
            /// Whether the check runs. Default: `true`.
            pub enabled: bool,
            /// What the check must not report on. Default: empty.
            pub ignore: IgnoreList,
            $( $(#[$fm])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { enabled: true, ignore: IgnoreList::default(), $( $field: $default, )* }
            }
        }

        impl $name {
            /// The check this configures.
            pub const CHECK: CheckId = $id;
        }
    };
}

check_config! {
    /// `password-spray`: one IP failing on many users.
    PasswordSprayConfig (CheckId::PasswordSpray) {
        /// Distinct users failing from one IP. Default: 5.
        min_users: u32 = 5,
        /// Window. Default: 20 minutes.
        window_minutes: u32 = 20,
        /// Failure codes counted. Default: 50126, 50053, 50055.
        failure_codes: Vec<i64> = vec![50126, 50053, 50055],
    }
}

check_config! {
    /// `account-under-attack`: a success from an IP that failed on other accounts.
    AccountUnderAttackConfig (CheckId::AccountUnderAttack) {
        /// Other accounts the IP failed on. Default: 5.
        min_other_users: u32 = 5,
        /// Look-back. Default: 7 days.
        window_days: u32 = 7,
        /// Failure codes counted. Default: 50126, 50053, 50055.
        failure_codes: Vec<i64> = vec![50126, 50053, 50055],
        /// Fire only if the IP's failed accounts outnumber its successful accounts in the window,
        /// as `password-spray` does: a shared egress (office NAT, VPN) where five colleagues
        /// mistyped a password in a week is not an attacker. Successes are counted from the first
        /// failure of the IP in the window on. Default: `true`.
        require_failed_majority: bool = true,
    }
}

check_config! {
    /// `brute-force`: failures on one user, with or without a success.
    BruteForceConfig (CheckId::BruteForce) {
        /// Failures before a success. Default: 10.
        failures_before_success: u32 = 10,
        /// Window for failures then success. Default: 20 minutes.
        success_window_minutes: u32 = 20,
        /// Failures without success. Default: 30.
        burst_failures: u32 = 30,
        /// Window for the burst. Default: 5 minutes.
        burst_window_minutes: u32 = 5,
        /// Failure codes counted. Default: 50126 (bad password), 50053 (locked).
        failure_codes: Vec<i64> = vec![50126, 50053],
    }
}

check_config! {
    /// `distributed-cracking`: password failures on one user from several locations.
    DistributedCrackingConfig (CheckId::DistributedCracking) {
        /// Failures must exceed this. Default: 30.
        more_than_failures: u32 = 30,
        /// Distinct locations (country and city; the IP when the location is unknown). Default: 3.
        min_locations: u32 = 3,
        /// Window. Default: 24 hours.
        window_hours: u32 = 24,
        /// Failure codes counted. Default: 50126, 50053.
        failure_codes: Vec<i64> = vec![50126, 50053],
    }
}

check_config! {
    /// `lockout-storm`: many lockouts across many users.
    LockoutStormConfig (CheckId::LockoutStorm) {
        /// Lockout events (50053). Default: 30.
        min_events: u32 = 30,
        /// Distinct users locked out. Default: 25.
        min_users: u32 = 25,
        /// Window. Default: 30 minutes.
        window_minutes: u32 = 30,
    }
}

check_config! {
    /// `mfa-fatigue`: MFA prompts denied in a burst.
    MfaFatigueConfig (CheckId::MfaFatigue) {
        /// MFA failures (500121) in the burst window. Default: 5.
        min_failures: u32 = 5,
        /// Burst window. Default: 60 seconds.
        window_seconds: u32 = 60,
        /// Denials must exceed this before a success for high severity. Default: 10.
        more_than_denials_before_success: u32 = 10,
        /// Window for denials then success. Default: 5 minutes.
        success_window_minutes: u32 = 5,
    }
}

check_config! {
    /// `mfa-fraud-reported`: a declined prompt or a fraud report.
    MfaFraudReportedConfig (CheckId::MfaFraudReported) {
        /// Phrases (case-insensitive) in `status.additionalDetails`, `status.failureReason` or an
        /// authentication step's result that mean the user declined or reported fraud.
        /// Default: `fraud`, `declined`, `denied the`.
        phrases: Vec<String> = vec!["fraud".into(), "declined".into(), "denied the".into()],
    }
}

check_config! {
    /// `impossible-travel`: two successes too far apart for the time between them.
    ImpossibleTravelConfig (CheckId::ImpossibleTravel) {
        /// Minimum great-circle distance. Default: 500 km.
        min_distance_km: f64 = 500.0,
        /// Minimum speed. Default: 800 km/h.
        min_speed_kmh: f64 = 800.0,
        /// Skip when both sign-ins come from the same known device (same non-empty
        /// `deviceDetail.deviceId`). Default: `true`.
        skip_same_known_device: bool = true,
    }
}

check_config! {
    /// `new-country`: correct password from a country not seen recently.
    NewCountryConfig (CheckId::NewCountry) {
        /// Look-back, and the history a user needs before the check applies. Default: 7 days.
        window_days: u32 = 7,
        /// Codes meaning the password was correct. Default: the catalogue's list.
        password_correct_codes: Vec<i64> = vec![
            0, 50055, 50057, 50155, 50105, 50133, 50005, 50076, 50079, 50173, 50158, 50072,
            50074, 53003, 53000, 53001, 50129,
        ],
    }
}

check_config! {
    /// `denied-territory`: a success from a denied country or region (the lists are
    /// [`CheckConfig::denied_countries`] and [`CheckConfig::denied_regions`]).
    DeniedTerritoryConfig (CheckId::DeniedTerritory) {}
}

check_config! {
    /// `legacy-auth`: a success over a legacy protocol.
    LegacyAuthConfig (CheckId::LegacyAuth) {
        /// `clientAppUsed` values that are legacy protocols (case-insensitive). Default: the
        /// catalogue's list.
        client_apps: Vec<String> = [
            "Authenticated SMTP", "AutoDiscover", "Exchange ActiveSync",
            "Exchange Online PowerShell", "Exchange Web Services", "IMAP4", "IMAP",
            "MAPI Over HTTP", "Offline Address Book", "Outlook Anywhere (RPC over HTTP)",
            "Outlook Service", "POP3", "POP", "Reporting Web Services", "Other clients",
        ].map(String::from).to_vec(),
        /// User-agent substrings of legacy clients (case-insensitive). Default: `BAV2ROPC`,
        /// `CBAinPROD`, `CBAinTAR`.
        user_agents: Vec<String> = ["BAV2ROPC", "CBAinPROD", "CBAinTAR"].map(String::from).to_vec(),
    }
}

check_config! {
    /// `disabled-account-probing`: a disabled account tried against several apps.
    DisabledAccountProbingConfig (CheckId::DisabledAccountProbing) {
        /// Distinct applications with 50057 from one IP for one user. Default: 3.
        min_apps: u32 = 3,
        /// Window. Default: 24 hours.
        window_hours: u32 = 24,
    }
}

check_config! {
    /// `break-glass-sign-in`: any sign-in of a break-glass account (the list is
    /// [`CheckConfig::break_glass_accounts`]).
    BreakGlassSignInConfig (CheckId::BreakGlassSignIn) {}
}

check_config! {
    /// `high-activity`: too many sign-ins of one user in one UTC day.
    HighActivityConfig (CheckId::HighActivity) {
        /// Sign-ins in a UTC calendar day must exceed this. Default: 1000.
        more_than_sign_ins: u32 = 1000,
    }
}

check_config! {
    /// `risky-sign-in`: high risk not cleared.
    RiskySignInConfig (CheckId::RiskySignIn) {}
}

check_config! {
    /// `ca-bypass-attempt`: conditional access failures for one user from several IPs.
    CaBypassAttemptConfig (CheckId::CaBypassAttempt) {
        /// Distinct IPs must exceed this. Default: 1.
        more_than_ips: u32 = 1,
        /// Window. Default: 24 hours.
        window_hours: u32 = 24,
    }
}

check_config! {
    /// `app-credential-expiring`: secrets and certificates expiring or expired.
    AppCredentialExpiringConfig (CheckId::AppCredentialExpiring) {
        /// Report credentials ending within this many days. Default: 90.
        within_days: u32 = 90,
        /// High severity at or below this many days left (and when expired). Default: 30.
        high_within_days: u32 = 30,
        /// Report credentials that have already expired (as separate findings). Default: `true`.
        report_expired: bool = true,
    }
}

check_config! {
    /// `app-credential-long-lived`: credentials valid for too long.
    AppCredentialLongLivedConfig (CheckId::AppCredentialLongLived) {
        /// Longest acceptable secret lifetime. Default: 180 days.
        max_secret_days: u32 = 180,
        /// Longest acceptable certificate lifetime. Default: 365 days.
        max_certificate_days: u32 = 365,
    }
}

check_config! {
    /// `inactive-user`: enabled members without a recent successful sign-in.
    InactiveUserConfig (CheckId::InactiveUser) {
        /// Days without a successful sign-in. Default: 30.
        more_than_days: u32 = 30,
    }
}

check_config! {
    /// `inactive-guest`: guests without a recent successful sign-in.
    InactiveGuestConfig (CheckId::InactiveGuest) {
        /// Days without a successful sign-in. Default: 30.
        more_than_days: u32 = 30,
    }
}

check_config! {
    /// `never-signed-in`: accounts that never signed in.
    NeverSignedInConfig (CheckId::NeverSignedIn) {
        /// Account age before reporting. Default: 7 days.
        created_more_than_days: u32 = 7,
    }
}

check_config! {
    /// `no-mfa`: enabled members without an MFA-capable method.
    NoMfaConfig (CheckId::NoMfa) {
        /// Grace period after creation. Default: 14 days.
        grace_days: u32 = 14,
    }
}

check_config! {
    /// `admin-without-mfa`: privileged role members without (phishing-resistant) MFA.
    AdminWithoutMfaConfig (CheckId::AdminWithoutMfa) {
        /// Also report admins whose MFA is not phishing-resistant (high). Default: `true`.
        require_phishing_resistant: bool = true,
    }
}

check_config! {
    /// `global-admin-count`: too few or too many Global Administrators.
    GlobalAdminCountConfig (CheckId::GlobalAdminCount) {
        /// Fewer than this is a finding. Default: 2.
        min: u32 = 2,
        /// More than this is a finding. Default: 8.
        max: u32 = 8,
    }
}

check_config! {
    /// `risky-user`: users Identity Protection rates high risk.
    RiskyUserConfig (CheckId::RiskyUser) {}
}

check_config! {
    /// `licence-gap`: data missing for want of a licence or permission.
    LicenceGapConfig (CheckId::LicenceGap) {}
}

check_config! {
    /// `collection-gap`: collected items set aside because this version does not read them.
    CollectionGapConfig (CheckId::CollectionGap) {}
}

/// Configuration of every check; `CheckConfig::default()` is the catalogue.
///
/// Load it from JSON with [`CheckConfig::from_json`] (or any serde format, then call
/// [`CheckConfig::validate`]); every field may be left out.
///
/// Occupied regions of Ukraine: a sign-in carries `location.countryOrRegion`, `location.state`
/// and `location.city` from Microsoft's IP geolocation, so a region is denied by matching those
/// names ([`DeniedRegion`]). The default list covers the territories under comprehensive OFAC
/// sanctions: Crimea (with Sevastopol) and the Donetsk and Luhansk regions, under both `UA` and
/// `RU` country codes because geolocation providers disagree. Geolocation only resolves to the
/// oblast, so the Donetsk and Luhansk entries also deny the parts of those oblasts Ukraine
/// controls; remove them from `denied_regions` if that matters more than the sanction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[non_exhaustive]
pub struct CheckConfig {
    /// Break-glass accounts, by object id or UPN (`OORT_BREAK_GLASS_ACCOUNTS`). Default: empty.
    pub break_glass_accounts: Vec<String>,
    /// Denied countries (two-letter codes). Default: `CU`, `IR`, `KP`, `SY`.
    pub denied_countries: Vec<String>,
    /// Denied regions. Default: Crimea, Sevastopol, Donetsk, Luhansk (see above).
    pub denied_regions: Vec<DeniedRegion>,
    /// The application (client) id oort itself signs in with (`OORT_CLIENT_ID`), so that its own
    /// credentials get their own `app-credential-expiring` finding. Default: none.
    pub oort_client_id: Option<String>,
    /// Most entries in each evidence list of a finding. Default: 50.
    pub evidence_limit: usize,
    /// How long the threat engine remembers sign-in ids to skip a sign-in fed twice (collection
    /// windows overlap by 30 minutes by default). Default: 120 minutes.
    pub duplicate_horizon_minutes: u32,
    /// `password-spray`.
    pub password_spray: PasswordSprayConfig,
    /// `account-under-attack`.
    pub account_under_attack: AccountUnderAttackConfig,
    /// `brute-force`.
    pub brute_force: BruteForceConfig,
    /// `distributed-cracking`.
    pub distributed_cracking: DistributedCrackingConfig,
    /// `lockout-storm`.
    pub lockout_storm: LockoutStormConfig,
    /// `mfa-fatigue`.
    pub mfa_fatigue: MfaFatigueConfig,
    /// `mfa-fraud-reported`.
    pub mfa_fraud_reported: MfaFraudReportedConfig,
    /// `impossible-travel`.
    pub impossible_travel: ImpossibleTravelConfig,
    /// `new-country`.
    pub new_country: NewCountryConfig,
    /// `denied-territory`.
    pub denied_territory: DeniedTerritoryConfig,
    /// `legacy-auth`.
    pub legacy_auth: LegacyAuthConfig,
    /// `disabled-account-probing`.
    pub disabled_account_probing: DisabledAccountProbingConfig,
    /// `break-glass-sign-in`.
    pub break_glass_sign_in: BreakGlassSignInConfig,
    /// `high-activity`.
    pub high_activity: HighActivityConfig,
    /// `risky-sign-in`.
    pub risky_sign_in: RiskySignInConfig,
    /// `ca-bypass-attempt`.
    pub ca_bypass_attempt: CaBypassAttemptConfig,
    /// `app-credential-expiring`.
    pub app_credential_expiring: AppCredentialExpiringConfig,
    /// `app-credential-long-lived`.
    pub app_credential_long_lived: AppCredentialLongLivedConfig,
    /// `inactive-user`.
    pub inactive_user: InactiveUserConfig,
    /// `inactive-guest`.
    pub inactive_guest: InactiveGuestConfig,
    /// `never-signed-in`.
    pub never_signed_in: NeverSignedInConfig,
    /// `no-mfa`.
    pub no_mfa: NoMfaConfig,
    /// `admin-without-mfa`.
    pub admin_without_mfa: AdminWithoutMfaConfig,
    /// `global-admin-count`.
    pub global_admin_count: GlobalAdminCountConfig,
    /// `risky-user`.
    pub risky_user: RiskyUserConfig,
    /// `licence-gap`.
    pub licence_gap: LicenceGapConfig,
    /// `collection-gap`.
    pub collection_gap: CollectionGapConfig,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            break_glass_accounts: Vec::new(),
            denied_countries: ["CU", "IR", "KP", "SY"].map(String::from).to_vec(),
            denied_regions: vec![
                DeniedRegion::new(
                    &["UA", "RU"],
                    &["Crimea", "Krym", "Qirim", "Sevastopol", "Sebastopol"],
                ),
                DeniedRegion::new(&["UA", "RU"], &["Donetsk", "Donets'k", "Donetska"]),
                DeniedRegion::new(
                    &["UA", "RU"],
                    &["Luhansk", "Luhans'k", "Luhanska", "Lugansk"],
                ),
            ],
            oort_client_id: None,
            evidence_limit: 50,
            duplicate_horizon_minutes: 120,
            password_spray: Default::default(),
            account_under_attack: Default::default(),
            brute_force: Default::default(),
            distributed_cracking: Default::default(),
            lockout_storm: Default::default(),
            mfa_fatigue: Default::default(),
            mfa_fraud_reported: Default::default(),
            impossible_travel: Default::default(),
            new_country: Default::default(),
            denied_territory: Default::default(),
            legacy_auth: Default::default(),
            disabled_account_probing: Default::default(),
            break_glass_sign_in: Default::default(),
            high_activity: Default::default(),
            risky_sign_in: Default::default(),
            ca_bypass_attempt: Default::default(),
            app_credential_expiring: Default::default(),
            app_credential_long_lived: Default::default(),
            inactive_user: Default::default(),
            inactive_guest: Default::default(),
            never_signed_in: Default::default(),
            no_mfa: Default::default(),
            admin_without_mfa: Default::default(),
            global_admin_count: Default::default(),
            risky_user: Default::default(),
            licence_gap: Default::default(),
            collection_gap: Default::default(),
        }
    }
}

impl CheckConfig {
    /// Reads a configuration from JSON (missing keys take their defaults) and validates it.
    pub fn from_json(text: &str) -> Result<CheckConfig, Error> {
        let config: CheckConfig = serde_json::from_str(text).map_err(|e| Error::ConfigSyntax {
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks that every threshold and window is usable (windows and counts above zero,
    /// `global_admin_count.min <= max`, `evidence_limit` above zero).
    pub fn validate(&self) -> Result<(), Error> {
        let positive = |name: &str, v: u32| {
            if v == 0 {
                Err(Error::invalid(name, "must be above 0"))
            } else {
                Ok(())
            }
        };
        positive("password_spray.min_users", self.password_spray.min_users)?;
        positive(
            "password_spray.window_minutes",
            self.password_spray.window_minutes,
        )?;
        positive(
            "account_under_attack.min_other_users",
            self.account_under_attack.min_other_users,
        )?;
        positive(
            "account_under_attack.window_days",
            self.account_under_attack.window_days,
        )?;
        positive(
            "brute_force.failures_before_success",
            self.brute_force.failures_before_success,
        )?;
        positive(
            "brute_force.success_window_minutes",
            self.brute_force.success_window_minutes,
        )?;
        positive(
            "brute_force.burst_failures",
            self.brute_force.burst_failures,
        )?;
        positive(
            "brute_force.burst_window_minutes",
            self.brute_force.burst_window_minutes,
        )?;
        positive(
            "distributed_cracking.min_locations",
            self.distributed_cracking.min_locations,
        )?;
        positive(
            "distributed_cracking.window_hours",
            self.distributed_cracking.window_hours,
        )?;
        positive("lockout_storm.min_events", self.lockout_storm.min_events)?;
        positive("lockout_storm.min_users", self.lockout_storm.min_users)?;
        positive(
            "lockout_storm.window_minutes",
            self.lockout_storm.window_minutes,
        )?;
        positive("mfa_fatigue.min_failures", self.mfa_fatigue.min_failures)?;
        positive(
            "mfa_fatigue.window_seconds",
            self.mfa_fatigue.window_seconds,
        )?;
        positive(
            "mfa_fatigue.success_window_minutes",
            self.mfa_fatigue.success_window_minutes,
        )?;
        positive("new_country.window_days", self.new_country.window_days)?;
        positive(
            "disabled_account_probing.min_apps",
            self.disabled_account_probing.min_apps,
        )?;
        positive(
            "disabled_account_probing.window_hours",
            self.disabled_account_probing.window_hours,
        )?;
        positive(
            "ca_bypass_attempt.window_hours",
            self.ca_bypass_attempt.window_hours,
        )?;
        let t = &self.impossible_travel;
        if !(t.min_distance_km.is_finite() && t.min_distance_km > 0.0) {
            return Err(Error::invalid(
                "impossible_travel.min_distance_km",
                "must be a positive number",
            ));
        }
        if !(t.min_speed_kmh.is_finite() && t.min_speed_kmh > 0.0) {
            return Err(Error::invalid(
                "impossible_travel.min_speed_kmh",
                "must be a positive number",
            ));
        }
        if self.global_admin_count.min > self.global_admin_count.max {
            return Err(Error::invalid(
                "global_admin_count.min",
                "must not exceed global_admin_count.max",
            ));
        }
        if self.evidence_limit == 0 {
            return Err(Error::invalid("evidence_limit", "must be above 0"));
        }
        Ok(())
    }

    /// Whether `user` (object id or UPN) is a configured break-glass account.
    pub fn is_break_glass(&self, id: Option<&str>, upn: Option<&str>) -> bool {
        contains_ci(&self.break_glass_accounts, id) || contains_ci(&self.break_glass_accounts, upn)
    }
}

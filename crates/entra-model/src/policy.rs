//! Conditional access policies (`conditionalAccessPolicy`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::open_enum::open_enum;
use crate::risk::RiskLevel;

open_enum! {
    /// Whether a policy is on (`state`).
    pub enum ConditionalAccessPolicyState {
        Enabled = "enabled",
        Disabled = "disabled",
        EnabledForReportingButNotEnforced = "enabledForReportingButNotEnforced",
    }
}

open_enum! {
    /// Client app types a policy applies to (`clientAppTypes`).
    pub enum ConditionalAccessClientApp {
        All = "all",
        Browser = "browser",
        MobileAppsAndDesktopClients = "mobileAppsAndDesktopClients",
        ExchangeActiveSync = "exchangeActiveSync",
        EasSupported = "easSupported",
        OtherClients = "other",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// Users, groups and roles a policy includes or excludes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessUsers {
    /// User ids, or `All`, `None`, `GuestsOrExternalUsers`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_users: Vec<String>,
    /// Excluded user ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_users: Vec<String>,
    /// Group ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_groups: Vec<String>,
    /// Excluded group ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_groups: Vec<String>,
    /// Role template ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_roles: Vec<String>,
    /// Excluded role template ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_roles: Vec<String>,
    /// Guest or external user types included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub include_guests_or_external_users: Option<serde_json::Value>,
    /// Guest or external user types excluded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exclude_guests_or_external_users: Option<serde_json::Value>,
}

/// Applications and user actions a policy applies to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessApplications {
    /// App ids, or `All`, `Office365`, `None`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_applications: Vec<String>,
    /// Excluded app ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_applications: Vec<String>,
    /// User actions, e.g. `urn:user:registersecurityinfo`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_user_actions: Vec<String>,
    /// Authentication context references.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_authentication_context_class_references: Vec<String>,
    /// Application filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_filter: Option<serde_json::Value>,
}

/// Named locations a policy includes or excludes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessLocations {
    /// Location ids, or `All`, `AllTrusted`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_locations: Vec<String>,
    /// Excluded location ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_locations: Vec<String>,
}

/// Device platforms a policy includes or excludes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessPlatforms {
    /// Platforms, e.g. `android`, `iOS`, `windows`, `all`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_platforms: Vec<String>,
    /// Excluded platforms.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_platforms: Vec<String>,
}

/// When a policy applies (`conditions`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessConditions {
    /// Users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub users: Option<ConditionalAccessUsers>,
    /// Applications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applications: Option<ConditionalAccessApplications>,
    /// Client app types.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub client_app_types: Vec<ConditionalAccessClientApp>,
    /// Locations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locations: Option<ConditionalAccessLocations>,
    /// Platforms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platforms: Option<ConditionalAccessPlatforms>,
    /// Sign-in risk levels.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub sign_in_risk_levels: Vec<RiskLevel>,
    /// User risk levels.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub user_risk_levels: Vec<RiskLevel>,
    /// Service principal risk levels.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub service_principal_risk_levels: Vec<RiskLevel>,
    /// Insider risk levels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub insider_risk_levels: Option<String>,
    /// Client applications (workload identities).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_applications: Option<serde_json::Value>,
    /// Device filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<serde_json::Value>,
    /// Authentication flows.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_flows: Vec<serde_json::Value>,
}

/// What a policy requires (`grantControls`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessGrantControls {
    /// `AND` or `OR`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// E.g. `mfa`, `compliantDevice`, `block`.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub built_in_controls: Vec<String>,
    /// Custom factors.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub custom_authentication_factors: Vec<String>,
    /// Terms of use ids.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub terms_of_use: Vec<String>,
    /// Authentication strength.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_strength: Option<serde_json::Value>,
}

/// Sign-in frequency session control.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignInFrequencySessionControl {
    /// Whether the control is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_enabled: Option<bool>,
    /// Number of units.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<i64>,
    /// `days` or `hours`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// `primaryAndSecondaryAuthentication` or `secondaryAuthentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_type: Option<String>,
    /// `timeBased` or `everyTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_interval: Option<String>,
}

/// Session restrictions a policy applies (`sessionControls`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessSessionControls {
    /// App-enforced restrictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_enforced_restrictions: Option<serde_json::Value>,
    /// Defender for Cloud Apps session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_app_security: Option<serde_json::Value>,
    /// Sign-in frequency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_frequency: Option<SignInFrequencySessionControl>,
    /// Persistent browser session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub persistent_browser: Option<serde_json::Value>,
    /// Whether resilience defaults are off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_resilience_defaults: Option<bool>,
}

/// A conditional access policy (`GET /identity/conditionalAccess/policies`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ConditionalAccessPolicy {
    /// Policy id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// On, off or report-only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ConditionalAccessPolicyState>,
    /// Creation time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Last change.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub modified_date_time: Option<OffsetDateTime>,
    /// The template the policy came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// When the policy applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<ConditionalAccessConditions>,
    /// What it requires.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_controls: Option<ConditionalAccessGrantControls>,
    /// Session restrictions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_controls: Option<ConditionalAccessSessionControls>,
}

impl ConditionalAccessPolicy {
    /// Whether the policy is enforced (state `enabled`).
    pub fn is_enforced(&self) -> bool {
        self.state == Some(ConditionalAccessPolicyState::Enabled)
    }

    /// Whether the policy requires MFA among its grant controls.
    pub fn requires_mfa(&self) -> bool {
        self.grant_controls.as_ref().is_some_and(|g| {
            g.built_in_controls
                .iter()
                .any(|c| c.eq_ignore_ascii_case("mfa"))
        })
    }

    /// Whether the policy blocks access.
    pub fn blocks(&self) -> bool {
        self.grant_controls.as_ref().is_some_and(|g| {
            g.built_in_controls
                .iter()
                .any(|c| c.eq_ignore_ascii_case("block"))
        })
    }
}

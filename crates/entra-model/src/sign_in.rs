//! Sign-in events (`signIn`): v1.0 properties plus the beta additions.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::open_enum::open_enum;
use crate::risk::{RiskDetail, RiskLevel, RiskState};
use crate::user::UserType;

open_enum! {
    /// Conditional access result of a sign-in (`conditionalAccessStatus`).
    pub enum ConditionalAccessStatus {
        Success = "success",
        Failure = "failure",
        NotApplied = "notApplied",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Result of one policy in `appliedConditionalAccessPolicies` (report-only values need
    /// `Prefer: include-unknown-enum-members`).
    pub enum AppliedConditionalAccessPolicyResult {
        Success = "success",
        Failure = "failure",
        NotApplied = "notApplied",
        NotEnabled = "notEnabled",
        Unknown = "unknown",
        UnknownFutureValue = "unknownFutureValue",
        ReportOnlySuccess = "reportOnlySuccess",
        ReportOnlyFailure = "reportOnlyFailure",
        ReportOnlyNotApplied = "reportOnlyNotApplied",
        ReportOnlyInterrupted = "reportOnlyInterrupted",
    }
}

open_enum! {
    /// Kind of sign-in (beta `signInEventTypes`; the Event Hub category of a record).
    pub enum SignInEventType {
        InteractiveUser = "interactiveUser",
        NonInteractiveUser = "nonInteractiveUser",
        ServicePrincipal = "servicePrincipal",
        ManagedIdentity = "managedIdentity",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Authentication protocol of a sign-in (beta).
    pub enum AuthenticationProtocol {
        None = "none",
        OAuth2 = "oAuth2",
        Ropc = "ropc",
        WsFederation = "wsFederation",
        Saml20 = "saml20",
        DeviceCode = "deviceCode",
        UnknownFutureValue = "unknownFutureValue",
        AuthenticationTransfer = "authenticationTransfer",
        NativeAuth = "nativeAuth",
    }
}

open_enum! {
    /// Credential a service principal used (beta `clientCredentialType`).
    pub enum ClientCredentialType {
        None = "none",
        ClientSecret = "clientSecret",
        ClientAssertion = "clientAssertion",
        FederatedIdentityCredential = "federatedIdentityCredential",
        ManagedIdentity = "managedIdentity",
        Certificate = "certificate",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Cross-tenant access type (beta).
    pub enum CrossTenantAccessType {
        None = "none",
        B2bCollaboration = "b2bCollaboration",
        B2bDirectConnect = "b2bDirectConnect",
        MicrosoftSupport = "microsoftSupport",
        ServiceProvider = "serviceProvider",
        UnknownFutureValue = "unknownFutureValue",
        Passthrough = "passthrough",
    }
}

open_enum! {
    /// Incoming token type (beta).
    pub enum IncomingTokenType {
        None = "none",
        PrimaryRefreshToken = "primaryRefreshToken",
        Saml11 = "saml11",
        Saml20 = "saml20",
        UnknownFutureValue = "unknownFutureValue",
        RemoteDesktopToken = "remoteDesktopToken",
    }
}

open_enum! {
    /// Original transfer method (beta).
    pub enum OriginalTransferMethod {
        None = "none",
        DeviceCodeFlow = "deviceCodeFlow",
        AuthenticationTransfer = "authenticationTransfer",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Type of the identifier a user signed in with (beta).
    pub enum SignInIdentifierType {
        UserPrincipalName = "userPrincipalName",
        PhoneNumber = "phoneNumber",
        ProxyAddress = "proxyAddress",
        QrCode = "qrCode",
        OnPremisesUserPrincipalName = "onPremisesUserPrincipalName",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Token protection status (beta `signInTokenProtectionStatus`, `appTokenProtectionStatus`).
    pub enum TokenProtectionStatus {
        None = "none",
        Bound = "bound",
        Unbound = "unbound",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Issuer of the token of a sign-in (beta `tokenIssuerType`).
    pub enum TokenIssuerType {
        AzureAd = "AzureAD",
        AdFederationServices = "ADFederationServices",
        UnknownFutureValue = "UnknownFutureValue",
        AzureAdBackupAuth = "AzureADBackupAuth",
        AdFederationServicesMfaAdapter = "ADFederationServicesMFAAdapter",
        NpsExtension = "NPSExtension",
    }
}

/// The result of a sign-in (`status`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignInStatus {
    /// 0 for success, otherwise the AADSTS error number (e.g. 50126: bad password).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
    /// Why the sign-in failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<String>,
    /// More details on the result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_details: Option<String>,
}

/// Coordinates of a sign-in, from IP geolocation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct GeoCoordinates {
    /// Altitude in feet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub altitude: Option<f64>,
    /// Latitude in degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    /// Longitude in degrees.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
}

/// Where a sign-in came from (`location`), from IP geolocation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignInLocation {
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Two-letter country or region code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_or_region: Option<String>,
    /// Coordinates, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_coordinates: Option<GeoCoordinates>,
}

/// The device a sign-in came from (`deviceDetail`); ids only for Entra-registered devices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DeviceDetail {
    /// Device id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Device display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Operating system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    /// Browser.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// Whether the device is compliant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_compliant: Option<bool>,
    /// Whether the device is managed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_managed: Option<bool>,
    /// Join type, e.g. `Azure AD joined`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_type: Option<String>,
}

/// A conditional access policy evaluated for a sign-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AppliedConditionalAccessPolicy {
    /// Policy id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Policy name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Grant controls the policy enforced.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub enforced_grant_controls: Vec<String>,
    /// Session controls the policy enforced.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub enforced_session_controls: Vec<String>,
    /// The result of the evaluation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<AppliedConditionalAccessPolicyResult>,
    /// Conditions satisfied (beta: a list such as `application,users`; a number in the Event Hub stream).
    #[serde(
        deserialize_with = "crate::de::flex_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub conditions_satisfied: Option<String>,
    /// Conditions not satisfied (beta).
    #[serde(
        deserialize_with = "crate::de::flex_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub conditions_not_satisfied: Option<String>,
    /// Include rules satisfied (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub include_rules_satisfied: Vec<serde_json::Value>,
    /// Exclude rules satisfied (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub exclude_rules_satisfied: Vec<serde_json::Value>,
    /// Session controls not satisfied (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub session_controls_not_satisfied: Vec<String>,
    /// Authentication strength required (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_strength: Option<serde_json::Value>,
}

/// One step of a sign-in's authentication (beta `authenticationDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationDetail {
    /// When the step happened.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub authentication_step_date_time: Option<OffsetDateTime>,
    /// The method, e.g. `Password`, `Previously satisfied`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_method: Option<String>,
    /// Method detail, e.g. `Password in the cloud`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_method_detail: Option<String>,
    /// Whether the step succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub succeeded: Option<bool>,
    /// The step's result detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_step_result_detail: Option<String>,
    /// `Primary authentication` or `Multi-factor authentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_step_requirement: Option<String>,
}

/// MFA detail of a sign-in (beta `mfaDetail`, deprecated by Graph).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct MfaDetail {
    /// The MFA method.
    #[serde(skip_serializing_if = "Option::is_none", alias = "mfaAuthMethod")]
    pub auth_method: Option<String>,
    /// The MFA detail.
    #[serde(skip_serializing_if = "Option::is_none", alias = "mfaAuthDetail")]
    pub auth_detail: Option<String>,
}

/// A key and value pair (`keyValue`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct KeyValue {
    /// Key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// The authentication app device of a sign-in (`authenticationAppDeviceDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationAppDeviceDetails {
    /// App version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// Client app.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app: Option<String>,
    /// Device id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Operating system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
}

/// An authentication context class reference of a sign-in (beta).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationContext {
    /// Context id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Whether it was required or previously satisfied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Why a sign-in required the authentication it got (beta `authenticationRequirementPolicies`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuthenticationRequirementPolicy {
    /// E.g. `multiConditionalAccess`, `user`, `request`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement_provider: Option<String>,
    /// Detail, e.g. `Conditional Access`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// A managed identity that signed in (beta `managedServiceIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ManagedIdentity {
    /// `systemAssigned`, `userAssigned` or `none`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msi_type: Option<String>,
    /// The Azure resource the identity belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub associated_resource_id: Option<String>,
    /// Federated token id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated_token_id: Option<String>,
    /// Federated token issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated_token_issuer: Option<String>,
}

/// Network location of a sign-in (beta `networkLocationDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct NetworkLocationDetail {
    /// E.g. `namedNetwork`, `trustedNamedLocation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_type: Option<String>,
    /// Names of the networks.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub network_names: Vec<String>,
}

/// Private link details of a sign-in (beta `privateLinkDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct PrivateLinkDetails {
    /// Policy id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// Policy name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<String>,
    /// Policy tenant id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_tenant_id: Option<String>,
    /// Resource id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

/// A session lifetime policy applied to a sign-in (beta `sessionLifetimePolicies`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionLifetimePolicy {
    /// E.g. `signInFrequencyPeriodicReauthentication`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_requirement: Option<String>,
    /// Detail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// Token protection detail of a sign-in (Event Hub stream `tokenProtectionStatusDetails`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct TokenProtectionStatusDetails {
    /// Session status, e.g. `bound`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_session_status: Option<String>,
    /// Session status code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_session_status_code: Option<i64>,
}

/// A sign-in event (`GET /auditLogs/signIns`): every v1.0 property and the beta additions.
///
/// Every property is optional because Graph omits properties by licence, permission and
/// `$select`. Unknown properties are ignored here; keep the raw text with [`crate::Raw`] to lose
/// nothing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignIn {
    /// Sign-in id (unique; the key oort de-duplicates on).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// When the sign-in happened (UTC).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Object id of the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// UPN of the user (lowercase in logs; a guest's home UPN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name of the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    /// Application id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Application name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_display_name: Option<String>,
    /// Client IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Client app, e.g. `Browser`, `Mobile Apps and Desktop clients`, `IMAP4` (free text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_app_used: Option<String>,
    /// Client-supplied correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Conditional access result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditional_access_status: Option<ConditionalAccessStatus>,
    /// Conditional access policies evaluated (needs a policy read permission).
    #[serde(
        alias = "appliedConditionalAccessPolicy",
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub applied_conditional_access_policies: Vec<AppliedConditionalAccessPolicy>,
    /// Device of the sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_detail: Option<DeviceDetail>,
    /// Location of the sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SignInLocation>,
    /// Whether the sign-in was interactive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_interactive: Option<bool>,
    /// Resource name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_display_name: Option<String>,
    /// Resource id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// Tenant that owns the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_tenant_id: Option<String>,
    /// Tenant of the signing-in user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_tenant_id: Option<String>,
    /// Why the risk state was reached (P2; `hidden` otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_detail: Option<RiskDetail>,
    /// Legacy risk event types.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub risk_event_types: Vec<String>,
    /// Risk event types, e.g. `unlikelyTravel`.
    #[serde(
        rename = "riskEventTypes_v2",
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub risk_event_types_v2: Vec<String>,
    /// Aggregated risk level (P2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level_aggregated: Option<RiskLevel>,
    /// Risk level during sign-in (P2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_level_during_sign_in: Option<RiskLevel>,
    /// Risk state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk_state: Option<RiskState>,
    /// Service principal id (service principal sign-ins).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    /// Service principal name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
    /// User agent string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Authentication app device details.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_app_device_details: Option<AuthenticationAppDeviceDetails>,
    /// Result of the sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<SignInStatus>,
    /// Alternate sign-in name (older beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate_sign_in_name: Option<String>,
    /// Event listeners invoked (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub applied_event_listeners: Vec<serde_json::Value>,
    /// App token protection status (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_token_protection_status: Option<TokenProtectionStatus>,
    /// Authentication app policy evaluation details (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_app_policy_evaluation_details: Vec<serde_json::Value>,
    /// Authentication contexts (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_context_class_references: Vec<AuthenticationContext>,
    /// Authentication steps (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_details: Vec<AuthenticationDetail>,
    /// Methods used, e.g. `Password`, `SMS` (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_methods_used: Vec<String>,
    /// Processing details (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_processing_details: Vec<KeyValue>,
    /// Authentication protocol (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_protocol: Option<AuthenticationProtocol>,
    /// `singleFactorAuthentication` or `multiFactorAuthentication` (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_requirement: Option<String>,
    /// Why the requirement applied (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub authentication_requirement_policies: Vec<AuthenticationRequirementPolicy>,
    /// Autonomous system number of the client IP (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autonomous_system_number: Option<i64>,
    /// Azure resource id of a managed identity (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub azure_resource_id: Option<String>,
    /// Client credential type (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_credential_type: Option<ClientCredentialType>,
    /// Conditional access audiences (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub conditional_access_audiences: Vec<serde_json::Value>,
    /// Cross-tenant access type (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_tenant_access_type: Option<CrossTenantAccessType>,
    /// Federated credential id (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub federated_credential_id: Option<String>,
    /// Flagged for review by the user (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flagged_for_review: Option<bool>,
    /// Global Secure Access IP address (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub global_secure_access_ip_address: Option<String>,
    /// Home tenant name (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub home_tenant_name: Option<String>,
    /// Incoming token type (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub incoming_token_type: Option<IncomingTokenType>,
    /// IP address seen by the resource provider (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address_from_resource_provider: Option<String>,
    /// Whether tenant restrictions applied (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_tenant_restricted: Option<bool>,
    /// Whether the sign-in went through Global Secure Access (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_through_global_secure_access: Option<bool>,
    /// Managed identity details (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_service_identity: Option<ManagedIdentity>,
    /// MFA detail (beta, deprecated).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_detail: Option<MfaDetail>,
    /// Network locations (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub network_location_details: Vec<NetworkLocationDetail>,
    /// Original request id (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_request_id: Option<String>,
    /// Original transfer method (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_transfer_method: Option<OriginalTransferMethod>,
    /// Private link details (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_link_details: Option<PrivateLinkDetails>,
    /// Processing time in ms (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_time_in_milliseconds: Option<i64>,
    /// Resource service principal id (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_service_principal_id: Option<String>,
    /// Key id of the credential a service principal used (beta): links to `passwordCredentials`/`keyCredentials`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_credential_key_id: Option<String>,
    /// Thumbprint of the certificate a service principal used (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_credential_thumbprint: Option<String>,
    /// Session lifetime policies (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub session_lifetime_policies: Vec<SessionLifetimePolicy>,
    /// Event types: interactive, non-interactive, service principal, managed identity (beta).
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub sign_in_event_types: Vec<SignInEventType>,
    /// The identifier the user signed in with (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_identifier: Option<String>,
    /// Type of that identifier (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_identifier_type: Option<SignInIdentifierType>,
    /// Token protection status (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_token_protection_status: Option<TokenProtectionStatus>,
    /// Token issuer name (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_name: Option<String>,
    /// Token issuer type (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_issuer_type: Option<TokenIssuerType>,
    /// Unique token identifier (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_token_identifier: Option<String>,
    /// `member` or `guest` (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Session id (Event Hub stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// Token protection details (Event Hub stream).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_protection_status_details: Option<TokenProtectionStatusDetails>,
}

impl SignIn {
    /// The AADSTS result code (`status.errorCode`), when present.
    pub fn error_code(&self) -> Option<i64> {
        self.status.as_ref().and_then(|s| s.error_code)
    }

    /// Whether the sign-in succeeded (`status.errorCode` is 0).
    pub fn is_success(&self) -> bool {
        self.error_code() == Some(0)
    }

    /// Latitude and longitude, when both are known.
    pub fn coordinates(&self) -> Option<(f64, f64)> {
        let geo = self.location.as_ref()?.geo_coordinates.as_ref()?;
        Some((geo.latitude?, geo.longitude?))
    }

    /// Two-letter country or region code, when known and not empty.
    pub fn country(&self) -> Option<&str> {
        self.location
            .as_ref()?
            .country_or_region
            .as_deref()
            .filter(|c| !c.is_empty())
    }

    /// The kind of sign-in: the first of `signInEventTypes`, else interactive or non-interactive
    /// from `isInteractive`, else `None`.
    pub fn event_type(&self) -> Option<SignInEventType> {
        if let Some(first) = self.sign_in_event_types.first() {
            return Some(first.clone());
        }
        self.is_interactive.map(|i| {
            if i {
                SignInEventType::InteractiveUser
            } else {
                SignInEventType::NonInteractiveUser
            }
        })
    }
}

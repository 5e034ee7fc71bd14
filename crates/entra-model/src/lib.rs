//! Typed, lossless models of the Microsoft Graph / Entra ID data that identity threat detection
//! reads and writes.
//!
//! `entra-model` is pure data: serde types for sign-ins, users, groups, directory objects,
//! applications and their credentials, authentication methods, risk, conditional access, Intune
//! devices, directory audits and Event Hub diagnostic records, plus the catalogue of Graph
//! application permissions, the capabilities they unlock and what each remediation action needs.
//! It does no I/O: pair it with any HTTP client (oort's is `graph-client`).
//!
//! It is not a full Graph SDK: it models the properties security tooling needs, and is lenient
//! where Graph is loose.
//!
//! # Rules every type follows
//! - Every property is optional or defaults: Graph omits properties by licence, permission and
//!   `$select`, and sends `null` freely.
//! - Unknown properties are ignored, never an error. To lose nothing, parse into [`Raw<T>`],
//!   which keeps the exact JSON text next to the typed value.
//! - Enums documented by Graph are open: known variants plus `Other(String)`, which round-trips
//!   unchanged, and also accept the Event Hub stream's casing (`Member` for `member`).
//! - Timestamps are [`time::OffsetDateTime`], accepting `Z` or offsets and 0 to 7 fractional
//!   digits ([`timestamp`]).
//! - Polymorphic collections ([`DirectoryObject`], [`AuthenticationMethod`]) dispatch on
//!   `@odata.type` and keep unknown types with their raw JSON.
//!
//! # Example
//! ```
//! use entra_model::{Raw, SignIn, SignInEventType, RiskLevel};
//!
//! let page = br#"{"value": [{
//!     "id": "66ea54eb-6301-4ee5-be62-ff5a759b0100",
//!     "createdDateTime": "2024-05-01T10:11:12.1234567Z",
//!     "userPrincipalName": "adele@contoso.com",
//!     "status": {"errorCode": 50126, "failureReason": "Invalid username or password."},
//!     "location": {"countryOrRegion": "FR", "geoCoordinates": {"latitude": 48.85, "longitude": 2.35}},
//!     "riskLevelDuringSignIn": "somethingNew",
//!     "signInEventTypes": ["interactiveUser"],
//!     "aPropertyFromTheFuture": {"kept": true}
//! }]}"#;
//!
//! #[derive(serde::Deserialize)]
//! struct Page { value: Vec<Raw<SignIn>> }
//!
//! let page: Page = serde_json::from_slice(page).unwrap();
//! let sign_in = page.value[0].value();
//! assert_eq!(sign_in.error_code(), Some(50126));
//! assert_eq!(sign_in.country(), Some("FR"));
//! assert_eq!(sign_in.event_type(), Some(SignInEventType::InteractiveUser));
//! assert_eq!(sign_in.risk_level_during_sign_in, Some(RiskLevel::Other("somethingNew".into())));
//! assert!(page.value[0].json().contains("aPropertyFromTheFuture"));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod open_enum;

mod application;
mod audit;
mod auth_method;
mod de;
mod device;
mod directory;
mod event_hub;
mod group;
mod permissions;
mod policy;
mod raw;
mod risk;
mod sign_in;
pub mod timestamp;
mod user;

pub use application::{
    AppCredential, Application, CredentialKind, KeyCredential, PasswordCredential,
    RequiredResourceAccess, ResourceAccess, ServicePrincipal, ServicePrincipalType, SignInAudience,
};
pub use audit::{
    AuditActivityInitiator, AuditAppIdentity, AuditUserIdentity, DirectoryAudit, ModifiedProperty,
    OperationResult, TargetResource,
};
pub use auth_method::{
    AuthenticationMethod, EmailAuthenticationMethod, ExternalAuthenticationMethod,
    Fido2AuthenticationMethod, MicrosoftAuthenticatorAuthenticationMethod,
    PasswordAuthenticationMethod, PhoneAuthenticationMethod, PhoneType,
    PlatformCredentialAuthenticationMethod, SoftwareOathAuthenticationMethod,
    TemporaryAccessPassAuthenticationMethod, UserRegistrationDetails,
    WindowsHelloForBusinessAuthenticationMethod, ALTERNATE_MOBILE_PHONE_METHOD_ID, EMAIL_METHOD_ID,
    MOBILE_PHONE_METHOD_ID, OFFICE_PHONE_METHOD_ID, PASSWORD_METHOD_ID,
};
pub use device::{ComplianceState, ManagedDevice};
pub use directory::{
    AdministrativeUnit, BuiltInRole, Device, DirectoryObject, DirectoryRole, MemberDelta,
    OrgContact, Removed, RemovedReason, UnifiedRoleAssignment, UnifiedRoleDefinition,
    UnifiedRoleEligibilityScheduleInstance,
};
pub use event_hub::{
    DiagnosticRecord, EventHubError, EventHubErrorKind, EventHubMessage, LogCategory,
};
pub use group::Group;
pub use permissions::{
    Access, ActionAvailability, Capability, Clause, Licence, Permission, PermissionSet,
    RemediationAction, Requirement, UnknownPermission,
};
pub use policy::{
    ConditionalAccessApplications, ConditionalAccessClientApp, ConditionalAccessConditions,
    ConditionalAccessGrantControls, ConditionalAccessLocations, ConditionalAccessPlatforms,
    ConditionalAccessPolicy, ConditionalAccessPolicyState, ConditionalAccessSessionControls,
    ConditionalAccessUsers, SignInFrequencySessionControl,
};
pub use raw::Raw;
pub use risk::{
    ActivityType, RiskDetail, RiskDetection, RiskDetectionTimingType, RiskLevel, RiskState,
    RiskyUser,
};
pub use sign_in::{
    AppliedConditionalAccessPolicy, AppliedConditionalAccessPolicyResult,
    AuthenticationAppDeviceDetails, AuthenticationContext, AuthenticationDetail,
    AuthenticationProtocol, AuthenticationRequirementPolicy, ClientCredentialType,
    ConditionalAccessStatus, CrossTenantAccessType, DeviceDetail, GeoCoordinates,
    IncomingTokenType, KeyValue, ManagedIdentity, MfaDetail, NetworkLocationDetail,
    OriginalTransferMethod, PrivateLinkDetails, SessionLifetimePolicy, SignIn, SignInEventType,
    SignInIdentifierType, SignInLocation, SignInStatus, TokenIssuerType, TokenProtectionStatus,
    TokenProtectionStatusDetails,
};
pub use user::{
    AssignedLicense, CreationType, ExternalUserState, ObjectIdentity, RevokeSignInSessionsResponse,
    SignInActivity, User, UserType, UserTypeUpdate,
};

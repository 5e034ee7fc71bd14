//! Identity Protection: risk levels and states, risky users, risk detections.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::open_enum::open_enum;
use crate::sign_in::SignInLocation;

open_enum! {
    /// A risk level (`riskLevel`, `riskLevelAggregated`, `riskLevelDuringSignIn`). Tenants
    /// without Entra ID P2 receive `hidden`.
    pub enum RiskLevel {
        Low = "low",
        Medium = "medium",
        High = "high",
        Hidden = "hidden",
        None = "none",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// The state of a risky user, sign-in or detection (`riskState`).
    pub enum RiskState {
        None = "none",
        ConfirmedSafe = "confirmedSafe",
        Remediated = "remediated",
        Dismissed = "dismissed",
        AtRisk = "atRisk",
        ConfirmedCompromised = "confirmedCompromised",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// Why a risk state was reached (`riskDetail`). Non-P2 tenants receive `hidden`.
    pub enum RiskDetail {
        None = "none",
        AdminGeneratedTemporaryPassword = "adminGeneratedTemporaryPassword",
        UserPerformedSecuredPasswordChange = "userPerformedSecuredPasswordChange",
        UserPerformedSecuredPasswordReset = "userPerformedSecuredPasswordReset",
        AdminConfirmedSigninSafe = "adminConfirmedSigninSafe",
        AiConfirmedSigninSafe = "aiConfirmedSigninSafe",
        UserPassedMfaDrivenByRiskBasedPolicy = "userPassedMFADrivenByRiskBasedPolicy",
        AdminDismissedAllRiskForUser = "adminDismissedAllRiskForUser",
        AdminConfirmedSigninCompromised = "adminConfirmedSigninCompromised",
        Hidden = "hidden",
        AdminConfirmedUserCompromised = "adminConfirmedUserCompromised",
        UnknownFutureValue = "unknownFutureValue",
        AdminConfirmedServicePrincipalCompromised = "adminConfirmedServicePrincipalCompromised",
        AdminDismissedAllRiskForServicePrincipal = "adminDismissedAllRiskForServicePrincipal",
        M365DAdminDismissedDetection = "m365DAdminDismissedDetection",
        UserChangedPasswordOnPremises = "userChangedPasswordOnPremises",
        AdminDismissedRiskForSignIn = "adminDismissedRiskForSignIn",
        AdminConfirmedAccountSafe = "adminConfirmedAccountSafe",
    }
}

open_enum! {
    /// Whether a risk detection was computed in real time or offline (`detectionTimingType`).
    pub enum RiskDetectionTimingType {
        NotDefined = "notDefined",
        Realtime = "realtime",
        NearRealtime = "nearRealtime",
        Offline = "offline",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// The kind of activity a risk detection is about (`activity`).
    pub enum ActivityType {
        SignIn = "signin",
        User = "user",
        UnknownFutureValue = "unknownFutureValue",
        ServicePrincipal = "servicePrincipal",
    }
}

/// A user flagged by Identity Protection (`GET /identityProtection/riskyUsers`; needs P2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RiskyUser {
    /// The user's object id.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Whether the user has been deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_deleted: Option<bool>,
    /// Whether the backend is still processing the user's risk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_processing: Option<bool>,
    /// When the risk was last updated.
    #[serde(
        default,
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub risk_last_updated_date_time: Option<OffsetDateTime>,
    /// The aggregated risk level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<RiskLevel>,
    /// The risk state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_state: Option<RiskState>,
    /// Why the state was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_detail: Option<RiskDetail>,
    /// The user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    /// The user's UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
}

/// A risk detection (`GET /identityProtection/riskDetections`; P1/P2, full detail with P2).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct RiskDetection {
    /// The detection id.
    #[serde(default, deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// The request id of the sign-in the detection is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The correlation id of the sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// The detection type, e.g. `unlikelyTravel`, `anonymizedIPAddress` (free text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_event_type: Option<String>,
    /// Older beta name of the detection type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_type: Option<String>,
    /// The risk state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_state: Option<RiskState>,
    /// The risk level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_level: Option<RiskLevel>,
    /// Why the state was reached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub risk_detail: Option<RiskDetail>,
    /// Where the detection came from, e.g. `IdentityProtection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Real time or offline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection_timing_type: Option<RiskDetectionTimingType>,
    /// Sign-in or user activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivityType>,
    /// The token issuer of the sign-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_issuer_type: Option<crate::sign_in::TokenIssuerType>,
    /// The client IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// Where the activity came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<SignInLocation>,
    /// When the risky activity happened.
    #[serde(
        default,
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub activity_date_time: Option<OffsetDateTime>,
    /// When the risk was detected.
    #[serde(
        default,
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub detected_date_time: Option<OffsetDateTime>,
    /// When the detection was last updated.
    #[serde(
        default,
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_updated_date_time: Option<OffsetDateTime>,
    /// The user's object id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The user's display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    /// The user's UPN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Extra detection details as a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<String>,
}

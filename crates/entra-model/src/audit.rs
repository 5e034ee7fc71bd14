//! Directory audit log entries (`directoryAudit`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::open_enum::open_enum;
use crate::sign_in::KeyValue;

open_enum! {
    /// Outcome of an audited operation (`result`).
    pub enum OperationResult {
        Success = "success",
        Failure = "failure",
        Timeout = "timeout",
        UnknownFutureValue = "unknownFutureValue",
    }
}

/// The user who started an audited operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuditUserIdentity {
    /// Object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// UPN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Client IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_address: Option<String>,
    /// User type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
}

/// The application that started an audited operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuditAppIdentity {
    /// App id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Service principal id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_id: Option<String>,
    /// Service principal name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_principal_name: Option<String>,
}

/// Who started an audited operation (`initiatedBy`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AuditActivityInitiator {
    /// A user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<AuditUserIdentity>,
    /// An application.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AuditAppIdentity>,
}

/// A property changed by an audited operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ModifiedProperty {
    /// Property name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Old value (JSON text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_value: Option<String>,
    /// New value (JSON text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<String>,
}

/// An object an audited operation touched (`targetResources`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct TargetResource {
    /// Object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Object type, e.g. `User` (some examples spell the key `Type`).
    #[serde(
        rename = "type",
        skip_serializing_if = "Option::is_none",
        alias = "Type"
    )]
    pub resource_type: Option<String>,
    /// UPN, for users.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Group type, for groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_type: Option<String>,
    /// Changed properties.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub modified_properties: Vec<ModifiedProperty>,
}

/// A directory audit log entry (`GET /auditLogs/directoryAudits`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DirectoryAudit {
    /// Entry id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Category, e.g. `UserManagement`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Outcome.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<OperationResult>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_reason: Option<String>,
    /// Activity, e.g. `Delete user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity_display_name: Option<String>,
    /// When it happened.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub activity_date_time: Option<OffsetDateTime>,
    /// Service, e.g. `Core Directory`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logged_by_service: Option<String>,
    /// `Add`, `Update`, `Delete`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_type: Option<String>,
    /// Who started it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initiated_by: Option<AuditActivityInitiator>,
    /// What it touched.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub target_resources: Vec<TargetResource>,
    /// More details.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub additional_details: Vec<KeyValue>,
}

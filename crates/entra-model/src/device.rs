//! Intune managed devices (`managedDevice`).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::open_enum::open_enum;

open_enum! {
    /// Compliance of a managed device (`complianceState`).
    pub enum ComplianceState {
        Unknown = "unknown",
        Compliant = "compliant",
        Noncompliant = "noncompliant",
        Conflict = "conflict",
        Error = "error",
        InGracePeriod = "inGracePeriod",
        ConfigManager = "configManager",
    }
}

/// A device managed by Intune (`GET /deviceManagement/managedDevices`; needs an Intune licence).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ManagedDevice {
    /// Intune device id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Device name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_name: Option<String>,
    /// Object id of the primary user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// UPN of the primary user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name of the primary user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_display_name: Option<String>,
    /// E-mail of the primary user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
    /// Operating system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    /// OS version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub os_version: Option<String>,
    /// Compliance state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compliance_state: Option<ComplianceState>,
    /// Management agent, e.g. `mdm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_agent: Option<String>,
    /// `company` or `personal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_device_owner_type: Option<String>,
    /// Management state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub management_state: Option<String>,
    /// Enrollment type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_enrollment_type: Option<String>,
    /// Registration state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_registration_state: Option<String>,
    /// Enrollment time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub enrolled_date_time: Option<OffsetDateTime>,
    /// Last sync with Intune.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sync_date_time: Option<OffsetDateTime>,
    /// The Entra device id (what sign-ins' `deviceDetail.deviceId` holds).
    #[serde(rename = "azureADDeviceId", skip_serializing_if = "Option::is_none")]
    pub azure_ad_device_id: Option<String>,
    /// Whether the device is registered in Entra ID.
    #[serde(rename = "azureADRegistered", skip_serializing_if = "Option::is_none")]
    pub azure_ad_registered: Option<bool>,
    /// Whether storage is encrypted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_encrypted: Option<bool>,
    /// Whether the device is supervised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_supervised: Option<bool>,
    /// Jailbreak state, e.g. `Unknown`, `True`, `False`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jail_broken: Option<String>,
    /// Serial number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
    /// Model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Manufacturer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// IMEI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub imei: Option<String>,
    /// Phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Wi-Fi MAC address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wi_fi_mac_address: Option<String>,
    /// Total storage in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_storage_space_in_bytes: Option<i64>,
    /// Free storage in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_storage_space_in_bytes: Option<i64>,
    /// Grace period expiry for compliance.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub compliance_grace_period_expiration_date_time: Option<OffsetDateTime>,
}

//! Groups (`group`) with delta annotations.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::directory::{MemberDelta, Removed};

/// A group (`GET /groups`, `GET /groups/delta`).
///
/// In a delta response `members_delta` carries membership changes (`members@delta`) and
/// `removed` marks a deleted group. The group's timestamps are informational and read leniently
/// (an unreadable value is `None`; see [`crate::timestamp::lenient`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Group {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Unified` for Microsoft 365 groups, `DynamicMembership` for dynamic groups.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub group_types: Vec<String>,
    /// Whether this is a security group.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_enabled: Option<bool>,
    /// Whether the group is mail-enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_enabled: Option<bool>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Mail nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_nickname: Option<String>,
    /// Dynamic membership rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_rule: Option<String>,
    /// `On` or `Paused`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_rule_processing_state: Option<String>,
    /// Whether the group is synced from on-premises AD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_sync_enabled: Option<bool>,
    /// Security identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_identifier: Option<String>,
    /// `Private`, `Public` or `HiddenMembership`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// Whether the group can be assigned to a directory role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_assignable_to_role: Option<bool>,
    /// Classification label.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub classification: Option<String>,
    /// App that created the group (beta).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_by_app_id: Option<String>,
    /// Proxy addresses.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub proxy_addresses: Vec<String>,
    /// Licences assigned through the group.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub assigned_licenses: Vec<crate::user::AssignedLicense>,
    /// On-premises SAM account name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_sam_account_name: Option<String>,
    /// On-premises security identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_security_identifier: Option<String>,
    /// Last on-premises sync.
    #[serde(
        with = "crate::timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_premises_last_sync_date_time: Option<OffsetDateTime>,
    /// Expiry of a Microsoft 365 group under an expiration policy.
    #[serde(
        with = "crate::timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_date_time: Option<OffsetDateTime>,
    /// Creation time.
    #[serde(
        with = "crate::timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// Last renewal time.
    #[serde(
        with = "crate::timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub renewed_date_time: Option<OffsetDateTime>,
    /// When the group was deleted.
    #[serde(
        with = "crate::timestamp::lenient",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
    /// Delta: membership changes (`members@delta`).
    #[serde(
        rename = "members@delta",
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub members_delta: Vec<MemberDelta>,
    /// Delta: the group was removed (`@removed`).
    #[serde(rename = "@removed", skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

impl Group {
    /// Whether `groupTypes` contains `DynamicMembership`.
    pub fn is_dynamic(&self) -> bool {
        self.group_types.iter().any(|t| t == "DynamicMembership")
    }

    /// Whether `groupTypes` contains `Unified` (a Microsoft 365 group).
    pub fn is_microsoft_365(&self) -> bool {
        self.group_types.iter().any(|t| t == "Unified")
    }
}

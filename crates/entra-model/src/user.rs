//! Users (`user`) and their sign-in activity.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::directory::Removed;
use crate::open_enum::open_enum;

open_enum! {
    /// Member or guest. Graph spells it `Member`/`Guest` on users and `member`/`guest` in
    /// sign-ins and reports; both parse (matching is case-insensitive) and print as on users.
    pub enum UserType {
        Member = "Member",
        Guest = "Guest",
        UnknownFutureValue = "unknownFutureValue",
    }
}

open_enum! {
    /// State of a B2B invitation (`externalUserState`).
    pub enum ExternalUserState {
        PendingAcceptance = "PendingAcceptance",
        Accepted = "Accepted",
    }
}

open_enum! {
    /// How a user account was created (`creationType`; absent for ordinary work accounts).
    pub enum CreationType {
        Invitation = "Invitation",
        LocalAccount = "LocalAccount",
        EmailVerified = "EmailVerified",
        SelfServiceSignUp = "SelfServiceSignUp",
    }
}

/// The last sign-ins of a user (`signInActivity`; needs P1/P2 and `AuditLog.Read.All`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct SignInActivity {
    /// Last interactive sign-in attempt, successful or not.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_sign_in_date_time: Option<OffsetDateTime>,
    /// Request id of that sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_sign_in_request_id: Option<String>,
    /// Last non-interactive sign-in attempt.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_non_interactive_sign_in_date_time: Option<OffsetDateTime>,
    /// Request id of that sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_non_interactive_sign_in_request_id: Option<String>,
    /// Last successful sign-in, interactive or not (data from December 2023 on).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_successful_sign_in_date_time: Option<OffsetDateTime>,
    /// Request id of that sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_successful_sign_in_request_id: Option<String>,
}

/// A licence assigned to a user (`assignedLicense`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AssignedLicense {
    /// SKU id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sku_id: Option<String>,
    /// Service plans disabled in the SKU.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub disabled_plans: Vec<String>,
}

/// A sign-in identity of a user (`objectIdentity`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct ObjectIdentity {
    /// E.g. `userPrincipalName`, `emailAddress`, `federated`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_type: Option<String>,
    /// Issuer, e.g. the tenant domain or `facebook.com`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// The identifier at the issuer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_assigned_id: Option<String>,
}

/// A user (`GET /users`, `GET /users/delta`).
///
/// Most properties need `$select`; every one is optional. `removed` is set on a delta entry for a
/// deleted user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct User {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// UPN; guests have `…#EXT#@tenant` UPNs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_principal_name: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Primary SMTP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Mail nickname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail_nickname: Option<String>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Company name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Mobile phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mobile_phone: Option<String>,
    /// Business phones.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub business_phones: Vec<String>,
    /// Office location.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office_location: Option<String>,
    /// Preferred language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_language: Option<String>,
    /// Usage location (two-letter country code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage_location: Option<String>,
    /// Whether the account can sign in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// Member or guest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_type: Option<UserType>,
    /// Invitation state of a guest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_user_state: Option<ExternalUserState>,
    /// When the invitation state last changed.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub external_user_state_change_date_time: Option<OffsetDateTime>,
    /// When the user was created (absent for some users created before June 2018).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub created_date_time: Option<OffsetDateTime>,
    /// How the account was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub creation_type: Option<CreationType>,
    /// Whether the user is synced from on-premises AD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_sync_enabled: Option<bool>,
    /// Last on-premises sync.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub on_premises_last_sync_date_time: Option<OffsetDateTime>,
    /// On-premises immutable id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_immutable_id: Option<String>,
    /// On-premises SAM account name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_sam_account_name: Option<String>,
    /// On-premises security identifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_security_identifier: Option<String>,
    /// On-premises UPN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_user_principal_name: Option<String>,
    /// On-premises domain name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_domain_name: Option<String>,
    /// Last password change.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub last_password_change_date_time: Option<OffsetDateTime>,
    /// Password policies, e.g. `DisablePasswordExpiration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_policies: Option<String>,
    /// Tokens issued before this time are invalid (moved by `revokeSignInSessions`).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub sign_in_sessions_valid_from_date_time: Option<OffsetDateTime>,
    /// Assigned licences.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub assigned_licenses: Vec<AssignedLicense>,
    /// Sign-in identities.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub identities: Vec<ObjectIdentity>,
    /// Other e-mail addresses.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub other_mails: Vec<String>,
    /// Proxy addresses.
    #[serde(
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "crate::de::null_default"
    )]
    pub proxy_addresses: Vec<String>,
    /// Employee id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_id: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State or province.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Country or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Employee type, e.g. `Contractor`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employee_type: Option<String>,
    /// Hire date.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub employee_hire_date: Option<OffsetDateTime>,
    /// Whether this is a resource account (room, equipment).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_resource_account: Option<bool>,
    /// On-premises distinguished name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_distinguished_name: Option<String>,
    /// On-premises extension attributes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_premises_extension_attributes: Option<serde_json::Value>,
    /// Beta name of `signInSessionsValidFromDateTime`.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub refresh_tokens_valid_from_date_time: Option<OffsetDateTime>,
    /// Last sign-ins (needs `$select=signInActivity`, P1/P2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign_in_activity: Option<SignInActivity>,
    /// When the user was deleted (deleted items only).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
    /// Delta: the user was removed (`@removed`).
    #[serde(rename = "@removed", skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

impl User {
    /// Whether `userType` is `Guest`.
    pub fn is_guest(&self) -> bool {
        self.user_type == Some(UserType::Guest)
    }

    /// What marks this account as belonging to someone outside the tenant (a B2B guest), each
    /// as a short phrase; empty for an account of the tenant itself, whatever its `userType`.
    ///
    /// The marks, from the `user` resource (`api-reference/v1.0/resources/user.md`): `creationType`
    /// `Invitation` (created by a B2B invitation), `externalUserState` set (the state of that
    /// invitation), `#EXT#` in the user principal name (the form Entra gives invited users), and
    /// an identity of `signInType` `federated`, i.e. issued by another organization or a social
    /// provider (`api-reference/v1.0/resources/objectidentity.md`). They need `$select`.
    pub fn external_identity_marks(&self) -> Vec<String> {
        let mut marks = Vec::new();
        if self.creation_type == Some(CreationType::Invitation) {
            marks.push("creationType Invitation".to_owned());
        }
        if let Some(state) = &self.external_user_state {
            marks.push(format!("externalUserState {state}"));
        }
        if self
            .user_principal_name
            .as_deref()
            .is_some_and(|u| u.to_ascii_uppercase().contains("#EXT#"))
        {
            marks.push("#EXT# user principal name".to_owned());
        }
        for identity in &self.identities {
            if identity
                .sign_in_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("federated"))
            {
                marks.push(format!(
                    "identity issued by {}",
                    identity.issuer.as_deref().unwrap_or("an external provider")
                ));
            }
        }
        marks
    }

    /// Whether the account is enabled; `None` when `accountEnabled` was not selected.
    pub fn is_enabled(&self) -> Option<bool> {
        self.account_enabled
    }

    /// Last successful sign-in (interactive or not), when known.
    pub fn last_successful_sign_in(&self) -> Option<OffsetDateTime> {
        self.sign_in_activity
            .as_ref()
            .and_then(|a| a.last_successful_sign_in_date_time)
    }

    /// Latest sign-in attempt of any kind (interactive, non-interactive or successful), when known.
    pub fn last_sign_in(&self) -> Option<OffsetDateTime> {
        let a = self.sign_in_activity.as_ref()?;
        [
            a.last_sign_in_date_time,
            a.last_non_interactive_sign_in_date_time,
            a.last_successful_sign_in_date_time,
        ]
        .into_iter()
        .flatten()
        .max()
    }
}

/// The body of `PATCH /users/{id}` that changes a user's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UserTypeUpdate {
    /// The new type.
    pub user_type: UserType,
}

impl UserTypeUpdate {
    /// A PATCH body setting `userType`.
    pub fn new(user_type: UserType) -> Self {
        UserTypeUpdate { user_type }
    }
}

/// The answer of `POST /users/{id}/revokeSignInSessions` (`{"value": true}`; Graph has also
/// answered 204 with no body, which callers should treat as success).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RevokeSignInSessionsResponse {
    /// Whether the sessions were revoked.
    pub value: Option<bool>,
}

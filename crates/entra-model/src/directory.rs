//! Directory objects: the polymorphic `directoryObject`, devices, contacts, roles, delta annotations.

use std::borrow::Cow;
use std::fmt;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::application::{Application, ServicePrincipal};
use crate::group::Group;
use crate::open_enum::open_enum;
use crate::user::User;

open_enum! {
    /// Why a delta entry was removed (`@removed.reason`).
    pub enum RemovedReason {
        /// Soft-deleted (restorable from deleted items for 30 days) or, for a membership,
        /// removed from the group.
        Changed = "changed",
        /// Permanently deleted.
        Deleted = "deleted",
    }
}

/// The `@removed` annotation of a delta entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Removed {
    /// Why the object was removed; absent in some responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<RemovedReason>,
}

impl Removed {
    /// An `@removed` annotation with a reason.
    pub fn new(reason: RemovedReason) -> Self {
        Removed {
            reason: Some(reason),
        }
    }
}

/// One entry of a group's `members@delta` in a groups delta response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct MemberDelta {
    /// The member's type, e.g. `#microsoft.graph.user`.
    #[serde(rename = "@odata.type", skip_serializing_if = "Option::is_none")]
    pub odata_type: Option<String>,
    /// The member's object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Set when the member left the group (or was deleted).
    #[serde(rename = "@removed", skip_serializing_if = "Option::is_none")]
    pub removed: Option<Removed>,
}

impl MemberDelta {
    /// Whether this entry removes the member.
    pub fn is_removed(&self) -> bool {
        self.removed.is_some()
    }
}

/// A device registered in the directory (`device`; distinct from an Intune managed device).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct Device {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// The device id (the `deviceId` sign-ins refer to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Operating system.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system: Option<String>,
    /// Operating system version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operating_system_version: Option<String>,
    /// Whether the device is enabled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_enabled: Option<bool>,
    /// Join type: `Workplace`, `AzureAd`, `ServerAd`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_type: Option<String>,
    /// Whether the device is compliant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_compliant: Option<bool>,
    /// Whether the device is managed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_managed: Option<bool>,
    /// Profile type, e.g. `RegisteredDevice`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_type: Option<String>,
    /// Manufacturer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// Model.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Last sign-in, approximately.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub approximate_last_sign_in_date_time: Option<OffsetDateTime>,
    /// Registration time.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub registration_date_time: Option<OffsetDateTime>,
    /// When the device was deleted.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
}

/// An organizational contact (`orgContact`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct OrgContact {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mail: Option<String>,
    /// Given name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Surname.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_name: Option<String>,
    /// Job title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
    /// When the contact was deleted.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
}

/// An activated directory role (`GET /directoryRoles`; the list does not page).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DirectoryRole {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Role name, e.g. `Global Administrator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Template id: the same in every tenant (see [`DirectoryRole::GLOBAL_ADMINISTRATOR_TEMPLATE_ID`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_template_id: Option<String>,
    /// When the role was deleted.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
}

impl DirectoryRole {
    /// Template id of Global Administrator.
    pub const GLOBAL_ADMINISTRATOR_TEMPLATE_ID: &'static str =
        "62e90394-69f5-4237-9190-012177145e10";

    /// Template ids of the privileged roles whose members oort treats as administrators
    /// (Global, Privileged Role, Privileged Authentication, Security, Conditional Access,
    /// Exchange, SharePoint, User, Helpdesk, Authentication, Application, Cloud Application,
    /// Hybrid Identity, Billing Administrator).
    pub const PRIVILEGED_TEMPLATE_IDS: &'static [&'static str] = &[
        "62e90394-69f5-4237-9190-012177145e10",
        "e8611ab8-c189-46e8-94e1-60213ab1f814",
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        "194ae4cb-b126-40b2-bd5b-6091b380977d",
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        "29232cdf-9323-42fd-ade2-1d097af3e4de",
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        "fe930be7-5e62-47db-91af-98c3a49a38b1",
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        "158c047a-c907-4556-b7ef-446551a6b5f7",
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        "b0f54661-2d74-4c50-afa3-1ec803f12efe",
    ];

    /// Whether this is the Global Administrator role.
    pub fn is_global_administrator(&self) -> bool {
        self.role_template_id.as_deref() == Some(Self::GLOBAL_ADMINISTRATOR_TEMPLATE_ID)
    }

    /// Whether this role is one of [`Self::PRIVILEGED_TEMPLATE_IDS`].
    pub fn is_privileged(&self) -> bool {
        self.role_template_id
            .as_deref()
            .is_some_and(|t| Self::PRIVILEGED_TEMPLATE_IDS.contains(&t))
    }
}

/// A built-in directory role oort protects from remediation unless an administrator overrides:
/// its name and template id.
pub type BuiltInRole = (&'static str, &'static str);

impl DirectoryRole {
    /// The built-in roles that remediation treats as privileged when the tenant's own
    /// `isPrivileged` flags (beta `roleDefinitions`) cannot be read: every role the page
    /// "Microsoft Entra built-in roles" labels privileged, plus Exchange and SharePoint
    /// Administrator (not labelled, but they manage mailboxes and sites of every user).
    ///
    /// Source: `MicrosoftDocs/entra-docs` `docs/identity/role-based-access-control/permissions-reference.md`
    /// (ms.date 01/20/2026), the "All roles" table and its "Privileged" label. Not the same list
    /// as [`Self::PRIVILEGED_TEMPLATE_IDS`], which names the administrator roles the posture
    /// checks hold to stronger authentication.
    pub const BUILT_IN_PRIVILEGED_ROLES: &'static [BuiltInRole] = &[
        (
            "Global Administrator",
            "62e90394-69f5-4237-9190-012177145e10",
        ),
        (
            "Privileged Role Administrator",
            "e8611ab8-c189-46e8-94e1-60213ab1f814",
        ),
        (
            "Privileged Authentication Administrator",
            "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",
        ),
        (
            "Security Administrator",
            "194ae4cb-b126-40b2-bd5b-6091b380977d",
        ),
        ("Security Operator", "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f"),
        ("Security Reader", "5d6b6bb7-de71-4623-b4af-96380a352509"),
        (
            "Application Administrator",
            "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
        ),
        (
            "Application Developer",
            "cf1c38e5-3621-4004-a7cb-879624dced7c",
        ),
        (
            "Cloud Application Administrator",
            "158c047a-c907-4556-b7ef-446551a6b5f7",
        ),
        (
            "Authentication Administrator",
            "c4e39bd9-1100-46d3-8c65-fb160da0071f",
        ),
        (
            "Authentication Extensibility Administrator",
            "25a516ed-2fa0-40ea-a2d0-12923a21473a",
        ),
        (
            "Conditional Access Administrator",
            "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
        ),
        (
            "Hybrid Identity Administrator",
            "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",
        ),
        ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
        (
            "Helpdesk Administrator",
            "729827e3-9c14-49f7-bb1b-9608f156bbb8",
        ),
        (
            "Password Administrator",
            "966707d0-3269-4727-9be2-8c3a10f19b9d",
        ),
        (
            "Exchange Administrator",
            "29232cdf-9323-42fd-ade2-1d097af3e4de",
        ),
        (
            "SharePoint Administrator",
            "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",
        ),
        (
            "Intune Administrator",
            "3a2c62db-5318-420d-8d74-23affee5d9d5",
        ),
        (
            "Cloud Device Administrator",
            "7698a772-787b-4ac8-901f-60d6b08affd2",
        ),
        ("Directory Writers", "9360feb5-f418-4baa-8175-e2a00bac4301"),
        (
            "Domain Name Administrator",
            "8329153b-31d0-4727-b945-745eb3bc5f31",
        ),
        (
            "External Identity Provider Administrator",
            "be2f45a1-457d-42af-a067-6ec1fa63bc45",
        ),
        ("Global Reader", "f2ef992c-3afb-46b9-b7cf-a126ee74c451"),
        (
            "Lifecycle Workflows Administrator",
            "59d46f88-662b-457b-bceb-5c3809e5908f",
        ),
        (
            "Attribute Provisioning Administrator",
            "ecb2c6bf-0ab6-418e-bd87-7986f8d63bbe",
        ),
        (
            "Attribute Provisioning Reader",
            "422218e4-db15-4ef9-bbe0-8afb41546d79",
        ),
        (
            "B2C IEF Keyset Administrator",
            "aaf43236-0c0d-4d5f-883a-6955382ac081",
        ),
        (
            "Agent ID Administrator",
            "db506228-d27e-4b7d-95e5-295956d6615f",
        ),
        (
            "Partner Tier1 Support",
            "4ba39ca4-527c-499a-b93d-d9b492c50246",
        ),
        (
            "Partner Tier2 Support",
            "e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8",
        ),
    ];

    /// The built-in privileged role with this template (or built-in definition) id, from
    /// [`Self::BUILT_IN_PRIVILEGED_ROLES`] (case-insensitive).
    pub fn built_in_privileged(template_id: &str) -> Option<BuiltInRole> {
        Self::BUILT_IN_PRIVILEGED_ROLES
            .iter()
            .find(|(_, id)| id.eq_ignore_ascii_case(template_id))
            .copied()
    }
}

/// A role definition (`GET /roleManagement/directory/roleDefinitions`). For built-in roles the
/// id is the template id.
///
/// `isPrivileged` is a beta property (`api-reference/beta/resources/unifiedroledefinition.md`:
/// "Flag indicating if the role is privileged"); v1.0 does not send it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct UnifiedRoleDefinition {
    /// Definition id (the template id for built-in roles).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Role name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Template id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<String>,
    /// Whether it is a built-in role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_built_in: Option<bool>,
    /// Whether the role is privileged (beta only; `None` when not sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_privileged: Option<bool>,
}

/// An instance of a role eligibility (`GET /roleManagement/directory/roleEligibilityScheduleInstances`,
/// Privileged Identity Management): the principal may activate the role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct UnifiedRoleEligibilityScheduleInstance {
    /// Instance id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Object id of the eligible principal (a user or a role-assignable group).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Role definition id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<String>,
    /// Directory scope, `/` for the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_scope_id: Option<String>,
    /// App scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_scope_id: Option<String>,
    /// Start of the eligibility.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_date_time: Option<OffsetDateTime>,
    /// End of the eligibility (`None`: permanent).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub end_date_time: Option<OffsetDateTime>,
    /// `Direct`, `Group` or `Inherited`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_type: Option<String>,
    /// The schedule this instance belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_eligibility_schedule_id: Option<String>,
}

/// A role assignment (`GET /roleManagement/directory/roleAssignments`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct UnifiedRoleAssignment {
    /// Assignment id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Object id of the assignee.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal_id: Option<String>,
    /// Role definition id (the template id for built-in roles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_definition_id: Option<String>,
    /// Directory scope, `/` for the tenant.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub directory_scope_id: Option<String>,
    /// App scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_scope_id: Option<String>,
    /// The assignee, with `$expand=principal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<DirectoryObject>,
}

/// An administrative unit (`administrativeUnit`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct AdministrativeUnit {
    /// Object id.
    #[serde(deserialize_with = "crate::de::null_default")]
    pub id: String,
    /// Display name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `Public` or `HiddenMembership`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
    /// `Assigned` or `Dynamic`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_type: Option<String>,
    /// Dynamic membership rule.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_rule: Option<String>,
    /// Whether management of members is restricted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_member_management_restricted: Option<bool>,
    /// When the unit was deleted.
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub deleted_date_time: Option<OffsetDateTime>,
}

/// A member of a group or role: a `directoryObject` distinguished by `@odata.type`.
///
/// Known types parse into their model; any other type (or an object without `@odata.type`) is
/// kept as [`DirectoryObject::Other`] with its type name, id and raw JSON, never an error. When
/// the app may not read a member's type, Graph still returns it with only type and id.
#[derive(Clone)]
#[non_exhaustive]
pub enum DirectoryObject {
    /// `#microsoft.graph.user`
    User(Box<User>),
    /// `#microsoft.graph.group`
    Group(Box<Group>),
    /// `#microsoft.graph.servicePrincipal`
    ServicePrincipal(Box<ServicePrincipal>),
    /// `#microsoft.graph.device`
    Device(Box<Device>),
    /// `#microsoft.graph.orgContact`
    OrgContact(Box<OrgContact>),
    /// `#microsoft.graph.application`
    Application(Box<Application>),
    /// Any other type, kept as received.
    Other {
        /// The `@odata.type` value, if any.
        odata_type: Option<String>,
        /// The `id`, if any.
        id: Option<String>,
        /// The object's JSON text.
        raw: Box<RawValue>,
    },
}

impl PartialEq for DirectoryObject {
    fn eq(&self, other: &Self) -> bool {
        use DirectoryObject as D;
        match (self, other) {
            (D::User(a), D::User(b)) => a == b,
            (D::Group(a), D::Group(b)) => a == b,
            (D::ServicePrincipal(a), D::ServicePrincipal(b)) => a == b,
            (D::Device(a), D::Device(b)) => a == b,
            (D::OrgContact(a), D::OrgContact(b)) => a == b,
            (D::Application(a), D::Application(b)) => a == b,
            (D::Other { raw: a, .. }, D::Other { raw: b, .. }) => a.get() == b.get(),
            _ => false,
        }
    }
}

impl fmt::Debug for DirectoryObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DirectoryObject::User(v) => f.debug_tuple("User").field(v).finish(),
            DirectoryObject::Group(v) => f.debug_tuple("Group").field(v).finish(),
            DirectoryObject::ServicePrincipal(v) => {
                f.debug_tuple("ServicePrincipal").field(v).finish()
            }
            DirectoryObject::Device(v) => f.debug_tuple("Device").field(v).finish(),
            DirectoryObject::OrgContact(v) => f.debug_tuple("OrgContact").field(v).finish(),
            DirectoryObject::Application(v) => f.debug_tuple("Application").field(v).finish(),
            DirectoryObject::Other { odata_type, id, .. } => f
                .debug_struct("Other")
                .field("odata_type", odata_type)
                .field("id", id)
                .finish_non_exhaustive(),
        }
    }
}

/// Reduces `#microsoft.graph.user` (any case, with or without `#`) to `user`.
pub(crate) fn short_type_name(odata_type: &str) -> &str {
    let t = odata_type.strip_prefix('#').unwrap_or(odata_type);
    match t.get(..16) {
        Some(p) if p.eq_ignore_ascii_case("microsoft.graph.") => &t[16..],
        _ => t,
    }
}

#[derive(Deserialize)]
pub(crate) struct TypeProbe<'a> {
    #[serde(rename = "@odata.type", borrow, default)]
    pub(crate) odata_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    pub(crate) id: Option<Cow<'a, str>>,
}

impl DirectoryObject {
    /// Parses a directory object from its JSON text, dispatching on `@odata.type`.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, serde_json::Error> {
        let probe: TypeProbe<'_> = serde_json::from_str(raw.get())?;
        let short = probe.odata_type.as_deref().map(short_type_name);
        let parsed = match short {
            Some(t) if t.eq_ignore_ascii_case("user") => {
                DirectoryObject::User(serde_json::from_str(raw.get())?)
            }
            Some(t) if t.eq_ignore_ascii_case("group") => {
                DirectoryObject::Group(serde_json::from_str(raw.get())?)
            }
            Some(t) if t.eq_ignore_ascii_case("servicePrincipal") => {
                DirectoryObject::ServicePrincipal(serde_json::from_str(raw.get())?)
            }
            Some(t) if t.eq_ignore_ascii_case("device") => {
                DirectoryObject::Device(serde_json::from_str(raw.get())?)
            }
            Some(t) if t.eq_ignore_ascii_case("orgContact") => {
                DirectoryObject::OrgContact(serde_json::from_str(raw.get())?)
            }
            Some(t) if t.eq_ignore_ascii_case("application") => {
                DirectoryObject::Application(serde_json::from_str(raw.get())?)
            }
            _ => {
                let odata_type = probe.odata_type.map(Cow::into_owned);
                let id = probe.id.map(Cow::into_owned);
                return Ok(DirectoryObject::Other {
                    odata_type,
                    id,
                    raw,
                });
            }
        };
        Ok(parsed)
    }

    /// The object id (`None` only for an `Other` without an id).
    pub fn id(&self) -> Option<&str> {
        match self {
            DirectoryObject::User(v) => Some(&v.id),
            DirectoryObject::Group(v) => Some(&v.id),
            DirectoryObject::ServicePrincipal(v) => Some(&v.id),
            DirectoryObject::Device(v) => Some(&v.id),
            DirectoryObject::OrgContact(v) => Some(&v.id),
            DirectoryObject::Application(v) => Some(&v.id),
            DirectoryObject::Other { id, .. } => id.as_deref(),
        }
    }

    /// The full `@odata.type` name, e.g. `#microsoft.graph.user` (`None` for an untyped `Other`).
    pub fn odata_type(&self) -> Option<&str> {
        Some(match self {
            DirectoryObject::User(_) => "#microsoft.graph.user",
            DirectoryObject::Group(_) => "#microsoft.graph.group",
            DirectoryObject::ServicePrincipal(_) => "#microsoft.graph.servicePrincipal",
            DirectoryObject::Device(_) => "#microsoft.graph.device",
            DirectoryObject::OrgContact(_) => "#microsoft.graph.orgContact",
            DirectoryObject::Application(_) => "#microsoft.graph.application",
            DirectoryObject::Other { odata_type, .. } => return odata_type.as_deref(),
        })
    }

    /// The short type name: `user`, `group`, `servicePrincipal`, `device`, ... or the kept name.
    pub fn type_name(&self) -> Option<&str> {
        self.odata_type().map(short_type_name)
    }

    /// The user, when this is one.
    pub fn as_user(&self) -> Option<&User> {
        match self {
            DirectoryObject::User(u) => Some(u),
            _ => None,
        }
    }

    /// The display name, when the type has one and it was returned.
    pub fn display_name(&self) -> Option<&str> {
        match self {
            DirectoryObject::User(v) => v.display_name.as_deref(),
            DirectoryObject::Group(v) => v.display_name.as_deref(),
            DirectoryObject::ServicePrincipal(v) => v.display_name.as_deref(),
            DirectoryObject::Device(v) => v.display_name.as_deref(),
            DirectoryObject::OrgContact(v) => v.display_name.as_deref(),
            DirectoryObject::Application(v) => v.display_name.as_deref(),
            DirectoryObject::Other { .. } => None,
        }
    }
}

impl<'de> Deserialize<'de> for DirectoryObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        DirectoryObject::from_raw(raw).map_err(D::Error::custom)
    }
}

fn serialize_tagged<S: Serializer, T: Serialize>(
    serializer: S,
    odata_type: &str,
    value: &T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::Error as _;
    let mut v = serde_json::to_value(value).map_err(S::Error::custom)?;
    if let serde_json::Value::Object(map) = &mut v {
        map.insert(
            "@odata.type".to_owned(),
            serde_json::Value::String(odata_type.to_owned()),
        );
    }
    v.serialize(serializer)
}

impl Serialize for DirectoryObject {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let t = self.odata_type().unwrap_or_default();
        match self {
            DirectoryObject::User(v) => serialize_tagged(serializer, t, v),
            DirectoryObject::Group(v) => serialize_tagged(serializer, t, v),
            DirectoryObject::ServicePrincipal(v) => serialize_tagged(serializer, t, v),
            DirectoryObject::Device(v) => serialize_tagged(serializer, t, v),
            DirectoryObject::OrgContact(v) => serialize_tagged(serializer, t, v),
            DirectoryObject::Application(v) => serialize_tagged(serializer, t, v),
            DirectoryObject::Other { raw, .. } => raw.serialize(serializer),
        }
    }
}

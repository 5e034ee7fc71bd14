//! The permission catalogue: the Graph application permissions oort uses, the capabilities they
//! unlock, the licences those need, and what each remediation action requires.
//!
//! Requirements are written as a conjunction of alternatives: every [`Clause`] (one Graph call)
//! must be satisfied by at least one of its permissions. For example logging a user out reads the
//! user (`User.Read.All` or a higher permission) and then calls `revokeSignInSessions`
//! (`User.RevokeSessions.All`, `User.ReadWrite.All` or `Directory.ReadWrite.All`).
//!
//! ```
//! use entra_model::{PermissionSet, RemediationAction};
//! let granted = PermissionSet::from_roles(["User.Read.All", "User.RevokeSessions.All", "Custom.Thing"]);
//! let report = granted.evaluate_actions();
//! let log_out = report.iter().find(|a| a.action == RemediationAction::LogOut).unwrap();
//! assert!(log_out.is_allowed());
//! let delete = report.iter().find(|a| a.action == RemediationAction::DeleteGuestUser).unwrap();
//! assert_eq!(delete.missing[0].to_string(), "DELETE /users/{id} needs User.ReadWrite.All");
//! assert_eq!(granted.unknown().collect::<Vec<_>>(), ["Custom.Thing"]);
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Whether a permission only reads or also changes the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Access {
    /// Read only.
    Read,
    /// Read and write.
    Write,
}

/// A licence some Graph data needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Licence {
    /// Microsoft Entra ID P1 (also included in P2).
    P1,
    /// Microsoft Entra ID P2.
    P2,
    /// Microsoft Intune.
    Intune,
}

impl Licence {
    /// `P1`, `P2` or `Intune`.
    pub fn as_str(self) -> &'static str {
        match self {
            Licence::P1 => "P1",
            Licence::P2 => "P2",
            Licence::Intune => "Intune",
        }
    }

    /// The product name for messages.
    pub fn product_name(self) -> &'static str {
        match self {
            Licence::P1 => "Microsoft Entra ID P1",
            Licence::P2 => "Microsoft Entra ID P2",
            Licence::Intune => "Microsoft Intune",
        }
    }

    /// Whether a tenant holding `held` has this licence (P2 includes P1).
    pub fn is_satisfied_by(self, held: &[Licence]) -> bool {
        held.contains(&self) || (self == Licence::P1 && held.contains(&Licence::P2))
    }
}

impl fmt::Display for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! permissions {
    ($( $(#[$m:meta])* $variant:ident = $name:literal, $access:ident, $licence:expr; )+) => {
        /// A Microsoft Graph application permission oort uses, printed and parsed with its exact
        /// Graph name (`AuditLog.Read.All`). Names oort does not know are kept by
        /// [`PermissionSet`] instead.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Permission {
            $( $(#[$m])* #[doc = concat!("`", $name, "`")] $variant, )+
        }

        impl Permission {
            /// Every permission of the catalogue.
            pub const ALL: &'static [Permission] = &[$(Permission::$variant),+];

            /// The exact Graph name.
            pub fn as_str(self) -> &'static str {
                match self { $(Permission::$variant => $name,)+ }
            }

            /// Read or write.
            pub fn access(self) -> Access {
                match self { $(Permission::$variant => Access::$access,)+ }
            }

            /// The licence the data behind this permission needs, where any.
            pub fn licence(self) -> Option<Licence> {
                match self { $(Permission::$variant => $licence,)+ }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Permission::$variant),)+
                    other => Err(UnknownPermission(other.to_owned())),
                }
            }
        }
    };
}

permissions! {
    AuditLogReadAll = "AuditLog.Read.All", Read, Some(Licence::P1);
    DirectoryReadAll = "Directory.Read.All", Read, None;
    DirectoryReadWriteAll = "Directory.ReadWrite.All", Write, None;
    UserReadAll = "User.Read.All", Read, None;
    UserReadWriteAll = "User.ReadWrite.All", Write, None;
    UserManageIdentitiesAll = "User.ManageIdentities.All", Write, None;
    UserEnableDisableAccountAll = "User.EnableDisableAccount.All", Write, None;
    UserRevokeSessionsAll = "User.RevokeSessions.All", Write, None;
    GroupReadAll = "Group.Read.All", Read, None;
    GroupReadWriteAll = "Group.ReadWrite.All", Write, None;
    GroupMemberReadAll = "GroupMember.Read.All", Read, None;
    MemberReadHidden = "Member.Read.Hidden", Read, None;
    RoleManagementReadDirectory = "RoleManagement.Read.Directory", Read, None;
    RoleManagementReadAll = "RoleManagement.Read.All", Read, None;
    RoleManagementReadWriteDirectory = "RoleManagement.ReadWrite.Directory", Write, None;
    RoleEligibilityScheduleReadDirectory = "RoleEligibilitySchedule.Read.Directory", Read, Some(Licence::P2);
    RoleEligibilityScheduleReadWriteDirectory = "RoleEligibilitySchedule.ReadWrite.Directory", Write, Some(Licence::P2);
    ApplicationReadAll = "Application.Read.All", Read, None;
    ApplicationReadWriteOwnedBy = "Application.ReadWrite.OwnedBy", Write, None;
    ApplicationReadWriteAll = "Application.ReadWrite.All", Write, None;
    PolicyReadAll = "Policy.Read.All", Read, None;
    PolicyReadConditionalAccess = "Policy.Read.ConditionalAccess", Read, None;
    UserAuthenticationMethodReadAll = "UserAuthenticationMethod.Read.All", Read, None;
    UserAuthenticationMethodReadWriteAll = "UserAuthenticationMethod.ReadWrite.All", Write, None;
    IdentityRiskEventReadAll = "IdentityRiskEvent.Read.All", Read, Some(Licence::P1);
    IdentityRiskyUserReadAll = "IdentityRiskyUser.Read.All", Read, Some(Licence::P2);
    DeviceManagementManagedDevicesReadAll = "DeviceManagementManagedDevices.Read.All", Read, Some(Licence::Intune);
    DeviceManagementManagedDevicesReadWriteAll = "DeviceManagementManagedDevices.ReadWrite.All", Write, Some(Licence::Intune);
}

impl Permission {
    /// The capabilities this permission helps unlock.
    pub fn capabilities(self) -> Vec<Capability> {
        Capability::ALL
            .iter()
            .copied()
            .filter(|c| c.requirement().mentions(self))
            .collect()
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Permission {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A permission name that is not in oort's catalogue.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a Graph application permission oort knows")]
pub struct UnknownPermission(pub String);

/// One Graph call of a requirement: satisfied by any one of its permissions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Clause {
    /// The call, e.g. `PATCH /users/{id}`.
    pub call: &'static str,
    /// The application permissions Graph accepts for it: the "least privileged" one of its doc
    /// page's Permissions table first, then the "higher privileged" ones oort knows.
    pub any_of: &'static [Permission],
    /// The Microsoft Graph doc page whose Permissions table this clause follows (a path in
    /// `microsoftgraph/microsoft-graph-docs-contrib`, e.g.
    /// `api-reference/v1.0/api/user-delete.md`).
    pub doc: &'static str,
}

impl Clause {
    /// Whether one of the permissions is granted.
    pub fn is_satisfied_by(&self, granted: &PermissionSet) -> bool {
        self.any_of.iter().any(|p| granted.contains(*p))
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} needs ", self.call)?;
        for (i, p) in self.any_of.iter().enumerate() {
            if i > 0 {
                f.write_str(if i + 1 == self.any_of.len() {
                    " or "
                } else {
                    ", "
                })?;
            }
            f.write_str(p.as_str())?;
        }
        Ok(())
    }
}

/// Every clause must be satisfied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Requirement {
    /// The calls and their accepted permissions.
    pub clauses: &'static [Clause],
}

impl Requirement {
    /// Whether every clause is satisfied.
    pub fn is_satisfied_by(&self, granted: &PermissionSet) -> bool {
        self.clauses.iter().all(|c| c.is_satisfied_by(granted))
    }

    /// The clauses not satisfied.
    pub fn missing(&self, granted: &PermissionSet) -> Vec<Clause> {
        self.clauses
            .iter()
            .filter(|c| !c.is_satisfied_by(granted))
            .copied()
            .collect()
    }

    /// Whether `permission` appears in any clause.
    pub fn mentions(&self, permission: Permission) -> bool {
        self.clauses.iter().any(|c| c.any_of.contains(&permission))
    }
}

use Permission as P;

impl Requirement {
    /// The reads that tell whether a remediation target holds or can activate a privileged
    /// directory role, each with the application permissions its documentation accepts, least
    /// privileged first:
    ///
    /// - the groups the user is a transitive member of (role-assignable groups carry role
    ///   assignments): `api-reference/v1.0/api/user-list-transitivememberof.md`;
    /// - the active role assignments of the user and of those groups:
    ///   `api-reference/v1.0/api/rbacapplication-list-roleassignments.md`;
    /// - the roles they are eligible for in Privileged Identity Management:
    ///   `api-reference/v1.0/api/rbacapplication-list-roleeligibilityscheduleinstances.md`
    ///   (the generated permission table names `RoleEligibilitySchedule.Read.Directory` first; an
    ///   older rendering lists `RoleManagement.Read.All`, `RoleManagement.Read.Directory`,
    ///   `RoleManagement.ReadWrite.Directory`).
    ///
    /// `RoleManagement.Read.Directory` alone covers the last two. The role definitions
    /// (`isPrivileged`) are read when allowed and are not required: a built-in list stands in.
    pub const PRIVILEGED_TARGET: Requirement = Requirement {
        clauses: &[
            Clause {
                call: "GET /users/{id}/transitiveMemberOf",
                any_of: &[
                    P::UserReadAll,
                    P::GroupMemberReadAll,
                    P::GroupReadAll,
                    P::DirectoryReadAll,
                    P::DirectoryReadWriteAll,
                ],
                doc: "api-reference/v1.0/api/user-list-transitivememberof.md",
            },
            Clause {
                call: "GET /roleManagement/directory/roleAssignments",
                any_of: &[
                    P::RoleManagementReadDirectory,
                    P::RoleManagementReadAll,
                    P::DirectoryReadAll,
                    P::RoleManagementReadWriteDirectory,
                    P::DirectoryReadWriteAll,
                ],
                doc: "api-reference/v1.0/api/rbacapplication-list-roleassignments.md",
            },
            Clause {
                call: "GET /roleManagement/directory/roleEligibilityScheduleInstances",
                any_of: &[
                    P::RoleEligibilityScheduleReadDirectory,
                    P::RoleManagementReadDirectory,
                    P::RoleManagementReadAll,
                    P::RoleEligibilityScheduleReadWriteDirectory,
                    P::RoleManagementReadWriteDirectory,
                ],
                doc: "api-reference/v1.0/api/rbacapplication-list-roleeligibilityscheduleinstances.md",
            },
        ],
    };

    /// The permissions that read role definitions with their `isPrivileged` flag
    /// (`api-reference/beta/api/rbacapplication-list-roledefinitions.md`, directory provider).
    pub const ROLE_DEFINITIONS: Requirement = Requirement {
        clauses: &[Clause {
            call: "GET /beta/roleManagement/directory/roleDefinitions",
            any_of: &[
                P::RoleManagementReadDirectory,
                P::RoleManagementReadAll,
                P::DirectoryReadAll,
                P::RoleManagementReadWriteDirectory,
                P::DirectoryReadWriteAll,
            ],
            doc: "api-reference/beta/api/rbacapplication-list-roledefinitions.md",
        }],
    };
}

/// Reading users (`GET /users`, `/users/delta`, `/users/{id}`): least privileged
/// `User.Read.All`; higher `User.ReadWrite.All`, `Directory.Read.All`, `Directory.ReadWrite.All`.
const READ_USERS: &[Permission] = &[
    P::UserReadAll,
    P::UserReadWriteAll,
    P::DirectoryReadAll,
    P::DirectoryReadWriteAll,
];

/// Listing applications and service principals: least privileged `Application.Read.All`;
/// higher `Application.ReadWrite.OwnedBy`, `Application.ReadWrite.All`, `Directory.Read.All`.
const READ_APPLICATIONS: &[Permission] = &[
    P::ApplicationReadAll,
    P::ApplicationReadWriteOwnedBy,
    P::ApplicationReadWriteAll,
    P::DirectoryReadAll,
];

/// Listing a directory role's members, least to most privileged.
const READ_ROLE_MEMBERS: &[Permission] = &[
    P::RoleManagementReadDirectory,
    P::DirectoryReadAll,
    P::RoleManagementReadWriteDirectory,
    P::DirectoryReadWriteAll,
];

const DIRECTORY_AUDITS_DOC: &str = "api-reference/v1.0/api/directoryaudit-list.md";
const USER_LIST_DOC: &str = "api-reference/v1.0/api/user-list.md";
const ROLE_MEMBERS_DOC: &str = "api-reference/v1.0/api/directoryrole-list-members.md";

/// Listing a user's authentication methods: least privileged
/// `UserAuthenticationMethod.Read.All`; higher `UserAuthenticationMethod.ReadWrite.All`.
const LIST_METHODS: Clause = Clause {
    call: "GET /users/{id}/authentication/methods",
    any_of: &[
        P::UserAuthenticationMethodReadAll,
        P::UserAuthenticationMethodReadWriteAll,
    ],
    doc: "api-reference/v1.0/api/authentication-list-methods.md",
};

/// A kind of tenant data oort can read, each needing permissions and maybe a licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Capability {
    /// Interactive sign-ins (`/auditLogs/signIns`).
    SignIns,
    /// Non-interactive, service principal and managed identity sign-ins (beta).
    NonInteractiveSignIns,
    /// Directory audit log.
    DirectoryAudits,
    /// Users.
    Users,
    /// Users' `signInActivity`.
    SignInActivity,
    /// Groups and their members.
    GroupsAndMembers,
    /// Directory roles and their members.
    DirectoryRoles,
    /// Applications and service principals with their credentials.
    Applications,
    /// Per-user authentication methods.
    AuthenticationMethods,
    /// The MFA registration report.
    RegistrationDetails,
    /// Risky users.
    RiskyUsers,
    /// Risk detections.
    RiskDetections,
    /// Conditional access policies.
    ConditionalAccessPolicies,
    /// Intune managed devices.
    ManagedDevices,
}

impl Capability {
    /// Every capability.
    pub const ALL: &'static [Capability] = &[
        Capability::SignIns,
        Capability::NonInteractiveSignIns,
        Capability::DirectoryAudits,
        Capability::Users,
        Capability::SignInActivity,
        Capability::GroupsAndMembers,
        Capability::DirectoryRoles,
        Capability::Applications,
        Capability::AuthenticationMethods,
        Capability::RegistrationDetails,
        Capability::RiskyUsers,
        Capability::RiskDetections,
        Capability::ConditionalAccessPolicies,
        Capability::ManagedDevices,
    ];

    /// Snake-case name (`sign_ins`).
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::SignIns => "sign_ins",
            Capability::NonInteractiveSignIns => "non_interactive_sign_ins",
            Capability::DirectoryAudits => "directory_audits",
            Capability::Users => "users",
            Capability::SignInActivity => "sign_in_activity",
            Capability::GroupsAndMembers => "groups_and_members",
            Capability::DirectoryRoles => "directory_roles",
            Capability::Applications => "applications",
            Capability::AuthenticationMethods => "authentication_methods",
            Capability::RegistrationDetails => "registration_details",
            Capability::RiskyUsers => "risky_users",
            Capability::RiskDetections => "risk_detections",
            Capability::ConditionalAccessPolicies => "conditional_access_policies",
            Capability::ManagedDevices => "managed_devices",
        }
    }

    /// The permissions needed: one clause per Graph call oort makes for this data, each
    /// following the Permissions table of the call's doc page ([`Clause::doc`]).
    pub fn requirement(self) -> Requirement {
        let clauses: &'static [Clause] = match self {
            // "Least privileged: AuditLog.Read.All; higher: Directory.Read.All".
            Capability::SignIns => &[Clause {
                call: "GET /auditLogs/signIns",
                any_of: &[P::AuditLogReadAll, P::DirectoryReadAll],
                doc: "api-reference/v1.0/api/signin-list.md",
            }],
            Capability::NonInteractiveSignIns => &[Clause {
                call: "GET /beta/auditLogs/signIns (signInEventTypes)",
                any_of: &[P::AuditLogReadAll, P::DirectoryReadAll],
                doc: "api-reference/beta/api/signin-list.md",
            }],
            // Both at once: "AuditLog.Read.All and Directory.Read.All", no higher permission.
            Capability::DirectoryAudits => &[
                Clause {
                    call: "GET /auditLogs/directoryAudits",
                    any_of: &[P::AuditLogReadAll],
                    doc: DIRECTORY_AUDITS_DOC,
                },
                Clause {
                    call: "GET /auditLogs/directoryAudits",
                    any_of: &[P::DirectoryReadAll],
                    doc: DIRECTORY_AUDITS_DOC,
                },
            ],
            // The users stream reads `users/delta`.
            Capability::Users => &[Clause {
                call: "GET /users/delta",
                any_of: READ_USERS,
                doc: "api-reference/v1.0/api/user-delta.md",
            }],
            // "To read the signInActivity property ... AuditLog.Read.All" besides reading users.
            Capability::SignInActivity => &[
                Clause {
                    call: "GET /users",
                    any_of: READ_USERS,
                    doc: USER_LIST_DOC,
                },
                Clause {
                    call: "GET /users?$select=signInActivity",
                    any_of: &[P::AuditLogReadAll],
                    doc: USER_LIST_DOC,
                },
            ],
            // The groups stream reads `groups/delta` with `members`.
            Capability::GroupsAndMembers => &[Clause {
                call: "GET /groups/delta",
                any_of: &[
                    P::GroupMemberReadAll,
                    P::GroupReadAll,
                    P::DirectoryReadAll,
                    P::GroupReadWriteAll,
                    P::DirectoryReadWriteAll,
                ],
                doc: "api-reference/v1.0/api/group-delta.md",
            }],
            Capability::DirectoryRoles => &[Clause {
                call: "GET /directoryRoles/{id}/members",
                any_of: READ_ROLE_MEMBERS,
                doc: ROLE_MEMBERS_DOC,
            }],
            // Directory.ReadWrite.All is not in either table for application permissions.
            Capability::Applications => &[
                Clause {
                    call: "GET /applications",
                    any_of: READ_APPLICATIONS,
                    doc: "api-reference/v1.0/api/application-list.md",
                },
                Clause {
                    call: "GET /servicePrincipals",
                    any_of: READ_APPLICATIONS,
                    doc: "api-reference/v1.0/api/serviceprincipal-list.md",
                },
            ],
            Capability::AuthenticationMethods => &[LIST_METHODS],
            // "Least privileged: AuditLog.Read.All; higher: UserAuthenticationMethod.Read.All".
            Capability::RegistrationDetails => &[Clause {
                call: "GET /reports/authenticationMethods/userRegistrationDetails",
                any_of: &[P::AuditLogReadAll, P::UserAuthenticationMethodReadAll],
                doc: "api-reference/v1.0/api/authenticationmethodsroot-list-userregistrationdetails.md",
            }],
            Capability::RiskyUsers => &[Clause {
                call: "GET /identityProtection/riskyUsers",
                any_of: &[P::IdentityRiskyUserReadAll],
                doc: "api-reference/v1.0/api/riskyuser-list.md",
            }],
            Capability::RiskDetections => &[Clause {
                call: "GET /identityProtection/riskDetections",
                any_of: &[P::IdentityRiskEventReadAll],
                doc: "api-reference/v1.0/api/riskdetection-list.md",
            }],
            Capability::ConditionalAccessPolicies => &[Clause {
                call: "GET /identity/conditionalAccess/policies",
                any_of: &[P::PolicyReadConditionalAccess, P::PolicyReadAll],
                doc: "api-reference/v1.0/api/conditionalaccessroot-list-policies.md",
            }],
            // "requires an active Intune license for the tenant".
            Capability::ManagedDevices => &[Clause {
                call: "GET /deviceManagement/managedDevices",
                any_of: &[
                    P::DeviceManagementManagedDevicesReadAll,
                    P::DeviceManagementManagedDevicesReadWriteAll,
                ],
                doc: "api-reference/v1.0/api/intune-devices-manageddevice-list.md",
            }],
        };
        Requirement { clauses }
    }

    /// The licence the tenant needs for this data, where any (Graph answers 403
    /// `Authentication_RequestFromNonPremiumTenantOrB2CTenant` without it).
    pub fn licence(self) -> Option<Licence> {
        match self {
            Capability::SignIns
            | Capability::NonInteractiveSignIns
            | Capability::SignInActivity
            | Capability::RegistrationDetails
            | Capability::RiskDetections
            | Capability::ConditionalAccessPolicies => Some(Licence::P1),
            Capability::RiskyUsers => Some(Licence::P2),
            Capability::ManagedDevices => Some(Licence::Intune),
            Capability::DirectoryAudits
            | Capability::Users
            | Capability::GroupsAndMembers
            | Capability::DirectoryRoles
            | Capability::Applications
            | Capability::AuthenticationMethods => None,
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A remediation action oort can take.
///
/// Named as the `oort remediate` subcommands are (`log-out`), everywhere: JSON, the audit trail,
/// messages. The snake-case names of earlier versions (`log_out`) are still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RemediationAction {
    /// Set `userType` to `Member` or `Guest`.
    #[serde(alias = "update_user_type")]
    UpdateUserType,
    /// Delete a guest user (soft delete, restorable for 30 days).
    #[serde(alias = "delete_guest_user")]
    DeleteGuestUser,
    /// Revoke a user's sign-in sessions.
    #[serde(alias = "log_out")]
    LogOut,
    /// Delete a user's registered authentication methods.
    #[serde(alias = "reset_mfa")]
    ResetMfa,
}

impl RemediationAction {
    /// Every action.
    pub const ALL: &'static [RemediationAction] = &[
        RemediationAction::UpdateUserType,
        RemediationAction::DeleteGuestUser,
        RemediationAction::LogOut,
        RemediationAction::ResetMfa,
    ];

    /// The name, as the `oort remediate` subcommand (`log-out`).
    pub fn as_str(self) -> &'static str {
        match self {
            RemediationAction::UpdateUserType => "update-user-type",
            RemediationAction::DeleteGuestUser => "delete-guest-user",
            RemediationAction::LogOut => "log-out",
            RemediationAction::ResetMfa => "reset-mfa",
        }
    }

    /// The snake-case name earlier versions wrote (`log_out`), for reading their records.
    pub fn legacy_name(self) -> &'static str {
        match self {
            RemediationAction::UpdateUserType => "update_user_type",
            RemediationAction::DeleteGuestUser => "delete_guest_user",
            RemediationAction::LogOut => "log_out",
            RemediationAction::ResetMfa => "reset_mfa",
        }
    }

    /// Every Graph call the action makes, with the permissions Graph accepts for each (each
    /// clause following the Permissions table of its doc page, [`Clause::doc`]).
    pub fn requirement(self) -> Requirement {
        const READ_USER: Clause = Clause {
            call: "GET /users/{id}",
            any_of: READ_USERS,
            doc: "api-reference/v1.0/api/user-get.md",
        };
        let clauses: &'static [Clause] = match self {
            RemediationAction::UpdateUserType => &[
                READ_USER,
                Clause {
                    call: "PATCH /users/{id}",
                    any_of: &[P::UserReadWriteAll, P::DirectoryReadWriteAll],
                    doc: "api-reference/v1.0/api/user-update.md",
                },
            ],
            // "Least privileged: User.ReadWrite.All; higher: Not available."
            RemediationAction::DeleteGuestUser => &[
                READ_USER,
                Clause {
                    call: "DELETE /users/{id}",
                    any_of: &[P::UserReadWriteAll],
                    doc: "api-reference/v1.0/api/user-delete.md",
                },
            ],
            // Least privileged `User.RevokeSessions.All` (the current table; beta's lists it
            // alone); the higher ones are the two the v1.0 page has always listed
            // (`User.ReadWrite.All`, `Directory.ReadWrite.All`).
            RemediationAction::LogOut => &[
                READ_USER,
                Clause {
                    call: "POST /users/{id}/revokeSignInSessions",
                    any_of: &[
                        P::UserRevokeSessionsAll,
                        P::UserReadWriteAll,
                        P::DirectoryReadWriteAll,
                    ],
                    doc: "api-reference/v1.0/api/user-revokesigninsessions.md",
                },
            ],
            // Every method type's DELETE lists UserAuthenticationMethod.ReadWrite.All for
            // application permissions (phoneauthenticationmethod-delete.md and its siblings);
            // FIDO2 keys (fido2authenticationmethod-delete.md) take
            // `UserAuthMethod-Passkey.ReadWrite.All` instead: Graph refuses such a DELETE without
            // it, and the refusal is recorded in that method's result.
            RemediationAction::ResetMfa => &[
                READ_USER,
                LIST_METHODS,
                Clause {
                    call: "DELETE /users/{id}/authentication/{type}Methods/{id}",
                    any_of: &[P::UserAuthenticationMethodReadWriteAll],
                    doc: "api-reference/v1.0/api/phoneauthenticationmethod-delete.md",
                },
            ],
        };
        Requirement { clauses }
    }

    /// The permission the setup guide recommends granting for this action besides reading
    /// users: the least privileged one of each write call.
    pub fn recommended_permissions(self) -> &'static [Permission] {
        match self {
            RemediationAction::UpdateUserType | RemediationAction::DeleteGuestUser => {
                &[P::UserReadWriteAll]
            }
            RemediationAction::LogOut => &[P::UserRevokeSessionsAll],
            RemediationAction::ResetMfa => &[P::UserAuthenticationMethodReadWriteAll],
        }
    }
}

impl fmt::Display for RemediationAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an action can be performed with the granted permissions, and what is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActionAvailability {
    /// The action.
    pub action: RemediationAction,
    /// Calls whose permissions are not granted (empty when allowed).
    pub missing: Vec<Clause>,
}

impl ActionAvailability {
    /// Whether every call of the action is permitted.
    pub fn is_allowed(&self) -> bool {
        self.missing.is_empty()
    }
}

/// The application permissions granted to the app (a token's `roles`), known and unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionSet {
    known: BTreeSet<Permission>,
    unknown: BTreeSet<String>,
}

impl PermissionSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds the set from role names, keeping names outside the catalogue.
    pub fn from_roles<I, S>(roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut set = PermissionSet::new();
        for role in roles {
            set.insert_name(role.as_ref());
        }
        set
    }

    /// Adds a role by name (known names become [`Permission`]s).
    pub fn insert_name(&mut self, name: &str) {
        match name.parse::<Permission>() {
            Ok(p) => {
                self.known.insert(p);
            }
            Err(UnknownPermission(n)) => {
                self.unknown.insert(n);
            }
        }
    }

    /// Adds a permission.
    pub fn insert(&mut self, permission: Permission) {
        self.known.insert(permission);
    }

    /// Whether the permission is granted.
    pub fn contains(&self, permission: Permission) -> bool {
        self.known.contains(&permission)
    }

    /// The known permissions granted.
    pub fn known(&self) -> impl Iterator<Item = Permission> + '_ {
        self.known.iter().copied()
    }

    /// Granted role names outside the catalogue.
    pub fn unknown(&self) -> impl Iterator<Item = &str> + '_ {
        self.unknown.iter().map(String::as_str)
    }

    /// Every granted name, known and unknown.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        fn shorten<'a>(name: &'static str) -> &'a str {
            name
        }
        self.known()
            .map(Permission::as_str)
            .map(shorten)
            .chain(self.unknown())
    }

    /// Whether nothing is granted.
    pub fn is_empty(&self) -> bool {
        self.known.is_empty() && self.unknown.is_empty()
    }

    /// Whether the permissions for a capability are granted (licences are not checked here).
    pub fn allows(&self, capability: Capability) -> bool {
        capability.requirement().is_satisfied_by(self)
    }

    /// For every remediation action: can these permissions perform it, and what is missing.
    pub fn evaluate_actions(&self) -> Vec<ActionAvailability> {
        RemediationAction::ALL
            .iter()
            .map(|&action| ActionAvailability {
                action,
                missing: action.requirement().missing(self),
            })
            .collect()
    }
}

impl<S: AsRef<str>> FromIterator<S> for PermissionSet {
    fn from_iter<T: IntoIterator<Item = S>>(iter: T) -> Self {
        PermissionSet::from_roles(iter)
    }
}

impl Serialize for PermissionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.names())
    }
}

impl<'de> Deserialize<'de> for PermissionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        Ok(PermissionSet::from_roles(names))
    }
}

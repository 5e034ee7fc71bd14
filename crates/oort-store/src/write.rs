//! The write side of collection: a batch of one stream's items, what a write changed, what a
//! finished snapshot reconciles.

use entra_model::{
    Application, AuthenticationMethod, ConditionalAccessPolicy, DirectoryAudit, DirectoryObject,
    DirectoryRole, Group, ManagedDevice, Raw, RiskDetection, RiskyUser, ServicePrincipal, SignIn,
    User, UserRegistrationDetails,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Who writes and when: the tenant the data belongs to and the collection's notion of "now"
/// (used for `seen_at`, `removed_at` and `deleted_at` marks).
#[derive(Debug, Clone, Copy)]
pub struct WriteContext<'a> {
    /// Tenant id.
    pub tenant: &'a str,
    /// The time of the write, from the collector's clock.
    pub now: OffsetDateTime,
}

/// Kinds of directory data kept as (id, raw JSON) snapshots in the `directory_items` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemKind {
    /// `userRegistrationDetails` (the MFA registration report).
    RegistrationDetails,
    /// Risky users.
    RiskyUsers,
    /// Risk detections.
    RiskDetections,
    /// Conditional access policies.
    ConditionalAccessPolicies,
    /// Intune managed devices.
    ManagedDevices,
    /// Directory roles (their members are in `role_members`).
    DirectoryRoles,
}

impl ItemKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::RegistrationDetails => "registration_details",
            ItemKind::RiskyUsers => "risky_users",
            ItemKind::RiskDetections => "risk_detections",
            ItemKind::ConditionalAccessPolicies => "conditional_access_policies",
            ItemKind::ManagedDevices => "managed_devices",
            ItemKind::DirectoryRoles => "directory_roles",
        }
    }
}

/// A batch of collected items of one stream.
#[derive(Debug)]
#[non_exhaustive]
pub enum Batch {
    /// Sign-ins of any event type (upserted by id).
    SignIns(Vec<Raw<SignIn>>),
    /// Directory audit entries (upserted by id).
    DirectoryAudits(Vec<Raw<DirectoryAudit>>),
    /// Users from a list or delta page; an entry with `@removed` marks the user deleted.
    Users(Vec<Raw<User>>),
    /// Users' `signInActivity` (`GET /users?$select=id,signInActivity`): updates the sign-in
    /// times of known users without touching the rest of their JSON.
    SignInActivity(Vec<Raw<User>>),
    /// Groups from a list or delta page; `@removed` marks the group deleted and `members@delta`
    /// adds members or marks them removed.
    Groups(Vec<Raw<Group>>),
    /// A page of a group's member listing (`/groups/{id}/members`): members are (re)added.
    GroupMembers {
        /// The group.
        group_id: String,
        /// Its members.
        members: Vec<DirectoryObject>,
    },
    /// A directory role and its members (the role list does not page).
    RoleMembers {
        /// The role.
        role: Raw<DirectoryRole>,
        /// Its members.
        members: Vec<DirectoryObject>,
    },
    /// App registrations; their credentials go to `app_credentials`.
    Applications(Vec<Raw<Application>>),
    /// Service principals; their credentials go to `app_credentials`.
    ServicePrincipals(Vec<Raw<ServicePrincipal>>),
    /// The complete set of one user's authentication methods (replaces the previous set).
    AuthMethods {
        /// The user.
        user_id: String,
        /// Every method the user has.
        methods: Vec<Raw<AuthenticationMethod>>,
    },
    /// MFA registration report rows.
    RegistrationDetails(Vec<Raw<UserRegistrationDetails>>),
    /// Risky users.
    RiskyUsers(Vec<Raw<RiskyUser>>),
    /// Risk detections.
    RiskDetections(Vec<Raw<RiskDetection>>),
    /// Conditional access policies.
    ConditionalAccessPolicies(Vec<Raw<ConditionalAccessPolicy>>),
    /// Intune managed devices.
    ManagedDevices(Vec<Raw<ManagedDevice>>),
}

impl Batch {
    /// Number of items in the batch.
    pub fn len(&self) -> usize {
        match self {
            Batch::SignIns(v) => v.len(),
            Batch::DirectoryAudits(v) => v.len(),
            Batch::Users(v) => v.len(),
            Batch::SignInActivity(v) => v.len(),
            Batch::Groups(v) => v.len(),
            Batch::GroupMembers { members, .. } => members.len(),
            Batch::RoleMembers { members, .. } => members.len() + 1,
            Batch::Applications(v) => v.len(),
            Batch::ServicePrincipals(v) => v.len(),
            Batch::AuthMethods { methods, .. } => methods.len(),
            Batch::RegistrationDetails(v) => v.len(),
            Batch::RiskyUsers(v) => v.len(),
            Batch::RiskDetections(v) => v.len(),
            Batch::ConditionalAccessPolicies(v) => v.len(),
            Batch::ManagedDevices(v) => v.len(),
        }
    }

    /// Whether the batch holds no item.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a write changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WriteSummary {
    /// Items not stored before.
    pub inserted: u64,
    /// Items stored before and written again.
    pub updated: u64,
    /// Items marked removed or deleted.
    pub removed: u64,
}

impl std::ops::AddAssign for WriteSummary {
    fn add_assign(&mut self, rhs: Self) {
        self.inserted += rhs.inserted;
        self.updated += rhs.updated;
        self.removed += rhs.removed;
    }
}

/// What a finished snapshot run reconciles: rows not written since the run started are marked
/// removed (users, groups, memberships) or deleted (everything else).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SnapshotScope {
    /// Users missing from a full sync are marked deleted.
    Users,
    /// Groups missing from a full sync are marked deleted.
    Groups,
    /// Members missing from one group's full listing are marked removed.
    GroupMembers {
        /// The group.
        group_id: String,
    },
    /// Memberships of every group missing from a full listing are marked removed.
    AllGroupMembers,
    /// Role memberships (and roles) missing from the run are deleted.
    RoleMembers,
    /// Applications (and their credentials) missing from the run are deleted.
    Applications,
    /// Service principals (and their credentials) missing from the run are deleted.
    ServicePrincipals,
    /// Items of this kind missing from the run are deleted.
    Items(ItemKind),
}

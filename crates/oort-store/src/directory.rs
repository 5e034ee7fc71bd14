//! Directory data as read back: users with their deletion marks, memberships, app credentials.

use entra_model::{AppCredential, Raw, SignInActivity, User};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

impl StoredUser {
    /// The sign-in activity: the dedicated read when there is one, else what the user JSON had.
    pub fn activity(&self) -> Option<&SignInActivity> {
        self.sign_in_activity
            .as_ref()
            .or(self.user.value().sign_in_activity.as_ref())
    }
}

/// A stored user with its deletion mark.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct StoredUser {
    /// The user as last seen (the raw JSON of the last list or delta entry).
    pub user: Raw<User>,
    /// The user's sign-in activity from the last `signInActivity` read, when licensed.
    pub sign_in_activity: Option<SignInActivity>,
    /// When oort saw the user deleted, if it did.
    pub deleted_at: Option<OffsetDateTime>,
}

/// A membership of a group or role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Membership {
    /// The group or role id.
    pub container_id: String,
    /// The member's object id.
    pub member_id: String,
    /// The member's type (`user`, `group`, `servicePrincipal`, `device`, ...), when known.
    pub member_type: Option<String>,
    /// When oort saw the membership end, if it did.
    #[serde(with = "entra_model::timestamp::option")]
    pub removed_at: Option<OffsetDateTime>,
}

/// Who owns an application credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CredentialOwner {
    /// An app registration.
    Application,
    /// A service principal.
    ServicePrincipal,
}

impl CredentialOwner {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialOwner::Application => "application",
            CredentialOwner::ServicePrincipal => "service_principal",
        }
    }
}

/// A secret or certificate of an application or service principal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StoredCredential {
    /// Application or service principal.
    pub owner_kind: CredentialOwner,
    /// The owner's object id.
    pub owner_id: String,
    /// The owner's application (client) id.
    pub app_id: Option<String>,
    /// The owner's display name.
    pub owner_display_name: Option<String>,
    /// The credential.
    pub credential: AppCredential,
}

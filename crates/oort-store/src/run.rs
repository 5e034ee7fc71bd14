//! What a collection run records: its streams, why one was skipped, the run itself.

use std::fmt;

use entra_model::{Capability, Licence};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::names::stored_names;

stored_names! {
    /// Where a collection run stands.
    #[non_exhaustive]
    pub enum RunStatus ("run status") {
        /// Started, not finished (or interrupted: a run that stays `running` was killed).
        Running = "running",
        /// Every stream succeeded or was skipped.
        Succeeded = "succeeded",
        /// A stream failed; the others' data is stored.
        Failed = "failed",
    }
}

/// A collection stream: one kind of data, collected with its own progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum StreamKind {
    /// Interactive sign-ins (v1.0).
    SignIns,
    /// Non-interactive user sign-ins (beta).
    NonInteractiveSignIns,
    /// Service principal sign-ins (beta).
    ServicePrincipalSignIns,
    /// Managed identity sign-ins (beta).
    ManagedIdentitySignIns,
    /// Directory audit log.
    DirectoryAudits,
    /// Users (delta).
    Users,
    /// Users' `signInActivity` (needs P1/P2 and `AuditLog.Read.All`).
    SignInActivity,
    /// Groups and their members (delta with `members`).
    Groups,
    /// Directory roles and their members.
    DirectoryRoles,
    /// App registrations and their credentials.
    Applications,
    /// Service principals and their credentials.
    ServicePrincipals,
    /// MFA registration state (the registration details report).
    AuthMethods,
    /// Risky users.
    RiskyUsers,
    /// Risk detections.
    RiskDetections,
    /// Conditional access policies.
    ConditionalAccessPolicies,
    /// Intune managed devices (only when devices are enabled).
    ManagedDevices,
}

impl StreamKind {
    /// Every stream, in collection order.
    pub const ALL: &'static [StreamKind] = &[
        StreamKind::Users,
        StreamKind::SignInActivity,
        StreamKind::Groups,
        StreamKind::DirectoryRoles,
        StreamKind::Applications,
        StreamKind::ServicePrincipals,
        StreamKind::AuthMethods,
        StreamKind::RiskyUsers,
        StreamKind::RiskDetections,
        StreamKind::ConditionalAccessPolicies,
        StreamKind::ManagedDevices,
        StreamKind::DirectoryAudits,
        StreamKind::SignIns,
        StreamKind::NonInteractiveSignIns,
        StreamKind::ServicePrincipalSignIns,
        StreamKind::ManagedIdentitySignIns,
    ];

    /// Whether the stream reads a time window of an activity log (sign-ins, audits) with a
    /// watermark, rather than a directory state.
    pub fn is_windowed(self) -> bool {
        matches!(
            self,
            StreamKind::SignIns
                | StreamKind::NonInteractiveSignIns
                | StreamKind::ServicePrincipalSignIns
                | StreamKind::ManagedIdentitySignIns
                | StreamKind::DirectoryAudits
        )
    }

    /// Snake-case name (also the checkpoint stream name).
    pub fn as_str(self) -> &'static str {
        match self {
            StreamKind::SignIns => "sign_ins",
            StreamKind::NonInteractiveSignIns => "non_interactive_sign_ins",
            StreamKind::ServicePrincipalSignIns => "service_principal_sign_ins",
            StreamKind::ManagedIdentitySignIns => "managed_identity_sign_ins",
            StreamKind::DirectoryAudits => "directory_audits",
            StreamKind::Users => "users",
            StreamKind::SignInActivity => "sign_in_activity",
            StreamKind::Groups => "groups",
            StreamKind::DirectoryRoles => "directory_roles",
            StreamKind::Applications => "applications",
            StreamKind::ServicePrincipals => "service_principals",
            StreamKind::AuthMethods => "auth_methods",
            StreamKind::RiskyUsers => "risky_users",
            StreamKind::RiskDetections => "risk_detections",
            StreamKind::ConditionalAccessPolicies => "conditional_access_policies",
            StreamKind::ManagedDevices => "managed_devices",
        }
    }

    /// The capability the stream needs.
    pub fn capability(self) -> Capability {
        match self {
            StreamKind::SignIns => Capability::SignIns,
            StreamKind::NonInteractiveSignIns
            | StreamKind::ServicePrincipalSignIns
            | StreamKind::ManagedIdentitySignIns => Capability::NonInteractiveSignIns,
            StreamKind::DirectoryAudits => Capability::DirectoryAudits,
            StreamKind::Users => Capability::Users,
            StreamKind::SignInActivity => Capability::SignInActivity,
            StreamKind::Groups => Capability::GroupsAndMembers,
            StreamKind::DirectoryRoles => Capability::DirectoryRoles,
            StreamKind::Applications | StreamKind::ServicePrincipals => Capability::Applications,
            StreamKind::AuthMethods => Capability::RegistrationDetails,
            StreamKind::RiskyUsers => Capability::RiskyUsers,
            StreamKind::RiskDetections => Capability::RiskDetections,
            StreamKind::ConditionalAccessPolicies => Capability::ConditionalAccessPolicies,
            StreamKind::ManagedDevices => Capability::ManagedDevices,
        }
    }
}

impl std::str::FromStr for StreamKind {
    type Err = crate::UnknownValue;

    /// A stream by its [`as_str`](StreamKind::as_str) name.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const NAMES: &[&str] = &[
            "sign_ins",
            "non_interactive_sign_ins",
            "service_principal_sign_ins",
            "managed_identity_sign_ins",
            "directory_audits",
            "users",
            "sign_in_activity",
            "groups",
            "directory_roles",
            "applications",
            "service_principals",
            "auth_methods",
            "risky_users",
            "risk_detections",
            "conditional_access_policies",
            "managed_devices",
        ];
        let s = s.trim();
        StreamKind::ALL
            .iter()
            .copied()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| crate::UnknownValue::new("stream", s, NAMES))
    }
}

impl fmt::Display for StreamKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a stream was skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SkipCause {
    /// Switched off by configuration.
    Disabled,
    /// Intune managed devices are not enabled (`CollectorConfig::devices`).
    DevicesNotEnabled,
    /// The app lacks a permission: granting any one of these would do.
    MissingPermission {
        /// The call that needs it.
        call: String,
        /// The permissions Graph accepts for it, least privileged first.
        grant_any_of: Vec<String>,
    },
    /// The tenant lacks the licence the data needs.
    LicenceRequired {
        /// P1, P2 or Intune.
        licence: Licence,
    },
}

/// Saved progress of a stream: an opaque JSON value under a key (a time slice, a delta link...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Checkpoint {
    /// The stream, e.g. `sign_ins`.
    pub stream: String,
    /// The key within the stream, e.g. a slice's start time, or `delta`.
    pub key: String,
    /// The progress (watermark, nextLink, deltaLink, ...), as the collector defines it.
    pub value: serde_json::Value,
}

impl Checkpoint {
    /// A checkpoint.
    pub fn new(
        stream: impl Into<String>,
        key: impl Into<String>,
        value: serde_json::Value,
    ) -> Self {
        Checkpoint {
            stream: stream.into(),
            key: key.into(),
            value,
        }
    }
}

/// One collection run, as recorded for `oort status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CollectionRun {
    /// Run id.
    pub id: String,
    /// Start time.
    #[serde(with = "entra_model::timestamp")]
    pub started_at: OffsetDateTime,
    /// End time, when finished.
    #[serde(with = "entra_model::timestamp::option")]
    pub finished_at: Option<OffsetDateTime>,
    /// Running, succeeded or failed.
    pub status: RunStatus,
    /// The run's report (per-stream counts), as JSON.
    pub report: serde_json::Value,
}

impl CollectionRun {
    /// A run that started at `started_at`, status `running`, empty report.
    pub fn new(id: impl Into<String>, started_at: OffsetDateTime) -> Self {
        CollectionRun {
            id: id.into(),
            started_at,
            finished_at: None,
            status: RunStatus::Running,
            report: serde_json::Value::Object(Default::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stream_reads_back_from_its_name_and_an_unknown_name_is_an_error() {
        for &k in StreamKind::ALL {
            assert_eq!(k.as_str().parse::<StreamKind>(), Ok(k));
        }
        assert!("nope".parse::<StreamKind>().is_err());
    }
}

//! The connectivity test: does the token work, what was granted, and what can be read.

use std::sync::Arc;

use entra_auth::{AuthError, TokenCredential};
use entra_model::{Capability, Licence, Permission, PermissionSet};
use graph_client::{ApiVersion, GraphClient, GraphError, GraphRequest};
use serde::Serialize;

/// What a capability's probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum CapabilityStatus {
    /// The data can be read.
    Ok,
    /// A permission is missing: grant one of `grant_any_of` (application permission, admin
    /// consent) in Entra ID > App registrations > API permissions.
    MissingPermission {
        /// The call that needs it.
        call: String,
        /// Any one of these would do.
        grant_any_of: Vec<Permission>,
    },
    /// The tenant lacks the licence the data needs.
    LicenceRequired {
        /// P1, P2 or Intune.
        licence: Licence,
    },
    /// The probe failed for another reason.
    Error {
        /// HTTP status, when Graph answered.
        http_status: Option<u16>,
        /// Graph's `error.code`, when Graph answered.
        code: Option<String>,
        /// Graph's request id, for a support case.
        request_id: Option<String>,
        /// What happened.
        message: String,
    },
}

impl CapabilityStatus {
    /// Whether the capability can be used.
    pub fn is_ok(&self) -> bool {
        matches!(self, CapabilityStatus::Ok)
    }

    /// One line saying what to do (empty when OK).
    pub fn advice(&self) -> String {
        match self {
            CapabilityStatus::Ok => String::new(),
            CapabilityStatus::MissingPermission { grant_any_of, .. } => {
                let names: Vec<&str> = grant_any_of.iter().map(|p| p.as_str()).collect();
                format!(
                    "grant the application permission {} (Entra ID > App registrations > API permissions > Grant admin consent)",
                    names.join(" or ")
                )
            }
            CapabilityStatus::LicenceRequired { licence } => {
                format!(
                    "needs {}: the tenant does not have it",
                    licence.product_name()
                )
            }
            CapabilityStatus::Error {
                message,
                request_id,
                ..
            } => match request_id {
                Some(id) => format!("{message} (request-id {id})"),
                None => message.clone(),
            },
        }
    }
}

/// One line of the connectivity report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CapabilityReport {
    /// The capability.
    pub capability: Capability,
    /// What the probe found.
    #[serde(flatten)]
    pub status: CapabilityStatus,
}

/// The result of [`test_connectivity`].
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct ConnectivityReport {
    /// The tenant id from the token (`tid`).
    pub tenant_id: Option<String>,
    /// The app's client id from the token (`appid`/`azp`).
    pub app_id: Option<String>,
    /// The application permissions granted (the token's `roles`).
    pub granted: PermissionSet,
    /// One status per capability of the catalogue.
    pub capabilities: Vec<CapabilityReport>,
}

impl ConnectivityReport {
    /// "Connected": the token works and at least the directory (users) can be read.
    pub fn is_connected(&self) -> bool {
        self.status(Capability::Users)
            .is_some_and(CapabilityStatus::is_ok)
    }

    /// The status of one capability.
    pub fn status(&self, capability: Capability) -> Option<&CapabilityStatus> {
        self.capabilities
            .iter()
            .find(|c| c.capability == capability)
            .map(|c| &c.status)
    }
}

/// Why the connectivity test could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectivityError {
    /// No token: the credential's own message says what to fix.
    #[error(transparent)]
    Auth(#[from] AuthError),
}

/// The cheapest request that proves a capability readable (`$top=1`). `user_id` is a user the
/// per-user probes may use.
fn probe(capability: Capability, user_id: Option<&str>) -> Option<GraphRequest> {
    let r = match capability {
        Capability::SignIns => GraphRequest::get("auditLogs/signIns").top(1),
        Capability::NonInteractiveSignIns => GraphRequest::get("auditLogs/signIns")
            .version(ApiVersion::Beta)
            .filter("signInEventTypes/any(t: t eq 'nonInteractiveUser')")
            .top(1),
        Capability::DirectoryAudits => GraphRequest::get("auditLogs/directoryAudits").top(1),
        Capability::Users => GraphRequest::get("users").select(["id"]).top(1),
        Capability::SignInActivity => GraphRequest::get("users")
            .select(["id", "signInActivity"])
            .top(1),
        Capability::GroupsAndMembers => GraphRequest::get("groups").select(["id"]).top(1),
        Capability::DirectoryRoles => GraphRequest::get("directoryRoles").select(["id"]),
        Capability::Applications => GraphRequest::get("applications").select(["id"]).top(1),
        Capability::AuthenticationMethods => {
            GraphRequest::get(format!("users/{}/authentication/methods", user_id?))
        }
        Capability::RegistrationDetails => {
            GraphRequest::get("reports/authenticationMethods/userRegistrationDetails").top(1)
        }
        Capability::RiskyUsers => GraphRequest::get("identityProtection/riskyUsers").top(1),
        Capability::RiskDetections => GraphRequest::get("identityProtection/riskDetections").top(1),
        Capability::ConditionalAccessPolicies => {
            GraphRequest::get("identity/conditionalAccess/policies").top(1)
        }
        Capability::ManagedDevices => GraphRequest::get("deviceManagement/managedDevices").top(1),
        _ => return None,
    };
    Some(r)
}

/// Classifies a Graph error of a capability's request (shared with collection).
pub(crate) fn classify(capability: Capability, error: &GraphError) -> CapabilityStatus {
    if error.is_licence_required() {
        return CapabilityStatus::LicenceRequired {
            licence: capability.licence().unwrap_or(Licence::P1),
        };
    }
    // Only Intune's own "no licence" answer means the licence is missing; any other 400, 403
    // or 404 of an Intune call is reported as what it is (see `GraphError::is_intune_not_licensed`).
    if capability.licence() == Some(Licence::Intune) && error.is_intune_not_licensed() {
        return CapabilityStatus::LicenceRequired {
            licence: Licence::Intune,
        };
    }
    if error.is_permission_denied() {
        let clause = capability.requirement().clauses.first().copied();
        return CapabilityStatus::MissingPermission {
            call: clause.map(|c| c.call.to_owned()).unwrap_or_default(),
            grant_any_of: clause.map(|c| c.any_of.to_vec()).unwrap_or_default(),
        };
    }
    CapabilityStatus::Error {
        http_status: error.status(),
        code: error.code().map(str::to_owned),
        request_id: error.request_id().map(str::to_owned),
        message: error.to_string(),
    }
}

/// Gets a token and probes every capability of the catalogue with its cheapest request.
///
/// A capability whose permissions the token does not carry is reported `missing_permission`
/// without a request; the others are probed (`$top=1`) through `client`, whose throttle pacing
/// keeps the probes within Graph's limits. Credential failures come back as [`AuthError`] with
/// their operator message.
pub async fn test_connectivity(
    credential: Arc<dyn TokenCredential>,
    scope: &str,
    client: &GraphClient,
) -> Result<ConnectivityReport, ConnectivityError> {
    let token = credential.get_token(scope).await?;
    let granted = token.claims.roles.clone();
    let mut report = ConnectivityReport {
        tenant_id: token.claims.tenant_id.clone(),
        app_id: token.claims.app_id.clone(),
        granted: granted.clone(),
        capabilities: Vec::new(),
    };
    let mut user_id: Option<String> = None;
    for &capability in Capability::ALL {
        let missing = capability.requirement().missing(&granted);
        let status = if let Some(clause) = missing.first() {
            CapabilityStatus::MissingPermission {
                call: clause.call.to_owned(),
                grant_any_of: clause.any_of.to_vec(),
            }
        } else if let Some(request) = probe(capability, user_id.as_deref()) {
            match client.send::<serde_json::Value>(request).await {
                Ok(body) => {
                    if capability == Capability::Users {
                        user_id = body["value"][0]["id"].as_str().map(str::to_owned);
                    }
                    CapabilityStatus::Ok
                }
                Err(e) => classify(capability, &e),
            }
        } else {
            CapabilityStatus::Error {
                http_status: None,
                code: None,
                request_id: None,
                message: "no user to probe with: the directory looks empty".to_owned(),
            }
        };
        report
            .capabilities
            .push(CapabilityReport { capability, status });
    }
    Ok(report)
}

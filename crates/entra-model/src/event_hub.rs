//! Entra diagnostic records streamed to Azure Event Hubs (`{"records": [...]}`).
//!
//! A diagnostic setting streams sign-in and audit logs as Event Hubs messages; each message body
//! is `{"records": [record, ...]}` and each record wraps the Graph-shaped event in `properties`.
//! The sign-in categories carry a beta `signIn` in camelCase with a few differences (offsets
//! instead of `Z`, `Member` instead of `member`, numbers where Graph has strings), all accepted by
//! [`SignIn`]; the category replaces Graph's `signInEventTypes`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

use crate::audit::DirectoryAudit;
use crate::open_enum::open_enum;
use crate::sign_in::{SignIn, SignInEventType};

open_enum! {
    /// Diagnostic log category of a record (`category`).
    pub enum LogCategory {
        /// Interactive user sign-ins.
        SignInLogs = "SignInLogs",
        /// Non-interactive user sign-ins.
        NonInteractiveUserSignInLogs = "NonInteractiveUserSignInLogs",
        /// Service principal sign-ins.
        ServicePrincipalSignInLogs = "ServicePrincipalSignInLogs",
        /// Managed identity sign-ins.
        ManagedIdentitySignInLogs = "ManagedIdentitySignInLogs",
        /// Directory audit log.
        AuditLogs = "AuditLogs",
        /// Provisioning log.
        ProvisioningLogs = "ProvisioningLogs",
        /// AD FS sign-ins.
        AdfsSignInLogs = "ADFSSignInLogs",
        /// Risky users.
        RiskyUsers = "RiskyUsers",
        /// User risk events.
        UserRiskEvents = "UserRiskEvents",
        /// Risky service principals.
        RiskyServicePrincipals = "RiskyServicePrincipals",
        /// Service principal risk events.
        ServicePrincipalRiskEvents = "ServicePrincipalRiskEvents",
        /// Enriched Office 365 audit logs.
        EnrichedOffice365AuditLogs = "EnrichedOffice365AuditLogs",
        /// Microsoft Graph activity logs.
        MicrosoftGraphActivityLogs = "MicrosoftGraphActivityLogs",
        /// Global Secure Access traffic logs.
        NetworkAccessTrafficLogs = "NetworkAccessTrafficLogs",
        /// Custom security attribute audit logs.
        CustomSecurityAttributeAuditLogs = "CustomSecurityAttributeAuditLogs",
    }
}

impl LogCategory {
    /// The sign-in event type a sign-in category stands for (`None` for other categories).
    pub fn sign_in_event_type(&self) -> Option<SignInEventType> {
        Some(match self {
            LogCategory::SignInLogs => SignInEventType::InteractiveUser,
            LogCategory::NonInteractiveUserSignInLogs => SignInEventType::NonInteractiveUser,
            LogCategory::ServicePrincipalSignInLogs => SignInEventType::ServicePrincipal,
            LogCategory::ManagedIdentitySignInLogs => SignInEventType::ManagedIdentity,
            _ => return None,
        })
    }
}

/// One Event Hubs message body: `{"records": [...]}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct EventHubMessage {
    /// The records of the message (one message can carry several).
    #[serde(deserialize_with = "crate::de::null_default")]
    pub records: Vec<DiagnosticRecord>,
}

impl EventHubMessage {
    /// Parses a message body.
    pub fn from_slice(body: &[u8]) -> Result<Self, EventHubError> {
        serde_json::from_slice(body)
            .map_err(|e| EventHubError::new(EventHubErrorKind::InvalidMessage, Some(e)))
    }
}

/// One diagnostic record: the envelope fields and the event in `properties`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
#[non_exhaustive]
pub struct DiagnosticRecord {
    /// Event time (UTC).
    #[serde(
        with = "crate::timestamp::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub time: Option<OffsetDateTime>,
    /// Unmapped resource id (`/tenants/{tid}/providers/Microsoft.aadiam`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
    /// E.g. `Sign-in activity`, or the audit activity name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_name: Option<String>,
    /// REST API version the client requested.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_version: Option<String>,
    /// The log category.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<LogCategory>,
    /// Tenant id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// `0` on success, else the AADSTS code (a string in the stream).
    #[serde(
        deserialize_with = "crate::de::flex_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub result_type: Option<String>,
    /// Always `None` in practice.
    #[serde(
        deserialize_with = "crate::de::flex_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub result_signature: Option<String>,
    /// Error text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_description: Option<String>,
    /// Unmapped duration.
    #[serde(
        deserialize_with = "crate::de::flex_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration_ms: Option<String>,
    /// Client IP address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller_ip_address: Option<String>,
    /// Correlation id of the envelope (prefer the one in `properties`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
    /// Display name from the presented token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Message level (`4` in samples).
    #[serde(
        rename = "Level",
        deserialize_with = "crate::de::flex_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub level: Option<String>,
    /// Country code of the sign-in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    /// The event itself, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Box<RawValue>>,
}

impl DiagnosticRecord {
    /// The event JSON (`properties`), as received.
    pub fn properties_json(&self) -> Option<&str> {
        self.properties.as_deref().map(RawValue::get)
    }

    /// Whether the record is a sign-in of one of the four sign-in categories.
    pub fn is_sign_in(&self) -> bool {
        self.category
            .as_ref()
            .and_then(LogCategory::sign_in_event_type)
            .is_some()
    }

    /// Converts a sign-in record into a [`SignIn`], with `signInEventTypes` set from the
    /// category (and `isInteractive`, when absent, from it too).
    pub fn to_sign_in(&self) -> Result<SignIn, EventHubError> {
        let event_type = self
            .category
            .as_ref()
            .and_then(LogCategory::sign_in_event_type)
            .ok_or_else(|| self.wrong_category("a sign-in category"))?;
        let mut sign_in: SignIn = self.parse_properties()?;
        if sign_in.is_interactive.is_none() {
            sign_in.is_interactive = Some(event_type == SignInEventType::InteractiveUser);
        }
        sign_in.sign_in_event_types = vec![event_type];
        if sign_in.created_date_time.is_none() {
            sign_in.created_date_time = self.time;
        }
        Ok(sign_in)
    }

    /// Converts an `AuditLogs` record into a [`DirectoryAudit`].
    pub fn to_directory_audit(&self) -> Result<DirectoryAudit, EventHubError> {
        if self.category != Some(LogCategory::AuditLogs) {
            return Err(self.wrong_category("AuditLogs"));
        }
        let mut audit: DirectoryAudit = self.parse_properties()?;
        if audit.activity_date_time.is_none() {
            audit.activity_date_time = self.time;
        }
        Ok(audit)
    }

    fn wrong_category(&self, expected: &'static str) -> EventHubError {
        let found = self
            .category
            .as_ref()
            .map_or_else(|| "none".to_owned(), |c| c.as_str().to_owned());
        EventHubError::new(EventHubErrorKind::WrongCategory { expected, found }, None)
    }

    fn parse_properties<T: serde::de::DeserializeOwned>(&self) -> Result<T, EventHubError> {
        let json = self
            .properties_json()
            .ok_or_else(|| EventHubError::new(EventHubErrorKind::MissingProperties, None))?;
        serde_json::from_str(json)
            .map_err(|e| EventHubError::new(EventHubErrorKind::InvalidProperties, Some(e)))
    }
}

/// What went wrong reading an Event Hubs record.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventHubErrorKind {
    /// The message body is not `{"records": [...]}` JSON.
    InvalidMessage,
    /// The record is of another category than the conversion needs.
    WrongCategory {
        /// The category the conversion needs.
        expected: &'static str,
        /// The record's category.
        found: String,
    },
    /// The record has no `properties`.
    MissingProperties,
    /// `properties` does not have the shape of the event.
    InvalidProperties,
}

/// An Event Hubs message or record that could not be read.
#[derive(Debug)]
pub struct EventHubError {
    kind: EventHubErrorKind,
    source: Option<serde_json::Error>,
}

impl EventHubError {
    fn new(kind: EventHubErrorKind, source: Option<serde_json::Error>) -> Self {
        EventHubError { kind, source }
    }

    /// What went wrong.
    pub fn kind(&self) -> &EventHubErrorKind {
        &self.kind
    }
}

impl fmt::Display for EventHubError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            EventHubErrorKind::InvalidMessage => f.write_str(
                "the Event Hubs message is not a diagnostic-settings body {\"records\": [...]}: check that the hub receives Entra diagnostic logs",
            )?,
            EventHubErrorKind::WrongCategory { expected, found } => write!(
                f,
                "the record's category is {found}, not {expected}: route records by category before converting"
            )?,
            EventHubErrorKind::MissingProperties => {
                f.write_str("the record has no properties object: it carries no event to convert")?
            }
            EventHubErrorKind::InvalidProperties => {
                f.write_str("the record's properties do not have the shape of the event")?
            }
        }
        if let Some(e) = &self.source {
            write!(f, " (at line {}, column {})", e.line(), e.column())?;
        }
        Ok(())
    }
}

impl std::error::Error for EventHubError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|e| e as _)
    }
}

//! Entra diagnostic logs from Azure Event Hubs, read the way real exports are written.
//!
//! Entra's diagnostic settings stream `SignInLogs`, `NonInteractiveUserSignInLogs`,
//! `ServicePrincipalSignInLogs`, `ManagedIdentitySignInLogs`, `AuditLogs` and more to an event
//! hub, as messages `{"records": [...]}`. This crate turns one message body into what the store
//! keeps:
//!
//! - sign-ins as [`Raw<SignIn>`](entra_model::Raw), with the event type of their category and
//!   the same id as the polled ones, so polling and streaming one tenant never duplicate;
//! - directory audit entries as [`Raw<DirectoryAudit>`](entra_model::Raw);
//! - records of other categories whole, by category;
//! - and every record it cannot read as a [`RejectedRecord`] with its text and the reason: one
//!   odd record never stops a partition, and nothing is lost.
//!
//! Real exports differ from the documented schema (times such as `12/12/2025 3:03:58 PM`,
//! numbers as strings, keys in any case, empty ids, categories beyond the sign-in ones): see
//! [`record`] for what is accepted and what is rejected.
//!
//! The Kafka consumer (partitions under leases, records and offsets in one store transaction)
//! builds on this reader; it is not in this crate yet.
//!
//! # Example
//!
//! ```
//! use oort_stream::{read_message, StreamRecord};
//!
//! let body = br#"{"records": [
//!   {"time": "12/12/2025 3:03:58 PM", "category": "SignInLogs", "Level": "4",
//!    "properties": {"id": "s-1", "userPrincipalName": "adele@contoso.com",
//!                   "status": {"errorCode": "50126"}}},
//!   {"time": "2025-12-12T15:04:00Z", "Category": "RiskyUsers", "properties": {"id": "u-1"}},
//!   {"time": "2025-12-12T15:04:01Z", "category": "SignInLogs", "properties": {"id": ""}}
//! ]}"#;
//! let message = read_message(body)?;
//! let StreamRecord::SignIn(sign_in) = &message.records[0] else { panic!() };
//! assert_eq!(sign_in.value().id, "s-1");
//! assert_eq!(sign_in.value().error_code(), Some(50126));
//! assert_eq!(message.records[1].category(), "RiskyUsers");
//! // The sign-in without an id is set aside with why, not dropped.
//! assert_eq!(message.rejected.len(), 1);
//! assert!(message.rejected[0].reason.contains("no id"));
//! # Ok::<(), oort_stream::MessageError>(())
//! ```

pub mod record;
mod time_forms;

pub use record::{
    read_message, read_record, MessageError, ReadMessage, RejectedRecord, StreamRecord,
    MAX_MESSAGE_BYTES,
};
pub use time_forms::parse_time;

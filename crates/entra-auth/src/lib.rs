//! App-only Microsoft Entra ID tokens for Microsoft Graph (and any other resource).
//!
//! INTERFACE DRAFT: the public types below are the contract other crates (notably
//! `graph-client`) build on. Implementations arrive with issue #3.

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod clock;
mod cloud;
mod credential;
mod error;
mod token;

pub use clock::{Clock, ManualClock, SystemClock};
pub use cloud::Cloud;
pub use credential::TokenCredential;
pub use error::AuthError;
pub use token::{AccessToken, TokenClaims};

//! Collects Entra ID sign-ins and directory data through Microsoft Graph into a store.
//!
//! Under construction: this increment provides the [`store`] layer (the [`store::Store`] trait and
//! the SQLite store); the connectivity test and the collection jobs follow.

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

pub mod store;

//! Integration tests of `graph-client` against local wiremock servers (one binary).

#![allow(clippy::unwrap_used)]

mod auth;
mod batch;
mod common;
mod errors;
mod observe;
mod paging;
mod prefetch;
mod retry;
mod security;
mod send_sync;
mod throttle;
mod wedge;

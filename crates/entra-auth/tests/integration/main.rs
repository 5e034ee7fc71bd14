//! Integration tests of `entra-auth`, gathered in one binary (one link instead of one per file).
//! Every test runs offline against a local `wiremock` token endpoint.

mod cache;
mod certificate;
mod claims;
mod cloud;
mod errors;
mod hygiene;
mod keyless;
mod retry;
mod secret;
mod send_sync;
mod support;

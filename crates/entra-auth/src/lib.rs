//! App-only Microsoft Entra ID tokens for Microsoft Graph (and any other resource).
//!
//! This crate signs a daemon in to a tenant as an app registration (the OAuth 2.0 client
//! credentials grant on the v2.0 endpoint), gets and keeps its access tokens, and says what the
//! tokens grant. It is usable alone by any Rust service that needs an app-only Entra token.
//!
//! - **Credentials**: [`ClientSecretCredential`] (tenant, client id, secret) and
//!   [`ClientCertificateCredential`] (a [`ClientCertificate`] from PEM or PKCS#12/PFX; the client
//!   assertion is a JWT signed PS256 with the `x5t#S256` header, or RS256 + `x5t` with
//!   [`AssertionProfile::Rs256`]). No OpenSSL: keys are parsed and used through aws-lc-rs, PEM
//!   through `rustls-pki-types`, PFX through `p12-keystore`. Without any secret:
//!   [`ManagedIdentityCredential`] (the instance metadata service, or App Service's identity
//!   endpoint) and [`WorkloadIdentityCredential`] (a federated token file, as Kubernetes
//!   workload identity and CI systems provide, exchanged as a client assertion).
//!   [`StaticTokenCredential`] hands out a token obtained elsewhere.
//! - **Clouds**: [`Cloud`] gives the authority host, Graph root, `.default` scope and token
//!   endpoint of the global, US Government (L4, L5) and China clouds, or of a custom pair of URLs
//!   (which is how tests point the crate at a loopback fake). Plain `http://` is refused except to
//!   loopback addresses.
//! - **Cache**: [`TokenCache`] fronts any [`TokenCredential`]: early refresh (5 minutes before
//!   expiry), single flight under concurrency, the still-valid token served when a refresh fails,
//!   and [`invalidate`](TokenCredential::invalidate) after a 401.
//! - **Errors**: [`AuthError`] maps the AADSTS codes a daemon meets to variants whose messages
//!   tell the operator what to fix; throttling, 5xx and transport failures are retried with
//!   backoff and `Retry-After` ([`RetryPolicy`], [`parse_retry_after`], [`jitter`]: the
//!   workspace's one retry policy, `Retry-After` parser and jitter, which `graph-client` uses too).
//! - **Claims**: [`TokenClaims`] decodes `roles` (the application permissions granted, as an
//!   [`entra_model::PermissionSet`]), `tid`, `appid`/`azp`, `oid` and `idtyp` from the token,
//!   without verifying it: that is the resource's job, and the claims are for diagnostics.
//! - **Network**: [`NetworkSettings`] is where every HTTP client of the workspace starts from:
//!   the environment's proxies (`HTTPS_PROXY`, `NO_PROXY`) or a given one, and certificate
//!   authorities trusted besides the system's (a TLS-inspecting proxy's, from `OORT_CA_FILE`).
//! - **Time** is read through an injected [`Clock`], so expiry and refresh are testable on a
//!   [`ManualClock`]; retry waits use `tokio::time::sleep`, testable on paused time.
//!
//! Secrets (client secret, private key, PFX password, client assertions, tokens) are held in
//! `secrecy` or zeroizing types and never appear in `Debug`, `Display`, errors or `tracing`
//! events; `Debug` of a credential shows its tenant, client id and authority only.
//!
//! Not here: delegated (user) flows, persistent token caches, and the Graph requests themselves (the `graph-client` crate).
//!
//! # Example
//!
//! A token from a local mock of the token endpoint (a real tenant needs only
//! `Cloud::Global` and real ids):
//!
//! ```
//! use std::sync::Arc;
//! use entra_auth::{ClientSecretCredential, Cloud, TokenCache, TokenCredential};
//! use secrecy::{ExposeSecret, SecretString};
//! use wiremock::matchers::{body_string_contains, method, path};
//! use wiremock::{Mock, MockServer, ResponseTemplate};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let server = MockServer::start().await;
//! Mock::given(method("POST"))
//!     .and(path("/contoso.onmicrosoft.com/oauth2/v2.0/token"))
//!     .and(body_string_contains("grant_type=client_credentials"))
//!     .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
//!         "token_type": "Bearer",
//!         "expires_in": 3599,
//!         "ext_expires_in": 3599,
//!         "access_token": "not-a-real-token",
//!     })))
//!     .expect(1) // the second call below is answered by the cache
//!     .mount(&server)
//!     .await;
//!
//! let cloud = Cloud::custom(&server.uri(), &server.uri())?;
//! let scope = cloud.graph_scope(); // "http://127.0.0.1:<port>/.default"
//! let credential = ClientSecretCredential::builder(
//!     "contoso.onmicrosoft.com",
//!     "00000000-0000-0000-0000-000000000001",
//!     SecretString::from("secret value from the environment"),
//! )
//! .cloud(cloud)
//! .build()?;
//! let credential = TokenCache::new(Arc::new(credential));
//!
//! let token = credential.get_token(&scope).await?;
//! assert_eq!(token.token.expose_secret(), "not-a-real-token");
//! assert!(token.claims.roles.is_empty()); // an opaque token has no claims
//! credential.get_token(&scope).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod cache;
mod certificate;
mod client_secret;
mod clock;
mod cloud;
mod credential;
mod endpoint;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod managed_identity;
mod network;
#[cfg(test)]
mod parser_props;
mod retry;
mod static_token;
mod token;
mod workload_identity;

pub use cache::{TokenCache, TokenCacheBuilder};
pub use certificate::{
    AssertionProfile, ClientCertificate, ClientCertificateCredential,
    ClientCertificateCredentialBuilder,
};
pub use client_secret::{ClientSecretCredential, ClientSecretCredentialBuilder};
pub use clock::{Clock, ManualClock, SystemClock};
pub use cloud::{Cloud, MICROSOFT_AUTHORITY_HOSTS};
pub use credential::{CredentialIdentity, TokenCredential};
pub use error::{AuthError, TokenEndpointError, TransportError};
pub use managed_identity::{
    ManagedIdentityCredential, ManagedIdentityCredentialBuilder, IMDS_TOKEN_ENDPOINT,
};
pub use network::NetworkSettings;
pub use retry::{jitter, parse_retry_after, RetryPolicy};
pub use static_token::StaticTokenCredential;
pub use token::{AccessToken, TokenClaims};
pub use workload_identity::{WorkloadIdentityCredential, WorkloadIdentityCredentialBuilder};

//! A typed, paged, throttle-aware Microsoft Graph client.
//!
//! Every HTTP call oort makes to Microsoft Graph goes through this crate. It knows Graph's
//! protocol — OData query options and paging, delta queries, `$batch`, the error format,
//! throttling — and nothing about Entra's resources: it is generic over the item type
//! (`T: DeserializeOwned`; the shapes live in `entra-model`). It is not a token library (tokens
//! come from an [`entra_auth::TokenCredential`], ideally through the `entra-auth` cache) and not
//! a generated SDK: there is no method per endpoint.
//!
//! What every request gets, the first page and every later one alike:
//! - a token fetched from the credential for that request (a crawl outlives a token), sent only
//!   to the configured origin (scheme, host, port): a nextLink, deltaLink or redirect elsewhere
//!   fails with [`GraphError::ForeignOrigin`] before anything is sent; `http://` only to loopback;
//! - a fresh `client-request-id`, the extra headers of the request (`ConsistencyLevel`,
//!   `Prefer`), `x-ms-throttle-priority: Low` in [background](GraphClientBuilder::background) mode;
//! - client-side pacing by [`ThrottleClass`] at Graph's documented per-tenant limits
//!   ([`ThrottleLimits`]), slowed down when Graph reports `x-ms-throttle-limit-percentage` > 0.8;
//! - retries by the [`RetryPolicy`]: 429/503/504 always, 408/500/502 and transport errors for
//!   idempotent methods; `Retry-After` in (fractional) seconds or as an HTTP-date; full-jitter
//!   exponential backoff; bounded by retries and elapsed time; one token refresh on a 401
//!   `InvalidAuthenticationToken` ([`RetryPolicy`] and [`parse_retry_after`] are `entra-auth`'s,
//!   re-exported: the token endpoint is retried by the same policy);
//! - pages fetched ahead of the consumer: while it processes page `n`, the next pages are
//!   decoded and fetched, each fetch starting as soon as the page before it has arrived
//!   (bounded: three pages ahead);
//! - a `tracing` span `graph_request` with method, path (never query values or tokens), status,
//!   request-id, attempt and wait; and, for a caller that wants them (progress bars, adaptive
//!   concurrency), [`RequestEvent`]s (paced, retrying, answered) sent to the observer given to
//!   [`observe`].
//!
//! # Paging
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use graph_client::{GraphClient, GraphRequest};
//! use serde::Deserialize;
//!
//! #[derive(Debug, Deserialize)]
//! struct User { id: String, #[serde(rename = "displayName")] display_name: Option<String> }
//!
//! # async fn run(client: GraphClient) -> Result<(), graph_client::GraphError> {
//! // Items, typed, across every page:
//! let users: Vec<User> = client
//!     .items::<User>(GraphRequest::get("users").select(["id", "displayName"]).top(999))
//!     .try_collect()
//!     .await?;
//!
//! // Pages of raw JSON (lossless), stopped after the first page and resumed later:
//! let mut pages = client.pages::<Box<serde_json::value::RawValue>>(
//!     GraphRequest::get("auditLogs/signIns").filter("createdDateTime ge 2024-05-01T00:00:00Z"),
//! );
//! if let Some(page) = pages.try_next().await? {
//!     println!("{} sign-ins", page.items.len());
//! }
//! let saved = serde_json::to_string(&pages.continuation()).unwrap(); // persist this
//! drop(pages);
//! let continuation = serde_json::from_str(&saved).unwrap();
//! # let continuation: Option<_> = continuation;
//! if let Some(continuation) = continuation {
//!     let mut rest = client.resume::<Box<serde_json::value::RawValue>>(continuation);
//!     while let Some(page) = rest.try_next().await? {
//!         for raw in page.items { let _json_text: &str = raw.get(); }
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Delta
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use graph_client::{Continuation, GraphClient, GraphError, GraphRequest};
//!
//! # async fn run(client: GraphClient, saved: Option<String>) -> Result<(), GraphError> {
//! let mut stream = match saved {
//!     Some(delta_link) => client.resume::<serde_json::Value>(Continuation::delta_link(delta_link)),
//!     None => client.delta::<serde_json::Value>(GraphRequest::get("users/delta").select(["id", "displayName"])),
//! };
//! loop {
//!     match stream.try_next().await {
//!         Ok(Some(page)) => { /* upsert page.items; an item with "@removed" was deleted */ }
//!         Ok(None) => break,
//!         Err(e) if e.is_resync_required() => { /* forget the deltaLink, start a full sync */ return Ok(()) }
//!         Err(e) => return Err(e),
//!     }
//! }
//! let next_delta_link: Option<&str> = stream.delta_link(); // persist for the next round
//! # let _ = next_delta_link;
//! # Ok(()) }
//! ```
//!
//! # Batch
//!
//! ```no_run
//! use graph_client::{Batch, GraphClient, GraphRequest};
//! use serde_json::Value;
//!
//! # async fn run(client: GraphClient, user_ids: Vec<String>) -> Result<(), graph_client::GraphError> {
//! let mut batch = Batch::new();
//! let ids: Vec<(String, String)> = user_ids
//!     .iter()
//!     .map(|u| (u.clone(), batch.add(GraphRequest::get(format!("users/{u}/authentication/methods")))))
//!     .collect();
//! // Sent 20 per $batch; inner 429s are retried on their own.
//! let answers = client.batch(batch).await?;
//! for (user, id) in ids {
//!     match answers.json::<Value>(&id) {
//!         Ok(methods) => println!("{user}: {methods}"),
//!         Err(e) if e.is_not_found() => println!("{user}: gone"),
//!         Err(e) => return Err(e),
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! ```no_run
//! use graph_client::{GraphClient, GraphError, GraphRequest};
//!
//! # async fn run(client: GraphClient) -> Result<(), GraphError> {
//! match client.send::<serde_json::Value>(GraphRequest::get("auditLogs/signIns").top(1)).await {
//!     Ok(page) => println!("{page}"),
//!     Err(e) if e.is_licence_required() => println!("sign-in logs need Entra ID P1/P2"),
//!     Err(e) if e.is_permission_denied() => println!("grant AuditLog.Read.All"),
//!     Err(e) => eprintln!("{e} (request-id {:?}, date {:?})", e.request_id(), e.date()),
//! }
//! # Ok(()) }
//! ```
//!
//! # Building a client
//!
//! ```
//! use std::sync::Arc;
//! use entra_auth::{AccessToken, AuthError, TokenCredential};
//! use graph_client::{GraphClient, ThrottleLimits, TenantSize};
//!
//! #[derive(Debug)]
//! struct MyCredential;
//! #[async_trait::async_trait]
//! impl TokenCredential for MyCredential {
//!     async fn get_token(&self, _scope: &str) -> Result<AccessToken, AuthError> {
//!         Err(AuthError::NotImplemented)
//!     }
//! }
//!
//! let client = GraphClient::builder()
//!     .credential(Arc::new(MyCredential))
//!     .base_url("https://graph.microsoft.com")
//!     .throttle_limits(ThrottleLimits::default().tenant_size(TenantSize::Large))
//!     .background(true)
//!     .build()
//!     .unwrap();
//! assert_eq!(client.root(), "https://graph.microsoft.com");
//!
//! // Plain http is refused except to loopback.
//! let err = GraphClient::builder()
//!     .credential(Arc::new(MyCredential))
//!     .base_url("http://graph.example.com")
//!     .build()
//!     .unwrap_err();
//! assert!(err.to_string().contains("plain http"));
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations)]

mod batch;
mod client;
mod error;
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod fuzzing;
mod observe;
mod paging;
#[cfg(test)]
mod parser_props;
mod request;
mod retry;
mod throttle;

pub use batch::{Batch, BatchResponse, BatchResponses, MAX_BATCH_SIZE};
pub use client::{GraphClient, GraphClientBuilder, GraphResponse, DEFAULT_USER_AGENT};
pub use entra_auth::{parse_retry_after, RetryPolicy};
pub use error::{ApiError, GraphError};
pub use observe::{observe, Observer, RequestEvent};
pub use paging::{
    Continuation, ItemStream, Lenient, LinkKind, Page, PageStream, RejectedItem, DEFAULT_MAX_PAGES,
};
pub use request::{ApiVersion, GraphRequest, Method};
pub use throttle::{Rate, TenantSize, ThrottleClass, ThrottleLimits};

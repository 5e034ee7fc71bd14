//! Connecting the workspace's own clients to a running fake tenant (feature `client`).
//!
//! Tests, examples, benches and `oort demo` all need the same glue: an `entra-auth`
//! [`ClientSecretCredential`] with the fake's credentials and its authority host, a
//! [`TokenCache`] over it, a `graph-client` [`GraphClient`] on the fake's Graph URL, and one
//! clock for all three. [`FakeConnection::builder`] makes them; [`FakeClockAdapter`] reads a
//! [`FakeClock`] through [`entra_auth::Clock`].
//!
//! # Example
//! Connect to a fake tenant, with client-side throttling off, and read its users:
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use entra_fake::connect::FakeConnection;
//! use graph_client::GraphRequest;
//!
//! let tenant = entra_fake::FakeTenant::builder().seed(7).members(20).start().await?;
//! let connection = FakeConnection::builder(&tenant)
//!     .graph(|client| client.throttling(false))
//!     .build()?;
//! let users: serde_json::Value = connection.client.send(GraphRequest::get("users")).await?;
//! // 20 members, 10 guests, 2 break-glass accounts
//! assert_eq!(users["value"].as_array().map(Vec::len), Some(32));
//! // Tokens expire, and are refreshed, by the fake's clock.
//! assert_eq!(connection.clock.now(), tenant.clock().now());
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use entra_auth::{ClientSecretCredential, Clock, Cloud, TokenCache, TokenCredential};
use graph_client::{GraphClient, GraphClientBuilder};
use secrecy::SecretString;
use time::OffsetDateTime;

use crate::{FakeClock, FakeError, FakeTenant};

/// A [`FakeClock`] read through [`entra_auth::Clock`], so that token expiry, throttling waits
/// and collection windows of the libraries follow the fake tenant's time.
#[derive(Debug, Clone)]
pub struct FakeClockAdapter(FakeClock);

impl FakeClockAdapter {
    /// Reads `clock` (a clone shares the fake's time: advancing one advances both).
    pub fn new(clock: FakeClock) -> Self {
        FakeClockAdapter(clock)
    }

    /// The fake tenant's clock.
    pub fn fake_clock(&self) -> &FakeClock {
        &self.0
    }
}

impl Clock for FakeClockAdapter {
    fn now(&self) -> OffsetDateTime {
        self.0.now()
    }
}

/// A credential and a Graph client connected to a fake tenant, sharing one clock.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FakeConnection {
    /// The fake's client-secret credential behind a [`TokenCache`] (what the client uses; some
    /// libraries also ask it for the token's granted permissions).
    pub credential: Arc<dyn TokenCredential>,
    /// The Graph client on the fake's Graph URL.
    pub client: GraphClient,
    /// The token scope: the global Graph resource, `https://graph.microsoft.com/.default`,
    /// which the fake answers for.
    pub scope: String,
    /// The clock of the credential, the cache and the client.
    pub clock: Arc<dyn Clock>,
}

impl FakeConnection {
    /// Starts describing a connection to `tenant` (its tenant id, client id, secret, authority
    /// host and Graph URL are read now).
    pub fn builder(tenant: &FakeTenant) -> FakeConnectionBuilder {
        FakeConnectionBuilder {
            tenant_id: tenant.tenant_id().to_owned(),
            client_id: tenant.client_id().to_owned(),
            secret: SecretString::from(tenant.client_secret().to_owned()),
            authority_host: tenant.authority_host(),
            graph_url: tenant.graph_url(),
            clock: Arc::new(FakeClockAdapter::new(tenant.clock().clone())),
            graph: None,
        }
    }
}

type GraphTweak = Box<dyn FnOnce(GraphClientBuilder) -> GraphClientBuilder + Send>;

/// Builds a [`FakeConnection`]; made by [`FakeConnection::builder`].
pub struct FakeConnectionBuilder {
    tenant_id: String,
    client_id: String,
    secret: SecretString,
    authority_host: String,
    graph_url: String,
    clock: Arc<dyn Clock>,
    graph: Option<GraphTweak>,
}

impl fmt::Debug for FakeConnectionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FakeConnectionBuilder")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("secret", &"[REDACTED]")
            .field("authority_host", &self.authority_host)
            .field("graph_url", &self.graph_url)
            .field("clock", &self.clock)
            .field("graph", &self.graph.as_ref().map(|_| "(tweak)"))
            .finish()
    }
}

impl FakeConnectionBuilder {
    /// The clock of the credential, the token cache and the Graph client. Default: the fake
    /// tenant's own clock, through [`FakeClockAdapter`].
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Adjusts the Graph client, e.g. `|b| b.throttling(false).background(true)`. It receives a
    /// builder whose credential, base URL, scope and clock are already set (and may change
    /// them). Default: no adjustment (`graph-client`'s defaults).
    pub fn graph(
        mut self,
        tweak: impl FnOnce(GraphClientBuilder) -> GraphClientBuilder + Send + 'static,
    ) -> Self {
        self.graph = Some(Box::new(tweak));
        self
    }

    /// Builds the credential, its cache and the Graph client. Fails only when the fake's URLs
    /// are refused by `entra-auth` or `graph-client` ([`FakeError::Credential`],
    /// [`FakeError::Graph`]).
    pub fn build(self) -> Result<FakeConnection, FakeError> {
        let cloud = Cloud::custom(&self.authority_host, &self.graph_url)
            .map_err(|e| FakeError::Credential(Box::new(e)))?;
        let secret = ClientSecretCredential::builder(self.tenant_id, self.client_id, self.secret)
            .cloud(cloud)
            .clock(self.clock.clone())
            .build()
            .map_err(|e| FakeError::Credential(Box::new(e)))?;
        let credential: Arc<dyn TokenCredential> = Arc::new(
            TokenCache::builder(Arc::new(secret))
                .clock(self.clock.clone())
                .build(),
        );
        // The fake answers for the global Graph resource.
        let scope = Cloud::Global.graph_scope();
        let mut client = GraphClient::builder()
            .credential(credential.clone())
            .base_url(self.graph_url)
            .scope(scope.clone())
            .clock(self.clock.clone());
        if let Some(tweak) = self.graph {
            client = tweak(client);
        }
        let client = client.build().map_err(|e| FakeError::Graph(Box::new(e)))?;
        Ok(FakeConnection {
            credential,
            client,
            scope,
            clock: self.clock,
        })
    }
}

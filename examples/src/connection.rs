//! A connection to a tenant: the fake one in this process, or a real one from `OORT_*`.

use std::fmt;
use std::sync::Arc;

use entra_auth::{ClientSecretCredential, Clock, Cloud, SystemClock, TokenCache, TokenCredential};
use entra_fake::connect::FakeConnection;
use entra_fake::{FakeTenant, FakeTenantBuilder, Throttling};
use graph_client::GraphClient;
use secrecy::SecretString;

/// Why a [`Connection`] could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// A setting is missing or invalid; the message names the variable to set.
    #[error("{0}")]
    Config(String),
    /// The fake tenant did not start, or no client could be connected to it.
    #[error("cannot use the fake tenant: {0}")]
    Fake(#[source] entra_fake::FakeError),
    /// The credential could not be built (an invalid cloud or authority host).
    #[error("the credential could not be built: {0}")]
    Credential(#[source] entra_auth::AuthError),
    /// The Graph client could not be built (an invalid Graph URL).
    #[error("the Graph client could not be built: {0}")]
    Graph(#[source] graph_client::GraphError),
}

/// What a program needs to talk to a tenant: a Graph client, the credential behind it (some
/// libraries ask it for the token's granted permissions), the clock, and the accounts
/// remediation must never touch.
///
/// Built from the environment ([`Connection::from_env_or_fake`]), from any lookup of the same
/// variables ([`Connection::from_vars`]), or on a fake tenant ([`Connection::start_fake`]), which
/// then lives as long as the connection.
pub struct Connection {
    /// The Graph client (throttle-aware, paging, retries).
    pub client: GraphClient,
    /// The cached token credential the client uses.
    pub credential: Arc<dyn TokenCredential>,
    /// The token scope for Graph, e.g. `https://graph.microsoft.com/.default`.
    pub scope: String,
    /// The tenant id.
    pub tenant_id: String,
    /// The clock: the system clock for a real tenant, the fake tenant's clock for the fake.
    pub clock: Arc<dyn Clock>,
    /// Break-glass accounts (UPNs or object ids) remediation refuses to act on: the fake's, or
    /// `OORT_BREAK_GLASS_ACCOUNTS` (comma-separated) for a real tenant.
    pub break_glass_accounts: Vec<String>,
    fake: Option<FakeTenant>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("tenant_id", &self.tenant_id)
            .field("graph", &self.client.root())
            .field("scope", &self.scope)
            .field("fake", &self.fake.as_ref().map(FakeTenant::uri))
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// The real tenant named by the environment when `OORT_TENANT_ID` is set (see
    /// [`Connection::from_vars`]), else a fake tenant started in this process
    /// ([`Connection::default_fake`]).
    pub async fn from_env_or_fake() -> Result<Connection, ConnectError> {
        match Connection::from_vars(|name| std::env::var(name).ok())? {
            Some(connection) => Ok(connection),
            None => Connection::start_fake(Connection::default_fake()).await,
        }
    }

    /// The fake tenant the programs use by default: 40 members, 8 guests, 8 applications and 7
    /// days of sign-ins with planted attacks, its clock running in real time from now, and Graph's
    /// documented throttling (the client paces itself under it, as against a real tenant).
    pub fn default_fake() -> FakeTenantBuilder {
        FakeTenant::builder()
            .seed(1)
            .members(40)
            .guests(8)
            .applications(8)
            .history_days(7)
            .now(SystemClock.now())
            .real_time(true)
            .throttling(Throttling::documented())
    }

    /// A connection to a real tenant from variables looked up with `var` (the programs pass
    /// `std::env::var`), or `None` when `OORT_TENANT_ID` is not set.
    ///
    /// Reads `OORT_TENANT_ID`, `OORT_CLIENT_ID`, `OORT_CLIENT_SECRET` or
    /// `OORT_CLIENT_SECRET_FILE` (a file holding the secret), `OORT_CLOUD` (`global`, the
    /// default, `usgov`, `usgovdod`, `china`), `OORT_AUTHORITY_HOST` and `OORT_GRAPH_URL` (both
    /// override the cloud's hosts; a Graph on loopback is taken for an `oort fake-tenant`, which
    /// answers for the global Graph scope), and `OORT_BREAK_GLASS_ACCOUNTS`. The secret goes
    /// straight into a `SecretString` and is never printed.
    pub fn from_vars(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Connection>, ConnectError> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let Some(tenant_id) = var("OORT_TENANT_ID") else {
            return Ok(None);
        };
        let client_id = var("OORT_CLIENT_ID").ok_or_else(|| {
            ConnectError::Config(
                "OORT_TENANT_ID is set but OORT_CLIENT_ID is not: set the app's client id".into(),
            )
        })?;
        let secret = match (var("OORT_CLIENT_SECRET"), var("OORT_CLIENT_SECRET_FILE")) {
            (Some(secret), _) => SecretString::from(secret),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    ConnectError::Config(format!(
                        "OORT_CLIENT_SECRET_FILE {path} cannot be read: {e}"
                    ))
                })?;
                SecretString::from(text.trim().to_owned())
            }
            (None, None) => {
                return Err(ConnectError::Config(
                    "OORT_TENANT_ID is set but no secret: set OORT_CLIENT_SECRET or OORT_CLIENT_SECRET_FILE"
                        .into(),
                ))
            }
        };
        let base: Cloud = match var("OORT_CLOUD") {
            Some(name) => name.parse().map_err(ConnectError::Credential)?,
            None => Cloud::Global,
        };
        let (cloud, scope) = match (var("OORT_AUTHORITY_HOST"), var("OORT_GRAPH_URL")) {
            (None, None) => {
                let scope = base.graph_scope();
                (base, scope)
            }
            (authority, graph) => {
                let authority = authority.unwrap_or_else(|| base.authority_host().to_string());
                let graph = graph.unwrap_or_else(|| base.graph_root().to_string());
                let cloud = Cloud::custom(&authority, &graph).map_err(ConnectError::Credential)?;
                let scope = if is_loopback(&cloud.graph_root()) {
                    Cloud::Global.graph_scope()
                } else {
                    cloud.graph_scope()
                };
                (cloud, scope)
            }
        };
        let break_glass_accounts = var("OORT_BREAK_GLASS_ACCOUNTS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let credential = ClientSecretCredential::builder(tenant_id.clone(), client_id, secret)
            .cloud(cloud.clone())
            .clock(clock.clone())
            .build()
            .map_err(ConnectError::Credential)?;
        let mut connection = Connection::with_credential(
            Arc::new(credential),
            cloud.graph_root().as_str().trim_end_matches('/'),
            scope,
            tenant_id,
            clock,
        )?;
        connection.break_glass_accounts = break_glass_accounts;
        Ok(Some(connection))
    }

    /// Starts the fake tenant `builder` describes and connects to it with its own credentials
    /// and clock. The fake stops when the connection is dropped.
    pub async fn start_fake(builder: FakeTenantBuilder) -> Result<Connection, ConnectError> {
        let fake = builder.start().await.map_err(ConnectError::Fake)?;
        let FakeConnection {
            credential,
            client,
            scope,
            clock,
            ..
        } = FakeConnection::builder(&fake)
            .build()
            .map_err(ConnectError::Fake)?;
        Ok(Connection {
            client,
            credential,
            scope,
            tenant_id: fake.tenant_id().to_owned(),
            clock,
            break_glass_accounts: fake.break_glass_accounts(),
            fake: Some(fake),
        })
    }

    fn with_credential(
        credential: Arc<dyn TokenCredential>,
        graph_root: &str,
        scope: String,
        tenant_id: String,
        clock: Arc<dyn Clock>,
    ) -> Result<Connection, ConnectError> {
        // The cache reuses a token until 5 minutes before it expires.
        let credential: Arc<dyn TokenCredential> =
            Arc::new(TokenCache::builder(credential).clock(clock.clone()).build());
        let client = GraphClient::builder()
            .credential(credential.clone())
            .base_url(graph_root)
            .scope(scope.clone())
            .clock(clock.clone())
            .build()
            .map_err(ConnectError::Graph)?;
        Ok(Connection {
            client,
            credential,
            scope,
            tenant_id,
            clock,
            break_glass_accounts: Vec::new(),
            fake: None,
        })
    }

    /// The fake tenant, when connected to one (tests read its state through it).
    pub fn fake(&self) -> Option<&FakeTenant> {
        self.fake.as_ref()
    }

    /// One line saying where the program runs, e.g. `fake tenant 9c3e... at
    /// http://127.0.0.1:41234 (set OORT_TENANT_ID ... for a real one)` or `tenant 9c3e... at
    /// https://graph.microsoft.com`.
    pub fn describe(&self) -> String {
        match &self.fake {
            Some(fake) => format!(
                "fake tenant {} at {} (set OORT_TENANT_ID, OORT_CLIENT_ID and OORT_CLIENT_SECRET to use a real one)",
                self.tenant_id,
                fake.uri()
            ),
            None => format!("tenant {} at {}", self.tenant_id, self.client.root()),
        }
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

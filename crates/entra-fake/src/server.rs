//! The wiremock server: one dispatcher that answers the token endpoint and Graph.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration as StdDuration;

use serde_json::{json, Value};
use time::OffsetDateTime;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::clock::FakeClock;
use crate::error::FakeError;
use crate::jwt;
use crate::rng::{hash, uuid_from};
use crate::signins::{ns, Extra, Kind};
use crate::tenant::{BenignCase, Credentials, GroundTruth, PostureFinding, Tenant};
use crate::throttle::Throttling;

/// Injected faults, consumed by the next Graph requests.
#[derive(Debug, Default, Clone)]
pub(crate) struct Faults {
    pub(crate) unavailable: u32,
    pub(crate) malformed: u32,
    /// Sign-in pages whose first item gets a `createdDateTime` no model reads.
    pub(crate) unreadable_sign_ins: u32,
    /// Statuses answered, in order, to the next requests for a later page (`$skiptoken`).
    pub(crate) stale_links: std::collections::VecDeque<u16>,
}

/// A request the fake received (kept only when recording is on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path_and_query: String,
    /// The status answered.
    pub status: u16,
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) tenant: Mutex<Tenant>,
    pub(crate) base: OnceLock<String>,
    pub(crate) latency: Mutex<StdDuration>,
    pub(crate) record: Option<Mutex<Vec<RecordedRequest>>>,
    pub(crate) key: u64,
}

impl Shared {
    pub(crate) fn base(&self) -> &str {
        self.base
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1")
    }
}

/// An HTTP request in the dispatcher's own terms (so `$batch` can replay inner requests).
#[derive(Debug, Clone)]
pub(crate) struct Req {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: HashMap<String, String>,
    pub(crate) body: Vec<u8>,
}

impl Req {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
pub(crate) enum Body {
    None,
    Json(Value),
    Raw(Vec<u8>, &'static str),
}

#[derive(Debug, Clone)]
pub(crate) struct Resp {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
}

impl Resp {
    pub(crate) fn json(status: u16, v: Value) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Body::Json(v),
        }
    }
    pub(crate) fn raw_json(status: u16, bytes: Vec<u8>) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Body::Raw(bytes, "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
        }
    }
    pub(crate) fn empty(status: u16) -> Resp {
        Resp {
            status,
            headers: Vec::new(),
            body: Body::None,
        }
    }
    pub(crate) fn with_header(mut self, k: &str, v: impl Into<String>) -> Resp {
        self.headers.push((k.to_owned(), v.into()));
        self
    }
}

struct Dispatcher(Arc<Shared>);

/// Decodes `%XX` escapes of a URL path (invalid escapes are kept as they are).
fn percent_decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| path.to_owned())
}

impl Respond for Dispatcher {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let mut headers = HashMap::new();
        for (k, v) in request.headers.iter() {
            if let Ok(v) = v.to_str() {
                headers.insert(k.as_str().to_ascii_lowercase(), v.to_owned());
            }
        }
        let req = Req {
            method: request.method.as_str().to_owned(),
            // Graph decodes the path: a guest's `…%23EXT%23@…` UPN addresses the user.
            path: percent_decode(request.url.path()),
            query: request
                .url
                .query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
            headers,
            body: request.body.clone(),
        };
        let resp = handle(&self.0, &req);
        if let Some(rec) = &self.0.record {
            let pq = match request.url.query() {
                Some(q) => format!("{}?{}", request.url.path(), q),
                None => request.url.path().to_owned(),
            };
            rec.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(RecordedRequest {
                    method: req.method.clone(),
                    path_and_query: pq,
                    status: resp.status,
                });
        }
        let mut t = ResponseTemplate::new(resp.status);
        for (k, v) in &resp.headers {
            t = t.insert_header(k.as_str(), v.as_str());
        }
        t = match resp.body {
            Body::None => t,
            Body::Json(v) => t.set_body_raw(v.to_string().into_bytes(), "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"),
            Body::Raw(b, mime) => t.set_body_raw(b, mime),
        };
        let latency = *self
            .0
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !latency.is_zero() {
            t = t.set_delay(latency);
        }
        t
    }
}

/// Routes one request.
pub(crate) fn handle(shared: &Shared, req: &Req) -> Resp {
    let mut tenant = shared.tenant.lock().unwrap_or_else(PoisonError::into_inner);
    let t = &mut *tenant;
    t.request_counter += 1;
    let request_id = uuid_from(
        hash(&[t.cfg.seed, 0x4E9, t.request_counter]),
        t.request_counter,
    );
    let client_request_id = req.header("client-request-id").map(str::to_owned);
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let mut resp = if segs.len() == 4
        && segs[1] == "oauth2"
        && segs[2] == "v2.0"
        && segs[3] == "token"
    {
        if req.method == "POST" {
            token(shared, t, segs[0], req, &request_id)
        } else {
            Resp::json(
                405,
                json!({"error": "invalid_request", "error_description": "AADSTS900561: The endpoint only accepts POST requests."}),
            )
        }
    } else if matches!(segs.first(), Some(&"v1.0") | Some(&"beta")) {
        let ctx = crate::graph::Ctx {
            base: shared.base().to_owned(),
            key: shared.key,
            request_id: request_id.clone(),
            client_request_id: client_request_id
                .clone()
                .unwrap_or_else(|| request_id.clone()),
        };
        crate::graph::graph(t, &ctx, req, &segs)
    } else {
        Resp::json(
            404,
            json!({"error": {"code": "NotFound", "message": format!("No fake endpoint at {}", req.path)}}),
        )
    };
    if segs.first().is_some_and(|s| *s == "v1.0" || *s == "beta") {
        resp = resp
            .with_header("request-id", request_id.clone())
            .with_header("client-request-id", client_request_id.unwrap_or(request_id))
            .with_header("x-ms-ags-diagnostic", r#"{"ServerInfo":{"DataCenter":"West Europe","Slice":"E","Ring":"5","ScaleUnit":"000","RoleInstance":"AM1PEPF0000FAKE"}}"#);
    } else {
        resp = resp.with_header("x-ms-request-id", request_id);
    }
    // Microsoft's answers carry the time of their own clock (RFC 9110 `Date`): the fake's.
    resp.with_header("Date", http_date(t.clock.now()))
}

/// An IMF-fixdate (`Sun, 01 Jun 2025 12:00:00 GMT`), as the `Date` header writes a time.
pub(crate) fn http_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let weekday = &t.weekday().to_string()[..3];
    let month = &t.month().to_string()[..3];
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn token_error(
    t: &Tenant,
    status: u16,
    error: &str,
    code: u64,
    msg: &str,
    request_id: &str,
) -> Resp {
    let now = t.clock.now();
    let ts = format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let corr = uuid_from(hash(&[t.cfg.seed, 0xC0, t.request_counter]), 5);
    Resp::json(
        status,
        json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {msg}\r\nTrace ID: {request_id}\r\nCorrelation ID: {corr}\r\nTimestamp: {ts}"),
            "error_codes": [code],
            "timestamp": ts,
            "trace_id": request_id,
            "correlation_id": corr,
            "error_uri": format!("https://login.microsoftonline.com/error?code={code}"),
        }),
    )
}

/// The client id and secret of a token request: form fields, else HTTP Basic (RFC 6749 2.3.1,
/// each part form-urlencoded).
fn client_of(form: &HashMap<String, String>, req: &Req) -> (Option<String>, Option<String>) {
    let mut client_id = form.get("client_id").cloned();
    let mut secret = form.get("client_secret").cloned();
    if let Some(basic) = req
        .header("authorization")
        .and_then(|a| a.strip_prefix("Basic "))
    {
        use base64::Engine as _;
        if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) {
            if let Some((id, s)) = String::from_utf8_lossy(&raw).split_once(':') {
                let dec = |x: &str| {
                    url::form_urlencoded::parse(format!("v={x}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default()
                };
                client_id.get_or_insert_with(|| dec(id));
                secret.get_or_insert_with(|| dec(s));
            }
        }
    }
    (client_id, secret)
}

fn token(shared: &Shared, t: &mut Tenant, tenant_seg: &str, req: &Req, request_id: &str) -> Resp {
    if tenant_seg.eq_ignore_ascii_case("common") || tenant_seg.eq_ignore_ascii_case("consumers") {
        return token_error(t, 400, "invalid_request", 9_001_023, "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.", request_id);
    }
    if !tenant_seg.eq_ignore_ascii_case(&t.tenant_id) && !tenant_seg.eq_ignore_ascii_case(&t.domain)
    {
        return token_error(t, 400, "invalid_request", 90_002, &format!("Tenant '{tenant_seg}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant."), request_id);
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&req.body)
        .into_owned()
        .collect();
    let (client_id, secret) = client_of(&form, req);
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return token_error(t, 400, "unsupported_grant_type", 70_003, "The app requested an unsupported grant type. The fake tenant supports client_credentials only.", request_id);
    }
    let Some(client_id) = client_id else {
        return token_error(
            t,
            400,
            "invalid_request",
            900_144,
            "The request body must contain the following parameter: 'client_id'.",
            request_id,
        );
    };
    if client_id != t.client_id {
        return token_error(t, 400, "unauthorized_client", 700_016, &format!("Application with identifier '{client_id}' was not found in the directory '{}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", t.domain), request_id);
    }
    let scope = form.get("scope").map(String::as_str).unwrap_or_default();
    // The Graph resource by its global URI or app id, or by this server's own origin (which is
    // the Graph root of a custom cloud pointed at the fake).
    let own = format!("{}/.default", shared.base().trim_end_matches('/'));
    let scope_ok = scope.split(' ').filter(|s| !s.is_empty()).all(|s| {
        s == "https://graph.microsoft.com/.default"
            || s == "https://graph.microsoft.com//.default"
            || s == "00000003-0000-0000-c000-000000000000/.default"
            || s == own
    }) && !scope.trim().is_empty();
    if !scope_ok {
        return token_error(t, 400, "invalid_scope", 1_002_012, &format!("The provided value for scope {scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI)."), request_id);
    }
    let now = t.clock.now();
    if let Some(assertion) = form.get("client_assertion") {
        if form.get("client_assertion_type").map(String::as_str)
            != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
        {
            return token_error(t, 400, "invalid_request", 50_027, "JWT token is invalid or malformed: client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer.", request_id);
        }
        let mut audiences = Vec::new();
        for host in [shared.base(), "https://login.microsoftonline.com"] {
            for tid in [t.tenant_id.as_str(), t.domain.as_str()] {
                audiences.push(format!("{host}/{tid}/oauth2/v2.0/token"));
            }
        }
        use crate::assertion::AssertionError as E;
        let refused = match crate::assertion::verify(assertion, &client_id, &audiences, now.unix_timestamp(), t.cfg.certificate) {
            Ok(()) => None,
            Err(E::Malformed) => Some((400, "invalid_request", 50_027, "JWT token is invalid or malformed.".to_owned())),
            Err(E::UnknownKey(thumb)) => Some((401, "invalid_client", 700_027, format!("The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '{thumb}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '{client_id}'.]"))),
            Err(E::BadSignature) => Some((401, "invalid_client", 700_027, "Client assertion failed signature validation.".to_owned())),
            Err(E::Audience(aud)) => Some((401, "invalid_client", 700_027, format!("Client assertion audience claim does not match Realm issuer. Audience: '{aud}'."))),
            Err(E::Subject) => Some((401, "invalid_client", 50_048, "Subject mismatches Issuer claim in the client assertion.".to_owned())),
            Err(E::Lifetime) => Some((401, "invalid_client", 500_133, "Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token.".to_owned())),
        };
        if let Some((status, error, code, msg)) = refused {
            return token_error(t, status, error, code, &msg, request_id);
        }
        let jti = jwt::b64(&hash(&[t.cfg.seed, 0x7B, t.request_counter]).to_le_bytes());
        let token = jwt::issue(
            shared.key,
            &t.tenant_id,
            &t.client_id,
            &t.app_sp_id,
            &t.roles_claim,
            now.unix_timestamp(),
            3599,
            &jti,
            "2",
        );
        return Resp::json(200, json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}))
            .with_header("cache-control", "no-store, no-cache");
    }
    let Some(secret) = secret else {
        return token_error(t, 401, "invalid_client", 7_000_218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.", request_id);
    };
    if secret != t.client_secret {
        return token_error(t, 401, "invalid_client", 7_000_215, &format!("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '{client_id}'."), request_id);
    }
    if now >= t.client_secret_end {
        return token_error(t, 401, "invalid_client", 7_000_222, &format!("The provided client secret keys for app '{client_id}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds."), request_id);
    }
    let jti = jwt::b64(&hash(&[t.cfg.seed, 0x7A, t.request_counter]).to_le_bytes());
    let token = jwt::issue(
        shared.key,
        &t.tenant_id,
        &t.client_id,
        &t.app_sp_id,
        &t.roles_claim,
        now.unix_timestamp(),
        3599,
        &jti,
        "1",
    );
    Resp::json(200, json!({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}))
        .with_header("cache-control", "no-store, no-cache")
}

/// A running fake tenant: a wiremock server answering like Entra ID's token endpoint and
/// Microsoft Graph, over a generated [`Tenant`].
#[derive(Debug)]
pub struct FakeTenant {
    server: MockServer,
    shared: Arc<Shared>,
    clock: FakeClock,
    credentials: Credentials,
}

impl FakeTenant {
    /// A builder with the defaults (seed 1, 50 members, 10 guests, 30 days, P2, Intune, attacks).
    pub fn builder() -> crate::FakeTenantBuilder {
        crate::FakeTenantBuilder::default()
    }

    pub(crate) async fn serve(
        tenant: Tenant,
        listen: Option<SocketAddr>,
        latency: StdDuration,
        record: bool,
    ) -> Result<FakeTenant, FakeError> {
        let mut builder = MockServer::builder();
        if let Some(addr) = listen {
            let l = std::net::TcpListener::bind(addr)
                .map_err(|source| FakeError::Listen { addr, source })?;
            builder = builder.listener(l);
        }
        builder = builder.disable_request_recording();
        let server = builder.start().await;
        let clock = tenant.clock.clone();
        let credentials = tenant.credentials();
        let key = hash(&[tenant.cfg.seed, 0x5167]);
        let shared = Arc::new(Shared {
            tenant: Mutex::new(tenant),
            base: OnceLock::new(),
            latency: Mutex::new(latency),
            record: record.then(|| Mutex::new(Vec::new())),
            key,
        });
        let _ = shared.base.set(server.uri());
        Mock::given(wiremock::matchers::any())
            .respond_with(Dispatcher(Arc::clone(&shared)))
            .mount(&server)
            .await;
        Ok(FakeTenant {
            server,
            shared,
            clock,
            credentials,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Tenant> {
        self.shared
            .tenant
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The server's origin, e.g. `http://127.0.0.1:41234`: both the authority host and the
    /// Graph root.
    pub fn uri(&self) -> String {
        self.server.uri()
    }

    /// The authority host to give a token client (same as [`FakeTenant::uri`]).
    pub fn authority_host(&self) -> String {
        self.server.uri()
    }

    /// The Graph root to give a Graph client (append `/v1.0` or `/beta`).
    pub fn graph_url(&self) -> String {
        self.server.uri()
    }

    /// The token endpoint, `{uri}/{tenant}/oauth2/v2.0/token`.
    pub fn token_url(&self) -> String {
        format!(
            "{}/{}/oauth2/v2.0/token",
            self.server.uri(),
            self.credentials.tenant_id
        )
    }

    /// The address the server listens on.
    pub fn address(&self) -> SocketAddr {
        *self.server.address()
    }

    /// Tenant id, client id and client secret of the fake app.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.credentials.tenant_id
    }

    /// The fake app's client id.
    pub fn client_id(&self) -> &str {
        &self.credentials.client_id
    }

    /// The fake app's client secret.
    pub fn client_secret(&self) -> &str {
        &self.credentials.client_secret
    }

    /// The tenant's clock: set or advance "now" to make new sign-ins appear, expire tokens and
    /// secrets, or move past a throttling window.
    pub fn clock(&self) -> &FakeClock {
        &self.clock
    }

    /// A line per setting, as `oort fake-tenant` prints them (the secret included: it is fake).
    pub fn connection_summary(&self) -> String {
        format!(
            "OORT_TENANT_ID={}\nOORT_CLIENT_ID={}\nOORT_CLIENT_SECRET={}\nOORT_AUTHORITY_HOST={}\nOORT_GRAPH_URL={}\n",
            self.credentials.tenant_id,
            self.credentials.client_id,
            self.credentials.client_secret,
            self.uri(),
            self.uri()
        )
    }

    /// The planted attacks' expected findings.
    pub fn ground_truth(&self) -> Vec<GroundTruth> {
        self.lock().ground_truth.clone()
    }

    /// The planted benign look-alikes.
    pub fn benign_cases(&self) -> Vec<BenignCase> {
        self.lock().benign.clone()
    }

    /// The posture findings the tenant's current state produces.
    pub fn posture_truth(&self) -> Vec<PostureFinding> {
        self.lock().posture_truth()
    }

    /// User principal names of the break-glass accounts.
    pub fn break_glass_accounts(&self) -> Vec<String> {
        self.lock().break_glass.clone()
    }

    /// Runs `f` on the generated tenant (read it directly, e.g. to compare with what Graph
    /// answered).
    pub fn with_tenant<R>(&self, f: impl FnOnce(&mut Tenant) -> R) -> R {
        f(&mut self.lock())
    }

    /// Sets the delay added to every response.
    pub fn set_latency(&self, latency: StdDuration) {
        *self
            .shared
            .latency
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = latency;
    }

    /// Replaces the throttling limits (and forgets the requests counted so far).
    pub fn set_throttling(&self, throttling: Throttling) {
        self.lock().throttle.set(throttling);
    }

    /// The next `n` Graph requests answer 503 Service Unavailable with `Retry-After: 1`.
    pub fn inject_unavailable(&self, n: u32) {
        self.lock().faults.unavailable += n;
    }

    /// The next Graph collection page answered 200 carries a truncated, unparseable body.
    pub fn inject_malformed_page(&self) {
        self.lock().faults.malformed += 1;
    }

    /// The next `n` pages of sign-ins answered 200 carry, as their first item, a sign-in whose
    /// `createdDateTime` is in a form no model reads (`"yesterday at noon"`): an item a
    /// collector must set aside without losing the rest of the page.
    pub fn inject_unreadable_sign_ins(&self, n: u32) {
        self.lock().faults.unreadable_sign_ins += n;
    }

    /// The next requests for a later page (a nextLink, `$skiptoken`) are refused, one per
    /// status in `statuses`, as Graph refuses a continuation it no longer accepts: `400` with
    /// `DirectoryPageTokenNotFoundException`, `410` Gone.
    pub fn inject_stale_next_links(&self, statuses: impl IntoIterator<Item = u16>) {
        self.lock().faults.stale_links.extend(statuses);
    }

    /// Inserts `n` successful interactive sign-ins that happened `age` ago but become visible
    /// only now: late arrivals behind a collector's watermark. Returns their ids.
    pub fn insert_late_sign_ins(&self, n: usize, age: time::Duration) -> Vec<String> {
        let mut t = self.lock();
        let now = t.clock.now();
        let active: Vec<usize> = (0..t.users.len())
            .filter(|&u| {
                t.users[u].activity == crate::tenant::Activity::Active
                    && t.users[u].deleted_at.is_none()
            })
            .collect();
        let mut ids = Vec::new();
        if active.is_empty() {
            return ids;
        }
        for i in 0..n {
            t.request_counter += 1;
            let h = hash(&[t.cfg.seed, 0x1A7E, t.request_counter]);
            let mut rng = crate::rng::Rng::new(h);
            let u = active[rng.below(active.len() as u64) as usize];
            let when: OffsetDateTime = now - age - time::Duration::seconds(i as i64);
            let id = (rng.next_u64(), rng.next_u64());
            let city = *t.users[u].city();
            let ip = t.users[u].ip.clone();
            let s = t.user_frame(u, ns(when), id, true, &city, &ip, 0, &mut rng);
            ids.push(s.id.clone());
            t.extras.push(Extra {
                t: ns(when),
                id,
                visible_from: ns(now),
                kind: Kind::Interactive,
                sign_in: s,
            });
        }
        t.extras.sort_by_key(|e| std::cmp::Reverse((e.t, e.id)));
        t.cache.clear();
        ids
    }

    /// The requests received so far, when recording is on (`None` otherwise).
    pub fn recorded_requests(&self) -> Option<Vec<RecordedRequest>> {
        self.shared
            .record
            .as_ref()
            .map(|r| r.lock().unwrap_or_else(PoisonError::into_inner).clone())
    }
}

#[cfg(test)]
mod date_tests {
    use super::http_date;
    use time::macros::datetime;

    #[test]
    fn the_date_header_is_an_imf_fixdate_of_the_fakes_clock() {
        assert_eq!(
            http_date(datetime!(2025-06-01 12:40:05 UTC)),
            "Sun, 01 Jun 2025 12:40:05 GMT"
        );
        assert_eq!(
            http_date(datetime!(2025-12-31 23:59:59 -01:00)),
            "Thu, 01 Jan 2026 00:59:59 GMT"
        );
    }
}

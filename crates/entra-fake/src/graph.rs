//! The Microsoft Graph endpoints of the fake tenant.

use entra_model::{
    AuthenticationMethod, Capability, Licence, Permission, PermissionSet, PhoneType, RemovedReason,
    UserRegistrationDetails, UserType, MOBILE_PHONE_METHOD_ID,
};
use serde_json::{json, Map, Value};

use crate::config::TenantLicence;
use crate::jwt::{self, TokenError};
use crate::odata::{self, JsonClause};
use crate::server::{Body, Req, Resp};
use crate::signins::{ns, KindFilter, Query, View};
use crate::tenant::{MemberRef, Tenant};
use crate::throttle::Bucket;

/// Per-request context.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub(crate) base: String,
    pub(crate) key: u64,
    pub(crate) request_id: String,
    pub(crate) client_request_id: String,
}

const CRED_ARRAYS: &[&str] = &["passwordCredentials", "keyCredentials"];

const USER_DEFAULT: &[&str] = &[
    "businessPhones",
    "displayName",
    "givenName",
    "id",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
];

struct G<'a> {
    t: &'a mut Tenant,
    ctx: &'a Ctx,
    req: &'a Req,
    version: &'a str,
    roles: PermissionSet,
    appid: String,
    resource_units: Option<u32>,
}

type R = Result<Resp, Resp>;

pub(crate) fn graph(t: &mut Tenant, ctx: &Ctx, req: &Req, segs: &[&str]) -> Resp {
    let version = segs[0];
    if t.faults.unavailable > 0 {
        t.faults.unavailable -= 1;
        return error(
            t,
            ctx,
            503,
            "serviceNotAvailable",
            "The service is temporarily unavailable. Please retry later.",
        )
        .with_header("Retry-After", "1");
    }
    let auth = req.header("authorization").unwrap_or_default();
    let token = auth
        .strip_prefix("Bearer ")
        .or_else(|| auth.strip_prefix("bearer "))
        .unwrap_or_default()
        .trim();
    let now = t.clock.now().unix_timestamp();
    let claims = match jwt::verify(ctx.key, token, now) {
        Ok(c) => c,
        Err(e) => {
            let msg = match e {
                TokenError::Empty => "Access token is empty.",
                TokenError::Malformed => "CompactToken parsing failed with error code: 80049217",
                TokenError::Expired => "Lifetime validation failed, the token is expired.",
            };
            return error(t, ctx, 401, "InvalidAuthenticationToken", msg)
                .with_header("WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://login.microsoftonline.com/common/oauth2/authorize\", client_id=\"00000003-0000-0000-c000-000000000000\"");
        }
    };
    if claims.tid != t.tenant_id {
        return error(
            t,
            ctx,
            401,
            "InvalidAuthenticationToken",
            "Access token validation failure. Invalid audience.",
        );
    }
    let roles = PermissionSet::from_roles(claims.roles.iter().map(String::as_str));
    let mut g = G {
        t,
        ctx,
        req,
        version,
        roles,
        appid: claims.appid,
        resource_units: None,
    };
    let resp = match g.route(&segs[1..]) {
        Ok(r) | Err(r) => r,
    };
    let resp = match g.resource_units {
        Some(ru) => resp.with_header("x-ms-resource-unit", ru.to_string()),
        None => resp,
    };
    if resp.status == 200 && g.t.faults.malformed > 0 && req.method == "GET" {
        let bytes = match &resp.body {
            Body::Json(v) if v.get("value").is_some() => Some(v.to_string().into_bytes()),
            Body::Raw(b, _) => Some(b.clone()),
            _ => None,
        };
        if let Some(b) = bytes {
            g.t.faults.malformed -= 1;
            let cut = b.len() / 2;
            let mut r = Resp::raw_json(200, b[..cut].to_vec());
            r.headers = resp.headers;
            return r;
        }
    }
    resp
}

fn graph_date(t: &Tenant) -> String {
    let n = t.clock.now();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        n.year(),
        u8::from(n.month()),
        n.day(),
        n.hour(),
        n.minute(),
        n.second()
    )
}

pub(crate) fn error(t: &Tenant, ctx: &Ctx, status: u16, code: &str, message: &str) -> Resp {
    Resp::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": graph_date(t), "request-id": ctx.request_id, "client-request-id": ctx.client_request_id,
        }}}),
    )
}

fn project(v: Value, sel: Option<&[String]>, defaults: Option<&[&str]>) -> Value {
    let Value::Object(map) = v else { return v };
    let keep = |k: &str| -> bool {
        if k.starts_with('@') {
            return true;
        }
        match (sel, defaults) {
            (Some(s), _) => s.iter().any(|x| x.eq_ignore_ascii_case(k)),
            (None, Some(d)) => d.contains(&k),
            (None, None) => true,
        }
    };
    let mut out: Map<String, Value> = map.into_iter().filter(|(k, _)| keep(k)).collect();
    if let Some(sel) = sel {
        for k in sel {
            if !out.keys().any(|x| x.eq_ignore_ascii_case(k)) {
                out.insert(k.clone(), Value::Null);
            }
        }
    }
    Value::Object(out)
}

/// Graph sends collection properties as `[]` when empty; the models skip them.
fn with_arrays(mut v: Value, keys: &[&str]) -> Value {
    if let Value::Object(m) = &mut v {
        for k in keys {
            m.entry((*k).to_owned())
                .or_insert_with(|| Value::Array(Vec::new()));
        }
    }
    v
}

fn tok(s: &str) -> String {
    jwt::b64(s.as_bytes())
}

fn untok(s: &str) -> Option<String> {
    jwt::unb64(s).and_then(|b| String::from_utf8(b).ok())
}

impl G<'_> {
    fn err(&self, status: u16, code: &str, message: &str) -> Resp {
        error(self.t, self.ctx, status, code, message)
    }

    fn beta(&self) -> bool {
        self.version == "beta"
    }

    fn not_found(&self, what: &str) -> Resp {
        self.err(404, "Request_ResourceNotFound", &format!("Resource '{what}' does not exist or one of its queried reference-property objects are not present."))
    }

    fn denied(&self) -> Resp {
        self.err(
            403,
            "Authorization_RequestDenied",
            "Insufficient privileges to complete the operation.",
        )
    }

    fn has_any(&self, perms: &[Permission]) -> bool {
        perms.iter().any(|p| self.roles.contains(*p))
    }

    fn licences(&self) -> Vec<Licence> {
        let mut v = match self.t.cfg.licence {
            TenantLicence::Free => vec![],
            TenantLicence::P1 => vec![Licence::P1],
            TenantLicence::P2 => vec![Licence::P2],
        };
        if self.t.cfg.intune {
            v.push(Licence::Intune);
        }
        v
    }

    /// Permission, then licence.
    fn need(&self, cap: Capability) -> Result<(), Resp> {
        if !cap.requirement().is_satisfied_by(&self.roles) {
            return Err(self.denied());
        }
        if let Some(l) = cap.licence() {
            if !l.is_satisfied_by(&self.licences()) {
                return Err(if l == Licence::Intune {
                    self.err(
                        400,
                        "BadRequest",
                        "Request not applicable to target tenant.",
                    )
                } else {
                    self.err(
                        403,
                        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                        "Neither tenant is B2C or tenant doesn't have premium license",
                    )
                });
            }
        }
        Ok(())
    }

    fn admit(&mut self, bucket: Bucket, cost: u32) -> Result<(), Resp> {
        if matches!(bucket, Bucket::Directory | Bucket::DirectoryWrite) {
            self.resource_units = Some(cost);
        }
        let now = ns(self.t.clock.now());
        let users = self.t.users.len();
        match self.t.throttle.admit(bucket, cost, now, users) {
            Ok(()) => Ok(()),
            Err(th) => {
                let mut r = Resp::json(
                    429,
                    json!({"error": {"code": "TooManyRequests", "message": "Please retry again later.", "innerError": {
                        "code": "429", "date": graph_date(self.t), "message": "Please retry after", "request-id": self.ctx.request_id, "status": "429",
                    }}}),
                );
                if let Some(s) = th.retry_after {
                    r = r.with_header("Retry-After", s.to_string());
                }
                let scope = match th.bucket {
                    Bucket::DirectoryWrite => "Write",
                    Bucket::Directory => "Read",
                    _ => "ReadWrite",
                };
                r = r
                    .with_header(
                        "x-ms-throttle-scope",
                        format!(
                            "Tenant_Application/{scope}/{}/{}",
                            self.appid, self.t.tenant_id
                        ),
                    )
                    .with_header(
                        "x-ms-throttle-information",
                        if th.bucket == Bucket::Directory {
                            "ResourceUnitLimitExceeded"
                        } else {
                            "CPULimitExceeded"
                        },
                    );
                Err(r)
            }
        }
    }

    fn top(&self, default: usize, max: usize) -> Result<usize, Resp> {
        match self.req.param("$top") {
            None => Ok(default),
            Some(v) => match v.trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(n.min(max)),
                _ => Err(self.err(
                    400,
                    "Request_BadRequest",
                    &format!("Invalid value '{v}' for query parameter $top."),
                )),
            },
        }
    }

    fn select(&self) -> Option<Vec<String>> {
        self.req.param("$select").map(|s| {
            s.split(',')
                .map(|x| x.trim().to_owned())
                .filter(|x| !x.is_empty())
                .collect()
        })
    }

    fn context(&self, what: &str) -> String {
        format!("{}/{}/$metadata#{what}", self.ctx.base, self.version)
    }

    fn next_link(&self, token: &str) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.req.query {
            if !k.eq_ignore_ascii_case("$skiptoken") {
                ser.append_pair(k, v);
            }
        }
        ser.append_pair("$skiptoken", token);
        format!("{}{}?{}", self.ctx.base, self.req.path, ser.finish())
    }

    fn page(&self, what: &str, items: Vec<Value>, next: Option<String>) -> Resp {
        let mut m = Map::new();
        m.insert("@odata.context".into(), Value::String(self.context(what)));
        if self
            .req
            .param("$count")
            .is_some_and(|c| c.eq_ignore_ascii_case("true"))
            && self
                .req
                .header("consistencylevel")
                .is_some_and(|c| c.eq_ignore_ascii_case("eventual"))
            && self.req.param("$skiptoken").is_none()
        {
            m.insert("@odata.count".into(), Value::from(items.len()));
        }
        if let Some(n) = next {
            m.insert("@odata.nextLink".into(), Value::String(n));
        }
        m.insert("value".into(), Value::Array(items));
        Resp::json(200, Value::Object(m))
    }

    fn skip_index(&self, prefix: &str) -> Result<usize, Resp> {
        match self.req.param("$skiptoken") {
            None => Ok(0),
            Some(s) => untok(s)
                .and_then(|x| x.strip_prefix(prefix).and_then(|n| n.parse().ok()))
                .ok_or_else(|| self.err(400, "Request_BadRequest", "Invalid $skiptoken.")),
        }
    }

    fn json_filter(&self) -> Result<Vec<JsonClause>, Resp> {
        match self.req.param("$filter") {
            None => Ok(Vec::new()),
            Some(f) => odata::parse_json_filter(f)
                .map_err(|m| self.err(400, "Request_UnsupportedQuery", &m)),
        }
    }

    /// Pages an indexed collection with a `$skiptoken` holding the next index.
    fn indexed<F>(
        &self,
        what: &str,
        len: usize,
        default_top: usize,
        max_top: usize,
        mut item: F,
    ) -> R
    where
        F: FnMut(usize) -> Option<Value>,
    {
        let top = self.top(default_top, max_top)?;
        let start = self.skip_index(&format!("{what}:"))?;
        let mut out = Vec::new();
        let mut next = None;
        let mut i = start;
        while i < len {
            if let Some(v) = item(i) {
                if out.len() == top {
                    next = Some(self.next_link(&tok(&format!("{what}:{i}"))));
                    break;
                }
                out.push(v);
            }
            i += 1;
        }
        Ok(self.page(what, out, next))
    }

    fn route(&mut self, p: &[&str]) -> R {
        let m = self.req.method.as_str();
        match (m, p) {
            ("POST", ["$batch"]) => self.batch(),
            ("GET", ["auditLogs", "signIns"]) => self.sign_ins(),
            ("GET", ["auditLogs", "signIns", id]) => self.sign_in(id),
            ("GET", ["auditLogs", "directoryAudits"]) => self.audits(),
            ("GET", ["users"]) => self.users(),
            ("GET", ["users", "$count"]) => self.users_count(),
            ("GET", ["users", "delta"]) | ("GET", ["users", "delta()"]) => self.users_delta(),
            ("GET", ["users", id]) => self.user(id),
            ("PATCH", ["users", id]) => self.patch_user(id),
            ("DELETE", ["users", id]) => self.delete_user(id),
            ("POST", ["users", id, "revokeSignInSessions"]) => self.revoke(id),
            ("GET", ["users", id, "authentication", "methods"]) => self.methods(id, None),
            ("GET", ["users", id, "authentication", seg]) => self.methods(id, Some(seg)),
            ("GET", ["users", id, "authentication", seg, mid]) => self.method(id, seg, mid),
            ("DELETE", ["users", id, "authentication", seg, mid]) => {
                self.delete_method(id, seg, mid)
            }
            ("GET", ["directory", "deletedItems", "microsoft.graph.user"]) => self.deleted_users(),
            ("POST", ["directory", "deletedItems", id, "restore"]) => self.restore(id),
            ("GET", ["groups"]) => self.groups(),
            ("GET", ["groups", "delta"]) | ("GET", ["groups", "delta()"]) => self.groups_delta(),
            ("GET", ["groups", id]) => self.group(id),
            ("GET", ["groups", id, "members"]) => self.members(id, false),
            ("GET", ["groups", id, "transitiveMembers"]) => self.members(id, true),
            ("GET", ["directoryRoles"]) => self.roles(),
            ("GET", ["directoryRoles", id, "members"]) => self.role_members(id),
            ("GET", ["applications"]) => self.applications(),
            ("GET", ["applications", id]) => self.application(id),
            ("GET", ["servicePrincipals"]) => self.service_principals(),
            ("GET", ["servicePrincipals", id]) => self.service_principal(id),
            ("GET", ["reports", "authenticationMethods", "userRegistrationDetails"]) => {
                self.registration()
            }
            ("GET", ["identityProtection", "riskyUsers"]) => self.risky_users(),
            ("GET", ["identityProtection", "riskDetections"]) => self.risk_detections(),
            ("GET", ["identity", "conditionalAccess", "policies"]) => self.ca_policies(),
            ("GET", ["deviceManagement", "managedDevices"]) => self.managed_devices(),
            ("GET", ["subscribedSkus"]) => self.skus(),
            ("GET", ["organization"]) => self.organization(),
            _ => Err(self.err(
                400,
                "BadRequest",
                &format!(
                    "Resource not found for the segment '{}'.",
                    p.last().copied().unwrap_or_default()
                ),
            )),
        }
    }

    // ----- sign-ins and audits -----

    fn sign_in_query(&self) -> Result<Query, Resp> {
        let filter = self.req.param("$filter").unwrap_or_default();
        let q = odata::parse_sign_in_filter(filter, self.beta())
            .map_err(|m| self.err(400, "Request_UnsupportedQuery", &m))?;
        if let Some(o) = self.req.param("$orderby") {
            let o = o.trim().to_ascii_lowercase();
            if o != "createddatetime desc" && o != "createddatetime" {
                return Err(self.err(400, "Request_UnsupportedQuery", &format!("Unsupported $orderby '{o}': the fake orders sign-ins by createdDateTime descending only.")));
            }
        }
        Ok(q)
    }

    fn sign_in_view(&self) -> View {
        View {
            beta: self.beta(),
            ca_visible: self.roles.contains(Permission::PolicyReadAll)
                || self.roles.contains(Permission::PolicyReadConditionalAccess)
                || self
                    .roles
                    .names()
                    .any(|n| n == "Policy.ReadWrite.ConditionalAccess"),
        }
    }

    fn sign_ins(&mut self) -> R {
        let q = self.sign_in_query()?;
        let cap = if q.kinds == KindFilter::Only(crate::signins::Kind::Interactive) {
            Capability::SignIns
        } else {
            Capability::NonInteractiveSignIns
        };
        self.need(cap)?;
        self.admit(Bucket::Reports, 1)?;
        let top = self.top(1000, 1000)?;
        let cursor = match self.req.param("$skiptoken") {
            None => None,
            Some(s) => Some(
                odata::parse_cursor(s)
                    .ok_or_else(|| self.err(400, "Request_BadRequest", "Invalid $skiptoken."))?,
            ),
        };
        let view = self.sign_in_view();
        let (items, next) = self.t.sign_in_page(&q, cursor, top, view);
        let sel = self.select();
        let mut body = Vec::with_capacity(items.len() * 2048 + 256);
        body.extend_from_slice(b"{\"@odata.context\":");
        serde_json::to_writer(&mut body, &self.context("auditLogs/signIns"))
            .map_err(|_| self.err(500, "generalException", "serialization"))?;
        if let Some((t, id)) = next {
            body.extend_from_slice(b",\"@odata.nextLink\":");
            let link = self.next_link(&odata::cursor_token(t, id));
            serde_json::to_writer(&mut body, &link)
                .map_err(|_| self.err(500, "generalException", "serialization"))?;
        }
        body.extend_from_slice(b",\"value\":[");
        for (i, s) in items.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            let r = match &sel {
                Some(sel) => serde_json::to_value(s)
                    .map(|v| project(v, Some(sel), None))
                    .and_then(|v| serde_json::to_writer(&mut body, &v)),
                None => serde_json::to_writer(&mut body, s),
            };
            r.map_err(|_| self.err(500, "generalException", "serialization"))?;
        }
        body.extend_from_slice(b"]}");
        Ok(Resp::raw_json(200, body))
    }

    fn sign_in(&mut self, id: &str) -> R {
        self.need(Capability::SignIns)?;
        self.admit(Bucket::Reports, 1)?;
        let view = self.sign_in_view();
        let interactive = KindFilter::Only(crate::signins::Kind::Interactive);
        let kinds: &[KindFilter] = if self.beta() {
            &[
                interactive,
                KindFilter::Except(crate::signins::Kind::Interactive),
            ]
        } else {
            &[interactive]
        };
        for kinds in kinds {
            let mut q = Query::all(*kinds);
            q.preds.push(crate::signins::Pred::Id(id.to_owned()));
            let (items, _) = self.t.sign_in_page(&q, None, 1, view);
            if let Some(s) = items.into_iter().next() {
                let mut v = serde_json::to_value(&s).unwrap_or(Value::Null);
                v["@odata.context"] = Value::String(self.context("auditLogs/signIns/$entity"));
                return Ok(Resp::json(200, v));
            }
        }
        Err(self.not_found(id))
    }

    fn audits(&mut self) -> R {
        self.need(Capability::DirectoryAudits)?;
        self.admit(Bucket::Reports, 1)?;
        let filter = self.json_filter()?;
        let top = self.top(1000, 1000)?;
        let after = match self.req.param("$skiptoken") {
            None => None,
            Some(s) => Some(
                untok(s)
                    .and_then(|x| x.strip_prefix("a:").map(str::to_owned))
                    .ok_or_else(|| self.err(400, "Request_BadRequest", "Invalid $skiptoken."))?,
            ),
        };
        let sel = self.select();
        let mut start = 0;
        if let Some(id) = &after {
            start = self
                .t
                .audits
                .iter()
                .position(|a| &a.id == id)
                .map(|p| p + 1)
                .unwrap_or(self.t.audits.len());
        }
        let mut out = Vec::new();
        let mut next = None;
        for a in &self.t.audits[start..] {
            let v = serde_json::to_value(a).unwrap_or(Value::Null);
            if !odata::json_matches(&v, &filter) {
                continue;
            }
            if out.len() == top {
                let last = out
                    .last()
                    .and_then(|x: &Value| x.get("id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                next = Some(self.next_link(&tok(&format!("a:{last}"))));
                break;
            }
            out.push(v);
        }
        // The token above must name the last item of this page, whatever $select keeps.
        let out = out
            .into_iter()
            .map(|v| project(v, sel.as_deref(), None))
            .collect();
        Ok(self.page("auditLogs/directoryAudits", out, next))
    }

    // ----- users -----

    fn wants_sia(&self) -> bool {
        let s = self
            .req
            .param("$select")
            .unwrap_or_default()
            .to_ascii_lowercase();
        let f = self
            .req
            .param("$filter")
            .unwrap_or_default()
            .to_ascii_lowercase();
        s.contains("signinactivity") || f.contains("signinactivity")
    }

    fn user_json(&self, i: usize, sel: Option<&[String]>, sia: bool) -> Value {
        let rec = &self.t.users[i];
        let mut v = with_arrays(
            serde_json::to_value(&rec.user).unwrap_or(Value::Null),
            &["businessPhones"],
        );
        if sia {
            if let Some(a) = self.t.sign_in_activity(i) {
                v["signInActivity"] = serde_json::to_value(a).unwrap_or(Value::Null);
            }
        }
        project(v, sel, Some(USER_DEFAULT))
    }

    fn user_index(&self, key: &str) -> Result<usize, Resp> {
        self.t.find_user(key).ok_or_else(|| self.not_found(key))
    }

    fn users(&mut self) -> R {
        self.need(Capability::Users)?;
        let sia = self.wants_sia();
        if sia {
            self.need(Capability::SignInActivity)?;
            self.admit(Bucket::SignInActivity, 1)?;
        }
        let cost = if self.req.param("$select").is_some() {
            1
        } else {
            2
        };
        self.admit(Bucket::Directory, cost)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.users.len();
        let (def, max) = (100, if sia { 500 } else { 999 });
        self.indexed("users", len, def, max, |i| {
            if self.t.users[i].deleted_at.is_some() {
                return None;
            }
            if !filter.is_empty() {
                let mut all = serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null);
                if sia {
                    if let Some(a) = self.t.sign_in_activity(i) {
                        all["signInActivity"] = serde_json::to_value(a).unwrap_or(Value::Null);
                    }
                }
                if !odata::json_matches(&all, &filter) {
                    return None;
                }
            }
            Some(self.user_json(i, sel.as_deref(), sia))
        })
    }

    fn users_count(&mut self) -> R {
        self.need(Capability::Users)?;
        if !self
            .req
            .header("consistencylevel")
            .is_some_and(|c| c.eq_ignore_ascii_case("eventual"))
        {
            return Err(self.err(
                400,
                "Request_BadRequest",
                "$count is not currently supported.",
            ));
        }
        self.admit(Bucket::Directory, 1)?;
        let n = self
            .t
            .users
            .iter()
            .filter(|u| u.deleted_at.is_none())
            .count();
        Ok(Resp {
            status: 200,
            headers: Vec::new(),
            body: Body::Raw(n.to_string().into_bytes(), "text/plain"),
        })
    }

    fn user(&mut self, key: &str) -> R {
        self.need(Capability::Users)?;
        let sia = self.wants_sia();
        if sia {
            self.need(Capability::SignInActivity)?;
            self.admit(Bucket::SignInActivity, 1)?;
        }
        self.admit(Bucket::Directory, 1)?;
        let i = self.user_index(key)?;
        let sel = self.select();
        let mut v = self.user_json(i, sel.as_deref(), sia);
        v["@odata.context"] = Value::String(self.context("users/$entity"));
        Ok(Resp::json(200, v))
    }

    fn users_delta(&mut self) -> R {
        self.need(Capability::Users)?;
        self.admit(Bucket::Directory, 1)?;
        let (since, upto, start, sel) = match self.delta_state("u")? {
            DeltaStart::Latest(sel) => {
                let link = format!(
                    "{}/{}/users/delta?$deltatoken={}",
                    self.ctx.base,
                    self.version,
                    tok(&format!("D:{}:{}", self.t.change_counter, sel))
                );
                return Ok(Resp::json(
                    200,
                    json!({"@odata.context": self.context("users"), "@odata.deltaLink": link, "value": []}),
                ));
            }
            DeltaStart::Round {
                since,
                upto,
                start,
                sel,
            } => (since, upto, start, sel),
        };
        let sel_v: Option<Vec<String>> =
            (!sel.is_empty()).then(|| sel.split(',').map(str::to_owned).collect());
        let mut out = Vec::new();
        let mut i = start;
        let len = self.t.users.len();
        while i < len && out.len() < 100 {
            let r = &self.t.users[i];
            if r.version > since {
                if r.deleted_at.is_some() {
                    if since > 0 {
                        out.push(json!({"id": r.user.id, "@removed": {"reason": RemovedReason::Changed.as_str()}}));
                    }
                } else {
                    out.push(self.user_json(i, sel_v.as_deref(), false));
                }
            }
            i += 1;
        }
        let mut body = json!({"@odata.context": self.context("users"), "value": out});
        if i < len {
            body["@odata.nextLink"] = Value::String(format!(
                "{}/{}/users/delta?$skiptoken={}",
                self.ctx.base,
                self.version,
                tok(&format!("u:{since}:{upto}:{i}:{sel}"))
            ));
        } else {
            body["@odata.deltaLink"] = Value::String(format!(
                "{}/{}/users/delta?$deltatoken={}",
                self.ctx.base,
                self.version,
                tok(&format!("D:{upto}:{sel}"))
            ));
        }
        Ok(Resp::json(200, body))
    }

    fn delta_state(&self, prefix: &str) -> Result<DeltaStart, Resp> {
        let bad = || self.err(400, "Request_BadRequest", "Invalid delta token.");
        if let Some(dt) = self.req.param("$deltatoken") {
            if dt == "latest" {
                return Ok(DeltaStart::Latest(
                    self.req.param("$select").unwrap_or_default().to_owned(),
                ));
            }
            let s = untok(dt).ok_or_else(bad)?;
            let mut it = s.splitn(3, ':');
            let (Some("D"), Some(v), Some(sel)) = (it.next(), it.next(), it.next()) else {
                return Err(bad());
            };
            let since: u64 = v.parse().map_err(|_| bad())?;
            return Ok(DeltaStart::Round {
                since,
                upto: self.t.change_counter,
                start: 0,
                sel: sel.to_owned(),
            });
        }
        if let Some(st) = self.req.param("$skiptoken") {
            let s = untok(st).ok_or_else(bad)?;
            let mut it = s.splitn(5, ':');
            let (Some(p), Some(a), Some(b), Some(c), Some(sel)) =
                (it.next(), it.next(), it.next(), it.next(), it.next())
            else {
                return Err(bad());
            };
            if p != prefix {
                return Err(bad());
            }
            return Ok(DeltaStart::Round {
                since: a.parse().map_err(|_| bad())?,
                upto: b.parse().map_err(|_| bad())?,
                start: c.parse().map_err(|_| bad())?,
                sel: sel.to_owned(),
            });
        }
        Ok(DeltaStart::Round {
            since: 0,
            upto: self.t.change_counter,
            start: 0,
            sel: self
                .req
                .param("$select")
                .unwrap_or_default()
                .replace(' ', ""),
        })
    }

    fn body_json(&self) -> Result<Map<String, Value>, Resp> {
        match serde_json::from_slice::<Value>(&self.req.body) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(self.err(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.")),
        }
    }

    fn is_privileged(&self, i: usize) -> bool {
        self.t.users[i]
            .roles
            .iter()
            .any(|&r| self.t.roles[r].role.is_privileged())
    }

    fn patch_user(&mut self, key: &str) -> R {
        let body = self.body_json()?;
        let only_enable = body.len() == 1 && body.contains_key("accountEnabled");
        let can_write = self.has_any(&[
            Permission::UserReadWriteAll,
            Permission::DirectoryReadWriteAll,
        ]);
        let can_enable =
            only_enable && self.roles.contains(Permission::UserEnableDisableAccountAll);
        if !can_write && !can_enable {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        const SENSITIVE: &[&str] = &[
            "accountEnabled",
            "userPrincipalName",
            "mobilePhone",
            "businessPhones",
            "otherMails",
            "passwordProfile",
        ];
        if self.is_privileged(i) && body.keys().any(|k| SENSITIVE.contains(&k.as_str())) {
            return Err(self.denied());
        }
        const ON_PREM: &[&str] = &[
            "displayName",
            "givenName",
            "surname",
            "jobTitle",
            "department",
            "userPrincipalName",
            "mail",
            "companyName",
            "officeLocation",
            "employeeId",
        ];
        if self.t.users[i].user.on_premises_sync_enabled == Some(true)
            && body.keys().any(|k| ON_PREM.contains(&k.as_str()))
        {
            return Err(self.err(400, "Request_BadRequest", "Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration."));
        }
        const READ_ONLY: &[&str] = &[
            "id",
            "createdDateTime",
            "signInActivity",
            "onPremisesSyncEnabled",
            "deletedDateTime",
            "signInSessionsValidFromDateTime",
        ];
        if let Some(k) = body.keys().find(|k| READ_ONLY.contains(&k.as_str())) {
            return Err(self.err(
                400,
                "Request_BadRequest",
                &format!("Property '{k}' is read-only and cannot be set."),
            ));
        }
        if let Some(v) = body.get("userType") {
            match v.as_str() {
                Some("Member") | Some("Guest") => {}
                _ => {
                    return Err(self.err(
                        400,
                        "Request_BadRequest",
                        "Invalid value specified for property 'userType' of resource 'User'.",
                    ))
                }
            }
        }
        if let Some(v) = body.get("accountEnabled") {
            if !v.is_boolean() {
                return Err(self.err(
                    400,
                    "Request_BadRequest",
                    "Invalid value specified for property 'accountEnabled' of resource 'User'.",
                ));
            }
        }
        let mut current = serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null);
        for (k, v) in &body {
            current[k] = v.clone();
        }
        let updated: entra_model::User = serde_json::from_value(current).map_err(|e| {
            self.err(
                400,
                "Request_BadRequest",
                &format!("Invalid request body: {e}"),
            )
        })?;
        let now = self.t.clock.now();
        let was_enabled = self.t.users[i].user.account_enabled;
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        if updated.account_enabled != was_enabled {
            rec.disabled_at = (updated.account_enabled == Some(false)).then_some(now);
        }
        rec.user = updated;
        rec.version = v;
        self.t.audit_app_action("Update user", "Update", i);
        Ok(Resp::empty(204))
    }

    fn delete_user(&mut self, key: &str) -> R {
        if !self.roles.contains(Permission::UserReadWriteAll) {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        if self.is_privileged(i) {
            return Err(self.denied());
        }
        let now = self.t.clock.now();
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        rec.deleted_at = Some(now);
        rec.user.deleted_date_time = Some(now);
        rec.version = v;
        for g in &mut self.t.groups {
            if let Some(pos) = g.members.iter().position(|m| *m == MemberRef::User(i)) {
                g.members.remove(pos);
                g.removed.push((MemberRef::User(i), v));
                g.version = v;
            }
        }
        self.t.audit_app_action("Delete user", "Delete", i);
        Ok(Resp::empty(204))
    }

    fn deleted_users(&mut self) -> R {
        self.need(Capability::Users)?;
        self.admit(Bucket::Directory, 1)?;
        let len = self.t.users.len();
        self.indexed(
            "directory/deletedItems/microsoft.graph.user",
            len,
            100,
            999,
            |i| {
                let r = &self.t.users[i];
                r.deleted_at.map(|_| {
                    let mut v = project(
                        serde_json::to_value(&r.user).unwrap_or(Value::Null),
                        None,
                        Some(USER_DEFAULT),
                    );
                    v["deletedDateTime"] = serde_json::to_value(
                        r.user
                            .deleted_date_time
                            .map(|d| entra_model::timestamp::format(&d)),
                    )
                    .unwrap_or(Value::Null);
                    v
                })
            },
        )
    }

    fn restore(&mut self, id: &str) -> R {
        if !self.roles.contains(Permission::UserReadWriteAll) {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let Some(&i) = self.t.user_by_id.get(id) else {
            return Err(self.not_found(id));
        };
        if self.t.users[i].deleted_at.is_none() {
            return Err(self.not_found(id));
        }
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        rec.deleted_at = None;
        rec.user.deleted_date_time = None;
        rec.version = v;
        for g in &mut self.t.groups {
            if let Some(pos) = g.removed.iter().position(|(m, _)| *m == MemberRef::User(i)) {
                g.removed.remove(pos);
                g.members.push(MemberRef::User(i));
                g.version = v;
            }
        }
        self.t.audit_app_action("Restore user", "Update", i);
        let mut body = project(
            serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null),
            None,
            Some(USER_DEFAULT),
        );
        body["@odata.type"] = Value::String("#microsoft.graph.user".into());
        body["@odata.context"] = Value::String(self.context("directoryObjects/$entity"));
        Ok(Resp::json(200, body))
    }

    fn revoke(&mut self, key: &str) -> R {
        if !self.has_any(&[
            Permission::UserRevokeSessionsAll,
            Permission::UserReadWriteAll,
            Permission::DirectoryReadWriteAll,
        ]) {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        let now = self.t.clock.now();
        let v = self.t.bump();
        let rec = &mut self.t.users[i];
        // Graph stores this value at whole seconds.
        rec.user.sign_in_sessions_valid_from_date_time =
            Some(now.replace_nanosecond(0).unwrap_or(now));
        rec.version = v;
        self.t
            .audit_app_action("Invalidate all refresh tokens for user", "Update", i);
        Ok(Resp::json(
            200,
            json!({"@odata.context": format!("{}/{}/$metadata#Edm.Boolean", self.ctx.base, self.version), "value": true}),
        ))
    }

    // ----- authentication methods -----

    fn method_matches(m: &AuthenticationMethod, seg: &str) -> bool {
        match m {
            AuthenticationMethod::Password(_) => seg == "passwordMethods",
            other => other.delete_segment() == Some(seg),
        }
    }

    fn methods(&mut self, key: &str, seg: Option<&str>) -> R {
        self.need(Capability::AuthenticationMethods)?;
        self.admit(Bucket::Reports, 1)?;
        let i = self.user_index(key)?;
        const SEGS: &[&str] = &[
            "passwordMethods",
            "phoneMethods",
            "microsoftAuthenticatorMethods",
            "fido2Methods",
            "softwareOathMethods",
            "emailMethods",
            "temporaryAccessPassMethods",
            "windowsHelloForBusinessMethods",
            "platformCredentialMethods",
            "externalAuthenticationMethods",
        ];
        if let Some(s) = seg {
            if !SEGS.contains(&s) {
                return Err(self.err(
                    400,
                    "BadRequest",
                    &format!("Resource not found for the segment '{s}'."),
                ));
            }
        }
        let items: Vec<Value> = self.t.users[i]
            .methods
            .iter()
            .filter(|m| seg.is_none_or(|s| Self::method_matches(m, s)))
            .map(|m| serde_json::to_value(m).unwrap_or(Value::Null))
            .collect();
        let what = format!(
            "users('{}')/authentication/{}",
            self.t.users[i].user.id,
            seg.unwrap_or("methods")
        );
        Ok(self.page(&what, items, None))
    }

    fn method(&mut self, key: &str, seg: &str, mid: &str) -> R {
        self.need(Capability::AuthenticationMethods)?;
        self.admit(Bucket::Reports, 1)?;
        let i = self.user_index(key)?;
        let m = self.t.users[i]
            .methods
            .iter()
            .find(|m| m.id() == Some(mid) && (seg == "methods" || Self::method_matches(m, seg)));
        match m {
            Some(m) => Ok(Resp::json(
                200,
                serde_json::to_value(m).unwrap_or(Value::Null),
            )),
            None => Err(self.err(
                404,
                "itemNotFound",
                &format!("The authentication method '{mid}' was not found for this user."),
            )),
        }
    }

    fn delete_method(&mut self, key: &str, seg: &str, mid: &str) -> R {
        if !self
            .roles
            .contains(Permission::UserAuthenticationMethodReadWriteAll)
        {
            return Err(self.denied());
        }
        self.admit(Bucket::DirectoryWrite, 1)?;
        let i = self.user_index(key)?;
        if seg == "methods" || seg == "passwordMethods" {
            return Err(self.err(405, "methodNotAllowed", "The DELETE method is not supported for this authentication method type; use its type-specific collection."));
        }
        let rec = &self.t.users[i];
        let Some(pos) = rec
            .methods
            .iter()
            .position(|m| m.id() == Some(mid) && Self::method_matches(m, seg))
        else {
            return Err(self.err(
                404,
                "itemNotFound",
                &format!("The authentication method '{mid}' was not found for this user."),
            ));
        };
        if let AuthenticationMethod::Phone(p) = &rec.methods[pos] {
            let mobile = p.phone_type == Some(PhoneType::Mobile) || p.id == MOBILE_PHONE_METHOD_ID;
            if mobile && rec.preferred == Some("sms") {
                return Err(self.err(400, "badRequest", "The phone method cannot be deleted because it is the user's default sign-in method. Change the default method (signInPreferences) first, then retry."));
            }
            let has_alternate = rec.methods.iter().any(|m| matches!(m, AuthenticationMethod::Phone(q) if q.phone_type == Some(PhoneType::AlternateMobile)));
            if mobile && has_alternate {
                return Err(self.err(400, "badRequest", "The mobile phone method cannot be deleted while an alternate mobile phone is registered. Delete the alternate mobile phone first."));
            }
        }
        let rec = &mut self.t.users[i];
        let removed = rec.methods.remove(pos);
        if matches!(removed, AuthenticationMethod::MicrosoftAuthenticator(_))
            && rec.preferred == Some("push")
        {
            rec.preferred = rec
                .methods
                .iter()
                .any(|m| matches!(m, AuthenticationMethod::Phone(_)))
                .then_some("sms");
        }
        if matches!(removed, AuthenticationMethod::Fido2(_)) && rec.preferred == Some("fido2") {
            rec.preferred = None;
        }
        self.t.cache.clear();
        self.t
            .audit_app_action("Admin deleted security info", "Delete", i);
        Ok(Resp::empty(204))
    }

    fn registration(&mut self) -> R {
        self.need(Capability::RegistrationDetails)?;
        self.admit(Bucket::Reports, 1)?;
        let filter = self.json_filter()?;
        let now = self.t.clock.now();
        let len = self.t.users.len();
        self.indexed(
            "reports/authenticationMethods/userRegistrationDetails",
            len,
            1000,
            1000,
            |i| {
                let r = &self.t.users[i];
                if r.deleted_at.is_some() {
                    return None;
                }
                let mut d = UserRegistrationDetails::default();
                d.id = r.user.id.clone();
                d.user_principal_name = r.user.user_principal_name.clone();
                d.user_display_name = r.user.display_name.clone();
                d.user_type = Some(if r.user.user_type == Some(UserType::Guest) {
                    UserType::from_wire("guest")
                } else {
                    UserType::from_wire("member")
                });
                d.is_admin = Some(!r.roles.is_empty());
                let mfa = r.methods.iter().any(AuthenticationMethod::is_mfa_capable);
                d.is_mfa_capable = Some(mfa);
                d.is_mfa_registered = Some(mfa);
                d.is_passwordless_capable = Some(r.methods.iter().any(|m| {
                    matches!(
                        m,
                        AuthenticationMethod::Fido2(_)
                            | AuthenticationMethod::WindowsHelloForBusiness(_)
                    )
                }));
                let sspr = r.methods.iter().any(|m| {
                    matches!(
                        m,
                        AuthenticationMethod::Phone(_)
                            | AuthenticationMethod::Email(_)
                            | AuthenticationMethod::MicrosoftAuthenticator(_)
                    )
                });
                d.is_sspr_capable = Some(sspr && r.user.account_enabled == Some(true));
                d.is_sspr_enabled = Some(true);
                d.is_sspr_registered = Some(sspr);
                d.is_system_preferred_authentication_method_enabled = Some(true);
                d.last_updated_date_time = Some(now);
                d.methods_registered = r
                    .methods
                    .iter()
                    .filter_map(|m| match m {
                        AuthenticationMethod::Phone(p) => Some(match p.phone_type {
                            Some(PhoneType::Office) => "officePhone",
                            Some(PhoneType::AlternateMobile) => "alternateMobilePhone",
                            _ => "mobilePhone",
                        }),
                        AuthenticationMethod::MicrosoftAuthenticator(_) => {
                            Some("microsoftAuthenticatorPush")
                        }
                        AuthenticationMethod::SoftwareOath(_) => Some("softwareOneTimePasscode"),
                        AuthenticationMethod::Fido2(_) => Some("fido2"),
                        AuthenticationMethod::WindowsHelloForBusiness(_) => {
                            Some("windowsHelloForBusiness")
                        }
                        AuthenticationMethod::Email(_) => Some("email"),
                        AuthenticationMethod::TemporaryAccessPass(_) => Some("temporaryAccessPass"),
                        _ => None,
                    })
                    .map(str::to_owned)
                    .collect();
                d.user_preferred_method_for_secondary_authentication = Some(
                    match r.preferred {
                        Some("push") => "push",
                        Some("sms") => "sms",
                        Some("fido2") => "fido2",
                        _ => "none",
                    }
                    .to_owned(),
                );
                d.system_preferred_authentication_methods = match r.preferred {
                    Some("push") => vec!["push".to_owned()],
                    Some("sms") => vec!["sms".to_owned()],
                    Some("fido2") => vec!["Fido2".to_owned()],
                    _ => vec![],
                };
                let v = with_arrays(
                    serde_json::to_value(d).unwrap_or(Value::Null),
                    &["methodsRegistered", "systemPreferredAuthenticationMethods"],
                );
                odata::json_matches(&v, &filter).then_some(v)
            },
        )
    }

    // ----- groups and roles -----

    fn member_json(&self, m: MemberRef) -> Value {
        let (ty, mut v) = match m {
            MemberRef::User(i) => (
                "#microsoft.graph.user",
                project(
                    serde_json::to_value(&self.t.users[i].user).unwrap_or(Value::Null),
                    None,
                    Some(USER_DEFAULT),
                ),
            ),
            MemberRef::Group(i) => (
                "#microsoft.graph.group",
                serde_json::to_value(&self.t.groups[i].group).unwrap_or(Value::Null),
            ),
            MemberRef::Device(i) => {
                if self.has_any(&[
                    Permission::DirectoryReadAll,
                    Permission::DirectoryReadWriteAll,
                ]) || self.roles.names().any(|n| n == "Device.Read.All")
                {
                    (
                        "#microsoft.graph.device",
                        serde_json::to_value(&self.t.devices[i]).unwrap_or(Value::Null),
                    )
                } else {
                    (
                        "#microsoft.graph.device",
                        json!({"id": self.t.devices[i].id}),
                    )
                }
            }
            MemberRef::ServicePrincipal(i) => (
                "#microsoft.graph.servicePrincipal",
                with_arrays(
                    serde_json::to_value(&self.t.sps[i].sp).unwrap_or(Value::Null),
                    CRED_ARRAYS,
                ),
            ),
        };
        if let Value::Object(map) = &mut v {
            let mut out = Map::new();
            out.insert("@odata.type".into(), Value::String(ty.into()));
            out.extend(std::mem::take(map));
            v = Value::Object(out);
        }
        v
    }

    fn group_index(&self, id: &str) -> Result<usize, Resp> {
        self.t
            .groups
            .iter()
            .position(|g| g.group.id == id)
            .ok_or_else(|| self.not_found(id))
    }

    fn groups(&mut self) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.groups.len();
        self.indexed("groups", len, 100, 999, |i| {
            let v = serde_json::to_value(&self.t.groups[i].group).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then(|| project(v, sel.as_deref(), None))
        })
    }

    fn group(&mut self, id: &str) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, 1)?;
        let i = self.group_index(id)?;
        let mut v = project(
            serde_json::to_value(&self.t.groups[i].group).unwrap_or(Value::Null),
            self.select().as_deref(),
            None,
        );
        v["@odata.context"] = Value::String(self.context("groups/$entity"));
        Ok(Resp::json(200, v))
    }

    fn flatten(&self, g: usize, out: &mut Vec<MemberRef>, seen: &mut Vec<usize>) {
        if seen.contains(&g) {
            return;
        }
        seen.push(g);
        for m in &self.t.groups[g].members {
            if !out.contains(m) {
                out.push(*m);
            }
            if let MemberRef::Group(n) = m {
                self.flatten(*n, out, seen);
            }
        }
    }

    fn members(&mut self, id: &str, transitive: bool) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, if transitive { 5 } else { 3 })?;
        let g = self.group_index(id)?;
        if self.t.groups[g].group.visibility.as_deref() == Some("HiddenMembership")
            && !self.roles.contains(Permission::MemberReadHidden)
        {
            return Err(self.denied());
        }
        let list = if transitive {
            let mut out = Vec::new();
            self.flatten(g, &mut out, &mut Vec::new());
            out
        } else {
            self.t.groups[g].members.clone()
        };
        let sel = self.select();
        self.indexed("directoryObjects", list.len(), 100, 999, |i| {
            Some(project(self.member_json(list[i]), sel.as_deref(), None))
        })
    }

    fn groups_delta(&mut self) -> R {
        self.need(Capability::GroupsAndMembers)?;
        self.admit(Bucket::Directory, 1)?;
        let (since, upto, start, sel) = match self.delta_state("g")? {
            DeltaStart::Latest(sel) => {
                let link = format!(
                    "{}/{}/groups/delta?$deltatoken={}",
                    self.ctx.base,
                    self.version,
                    tok(&format!("D:{}:{}", self.t.change_counter, sel))
                );
                return Ok(Resp::json(
                    200,
                    json!({"@odata.context": self.context("groups"), "@odata.deltaLink": link, "value": []}),
                ));
            }
            DeltaStart::Round {
                since,
                upto,
                start,
                sel,
            } => (since, upto, start, sel),
        };
        let sel_v: Option<Vec<String>> =
            (!sel.is_empty()).then(|| sel.split(',').map(str::to_owned).collect());
        let with_members = sel_v
            .as_ref()
            .is_none_or(|s| s.iter().any(|x| x == "members"));
        let mut out = Vec::new();
        let mut i = start;
        let len = self.t.groups.len();
        while i < len && out.len() < 100 {
            let g = &self.t.groups[i];
            if g.version > since {
                let mut v = project(
                    serde_json::to_value(&g.group).unwrap_or(Value::Null),
                    sel_v.as_deref(),
                    None,
                );
                if with_members {
                    let mut md: Vec<Value> = Vec::new();
                    if since == 0 {
                        for m in &g.members {
                            let ty = self.member_json(*m)["@odata.type"].clone();
                            md.push(json!({"@odata.type": ty, "id": self.t.member_id(*m)}));
                        }
                    } else {
                        for (m, ver) in &g.removed {
                            if *ver > since {
                                md.push(json!({"@odata.type": "#microsoft.graph.user", "id": self.t.member_id(*m), "@removed": {"reason": "deleted"}}));
                            }
                        }
                    }
                    if !md.is_empty() {
                        v["members@delta"] = Value::Array(md);
                    }
                }
                out.push(v);
            }
            i += 1;
        }
        let mut body = json!({"@odata.context": self.context("groups"), "value": out});
        if i < len {
            body["@odata.nextLink"] = Value::String(format!(
                "{}/{}/groups/delta?$skiptoken={}",
                self.ctx.base,
                self.version,
                tok(&format!("g:{since}:{upto}:{i}:{sel}"))
            ));
        } else {
            body["@odata.deltaLink"] = Value::String(format!(
                "{}/{}/groups/delta?$deltatoken={}",
                self.ctx.base,
                self.version,
                tok(&format!("D:{upto}:{sel}"))
            ));
        }
        Ok(Resp::json(200, body))
    }

    fn roles(&mut self) -> R {
        self.need(Capability::DirectoryRoles)?;
        self.admit(Bucket::Directory, 1)?;
        let items = self
            .t
            .roles
            .iter()
            .map(|r| serde_json::to_value(&r.role).unwrap_or(Value::Null))
            .collect();
        Ok(self.page("directoryRoles", items, None))
    }

    fn role_members(&mut self, id: &str) -> R {
        self.need(Capability::DirectoryRoles)?;
        self.admit(Bucket::Directory, 1)?;
        let Some(r) = self
            .t
            .roles
            .iter()
            .position(|r| r.role.id == id || r.role.role_template_id.as_deref() == Some(id))
        else {
            return Err(self.not_found(id));
        };
        let items = self.t.roles[r]
            .members
            .iter()
            .filter(|m| !matches!(m, MemberRef::User(u) if self.t.users[*u].deleted_at.is_some()))
            .map(|m| self.member_json(*m))
            .collect();
        Ok(self.page("directoryObjects", items, None))
    }

    // ----- applications -----

    fn applications(&mut self) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 2)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.apps.len();
        self.indexed("applications", len, 100, 999, |i| {
            let v = with_arrays(
                serde_json::to_value(&self.t.apps[i]).unwrap_or(Value::Null),
                CRED_ARRAYS,
            );
            odata::json_matches(&v, &filter).then(|| project(v, sel.as_deref(), None))
        })
    }

    fn application(&mut self, id: &str) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 1)?;
        let Some(a) = self.t.apps.iter().find(|a| a.id == id) else {
            return Err(self.not_found(id));
        };
        let mut v = project(
            with_arrays(serde_json::to_value(a).unwrap_or(Value::Null), CRED_ARRAYS),
            self.select().as_deref(),
            None,
        );
        v["@odata.context"] = Value::String(self.context("applications/$entity"));
        Ok(Resp::json(200, v))
    }

    fn service_principals(&mut self) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 1)?;
        let filter = self.json_filter()?;
        let sel = self.select();
        let len = self.t.sps.len();
        self.indexed("servicePrincipals", len, 100, 999, |i| {
            let v = with_arrays(
                serde_json::to_value(&self.t.sps[i].sp).unwrap_or(Value::Null),
                CRED_ARRAYS,
            );
            odata::json_matches(&v, &filter).then(|| project(v, sel.as_deref(), None))
        })
    }

    fn service_principal(&mut self, id: &str) -> R {
        self.need(Capability::Applications)?;
        self.admit(Bucket::Directory, 1)?;
        let Some(s) = self.t.sps.iter().find(|s| s.sp.id == id) else {
            return Err(self.not_found(id));
        };
        let mut v = project(
            with_arrays(
                serde_json::to_value(&s.sp).unwrap_or(Value::Null),
                CRED_ARRAYS,
            ),
            self.select().as_deref(),
            None,
        );
        v["@odata.context"] = Value::String(self.context("servicePrincipals/$entity"));
        Ok(Resp::json(200, v))
    }

    // ----- risk, policies, devices, licences -----

    fn risky_users(&mut self) -> R {
        self.need(Capability::RiskyUsers)?;
        self.admit(Bucket::IdentityProtection, 1)?;
        let filter = self.json_filter()?;
        let len = self.t.risky_users.len();
        self.indexed("identityProtection/riskyUsers", len, 20, 500, |i| {
            let v = serde_json::to_value(&self.t.risky_users[i]).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then_some(v)
        })
    }

    fn risk_detections(&mut self) -> R {
        self.need(Capability::RiskDetections)?;
        self.admit(Bucket::IdentityProtection, 1)?;
        let filter = self.json_filter()?;
        let len = self.t.risk_detections.len();
        self.indexed("identityProtection/riskDetections", len, 20, 500, |i| {
            let v = serde_json::to_value(&self.t.risk_detections[i]).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then_some(v)
        })
    }

    fn ca_policies(&mut self) -> R {
        self.need(Capability::ConditionalAccessPolicies)?;
        self.admit(Bucket::IdentityProtection, 1)?;
        let len = self.t.ca_policies.len();
        self.indexed("identity/conditionalAccess/policies", len, 100, 999, |i| {
            Some(serde_json::to_value(&self.t.ca_policies[i]).unwrap_or(Value::Null))
        })
    }

    fn managed_devices(&mut self) -> R {
        self.need(Capability::ManagedDevices)?;
        self.admit(Bucket::Intune, 1)?;
        let filter = self.json_filter()?;
        let len = self.t.managed_devices.len();
        self.indexed("deviceManagement/managedDevices", len, 1000, 1000, |i| {
            let v = serde_json::to_value(&self.t.managed_devices[i]).unwrap_or(Value::Null);
            odata::json_matches(&v, &filter).then_some(v)
        })
    }

    fn can_read_org(&self) -> bool {
        self.has_any(&[
            Permission::DirectoryReadAll,
            Permission::DirectoryReadWriteAll,
            Permission::UserReadAll,
        ]) || self.roles.names().any(|n| n == "Organization.Read.All")
    }

    fn skus(&mut self) -> R {
        if !self.can_read_org() {
            return Err(self.denied());
        }
        self.admit(Bucket::Directory, 3)?;
        let n = self.t.users.len() as i64;
        let tid = self.t.tenant_id.clone();
        let sku = |sku_id: &str, part: &str, plans: &[(&str, &str)]| {
            json!({
                "id": format!("{tid}_{sku_id}"), "accountId": tid, "accountName": "Contoso", "appliesTo": "User",
                "capabilityStatus": "Enabled", "consumedUnits": n, "skuId": sku_id, "skuPartNumber": part,
                "subscriptionIds": [uuid_like(sku_id)],
                "prepaidUnits": {"enabled": n + 25, "suspended": 0, "warning": 0, "lockedOut": 0},
                "servicePlans": plans.iter().map(|(id, name)| json!({"servicePlanId": id, "servicePlanName": name, "provisioningStatus": "Success", "appliesTo": "User"})).collect::<Vec<_>>(),
            })
        };
        let mut items = vec![sku(
            "18181a46-0d4e-45cd-891e-60aabd171b4e",
            "STANDARDPACK",
            &[
                ("5dbe027f-2339-4123-9542-606e4d348a72", "SHAREPOINTSTANDARD"),
                (
                    "9aaf7827-d63c-4b61-89c3-182f06f82e5c",
                    "EXCHANGE_S_STANDARD",
                ),
            ],
        )];
        match self.t.cfg.licence {
            TenantLicence::Free => {}
            TenantLicence::P1 => items.push(sku(
                "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
                "AAD_PREMIUM",
                &[("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM")],
            )),
            TenantLicence::P2 => items.push(sku(
                "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
                "AAD_PREMIUM_P2",
                &[
                    ("41781fb2-bc02-4b7c-bd55-b576c07bb09d", "AAD_PREMIUM"),
                    ("eec0eb4f-6444-4f95-aba0-50c24d67f998", "AAD_PREMIUM_P2"),
                ],
            )),
        }
        if self.t.cfg.intune {
            items.push(sku(
                "061f9ace-7d42-4136-88ac-31dc755f143f",
                "INTUNE_A",
                &[("c1ec4a95-1f05-45b3-a911-aa3fa01094f5", "INTUNE_A")],
            ));
        }
        Ok(self.page("subscribedSkus", items, None))
    }

    fn organization(&mut self) -> R {
        if !self.can_read_org() {
            return Err(self.denied());
        }
        self.admit(Bucket::Directory, 1)?;
        let items = vec![json!({
            "id": self.t.tenant_id, "displayName": "Contoso", "tenantType": "AAD", "countryLetterCode": "US",
            "verifiedDomains": [{"name": self.t.domain, "isDefault": true, "isInitial": true, "type": "Managed", "capabilities": "Email, OfficeCommunicationsOnline"}],
            "onPremisesSyncEnabled": true,
        })];
        Ok(self.page("organization", items, None))
    }

    // ----- $batch -----

    fn batch(&mut self) -> R {
        let bad = |g: &Self| g.err(400, "BadRequest", "Invalid batch payload format.");
        let body: Value = serde_json::from_slice(&self.req.body).map_err(|_| bad(self))?;
        let Some(reqs) = body.get("requests").and_then(Value::as_array) else {
            return Err(bad(self));
        };
        if reqs.len() > 20 {
            return Err(self.err(
                400,
                "BadRequest",
                "Number of requests in batch exceeds the allowed limit of 20.",
            ));
        }
        let mut statuses: Vec<(String, u16)> = Vec::new();
        let mut out = Vec::new();
        for r in reqs {
            let (Some(id), Some(method), Some(url)) = (
                r.get("id").and_then(Value::as_str),
                r.get("method").and_then(Value::as_str),
                r.get("url").and_then(Value::as_str),
            ) else {
                return Err(bad(self));
            };
            let failed_dep = r
                .get("dependsOn")
                .and_then(Value::as_array)
                .is_some_and(|deps| {
                    deps.iter()
                        .filter_map(Value::as_str)
                        .any(|d| statuses.iter().any(|(i, s)| i == d && *s >= 400))
                });
            let resp = if failed_dep {
                error(
                    self.t,
                    self.ctx,
                    424,
                    "FailedDependency",
                    "The request failed because it depended on a request that failed.",
                )
            } else {
                let rel = url.trim_start_matches('/');
                let (path, query) = rel.split_once('?').unwrap_or((rel, ""));
                let mut headers = self.req.headers.clone();
                if let Some(h) = r.get("headers").and_then(Value::as_object) {
                    for (k, v) in h {
                        if let Some(v) = v.as_str() {
                            headers.insert(k.to_ascii_lowercase(), v.to_owned());
                        }
                    }
                }
                let inner = Req {
                    method: method.to_ascii_uppercase(),
                    path: format!("/{}/{}", self.version, path),
                    query: url::form_urlencoded::parse(query.as_bytes())
                        .into_owned()
                        .collect(),
                    headers,
                    body: r
                        .get("body")
                        .map(|b| b.to_string().into_bytes())
                        .unwrap_or_default(),
                };
                let segs: Vec<&str> = inner.path.trim_matches('/').split('/').collect();
                self.t.request_counter += 1;
                let ctx = Ctx {
                    request_id: crate::rng::uuid_from(
                        crate::rng::hash(&[self.t.cfg.seed, 0xBA7, self.t.request_counter]),
                        3,
                    ),
                    ..self.ctx.clone()
                };
                graph(self.t, &ctx, &inner, &segs)
            };
            statuses.push((id.to_owned(), resp.status));
            let mut hs = Map::new();
            for (k, v) in &resp.headers {
                hs.insert(k.clone(), Value::String(v.clone()));
            }
            let mut entry = json!({"id": id, "status": resp.status, "headers": hs});
            match resp.body {
                Body::Json(v) => {
                    entry["headers"]["Content-Type"] = Value::String("application/json".into());
                    entry["body"] = v;
                }
                Body::Raw(b, mime) => {
                    entry["headers"]["Content-Type"] = Value::String(mime.into());
                    entry["body"] = serde_json::from_slice(&b).unwrap_or_else(|_| {
                        Value::String(String::from_utf8_lossy(&b).into_owned())
                    });
                }
                Body::None => {}
            }
            out.push(entry);
        }
        Ok(Resp::json(200, json!({"responses": out})))
    }
}

fn uuid_like(s: &str) -> String {
    let h = crate::rng::hash(&[
        s.len() as u64,
        s.bytes()
            .fold(0u64, |a, b| a.wrapping_mul(31).wrapping_add(u64::from(b))),
    ]);
    crate::rng::uuid_from(h, crate::rng::mix(h))
}

enum DeltaStart {
    Latest(String),
    Round {
        since: u64,
        upto: u64,
        start: usize,
        sel: String,
    },
}

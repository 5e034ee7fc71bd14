//! The Microsoft Graph endpoints of the fake tenant.
//!
//! This module authenticates a request (the bearer token, the tenant), routes it to the handler
//! of its resource and applies the injected faults; the handlers live in one module per
//! resource, as methods of the per-request handler [`G`]. Shared by all of them: the error body
//! ([`error`]), `$select` projection ([`project`]), paging ([`paging`]) and the permission,
//! licence and throttle gates ([`access`]).

use entra_model::PermissionSet;
use serde_json::{json, Map, Value};

use crate::jwt::{self, TokenError};
use crate::server::{Body, Req, Resp};
use crate::tenant::Tenant;

mod access;
mod applications;
mod auth_methods;
mod batch;
mod delta;
mod devices;
mod groups;
mod identity_protection;
mod organization;
mod paging;
mod remediation;
mod reports;
mod roles;
mod users;

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

/// The handler of one Graph request: the tenant, the request and the caller's token.
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
    if req.method == "GET" && req.param("$skiptoken").is_some() {
        if let Some(status) = t.faults.stale_links.pop_front() {
            let (code, message) = match status {
                410 => ("Gone", "The requested page is no longer available."),
                _ => (
                    "DirectoryPageTokenNotFoundException",
                    "The page token is not valid or has expired.",
                ),
            };
            return error(t, ctx, status, code, message);
        }
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
    if resp.status == 200
        && g.t.faults.unreadable_sign_ins > 0
        && req.method == "GET"
        && req.path.ends_with("auditLogs/signIns")
    {
        if let Body::Raw(bytes, content_type) = &resp.body {
            if let Some(b) = unreadable_first_time(bytes) {
                g.t.faults.unreadable_sign_ins -= 1;
                let mut r = Resp::raw_json(200, b);
                if let Body::Raw(_, ct) = &mut r.body {
                    *ct = content_type;
                }
                r.headers = resp.headers;
                return r;
            }
        }
    }
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

/// The page with its first `createdDateTime` replaced by a form no model reads, if it has one.
fn unreadable_first_time(body: &[u8]) -> Option<Vec<u8>> {
    const KEY: &[u8] = b"\"createdDateTime\":\"";
    let at = body.windows(KEY.len()).position(|w| w == KEY)? + KEY.len();
    let len = body[at..].iter().position(|b| *b == b'"')?;
    let mut out = body[..at].to_vec();
    out.extend_from_slice(b"yesterday at noon");
    out.extend_from_slice(&body[at + len..]);
    Some(out)
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
            ("GET", ["users", id, "transitiveMemberOf"]) => self.transitive_member_of(id),
            ("GET", ["roleManagement", "directory", "roleDefinitions"]) => self.role_definitions(),
            ("GET", ["roleManagement", "directory", "roleAssignments"]) => self.role_assignments(),
            ("GET", ["roleManagement", "directory", "roleEligibilityScheduleInstances"]) => {
                self.role_eligibilities()
            }
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
            ("GET", ["organization", id]) => self.organization_by_id(id),
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
}

//! Client-side throttle pacing: Graph's documented limits enforced before Graph has to say no.
//!
//! Each request belongs to a [`ThrottleClass`] derived from its method, path and query. A class
//! counted in requests keeps a sliding log: at most `N` requests start in any window of length
//! `W`. The directory class is a token bucket in resource units (the request's documented cost),
//! refilled at the tenant size's quota per 10 s. Reservations are taken in order, so concurrent
//! callers queue fairly and no lock is held while waiting.
//!
//! One [`GraphClient`](crate::GraphClient) talks to one tenant, and its clones share the limiter:
//! the limits here are the per-tenant ones. The limits across all tenants of an app (122 report
//! requests / 10 s, 150,000 RU / 20 s) are not enforced by a single client.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::request::Method;

/// A rate: at most `requests` requests in any window of `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// Requests allowed per window.
    pub requests: u32,
    /// The window.
    pub per: Duration,
}

impl Rate {
    /// `requests` per `per`.
    pub const fn new(requests: u32, per: Duration) -> Self {
        Rate { requests, per }
    }
}

/// The tenant size that sets the directory resource-unit quota per application and tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum TenantSize {
    /// Fewer than 50 users: 3,500 RU / 10 s (the default: safe for every tenant).
    #[default]
    Small,
    /// 50 to 500 users: 5,000 RU / 10 s.
    Medium,
    /// More than 500 users: 8,000 RU / 10 s.
    Large,
}

impl TenantSize {
    /// The resource units per 10 s.
    pub fn resource_units_per_10s(self) -> u32 {
        match self {
            TenantSize::Small => 3_500,
            TenantSize::Medium => 5_000,
            TenantSize::Large => 8_000,
        }
    }
}

/// The throttle class of a request (which of Graph's limits it counts against).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub enum ThrottleClass {
    /// Identity and access reports: `auditLogs/*` (sign-ins, directory audits, provisioning),
    /// authentication methods (`users/{id}/authentication/*`, `reports/authenticationMethods/*`),
    /// registration and credential usage reports.
    Reports,
    /// `users` with `signInActivity` in `$select` or `$filter`.
    SignInActivity,
    /// Identity protection (risky users, risk detections) and Conditional Access.
    IdentityProtection,
    /// Directory objects (users, groups, applications, service principals, ...): resource units.
    Directory,
    /// Intune (`deviceManagement/*`, `deviceAppManagement/*`).
    Intune,
    /// Anything else: no client-side pacing.
    Other,
}

const CLASSES: usize = 6;

impl ThrottleClass {
    fn index(self) -> usize {
        match self {
            ThrottleClass::Reports => 0,
            ThrottleClass::SignInActivity => 1,
            ThrottleClass::IdentityProtection => 2,
            ThrottleClass::Directory => 3,
            ThrottleClass::Intune => 4,
            ThrottleClass::Other => 5,
        }
    }

    /// The class of a request to `path` (relative to the version root, with or without the
    /// version segment) with the raw (encoded or not) `query`.
    ///
    /// ```
    /// use graph_client::{Method, ThrottleClass};
    /// assert_eq!(ThrottleClass::of(Method::Get, "/v1.0/auditLogs/signIns", ""), ThrottleClass::Reports);
    /// assert_eq!(ThrottleClass::of(Method::Get, "/users", "$select=id,signInActivity"), ThrottleClass::SignInActivity);
    /// assert_eq!(ThrottleClass::of(Method::Get, "/users/42/authentication/methods", ""), ThrottleClass::Reports);
    /// assert_eq!(ThrottleClass::of(Method::Get, "/identityProtection/riskyUsers", ""), ThrottleClass::IdentityProtection);
    /// assert_eq!(ThrottleClass::of(Method::Get, "/groups/7/transitiveMembers", ""), ThrottleClass::Directory);
    /// assert_eq!(ThrottleClass::of(Method::Get, "/deviceManagement/managedDevices", ""), ThrottleClass::Intune);
    /// ```
    pub fn of(method: Method, path: &str, query: &str) -> ThrottleClass {
        let _ = method;
        let segs = segments(path);
        let s = |i: usize| segs.get(i).map(String::as_str).unwrap_or("");
        match s(0) {
            "auditlogs" => ThrottleClass::Reports,
            "reports" => {
                const REPORTS: [&str; 9] = [
                    "authenticationmethods",
                    "credentialuserregistrationdetails",
                    "usercredentialusagedetails",
                    "getcredentialusagesummary",
                    "getcredentialuserregistrationcount",
                    "serviceprincipalsigninactivities",
                    "appcredentialsigninactivities",
                    "getazureadapplicationsigninsummary",
                    "applicationsigninsummary",
                ];
                if REPORTS.iter().any(|r| s(1).starts_with(r)) {
                    ThrottleClass::Reports
                } else {
                    ThrottleClass::Other
                }
            }
            "identityprotection" | "riskyusers" | "riskdetections" | "riskyserviceprincipals" => {
                ThrottleClass::IdentityProtection
            }
            "identity" if s(1) == "conditionalaccess" => ThrottleClass::IdentityProtection,
            "devicemanagement" | "deviceappmanagement" => ThrottleClass::Intune,
            "users" | "me" if segs.iter().any(|seg| seg == "authentication") && segs.len() >= 2 => {
                ThrottleClass::Reports
            }
            "users" if mentions_sign_in_activity(query) => ThrottleClass::SignInActivity,
            "users"
            | "me"
            | "groups"
            | "applications"
            | "serviceprincipals"
            | "devices"
            | "directoryobjects"
            | "directoryroles"
            | "directoryroletemplates"
            | "domains"
            | "organization"
            | "subscribedskus"
            | "oauth2permissiongrants"
            | "policies"
            | "contracts"
            | "administrativeunits"
            | "rolemanagement"
            | "invitations"
            | "directory"
            | "applicationtemplates"
            | "grouplifecyclepolicies"
            | "schemaextensions"
            | "getobjectsbyid"
            | "getbyids"
            | "ismemberof" => ThrottleClass::Directory,
            _ => ThrottleClass::Other,
        }
    }
}

fn segments(path: &str) -> Vec<String> {
    let mut segs: Vec<String> = path
        .split('?')
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase())
        .collect();
    if matches!(segs.first().map(String::as_str), Some("v1.0" | "beta")) {
        segs.remove(0);
    }
    segs
}

fn mentions_sign_in_activity(query: &str) -> bool {
    let decoded = percent_encoding::percent_decode_str(query).decode_utf8_lossy();
    decoded.to_ascii_lowercase().contains("signinactivity")
}

/// The documented resource-unit cost of a directory request (Graph throttling limits §7.1),
/// including the `$select` (-1), `$expand` (+1) and `$top` < 20 (-1) modifiers; at least 1.
pub(crate) fn directory_cost(method: Method, path: &str, query: &str) -> u32 {
    let segs = segments(path);
    // `me/x` costs apply to `users/{id}/x` too.
    let rel: Vec<&str> = match segs.first().map(String::as_str) {
        Some("me") => segs[1..].iter().map(String::as_str).collect(),
        Some("users") if segs.len() >= 3 => segs[2..].iter().map(String::as_str).collect(),
        _ => Vec::new(),
    };
    let first = segs.first().map(String::as_str).unwrap_or("");
    let get = method == Method::Get;
    let post = method == Method::Post;
    let last = segs.last().map(String::as_str).unwrap_or("");
    let decoded = percent_encoding::percent_decode_str(query)
        .decode_utf8_lossy()
        .to_ascii_lowercase();
    let has = |opt: &str| {
        decoded
            .split('&')
            .any(|kv| kv.split('=').next() == Some(opt))
    };
    let by_ids = post && (last == "getbyids" || last == "getobjectsbyid");
    if by_ids && has("$select") {
        return 2;
    }
    let base: i64 = if by_ids {
        5
    } else if post
        && matches!(
            last,
            "checkmembergroups" | "checkmemberobjects" | "ismemberof"
        )
    {
        4
    } else if rel.len() == 1
        && ((post && matches!(rel[0], "getmembergroups" | "getmemberobjects"))
            || (get
                && matches!(
                    rel[0],
                    "licensedetails" | "memberof" | "ownedobjects" | "transitivememberof"
                )))
    {
        2
    } else if get {
        match (first, segs.len(), last) {
            ("applications", 1, _) => 2,
            ("applications", 3, "extensionproperties") => 2,
            ("contracts", 1, _) => 3,
            ("domains", 3, "domainnamereferences") => 4,
            ("groups", 3, "members") => 3,
            ("groups", 3, "transitivemembers") => 5,
            ("oauth2permissiongrants", 1 | 2, _) => 2,
            ("serviceprincipals", 3, "approleassignments") => 2,
            ("subscribedskus", 1, _) => 3,
            ("users", 1, _) => 2,
            _ => 1,
        }
    } else {
        1
    };
    let mut cost = base;
    if has("$select") {
        cost -= 1;
    }
    if has("$expand") {
        cost += 1;
    }
    let top = decoded
        .split('&')
        .find_map(|kv| kv.strip_prefix("$top="))
        .and_then(|v| v.parse::<u32>().ok());
    if top.is_some_and(|t| t < 20) {
        cost -= 1;
    }
    cost.max(1) as u32
}

/// The client-side limits. On by default with Graph's documented per-tenant limits.
#[derive(Debug, Clone, PartialEq)]
pub struct ThrottleLimits {
    pub(crate) enabled: bool,
    pub(crate) reports: Rate,
    pub(crate) sign_in_activity: Rate,
    pub(crate) identity_protection: Rate,
    pub(crate) intune: Rate,
    pub(crate) intune_writes: Rate,
    pub(crate) directory_resource_units: u32,
    pub(crate) directory_writes: Rate,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        ThrottleLimits {
            enabled: true,
            reports: Rate::new(5, Duration::from_secs(10)),
            sign_in_activity: Rate::new(10, Duration::from_secs(60)),
            identity_protection: Rate::new(1, Duration::from_secs(1)),
            intune: Rate::new(1_000, Duration::from_secs(20)),
            intune_writes: Rate::new(100, Duration::from_secs(20)),
            directory_resource_units: TenantSize::Small.resource_units_per_10s(),
            directory_writes: Rate::new(3_000, Duration::from_secs(150)),
        }
    }
}

impl ThrottleLimits {
    /// No client-side pacing at all (Graph's 429s are still honoured by the retry policy).
    pub fn disabled() -> Self {
        ThrottleLimits {
            enabled: false,
            ..ThrottleLimits::default()
        }
    }

    /// Identity and access reports. Default: 5 requests / 10 s.
    pub fn reports(mut self, rate: Rate) -> Self {
        self.reports = rate;
        self
    }

    /// `signInActivity` on users. Default: 10 requests / 60 s.
    pub fn sign_in_activity(mut self, rate: Rate) -> Self {
        self.sign_in_activity = rate;
        self
    }

    /// Identity protection and Conditional Access. Default: 1 request / 1 s.
    pub fn identity_protection(mut self, rate: Rate) -> Self {
        self.identity_protection = rate;
        self
    }

    /// Intune, any request. Default: 1,000 requests / 20 s.
    pub fn intune(mut self, rate: Rate) -> Self {
        self.intune = rate;
        self
    }

    /// Intune writes (POST/PUT/PATCH/DELETE). Default: 100 requests / 20 s.
    pub fn intune_writes(mut self, rate: Rate) -> Self {
        self.intune_writes = rate;
        self
    }

    /// The directory resource-unit quota from the tenant size. Default: [`TenantSize::Small`]
    /// (3,500 RU / 10 s).
    pub fn tenant_size(mut self, size: TenantSize) -> Self {
        self.directory_resource_units = size.resource_units_per_10s();
        self
    }

    /// The directory resource-unit quota per 10 s, directly. Default: 3,500.
    pub fn directory_resource_units(mut self, per_10s: u32) -> Self {
        self.directory_resource_units = per_10s.max(1);
        self
    }

    /// Directory writes. Default: 3,000 requests / 150 s.
    pub fn directory_writes(mut self, rate: Rate) -> Self {
        self.directory_writes = rate;
        self
    }
}

#[derive(Debug)]
struct Window {
    rate: Rate,
    starts: VecDeque<Instant>,
}

impl Window {
    fn new(rate: Rate) -> Self {
        Window {
            rate,
            starts: VecDeque::new(),
        }
    }

    /// Reserves the earliest start at or after `now` that keeps at most `requests` starts in any
    /// window of `per * factor`, plus a guard of 1 % of the window: Graph counts a request when
    /// it arrives, a little after the client starts it, so a request started exactly one window
    /// after another may arrive inside it.
    fn reserve(&mut self, now: Instant, factor: f64) -> Instant {
        let max = self.rate.requests.max(1) as usize;
        let per = self.rate.per.mul_f64(factor * 1.01);
        let at = if self.starts.len() < max {
            now
        } else {
            let oldest = self.starts[self.starts.len() - max];
            now.max(oldest + per)
        };
        self.starts.push_back(at);
        while self.starts.len() > max {
            self.starts.pop_front();
        }
        at
    }
}

/// A token bucket as a generic cell-rate algorithm: a full bucket of `capacity` units, refilled
/// at `capacity` per `per`.
#[derive(Debug)]
struct Bucket {
    capacity: f64,
    per: Duration,
    tat: Option<Instant>,
}

impl Bucket {
    fn reserve(&mut self, now: Instant, cost: u32, factor: f64) -> Instant {
        let cost = f64::from(cost).min(self.capacity);
        let inc = self.per.mul_f64(cost / self.capacity * factor);
        let tat = self.tat.map_or(now, |t| t.max(now));
        let earliest = (tat + inc).checked_sub(self.per).unwrap_or(now);
        let at = earliest.max(now);
        self.tat = Some(tat + inc);
        at
    }
}

#[derive(Debug)]
struct State {
    reports: Window,
    sign_in_activity: Window,
    identity_protection: Window,
    intune: Window,
    intune_writes: Window,
    directory_writes: Window,
    directory: Bucket,
    /// Per class: slow-down factor and until when it applies.
    slow: [Option<(f64, Instant)>; CLASSES],
}

/// The shared limiter of a client and its clones.
#[derive(Debug)]
pub(crate) struct Throttle {
    enabled: bool,
    state: Mutex<State>,
}

impl Throttle {
    pub(crate) fn new(limits: &ThrottleLimits) -> Self {
        Throttle {
            enabled: limits.enabled,
            state: Mutex::new(State {
                reports: Window::new(limits.reports),
                sign_in_activity: Window::new(limits.sign_in_activity),
                identity_protection: Window::new(limits.identity_protection),
                intune: Window::new(limits.intune),
                intune_writes: Window::new(limits.intune_writes),
                directory_writes: Window::new(limits.directory_writes),
                directory: Bucket {
                    capacity: f64::from(limits.directory_resource_units.max(1)),
                    per: Duration::from_secs(10),
                    tat: None,
                },
                slow: [None; CLASSES],
            }),
        }
    }

    /// Waits until a request of `class` may start. Returns how long it waited.
    pub(crate) async fn acquire(
        &self,
        class: ThrottleClass,
        method: Method,
        path: &str,
        query: &str,
    ) -> Duration {
        if !self.enabled || class == ThrottleClass::Other {
            return Duration::ZERO;
        }
        let now = Instant::now();
        let at = {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let factor = match st.slow[class.index()] {
                Some((f, until)) if until > now => f,
                _ => 1.0,
            };
            let write = method != Method::Get;
            match class {
                ThrottleClass::Reports => st.reports.reserve(now, factor),
                ThrottleClass::SignInActivity => {
                    let a = st.sign_in_activity.reserve(now, factor);
                    let cost = directory_cost(method, path, query);
                    a.max(st.directory.reserve(now, cost, factor))
                }
                ThrottleClass::IdentityProtection => st.identity_protection.reserve(now, factor),
                ThrottleClass::Intune => {
                    let a = st.intune.reserve(now, factor);
                    if write {
                        a.max(st.intune_writes.reserve(now, factor))
                    } else {
                        a
                    }
                }
                ThrottleClass::Directory => {
                    let cost = directory_cost(method, path, query);
                    let a = st.directory.reserve(now, cost, factor);
                    if write {
                        a.max(st.directory_writes.reserve(now, factor))
                    } else {
                        a
                    }
                }
                ThrottleClass::Other => now,
            }
        };
        if at > now {
            tokio::time::sleep_until(at).await;
        }
        at - now
    }

    /// Graph said the class is above 80 % of its limit (`x-ms-throttle-limit-percentage`): slow
    /// it down for the next 10 seconds, by 2x up to 100 % and by 4x beyond.
    pub(crate) fn observe_limit_percentage(&self, class: ThrottleClass, percentage: f64) {
        if !self.enabled || percentage <= 0.8 {
            return;
        }
        let factor = if percentage >= 1.0 { 4.0 } else { 2.0 };
        let until = Instant::now() + Duration::from_secs(10);
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut st.slow[class.index()];
        let keep = matches!(slot, Some((f, u)) if *f > factor && *u > Instant::now());
        if !keep {
            *slot = Some((factor, until));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_costs_follow_the_documented_table() {
        assert_eq!(directory_cost(Method::Get, "/users", ""), 2);
        assert_eq!(directory_cost(Method::Get, "/users", "$select=id"), 1);
        assert_eq!(directory_cost(Method::Get, "/groups/1/members", ""), 3);
        assert_eq!(
            directory_cost(Method::Get, "/groups/1/transitiveMembers", "$expand=x"),
            6
        );
        assert_eq!(directory_cost(Method::Get, "/users/1/memberOf", ""), 2);
        assert_eq!(directory_cost(Method::Get, "/me/memberOf", "$top=5"), 1);
        assert_eq!(
            directory_cost(Method::Post, "/directoryObjects/getByIds", ""),
            5
        );
        assert_eq!(
            directory_cost(Method::Post, "/directoryObjects/getByIds", "$select=id"),
            2
        );
        assert_eq!(directory_cost(Method::Get, "/subscribedSkus", ""), 3);
        assert_eq!(directory_cost(Method::Get, "/users/1", "$select=id"), 1);
        assert_eq!(directory_cost(Method::Patch, "/users/1", ""), 1);
    }

    #[test]
    fn sliding_window_allows_n_per_window() {
        let t0 = Instant::now();
        let mut w = Window::new(Rate::new(5, Duration::from_secs(10)));
        let starts: Vec<u64> = (0..12)
            .map(|_| (w.reserve(t0, 1.0) - t0).as_secs())
            .collect();
        assert_eq!(starts, vec![0, 0, 0, 0, 0, 10, 10, 10, 10, 10, 20, 20]);
    }

    #[test]
    fn bucket_allows_a_full_burst_then_refills_at_the_rate() {
        let t0 = Instant::now();
        let mut b = Bucket {
            capacity: 100.0,
            per: Duration::from_secs(10),
            tat: None,
        };
        for _ in 0..50 {
            assert_eq!(b.reserve(t0, 2, 1.0), t0);
        }
        // The bucket is empty: 2 RU take 0.2 s to refill.
        assert_eq!(b.reserve(t0, 2, 1.0) - t0, Duration::from_millis(200));
    }
}

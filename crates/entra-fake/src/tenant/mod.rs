//! The generated tenant: directory content, its mutable state, and the ground truth.
//!
//! The generation of each part of the directory is in the submodule named after it, as methods
//! of [`Tenant`] called in a fixed order by [`Tenant::generate`] (each from its own seeded
//! random stream).

use std::collections::HashMap;
use std::fmt;

use entra_model::{
    Application, AuthenticationMethod, ConditionalAccessPolicy, Device, DirectoryAudit,
    DirectoryRole, Group, ManagedDevice, RiskDetection, RiskyUser, ServicePrincipal, User,
};
use time::{Duration, OffsetDateTime};

use crate::catalog::{self, City};
use crate::clock::FakeClock;
use crate::config::FakeTenantBuilder;
use crate::rng::{hash, uuid_from, Rng};
use crate::signins::{Extra, SlotCache};
use crate::throttle::ThrottleState;

mod applications;
mod audits;
mod devices;
mod groups;
mod policies;
mod privileged;
mod risk;
mod users;

/// How a user takes part in sign-in activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activity {
    /// Signs in every working day.
    Active,
    /// Last signed in long ago (more than 30 days).
    Inactive,
    /// Never signed in.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UserKind {
    Member,
    Guest,
    BreakGlass,
}

/// One user and everything the generator knows about them.
#[derive(Debug, Clone)]
pub(crate) struct UserRec {
    pub(crate) user: User,
    pub(crate) kind: UserKind,
    pub(crate) activity: Activity,
    pub(crate) city: usize,
    pub(crate) ip: String,
    pub(crate) office_ip: Option<String>,
    pub(crate) desktop: usize,
    pub(crate) mobile: usize,
    pub(crate) device_id: Option<String>,
    pub(crate) methods: Vec<AuthenticationMethod>,
    pub(crate) preferred: Option<&'static str>,
    pub(crate) roles: Vec<usize>,
    pub(crate) log_upn: String,
    pub(crate) home_tenant: Option<String>,
    pub(crate) rate: f64,
    pub(crate) last_before_history: Option<OffsetDateTime>,
    pub(crate) version: u64,
    pub(crate) disabled_at: Option<OffsetDateTime>,
    pub(crate) deleted_at: Option<OffsetDateTime>,
}

impl UserRec {
    pub(crate) fn id(&self) -> &str {
        &self.user.id
    }
    pub(crate) fn upn(&self) -> &str {
        self.user.user_principal_name.as_deref().unwrap_or_default()
    }
    pub(crate) fn city(&self) -> &'static City {
        &catalog::HOME_CITIES[self.city]
    }
}

/// A member of a group: the kind and index of the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MemberRef {
    User(usize),
    Group(usize),
    Device(usize),
    ServicePrincipal(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct GroupRec {
    pub(crate) group: Group,
    pub(crate) members: Vec<MemberRef>,
    pub(crate) removed: Vec<(MemberRef, u64)>,
    pub(crate) version: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct RoleRec {
    pub(crate) role: DirectoryRole,
    /// Active assignments at tenant scope: users, role-assignable groups, service principals.
    pub(crate) members: Vec<MemberRef>,
}

/// An eligible role assignment (Privileged Identity Management): the principal may activate
/// the role.
#[derive(Debug, Clone)]
pub(crate) struct EligibilityRec {
    pub(crate) id: String,
    pub(crate) principal: MemberRef,
    pub(crate) role_template_id: String,
    pub(crate) start: OffsetDateTime,
}

/// A service principal and whether (and how often) it signs in.
#[derive(Debug, Clone)]
pub(crate) struct SpRec {
    pub(crate) sp: ServicePrincipal,
    /// Index of its application registration, when it belongs to this tenant.
    pub(crate) app: Option<usize>,
    pub(crate) signs_in: bool,
}

/// A planted attack's expected finding: what a correct detection reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroundTruth {
    /// The detection id of `detections.md` (e.g. `password-spray`).
    pub detection: String,
    /// The subject: a user principal name, an IP address, or `tenant`.
    pub subject: String,
    /// First sign-in of the evidence.
    pub start: OffsetDateTime,
    /// Last sign-in of the evidence.
    pub end: OffsetDateTime,
    /// Sign-in ids of the evidence.
    pub sign_in_ids: Vec<String>,
}

/// A benign look-alike: activity near a threshold that no threat detection should flag.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BenignCase {
    /// What it imitates: `plane-traveller`, `four-failures-then-success`, `shared-vpn-ip`.
    pub kind: String,
    /// The user principal name or IP address.
    pub subject: String,
    /// The sign-ins involved.
    pub sign_in_ids: Vec<String>,
}

/// A posture finding the tenant's directory state should produce.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PostureFinding {
    /// The check id of `detections.md` (e.g. `no-mfa`).
    pub check: String,
    /// The subject: a user principal name, `appId/keyId` of a credential, or `tenant`.
    pub subject: String,
    /// A short detail, e.g. `expired`, `no MFA-capable method`.
    pub detail: String,
}

/// The identifiers and secret to connect to the fake tenant.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Credentials {
    /// The tenant id (GUID).
    pub tenant_id: String,
    /// The fake app's client id.
    pub client_id: String,
    /// The fake app's client secret (a fake: it opens only this fake tenant).
    pub client_secret: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish()
    }
}

/// A generated fake tenant: directory, lazily generated sign-ins, planted attacks and ground
/// truth. Serve it with [`crate::FakeTenant`], or read it directly in tests.
pub struct Tenant {
    pub(crate) cfg: FakeTenantBuilder,
    pub(crate) clock: FakeClock,
    pub(crate) tenant_id: String,
    pub(crate) domain: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) client_secret_end: OffsetDateTime,
    pub(crate) client_secret_key_id: String,
    pub(crate) app_sp_id: String,
    pub(crate) roles_claim: Vec<String>,
    pub(crate) genesis: OffsetDateTime,
    pub(crate) users: Vec<UserRec>,
    pub(crate) user_by_id: HashMap<String, usize>,
    pub(crate) user_by_upn: HashMap<String, usize>,
    pub(crate) groups: Vec<GroupRec>,
    pub(crate) devices: Vec<Device>,
    pub(crate) apps: Vec<Application>,
    pub(crate) sps: Vec<SpRec>,
    pub(crate) roles: Vec<RoleRec>,
    pub(crate) eligibilities: Vec<EligibilityRec>,
    pub(crate) managed_devices: Vec<ManagedDevice>,
    pub(crate) ca_policies: Vec<ConditionalAccessPolicy>,
    pub(crate) risky_users: Vec<RiskyUser>,
    pub(crate) risk_detections: Vec<RiskDetection>,
    pub(crate) audits: Vec<DirectoryAudit>,
    pub(crate) extras: Vec<Extra>,
    pub(crate) quiet: HashMap<usize, Vec<(i64, i64)>>,
    pub(crate) ground_truth: Vec<GroundTruth>,
    pub(crate) benign: Vec<BenignCase>,
    pub(crate) break_glass: Vec<String>,
    pub(crate) change_counter: u64,
    pub(crate) cache: SlotCache,
    pub(crate) throttle: ThrottleState,
    pub(crate) faults: crate::server::Faults,
    pub(crate) request_counter: u64,
}

impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The client secret is a fake, but a secret all the same: never in Debug output.
        f.debug_struct("Tenant")
            .field("tenant_id", &self.tenant_id)
            .field("domain", &self.domain)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .field("users", &self.users.len())
            .field("groups", &self.groups.len())
            .field("applications", &self.apps.len())
            .field("planted_attacks", &self.ground_truth.len())
            .finish_non_exhaustive()
    }
}

pub(super) fn dt_days(now: OffsetDateTime, days: i64, rng: &mut Rng) -> OffsetDateTime {
    now - Duration::days(days) - Duration::seconds(rng.range(0, 86_399))
}

fn default_roles() -> Vec<String> {
    let mut v: Vec<String> = entra_model::Permission::ALL
        .iter()
        .filter(|p| p.access() == entra_model::Access::Read)
        .map(|p| p.as_str().to_owned())
        .collect();
    for w in [
        "User.ReadWrite.All",
        "User.EnableDisableAccount.All",
        "User.RevokeSessions.All",
        "UserAuthenticationMethod.ReadWrite.All",
    ] {
        v.push(w.to_owned());
    }
    v
}

impl Tenant {
    pub(crate) fn generate(cfg: FakeTenantBuilder) -> Tenant {
        let seed = cfg.seed;
        let mut rng = Rng::new(hash(&[seed, 1]));
        let now = cfg.now;
        let clock = if cfg.real_time {
            FakeClock::real_time(now)
        } else {
            FakeClock::manual(now)
        };
        let tenant_id = rng.uuid();
        let domain = cfg
            .domain
            .clone()
            .unwrap_or_else(|| format!("contoso{}.onmicrosoft.com", seed % 10_000));
        let client_id = rng.uuid();
        let client_secret = {
            const ALPHA: &[u8] =
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-";
            (0..40)
                .map(|_| char::from(*rng.pick(ALPHA)))
                .collect::<String>()
        };
        let roles_claim = cfg.permissions.clone().unwrap_or_else(default_roles);
        let genesis = now - Duration::days(i64::from(cfg.history_days));
        let mut t = Tenant {
            clock,
            tenant_id,
            domain,
            client_id,
            client_secret_end: now + cfg.app_secret_remaining,
            client_secret,
            client_secret_key_id: rng.uuid(),
            app_sp_id: rng.uuid(),
            roles_claim,
            genesis,
            users: Vec::new(),
            user_by_id: HashMap::new(),
            user_by_upn: HashMap::new(),
            groups: Vec::new(),
            devices: Vec::new(),
            apps: Vec::new(),
            sps: Vec::new(),
            roles: Vec::new(),
            eligibilities: Vec::new(),
            managed_devices: Vec::new(),
            ca_policies: Vec::new(),
            risky_users: Vec::new(),
            risk_detections: Vec::new(),
            audits: Vec::new(),
            extras: Vec::new(),
            quiet: HashMap::new(),
            ground_truth: Vec::new(),
            benign: Vec::new(),
            break_glass: Vec::new(),
            change_counter: 1,
            cache: SlotCache::default(),
            throttle: ThrottleState::new(cfg.throttling.clone()),
            faults: crate::server::Faults::default(),
            request_counter: 0,
            cfg,
        };
        t.gen_users(&mut Rng::new(hash(&[seed, 2])));
        t.gen_devices(&mut Rng::new(hash(&[seed, 3])));
        t.gen_apps(&mut Rng::new(hash(&[seed, 4])));
        t.gen_roles(&mut Rng::new(hash(&[seed, 5])));
        t.gen_groups(&mut Rng::new(hash(&[seed, 6])));
        t.gen_policies(&mut Rng::new(hash(&[seed, 7])));
        t.gen_risk(&mut Rng::new(hash(&[seed, 8])));
        t.gen_audits(&mut Rng::new(hash(&[seed, 9])));
        crate::attacks::plant(&mut t, &mut Rng::new(hash(&[seed, 10])));
        t.gen_privileged_access(&mut Rng::new(hash(&[seed, 11])));
        t.extras.sort_by_key(|e| std::cmp::Reverse((e.t, e.id)));
        t
    }

    /// Bumps the change counter and returns the new version.
    pub(crate) fn bump(&mut self) -> u64 {
        self.change_counter += 1;
        self.cache.clear();
        self.change_counter
    }

    // ----- public read API -----

    /// The tenant id (GUID).
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The tenant's domain.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The fake app's client id and secret, with the tenant id.
    pub fn credentials(&self) -> Credentials {
        Credentials {
            tenant_id: self.tenant_id.clone(),
            client_id: self.client_id.clone(),
            client_secret: self.client_secret.clone(),
        }
    }

    /// The tenant's clock.
    pub fn clock(&self) -> &FakeClock {
        &self.clock
    }

    /// The start of sign-in history ("now" at build time minus the history days).
    pub fn history_start(&self) -> OffsetDateTime {
        self.genesis
    }

    /// Replaces the app's client secret, as an administrator does who creates a new secret and
    /// deletes the old one: from now on tokens are issued only for `secret`.
    /// ([`FakeTenant::client_secret`](crate::FakeTenant::client_secret) keeps returning the
    /// secret the tenant started with.)
    pub fn rotate_client_secret(&mut self, secret: impl Into<String>) {
        self.client_secret = secret.into();
    }

    /// Replaces the application permissions granted to the app (admin consent given or
    /// withdrawn): tokens issued from now on carry these roles, and Graph answers by them.
    pub fn set_granted_permissions<I, S>(&mut self, roles: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles_claim = roles.into_iter().map(Into::into).collect();
    }

    /// The planted attacks' expected findings.
    pub fn ground_truth(&self) -> &[GroundTruth] {
        &self.ground_truth
    }

    /// The planted benign look-alikes.
    pub fn benign_cases(&self) -> &[BenignCase] {
        &self.benign
    }

    /// User principal names of the break-glass accounts (configure them in the detection).
    pub fn break_glass_accounts(&self) -> &[String] {
        &self.break_glass
    }

    /// Number of users, including deleted ones.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The users as they are now (deleted ones excluded).
    pub fn users(&self) -> Vec<User> {
        self.users
            .iter()
            .filter(|u| u.deleted_at.is_none())
            .map(|u| u.user.clone())
            .collect()
    }

    /// The posture findings the directory state produces now.
    pub fn posture_truth(&self) -> Vec<PostureFinding> {
        crate::posture::posture(self)
    }

    /// A deterministic JSON dump of the generated directory (users, groups with members,
    /// applications, service principals, roles, methods, policies, risk, devices, audits): two
    /// tenants built with the same settings dump the same bytes.
    pub fn export_json(&self) -> String {
        let users: Vec<serde_json::Value> = self
            .users
            .iter()
            .map(|u| {
                serde_json::json!({
                    "user": u.user, "methods": u.methods, "ip": u.ip, "officeIp": u.office_ip,
                })
            })
            .collect();
        let groups: Vec<serde_json::Value> = self
            .groups
            .iter()
            .map(|g| {
                serde_json::json!({
                    "group": g.group,
                    "members": g.members.iter().map(|m| self.member_id(*m)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let roles: Vec<serde_json::Value> = self
            .roles
            .iter()
            .map(|r| {
                serde_json::json!({
                    "role": r.role,
                    "members": r.members.iter().map(|m| self.member_id(*m)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let v = serde_json::json!({
            "tenantId": self.tenant_id, "domain": self.domain, "clientId": self.client_id,
            "users": users, "groups": groups, "roles": roles,
            "applications": self.apps, "servicePrincipals": self.sps.iter().map(|s| &s.sp).collect::<Vec<_>>(),
            "devices": self.devices, "managedDevices": self.managed_devices,
            "conditionalAccessPolicies": self.ca_policies, "riskyUsers": self.risky_users,
            "riskDetections": self.risk_detections, "directoryAudits": self.audits,
            "groundTruth": self.ground_truth.iter().map(|g| serde_json::json!({
                "detection": g.detection, "subject": g.subject, "signInIds": g.sign_in_ids,
            })).collect::<Vec<_>>(),
        });
        v.to_string()
    }

    pub(crate) fn member_id(&self, m: MemberRef) -> &str {
        match m {
            MemberRef::User(i) => &self.users[i].user.id,
            MemberRef::Group(i) => &self.groups[i].group.id,
            MemberRef::Device(i) => &self.devices[i].id,
            MemberRef::ServicePrincipal(i) => &self.sps[i].sp.id,
        }
    }

    /// Finds a user by id or user principal name (case-insensitive), deleted ones excluded.
    pub(crate) fn find_user(&self, key: &str) -> Option<usize> {
        let i = self
            .user_by_id
            .get(key)
            .copied()
            .or_else(|| self.user_by_upn.get(&key.to_lowercase()).copied())?;
        self.users[i].deleted_at.is_none().then_some(i)
    }

    pub(crate) fn uuid_for(&self, parts: &[u64]) -> String {
        let mut v = vec![self.cfg.seed];
        v.extend_from_slice(parts);
        uuid_from(hash(&v), hash(&[hash(&v), 1]))
    }
}

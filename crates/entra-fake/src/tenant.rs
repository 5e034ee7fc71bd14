//! The generated tenant: directory content, its mutable state, and the ground truth.

use std::collections::{HashMap, HashSet};
use std::fmt;

use entra_model::{
    Application, AuthenticationMethod, ComplianceState, ConditionalAccessApplications,
    ConditionalAccessConditions, ConditionalAccessGrantControls, ConditionalAccessPolicy,
    ConditionalAccessPolicyState, ConditionalAccessUsers, CreationType, Device, DirectoryAudit,
    DirectoryRole, EmailAuthenticationMethod, ExternalUserState, Fido2AuthenticationMethod, Group,
    KeyCredential, ManagedDevice, MicrosoftAuthenticatorAuthenticationMethod,
    PasswordAuthenticationMethod, PasswordCredential, PhoneAuthenticationMethod, PhoneType,
    RiskDetail, RiskDetection, RiskLevel, RiskState, RiskyUser, ServicePrincipal,
    ServicePrincipalType, SignInAudience, SoftwareOathAuthenticationMethod, User, UserType,
    WindowsHelloForBusinessAuthenticationMethod, EMAIL_METHOD_ID, MOBILE_PHONE_METHOD_ID,
    OFFICE_PHONE_METHOD_ID, PASSWORD_METHOD_ID,
};
use time::{Duration, OffsetDateTime};

use crate::catalog::{self, City};
use crate::clock::FakeClock;
use crate::config::{FakeTenantBuilder, TenantLicence};
use crate::rng::{hash, uuid_from, Rng};
use crate::signins::{Extra, SlotCache};
use crate::throttle::ThrottleState;

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
    pub(crate) members: Vec<MemberRef>,
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

fn dt_days(now: OffsetDateTime, days: i64, rng: &mut Rng) -> OffsetDateTime {
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
        t.extras.sort_by_key(|e| std::cmp::Reverse((e.t, e.id)));
        t
    }

    fn gen_users(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        let n_members = self.cfg.members as usize;
        let n_guests = self.cfg.guests as usize;
        let mut used = HashSet::new();
        let total = n_members + n_guests + 2;
        for i in 0..total {
            let kind = if i < 2 {
                UserKind::BreakGlass
            } else if i < 2 + n_members {
                UserKind::Member
            } else {
                UserKind::Guest
            };
            let first = *rng.pick(catalog::FIRST_NAMES);
            let last = *rng.pick(catalog::LAST_NAMES);
            let city = rng.weighted(catalog::HOME_WEIGHTS);
            let c = &catalog::HOME_CITIES[city];
            let mut u = User::default();
            u.id = rng.uuid();
            let mut nick = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
            if !used.insert(nick.clone()) {
                nick = format!("{nick}{i}");
                used.insert(nick.clone());
            }
            let (upn, log_upn, home_tenant) = match kind {
                UserKind::BreakGlass => {
                    let upn = format!("breakglass{:02}@{}", i + 1, self.domain);
                    (upn.clone(), upn, None)
                }
                UserKind::Member => {
                    let upn = format!("{nick}@{}", self.domain);
                    (upn.clone(), upn, None)
                }
                UserKind::Guest => {
                    let d = *rng.pick(catalog::GUEST_DOMAINS);
                    let home = format!("{nick}@{d}");
                    let upn = format!("{}#EXT#@{}", home.replace('@', "_"), self.domain);
                    (upn, home, Some(rng.uuid()))
                }
            };
            u.user_principal_name = Some(upn.clone());
            u.display_name = Some(match kind {
                UserKind::BreakGlass => format!("Emergency Access {:02}", i + 1),
                _ => format!("{first} {last}"),
            });
            if kind == UserKind::BreakGlass {
                u.given_name = Some("Emergency".to_owned());
                u.surname = Some(format!("Access {:02}", i + 1));
            } else {
                u.given_name = Some(first.to_owned());
                u.surname = Some(last.to_owned());
            }
            u.mail_nickname = Some(nick.replace('.', ""));
            u.usage_location = Some(c.country.to_owned());
            u.preferred_language = Some("en-US".to_owned());
            u.user_type = Some(if kind == UserKind::Guest {
                UserType::Guest
            } else {
                UserType::Member
            });
            let created = dt_days(now, rng.range(20, 1800), rng);
            u.created_date_time = Some(created);
            u.account_enabled = Some(true);
            let mut activity = Activity::Active;
            let mut last_before = None;
            match kind {
                UserKind::BreakGlass => {
                    activity = Activity::Never;
                    u.password_policies = Some("DisablePasswordExpiration".to_owned());
                }
                UserKind::Member => {
                    u.mail = Some(upn.clone());
                    u.job_title = Some((*rng.pick(catalog::JOB_TITLES)).to_owned());
                    u.department = Some((*rng.pick(catalog::DEPARTMENTS)).to_owned());
                    u.office_location = Some(c.name.to_owned());
                    u.company_name = Some("Contoso".to_owned());
                    u.business_phones = vec![format!("+1 555 01{:02}", rng.below(100))];
                    u.employee_id = Some(format!("E{:06}", 100_000 + i));
                    u.proxy_addresses = vec![format!("SMTP:{upn}")];
                    if rng.chance(0.35) {
                        u.on_premises_sync_enabled = Some(true);
                        u.on_premises_last_sync_date_time =
                            Some(now - Duration::minutes(rng.range(5, 40)));
                        u.on_premises_immutable_id = Some(format!("{:016x}", rng.next_u64()));
                        u.on_premises_sam_account_name = Some(nick.replace('.', ""));
                        u.on_premises_domain_name = Some("corp.contoso.com".to_owned());
                        u.on_premises_user_principal_name =
                            Some(format!("{nick}@corp.contoso.com"));
                        u.on_premises_security_identifier = Some(format!(
                            "S-1-5-21-{}-{}-{}-{}",
                            rng.range(1_000_000_000, 2_000_000_000),
                            rng.range(1_000_000_000, 2_000_000_000),
                            rng.range(1_000_000_000, 2_000_000_000),
                            1000 + i
                        ));
                    }
                    let roll = rng.unit();
                    if roll < 0.03 {
                        u.account_enabled = Some(false);
                        activity = Activity::Inactive;
                    } else if roll < 0.09 {
                        activity = Activity::Inactive;
                    } else if roll < 0.11 {
                        activity = Activity::Never;
                    }
                    if rng.chance(0.03) {
                        // A recent hire: created a few days ago.
                        u.created_date_time = Some(dt_days(now, rng.range(1, 6), rng));
                        activity = Activity::Never;
                    }
                }
                UserKind::Guest => {
                    u.mail = Some(log_upn.clone());
                    u.creation_type = Some(CreationType::Invitation);
                    u.other_mails = vec![log_upn.clone()];
                    if rng.chance(0.35) {
                        activity = Activity::Never;
                        u.external_user_state = Some(ExternalUserState::PendingAcceptance);
                    } else {
                        u.external_user_state = Some(ExternalUserState::Accepted);
                        if rng.chance(0.25) {
                            activity = Activity::Inactive;
                        }
                    }
                    u.external_user_state_change_date_time = u.created_date_time;
                }
            }
            if activity == Activity::Inactive {
                last_before = Some(dt_days(now, rng.range(45, 400), rng));
            }
            u.last_password_change_date_time = Some(dt_days(now, rng.range(1, 300), rng));
            u.sign_in_sessions_valid_from_date_time = u.last_password_change_date_time;
            if kind != UserKind::Guest {
                u.assigned_licenses = vec![{
                    let mut l = entra_model::AssignedLicense::default();
                    l.sku_id = Some(match self.cfg.licence {
                        TenantLicence::P2 => "84a661c4-e949-4bd2-a560-ed7766fcaf2b".to_owned(),
                        TenantLicence::P1 => "078d2b04-f1bd-4111-bbd4-b4b1b354cef4".to_owned(),
                        TenantLicence::Free => "18181a46-0d4e-45cd-891e-60aabd171b4e".to_owned(),
                    });
                    l
                }];
            }
            let ip = format!(
                "{}.{}.{}.{}",
                c.net.0,
                c.net.1,
                (i / 250) % 250 + 1,
                i % 250 + 2
            );
            let office_ip = (kind == UserKind::Member && rng.chance(0.6))
                .then(|| format!("{}.{}.255.{}", c.net.0, c.net.1, 10 + city));
            let rate = match kind {
                UserKind::Guest => 0.15,
                _ => 0.6 + rng.unit() * 0.8,
            };
            let desktop = rng.below(catalog::DEVICE_PROFILES.len() as u64) as usize;
            let mobile = rng.below(catalog::MOBILE_PROFILES.len() as u64) as usize;
            let (methods, preferred) = gen_methods(rng, kind, &u, created);
            self.user_by_id.insert(u.id.clone(), self.users.len());
            self.user_by_upn
                .insert(upn.to_lowercase(), self.users.len());
            if kind == UserKind::BreakGlass {
                self.break_glass.push(upn.clone());
            }
            self.users.push(UserRec {
                user: u,
                kind,
                activity,
                city,
                ip,
                office_ip,
                desktop,
                mobile,
                device_id: None,
                methods,
                preferred,
                roles: Vec::new(),
                log_upn: log_upn.to_lowercase(),
                home_tenant,
                rate,
                last_before_history: last_before,
                version: 1,
                disabled_at: None,
                deleted_at: None,
            });
        }
    }

    fn gen_devices(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        for i in 0..self.users.len() {
            if self.users[i].kind != UserKind::Member || !rng.chance(0.7) {
                continue;
            }
            let (os, _, _, _) = catalog::DEVICE_PROFILES[self.users[i].desktop];
            let mut d = Device::default();
            d.id = rng.uuid();
            let device_id = rng.uuid();
            d.device_id = Some(device_id.clone());
            let name = format!("CONTOSO-{:05}", 10_000 + self.devices.len());
            d.display_name = Some(name.clone());
            d.operating_system = Some(if os == "MacOs" { "MacMDM" } else { "Windows" }.to_owned());
            d.operating_system_version = Some(
                if os == "MacOs" {
                    "14.4.1"
                } else {
                    "10.0.22631.3527"
                }
                .to_owned(),
            );
            d.account_enabled = Some(true);
            d.trust_type = Some(
                if os == "MacOs" {
                    "Workplace"
                } else {
                    "AzureAd"
                }
                .to_owned(),
            );
            let compliant = rng.chance(0.9);
            d.is_compliant = Some(compliant);
            d.is_managed = Some(self.cfg.intune);
            d.manufacturer = Some(if os == "MacOs" { "Apple" } else { "Dell Inc." }.to_owned());
            d.model = Some(
                if os == "MacOs" {
                    "MacBookPro18,3"
                } else {
                    "Latitude 7440"
                }
                .to_owned(),
            );
            d.registration_date_time = Some(dt_days(now, rng.range(30, 900), rng));
            d.approximate_last_sign_in_date_time = Some(now - Duration::hours(rng.range(1, 48)));
            self.users[i].device_id = Some(device_id.clone());
            if self.cfg.intune {
                let u = &self.users[i].user;
                let mut m = ManagedDevice::default();
                m.id = rng.uuid();
                m.device_name = Some(name);
                m.user_id = Some(u.id.clone());
                m.user_principal_name = u.user_principal_name.clone();
                m.user_display_name = u.display_name.clone();
                m.email_address = u.mail.clone();
                m.operating_system = d.operating_system.clone().map(|o| {
                    if o == "MacMDM" {
                        "macOS".to_owned()
                    } else {
                        o
                    }
                });
                m.os_version = d.operating_system_version.clone();
                m.compliance_state = Some(if compliant {
                    ComplianceState::Compliant
                } else {
                    ComplianceState::Noncompliant
                });
                m.management_agent = Some("mdm".to_owned());
                m.managed_device_owner_type = Some("company".to_owned());
                m.management_state = Some("managed".to_owned());
                m.device_registration_state = Some("registered".to_owned());
                m.enrolled_date_time = d.registration_date_time;
                m.last_sync_date_time = Some(now - Duration::minutes(rng.range(10, 3000)));
                m.azure_ad_device_id = Some(device_id);
                m.azure_ad_registered = Some(true);
                m.is_encrypted = Some(rng.chance(0.95));
                m.is_supervised = Some(false);
                m.jail_broken = Some("False".to_owned());
                m.serial_number = Some(format!("{:010X}", rng.next_u64() & 0xFF_FFFF_FFFF));
                m.model = d.model.clone();
                m.manufacturer = d.manufacturer.clone();
                m.total_storage_space_in_bytes = Some(512_000_000_000);
                m.free_storage_space_in_bytes = Some(rng.range(20_000_000_000, 400_000_000_000));
                self.managed_devices.push(m);
            }
            self.devices.push(d);
        }
    }

    fn gen_apps(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        // The fake app itself.
        let mut me = Application::default();
        me.id = rng.uuid();
        me.app_id = Some(self.client_id.clone());
        me.display_name = Some("oort collector".to_owned());
        me.sign_in_audience = Some(SignInAudience::AzureAdMyOrg);
        me.publisher_domain = Some(self.domain.clone());
        me.created_date_time = Some(now - Duration::days(300));
        let mut sec = PasswordCredential::default();
        sec.key_id = Some(self.client_secret_key_id.clone());
        sec.display_name = Some("oort".to_owned());
        sec.hint = Some(self.client_secret.chars().take(3).collect());
        sec.end_date_time = Some(self.client_secret_end);
        sec.start_date_time = Some(self.client_secret_end - Duration::days(180));
        me.password_credentials = vec![sec];
        if self.cfg.certificate {
            let mut k = KeyCredential::default();
            k.key_id = Some(rng.uuid());
            k.display_name = Some("CN=oort-fake-tenant-test".to_owned());
            k.key_type = Some("AsymmetricX509Cert".to_owned());
            k.usage = Some("Verify".to_owned());
            k.custom_key_identifier =
                Some(crate::assertion::test_certificate::THUMBPRINT_SHA1_HEX.to_owned());
            k.start_date_time = Some(time::macros::datetime!(2024-01-01 0:00 UTC));
            k.end_date_time = Some(time::macros::datetime!(2034-01-01 0:00 UTC));
            me.key_credentials = vec![k];
        }
        self.apps.push(me);
        let mut me_sp = ServicePrincipal::default();
        me_sp.id = self.app_sp_id.clone();
        me_sp.app_id = Some(self.client_id.clone());
        me_sp.display_name = Some("oort collector".to_owned());
        me_sp.app_display_name = me_sp.display_name.clone();
        me_sp.service_principal_type = Some(ServicePrincipalType::Application);
        me_sp.app_owner_organization_id = Some(self.tenant_id.clone());
        me_sp.account_enabled = Some(true);
        me_sp.service_principal_names = vec![self.client_id.clone()];
        self.sps.push(SpRec {
            sp: me_sp,
            app: Some(0),
            signs_in: false,
        });
        // Credential end dates spread from expired to years ahead (days from now).
        const ENDS: &[i64] = &[-120, -3, 12, 28, 45, 80, 150, 365, 700, 1500];
        const NAMES: &[&str] = &[
            "Payroll Sync",
            "HR Connector",
            "Backup Agent",
            "Sales Dashboard",
            "Ticketing Bridge",
            "Invoice Processor",
            "Build Pipeline",
            "Marketing Automation",
            "Expense Bot",
            "Data Warehouse Loader",
            "Compliance Scanner",
            "Intranet Portal",
        ];
        for i in 0..self.cfg.applications as usize {
            let mut a = Application::default();
            a.id = rng.uuid();
            a.app_id = Some(rng.uuid());
            let base = NAMES[i % NAMES.len()];
            a.display_name = Some(if i < NAMES.len() {
                base.to_owned()
            } else {
                format!("{base} {}", i / NAMES.len() + 1)
            });
            a.sign_in_audience = Some(if rng.chance(0.8) {
                SignInAudience::AzureAdMyOrg
            } else {
                SignInAudience::AzureAdMultipleOrgs
            });
            a.publisher_domain = Some(self.domain.clone());
            a.created_date_time = Some(dt_days(now, rng.range(100, 1500), rng));
            let n_secrets = rng.range(0, 2);
            for s in 0..n_secrets {
                let end = now
                    + Duration::days(ENDS[(i * 3 + s as usize) % ENDS.len()])
                    + Duration::seconds(rng.range(0, 86_399));
                let life = if rng.chance(0.3) { 730 } else { 180 };
                let mut c = PasswordCredential::default();
                c.key_id = Some(rng.uuid());
                c.display_name = Some(format!("secret-{}", s + 1));
                c.hint = Some(format!(
                    "{}~{}",
                    rng.below(10),
                    char::from(b'A' + rng.below(26) as u8)
                ));
                c.start_date_time = Some(end - Duration::days(life));
                c.end_date_time = Some(end);
                a.password_credentials.push(c);
            }
            if rng.chance(0.5) {
                let end = now + Duration::days(ENDS[(i * 7 + 2) % ENDS.len()]);
                let mut k = KeyCredential::default();
                k.key_id = Some(rng.uuid());
                k.display_name = Some(format!("CN={}", base.replace(' ', "")));
                k.key_type = Some("AsymmetricX509Cert".to_owned());
                k.usage = Some("Verify".to_owned());
                k.custom_key_identifier = Some(format!(
                    "{:016X}{:016X}{:08X}",
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64() as u32
                ));
                k.start_date_time =
                    Some(end - Duration::days(if rng.chance(0.5) { 365 } else { 730 }));
                k.end_date_time = Some(end);
                a.key_credentials.push(k);
            }
            let mut sp = ServicePrincipal::default();
            sp.id = rng.uuid();
            sp.app_id = a.app_id.clone();
            sp.display_name = a.display_name.clone();
            sp.app_display_name = a.display_name.clone();
            sp.service_principal_type = Some(ServicePrincipalType::Application);
            sp.app_owner_organization_id = Some(self.tenant_id.clone());
            sp.account_enabled = Some(true);
            sp.sign_in_audience = a.sign_in_audience.clone();
            sp.service_principal_names = vec![a.app_id.clone().unwrap_or_default()];
            sp.created_date_time = a.created_date_time;
            let signs_in = !a.password_credentials.is_empty() || !a.key_credentials.is_empty();
            self.sps.push(SpRec {
                sp,
                app: Some(self.apps.len()),
                signs_in,
            });
            self.apps.push(a);
        }
        // Microsoft first-party service principals.
        for (app_id, name) in [
            (catalog::GRAPH_APP_ID, "Microsoft Graph"),
            (
                "00000002-0000-0ff1-ce00-000000000000",
                "Office 365 Exchange Online",
            ),
            (
                "00000003-0000-0ff1-ce00-000000000000",
                "Office 365 SharePoint Online",
            ),
            ("1fec8e78-bce4-4aaf-ab1b-5451cc387264", "Microsoft Teams"),
        ] {
            let mut sp = ServicePrincipal::default();
            sp.id = rng.uuid();
            sp.app_id = Some(app_id.to_owned());
            sp.display_name = Some(name.to_owned());
            sp.app_display_name = Some(name.to_owned());
            sp.service_principal_type = Some(ServicePrincipalType::Application);
            sp.app_owner_organization_id = Some(catalog::MICROSOFT_TENANT_ID.to_owned());
            sp.account_enabled = Some(true);
            sp.publisher_name = Some("Microsoft Services".to_owned());
            sp.sign_in_audience = Some(SignInAudience::AzureAdMultipleOrgs);
            self.sps.push(SpRec {
                sp,
                app: None,
                signs_in: false,
            });
        }
        // Managed identities.
        for name in ["func-invoice-prod", "vm-build-agent-01", "logic-hr-sync"] {
            let mut sp = ServicePrincipal::default();
            sp.id = rng.uuid();
            sp.app_id = Some(rng.uuid());
            sp.display_name = Some(name.to_owned());
            sp.service_principal_type = Some(ServicePrincipalType::ManagedIdentity);
            sp.account_enabled = Some(true);
            sp.service_principal_names = vec![
                sp.app_id.clone().unwrap_or_default(),
                format!(
                    "https://identity.azure.net/{}",
                    crate::jwt::b64(&rng.next_u64().to_le_bytes())
                ),
            ];
            sp.tags = vec!["ManagedIdentity".to_owned()];
            self.sps.push(SpRec {
                sp,
                app: None,
                signs_in: true,
            });
        }
    }

    fn gen_roles(&mut self, rng: &mut Rng) {
        for (name, template) in catalog::ROLES {
            let mut r = DirectoryRole::default();
            r.id = rng.uuid();
            r.display_name = Some((*name).to_owned());
            r.description = Some(format!("Members of this role have the {name} permissions."));
            r.role_template_id = Some((*template).to_owned());
            self.roles.push(RoleRec {
                role: r,
                members: Vec::new(),
            });
        }
        // Break-glass accounts are Global Administrators.
        for i in 0..self.users.len() {
            if self.users[i].kind == UserKind::BreakGlass {
                self.assign_role(0, i);
            }
        }
        let members: Vec<usize> = (0..self.users.len())
            .filter(|&i| self.users[i].kind == UserKind::Member)
            .collect();
        if members.is_empty() {
            return;
        }
        let n_admins = (members.len() / 25).clamp(3, 40).min(members.len());
        for k in 0..n_admins {
            let u = members[(k * 7 + 3) % members.len()];
            let role = match k {
                0 | 1 => 0,
                2 => 1,
                _ => 1 + rng.below(catalog::ROLES.len() as u64 - 1) as usize,
            };
            self.assign_role(role, u);
            // Admins usually have strong methods; the first admin past the Global Administrators
            // is planted without any MFA method (posture truth: admin-without-mfa).
            if k == 2 {
                self.users[u]
                    .methods
                    .retain(|m| matches!(m, AuthenticationMethod::Password(_)));
                self.users[u].preferred = None;
            } else if !self.users[u]
                .methods
                .iter()
                .any(AuthenticationMethod::is_mfa_capable)
            {
                let mut a = MicrosoftAuthenticatorAuthenticationMethod::default();
                a.id = rng.uuid();
                a.display_name = Some("iPhone 15".to_owned());
                a.device_tag = Some("SoftwareTokenActivated".to_owned());
                a.phone_app_version = Some("6.8.8".to_owned());
                self.users[u]
                    .methods
                    .push(AuthenticationMethod::MicrosoftAuthenticator(a));
                self.users[u].preferred = Some("push");
            }
        }
        // The fake app's service principal reads reports.
        self.roles[7].members.push(MemberRef::ServicePrincipal(0));
    }

    fn assign_role(&mut self, role: usize, user: usize) {
        if !self.roles[role].members.contains(&MemberRef::User(user)) {
            self.roles[role].members.push(MemberRef::User(user));
            self.users[user].roles.push(role);
        }
    }

    fn gen_groups(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        const NAMES: &[&str] = &[
            "All Staff",
            "Sales Team",
            "Engineering",
            "Finance",
            "Project Phoenix",
            "VPN Users",
            "Executives",
            "Contractors",
            "Help Desk",
            "Marketing",
            "Device Admins",
            "Automation Accounts",
        ];
        let users: Vec<usize> = (0..self.users.len()).collect();
        for g in 0..self.cfg.groups as usize {
            let mut gr = Group::default();
            gr.id = rng.uuid();
            let name = NAMES[g % NAMES.len()];
            gr.display_name = Some(if g < NAMES.len() {
                name.to_owned()
            } else {
                format!("{name} {}", g / NAMES.len() + 1)
            });
            gr.description = Some(format!("{name} group"));
            let unified = rng.chance(0.3);
            gr.group_types = if unified {
                vec!["Unified".to_owned()]
            } else {
                Vec::new()
            };
            gr.security_enabled = Some(!unified);
            gr.mail_enabled = Some(unified);
            let nick = name.to_lowercase().replace(' ', "");
            gr.mail_nickname = Some(format!("{nick}{g}"));
            if unified {
                gr.mail = Some(format!("{nick}{g}@{}", self.domain));
            }
            gr.visibility = Some(
                if g % 9 == 8 {
                    "HiddenMembership"
                } else if unified {
                    "Private"
                } else {
                    "Public"
                }
                .to_owned(),
            );
            gr.is_assignable_to_role = Some(g % 5 == 4);
            gr.created_date_time = Some(dt_days(now, rng.range(30, 1500), rng));
            gr.on_premises_sync_enabled = (g % 4 == 1).then_some(true);
            gr.security_identifier = Some(format!(
                "S-1-12-1-{}-{}",
                rng.range(1, 4_000_000_000),
                rng.range(1, 4_000_000_000)
            ));
            let mut members = Vec::new();
            let n = if g == 0 {
                users.len()
            } else {
                rng.range(2, (users.len() as i64 / 4).max(3)) as usize
            };
            for k in 0..n.min(users.len()) {
                let u = if g == 0 {
                    k
                } else {
                    users[rng.below(users.len() as u64) as usize]
                };
                let m = MemberRef::User(u);
                if !members.contains(&m) {
                    members.push(m);
                }
            }
            if g > 0 && rng.chance(0.5) {
                members.push(MemberRef::Group(rng.below(g as u64) as usize));
            }
            if !self.devices.is_empty() && rng.chance(0.4) {
                for _ in 0..rng.range(1, 3) {
                    let m = MemberRef::Device(rng.below(self.devices.len() as u64) as usize);
                    if !members.contains(&m) {
                        members.push(m);
                    }
                }
            }
            if rng.chance(0.25) && self.sps.len() > 1 {
                members.push(MemberRef::ServicePrincipal(
                    1 + rng.below(self.sps.len() as u64 - 1) as usize,
                ));
            }
            self.groups.push(GroupRec {
                group: gr,
                members,
                removed: Vec::new(),
                version: 1,
            });
        }
    }

    fn gen_policies(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        let bg: Vec<String> = self
            .users
            .iter()
            .filter(|u| u.kind == UserKind::BreakGlass)
            .map(|u| u.user.id.clone())
            .collect();
        let specs: &[(&str, ConditionalAccessPolicyState, &str)] = &[
            (
                "Require MFA for administrators",
                ConditionalAccessPolicyState::Enabled,
                "admins",
            ),
            (
                "Require MFA for all users",
                ConditionalAccessPolicyState::Enabled,
                "all",
            ),
            (
                "Block legacy authentication",
                ConditionalAccessPolicyState::EnabledForReportingButNotEnforced,
                "legacy",
            ),
            (
                "Block access from sanctioned countries",
                ConditionalAccessPolicyState::Disabled,
                "countries",
            ),
            (
                "Require compliant device for Azure management",
                ConditionalAccessPolicyState::EnabledForReportingButNotEnforced,
                "azure",
            ),
        ];
        for (name, state, kind) in specs {
            let mut p = ConditionalAccessPolicy::default();
            p.id = rng.uuid();
            p.display_name = Some((*name).to_owned());
            p.state = Some(state.clone());
            p.created_date_time = Some(dt_days(now, rng.range(200, 900), rng));
            p.modified_date_time = Some(dt_days(now, rng.range(5, 150), rng));
            let mut users = ConditionalAccessUsers::default();
            let mut apps = ConditionalAccessApplications::default();
            apps.include_applications = vec!["All".to_owned()];
            let mut cond = ConditionalAccessConditions::default();
            let mut grant = ConditionalAccessGrantControls::default();
            grant.operator = Some("OR".to_owned());
            match *kind {
                "admins" => {
                    users.include_roles = catalog::ROLES
                        .iter()
                        .take(6)
                        .map(|r| r.1.to_owned())
                        .collect();
                    users.exclude_users = bg.clone();
                    grant.built_in_controls = vec!["mfa".to_owned()];
                }
                "all" => {
                    users.include_users = vec!["All".to_owned()];
                    users.exclude_users = bg.clone();
                    grant.built_in_controls = vec!["mfa".to_owned()];
                }
                "legacy" => {
                    users.include_users = vec!["All".to_owned()];
                    cond.client_app_types = vec![
                        entra_model::ConditionalAccessClientApp::ExchangeActiveSync,
                        entra_model::ConditionalAccessClientApp::OtherClients,
                    ];
                    grant.built_in_controls = vec!["block".to_owned()];
                }
                "countries" => {
                    users.include_users = vec!["All".to_owned()];
                    let mut loc = entra_model::ConditionalAccessLocations::default();
                    loc.include_locations = vec![rng.uuid()];
                    cond.locations = Some(loc);
                    grant.built_in_controls = vec!["block".to_owned()];
                }
                _ => {
                    users.include_users = vec!["All".to_owned()];
                    apps.include_applications =
                        vec!["797f4846-ba00-4fd7-ba43-dac1f8f63013".to_owned()];
                    grant.built_in_controls = vec!["compliantDevice".to_owned()];
                }
            }
            cond.users = Some(users);
            cond.applications = Some(apps);
            p.conditions = Some(cond);
            p.grant_controls = Some(grant);
            self.ca_policies.push(p);
        }
    }

    fn gen_risk(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        let candidates: Vec<usize> = (0..self.users.len())
            .filter(|&i| {
                self.users[i].kind == UserKind::Member && self.users[i].activity == Activity::Active
            })
            .collect();
        let n = (candidates.len() / 50).max(1).min(candidates.len());
        const LEVELS: &[(RiskLevel, RiskState, RiskDetail, &str)] = &[
            (
                RiskLevel::Medium,
                RiskState::AtRisk,
                RiskDetail::None,
                "unfamiliarFeatures",
            ),
            (
                RiskLevel::Low,
                RiskState::Remediated,
                RiskDetail::UserPerformedSecuredPasswordChange,
                "anonymizedIPAddress",
            ),
            (
                RiskLevel::High,
                RiskState::Dismissed,
                RiskDetail::AdminDismissedAllRiskForUser,
                "leakedCredentials",
            ),
            (
                RiskLevel::Low,
                RiskState::AtRisk,
                RiskDetail::None,
                "unlikelyTravel",
            ),
        ];
        for k in 0..n {
            let u = &self.users[candidates[(k * 11 + 5) % candidates.len()]];
            let (level, state, detail, event) = &LEVELS[k % LEVELS.len()];
            let when = dt_days(now, rng.range(1, 20), rng);
            self.push_risk(
                u.id().to_owned(),
                level.clone(),
                state.clone(),
                detail.clone(),
                event,
                when,
                u.ip.clone(),
                u.city,
                None,
                rng,
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn push_risk(
        &mut self,
        user_id: String,
        level: RiskLevel,
        state: RiskState,
        detail: RiskDetail,
        event: &str,
        when: OffsetDateTime,
        ip: String,
        city: usize,
        request_id: Option<String>,
        rng: &mut Rng,
    ) {
        let idx = self.user_by_id[&user_id];
        let u = &self.users[idx].user;
        let c = &catalog::HOME_CITIES[city];
        let mut d = RiskDetection::default();
        d.id = format!(
            "{:064x}",
            u128::from(rng.next_u64()) << 64 | u128::from(rng.next_u64())
        );
        d.request_id = request_id.or_else(|| Some(rng.uuid()));
        d.correlation_id = Some(rng.uuid());
        d.risk_event_type = Some(event.to_owned());
        d.risk_state = Some(state.clone());
        d.risk_level = Some(level.clone());
        d.risk_detail = Some(detail.clone());
        d.source = Some("IdentityProtection".to_owned());
        d.detection_timing_type = Some(entra_model::RiskDetectionTimingType::Realtime);
        d.activity = Some(entra_model::ActivityType::SignIn);
        d.token_issuer_type = Some(entra_model::TokenIssuerType::AzureAd);
        d.ip_address = Some(ip);
        d.location = Some(crate::signins::location(c));
        d.activity_date_time = Some(when);
        d.detected_date_time = Some(when);
        d.last_updated_date_time = Some(when + Duration::minutes(5));
        d.user_id = Some(u.id.clone());
        d.user_display_name = u.display_name.clone();
        d.user_principal_name = u.user_principal_name.clone();
        d.additional_info = Some("[{\"Key\":\"userAgent\",\"Value\":\"Mozilla/5.0\"}]".to_owned());
        self.risk_detections.push(d);
        let mut r = RiskyUser::default();
        r.id = u.id.clone();
        r.is_deleted = Some(false);
        r.is_processing = Some(false);
        r.risk_last_updated_date_time = Some(when + Duration::minutes(5));
        r.risk_level = Some(level);
        r.risk_state = Some(state);
        r.risk_detail = Some(detail);
        r.user_display_name = u.display_name.clone();
        r.user_principal_name = u.user_principal_name.clone();
        self.risky_users.retain(|x| x.id != r.id);
        self.risky_users.push(r);
    }

    fn gen_audits(&mut self, rng: &mut Rng) {
        let now = self.cfg.now;
        const ACTS: &[(&str, &str, &str, &str)] = &[
            ("Update user", "UserManagement", "Update", "Core Directory"),
            (
                "Add member to group",
                "GroupManagement",
                "Assign",
                "Core Directory",
            ),
            (
                "Reset user password",
                "UserManagement",
                "Update",
                "Self-service Password Management",
            ),
            ("Add user", "UserManagement", "Add", "Core Directory"),
            (
                "Update application – Certificates and secrets management ",
                "ApplicationManagement",
                "Update",
                "Core Directory",
            ),
            (
                "Consent to application",
                "ApplicationManagement",
                "Assign",
                "Core Directory",
            ),
            (
                "Add member to role",
                "RoleManagement",
                "Assign",
                "Core Directory",
            ),
            (
                "User registered security info",
                "UserManagement",
                "Add",
                "Authentication Methods",
            ),
        ];
        let days = i64::from(self.cfg.history_days);
        let n = (days * 12) as usize;
        let admins: Vec<usize> = self.roles[1]
            .members
            .iter()
            .chain(self.roles[0].members.iter())
            .filter_map(|m| match m {
                MemberRef::User(u) => Some(*u),
                _ => None,
            })
            .collect();
        for _ in 0..n {
            let (act, cat, op, svc) = *rng.pick(ACTS);
            let when = now - Duration::seconds(rng.range(60, days * 86_400));
            let target = &self.users[rng.below(self.users.len() as u64) as usize];
            let actor = admins
                .get(rng.below(admins.len().max(1) as u64) as usize)
                .map(|&a| &self.users[a]);
            let mut a = DirectoryAudit::default();
            a.id = format!("Directory_{}", rng.uuid());
            a.category = Some(cat.to_owned());
            a.correlation_id = Some(rng.uuid());
            a.result = Some(entra_model::OperationResult::Success);
            a.result_reason = Some(String::new());
            a.activity_display_name = Some(act.to_owned());
            a.activity_date_time = Some(when);
            a.logged_by_service = Some(svc.to_owned());
            a.operation_type = Some(op.to_owned());
            let mut init = entra_model::AuditActivityInitiator::default();
            let mut who = entra_model::AuditUserIdentity::default();
            if let Some(actor) = actor {
                who.id = Some(actor.user.id.clone());
                who.display_name = actor.user.display_name.clone();
                who.user_principal_name = actor.user.user_principal_name.clone();
                who.ip_address = Some(actor.ip.clone());
            }
            init.user = Some(who);
            a.initiated_by = Some(init);
            let mut tr = entra_model::TargetResource::default();
            tr.id = Some(target.user.id.clone());
            tr.display_name = target.user.display_name.clone();
            tr.resource_type = Some("User".to_owned());
            tr.user_principal_name = target.user.user_principal_name.clone();
            a.target_resources = vec![tr];
            self.audits.push(a);
        }
        self.audits
            .sort_by(|a, b| (b.activity_date_time, &b.id).cmp(&(a.activity_date_time, &a.id)));
    }

    /// Records an audit entry for a remediation the app performed.
    pub(crate) fn audit_app_action(&mut self, activity: &str, op: &str, target: usize) {
        let now = self.clock.now();
        self.request_counter += 1;
        let mut rng = Rng::new(hash(&[self.cfg.seed, 77, self.request_counter]));
        let mut a = DirectoryAudit::default();
        a.id = format!("Directory_{}", rng.uuid());
        a.category = Some("UserManagement".to_owned());
        a.correlation_id = Some(rng.uuid());
        a.result = Some(entra_model::OperationResult::Success);
        a.activity_display_name = Some(activity.to_owned());
        a.activity_date_time = Some(now);
        a.logged_by_service = Some("Core Directory".to_owned());
        a.operation_type = Some(op.to_owned());
        let mut init = entra_model::AuditActivityInitiator::default();
        let mut app = entra_model::AuditAppIdentity::default();
        app.app_id = Some(self.client_id.clone());
        app.display_name = Some("oort collector".to_owned());
        app.service_principal_id = Some(self.app_sp_id.clone());
        init.app = Some(app);
        a.initiated_by = Some(init);
        let u = &self.users[target].user;
        let mut tr = entra_model::TargetResource::default();
        tr.id = Some(u.id.clone());
        tr.display_name = u.display_name.clone();
        tr.resource_type = Some("User".to_owned());
        tr.user_principal_name = u.user_principal_name.clone();
        a.target_resources = vec![tr];
        self.audits.insert(0, a);
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

fn gen_methods(
    rng: &mut Rng,
    kind: UserKind,
    u: &User,
    created: OffsetDateTime,
) -> (Vec<AuthenticationMethod>, Option<&'static str>) {
    let mut m = Vec::new();
    let mut pw = PasswordAuthenticationMethod::default();
    pw.id = PASSWORD_METHOD_ID.to_owned();
    pw.created_date_time = Some(created);
    m.push(AuthenticationMethod::Password(pw));
    let mut preferred = None;
    if kind == UserKind::BreakGlass {
        let mut f = Fido2AuthenticationMethod::default();
        f.id = rng.uuid();
        f.display_name = Some("YubiKey 5 NFC".to_owned());
        f.model = Some("YubiKey 5 NFC".to_owned());
        f.aa_guid = Some("2fc0579f-8113-47ea-b116-bb5a8db9202a".to_owned());
        f.attestation_level = Some("attested".to_owned());
        f.created_date_time = Some(created + Duration::hours(1));
        m.push(AuthenticationMethod::Fido2(f));
        return (m, Some("fido2"));
    }
    let no_mfa = rng.chance(if kind == UserKind::Guest { 0.5 } else { 0.1 });
    if no_mfa {
        if rng.chance(0.3) {
            let mut e = EmailAuthenticationMethod::default();
            e.id = EMAIL_METHOD_ID.to_owned();
            e.email_address = Some(format!(
                "{}@outlook.com",
                u.mail_nickname.clone().unwrap_or_default()
            ));
            m.push(AuthenticationMethod::Email(e));
        }
        return (m, None);
    }
    let has_auth = rng.chance(0.6);
    let has_phone = !has_auth || rng.chance(0.5);
    if has_phone {
        let mut p = PhoneAuthenticationMethod::default();
        p.id = MOBILE_PHONE_METHOD_ID.to_owned();
        p.phone_number = Some(format!("+1 425555{:04}", rng.below(10_000)));
        p.phone_type = Some(PhoneType::Mobile);
        p.sms_sign_in_state = Some("notAllowedByPolicy".to_owned());
        m.push(AuthenticationMethod::Phone(p));
        if rng.chance(0.2) {
            let mut o = PhoneAuthenticationMethod::default();
            o.id = OFFICE_PHONE_METHOD_ID.to_owned();
            o.phone_number = Some(format!("+1 425555{:04}", rng.below(10_000)));
            o.phone_type = Some(PhoneType::Office);
            o.sms_sign_in_state = Some("notSupported".to_owned());
            m.push(AuthenticationMethod::Phone(o));
        }
        preferred = Some("sms");
    }
    if has_auth {
        let mut a = MicrosoftAuthenticatorAuthenticationMethod::default();
        a.id = rng.uuid();
        a.display_name = Some(
            if rng.chance(0.5) {
                "iPhone 14"
            } else {
                "Pixel 8"
            }
            .to_owned(),
        );
        a.device_tag = Some("SoftwareTokenActivated".to_owned());
        a.phone_app_version = Some("6.8.7".to_owned());
        a.created_date_time = Some(created + Duration::days(1));
        m.push(AuthenticationMethod::MicrosoftAuthenticator(a));
        preferred = Some("push");
    }
    if rng.chance(0.08) {
        let mut f = Fido2AuthenticationMethod::default();
        f.id = rng.uuid();
        f.display_name = Some("Security key".to_owned());
        f.model = Some("YubiKey 5Ci".to_owned());
        f.aa_guid = Some("c5ef55ff-ad9a-4b9f-b580-adebafe026d0".to_owned());
        f.attestation_level = Some("attested".to_owned());
        f.created_date_time = Some(created + Duration::days(3));
        m.push(AuthenticationMethod::Fido2(f));
    }
    if rng.chance(0.1) {
        let mut s = SoftwareOathAuthenticationMethod::default();
        s.id = rng.uuid();
        s.created_date_time = Some(created + Duration::days(2));
        m.push(AuthenticationMethod::SoftwareOath(s));
    }
    if rng.chance(0.15) {
        let mut w = WindowsHelloForBusinessAuthenticationMethod::default();
        w.id = rng.uuid();
        w.display_name = Some("CONTOSO-LAPTOP".to_owned());
        w.key_strength = Some("normal".to_owned());
        w.created_date_time = Some(created + Duration::days(1));
        m.push(AuthenticationMethod::WindowsHelloForBusiness(w));
    }
    if rng.chance(0.2) {
        let mut e = EmailAuthenticationMethod::default();
        e.id = EMAIL_METHOD_ID.to_owned();
        e.email_address = Some(format!(
            "{}@outlook.com",
            u.mail_nickname.clone().unwrap_or_default()
        ));
        m.push(AuthenticationMethod::Email(e));
    }
    (m, preferred)
}

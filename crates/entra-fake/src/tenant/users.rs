//! Users: identities, profiles by kind (break-glass, member, guest), activity and authentication methods.

use std::collections::HashSet;

use entra_model::{
    AuthenticationMethod, CreationType, EmailAuthenticationMethod, ExternalUserState,
    Fido2AuthenticationMethod, MicrosoftAuthenticatorAuthenticationMethod, ObjectIdentity,
    PasswordAuthenticationMethod, PhoneAuthenticationMethod, PhoneType,
    SoftwareOathAuthenticationMethod, User, UserType, WindowsHelloForBusinessAuthenticationMethod,
    EMAIL_METHOD_ID, MOBILE_PHONE_METHOD_ID, OFFICE_PHONE_METHOD_ID, PASSWORD_METHOD_ID,
};
use time::{Duration, OffsetDateTime};

use crate::catalog::{self, City};
use crate::config::TenantLicence;
use crate::rng::Rng;

use super::{dt_days, Activity, Tenant, UserKind, UserRec};

impl Tenant {
    pub(super) fn gen_users(&mut self, rng: &mut Rng) {
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
            self.gen_user(i, kind, &mut used, rng);
        }
    }

    /// One user: identity, names, profile by kind, activity, licence, addresses and methods.
    fn gen_user(&mut self, i: usize, kind: UserKind, used: &mut HashSet<String>, rng: &mut Rng) {
        let now = self.cfg.now;
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
        set_names(&mut u, kind, i, first, last);
        u.mail_nickname = Some(nick.replace('.', ""));
        u.usage_location = Some(c.country.to_owned());
        u.preferred_language = Some("en-US".to_owned());
        u.user_type = Some(if kind == UserKind::Guest {
            UserType::Guest
        } else {
            UserType::Member
        });
        u.identities = vec![identity(kind, &upn, &log_upn, &self.domain)];
        let created = dt_days(now, rng.range(20, 1800), rng);
        u.created_date_time = Some(created);
        u.account_enabled = Some(true);
        let mut last_before = None;
        let activity = match kind {
            UserKind::BreakGlass => {
                u.password_policies = Some("DisablePasswordExpiration".to_owned());
                Activity::Never
            }
            UserKind::Member => member_profile(&mut u, i, &nick, c, now, rng),
            UserKind::Guest => guest_profile(&mut u, &log_upn, rng),
        };
        if activity == Activity::Inactive {
            last_before = Some(dt_days(now, rng.range(45, 400), rng));
        }
        u.last_password_change_date_time = Some(dt_days(now, rng.range(1, 300), rng));
        u.sign_in_sessions_valid_from_date_time = u.last_password_change_date_time;
        if kind != UserKind::Guest {
            u.assigned_licenses = vec![{
                let mut l = entra_model::AssignedLicense::default();
                l.sku_id = Some(licence_sku(self.cfg.licence).to_owned());
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
        let key = ("YubiKey 5 NFC", "YubiKey 5 NFC", YUBIKEY_5_NFC_AAGUID);
        m.push(fido2_key(rng, key, created + Duration::hours(1)));
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
        let key = ("Security key", "YubiKey 5Ci", YUBIKEY_5CI_AAGUID);
        m.push(fido2_key(rng, key, created + Duration::days(3)));
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

/// A member's profile (job, office, phone, on-premises sync for about a third) and activity:
/// mostly active, some disabled, inactive or never signed in, a few recent hires.
fn member_profile(
    u: &mut User,
    i: usize,
    nick: &str,
    c: &City,
    now: OffsetDateTime,
    rng: &mut Rng,
) -> Activity {
    let mut activity = Activity::Active;
    let upn = u.user_principal_name.clone().unwrap_or_default();
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
        u.on_premises_last_sync_date_time = Some(now - Duration::minutes(rng.range(5, 40)));
        u.on_premises_immutable_id = Some(format!("{:016x}", rng.next_u64()));
        u.on_premises_sam_account_name = Some(nick.replace('.', ""));
        u.on_premises_domain_name = Some("corp.contoso.com".to_owned());
        u.on_premises_user_principal_name = Some(format!("{nick}@corp.contoso.com"));
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
    activity
}

/// A guest's invitation state and activity: a third never accepted, some inactive.
fn guest_profile(u: &mut User, log_upn: &str, rng: &mut Rng) -> Activity {
    let mut activity = Activity::Active;
    u.mail = Some(log_upn.to_owned());
    u.creation_type = Some(CreationType::Invitation);
    u.other_mails = vec![log_upn.to_owned()];
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
    activity
}

/// The sign-in identity Graph lists in `identities`: the user principal name issued by the
/// tenant for its own accounts; for a B2B guest a `federated` identity issued by their home
/// organization (`api-reference/v1.0/resources/objectidentity.md`: "For guests from other
/// Microsoft Entra organization, this is the domain of the federated organization").
fn identity(kind: UserKind, upn: &str, home_upn: &str, domain: &str) -> ObjectIdentity {
    let mut id = ObjectIdentity::default();
    if kind == UserKind::Guest {
        id.sign_in_type = Some("federated".to_owned());
        id.issuer = Some(
            home_upn
                .rsplit_once('@')
                .map_or("ExternalAzureAD", |(_, d)| d)
                .to_owned(),
        );
    } else {
        id.sign_in_type = Some("userPrincipalName".to_owned());
        id.issuer = Some(domain.to_owned());
        id.issuer_assigned_id = Some(upn.to_owned());
    }
    id
}

/// Display, given and surname: "Emergency Access NN" for break-glass accounts.
fn set_names(u: &mut User, kind: UserKind, i: usize, first: &str, last: &str) {
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
}

/// The SKU id assigned to members for the tenant's licence.
fn licence_sku(licence: TenantLicence) -> &'static str {
    match licence {
        TenantLicence::P2 => "84a661c4-e949-4bd2-a560-ed7766fcaf2b",
        TenantLicence::P1 => "078d2b04-f1bd-4111-bbd4-b4b1b354cef4",
        TenantLicence::Free => "18181a46-0d4e-45cd-891e-60aabd171b4e",
    }
}

const YUBIKEY_5_NFC_AAGUID: &str = "2fc0579f-8113-47ea-b116-bb5a8db9202a";
const YUBIKEY_5CI_AAGUID: &str = "c5ef55ff-ad9a-4b9f-b580-adebafe026d0";

/// An attested FIDO2 security key: (display name, model, AAGUID), registered at `created`.
fn fido2_key(
    rng: &mut Rng,
    (name, model, aa_guid): (&str, &str, &str),
    created: OffsetDateTime,
) -> AuthenticationMethod {
    let mut f = Fido2AuthenticationMethod::default();
    f.id = rng.uuid();
    f.display_name = Some(name.to_owned());
    f.model = Some(model.to_owned());
    f.aa_guid = Some(aa_guid.to_owned());
    f.attestation_level = Some("attested".to_owned());
    f.created_date_time = Some(created);
    AuthenticationMethod::Fido2(f)
}

//! Planted attacks and benign look-alikes: one function each, with their ground truth.

use entra_model::{
    AuthenticationMethod, AuthenticationProtocol, RiskDetail, RiskLevel, RiskState, SignIn,
};
use time::{Duration, OffsetDateTime};

use crate::catalog::{self, City};
use crate::config::{PlantedAttack, TenantLicence};
use crate::rng::Rng;
use crate::signins::{ns, Extra, Kind};
use crate::tenant::{Activity, BenignCase, GroundTruth, Tenant, UserKind};

struct Planter<'a> {
    t: &'a mut Tenant,
    rng: Rng,
    used: Vec<usize>,
}

impl Planter<'_> {
    /// A time `hours` before build-time "now", never before the history start.
    fn at(&self, hours: f64) -> OffsetDateTime {
        let t = self.t.cfg.now - Duration::seconds_f64(hours * 3600.0);
        t.max(self.t.genesis + Duration::minutes(30))
    }

    fn victim(&mut self, pred: impl Fn(&Tenant, usize) -> bool) -> Option<usize> {
        let n = self.t.users.len();
        let start = self.rng.below(n as u64) as usize;
        for k in 0..n {
            let u = (start + k * 7919) % n;
            let r = &self.t.users[u];
            if r.kind == UserKind::Member
                && r.activity == Activity::Active
                && r.roles.is_empty()
                && r.user.account_enabled == Some(true)
                && !self.used.contains(&u)
                && pred(self.t, u)
            {
                self.used.push(u);
                return Some(u);
            }
        }
        None
    }

    fn quiet(&mut self, u: usize, from: OffsetDateTime, to: OffsetDateTime) {
        self.t.quiet.entry(u).or_default().push((ns(from), ns(to)));
    }

    #[allow(clippy::too_many_arguments)]
    fn sign_in(
        &mut self,
        u: usize,
        when: OffsetDateTime,
        city: &City,
        ip: &str,
        code: i64,
        tweak: impl FnOnce(&mut SignIn),
    ) -> (String, OffsetDateTime) {
        let id = (self.rng.next_u64(), self.rng.next_u64());
        let mut rng = Rng::new(self.rng.next_u64());
        let t = ns(when);
        let mut s = self.t.user_frame(u, t, id, true, city, ip, code, &mut rng);
        tweak(&mut s);
        let sid = s.id.clone();
        let kind = if s.is_interactive == Some(false) {
            Kind::NonInteractive
        } else {
            Kind::Interactive
        };
        self.t.extras.push(Extra {
            t,
            id,
            visible_from: t,
            kind,
            sign_in: s,
        });
        (sid, when)
    }

    fn truth(&mut self, detection: &str, subject: &str, evidence: &[(String, OffsetDateTime)]) {
        let start = evidence.iter().map(|e| e.1).min().unwrap_or(self.t.cfg.now);
        let end = evidence.iter().map(|e| e.1).max().unwrap_or(self.t.cfg.now);
        self.t.ground_truth.push(GroundTruth {
            detection: detection.to_owned(),
            subject: subject.to_owned(),
            start,
            end,
            sign_in_ids: evidence.iter().map(|e| e.0.clone()).collect(),
        });
    }

    fn upn(&self, u: usize) -> String {
        self.t.users[u].log_upn.clone()
    }

    fn proxy_ip(&mut self, c: &City) -> String {
        format!(
            "{}.{}.{}.{}",
            c.net.0,
            c.net.1,
            200 + self.rng.below(50),
            2 + self.rng.below(250)
        )
    }

    /// Whether a success at `when` is old enough in the history for `new-country` to judge it.
    fn new_country_applies(&self, when: OffsetDateTime) -> bool {
        when - self.t.genesis >= Duration::days(7) + Duration::hours(1)
    }
}

/// An attacker's own device: unknown to the tenant, no device id.
fn attacker_device(s: &mut SignIn) {
    let mut d = entra_model::DeviceDetail::default();
    d.operating_system = Some("Windows10".to_owned());
    d.browser = Some("Chrome 120.0.0".to_owned());
    s.device_detail = Some(d);
    s.user_agent = Some("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36".to_owned());
    s.network_location_details.clear();
}

/// The farthest home city in the same country, if at least `min_km` away.
fn partner(city: usize, min_km: f64) -> Option<usize> {
    let c = &catalog::HOME_CITIES[city];
    catalog::HOME_CITIES
        .iter()
        .enumerate()
        .filter(|(i, o)| *i != city && o.country == c.country)
        .map(|(i, o)| (i, catalog::distance_km((c.lat, c.lon), (o.lat, o.lon))))
        .filter(|(_, d)| *d >= min_km)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// Plants the configured attacks (and the benign look-alikes when enabled) into `t`, with their
/// ground truth.
pub(crate) fn plant(t: &mut Tenant, rng: &mut Rng) {
    let attacks = t.cfg.attacks.clone();
    let benign = t.cfg.benign;
    let mut p = Planter {
        rng: Rng::new(rng.next_u64()),
        t,
        used: Vec::new(),
    };
    // The set iterates in the enum's order, which is the planting order: each attack takes its
    // victims and random draws after the ones before it, so the order is part of what a seed
    // generates.
    for attack in attacks {
        match attack {
            PlantedAttack::PasswordSpray => password_spray(&mut p),
            PlantedAttack::BruteForce => brute_force(&mut p),
            PlantedAttack::MfaFatigue => mfa_fatigue(&mut p),
            PlantedAttack::MfaFraudReported => mfa_fraud_reported(&mut p),
            PlantedAttack::ImpossibleTravel => impossible_travel(&mut p),
            PlantedAttack::NewCountry => new_country(&mut p),
            PlantedAttack::LegacyAuth => legacy_auth(&mut p),
            PlantedAttack::DeniedTerritory => denied_territory(&mut p),
            PlantedAttack::BreakGlass => break_glass(&mut p),
            PlantedAttack::LockoutStorm => lockout_storm(&mut p),
            PlantedAttack::RiskySignIn => risky_sign_in(&mut p),
        }
    }
    if benign {
        plant_benign(&mut p);
    }
}

/// One foreign proxy address fails the password of up to 25 users, 36 s apart.
fn password_spray(p: &mut Planter<'_>) {
    let c = catalog::ATTACK_CITIES[0];
    let ip = p.proxy_ip(&c);
    let targets: Vec<usize> = (0..p.t.users.len())
        .filter(|&u| p.t.users[u].kind != UserKind::BreakGlass)
        .take(25)
        .collect();
    if targets.len() >= 6 {
        let t0 = p.at(30.0);
        let mut ev = Vec::new();
        for (i, &u) in targets.iter().enumerate() {
            let when = t0 + Duration::seconds(i as i64 * 36);
            let code = if i % 8 == 7 { 50053 } else { 50126 };
            ev.push(p.sign_in(u, when, &c, &ip, code, |s| {
                attacker_device(s);
                s.user_agent = Some("python-requests/2.31.0".to_owned());
                s.client_app_used = Some("Browser".to_owned());
            }));
        }
        p.truth("password-spray", &ip, &ev);
    }
}

/// Fourteen failed passwords of one user from a proxy in their city, then a success.
fn brute_force(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|_, _| true) {
        let burst = Burst {
            hours_ago: 20.0,
            failures: 14,
            every_s: 30,
            code: 50126,
            success_after_s: 40,
        };
        burst_then_success(p, u, &burst, "brute-force");
    }
}

/// Twelve MFA denials (500121) of one user in two minutes, then a success.
fn mfa_fatigue(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|t, u| {
        t.users[u]
            .methods
            .iter()
            .any(AuthenticationMethod::is_mfa_capable)
    }) {
        let burst = Burst {
            hours_ago: 16.0,
            failures: 12,
            every_s: 12,
            code: 500121,
            success_after_s: 60,
        };
        burst_then_success(p, u, &burst, "mfa-fatigue");
    }
}

/// A burst of failures of one user, then a success: when, how many, how far apart, which
/// error, and how long after the last failure the success comes.
struct Burst {
    hours_ago: f64,
    failures: i64,
    every_s: i64,
    code: i64,
    success_after_s: i64,
}

/// Plants `burst` for user `u` from a proxy in their city (their own activity quiet for two
/// hours around it) and records it as ground truth of `detection`.
fn burst_then_success(p: &mut Planter<'_>, u: usize, burst: &Burst, detection: &str) {
    let c = *p.t.users[u].city();
    let ip = p.proxy_ip(&c);
    let t0 = p.at(burst.hours_ago);
    p.quiet(u, t0 - Duration::hours(2), t0 + Duration::hours(2));
    let mut ev = Vec::new();
    for i in 0..burst.failures {
        let when = t0 + Duration::seconds(i * burst.every_s);
        ev.push(p.sign_in(u, when, &c, &ip, burst.code, attacker_device));
    }
    let last = burst.failures * burst.every_s + burst.success_after_s;
    ev.push(p.sign_in(u, t0 + Duration::seconds(last), &c, &ip, 0, attacker_device));
    let upn = p.upn(u);
    p.truth(detection, &upn, &ev);
}

/// One MFA denial the user reported as fraud.
fn mfa_fraud_reported(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|t, u| {
        t.users[u]
            .methods
            .iter()
            .any(AuthenticationMethod::is_mfa_capable)
    }) {
        let c = *p.t.users[u].city();
        let ip = p.proxy_ip(&c);
        let t0 = p.at(12.0);
        p.quiet(u, t0 - Duration::hours(1), t0 + Duration::hours(1));
        let ev = vec![p.sign_in(u, t0, &c, &ip, 500121, |s| {
            if let Some(st) = s.status.as_mut() {
                st.additional_details = Some(
                    "MFA denied; user declined the authentication and reported fraud".to_owned(),
                );
            }
        })];
        let upn = p.upn(u);
        p.truth("mfa-fraud-reported", &upn, &ev);
    }
}

/// A success at home, then one an hour later from a city at least 1,500 km away (abroad when
/// the user's country has no such city: that is also a `new-country`).
fn impossible_travel(p: &mut Planter<'_>) {
    let u = p
        .victim(|t, u| partner(t.users[u].city, 1500.0).is_some())
        .or_else(|| p.victim(|_, _| true));
    if let Some(u) = u {
        let home = *p.t.users[u].city();
        let home_ip = p.t.users[u].ip.clone();
        let far = partner(p.t.users[u].city, 1500.0).map(|i| catalog::HOME_CITIES[i]);
        let foreign = far.is_none();
        let far = far.unwrap_or(catalog::ATTACK_CITIES[2]);
        let ip = p.proxy_ip(&far);
        let t0 = p.at(28.0);
        p.quiet(u, t0 - Duration::hours(30), t0 + Duration::hours(30));
        let a = p.sign_in(u, t0, &home, &home_ip, 0, |_| {});
        let b = p.sign_in(u, t0 + Duration::minutes(60), &far, &ip, 0, attacker_device);
        let upn = p.upn(u);
        p.truth("impossible-travel", &upn, &[a, b.clone()]);
        if foreign && p.new_country_applies(b.1) {
            p.truth("new-country", &upn, &[b]);
        }
    }
}

/// A success from Brazil by a user who lives elsewhere, when the history is long enough for
/// `new-country` to judge it.
fn new_country(p: &mut Planter<'_>) {
    let when = p.at(8.0);
    if p.new_country_applies(when) {
        if let Some(u) = p.victim(|t, u| t.users[u].city().country != "BR") {
            let c = catalog::ATTACK_CITIES[2];
            let ip = p.proxy_ip(&c);
            p.quiet(u, when - Duration::hours(30), when + Duration::hours(30));
            let ev = vec![p.sign_in(u, when, &c, &ip, 0, attacker_device)];
            let upn = p.upn(u);
            p.truth("new-country", &upn, &ev);
        }
    }
}

/// Two successful legacy sign-ins of two users: IMAP4, and BAV2ROPC (ROPC).
fn legacy_auth(p: &mut Planter<'_>) {
    for (hours, imap) in [(26.0, true), (25.0, false)] {
        if let Some(u) = p.victim(|_, _| true) {
            let c = *p.t.users[u].city();
            let ip = p.t.users[u].ip.clone();
            let when = p.at(hours);
            p.quiet(u, when - Duration::hours(1), when + Duration::hours(1));
            let ev = vec![p.sign_in(u, when, &c, &ip, 0, |s| {
                s.app_id = Some("00000002-0000-0ff1-ce00-000000000000".to_owned());
                s.app_display_name = Some("Office 365 Exchange Online".to_owned());
                s.resource_id = s.app_id.clone();
                s.resource_display_name = s.app_display_name.clone();
                s.authentication_requirement = Some("singleFactorAuthentication".to_owned());
                s.authentication_details.truncate(1);
                s.authentication_methods_used.clear();
                s.authentication_requirement_policies.clear();
                s.authentication_protocol = Some(AuthenticationProtocol::Ropc);
                s.conditional_access_status =
                    Some(entra_model::ConditionalAccessStatus::NotApplied);
                if let Some(d) = s.device_detail.as_mut() {
                    d.browser = None;
                    d.device_id = None;
                }
                if imap {
                    s.client_app_used = Some("IMAP4".to_owned());
                    s.user_agent = Some(String::new());
                } else {
                    s.client_app_used = Some("Mobile Apps and Desktop clients".to_owned());
                    s.user_agent = Some("BAV2ROPC".to_owned());
                }
            })];
            let upn = p.upn(u);
            p.truth("legacy-auth", &upn, &ev);
        }
    }
}

/// A success from a sanctioned country (also a `new-country` when the history allows).
fn denied_territory(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|_, _| true) {
        let c = catalog::DENIED_CITY;
        let ip = p.proxy_ip(&c);
        let when = p.at(10.0);
        p.quiet(u, when - Duration::hours(30), when + Duration::hours(30));
        let ev = vec![p.sign_in(u, when, &c, &ip, 0, attacker_device)];
        let upn = p.upn(u);
        p.truth("denied-territory", &upn, &ev);
        if p.new_country_applies(when) {
            p.truth("new-country", &upn, &ev);
        }
    }
}

/// A sign-in of the first break-glass account to the Azure portal.
fn break_glass(p: &mut Planter<'_>) {
    if let Some(u) =
        p.t.users
            .iter()
            .position(|r| r.kind == UserKind::BreakGlass)
    {
        let c = catalog::HOME_CITIES[0];
        let ip = format!("{}.{}.255.10", c.net.0, c.net.1);
        let when = p.at(6.0);
        let ev = vec![p.sign_in(u, when, &c, &ip, 0, |s| {
            s.app_id = Some("c44b4083-3bb0-49c1-b47d-974e53cbdf3c".to_owned());
            s.app_display_name = Some("Azure Portal".to_owned());
            s.authentication_methods_used =
                vec!["Password".to_owned(), "FIDO2 security key".to_owned()];
        })];
        let upn = p.upn(u);
        p.truth("break-glass-sign-in", &upn, &ev);
    }
}

/// 32 lockouts (50053) of 28 accounts from attack cities in 24 minutes.
fn lockout_storm(p: &mut Planter<'_>) {
    let targets: Vec<usize> = (0..p.t.users.len())
        .rev()
        .filter(|&u| p.t.users[u].kind != UserKind::BreakGlass)
        .take(28)
        .collect();
    if targets.len() >= 25 {
        let t0 = p.at(40.0);
        let mut ev = Vec::new();
        for i in 0..32usize {
            let u = targets[i % targets.len()];
            let c = catalog::ATTACK_CITIES[i % catalog::ATTACK_CITIES.len()];
            let ip = format!("{}.{}.{}.{}", c.net.0, c.net.1, 100 + (i % 28), 7);
            let when = t0 + Duration::seconds(i as i64 * 45);
            ev.push(p.sign_in(u, when, &c, &ip, 50053, attacker_device));
        }
        p.truth("lockout-storm", "tenant", &ev);
    }
}

/// A success with high sign-in risk; on P2 it is also a risk detection and ground truth.
fn risky_sign_in(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|_, _| true) {
        let c = *p.t.users[u].city();
        let ip = p.proxy_ip(&c);
        let when = p.at(5.0);
        p.quiet(u, when - Duration::hours(1), when + Duration::hours(1));
        let ev = vec![p.sign_in(u, when, &c, &ip, 0, |s| {
            s.risk_level_aggregated = Some(RiskLevel::High);
            s.risk_level_during_sign_in = Some(RiskLevel::High);
            s.risk_state = Some(RiskState::AtRisk);
            s.risk_detail = Some(RiskDetail::None);
            s.risk_event_types = vec!["unfamiliarFeatures".to_owned()];
            s.risk_event_types_v2 = vec!["unfamiliarFeatures".to_owned()];
        })];
        if p.t.cfg.licence == TenantLicence::P2 {
            let upn = p.upn(u);
            p.truth("risky-sign-in", &upn, &ev);
            let uid = p.t.users[u].user.id.clone();
            let city = p.t.users[u].city;
            let mut rng = Rng::new(p.rng.next_u64());
            p.t.push_risk(
                uid,
                RiskLevel::High,
                RiskState::AtRisk,
                RiskDetail::None,
                "unfamiliarFeatures",
                when,
                ip,
                city,
                Some(ev[0].0.clone()),
                &mut rng,
            );
        }
    }
}

/// Plants the benign look-alikes, which no detection may report: a traveller by plane, four
/// failed passwords then a success, and a VPN address shared by one city's users.
fn plant_benign(p: &mut Planter<'_>) {
    plane_traveller(p);
    four_failures_then_success(p);
    shared_vpn_ip(p);
}

/// A traveller by plane, within plausible speed, inside one country.
fn plane_traveller(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|t, u| partner(t.users[u].city, 300.0).is_some()) {
        let home_i = p.t.users[u].city;
        let home = catalog::HOME_CITIES[home_i];
        let far_i = partner(home_i, 300.0).unwrap_or(home_i);
        let far = catalog::HOME_CITIES[far_i];
        let km = catalog::distance_km((home.lat, home.lon), (far.lat, far.lon));
        let gap_h = km / 600.0 + 0.5;
        let t0 = p.at(50.0);
        let home_ip = p.t.users[u].ip.clone();
        let hotel_ip = p.proxy_ip(&far);
        p.quiet(
            u,
            t0 - Duration::hours(12),
            t0 + Duration::seconds_f64((gap_h + 24.0) * 3600.0),
        );
        let a = p.sign_in(u, t0, &home, &home_ip, 0, |_| {});
        let arrive = t0 + Duration::seconds_f64(gap_h * 3600.0);
        let b = p.sign_in(u, arrive, &far, &hotel_ip, 0, |_| {});
        let c = p.sign_in(u, arrive + Duration::hours(2), &far, &hotel_ip, 0, |_| {});
        let upn = p.upn(u);
        p.t.benign.push(BenignCase {
            kind: "plane-traveller".to_owned(),
            subject: upn,
            sign_in_ids: vec![a.0, b.0, c.0],
        });
    }
}

/// Four failed passwords, then success.
fn four_failures_then_success(p: &mut Planter<'_>) {
    if let Some(u) = p.victim(|_, _| true) {
        let c = *p.t.users[u].city();
        let ip = p.t.users[u].ip.clone();
        let t0 = p.at(22.0);
        p.quiet(u, t0 - Duration::hours(1), t0 + Duration::hours(1));
        let mut ids = Vec::new();
        for i in 0..4 {
            ids.push(
                p.sign_in(u, t0 + Duration::seconds(i * 40), &c, &ip, 50126, |_| {})
                    .0,
            );
        }
        ids.push(
            p.sign_in(u, t0 + Duration::seconds(200), &c, &ip, 0, |_| {})
                .0,
        );
        let upn = p.upn(u);
        p.t.benign.push(BenignCase {
            kind: "four-failures-then-success".to_owned(),
            subject: upn,
            sign_in_ids: ids,
        });
    }
}

/// A VPN address shared by many successful users of one city, with a few failures.
fn shared_vpn_ip(p: &mut Planter<'_>) {
    let city = {
        let mut counts = vec![0usize; catalog::HOME_CITIES.len()];
        for r in &p.t.users {
            if r.kind == UserKind::Member && r.activity == Activity::Active {
                counts[r.city] += 1;
            }
        }
        counts
            .iter()
            .enumerate()
            .max_by_key(|x| x.1)
            .map(|x| x.0)
            .unwrap_or(0)
    };
    let c = catalog::HOME_CITIES[city];
    let vpn_ip = format!("{}.{}.254.1", c.net.0, c.net.1);
    let users: Vec<usize> = (0..p.t.users.len())
        .filter(|&u| {
            let r = &p.t.users[u];
            r.city == city
                && r.kind == UserKind::Member
                && r.activity == Activity::Active
                && !p.used.contains(&u)
        })
        .take(30)
        .collect();
    if users.len() >= 4 {
        let t0 = p.at(34.0);
        let mut ids = Vec::new();
        for (i, &u) in users.iter().enumerate() {
            let when = t0 + Duration::minutes(i as i64 * 13);
            ids.push(p.sign_in(u, when, &c, &vpn_ip, 0, |_| {}).0);
        }
        for (i, &u) in users.iter().take(3).enumerate() {
            let when = t0 + Duration::minutes(i as i64 * 17 + 5);
            ids.push(p.sign_in(u, when, &c, &vpn_ip, 50126, |_| {}).0);
        }
        p.t.benign.push(BenignCase {
            kind: "shared-vpn-ip".to_owned(),
            subject: vpn_ip,
            sign_in_ids: ids,
        });
    }
}

//! Ground truth covers every planted attack, and a straightforward implementation of each
//! detection of `detections.md` run over all generated sign-ins finds exactly the planted
//! subjects: benign look-alikes and the baseline stay below the thresholds.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use entra_fake::{FakeTenant, PlantedAttack, SignInKind, Tenant};
use entra_model::SignIn;
use time::{Duration, OffsetDateTime};

const DETECTIONS: &[&str] = &[
    "password-spray",
    "account-under-attack",
    "brute-force",
    "distributed-cracking",
    "lockout-storm",
    "mfa-fatigue",
    "mfa-fraud-reported",
    "impossible-travel",
    "new-country",
    "denied-territory",
    "legacy-auth",
    "disabled-account-probing",
    "break-glass-sign-in",
    "high-activity",
    "risky-sign-in",
    "ca-bypass-attempt",
];
const PASSWORD_CORRECT: &[i64] = &[
    0, 50055, 50057, 50155, 50105, 50133, 50005, 50076, 50079, 50173, 50158, 50072, 50074, 53003,
    53000, 53001, 50129,
];
const LEGACY: &[&str] = &[
    "Authenticated SMTP",
    "AutoDiscover",
    "Exchange ActiveSync",
    "Exchange Online PowerShell",
    "Exchange Web Services",
    "IMAP4",
    "MAPI Over HTTP",
    "Offline Address Book",
    "Outlook Anywhere (RPC over HTTP)",
    "Outlook Service",
    "POP3",
    "Reporting Web Services",
    "Other clients",
];

fn tenant(seed: u64, members: u32) -> Tenant {
    FakeTenant::builder()
        .seed(seed)
        .members(members)
        .guests(10)
        .build()
        .unwrap()
}

fn all_sign_ins(t: &mut Tenant) -> Vec<SignIn> {
    let (start, end) = (t.history_start(), t.clock().now() + Duration::seconds(1));
    let mut v = t.sign_ins(start, end, SignInKind::Interactive);
    v.extend(t.sign_ins(start, end, SignInKind::NonInteractive));
    v.sort_by_key(|s| (s.created_date_time, s.id.clone()));
    v
}

fn at(s: &SignIn) -> OffsetDateTime {
    s.created_date_time.unwrap()
}

fn upn(s: &SignIn) -> String {
    s.user_principal_name.clone().unwrap_or_default()
}

fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (
        a.0.to_radians(),
        a.1.to_radians(),
        b.0.to_radians(),
        b.1.to_radians(),
    );
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6371.0 * h.sqrt().asin()
}

/// Runs the detections; returns detection id -> flagged subjects.
fn detect(all: &[SignIn], break_glass: &[String]) -> BTreeMap<&'static str, BTreeSet<String>> {
    let mut out: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    let mut flag = |d: &'static str, s: String| {
        out.entry(d).or_default().insert(s);
    };
    let fail = |s: &SignIn| matches!(s.error_code(), Some(50126 | 50053 | 50055));
    let mut by_ip: HashMap<String, Vec<&SignIn>> = HashMap::new();
    let mut by_user: HashMap<String, Vec<&SignIn>> = HashMap::new();
    for s in all {
        by_ip
            .entry(s.ip_address.clone().unwrap_or_default())
            .or_default()
            .push(s);
        by_user.entry(upn(s)).or_default().push(s);
    }
    for (ip, list) in &by_ip {
        let failed: BTreeSet<String> = list.iter().filter(|s| fail(s)).map(|s| upn(s)).collect();
        let ok: BTreeSet<String> = list
            .iter()
            .filter(|s| s.is_success())
            .map(|s| upn(s))
            .collect();
        let fails: Vec<&&SignIn> = list.iter().filter(|s| fail(s)).collect();
        for (i, f) in fails.iter().enumerate() {
            let users: BTreeSet<String> = fails[i..]
                .iter()
                .take_while(|g| at(g) - at(f) <= Duration::minutes(20))
                .map(|g| upn(g))
                .collect();
            if users.len() >= 5 && failed.len() > ok.len() {
                flag("password-spray", ip.clone());
            }
        }
        for s in list.iter().filter(|s| s.is_success()) {
            let others: BTreeSet<String> = list
                .iter()
                .filter(|f| {
                    !f.is_success()
                        && f.error_code() != Some(0)
                        && at(f) <= at(s)
                        && at(s) - at(f) <= Duration::days(7)
                        && upn(f) != upn(s)
                })
                .map(|f| upn(f))
                .collect();
            if others.len() >= 5 {
                flag("account-under-attack", upn(s));
            }
        }
    }
    for (user, list) in &by_user {
        for (i, s) in list.iter().enumerate() {
            if s.is_success() {
                let before = list[..i]
                    .iter()
                    .filter(|f| fail(f) && at(s) - at(f) <= Duration::minutes(20))
                    .count();
                if before >= 10 {
                    flag("brute-force", user.clone());
                }
            }
            let burst = list[i..]
                .iter()
                .take_while(|g| at(g) - at(s) <= Duration::minutes(5))
                .filter(|g| fail(g))
                .count();
            if burst >= 30 {
                flag("brute-force", user.clone());
            }
            if s.error_code() == Some(500121) {
                let n = list[i..]
                    .iter()
                    .take_while(|g| at(g) - at(s) <= Duration::minutes(1))
                    .filter(|g| g.error_code() == Some(500121))
                    .count();
                if n >= 5 {
                    flag("mfa-fatigue", user.clone());
                }
                let d = s
                    .status
                    .as_ref()
                    .and_then(|x| x.additional_details.clone())
                    .unwrap_or_default()
                    .to_lowercase();
                if d.contains("declined") || d.contains("fraud") {
                    flag("mfa-fraud-reported", user.clone());
                }
            }
            if s.is_success() {
                let country = s.country().unwrap_or_default();
                if ["CU", "IR", "KP", "SY"].contains(&country) {
                    flag("denied-territory", user.clone());
                }
                let legacy = LEGACY.contains(&s.client_app_used.as_deref().unwrap_or_default())
                    || ["BAV2ROPC", "CBAinPROD", "CBAinTAR"]
                        .contains(&s.user_agent.as_deref().unwrap_or_default());
                if legacy {
                    flag("legacy-auth", user.clone());
                }
            }
            if PASSWORD_CORRECT.contains(&s.error_code().unwrap_or(-1))
                && at(s) - at(list[0]) >= Duration::days(7)
            {
                let country = s.country().unwrap_or_default();
                let seen = list[..i].iter().any(|p| {
                    p.is_success()
                        && at(s) - at(p) <= Duration::days(7)
                        && p.country() == Some(country)
                });
                if !seen {
                    flag("new-country", user.clone());
                }
            }
            if break_glass.iter().any(|b| b.eq_ignore_ascii_case(user)) {
                flag("break-glass-sign-in", user.clone());
            }
            let high =
                |l: &Option<entra_model::RiskLevel>| *l == Some(entra_model::RiskLevel::High);
            if (high(&s.risk_level_aggregated) || high(&s.risk_level_during_sign_in))
                && !matches!(
                    s.risk_state,
                    Some(
                        entra_model::RiskState::Remediated
                            | entra_model::RiskState::Dismissed
                            | entra_model::RiskState::ConfirmedSafe
                    )
                )
            {
                flag("risky-sign-in", user.clone());
            }
        }
        let ok: Vec<&&SignIn> = list.iter().filter(|s| s.is_success()).collect();
        for w in ok.windows(2) {
            let (a, b) = (w[0], w[1]);
            let same_device = a
                .device_detail
                .as_ref()
                .and_then(|d| d.device_id.clone())
                .is_some()
                && a.device_detail.as_ref().and_then(|d| d.device_id.clone())
                    == b.device_detail.as_ref().and_then(|d| d.device_id.clone());
            let (Some(pa), Some(pb)) = (a.coordinates(), b.coordinates()) else {
                continue;
            };
            let d = km(pa, pb);
            let hours = ((at(b) - at(a)).as_seconds_f64() / 3600.0).max(1e-6);
            if d >= 500.0 && d / hours >= 800.0 && !same_device {
                flag("impossible-travel", user.clone());
            }
        }
        let mut per_day: HashMap<(time::Date, bool), BTreeSet<String>> = HashMap::new();
        for s in list {
            if s.conditional_access_status == Some(entra_model::ConditionalAccessStatus::Failure) {
                per_day
                    .entry((at(s).date(), true))
                    .or_default()
                    .insert(s.ip_address.clone().unwrap_or_default());
            }
        }
        if per_day.values().any(|ips| ips.len() > 1) {
            flag("ca-bypass-attempt", user.clone());
        }
        let mut per_day_count: HashMap<time::Date, usize> = HashMap::new();
        for s in list {
            *per_day_count.entry(at(s).date()).or_default() += 1;
        }
        if per_day_count.values().any(|n| *n > 1000) {
            flag("high-activity", user.clone());
        }
    }
    let locks: Vec<&SignIn> = all
        .iter()
        .filter(|s| s.error_code() == Some(50053))
        .collect();
    for (i, s) in locks.iter().enumerate() {
        let window: Vec<&&SignIn> = locks[i..]
            .iter()
            .take_while(|g| at(g) - at(s) <= Duration::minutes(30))
            .collect();
        let users: BTreeSet<String> = window.iter().map(|g| upn(g)).collect();
        if window.len() >= 30 && users.len() >= 25 {
            flag("lockout-storm", "tenant".to_owned());
        }
    }
    out
}

fn check_tenant(seed: u64, members: u32) {
    let mut t = tenant(seed, members);
    let all = all_sign_ins(&mut t);
    let gt = t.ground_truth().to_vec();
    // Every planted attack has ground truth, with known detection ids and existing sign-ins.
    let planted: BTreeSet<&str> = gt.iter().map(|g| g.detection.as_str()).collect();
    for d in [
        "password-spray",
        "brute-force",
        "mfa-fatigue",
        "mfa-fraud-reported",
        "impossible-travel",
        "new-country",
        "legacy-auth",
        "denied-territory",
        "break-glass-sign-in",
        "lockout-storm",
        "risky-sign-in",
    ] {
        assert!(planted.contains(d), "seed {seed}: {d} planted");
    }
    assert_eq!(PlantedAttack::ALL.len(), 11);
    let ids: BTreeSet<&str> = all.iter().map(|s| s.id.as_str()).collect();
    for g in &gt {
        assert!(
            DETECTIONS.contains(&g.detection.as_str()),
            "{}",
            g.detection
        );
        assert!(!g.sign_in_ids.is_empty());
        assert!(g.start <= g.end);
        for id in &g.sign_in_ids {
            assert!(
                ids.contains(id.as_str()),
                "seed {seed}: {} evidence {id} is served",
                g.detection
            );
        }
    }
    let legacy_clients: Vec<&SignIn> = all
        .iter()
        .filter(|s| {
            gt.iter()
                .any(|g| g.detection == "legacy-auth" && g.sign_in_ids.contains(&s.id))
        })
        .collect();
    assert!(legacy_clients
        .iter()
        .any(|s| s.client_app_used.as_deref() == Some("IMAP4")));
    assert!(legacy_clients
        .iter()
        .any(|s| s.user_agent.as_deref() == Some("BAV2ROPC")));

    // Recall and precision of straightforward detections over everything generated.
    let found = detect(&all, t.break_glass_accounts());
    let mut expected: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for g in &gt {
        expected
            .entry(g.detection.as_str())
            .or_default()
            .insert(g.subject.clone());
    }
    for d in DETECTIONS {
        let f = found.get(d).cloned().unwrap_or_default();
        let e = expected.get(d).cloned().unwrap_or_default();
        assert_eq!(f, e, "seed {seed}: detection {d}");
    }
    // Benign look-alikes are there, and nothing flags them.
    let kinds: BTreeSet<&str> = t.benign_cases().iter().map(|b| b.kind.as_str()).collect();
    assert_eq!(
        kinds,
        BTreeSet::from([
            "four-failures-then-success",
            "plane-traveller",
            "shared-vpn-ip"
        ])
    );
    for b in t.benign_cases() {
        for (d, subjects) in &found {
            assert!(
                !subjects.contains(&b.subject),
                "seed {seed}: benign {} flagged by {d}",
                b.kind
            );
        }
        for id in &b.sign_in_ids {
            assert!(ids.contains(id.as_str()));
        }
    }
}

#[test]
fn ground_truth_covers_every_planted_attack_and_detections_find_exactly_it() {
    check_tenant(1, 60);
    check_tenant(2, 120);
}

#[test]
fn attacks_can_be_switched_off_one_by_one_or_all() {
    let t = FakeTenant::builder()
        .seed(3)
        .members(40)
        .attacks(false)
        .benign_lookalikes(false)
        .build()
        .unwrap();
    assert!(t.ground_truth().is_empty() && t.benign_cases().is_empty());
    let t = FakeTenant::builder()
        .seed(3)
        .members(40)
        .attack(PlantedAttack::LockoutStorm, false)
        .build()
        .unwrap();
    assert!(t
        .ground_truth()
        .iter()
        .all(|g| g.detection != "lockout-storm"));
    assert!(t
        .ground_truth()
        .iter()
        .any(|g| g.detection == "password-spray"));
}

#[test]
fn posture_truth_names_the_planted_weaknesses() {
    let t = tenant(4, 80);
    let p = t.posture_truth();
    let checks: BTreeSet<&str> = p.iter().map(|f| f.check.as_str()).collect();
    for c in [
        "never-signed-in",
        "inactive-guest",
        "inactive-user",
        "no-mfa",
        "admin-without-mfa",
        "app-credential-expiring",
        "risky-user",
    ] {
        assert!(checks.contains(c), "{c} in {checks:?}");
    }
    // The fake app's own secret expires within 90 days.
    let own = format!("{}/", t.credentials().client_id);
    assert!(p
        .iter()
        .any(|f| f.check == "app-credential-expiring" && f.subject.starts_with(&own)));
    assert!(p
        .iter()
        .any(|f| f.check == "app-credential-expiring" && f.detail == "expired"));
    assert!(p
        .iter()
        .any(|f| f.check == "admin-without-mfa" && f.detail == "no MFA-capable method"));
    // Guests with #EXT# UPNs that never signed in.
    assert!(p
        .iter()
        .any(|f| f.check == "never-signed-in" && f.subject.contains("#EXT#")));
}

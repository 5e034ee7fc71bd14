//! `detections`: every threat detection of `oort-checks` over generated sign-ins in time order,
//! against the time to parse the same sign-ins from JSON.
//!
//! The sign-ins come from `benches::sign_in_json`, rewritten to a tenant of 10,000 users (each
//! with a home IP and an occasional roaming one) at the rate of 3 million sign-ins in 30 days
//! (100,000 a day), each user signing in from a home city. `OORT_BENCH_SIGN_INS` sets how many (default 200,000, two days: the window
//! state is bounded by the rate, not the count, so a longer stream only takes longer).
//!
//! - `parse_typed`: the sign-ins as one JSON array of `entra_model::SignIn` (what the collector
//!   and the store hand to the analysis);
//! - `detect_all`: a fresh `ThreatEngine` with every detection on, fed every sign-in and drained
//!   of findings;
//! - `detect_all_under_attack`: the same with every 10th sign-in replaced by a failed password
//!   from one of 10 spraying IPs and every 1000th by a success from one of them, so
//!   password-spray and account-under-attack findings are opened and extended all along (the
//!   cost of firing, not only of watching).
//!
//! Target (issue 7): the detection pass takes less than half the parse time.
//! Run: `cargo bench -p benches --bench detections`.

#![allow(clippy::print_stderr)] // a benchmark reports its figures on stderr

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use entra_model::SignIn;
use oort_checks::{CheckConfig, ThreatEngine};
use std::hint::black_box;

const USERS: u64 = 10_000;
const THIRTY_DAYS_SECS: u64 = 30 * 86_400;
const RATE_SIGN_INS: u64 = 3_000_000;

const HOMES: &[(&str, &str, f64, f64)] = &[
    ("Redmond", "US", 47.6740, -122.1215),
    ("Paris", "FR", 48.8566, 2.3522),
    ("Berlin", "DE", 52.5200, 13.4050),
    ("Tokyo", "JP", 35.6762, 139.6503),
    ("Sao Paulo", "BR", -23.5505, -46.6333),
    ("Sydney", "AU", -33.8688, 151.2093),
];

fn stream_json(n: u64) -> String {
    let mut rng = benches::Rng::new(7);
    let start = 1_714_521_600u64; // 2024-05-01T00:00:00Z
    let mut items = Vec::with_capacity(n as usize);
    for i in 0..n {
        let mut v = benches::sign_in_json(&mut rng, i);
        let user = rng.below(USERS);
        let secs = start + i * THIRTY_DAYS_SECS / RATE_SIGN_INS;
        let t = time::OffsetDateTime::from_unix_timestamp(secs as i64)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        v["createdDateTime"] = entra_model::timestamp::format(&t).into();
        v["userId"] = format!("00000000-0000-0000-0000-{user:012}").into();
        v["userPrincipalName"] = format!("user{user}@contoso.com").into();
        let ip = if rng.below(20) == 0 {
            format!("198.51.{}.{}", rng.below(256), rng.below(256))
        } else {
            format!("10.{}.{}.{}", user / 65_536, (user / 256) % 256, user % 256)
        };
        v["ipAddress"] = ip.into();
        // Users live somewhere: the generator picks a random city per sign-in, which would make
        // every user a traveller.
        let (city, country, lat, lon) = HOMES[(user % HOMES.len() as u64) as usize];
        v["location"] = serde_json::json!({"city": city, "state": city, "countryOrRegion": country,
            "geoCoordinates": {"latitude": lat, "longitude": lon}});
        items.push(v);
    }
    serde_json::to_string(&items).unwrap_or_default()
}

#[allow(
    clippy::print_stderr,
    reason = "the retained state is a figure of the benchmark report"
)]
fn bench(c: &mut Criterion) {
    let n: u64 = std::env::var("OORT_BENCH_SIGN_INS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let json = stream_json(n);
    let sign_ins: Vec<SignIn> = serde_json::from_str(&json).expect("parses");

    // Bounded state: what the engine retains after the stream (printed once, for the notes).
    let mut engine = ThreatEngine::new(CheckConfig::default()).expect("default config");
    engine.feed_all(&sign_ins);
    let findings = engine.take_findings();
    eprintln!(
        "detections: {n} sign-ins, {} bytes of JSON, {} findings, retained state {:?}",
        json.len(),
        findings.len(),
        engine.state_size()
    );

    let mut attacked = sign_ins.clone();
    for (i, s) in attacked.iter_mut().enumerate() {
        let (ip, code) = match i % 1000 {
            5 => (i / 1000 % 10, 0),
            k if k % 10 == 0 => (i / 10 % 10, 50126),
            _ => continue,
        };
        s.ip_address = Some(format!("203.0.113.{ip}"));
        if let Some(status) = s.status.as_mut() {
            status.error_code = Some(code);
        }
    }
    let mut engine = ThreatEngine::new(CheckConfig::default()).expect("default config");
    engine.feed_all(&attacked);
    let findings = engine.take_findings();
    eprintln!(
        "detections under attack: {} findings, retained state {:?}",
        findings.len(),
        engine.state_size()
    );

    let mut group = c.benchmark_group("detections");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n));
    group.bench_function("parse_typed", |b| {
        b.iter(|| {
            let v: Vec<SignIn> = serde_json::from_str(black_box(&json)).expect("parses");
            black_box(v.len())
        })
    });
    group.bench_function("detect_all", |b| {
        b.iter(|| {
            let mut engine = ThreatEngine::new(CheckConfig::default()).expect("default config");
            engine.feed_all(black_box(&sign_ins));
            black_box(engine.take_findings().len())
        })
    });
    group.bench_function("detect_all_under_attack", |b| {
        b.iter(|| {
            let mut engine = ThreatEngine::new(CheckConfig::default()).expect("default config");
            engine.feed_all(black_box(&attacked));
            black_box(engine.take_findings().len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

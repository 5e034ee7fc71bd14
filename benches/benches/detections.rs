//! `detections`: every threat detection of `oort-checks` over generated sign-ins in time order,
//! against the time to parse the same sign-ins from JSON.
//!
//! The sign-ins come from `benches::tenant_sign_in_json`: a tenant of 10,000 users (each with a
//! home IP and an occasional roaming one) at the rate of 3 million sign-ins in 30 days (100,000 a
//! day), each user signing in from a home city. `OORT_BENCH_SIGN_INS` sets how many (default
//! 200,000, two days: the window state is bounded by the rate, not the count, so a longer stream
//! only takes longer). The whole stream at 3 million, one sign-in at a time with peak memory, is
//! `benches/examples/detections_stream.rs`.
//!
//! - `parse_typed`: the sign-ins as one JSON array of `entra_model::SignIn` (what the collector
//!   and the store hand to the analysis);
//! - `detect_all`: a fresh `ThreatEngine` with every detection on, fed every sign-in and drained
//!   of findings;
//! - `detect_all_under_attack`: the same with `benches::attack_sign_in` applied: every 10th
//!   sign-in replaced by a failed password from one of 10 spraying IPs and every 1000th by a
//!   success from one of them, so password-spray and account-under-attack findings are opened
//!   and extended all along (the cost of firing, not only of watching). Before any time is
//!   reported, the benchmark panics unless this case finds both (a pass that does not fire is
//!   not the case it claims to measure).
//!
//! Target (issue 7): the detection pass takes less than half the parse time.
//! Run: `cargo bench -p benches --bench detections`.

#![allow(clippy::print_stderr)] // a benchmark reports its figures on stderr

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use entra_model::SignIn;
use oort_checks::{CheckConfig, CheckId, Finding, ThreatEngine};
use std::collections::BTreeSet;
use std::hint::black_box;

fn stream_json(n: u64) -> String {
    let mut rng = benches::Rng::new(7);
    let items: Vec<_> = (0..n)
        .map(|i| benches::tenant_sign_in_json(&mut rng, i))
        .collect();
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
    for (i, s) in (0u64..).zip(attacked.iter_mut()) {
        let Some((ip, code)) = benches::attack_sign_in(i) else {
            continue;
        };
        s.ip_address = Some(ip);
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
    // A time for a pass that finds nothing would measure watching, not firing: the attack case
    // must open the findings it plants before any time is reported.
    assert_attack_found(&findings, n);

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

/// The check ids `benches::attack_sign_in` plants.
const EXPECTED_UNDER_ATTACK: [CheckId; 2] = [CheckId::PasswordSpray, CheckId::AccountUnderAttack];

/// Panics, naming what is missing, unless the attack case found every planted check id.
fn assert_attack_found(findings: &[Finding], n: u64) {
    let found: BTreeSet<CheckId> = findings.iter().map(|f| f.check_id).collect();
    let missing: Vec<&str> = EXPECTED_UNDER_ATTACK
        .iter()
        .filter(|id| !found.contains(*id))
        .map(|id| id.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "detect_all_under_attack: the attacked stream of {n} sign-ins produced no {} finding \
         ({} findings: {:?}); the benchmark would time a detection pass that does not fire. \
         Check benches::attack_sign_in and the detections' defaults, or raise \
         OORT_BENCH_SIGN_INS if it was set low.",
        missing.join(" nor "),
        findings.len(),
        found.iter().map(|id| id.as_str()).collect::<Vec<_>>()
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);

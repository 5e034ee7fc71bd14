//! `detections_stream`: every threat detection of `oort-checks` over a month of a 10,000-user
//! tenant's sign-ins (3 million by default), streamed in time order, against the time to parse the
//! same sign-ins from JSON, in one process (issue 7, benchmark `detections`).
//!
//! ```sh
//! cargo build --release -p benches --example detections_stream
//! /usr/bin/time -v target/release/examples/detections_stream [--sign-ins N] [--under-attack]
//!     [--parse-only] [--page N] [--drain-every N] [--quiet]
//! ```
//!
//! The sign-ins are those of the `detections` criterion bench (`benches::tenant_sign_in_json`,
//! 100,000 a day), generated a page at a time (`--page`, default 1,000 as Graph sends them) as
//! one JSON text per sign-in, never all at once. Each page is parsed with
//! `serde_json::from_str::<entra_model::SignIn>` (timed: parse), fed to one `ThreatEngine` with
//! every detection on, and the findings are drained every `--drain-every` pages (default 1; 0 =
//! once at the end, as `oort checks` does) (timed: detection). Generating the JSON is not timed.
//! `--under-attack` applies `benches::attack_sign_in` (a password spray from 10 IPs all along).
//! `--parse-only` skips the engine: its peak RSS is the harness's own footprint.
//!
//! Prints, on stdout: sign-ins, parse time and rate, detection time and rate, the ratio
//! detection/parse (target < 0.5), findings drained, and the engine's retained state at the end;
//! on stderr unless `--quiet`, one line per day of event time with the retained state and the
//! process's resident memory, so that growth shows where it starts. Peak memory: run under
//! `/usr/bin/time -v` ("Maximum resident set size") at two sizes.
#![allow(missing_docs, clippy::print_stdout, clippy::print_stderr)]
// A benchmark harness, not library code: wall-clock phases are what it measures.
#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasher, RandomState};
use std::time::{Duration, Instant};

use entra_model::SignIn;
use oort_checks::{CheckConfig, ThreatEngine};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.replace(['_', ','], "").parse().ok())
        .unwrap_or(default)
}

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// A line of `/proc/self/status` in MiB (`VmRSS`, `VmHWM`); 0 where there is no procfs.
fn proc_status_mib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total: u64 = arg("--sign-ins", benches::TENANT_SIGN_INS);
    let page_size: u64 = arg("--page", 1_000u64).max(1);
    let drain_every: u64 = arg("--drain-every", 1);
    let under_attack = flag("--under-attack");
    let parse_only = flag("--parse-only");
    let quiet = flag("--quiet");

    let mut rng = benches::Rng::new(7);
    let mut engine = ThreatEngine::new(CheckConfig::default())?;
    let mut page: Vec<String> = Vec::with_capacity(page_size as usize);
    let mut parsed: Vec<SignIn> = Vec::with_capacity(page_size as usize);
    let (mut generate, mut parse, mut detect) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut json_bytes = 0u64;
    let mut drained = 0u64;
    let mut per_check: BTreeMap<String, u64> = BTreeMap::new();
    let hasher = RandomState::new();
    let mut fingerprints: HashSet<u64> = HashSet::new();
    let per_day = benches::TENANT_SIGN_INS / benches::TENANT_DAYS;

    let mut drain = |engine: &mut ThreatEngine, detect: &mut Duration| {
        let t0 = Instant::now();
        let findings = engine.take_findings();
        *detect += t0.elapsed();
        drained += findings.len() as u64;
        for f in &findings {
            if fingerprints.insert(hasher.hash_one(f.fingerprint.as_str())) {
                *per_check.entry(f.check_id.to_string()).or_default() += 1;
            }
        }
    };

    let mut index = 0u64;
    let mut pages = 0u64;
    while index < total {
        let t0 = Instant::now();
        page.clear();
        let end = (index + page_size).min(total);
        for i in index..end {
            let mut v = benches::tenant_sign_in_json(&mut rng, i);
            if under_attack {
                if let Some((ip, code)) = benches::attack_sign_in(i) {
                    v["ipAddress"] = ip.into();
                    v["status"]["errorCode"] = code.into();
                }
            }
            let text = serde_json::to_string(&v)?;
            json_bytes += text.len() as u64;
            page.push(text);
        }
        let t1 = Instant::now();
        generate += t1 - t0;

        parsed.clear();
        for text in &page {
            parsed.push(serde_json::from_str::<SignIn>(text)?);
        }
        let t2 = Instant::now();
        parse += t2 - t1;

        if !parse_only {
            for s in &parsed {
                engine.feed(s);
            }
            detect += t2.elapsed();
            pages += 1;
            if drain_every > 0 && pages.is_multiple_of(drain_every) {
                drain(&mut engine, &mut detect);
            }
        }

        let before = index;
        index = end;
        if !quiet && (before / per_day != index / per_day || index == total) {
            let state = engine.state_size();
            eprintln!(
                "day {:>5.2}: {index:>9} sign-ins, users {:>6}, ips {:>6}, entries {:>7}, \
                 findings held {:>5}, recent ids {:>6}, rss {:>5} MiB",
                index as f64 / per_day as f64,
                state.users,
                state.ips,
                state.entries,
                state.findings,
                state.recent_ids,
                proc_status_mib("VmRSS"),
            );
        }
    }
    if !parse_only {
        drain(&mut engine, &mut detect);
    }

    let state = engine.state_size();
    let stats = engine.stats();
    println!(
        "detections_stream: {total} sign-ins ({:.1} days at {per_day}/day), {} MB of JSON, \
         page {page_size}, drain every {drain_every} page(s){}{}",
        total as f64 / per_day as f64,
        json_bytes / 1_000_000,
        if under_attack { ", under attack" } else { "" },
        if parse_only { ", parse only" } else { "" },
    );
    println!(
        "generate (not counted): {:>8.2} s  {:>9.0} sign-ins/s",
        generate.as_secs_f64(),
        rate(total, generate)
    );
    println!(
        "parse:                  {:>8.2} s  {:>9.0} sign-ins/s",
        parse.as_secs_f64(),
        rate(total, parse)
    );
    if !parse_only {
        println!(
            "detection:              {:>8.2} s  {:>9.0} sign-ins/s",
            detect.as_secs_f64(),
            rate(total, detect)
        );
        println!(
            "ratio detection/parse:  {:.3} (target < 0.5)",
            detect.as_secs_f64() / parse.as_secs_f64().max(1e-9)
        );
        println!(
            "findings: {} distinct, {drained} drained (updates included); by check: {per_check:?}",
            fingerprints.len()
        );
        println!("engine: {stats:?}");
        println!("retained state at the end: {state:?}");
    }
    println!(
        "rss at the end {} MiB, peak {} MiB (VmHWM)",
        proc_status_mib("VmRSS"),
        proc_status_mib("VmHWM")
    );
    Ok(())
}

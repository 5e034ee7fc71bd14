//! `sign_in_page`: parse a page of 1,000 realistic sign-ins three ways.
//!
//! - typed: `Vec<entra_model::SignIn>` (what the collector does);
//! - `serde_json::Value` (an untyped client);
//! - `serde::de::IgnoredAny` (the floor: only scanning the bytes).
//!
//! Targets: typed at least 1.5x the `Value` parse and at least 0.35x the `IgnoredAny` scan.
//! Run: `cargo bench -p benches --bench sign_in_page`.
//!
//! Every variant starts from the page's bytes, checks them as UTF-8 once (as `graph-client` does)
//! and parses the `&str`: serde_json then skips its per-string UTF-8 validation, which costs the
//! typed parse a third of its time when parsing from `&[u8]`. The binary uses mimalloc, the
//! allocator of the `oort` binary: with glibc's malloc, freeing a page of small strings costs
//! the typed parse about a fifth of its time (figures for both are in the issue notes).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use entra_model::SignIn;
use serde::de::IgnoredAny;
use serde::Deserialize;
use std::hint::black_box;

#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
}

fn bench(c: &mut Criterion) {
    let bytes = benches::sign_in_page(
        42,
        1_000,
        Some("https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x"),
    );
    let mut group = c.benchmark_group("sign_in_page");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("typed_vec_sign_in", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(&bytes)).expect("UTF-8");
            let page: Page<SignIn> = serde_json::from_str(text).expect("parses");
            black_box(page.value.len())
        })
    });
    group.bench_function("serde_json_value", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(&bytes)).expect("UTF-8");
            let page: Page<serde_json::Value> = serde_json::from_str(text).expect("parses");
            black_box(page.value.len())
        })
    });
    group.bench_function("ignored_any_scan", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(black_box(&bytes)).expect("UTF-8");
            let page: IgnoredAny = serde_json::from_str(text).expect("parses");
            black_box(page)
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

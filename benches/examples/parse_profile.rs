//! Profiling helper for the sign-in parse with the system allocator (the criterion bench uses
//! mimalloc): parses one 1,000-sign-in page 200 times.
//! `cargo build --release -p benches --example parse_profile && perf stat ./target/release/examples/parse_profile typed`
//! Modes: typed, typedstr, value, valuestr, ignored, ignoredstr, idonly.
#![allow(missing_docs, clippy::print_stdout)]
use serde::Deserialize;
#[derive(Deserialize)]
struct Page<T> {
    value: Vec<T>,
}
#[derive(Deserialize)]
struct IdOnly {
    #[allow(dead_code)]
    id: String,
}
fn main() {
    let bytes = benches::sign_in_page(42, 1_000, None);
    let mode = std::env::args().nth(1).unwrap_or_default();
    let n = 200;
    let mut total = 0usize;
    for _ in 0..n {
        total += match mode.as_str() {
            "typed" => serde_json::from_slice::<Page<entra_model::SignIn>>(&bytes)
                .unwrap()
                .value
                .len(),
            "value" => serde_json::from_slice::<Page<serde_json::Value>>(&bytes)
                .unwrap()
                .value
                .len(),
            "typedstr" => serde_json::from_str::<Page<entra_model::SignIn>>(
                std::str::from_utf8(&bytes).unwrap(),
            )
            .unwrap()
            .value
            .len(),
            "valuestr" => serde_json::from_str::<Page<serde_json::Value>>(
                std::str::from_utf8(&bytes).unwrap(),
            )
            .unwrap()
            .value
            .len(),
            "ignoredstr" => {
                serde_json::from_str::<serde::de::IgnoredAny>(std::str::from_utf8(&bytes).unwrap())
                    .unwrap();
                1
            }
            "idonly" => serde_json::from_slice::<Page<IdOnly>>(&bytes)
                .unwrap()
                .value
                .len(),
            _ => {
                serde_json::from_slice::<serde::de::IgnoredAny>(&bytes).unwrap();
                1
            }
        };
    }
    println!("{mode}: {total} bytes/page {}", bytes.len());
}

//! `Retry-After` (delay seconds or an HTTP-date), alone, against a `Date` header, and against
//! the local clock. Input: the value, then optionally `\n` and the `Date` header.
#![no_main]

use std::time::Duration;

use entra_auth::parse_retry_after;
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (value, date) = match text.split_once('\n') {
        Some((v, d)) => (v, Some(d)),
        None => (&*text, None),
    };
    let now = Some(datetime!(2026-10-21 07:28:20 UTC));
    for wait in [
        parse_retry_after(value, None, None),
        parse_retry_after(value, date, None),
        parse_retry_after(value, date, now),
    ]
    .into_iter()
    .flatten()
    {
        assert!(
            wait <= Duration::from_secs(86_400),
            "a wait past the day cap: {wait:?}"
        );
    }
});

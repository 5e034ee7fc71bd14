//! A Graph error answer: status, `Retry-After` / `Date` / `request-id` headers and the body
//! (`{"error": {...}}` with `innerError`, a bare object, HTML, anything). Input: two bytes of
//! status, then header lines up to a blank line (`name: value`), then the body.
#![no_main]

use graph_client::fuzzing::{api_error, graph_error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((status, rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let status = u16::from_be_bytes(*status);
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (&b""[..], rest),
    };
    let headers: Vec<(String, String)> = String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let error = api_error(status, &headers, body);
    let _ = (error.to_string(), format!("{error:?}"));
    let _ = (
        error.code(),
        error.request_id(),
        error.date(),
        error.retry_after(),
    );
    let _ = error.body_excerpt();
    // What callers branch on (stale continuation, resync, throttling, licence, permissions).
    let e = graph_error(error);
    let _ = (
        e.is_stale_continuation(),
        e.is_resync_required(),
        e.is_throttled(),
        e.is_licence_required(),
        e.is_permission_denied(),
        e.is_not_found(),
        e.retry_after(),
        e.to_string(),
    );
});

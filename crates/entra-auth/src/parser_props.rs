//! Property tests of the parsers of what the identity endpoints send (the stable half of the
//! fuzzing in the workspace's `fuzz/`): token answers, refusals, JWT claims and `Retry-After`,
//! over arbitrary bytes and over real answers mutated. None may panic; a wait is never longer
//! than a day; a token never appears in an error.

use std::time::Duration;

use base64::Engine as _;
use proptest::prelude::*;
use secrecy::ExposeSecret;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::endpoint::{parse_error_response, parse_token_response};
use crate::managed_identity::{managed_identity_error, parse_managed_identity_token};
use crate::{parse_retry_after, TokenClaims};

/// `{"typ":"JWT","alg":"RS256"}` . `{"roles":["AuditLog.Read.All","User.Read.All","Custom.Role"],
/// "tid":"t","appid":"a","oid":"o","idtyp":"app","exp":1767225600}` . signature
const JWT: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJyb2xlcyI6WyJBdWRpdExvZy5SZWFkLkFsbCIsIlVzZXIuUmVhZC5BbGwiLCJDdXN0b20uUm9sZSJdLCJ0aWQiOiJ0IiwiYXBwaWQiOiJhIiwib2lkIjoibyIsImlkdHlwIjoiYXBwIiwiZXhwIjoxNzY3MjI1NjAwfQ.c2ln";

/// Token and managed identity answers as the endpoints send them (success and refusal).
const ANSWERS: &[&str] = &[
    r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"opaque-token-value"}"#,
    r#"{"token_type":"Bearer","expires_in":"3599","ext_expires_in":"3599","expires_on":"1767225600","not_before":"1767139200","resource":"https://graph.microsoft.com","access_token":"opaque-token-value"}"#,
    r#"{"access_token":"opaque-token-value","expires_in":"86399","expires_on":1767225600,"resource":"https://graph.microsoft.com/","token_type":"Bearer","client_id":"c"}"#,
    r#"{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys are expired.\r\nTrace ID: t\r\nCorrelation ID: c\r\nTimestamp: 2026-01-01 00:00:00Z","error_codes":[7000222],"timestamp":"2026-01-01 00:00:00Z","trace_id":"t","correlation_id":"c","error_uri":"https://login.microsoftonline.com/error?code=7000222"}"#,
    r#"{"error":"invalid_request","error_description":"Identity not found"}"#,
];

/// Values that break parsers: extreme numbers, wrong types, odd strings.
const TOKENS: &[&str] = &[
    "null",
    "[]",
    "{}",
    "-1",
    "0",
    "9223372036854775807",
    "-9223372036854775808",
    "\"9223372036854775807\"",
    "\"-9223372036854775808\"",
    "253402300800",
    "1e308",
    "18446744073709551616",
    "\"\"",
    "\"\\ud800\"",
    "\"pop\"",
    "AADSTS",
    "AADSTS99999999999999",
];

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, u8),
    Remove(usize, u8),
    Token(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Replace(at, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Mutation::Insert(at, b)),
        (any::<usize>(), 1u8..16).prop_map(|(at, n)| Mutation::Remove(at, n)),
        (any::<usize>(), 0..TOKENS.len()).prop_map(|(at, t)| Mutation::Token(at, t)),
    ]
}

fn mutate(doc: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut out = doc.to_vec();
    for m in mutations {
        let len = out.len().max(1);
        match *m {
            Mutation::Replace(at, b) if !out.is_empty() => out[at % len] = b,
            Mutation::Replace(..) => {}
            Mutation::Insert(at, b) => out.insert(at % (out.len() + 1), b),
            Mutation::Remove(at, n) => {
                let start = at % len;
                let end = (start + usize::from(n)).min(out.len());
                out.drain(start.min(end)..end);
            }
            Mutation::Token(at, t) => {
                let at = at % (out.len() + 1);
                out.splice(at..at, TOKENS[t].bytes());
            }
        }
    }
    out
}

const NOW: OffsetDateTime = datetime!(2026-01-01 00:00 UTC);

/// Every parser of an identity endpoint's answer, on one body: no panic, and the token never
/// in an error's text.
fn check_answer(body: &[u8]) -> Result<(), TestCaseError> {
    for parsed in [
        parse_token_response(body, NOW),
        parse_managed_identity_token(body, NOW),
    ] {
        match parsed {
            Ok(token) => {
                let secret = token.token.expose_secret().to_owned();
                prop_assert!(!secret.is_empty());
                let shown = format!("{token:?}");
                prop_assert!(!shown.contains(&secret) || secret.len() < 4);
                let _ = (token.expires_in(NOW), token.is_expired_at(NOW));
            }
            Err(e) => {
                let _ = (e.to_string(), format!("{e:?}"));
            }
        }
    }
    let refusal = parse_error_response(400, body, Some(Duration::from_secs(1)));
    let _ = format!("{refusal:?}");
    let refusal = crate::AuthError::from_endpoint(refusal);
    let _ = (refusal.to_string(), format!("{refusal:?}"));
    for user_assigned in [false, true] {
        let e = managed_identity_error(400, body, None, user_assigned);
        let _ = (e.to_string(), format!("{e:?}"));
    }
    Ok(())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn token_answers_of_arbitrary_bytes_never_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        check_answer(&body)?;
    }

    #[test]
    fn mutated_token_answers_never_panic_nor_show_the_token(
        pick in 0..ANSWERS.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        check_answer(&mutate(ANSWERS[pick].as_bytes(), &mutations))?;
    }

    #[test]
    fn lifetimes_of_any_number_are_a_time_or_an_error_never_a_panic(
        seconds in prop_oneof![any::<i64>(), -1_000i64..1_000_000, 253_000_000_000i64..253_500_000_000],
        quoted in any::<bool>(),
        field in prop::sample::select(&["expires_in", "expires_on", "ext_expires_in"][..]),
    ) {
        let value = if quoted { format!("\"{seconds}\"") } else { seconds.to_string() };
        let body = format!(r#"{{"token_type":"Bearer","access_token":"opaque","{field}":{value}}}"#);
        check_answer(body.as_bytes())?;
    }

    #[test]
    fn jwt_claims_of_arbitrary_text_and_mutated_tokens_never_panic(
        text in "\\PC{0,128}",
        payload in prop::collection::vec(any::<u8>(), 0..256),
        mutations in prop::collection::vec(mutation(), 0..6),
    ) {
        let mutated = String::from_utf8_lossy(&mutate(JWT.as_bytes(), &mutations)).into_owned();
        let arbitrary_payload = format!("e30.{}.c2ln", b64(&payload));
        let mutated_payload = {
            let claims = br#"{"roles":["AuditLog.Read.All"],"tid":"t","azp":"a","oid":"o","idtyp":"app"}"#;
            format!("e30.{}.c2ln", b64(&mutate(claims, &mutations)))
        };
        for token in [text, mutated, arbitrary_payload, mutated_payload] {
            if let Some(claims) = TokenClaims::from_jwt(&token) {
                let _ = (format!("{claims:?}"), claims.roles.unknown().count());
            }
        }
    }

    #[test]
    fn retry_after_never_panics_and_never_waits_past_a_day(
        value in prop_oneof![
            "\\PC{0,48}",
            any::<f64>().prop_map(|f| f.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            (any::<i64>(), 0u32..1_000_000_000).prop_map(|(s, n)| {
                httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::new(s.unsigned_abs() % 253_402_300_000, n))
            }),
        ],
        date in proptest::option::of(prop_oneof![
            "\\PC{0,48}",
            any::<u32>().prop_map(|s| httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(u64::from(s)))),
        ]),
        now in proptest::option::of(-377_705_116_800i64..253_402_300_799i64),
    ) {
        let now = now.map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap());
        if let Some(wait) = parse_retry_after(&value, date.as_deref(), now) {
            prop_assert!(wait <= Duration::from_secs(86_400), "{value:?} {date:?}: {wait:?}");
        }
    }
}

#[test]
fn a_token_answer_whose_expires_in_is_past_the_calendar_is_refused_not_a_panic() {
    for expires_in in [
        "9223372036854775807",
        "\"9223372036854775807\"",
        "253402300800",
    ] {
        let body = format!(
            r#"{{"token_type":"Bearer","access_token":"opaque","expires_in":{expires_in}}}"#
        );
        let error = parse_token_response(body.as_bytes(), NOW).unwrap_err();
        assert!(
            error.to_string().contains("expires_in"),
            "{expires_in}: {error}"
        );
        assert!(!error.to_string().contains("opaque"));
    }
}

#[test]
fn a_managed_identity_answer_whose_expires_on_is_past_the_calendar_is_refused() {
    let body =
        br#"{"access_token":"opaque","expires_on":"9223372036854775807","token_type":"Bearer"}"#;
    let error = parse_managed_identity_token(body, NOW).unwrap_err();
    assert!(error.to_string().contains("expires_on"), "{error}");
}

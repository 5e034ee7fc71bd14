//! Token endpoint and managed identity answers, success and error. The first byte picks the
//! parser; the rest is the body.
#![no_main]

use std::time::Duration;

use entra_auth::fuzzing::{
    managed_identity_error, managed_identity_token, token_error, token_response,
};
use libfuzzer_sys::fuzz_target;
use time::macros::datetime;

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    let now = datetime!(2026-01-01 00:00 UTC);
    match which % 4 {
        0 => match token_response(body, now) {
            Ok(token) => {
                let _ = (
                    format!("{token:?}"),
                    token.expires_in(now),
                    token.is_expired_at(now),
                );
            }
            Err(e) => {
                let _ = (e.to_string(), format!("{e:?}"));
            }
        },
        1 => match managed_identity_token(body, now) {
            Ok(token) => {
                let _ = (
                    format!("{token:?}"),
                    token.expires_in(now),
                    token.claims.roles.is_empty(),
                );
            }
            Err(e) => {
                let _ = (e.to_string(), format!("{e:?}"));
            }
        },
        2 => {
            let (details, e) = token_error(400, body, Some(Duration::from_secs(1)));
            let _ = (format!("{details:?}"), e.to_string(), format!("{e:?}"));
        }
        _ => {
            let e = managed_identity_error(400, body, None, which & 0x80 != 0);
            let _ = (e.to_string(), format!("{e:?}"));
        }
    }
});

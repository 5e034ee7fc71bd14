//! The claims of an access token (`header.payload.signature`), read without verification.
#![no_main]

use entra_auth::TokenClaims;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let token = String::from_utf8_lossy(data);
    if let Some(claims) = TokenClaims::from_jwt(&token) {
        let _ = format!("{claims:?}");
        let _ = claims.roles.unknown().count();
    }
});

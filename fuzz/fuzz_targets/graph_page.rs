//! A collection page of any stream, decoded as the collector reads it (`Lenient<Raw<T>>`: an
//! item that does not parse is set aside) and strictly (`T`), for the entra-model type of every
//! stream. The first byte picks the stream; the rest is the body.
#![no_main]

use entra_model::{
    Application, AuthenticationMethod, ConditionalAccessPolicy, DirectoryAudit, DirectoryRole,
    Group, ManagedDevice, Raw, RiskDetection, RiskyUser, ServicePrincipal, SignIn, User,
    UserRegistrationDetails,
};
use graph_client::fuzzing::page;
use graph_client::Lenient;
use libfuzzer_sys::fuzz_target;
use serde::de::DeserializeOwned;

fn both<T: DeserializeOwned + std::fmt::Debug>(body: &[u8]) {
    if let Ok(p) = page::<Lenient<Raw<T>>>(body) {
        let _ = p.continuation();
        let _ = (p.is_last(), p.delta_link());
        for item in p.items {
            match item {
                Lenient::Parsed(raw) => {
                    let _ = format!("{:?}", raw.value());
                    let _ = raw.json().len();
                }
                Lenient::Rejected(rejected) => {
                    let _ = (rejected.id(), format!("{rejected:?}"));
                }
            }
        }
    } else if let Err(e) = page::<Lenient<Raw<T>>>(body) {
        let _ = e.to_string();
    }
    if let Ok(p) = page::<T>(body) {
        let _ = p.items.len();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, body)) = data.split_first() else {
        return;
    };
    match which % 14 {
        0 => both::<User>(body),
        1 => both::<Group>(body),
        2 => both::<SignIn>(body),
        3 => both::<DirectoryAudit>(body),
        4 => both::<Application>(body),
        5 => both::<ServicePrincipal>(body),
        6 => both::<AuthenticationMethod>(body),
        7 => both::<UserRegistrationDetails>(body),
        8 => both::<RiskyUser>(body),
        9 => both::<RiskDetection>(body),
        10 => both::<ConditionalAccessPolicy>(body),
        11 => both::<ManagedDevice>(body),
        12 => both::<DirectoryRole>(body),
        _ => both::<serde_json::Value>(body),
    }
});

//! Links from the network: the nextLink guessed from a page's bytes, a page's nextLink joined
//! to the page's URL and checked against the configured origin, and saved next/delta links
//! resumed. Whatever is followed must stay on the client's origin.
#![no_main]

use std::sync::{Arc, OnceLock};

use entra_auth::StaticTokenCredential;
use graph_client::fuzzing::{follow_next_link, guess_next_link, resume_link};
use graph_client::GraphClient;
use libfuzzer_sys::fuzz_target;
use secrecy::SecretString;
use url::Url;

const BASE: &str = "https://graph.microsoft.com";

fn client() -> &'static GraphClient {
    static CLIENT: OnceLock<GraphClient> = OnceLock::new();
    CLIENT.get_or_init(|| {
        let credential = StaticTokenCredential::from_token(
            SecretString::from("fuzz".to_owned()),
            time::OffsetDateTime::UNIX_EPOCH,
        );
        GraphClient::builder()
            .credential(Arc::new(credential))
            .base_url(BASE)
            .build()
            .expect("a client for the fuzz target")
    })
}

fuzz_target!(|data: &[u8]| {
    let client = client();
    let origin = Url::parse(BASE).unwrap().origin();
    let current = Url::parse("https://graph.microsoft.com/v1.0/users?$top=999").unwrap();
    let guessed = guess_next_link(data);
    let text = String::from_utf8_lossy(data);
    for link in guessed.as_deref().into_iter().chain([&*text]) {
        if let Ok(url) = follow_next_link(client, &current, link) {
            assert_eq!(url.origin(), origin, "followed off the origin: {link:?}");
        }
        for delta in [false, true] {
            if let Ok(url) = resume_link(client, link, delta) {
                assert_eq!(url.origin(), origin, "resumed off the origin: {link:?}");
            }
        }
    }
});

//! Public types that cross tasks are `Send + Sync` (checked at compile time).

use std::sync::Arc;

use entra_auth::*;

const fn assert_send_sync<T: Send + Sync>() {}

const _: () = {
    assert_send_sync::<ClientSecretCredential>();
    assert_send_sync::<ClientSecretCredentialBuilder>();
    assert_send_sync::<ClientCertificate>();
    assert_send_sync::<ClientCertificateCredential>();
    assert_send_sync::<ClientCertificateCredentialBuilder>();
    assert_send_sync::<TokenCache>();
    assert_send_sync::<TokenCacheBuilder>();
    assert_send_sync::<StaticTokenCredential>();
    assert_send_sync::<Arc<dyn TokenCredential>>();
    assert_send_sync::<AccessToken>();
    assert_send_sync::<TokenClaims>();
    assert_send_sync::<AuthError>();
    assert_send_sync::<TokenEndpointError>();
    assert_send_sync::<Cloud>();
    assert_send_sync::<CredentialIdentity>();
    assert_send_sync::<RetryPolicy>();
    assert_send_sync::<ManualClock>();
    assert_send_sync::<SystemClock>();
};

/// The futures of the trait are `Send`, so callers can spawn them.
#[allow(dead_code)]
fn get_token_futures_are_send(credential: Arc<dyn TokenCredential>) {
    fn assert_send<T: Send>(_: T) {}
    assert_send(async move {
        let _ = credential.get_token("s").await;
        credential.invalidate("s").await;
    });
}

//! Credential failures.

use std::sync::Arc;

use graph_client::{GraphError, GraphRequest};
use serde_json::Value;

use crate::common::{builder, server, TestCredential};

#[derive(Debug)]
struct FailingCredential;

#[async_trait::async_trait]
impl entra_auth::TokenCredential for FailingCredential {
    async fn get_token(
        &self,
        _scope: &str,
    ) -> Result<entra_auth::AccessToken, entra_auth::AuthError> {
        Err(entra_auth::AuthError::NotImplemented)
    }
}

#[tokio::test]
async fn a_credential_failure_is_an_auth_error_and_nothing_is_sent() {
    let server = server().await;
    let client = builder(&server, TestCredential::new())
        .credential(Arc::new(FailingCredential))
        .build()
        .unwrap();
    let err = client
        .send::<Value>(GraphRequest::get("users"))
        .await
        .unwrap_err();
    assert!(matches!(err, GraphError::Auth(_)), "{err:?}");
    assert!(err.is_auth());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the AuthError is kept as the source"
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

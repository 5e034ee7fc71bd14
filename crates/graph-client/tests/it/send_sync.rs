//! Public types that cross tasks are `Send + Sync`.

use graph_client::*;

fn send_sync<T: Send + Sync>() {}
fn send<T: Send>() {}

#[test]
fn public_types_are_send_and_sync() {
    send_sync::<GraphClient>();
    send_sync::<GraphClientBuilder>();
    send_sync::<GraphError>();
    send_sync::<ApiError>();
    send_sync::<GraphRequest>();
    send_sync::<Page<serde_json::Value>>();
    send_sync::<Continuation>();
    send_sync::<Batch>();
    send_sync::<BatchResponses>();
    send_sync::<RetryPolicy>();
    send_sync::<ThrottleLimits>();
    send_sync::<PageStream<serde_json::Value>>();
    send_sync::<ItemStream<serde_json::Value>>();
    send::<PageStream<Box<serde_json::value::RawValue>>>();
}

#[test]
fn client_futures_are_send() {
    fn assert_send<F: std::future::Future + Send>(_: F) {}
    let client = GraphClient::builder()
        .credential(crate::common::TestCredential::new())
        .build()
        .unwrap();
    assert_send(client.send::<serde_json::Value>(GraphRequest::get("users")));
    assert_send(client.batch(Batch::new()));
}

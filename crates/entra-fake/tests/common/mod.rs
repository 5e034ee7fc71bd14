//! Helpers shared by the integration tests: a token, GETs, and paging through nextLinks.
#![allow(dead_code, unreachable_pub)]

use entra_fake::FakeTenant;
use serde_json::Value;

pub async fn token(t: &FakeTenant) -> String {
    let c = t.credentials();
    let r: Value = reqwest::Client::new()
        .post(t.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", c.client_id.as_str()),
            ("client_secret", c.client_secret.as_str()),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().expect("a token").to_owned()
}

/// GET an absolute URL: (status, headers, json body or Null).
pub async fn get(url: &str, token: &str) -> (u16, reqwest::header::HeaderMap, Value) {
    let r = reqwest::Client::new()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let text = r.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

pub async fn get_ok(url: &str, token: &str) -> Value {
    let (s, _, v) = get(url, token).await;
    assert_eq!(s, 200, "GET {url} answered {s}: {v}");
    v
}

/// Follows nextLinks from `url` and returns every item.
pub async fn all_pages(url: &str, token: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut next = Some(url.to_owned());
    while let Some(u) = next {
        let v = get_ok(&u, token).await;
        out.extend(v["value"].as_array().cloned().unwrap_or_default());
        next = v["@odata.nextLink"].as_str().map(str::to_owned);
    }
    out
}

pub fn graph(t: &FakeTenant, path: &str) -> String {
    format!("{}/{}", t.graph_url(), path.trim_start_matches('/'))
}

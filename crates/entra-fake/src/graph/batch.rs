//! JSON `$batch`: up to 20 requests, each answered by the same dispatcher, with `dependsOn`.

use serde_json::{json, Map, Value};

use super::{error, graph, Ctx, G, R};
use crate::server::{Body, Req, Resp};

impl G<'_> {
    pub(super) fn batch(&mut self) -> R {
        let bad = |g: &Self| g.err(400, "BadRequest", "Invalid batch payload format.");
        let body: Value = serde_json::from_slice(&self.req.body).map_err(|_| bad(self))?;
        let Some(reqs) = body.get("requests").and_then(Value::as_array) else {
            return Err(bad(self));
        };
        if reqs.len() > 20 {
            return Err(self.err(
                400,
                "BadRequest",
                "Number of requests in batch exceeds the allowed limit of 20.",
            ));
        }
        let mut statuses: Vec<(String, u16)> = Vec::new();
        let mut out = Vec::new();
        for r in reqs {
            let (Some(id), Some(method), Some(url)) = (
                r.get("id").and_then(Value::as_str),
                r.get("method").and_then(Value::as_str),
                r.get("url").and_then(Value::as_str),
            ) else {
                return Err(bad(self));
            };
            let failed_dep = r
                .get("dependsOn")
                .and_then(Value::as_array)
                .is_some_and(|deps| {
                    deps.iter()
                        .filter_map(Value::as_str)
                        .any(|d| statuses.iter().any(|(i, s)| i == d && *s >= 400))
                });
            let resp = if failed_dep {
                error(
                    self.t,
                    self.ctx,
                    424,
                    "FailedDependency",
                    "The request failed because it depended on a request that failed.",
                )
            } else {
                self.batch_request(r, method, url)
            };
            statuses.push((id.to_owned(), resp.status));
            out.push(batch_response(id, resp));
        }
        Ok(Resp::json(200, json!({"responses": out})))
    }

    /// Answers one request of a batch through the dispatcher, with the batch's headers under
    /// its own and a request id of its own.
    fn batch_request(&mut self, r: &Value, method: &str, url: &str) -> Resp {
        let rel = url.trim_start_matches('/');
        let (path, query) = rel.split_once('?').unwrap_or((rel, ""));
        let mut headers = self.req.headers.clone();
        if let Some(h) = r.get("headers").and_then(Value::as_object) {
            for (k, v) in h {
                if let Some(v) = v.as_str() {
                    headers.insert(k.to_ascii_lowercase(), v.to_owned());
                }
            }
        }
        let inner = Req {
            method: method.to_ascii_uppercase(),
            path: format!("/{}/{}", self.version, path),
            query: url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
            headers,
            body: r
                .get("body")
                .map(|b| b.to_string().into_bytes())
                .unwrap_or_default(),
        };
        let segs: Vec<&str> = inner.path.trim_matches('/').split('/').collect();
        self.t.request_counter += 1;
        let ctx = Ctx {
            request_id: crate::rng::uuid_from(
                crate::rng::hash(&[self.t.cfg.seed, 0xBA7, self.t.request_counter]),
                3,
            ),
            ..self.ctx.clone()
        };
        graph(self.t, &ctx, &inner, &segs)
    }
}

/// One entry of the batch's `responses`: id, status, headers and the body as JSON.
fn batch_response(id: &str, resp: Resp) -> Value {
    let mut hs = Map::new();
    for (k, v) in &resp.headers {
        hs.insert(k.clone(), Value::String(v.clone()));
    }
    let mut entry = json!({"id": id, "status": resp.status, "headers": hs});
    match resp.body {
        Body::Json(v) => {
            entry["headers"]["Content-Type"] = Value::String("application/json".into());
            entry["body"] = v;
        }
        Body::Raw(b, mime) => {
            entry["headers"]["Content-Type"] = Value::String(mime.into());
            entry["body"] = serde_json::from_slice(&b)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&b).into_owned()));
        }
        Body::None => {}
    }
    entry
}

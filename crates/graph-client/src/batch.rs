//! JSON batching: any number of requests, sent 20 per `$batch`, answers matched by id.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use entra_auth::{parse_retry_after, RetryPolicy};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::time::Instant;
use url::Url;

use crate::client::{Call, GraphClient};
use crate::error::{ApiError, GraphError};
use crate::request::{ApiVersion, GraphRequest, Method};
use crate::throttle::ThrottleClass;

/// Graph's limit of requests in one `$batch`.
pub const MAX_BATCH_SIZE: usize = 20;

#[derive(Debug, Clone)]
struct Item {
    id: String,
    request: GraphRequest,
    depends_on: Vec<String>,
}

/// A set of requests to send through `$batch`: either independent requests, any number (the
/// client sends them 20 at a time), or one `dependsOn` chain of at most 20 in which each request
/// depends on the one added before it. Graph's advice is "Batch should be either fully
/// sequential or fully parallel" (concepts/json-batching.md); a batch mixing both, or a chain in
/// another shape, is refused before anything is sent.
///
/// ```
/// use graph_client::{Batch, GraphRequest};
/// let mut reads = Batch::new();
/// let a = reads.add(GraphRequest::get("users/a").select(["id"]));
/// reads.add(GraphRequest::get("users/b").select(["id"]));
/// assert_eq!((reads.len(), a.as_str()), (2, "1"));
///
/// let chain = Batch::new()
///     .request("revoke", GraphRequest::post("users/b/revokeSignInSessions"))
///     .request_after("check", GraphRequest::get("users/b"), ["revoke"]);
/// assert_eq!(chain.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct Batch {
    items: Vec<Item>,
    version: Option<ApiVersion>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch::default()
    }

    /// Adds `request` with a generated id (`"1"`, `"2"`, ... skipping ids in use) and returns
    /// the id.
    pub fn add(&mut self, request: GraphRequest) -> String {
        let mut n = self.items.len() + 1;
        let mut id = n.to_string();
        while self.items.iter().any(|i| i.id == id) {
            n += 1;
            id = n.to_string();
        }
        self.items.push(Item {
            id: id.clone(),
            request,
            depends_on: Vec::new(),
        });
        id
    }

    /// Adds `request` under `id`.
    pub fn request(self, id: impl Into<String>, request: GraphRequest) -> Self {
        self.request_after(id, request, std::iter::empty::<String>())
    }

    /// Adds `request` under `id`, to run after the requests `depends_on` (Graph's `dependsOn`:
    /// if one of them fails, this one gets `424 Failed Dependency`). In a chain, `depends_on`
    /// is the id of the request added just before (see [`Batch`]).
    pub fn request_after<I, S>(
        mut self,
        id: impl Into<String>,
        request: GraphRequest,
        depends_on: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.items.push(Item {
            id: id.into(),
            request,
            depends_on: depends_on.into_iter().map(Into::into).collect(),
        });
        self
    }

    /// The API version of the `$batch` call (inner requests must not ask for another).
    /// Default: the client's default version.
    pub fn version(mut self, version: ApiVersion) -> Self {
        self.version = Some(version);
        self
    }

    /// How many requests.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// The answer to one request of a batch.
#[derive(Clone)]
pub struct BatchResponse {
    id: String,
    status: u16,
    headers: HashMap<String, String>,
    body: Option<Box<RawValue>>,
    method: Method,
    path: String,
}

impl fmt::Debug for BatchResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchResponse")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl BatchResponse {
    /// The request's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The request's status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// An inner header (name matched case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        header_ci(&self.headers, name)
    }

    /// The body as raw JSON, if there was one.
    pub fn raw_body(&self) -> Option<&RawValue> {
        self.body.as_deref()
    }

    /// The answer as a `T` (no body decodes as `null`), or the inner error as a [`GraphError`].
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, GraphError> {
        let text = self.body.as_ref().map_or("null", |b| b.get());
        if !self.is_success() {
            return Err(self.error());
        }
        serde_json::from_str(text)
            .map_err(|e| GraphError::decode(self.method.as_str(), &self.path, text.as_bytes(), e))
    }

    /// The inner error answer (for a non-2xx status).
    pub fn error(&self) -> GraphError {
        let text = self.body.as_ref().map_or("", |b| b.get());
        let header = |n: &str| header_ci(&self.headers, n).map(str::to_owned);
        GraphError::from_api(ApiError::from_parts(
            self.status,
            &header,
            text.as_bytes(),
            self.method.as_str(),
            &self.path,
        ))
    }

    fn retry_after(&self) -> Option<Duration> {
        let v = self.header("retry-after")?;
        parse_retry_after(v, self.header("date"), None)
    }
}

fn header_ci<'a>(headers: &'a HashMap<String, String>, name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The answers of a batch, in the order the requests were added.
#[derive(Debug, Clone)]
pub struct BatchResponses {
    responses: Vec<BatchResponse>,
    index: HashMap<String, usize>,
}

impl BatchResponses {
    /// The answer to request `id`.
    pub fn get(&self, id: &str) -> Option<&BatchResponse> {
        self.index.get(id).map(|&i| &self.responses[i])
    }

    /// The answer to request `id` as a `T`, or its error.
    pub fn json<T: DeserializeOwned>(&self, id: &str) -> Result<T, GraphError> {
        self.get(id)
            .ok_or_else(|| GraphError::Batch(format!("no answer for request id {id:?}")))?
            .json()
    }

    /// All answers, in request order.
    pub fn iter(&self) -> impl Iterator<Item = &BatchResponse> {
        self.responses.iter()
    }

    /// How many answers.
    pub fn len(&self) -> usize {
        self.responses.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.responses.is_empty()
    }
}

impl IntoIterator for BatchResponses {
    type Item = BatchResponse;
    type IntoIter = std::vec::IntoIter<BatchResponse>;

    fn into_iter(self) -> Self::IntoIter {
        self.responses.into_iter()
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    id: &'a str,
    method: &'static str,
    url: String,
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    headers: HashMap<&'a str, &'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<&'a RawValue>,
    #[serde(rename = "dependsOn", skip_serializing_if = "Vec::is_empty")]
    depends_on: Vec<&'a str>,
}

#[derive(Serialize)]
struct WireBatch<'a> {
    requests: Vec<WireRequest<'a>>,
}

#[derive(Deserialize)]
struct WireResponse {
    id: String,
    status: u16,
    #[serde(default)]
    headers: HashMap<String, String>,
    #[serde(default)]
    body: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct WireResponses {
    responses: Vec<WireResponse>,
}

/// A validated request ready for the wire.
struct Prepared {
    id: String,
    method: Method,
    url: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Option<Box<RawValue>>,
    depends_on: Vec<String>,
}

impl GraphClient {
    /// Sends `batch` through `POST /$batch`, 20 requests per call, and returns every answer
    /// matched by id. Inner 429/503/504 answers are retried on their own (in a later batch,
    /// after the longest of their `Retry-After` and the backoff), within the retry policy; a
    /// request that was not run because its dependency answered one of those (`424`) is
    /// retried with it. No other inner request is sent twice: a `$batch` holding a POST, PATCH
    /// or DELETE is resent only after an outer 429, never after an outer 503 or 504 that may
    /// have run it. Inner requests are paced by the client-side throttle like single requests.
    ///
    /// A batch that is neither independent requests nor one `dependsOn` chain is refused with
    /// [`GraphError::InvalidRequest`] before anything is sent.
    ///
    /// The outer call fails only if the batch as a whole fails (a 400 for a malformed batch, a
    /// transport error, ...); inner failures are in the answers
    /// ([`BatchResponse::json`] returns them as [`GraphError`]).
    pub async fn batch(&self, batch: Batch) -> Result<BatchResponses, GraphError> {
        let version = batch.version.unwrap_or(self.inner.version);
        let prepared = prepare(&batch, version)?;
        let batch_url = Url::parse(&format!("{}/{}/$batch", self.root(), version))
            .map_err(|e| GraphError::Config(format!("bad $batch URL ({e})")))?;
        let policy: &RetryPolicy = &self.inner.retry;
        let start = Instant::now();
        let mut answers: HashMap<String, BatchResponse> = HashMap::new();
        let mut pending: Vec<&Prepared> = prepared.iter().collect();
        let mut round: u32 = 0;
        loop {
            // Every pending request once, 20 per call.
            let mut got: HashMap<String, BatchResponse> = HashMap::new();
            for chunk in chunk(&pending)? {
                let items: Vec<&Prepared> = chunk.iter().map(|&i| pending[i]).collect();
                self.send_chunk(&batch_url, &items, &mut got).await?;
            }

            // Retry throttled/busy answers, and the requests that failed only because one of
            // their dependencies is retried.
            let mut retry: HashSet<String> = got
                .values()
                .filter(|r| matches!(r.status, 429 | 503 | 504))
                .map(|r| r.id.clone())
                .collect();
            loop {
                let before = retry.len();
                for p in &pending {
                    if got.get(&p.id).is_some_and(|r| r.status == 424)
                        && p.depends_on.iter().any(|d| retry.contains(d))
                    {
                        retry.insert(p.id.clone());
                    }
                }
                if retry.len() == before {
                    break;
                }
            }
            let longest = got
                .values()
                .filter(|r| retry.contains(&r.id))
                .filter_map(BatchResponse::retry_after)
                .max();
            let wait = policy
                .delay(round + 1, start.elapsed(), longest)
                .filter(|_| !retry.is_empty());
            let Some(wait) = wait else {
                answers.extend(got);
                break;
            };
            tracing::info!(
                retried = retry.len(),
                wait_ms = wait.as_millis() as u64,
                "retrying throttled requests of a $batch"
            );
            for (id, r) in got {
                if !retry.contains(&id) {
                    answers.insert(id, r);
                }
            }
            pending.retain(|p| retry.contains(&p.id));
            round += 1;
            tokio::time::sleep(wait).await;
        }

        let mut responses = Vec::with_capacity(prepared.len());
        let mut index = HashMap::new();
        for p in &prepared {
            let r = answers
                .remove(&p.id)
                .ok_or_else(|| GraphError::Batch(format!("no answer for request id {:?}", p.id)))?;
            index.insert(p.id.clone(), responses.len());
            responses.push(r);
        }
        Ok(BatchResponses { responses, index })
    }

    /// One `$batch` call for at most 20 requests; answers go into `got`.
    async fn send_chunk(
        &self,
        url: &Url,
        pending: &[&Prepared],
        got: &mut HashMap<String, BatchResponse>,
    ) -> Result<(), GraphError> {
        for p in pending {
            let class = ThrottleClass::of(p.method, &p.path, &p.query);
            self.inner
                .throttle_acquire(class, p.method, &p.path, &p.query)
                .await;
        }
        let pending_ids: HashSet<&str> = pending.iter().map(|p| p.id.as_str()).collect();
        let wire = WireBatch {
            requests: pending
                .iter()
                .map(|p| WireRequest {
                    id: &p.id,
                    method: p.method.as_str(),
                    url: p.url.clone(),
                    headers: p
                        .headers
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect(),
                    body: p.body.as_deref(),
                    // A dependency answered in an earlier round is not resent.
                    depends_on: p
                        .depends_on
                        .iter()
                        .map(String::as_str)
                        .filter(|d| pending_ids.contains(d))
                        .collect(),
                })
                .collect(),
        };
        let body = serde_json::to_vec(&wire).map_err(|e| {
            GraphError::InvalidRequest(format!("the batch could not be serialized ({e})"))
        })?;
        // A 503 or 504 to the `$batch` itself does not say which inner requests ran: resending
        // it would run a POST, PATCH or DELETE twice. Such a batch is resent only after a 429
        // (nothing ran); the inner answers are what say which requests to resend.
        let writes = pending.iter().any(|p| !is_safe_to_resend(p.method));
        let call = Call {
            method: Method::Post,
            url: url.clone(),
            headers: Arc::new(Vec::new()),
            body: Some(Bytes::from(body)),
            class: ThrottleClass::Other,
            only_if_not_run: writes,
        };
        let answer = self.inner.execute(&call).await?;
        let wire: WireResponses = answer.decode()?;
        for r in wire.responses {
            let Some(p) = pending.iter().find(|p| p.id == r.id) else {
                continue;
            };
            got.insert(
                r.id.clone(),
                BatchResponse {
                    id: r.id,
                    status: r.status,
                    headers: r.headers,
                    body: r.body,
                    method: p.method,
                    path: p.path.clone(),
                },
            );
        }
        if let Some(missing) = pending.iter().find(|p| !got.contains_key(&p.id)) {
            return Err(GraphError::Batch(format!(
                "the answer has no response for request id {:?}",
                missing.id
            )));
        }
        Ok(())
    }
}

/// GET and PUT: running them twice leaves the tenant as running them once.
fn is_safe_to_resend(method: Method) -> bool {
    matches!(method, Method::Get | Method::Put)
}

/// A batch is either independent requests or one `dependsOn` chain in the order added (each
/// request after the first depends on exactly the one before it): "Batch should be either fully
/// sequential or fully parallel" (concepts/json-batching.md, "Sequencing requests with the
/// dependsOn property").
fn check_shape(items: &[Item]) -> Result<(), GraphError> {
    if items.iter().all(|i| i.depends_on.is_empty()) {
        return Ok(());
    }
    for (n, item) in items.iter().enumerate() {
        let expected: &[String] = match n {
            0 => &[],
            _ => std::slice::from_ref(&items[n - 1].id),
        };
        if item.depends_on != expected {
            return Err(GraphError::InvalidRequest(format!(
                "batch request {:?} breaks the dependsOn chain: a batch is either independent \
                 requests or one chain in which each request depends on the one added before it \
                 ({}); send independent requests in a batch of their own",
                item.id,
                match n {
                    0 => "the first depends on none".to_owned(),
                    _ => format!("this one on {:?} alone", items[n - 1].id),
                }
            )));
        }
    }
    Ok(())
}

fn prepare(batch: &Batch, version: ApiVersion) -> Result<Vec<Prepared>, GraphError> {
    let mut seen = HashSet::new();
    for item in &batch.items {
        if !seen.insert(item.id.as_str()) {
            return Err(GraphError::InvalidRequest(format!(
                "duplicate batch request id {:?}",
                item.id
            )));
        }
    }
    check_shape(&batch.items)?;
    let mut out = Vec::with_capacity(batch.items.len());
    for item in &batch.items {
        for dep in &item.depends_on {
            if !seen.contains(dep.as_str()) {
                return Err(GraphError::InvalidRequest(format!(
                    "batch request {:?} depends on unknown id {dep:?}",
                    item.id
                )));
            }
        }
        let r = &item.request;
        if r.version.is_some_and(|v| v != version) {
            return Err(GraphError::InvalidRequest(format!(
                "batch request {:?} asks for API version {} in a {} batch",
                item.id,
                r.version.map_or("", ApiVersion::as_str),
                version
            )));
        }
        let body = match &r.body {
            None => None,
            Some(Err(e)) => {
                return Err(GraphError::InvalidRequest(format!(
                    "the body of batch request {:?} could not be serialized ({e})",
                    item.id
                )))
            }
            Some(Ok(bytes)) => {
                let text = String::from_utf8(bytes.clone()).map_err(|_| {
                    GraphError::InvalidRequest("a batch body is not UTF-8 JSON".to_owned())
                })?;
                Some(RawValue::from_string(text).map_err(|e| {
                    GraphError::InvalidRequest(format!("a batch body is not JSON ({e})"))
                })?)
            }
        };
        let mut headers = r.headers.clone();
        if body.is_some()
            && !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        out.push(Prepared {
            id: item.id.clone(),
            method: r.method,
            url: r.relative_url(),
            path: r.path.clone(),
            query: r.encoded_query(),
            headers,
            body,
            depends_on: item.depends_on.clone(),
        });
    }
    Ok(out)
}

/// Packs the requests into batches of at most 20, keeping every `dependsOn` group together and
/// the groups in the order of their first request.
fn chunk(items: &[&Prepared]) -> Result<Vec<Vec<usize>>, GraphError> {
    let n = items.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let pos: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    for (i, p) in items.iter().enumerate() {
        for d in &p.depends_on {
            if let Some(&j) = pos.get(d.as_str()) {
                let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                parent[a] = b;
            }
        }
    }
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut group_of: HashMap<usize, usize> = HashMap::new();
    for i in 0..n {
        let root = find(&mut parent, i);
        let g = *group_of.entry(root).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    let mut chunks: Vec<Vec<usize>> = Vec::new();
    for g in groups {
        if g.len() > MAX_BATCH_SIZE {
            return Err(GraphError::InvalidRequest(format!(
                "a dependsOn chain of {} requests does not fit in one batch of {MAX_BATCH_SIZE}",
                g.len()
            )));
        }
        match chunks.last_mut() {
            Some(last) if last.len() + g.len() <= MAX_BATCH_SIZE => last.extend(g),
            _ => chunks.push(g),
        }
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forty_five_requests_make_three_batches() {
        let mut b = Batch::new();
        for i in 0..45 {
            b.add(GraphRequest::get(format!("users/{i}")));
        }
        let p = prepare(&b, ApiVersion::V1).unwrap();
        let refs: Vec<&Prepared> = p.iter().collect();
        let c = chunk(&refs).unwrap();
        assert_eq!(c.iter().map(Vec::len).collect::<Vec<_>>(), vec![20, 20, 5]);
    }

    #[test]
    fn a_chain_of_twenty_is_one_batch_and_of_twenty_one_is_refused() {
        let chain = |n: usize| {
            let mut b = Batch::new().request("0", GraphRequest::get("users/0"));
            for i in 1..n {
                b = b.request_after(
                    i.to_string(),
                    GraphRequest::get(format!("users/{i}")),
                    [(i - 1).to_string()],
                );
            }
            b
        };
        let p = prepare(&chain(20), ApiVersion::V1).unwrap();
        let refs: Vec<&Prepared> = p.iter().collect();
        assert_eq!(chunk(&refs).unwrap(), vec![(0..20).collect::<Vec<_>>()]);
        let p = prepare(&chain(21), ApiVersion::V1).unwrap();
        let refs: Vec<&Prepared> = p.iter().collect();
        assert!(chunk(&refs).is_err());
    }

    #[test]
    fn independent_requests_and_a_chain_together_are_refused() {
        let mut b = Batch::new();
        b.add(GraphRequest::get("users/x"));
        let b = b.request("a", GraphRequest::get("users/a")).request_after(
            "b",
            GraphRequest::get("users/b"),
            ["a"],
        );
        let Err(err) = prepare(&b, ApiVersion::V1) else {
            panic!("a mixed batch was accepted");
        };
        assert!(err.to_string().contains("dependsOn chain"), "{err}");
    }

    #[test]
    fn a_request_depending_on_two_or_on_an_earlier_one_is_refused() {
        let two = Batch::new()
            .request("a", GraphRequest::get("users/a"))
            .request_after("b", GraphRequest::get("users/b"), ["a"])
            .request_after("c", GraphRequest::get("users/c"), ["a", "b"]);
        assert!(prepare(&two, ApiVersion::V1).is_err());
        let fan = Batch::new()
            .request("a", GraphRequest::get("users/a"))
            .request_after("b", GraphRequest::get("users/b"), ["a"])
            .request_after("c", GraphRequest::get("users/c"), ["a"]);
        assert!(prepare(&fan, ApiVersion::V1).is_err());
    }

    #[test]
    fn unknown_dependency_is_refused() {
        let b = Batch::new().request_after("b", GraphRequest::get("users/b"), ["nope"]);
        assert!(prepare(&b, ApiVersion::V1).is_err());
    }
}

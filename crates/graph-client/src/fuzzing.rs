//! The crate's parsers of network input, for the fuzz targets in the workspace's `fuzz/`
//! directory. Compiled only with `--cfg fuzzing` (what `cargo fuzz` passes); not an API.

use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{decode_json, GraphClient};
use crate::error::{ApiError, GraphError};
use crate::paging::{Page, PageBody};
use crate::request::Method;
use crate::Continuation;

/// Decodes a collection page body as a [`PageStream`](crate::PageStream) does (UTF-8 check,
/// `value` required, items as `T`).
pub fn page<T: DeserializeOwned>(body: &[u8]) -> Result<Page<T>, GraphError> {
    decode_json::<PageBody<T>>(body, Method::Get, "/v1.0/fuzz")?.into_page("GET", "/v1.0/fuzz")
}

/// Reads a Graph error answer: status, headers (name, value) and body.
pub fn api_error(status: u16, headers: &[(String, String)], body: &[u8]) -> ApiError {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    ApiError::from_parts(status, &header, body, "GET", "/v1.0/fuzz")
}

/// The error a Graph error answer becomes, as callers branch on it.
pub fn graph_error(error: ApiError) -> GraphError {
    GraphError::from_api(error)
}

/// The nextLink guessed from a page's bytes before it is decoded.
pub fn guess_next_link(body: &[u8]) -> Option<String> {
    crate::paging::guess_next_link(body)
}

/// What the page stream does with a page's nextLink: joined to the URL of the page that
/// carried it and checked against the client's origin. The URL of the next request.
pub fn follow_next_link(
    client: &GraphClient,
    current: &Url,
    link: &str,
) -> Result<Url, GraphError> {
    let url = current
        .join(link)
        .map_err(|e| GraphError::InvalidRequest(format!("the nextLink is not a URL ({e})")))?;
    client.inner.check_origin(&url)?;
    Ok(url)
}

/// What [`GraphClient::resume`] does with a saved link (next or delta): the request's URL.
pub fn resume_link(client: &GraphClient, link: &str, delta: bool) -> Result<Url, GraphError> {
    let c = if delta {
        Continuation::delta_link(link)
    } else {
        Continuation::next_link(link)
    };
    client.inner.call_for_link(&c).map(|call| call.url)
}

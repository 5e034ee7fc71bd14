//! The Graph calls of an attempt: each one sent through the client and recorded in the report,
//! and a Graph failure turned into the crate's error.

use futures::TryStreamExt;
use graph_client::{Continuation, GraphError, GraphRequest, GraphResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::Attempt;
use crate::error::{ErrorKind, RemediationError};
use crate::report::CallResult;

#[derive(Deserialize)]
struct Collection<T> {
    #[serde(default = "Vec::new")]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
}

impl Attempt<'_> {
    /// Sends a request, recording the call.
    pub(super) async fn send(
        &mut self,
        request: GraphRequest,
    ) -> Result<GraphResponse, GraphError> {
        let method = request.method().as_str().to_owned();
        let path = request.relative_url();
        let result = self.r.client.execute(request).await;
        self.report.calls.push(match &result {
            Ok(resp) => CallResult {
                method,
                path,
                status: Some(resp.status()),
                request_id: resp.request_id().map(str::to_owned),
                error_code: None,
                error: None,
            },
            Err(e) => CallResult {
                method,
                path,
                status: e.status(),
                request_id: e.request_id().map(str::to_owned),
                error_code: e.code().map(str::to_owned),
                error: Some(e.to_string()),
            },
        });
        result
    }

    /// Reads a collection, every page.
    pub(super) async fn collection<T: DeserializeOwned + Send + 'static>(
        &mut self,
        request: GraphRequest,
    ) -> Result<Vec<T>, GraphError> {
        let first: Collection<T> = self.send(request).await?.json()?;
        let mut items = first.value;
        if let Some(link) = first.next_link {
            let rest: Vec<T> = self
                .r
                .client
                .resume::<T>(Continuation::next_link(link.clone()))
                .items()
                .try_collect()
                .await?;
            self.report.calls.push(CallResult {
                method: "GET".to_owned(),
                path: link,
                status: Some(200),
                request_id: None,
                error_code: None,
                error: None,
            });
            items.extend(rest);
        }
        Ok(items)
    }
}

/// A Graph failure as the error kind: a 403 despite the permission gate is [`ErrorKind::Forbidden`].
pub(super) fn graph_failure(e: &GraphError, call: &str) -> RemediationError {
    let kind = if e.is_forbidden() && !e.is_licence_required() {
        ErrorKind::Forbidden {
            call: call.to_owned(),
            code: e.code().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
        }
    } else {
        ErrorKind::Graph {
            call: call.to_owned(),
            status: e.status(),
            code: e.code().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
            message: match (e.status(), e.code(), e.message()) {
                (Some(status), code, message) => {
                    let mut text = format!("Graph answered {status}");
                    if let Some(code) = code {
                        text.push_str(&format!(" {code}"));
                    }
                    if let Some(message) = message {
                        text.push_str(&format!(" ({message})"));
                    }
                    text
                }
                _ => e.to_string(),
            },
        }
    };
    RemediationError::new(kind)
}

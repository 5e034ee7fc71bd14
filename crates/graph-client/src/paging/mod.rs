//! OData paging as streams: pages, items, continuations, delta links. The task that fetches
//! the pages ahead of the consumer is in `prefetch`.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::Stream;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::client::{Call, GraphClient};
use crate::error::GraphError;
use crate::throttle::ThrottleClass;

mod lenient;
mod prefetch;

pub use lenient::{Lenient, RejectedItem};
#[cfg(any(fuzzing, test))]
pub(crate) use prefetch::guess_next_link;
use prefetch::{produce, PAGES_AHEAD};

/// How many pages one crawl (a [`PageStream`]) follows at most by default: generous (100,000
/// pages of 1,000 sign-ins is 100 million items), but finite, so that a service bug cannot keep
/// a crawl going for ever. See [`PageStream::max_pages`].
pub const DEFAULT_MAX_PAGES: u64 = 100_000;

/// One page of a collection: its items and its OData control values.
///
/// It deserializes from the body Graph sends (`{"value":[...],"@odata.nextLink":...}`), so it
/// can also be used on its own with `serde_json`. `value` is required: an answer without it is
/// not a page (a [`PageStream`] reports it as [`GraphError::MissingValue`]), never an empty
/// last page.
///
/// To keep the items that do not parse as `T` instead of failing the page, read pages of
/// [`Lenient<T>`].
#[derive(Debug, Clone, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items (`value`). May be empty while a nextLink is present.
    #[serde(rename = "value")]
    pub items: Vec<T>,
    /// `@odata.nextLink`: the full URL of the next page.
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    /// `@odata.deltaLink`: present on the last page of a delta round; save it.
    #[serde(rename = "@odata.deltaLink", default)]
    pub delta_link: Option<String>,
    /// `@odata.count` (first page only, with `$count=true`).
    #[serde(rename = "@odata.count", default)]
    pub count: Option<u64>,
    #[serde(skip)]
    headers: Arc<Vec<(String, String)>>,
    #[serde(skip)]
    class: Option<ThrottleClass>,
}

/// A page as decoded off the wire, `value` optional so that its absence is told apart from a
/// page that does not parse.
#[derive(Deserialize)]
pub(crate) struct PageBody<T> {
    // A missing `Option` field reads as `None` (no `default`, which would ask `T: Default`).
    value: Option<Vec<T>>,
    #[serde(rename = "@odata.nextLink", default)]
    next_link: Option<String>,
    #[serde(rename = "@odata.deltaLink", default)]
    delta_link: Option<String>,
    #[serde(rename = "@odata.count", default)]
    count: Option<u64>,
}

impl<T> PageBody<T> {
    /// The page, or [`GraphError::MissingValue`] naming the request when `value` is absent.
    pub(crate) fn into_page(self, method: &str, path: &str) -> Result<Page<T>, GraphError> {
        let Some(items) = self.value else {
            return Err(GraphError::MissingValue {
                method: method.to_owned(),
                path: path.to_owned(),
            });
        };
        Ok(Page {
            items,
            next_link: self.next_link,
            delta_link: self.delta_link,
            count: self.count,
            headers: Arc::default(),
            class: None,
        })
    }
}

impl<T> Page<T> {
    /// Where to resume after this page: its nextLink, else its deltaLink (with the request's
    /// extra headers). `None` when this was the last page of a plain collection.
    pub fn continuation(&self) -> Option<Continuation> {
        let (link, kind) = match (&self.next_link, &self.delta_link) {
            (Some(next), _) => (next, LinkKind::Next),
            (None, Some(delta)) => (delta, LinkKind::Delta),
            (None, None) => return None,
        };
        Some(Continuation {
            link: link.clone(),
            kind,
            headers: self.headers.as_ref().clone(),
            class: self.class,
        })
    }

    /// The deltaLink, if this is the last page of a delta round.
    pub fn delta_link(&self) -> Option<&str> {
        self.delta_link.as_deref()
    }

    /// Whether there is no next page.
    pub fn is_last(&self) -> bool {
        self.next_link.is_none()
    }
}

/// What a [`Continuation`] link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum LinkKind {
    /// The first request of a collection.
    Start,
    /// An `@odata.nextLink`.
    #[default]
    Next,
    /// An `@odata.deltaLink`.
    Delta,
}

/// Where a page stream stopped: a link plus the extra headers to re-send (`ConsistencyLevel`,
/// `Prefer`). Serializable, so a crawl can be persisted and resumed with
/// [`GraphClient::resume`] after a restart.
///
/// ```
/// use graph_client::Continuation;
/// let saved = Continuation::delta_link("https://graph.microsoft.com/v1.0/users/delta?$deltatoken=abc")
///     .with_header("Prefer", "return=minimal");
/// let json = serde_json::to_string(&saved).unwrap();
/// let back: Continuation = serde_json::from_str(&json).unwrap();
/// assert_eq!(back, saved);
/// assert!(back.is_delta());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    link: String,
    #[serde(default)]
    kind: LinkKind,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    class: Option<ThrottleClass>,
}

impl Continuation {
    /// A continuation from a saved `@odata.nextLink`.
    pub fn next_link(link: impl Into<String>) -> Self {
        Continuation {
            link: link.into(),
            kind: LinkKind::Next,
            headers: Vec::new(),
            class: None,
        }
    }

    /// A continuation from a saved `@odata.deltaLink`.
    pub fn delta_link(link: impl Into<String>) -> Self {
        Continuation {
            link: link.into(),
            kind: LinkKind::Delta,
            headers: Vec::new(),
            class: None,
        }
    }

    /// Adds a header to re-send with every page.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The link.
    pub fn link(&self) -> &str {
        &self.link
    }

    /// What the link is.
    pub fn kind(&self) -> LinkKind {
        self.kind
    }

    /// Whether the link is a deltaLink.
    pub fn is_delta(&self) -> bool {
        self.kind == LinkKind::Delta
    }

    /// The headers re-sent with every page.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    pub(crate) fn class(&self) -> Option<ThrottleClass> {
        self.class
    }
}

type PageResult<T> = Result<Page<T>, GraphError>;

enum State<T> {
    Idle(Box<Call>),
    Running {
        rx: mpsc::Receiver<PageResult<T>>,
        task: JoinHandle<()>,
    },
    Failed(Box<GraphError>),
    Done,
}

/// A stream of pages ([`Page<T>`]), fetched ahead of the consumer.
///
/// The first poll starts a task (on the current tokio runtime) that works while the consumer
/// processes the current page: as soon as a page has arrived, the next one is asked for, and the
/// page is decoded meanwhile (on the blocking pool when large) and handed over the moment it is
/// decoded. The stream is bounded: at most three pages ahead of the consumer (fetched or being
/// fetched, being decoded, or decoded and waiting), so that a slow decode does not hold the next
/// fetch back. Dropping the stream stops the task (a stopped crawl may have fetched up to three
/// pages it never yielded; resuming fetches them again). After an error the stream ends;
/// [`continuation`](Self::continuation) then points at the page that failed, so the crawl can
/// be resumed later.
pub struct PageStream<T> {
    client: GraphClient,
    /// Most pages held ahead of the consumer (see [`PageStream::ahead`]).
    ahead: usize,
    /// Most pages the crawl follows (see [`PageStream::max_pages`]).
    max_pages: u64,
    /// The request observer in scope where the stream was created (its fetches report to it).
    observer: Option<crate::observe::Observer>,
    state: State<T>,
    /// The link of the page the next poll yields (`None` once the collection is exhausted).
    pending: Option<Continuation>,
    delta_link: Option<String>,
}

impl<T> fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Idle(_) => "idle",
            State::Running { .. } => "running",
            State::Failed(_) => "failed",
            State::Done => "done",
        };
        f.debug_struct("PageStream")
            .field("state", &state)
            .field("pending", &self.pending)
            .field("delta_link", &self.delta_link.is_some())
            .finish_non_exhaustive()
    }
}

impl<T> Drop for PageStream<T> {
    fn drop(&mut self) {
        if let State::Running { task, .. } = &self.state {
            task.abort();
        }
    }
}

impl<T> PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    pub(crate) fn new(client: GraphClient, call: Call) -> Self {
        let pending = Continuation {
            link: call.url.to_string(),
            kind: LinkKind::Start,
            headers: call.headers.as_ref().clone(),
            class: Some(call.class),
        };
        PageStream {
            client,
            ahead: PAGES_AHEAD,
            max_pages: DEFAULT_MAX_PAGES,
            observer: crate::observe::current(),
            state: State::Idle(Box::new(call)),
            pending: Some(pending),
            delta_link: None,
        }
    }

    pub(crate) fn failed(client: GraphClient, error: GraphError) -> Self {
        PageStream {
            client,
            ahead: PAGES_AHEAD,
            max_pages: DEFAULT_MAX_PAGES,
            observer: None,
            state: State::Failed(Box::new(error)),
            pending: None,
            delta_link: None,
        }
    }

    /// The items of the pages, flattened.
    pub fn items(self) -> ItemStream<T> {
        ItemStream {
            pages: self,
            buffer: Vec::new().into_iter(),
        }
    }
}

impl<T> PageStream<T> {
    /// Where to resume: the link of the next page not yet yielded (the start URL before the
    /// first page, the failed page's link after an error). `None` once the collection has been
    /// read to the end.
    pub fn continuation(&self) -> Option<Continuation> {
        self.pending.clone()
    }

    /// The deltaLink of the last page, once a delta round has been read to the end.
    pub fn delta_link(&self) -> Option<&str> {
        self.delta_link.as_deref()
    }

    /// The client the stream uses.
    pub fn client(&self) -> &GraphClient {
        &self.client
    }

    /// Holds at most `pages` pages ahead of the consumer (1 to 3; default 3): fewer for a
    /// caller that reads several streams at once and wants their memory bounded tighter (with
    /// 1 there is no prefetch: the next page is fetched when this one is taken). Has an effect
    /// before the first poll only.
    pub fn ahead(mut self, pages: usize) -> Self {
        self.ahead = pages.clamp(1, PAGES_AHEAD);
        self
    }

    /// Follows at most `pages` pages (at least 1; default [`DEFAULT_MAX_PAGES`]): the page after
    /// the limit is not fetched, and the stream ends with [`GraphError::PageLimit`] (its
    /// [`continuation`](Self::continuation) is where to resume). Independently of the limit, a
    /// nextLink that leads back to a page already fetched in this crawl (or to its first
    /// request) ends the stream with [`GraphError::PagingLoop`]. Has an effect before the first
    /// poll only.
    pub fn max_pages(mut self, pages: u64) -> Self {
        self.max_pages = pages.max(1);
        self
    }
}

impl<T> Stream for PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    type Item = PageResult<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Idle(_) => {
                    let State::Idle(call) = std::mem::replace(&mut this.state, State::Done) else {
                        unreachable!("matched Idle above")
                    };
                    // Capacity 1: one decoded page waits for the consumer, and `produce` counts
                    // it among the pages it holds ahead (`PAGES_AHEAD`).
                    let (tx, rx) = mpsc::channel(1);
                    let inner = Arc::clone(&this.client.inner);
                    let task = tokio::spawn(crate::observe::scoped(
                        this.observer.clone(),
                        produce::<T>(inner, *call, tx, this.ahead, this.max_pages),
                    ));
                    this.state = State::Running { rx, task };
                }
                State::Failed(_) => {
                    let State::Failed(e) = std::mem::replace(&mut this.state, State::Done) else {
                        unreachable!("matched Failed above")
                    };
                    return Poll::Ready(Some(Err(*e)));
                }
                State::Done => return Poll::Ready(None),
                State::Running { rx, .. } => {
                    return match rx.poll_recv(cx) {
                        Poll::Pending => Poll::Pending,
                        Poll::Ready(Some(Ok(page))) => {
                            this.pending = page.continuation().filter(|c| !c.is_delta());
                            if page.delta_link.is_some() {
                                this.delta_link = page.delta_link.clone();
                            }
                            Poll::Ready(Some(Ok(page)))
                        }
                        Poll::Ready(Some(Err(e))) => {
                            this.state = State::Done;
                            Poll::Ready(Some(Err(e)))
                        }
                        Poll::Ready(None) => {
                            this.state = State::Done;
                            Poll::Ready(None)
                        }
                    };
                }
            }
        }
    }
}

/// A stream of the items of a collection (the pages of a [`PageStream`], flattened).
pub struct ItemStream<T> {
    pages: PageStream<T>,
    buffer: std::vec::IntoIter<T>,
}

impl<T> fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemStream")
            .field("pages", &self.pages)
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

// Neither stream is self-referential: the items are only moved, never pinned.
impl<T> Unpin for ItemStream<T> {}
impl<T> Unpin for PageStream<T> {}

impl<T> ItemStream<T> {
    /// The deltaLink, once a delta round has been read to the end.
    pub fn delta_link(&self) -> Option<&str> {
        self.pages.delta_link()
    }

    /// Where to resume once the items already yielded are handled, if the current page has been
    /// consumed entirely (`None` while items of the current page remain, or at the end).
    pub fn continuation(&self) -> Option<Continuation> {
        if self.buffer.len() == 0 {
            self.pages.continuation()
        } else {
            None
        }
    }
}

impl<T> Stream for ItemStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    type Item = Result<T, GraphError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(item) = this.buffer.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match Pin::new(&mut this.pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(page))) => this.buffer = page.items.into_iter(),
            }
        }
    }
}

//! The producer behind a [`PageStream`](super::PageStream): a task that fetches pages ahead of
//! the consumer (at the nextLink guessed from a page's bytes, before the page is decoded),
//! decodes them (large ones on the blocking pool) and hands them over in order.

use std::collections::{HashSet, VecDeque};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::SendError;

use super::{PageBody, PageResult};
use crate::client::{Answer, Call, Inner};
use crate::error::GraphError;

/// Bodies at least this large are decoded on the blocking pool, so that a large page's decode
/// runs beside the fetch of the next one (and beside the decode of another page) even on a
/// single-threaded runtime.
const BLOCKING_DECODE_BYTES: usize = 256 * 1024;

/// How many pages a stream holds ahead of its consumer at most: fetched or being fetched,
/// being decoded, or decoded and waiting to be taken.
///
/// Three, so that the next fetch never waits for a slow decode: while page `n` is still
/// decoding (a 1,000-sign-in page is about 4 MB of JSON, and its decode can take longer than
/// the next page's round trip on a busy machine), page `n + 1` may decode beside it and page
/// `n + 2` be fetched. A dropped stream may therefore have fetched up to three pages it never
/// yielded; resuming fetches them again.
pub(super) const PAGES_AHEAD: usize = 3;

/// Starts decoding a page: on the blocking pool when the body is large (the decode then runs on
/// its own, whoever polls it), in place otherwise.
fn start_decode<T>(answer: Answer, call: &Call) -> BoxFuture<'static, PageResult<T>>
where
    T: DeserializeOwned + Send + 'static,
{
    let headers = Arc::clone(&call.headers);
    let class = call.class;
    let finish = move |page: PageResult<T>| {
        page.map(|mut page| {
            page.headers = headers;
            page.class = Some(class);
            page
        })
    };
    if answer.body.len() < BLOCKING_DECODE_BYTES {
        let page = finish(decode_page(&answer));
        return Box::pin(std::future::ready(page));
    }
    let (method, path) = (answer.method, answer.path.clone());
    let decode = tokio::task::spawn_blocking(move || decode_page::<T>(&answer));
    Box::pin(async move {
        match decode.await {
            Ok(page) => finish(page),
            Err(e) => Err(GraphError::InvalidRequest(format!(
                "decoding the page of {method} {path} panicked or was cancelled ({e})"
            ))),
        }
    })
}

/// Decodes a page; an answer without `value` is [`GraphError::MissingValue`], not a last page.
fn decode_page<T: DeserializeOwned>(answer: &Answer) -> PageResult<T> {
    answer
        .decode::<PageBody<T>>()?
        .into_page(answer.method.as_str(), &answer.path)
}

/// A link's fingerprint in the set of links a crawl has followed (8 bytes a page, not the
/// link's few hundred).
fn link_key(url: &url::Url) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    url.as_str().hash(&mut h);
    h.finish()
}

/// A guess of the page's `@odata.nextLink`, found by a byte search instead of a parse, so that
/// the next fetch can start while this page is decoded. The guess is only a prefetch hint: the
/// decoded page's own nextLink decides, and a wrong guess is discarded (its answer unused).
///
/// The search stays off the items: the head before `"value":` (the directory style), else from
/// the end backwards (the reports style), so a page of megabytes costs a few hundred bytes of
/// search, not a scan of the whole body.
pub(crate) fn guess_next_link(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"@odata.nextLink\":\"";
    let head = match memchr::memmem::find(body, b"\"value\":") {
        Some(value_at) => &body[..value_at],
        None => body,
    };
    let at = match memchr::memmem::find(head, KEY) {
        // Before the items: a top-level key (the directory style).
        Some(first) => first,
        // After the items: the last occurrence (the reports style).
        None => memchr::memmem::rfind(body, KEY)?,
    };
    let rest = &body[at + KEY.len()..];
    let end = memchr::memchr(b'"', rest)?;
    let link = std::str::from_utf8(&rest[..end]).ok()?;
    // Escapes (`\/`) are left to the real parse.
    (!link.contains('\\')).then(|| link.to_owned())
}

/// A page in the pipeline, in collection order.
struct Ahead<T> {
    /// The request of this page (its URL is what the page before it must link to).
    call: Call,
    stage: Stage<T>,
}

enum Stage<T> {
    /// Being decoded (on the blocking pool for a large page).
    Decoding(BoxFuture<'static, PageResult<T>>),
    /// Decoded, or failed: waiting for the consumer to have room.
    Ready(PageResult<T>),
}

impl<T> Ahead<T> {
    fn failed(call: Call, error: GraphError) -> Self {
        Ahead {
            call,
            stage: Stage::Ready(Err(error)),
        }
    }
}

/// The fetch in flight (at most one: a page's link is only known once the page before it is in).
struct Fetching {
    call: Call,
    answer: BoxFuture<'static, Result<Answer, GraphError>>,
}

type Reserve<T> = BoxFuture<'static, Result<mpsc::OwnedPermit<PageResult<T>>, SendError<()>>>;

enum Event<T> {
    Fetched(Result<Answer, GraphError>),
    Deliver(mpsc::OwnedPermit<PageResult<T>>),
    /// The consumer took the page handed over: there is room for the next fetch.
    Room,
    Closed,
}

/// Fetches, decodes and hands over the pages, as a pipeline whose critical path is the chain of
/// fetches.
///
/// The reports APIs put the nextLink after the items, so page `n + 1` cannot be asked for
/// before page `n` has arrived whole. As soon as it has, page `n + 1` is asked for at the link
/// [guessed](guess_next_link) from page `n`'s bytes, and page `n` is decoded meanwhile; decoded
/// pages are handed over in order, each the moment it is decoded and the consumer has room. A
/// page's own decoded nextLink decides: when it is not where the guess went, what was fetched
/// after it is dropped and the real link is fetched (a link to another origin is refused, in
/// order, before any request). At most [`PAGES_AHEAD`] pages are in the pipeline and the channel
/// together; a fetch or decode error is handed over in its place and ends the stream.
pub(super) async fn produce<T>(
    inner: Arc<Inner>,
    first: Call,
    tx: mpsc::Sender<PageResult<T>>,
    ahead: usize,
    max_pages: u64,
) where
    T: DeserializeOwned + Send + 'static,
{
    Producer::new(inner, first, tx, ahead, max_pages)
        .run()
        .await
}

/// The state of [`produce`]'s pipeline.
struct Producer<T> {
    inner: Arc<Inner>,
    tx: mpsc::Sender<PageResult<T>>,
    /// Most pages held ahead of the consumer.
    ahead: usize,
    /// The pages fetched, in collection order: being decoded, or waiting for room.
    queue: VecDeque<Ahead<T>>,
    fetching: Option<Fetching>,
    /// The page to fetch after the last one in the pipeline, once there is room.
    next: Option<Call>,
    /// Room asked for in the channel (for the head of the queue, or to learn that the consumer
    /// took the page handed over).
    reserve: Option<Reserve<T>>,
    /// The links of the crawl confirmed so far (its first request, then each page's real
    /// nextLink): one of them again is a paging loop.
    followed: HashSet<u64>,
    /// Most pages the crawl follows.
    max_pages: u64,
    /// The URL path of the crawl's first request (named by a page-limit error).
    first_path: String,
}

impl<T> Producer<T>
where
    T: DeserializeOwned + Send + 'static,
{
    fn new(
        inner: Arc<Inner>,
        first: Call,
        tx: mpsc::Sender<PageResult<T>>,
        ahead: usize,
        max_pages: u64,
    ) -> Self {
        let followed = HashSet::from([link_key(&first.url)]);
        let first_path = first.url.path().to_owned();
        let fetching = Some(fetch(&inner, first));
        Producer {
            inner,
            tx,
            ahead,
            queue: VecDeque::with_capacity(ahead),
            fetching,
            next: None,
            reserve: None,
            followed,
            max_pages,
            first_path,
        }
    }

    async fn run(mut self) {
        loop {
            if self.fetching.is_none() && self.held() < self.ahead {
                self.fetching = self.next.take().map(|call| fetch(&self.inner, call));
            }
            if self.queue.is_empty() && self.fetching.is_none() && self.next.is_none() {
                return;
            }
            let event = std::future::poll_fn(|cx| self.poll_event(cx)).await;
            match event {
                Event::Closed => return,
                Event::Room => {}
                Event::Fetched(answer) => self.fetched(answer),
                Event::Deliver(permit) => {
                    if !self.deliver(permit) {
                        return;
                    }
                }
            }
        }
    }

    /// Pages handed over that the consumer has not taken yet.
    fn in_channel(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Pages held ahead of the consumer: in the queue and in the channel.
    fn held(&self) -> usize {
        self.queue.len() + self.in_channel()
    }

    /// What happens next: the fetch in flight answers, the head of the queue can be handed
    /// over, the consumer makes room, or the consumer is gone.
    ///
    /// When a fetch waits for room with pages in the queue, the head's decode or its
    /// reservation wakes this up. With nothing in the queue (one page ahead: the page handed
    /// over is all the stream may hold), a reservation does: it completes when the consumer
    /// takes that page, and is given back at once.
    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Event<T>> {
        if let Some(f) = self.fetching.as_mut() {
            if let Poll::Ready(answer) = f.answer.as_mut().poll(cx) {
                return Poll::Ready(Event::Fetched(answer));
            }
        }
        let Some(head) = self.queue.front_mut() else {
            if self.fetching.is_some() || self.next.is_none() {
                return Poll::Pending;
            }
            let tx = &self.tx;
            let room = self
                .reserve
                .get_or_insert_with(|| Box::pin(tx.clone().reserve_owned()));
            return room.as_mut().poll(cx).map(|permit| {
                self.reserve = None;
                match permit {
                    Ok(_) => Event::Room,
                    Err(_) => Event::Closed,
                }
            });
        };
        if let Stage::Decoding(decode) = &mut head.stage {
            match decode.as_mut().poll(cx) {
                Poll::Ready(page) => head.stage = Stage::Ready(page),
                Poll::Pending => return Poll::Pending,
            }
        }
        let tx = &self.tx;
        let permit = self
            .reserve
            .get_or_insert_with(|| Box::pin(tx.clone().reserve_owned()));
        permit.as_mut().poll(cx).map(|permit| {
            self.reserve = None;
            match permit {
                Ok(permit) => Event::Deliver(permit),
                Err(_) => Event::Closed,
            }
        })
    }

    /// A page's answer is in: the next page is asked for at the guessed link when there is
    /// room (before this page's decode starts: the fetch is the critical path), and the page
    /// goes to the queue to be decoded. A failed fetch goes to the queue as the error.
    fn fetched(&mut self, answer: Result<Answer, GraphError>) {
        let Some(Fetching { call, .. }) = self.fetching.take() else {
            unreachable!("only a fetch in flight answers")
        };
        let answer = match answer {
            Ok(answer) => answer,
            Err(e) => {
                // Nothing follows a failed page (unless the page before it links
                // elsewhere: see `deliver`).
                self.queue.push_back(Ahead::failed(call, e));
                return;
            }
        };
        // Only a guess that stays on the configured origin, leads to a page not read yet and is
        // within the page limit is fetched early.
        let room = (self.followed.len() as u64) < self.max_pages;
        self.next = guess_next_link(&answer.body)
            .and_then(|link| call.url.join(&link).ok())
            .filter(|url| room && self.inner.check_origin(url).is_ok())
            .filter(|url| !self.followed.contains(&link_key(url)))
            .map(|url| call.next_page(url));
        if self.held() + 1 < self.ahead {
            self.fetching = self.next.take().map(|call| fetch(&self.inner, call));
        }
        let decode = start_decode(answer, &call);
        self.queue.push_back(Ahead {
            call,
            stage: Stage::Decoding(decode),
        });
    }

    /// Hands the decoded head of the queue over, first checking that what follows it in the
    /// pipeline is what its own nextLink says (see [`follow_real_link`](Self::follow_real_link)).
    /// `false` when the stream ends here (the head was an error).
    fn deliver(&mut self, permit: mpsc::OwnedPermit<PageResult<T>>) -> bool {
        let Some(Ahead {
            call,
            stage: Stage::Ready(page),
        }) = self.queue.pop_front()
        else {
            unreachable!("a permit is only reserved for a decoded head")
        };
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                permit.send(Err(e));
                return false;
            }
        };
        self.follow_real_link(call, page.next_link.as_deref());
        permit.send(Ok(page));
        true
    }

    /// Admits `real` as the crawl's next page: a link already followed is a paging loop, and a
    /// page past the limit is refused.
    fn admit(&mut self, real: &url::Url) -> Result<(), GraphError> {
        if self.followed.contains(&link_key(real)) {
            return Err(GraphError::PagingLoop {
                path: real.path().to_owned(),
            });
        }
        if self.followed.len() as u64 >= self.max_pages {
            return Err(GraphError::PageLimit {
                path: self.first_path.clone(),
                limit: self.max_pages,
            });
        }
        self.followed.insert(link_key(real));
        Ok(())
    }

    /// The page of `call` links to `next_link`: when the pipeline after it went elsewhere (a
    /// wrong guess, or none), what it holds is dropped and the real link is fetched next. A
    /// nextLink that is not a URL, on another origin, already followed in this crawl (a loop)
    /// or past the page limit is refused in order, before anything (token included) is sent.
    fn follow_real_link(&mut self, call: Call, next_link: Option<&str>) {
        let real = next_link.map(|link| {
            call.url
                .join(link)
                .map_err(|e| GraphError::InvalidRequest(format!("the nextLink is not a URL ({e})")))
                .and_then(|url| self.admit(&url).map(|()| url))
        });
        let follows = self
            .queue
            .front()
            .map(|ahead| &ahead.call.url)
            .or(self.fetching.as_ref().map(|f| &f.call.url))
            .or(self.next.as_ref().map(|call| &call.url));
        let guessed_right = match (&real, follows) {
            (Some(Ok(real)), Some(follows)) => real == follows,
            (None, None) => true,
            _ => false,
        };
        if guessed_right {
            return;
        }
        self.queue.clear();
        self.fetching = None;
        self.next = None;
        match real {
            None => {}
            Some(Err(e)) => self.queue.push_back(Ahead::failed(call, e)),
            Some(Ok(real)) => match self.inner.check_origin(&real) {
                Ok(()) => self.next = Some(call.next_page(real)),
                Err(e) => self.queue.push_back(Ahead::failed(call, e)),
            },
        }
    }
}

/// Starts the fetch of `call` through the client's pipeline (throttle, token, retry).
fn fetch(inner: &Arc<Inner>, call: Call) -> Fetching {
    let inner = Arc::clone(inner);
    let request = call.clone();
    Fetching {
        call,
        answer: Box::pin(async move { inner.execute(&request).await }),
    }
}

#[cfg(test)]
mod tests {
    use super::guess_next_link;

    #[test]
    fn next_link_guess_finds_the_directory_and_reports_styles() {
        let directory = br#"{"@odata.context":"c","@odata.nextLink":"https://g/v1.0/users?$skiptoken=a","value":[{"id":"1"}]}"#;
        assert_eq!(
            guess_next_link(directory).as_deref(),
            Some("https://g/v1.0/users?$skiptoken=a")
        );
        let reports = br#"{"value":[{"x":{"@odata.nextLink":"https://g/decoy"}}],"@odata.nextLink":"https://g/real"}"#;
        assert_eq!(guess_next_link(reports).as_deref(), Some("https://g/real"));
        assert_eq!(guess_next_link(br#"{"value":[]}"#), None);
        let escaped = br#"{"value":[],"@odata.nextLink":"https:\/\/g\/x"}"#;
        assert_eq!(
            guess_next_link(escaped),
            None,
            "escaped links are left to the parser"
        );
    }
}

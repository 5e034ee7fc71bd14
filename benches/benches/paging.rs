//! `paging`: stream pages of 1,000 realistic sign-ins through `graph-client`, typed, from a local
//! HTTP server, against a bare loop on the same pages.
//!
//! The server is cheap and fair to the client it shares the machine with: the page bodies are
//! generated and serialised once, before any measurement, and each answer only writes those
//! bytes (with the page's own nextLink spliced in). The nextLink comes after the items, as in
//! the reports APIs' answers, so no client can ask for page `n + 1` before page `n` has arrived
//! whole.
//!
//! - `paging_200x1000/graph_client_typed`: `GraphClient::pages::<SignIn>` over 200 pages (throttle
//!   pacing off: the reports class would otherwise hold it to 5 pages / 10 s);
//! - `paging_200x1000/bare_loop_from_slice`: reqwest GET + `serde_json::from_slice::<Page<SignIn>>`,
//!   following the nextLink; `bare_loop_from_str` does the same after one UTF-8 check (as the
//!   client does).
//!   Target: the client within 1.2x of the bare loop.
//! - `paging_latency_50x1000`: the server waits 20 ms (a timer, no CPU) before each page, and the
//!   consumer spends 20 ms on each page, also waiting (an `await`ed sleep, like a store write
//!   over the network: it leaves the CPU to the client). Target: `graph_client_prefetch` within
//!   1.3x of the larger of the two, 50 x 20 ms = 1 s, where `bare_loop_sequential` takes their
//!   sum plus the transfer and the decode. A page also takes time to cross the loopback (about
//!   4 MB), so no client reaches 1 s: `ideal_pipelined` measures what this machine allows,
//!   max(latency + transfer, consumer) per page, fetching every page's bytes one page ahead of
//!   the same consumer and decoding nothing. `paging_latency_50x100` repeats the scenario with
//!   pages of 100 sign-ins (transfer and decode small next to the 20 ms).
//!
//! Run: `cargo bench -p benches --bench paging`. Criterion runs each function for its own
//! 15-25 s, under whatever load the machine has then; for ratios taken under one load,
//! `OORT_PAGING_RATIO=5 cargo bench -p benches --bench paging` runs each case instead five
//! times as back-to-back pairs (`bare_loop_from_slice` or `ideal_pipelined`, then the client)
//! and prints each pair's times, its ratios (to the bare loop; to the ideal and to the nominal
//! 1 s) and the load average, with a breakdown of a latency page's cost (latency + transfer,
//! decode alone).

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use entra_auth::{AccessToken, AuthError, TokenClaims, TokenCredential};
use entra_model::SignIn;
use futures::StreamExt;
use graph_client::{GraphClient, GraphRequest, Page};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const PER_PAGE: usize = 1_000;
const TEMPLATES: usize = 4;

/// Page bodies split around the nextLink, so that page `n` links to page `n + 1`. Built once:
/// the server only writes bytes (head, link, tail), it never generates nor serialises a page
/// per request.
///
/// The link comes after the items (`{"@odata.context","value":[...],"@odata.nextLink"}`), the
/// order of the reports APIs (sign-ins, directory audits): the next request cannot be known before
/// the whole body has arrived, the hard case for a prefetching client.
struct Bodies {
    heads: Vec<Vec<u8>>,
    tails: Vec<Vec<u8>>,
    last: Vec<u8>,
}

impl Bodies {
    fn new(per_page: usize) -> Self {
        let mut heads = Vec::new();
        let mut tails = Vec::new();
        for t in 0..TEMPLATES {
            let mut page = benches::sign_in_page(t as u64 + 1, per_page, None);
            assert_eq!(page.pop(), Some(b'}'), "a JSON object");
            page.extend_from_slice(br#","@odata.nextLink":""#);
            heads.push(page);
            tails.push(br#""}"#.to_vec());
        }
        let last = benches::sign_in_page(99, per_page, None);
        Bodies { heads, tails, last }
    }

    fn bytes_per_page(&self) -> usize {
        self.last.len()
    }
}

/// A minimal HTTP/1.1 keep-alive server for `/v1.0/auditLogs/signIns?$skiptoken=n`, on its own
/// thread and runtime.
fn start_server(bodies: Arc<Bodies>, pages: usize, latency: Duration) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
            let addr = format!("http://{}", listener.local_addr().expect("addr"));
            tx.send(addr.clone()).expect("send addr");
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    continue;
                };
                let bodies = Arc::clone(&bodies);
                let addr = addr.clone();
                tokio::spawn(async move {
                    let _ = serve(sock, bodies, pages, latency, addr).await;
                });
            }
        });
    });
    rx.recv().expect("server address")
}

async fn serve(
    sock: TcpStream,
    bodies: Arc<Bodies>,
    pages: usize,
    latency: Duration,
    addr: String,
) -> std::io::Result<()> {
    sock.set_nodelay(true)?;
    let (r, mut w) = sock.into_split();
    let mut r = BufReader::new(r);
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        loop {
            let mut h = String::new();
            if r.read_line(&mut h).await? == 0 || h == "\r\n" {
                break;
            }
        }
        let target = line.split_whitespace().nth(1).unwrap_or("/");
        let n: usize = target
            .split("$skiptoken=")
            .nth(1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let t = n % TEMPLATES;
        let link = format!("{addr}/v1.0/auditLogs/signIns?$skiptoken={}", n + 1);
        let parts: Vec<&[u8]> = if n + 1 < pages {
            vec![&bodies.heads[t], link.as_bytes(), &bodies.tails[t]]
        } else {
            vec![&bodies.last]
        };
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len}\r\nrequest-id: bench\r\n\r\n"
        );
        w.write_all(head.as_bytes()).await?;
        for p in parts {
            w.write_all(p).await?;
        }
    }
}

#[derive(Debug)]
struct StaticToken;

#[async_trait::async_trait]
impl TokenCredential for StaticToken {
    async fn get_token(&self, _scope: &str) -> Result<AccessToken, AuthError> {
        Ok(AccessToken {
            token: "bench-token".to_owned().into(),
            expires_on: time::OffsetDateTime::UNIX_EPOCH + time::Duration::days(30_000),
            claims: TokenClaims::default(),
        })
    }
}

fn client(base: &str) -> GraphClient {
    GraphClient::builder()
        .credential(Arc::new(StaticToken))
        .base_url(base)
        .throttling(false)
        .build()
        .expect("client")
}

async fn client_pages(client: &GraphClient, consumer: Duration) -> usize {
    let mut pages = client.pages::<SignIn>(GraphRequest::get("auditLogs/signIns"));
    let mut n = 0;
    while let Some(page) = pages.next().await {
        let page = page.expect("page");
        n += black_box(page.items).len();
        if !consumer.is_zero() {
            tokio::time::sleep(consumer).await;
        }
    }
    n
}

async fn bare_loop(
    http: &reqwest::Client,
    base: &str,
    from_str: bool,
    consumer: Duration,
) -> usize {
    let mut url = format!("{base}/v1.0/auditLogs/signIns");
    let mut n = 0;
    loop {
        let bytes = http
            .get(&url)
            .bearer_auth("bench-token")
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        let page: Page<SignIn> = if from_str {
            serde_json::from_str(std::str::from_utf8(&bytes).expect("UTF-8")).expect("page")
        } else {
            serde_json::from_slice(&bytes).expect("page")
        };
        n += black_box(page.items).len();
        if !consumer.is_zero() {
            tokio::time::sleep(consumer).await;
        }
        match page.next_link {
            Some(next) => url = next,
            None => return n,
        }
    }
}

/// The link at the end of a body, found in its last bytes without a parse.
fn trailing_next_link(body: &[u8]) -> Option<String> {
    const KEY: &[u8] = br#""@odata.nextLink":""#;
    let tail = &body[body.len().saturating_sub(512)..];
    let at = tail.windows(KEY.len()).rposition(|w| w == KEY)? + KEY.len();
    let end = tail[at..].iter().position(|&b| b == b'"')? + at;
    String::from_utf8(tail[at..end].to_vec()).ok()
}

/// What the machine allows in the latency case: every page's bytes fetched one page ahead of a
/// consumer that spends `consumer` on each, nothing decoded. A page costs
/// max(latency + transfer, consumer). Returns the number of pages.
async fn ideal_pipelined(http: &reqwest::Client, base: &str, consumer: Duration) -> usize {
    let get = |url: String| {
        let http = http.clone();
        tokio::spawn(async move {
            http.get(&url)
                .bearer_auth("bench-token")
                .send()
                .await
                .expect("send")
                .bytes()
                .await
                .expect("body")
        })
    };
    let mut next = Some(get(format!("{base}/v1.0/auditLogs/signIns")));
    let mut pages = 0;
    while let Some(fetch) = next.take() {
        let body = fetch.await.expect("fetch task");
        next = trailing_next_link(&body).map(get);
        black_box(&body);
        pages += 1;
        if !consumer.is_zero() {
            tokio::time::sleep(consumer).await;
        }
    }
    pages
}

/// The wall time of one run of `f` on `rt`.
#[allow(
    clippy::disallowed_methods,
    reason = "a benchmark measures wall time on the real clock"
)]
fn timed<F: std::future::Future>(rt: &tokio::runtime::Runtime, f: F) -> (Duration, F::Output) {
    let start = std::time::Instant::now();
    let out = rt.block_on(f);
    (start.elapsed(), out)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// `OORT_PAGING_RATIO=<rounds>`: instead of the criterion groups, each case is run `rounds`
/// times as a back-to-back pair (the bare loop or the ideal, then the client), so that each
/// ratio is taken under one load; the figures go to stderr with the load average. One more line breaks a
/// page's cost down: latency + transfer (bytes only, sequential) and the decode alone.
#[allow(clippy::print_stderr, reason = "the ratios are the benchmark's report")]
fn ratio_report(rt: &tokio::runtime::Runtime, http: &reqwest::Client, rounds: usize) {
    // No added latency: the client against the bare loop, 200 pages of 1,000 sign-ins.
    {
        let pages = 200;
        let bodies = Arc::new(Bodies::new(PER_PAGE));
        let base = start_server(bodies, pages, Duration::ZERO);
        let graph = client(&base);
        rt.block_on(client_pages(&graph, Duration::ZERO));
        for round in 1..=rounds {
            let (bare, n) = timed(rt, bare_loop(http, &base, false, Duration::ZERO));
            assert_eq!(n, pages * PER_PAGE);
            let (ours, n) = timed(rt, client_pages(&graph, Duration::ZERO));
            assert_eq!(n, pages * PER_PAGE);
            eprintln!(
                "paging_200x1000 round {round}: bare_loop_from_slice {:.3} s, client {:.3} s, \
                 client/bare {:.2}x, load {}",
                bare.as_secs_f64(),
                ours.as_secs_f64(),
                ours.as_secs_f64() / bare.as_secs_f64(),
                load_average(),
            );
        }
    }
    let pages = 50;
    let wait = Duration::from_millis(20);
    for per_page in [PER_PAGE, 100] {
        let bodies = Arc::new(Bodies::new(per_page));
        let base = start_server(Arc::clone(&bodies), pages, wait);
        let graph = client(&base);
        let nominal = wait * pages as u32;
        // Warm-up: connections, allocator.
        rt.block_on(client_pages(&graph, Duration::ZERO));
        for round in 1..=rounds {
            let (ideal, n) = timed(rt, ideal_pipelined(http, &base, wait));
            assert_eq!(n, pages);
            let (ours, n) = timed(rt, client_pages(&graph, wait));
            assert_eq!(n, pages * per_page);
            eprintln!(
                "paging_latency_{pages}x{per_page} round {round}: ideal {:.3} s, client {:.3} s, \
                 client/ideal {:.2}x, client/nominal({:.1} s) {:.2}x, load {}",
                ideal.as_secs_f64(),
                ours.as_secs_f64(),
                ours.as_secs_f64() / ideal.as_secs_f64(),
                nominal.as_secs_f64(),
                ours.as_secs_f64() / nominal.as_secs_f64(),
                load_average(),
            );
        }
        let (fetch, n) = timed(rt, ideal_pipelined(http, &base, Duration::ZERO));
        assert_eq!(n, pages);
        let body = &bodies.last;
        let (decode, _) = timed(rt, async {
            for _ in 0..pages {
                let text = std::str::from_utf8(body).expect("UTF-8");
                let page: Page<SignIn> = serde_json::from_str(text).expect("page");
                black_box(page);
            }
        });
        eprintln!(
            "paging_latency_{pages}x{per_page} per page: latency + transfer {:.1} ms, \
             decode {:.1} ms ({} bytes), load {}",
            fetch.as_secs_f64() * 1e3 / pages as f64,
            decode.as_secs_f64() * 1e3 / pages as f64,
            body.len(),
            load_average(),
        );
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let bodies = Arc::new(Bodies::new(PER_PAGE));
    let page_bytes = bodies.bytes_per_page();
    let http = reqwest::Client::builder().build().expect("reqwest");
    if let Some(rounds) = std::env::var("OORT_PAGING_RATIO")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        ratio_report(&rt, &http, rounds);
        return;
    }

    // No added latency: 200 pages of 1,000 sign-ins.
    let pages = 200;
    let base = start_server(Arc::clone(&bodies), pages, Duration::ZERO);
    let graph = client(&base);
    let mut group = c.benchmark_group("paging_200x1000");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Bytes((page_bytes * pages) as u64));
    group.bench_function("graph_client_typed", |b| {
        b.iter(|| {
            assert_eq!(
                rt.block_on(client_pages(&graph, Duration::ZERO)),
                pages * PER_PAGE
            )
        });
    });
    group.bench_function("bare_loop_from_slice", |b| {
        b.iter(|| {
            assert_eq!(
                rt.block_on(bare_loop(&http, &base, false, Duration::ZERO)),
                pages * PER_PAGE
            )
        });
    });
    group.bench_function("bare_loop_from_str", |b| {
        b.iter(|| {
            assert_eq!(
                rt.block_on(bare_loop(&http, &base, true, Duration::ZERO)),
                pages * PER_PAGE
            )
        });
    });
    group.finish();

    // 20 ms of server latency per page and 20 ms of consumer work per page.
    let pages = 50;
    let wait = Duration::from_millis(20);
    let base = start_server(Arc::clone(&bodies), pages, wait);
    let graph = client(&base);
    let mut group = c.benchmark_group("paging_latency_50x1000");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(25));
    group.bench_function("ideal_pipelined", |b| {
        b.iter(|| assert_eq!(rt.block_on(ideal_pipelined(&http, &base, wait)), pages));
    });
    group.bench_function("graph_client_prefetch", |b| {
        b.iter(|| assert_eq!(rt.block_on(client_pages(&graph, wait)), pages * PER_PAGE));
    });
    group.bench_function("bare_loop_sequential", |b| {
        b.iter(|| {
            assert_eq!(
                rt.block_on(bare_loop(&http, &base, true, wait)),
                pages * PER_PAGE
            )
        });
    });
    group.finish();

    // The same with pages of 100 sign-ins, where decoding is small next to the 20 ms: this
    // isolates the prefetch (ideal: 50 x 20 ms = 1 s; sequential: about 2 s).
    let small = 100;
    let base = start_server(Arc::new(Bodies::new(small)), pages, wait);
    let graph = client(&base);
    let mut group = c.benchmark_group("paging_latency_50x100");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.bench_function("ideal_pipelined", |b| {
        b.iter(|| assert_eq!(rt.block_on(ideal_pipelined(&http, &base, wait)), pages));
    });
    group.bench_function("graph_client_prefetch", |b| {
        b.iter(|| assert_eq!(rt.block_on(client_pages(&graph, wait)), pages * small));
    });
    group.bench_function("bare_loop_sequential", |b| {
        b.iter(|| {
            assert_eq!(
                rt.block_on(bare_loop(&http, &base, true, wait)),
                pages * small
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

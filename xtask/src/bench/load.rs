//! The load generator: closed-loop clients, each owning one keep-alive HTTP/1.1
//! connection and sending its next create as soon as the previous one is answered,
//! so N connections are N busy clients and latency includes any queueing. What a
//! create sends (method, path, headers, body, expected status) comes from the
//! operations table, `crm_testkit::OPERATIONS`.

use anyhow::Context as _;
use bytes::Bytes;
use crm_testkit::{Fixtures, Operation};
use http_body_util::{BodyExt as _, Empty, Full};
use hyper::body::Body;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, StatusCode};
use hyper_util::rt::TokioIo;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// What a run loads: one create operation of the crm server, or the no-op baseline.
#[derive(Clone, Copy, Debug)]
pub enum Load {
    /// An operation of `crm_testkit::OPERATIONS`: its path, headers, body and
    /// success status come from the table.
    Create(&'static Operation),
    /// The baseline: `POST /noop` on a dropshot server that stores nothing.
    Noop,
}

impl PartialEq for Load {
    fn eq(&self, other: &Load) -> bool {
        match (self, other) {
            (Load::Create(a), Load::Create(b)) => a.operation_id == b.operation_id,
            (Load::Noop, Load::Noop) => true,
            _ => false,
        }
    }
}

impl Eq for Load {}

impl Load {
    /// SalesMap's `POST /v2/people`: the operation the preload, per-request commit
    /// and logging measurements use.
    pub fn salesmap_people() -> Load {
        Load::Create(crm_testkit::operation("salesmap_create_people"))
    }

    /// The report's label: `SalesMap POST /v2/people`.
    pub fn name(self) -> String {
        match self {
            Load::Create(op) => format!("{} {} {}", op.family.name(), op.method, op.path),
            Load::Noop => "no-op dropshot handler".into(),
        }
    }

    /// The next request. Every e-mail, reference id and name is new (the table's
    /// body with a new suffix): the server refuses duplicates, and a database is
    /// reused after its preload.
    fn call(self, fixtures: &Fixtures) -> anyhow::Result<Call> {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        Ok(match self {
            Load::Create(op) => Call {
                method: Method::from_bytes(op.method.as_bytes())?,
                path: op.path,
                expected: StatusCode::from_u16(op.success)?,
                // JSON: the first media type of every operation.
                content_type: op.media_types[0],
                headers: (op.headers)(fixtures),
                body: (op.body)(&n.to_string(), fixtures).to_string(),
            },
            Load::Noop => Call {
                method: Method::POST,
                path: "/noop",
                expected: StatusCode::CREATED,
                content_type: "application/json",
                headers: Vec::new(),
                body: format!(r#"{{"name": "벤치 {n}", "email": "noop-{n}@example.com"}}"#),
            },
        })
    }
}

static NEXT: AtomicU64 = AtomicU64::new(1);

struct Call {
    method: Method,
    path: &'static str,
    expected: StatusCode,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// A server to load, and what every request to it carries.
pub struct Target {
    pub addr: SocketAddr,
    host: HeaderValue,
    authorization: HeaderValue,
    /// What the operations' headers and bodies name: workspace 1 (the one the
    /// server creates on an empty database) and an organization of it.
    fixtures: Fixtures,
    /// Where the server answers `GET /metrics` (the no-op server does not).
    metrics: Option<SocketAddr>,
}

impl Target {
    pub fn new(
        addr: SocketAddr,
        token: &str,
        fixtures: Fixtures,
        metrics: Option<SocketAddr>,
    ) -> anyhow::Result<Self> {
        Ok(Target {
            addr,
            host: HeaderValue::from_str(&addr.to_string())?,
            authorization: HeaderValue::from_str(&format!("Bearer {token}"))?,
            fixtures,
            metrics,
        })
    }

    fn request(&self, call: Call) -> anyhow::Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(call.method)
            .uri(call.path)
            .header(HOST, &self.host)
            .header(AUTHORIZATION, &self.authorization)
            .header(CONTENT_TYPE, call.content_type);
        for (name, value) in call.headers {
            builder = builder.header(name, value);
        }
        Ok(builder.body(Full::new(Bytes::from(call.body)))?)
    }
}

/// The server's cumulative writer and log statistics (from `GET /metrics`).
#[derive(Clone, Copy, Debug, Default)]
pub struct WriterStats {
    pub commits: u64,
    pub writes: u64,
    /// Log lines the server dropped because its log's reader fell behind.
    pub log_lines_dropped: u64,
}

impl WriterStats {
    fn plus(self, other: WriterStats) -> WriterStats {
        WriterStats {
            commits: self.commits + other.commits,
            writes: self.writes + other.writes,
            log_lines_dropped: self.log_lines_dropped + other.log_lines_dropped,
        }
    }
}

/// One measured point: one load at one number of connections.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Creates answered with the expected status inside the measured window.
    pub creates: u64,
    /// Wrong statuses and transport failures, warm-up included: a correct run has 0.
    pub errors: u64,
    pub first_error: Option<String>,
    /// The measured creates' latencies in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub window: Duration,
    /// Writer statistics at the start and at the end of the measured window.
    pub stats: Option<(WriterStats, WriterStats)>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.creates as f64 / self.window.as_secs_f64()
    }

    fn absorb(&mut self, client: Outcome) {
        self.creates += client.creates;
        self.errors += client.errors;
        if self.first_error.is_none() {
            self.first_error = client.first_error;
        }
        self.latencies_us.extend(client.latencies_us);
    }

    fn error(&mut self, message: String) {
        self.errors += 1;
        self.first_error.get_or_insert(message);
    }
}

/// Drives `connections` clients for `warmup + measure`, spread evenly over
/// `targets` (several servers on one database), and reports what completed
/// inside the measured window; the writer statistics are the servers' sum.
pub async fn run(
    targets: &[Arc<Target>],
    load: Load,
    connections: usize,
    warmup: Duration,
    measure: Duration,
) -> anyhow::Result<Outcome> {
    anyhow::ensure!(!targets.is_empty(), "no server to load");
    let from = Instant::now() + warmup;
    let until = from + measure;
    let mut clients = tokio::task::JoinSet::new();
    for i in 0..connections {
        let target = targets[i % targets.len()].clone();
        clients.spawn(client(target, load, from, until));
    }
    let samplers: Option<Vec<_>> = targets
        .iter()
        .map(|t| {
            t.metrics
                .is_some()
                .then(|| tokio::spawn(sample_stats(t.clone(), from, until)))
        })
        .collect();

    let mut outcome = Outcome {
        window: measure,
        ..Outcome::default()
    };
    while let Some(joined) = clients.join_next().await {
        outcome.absorb(joined.context("a client task panicked")??);
    }
    if let Some(samplers) = samplers {
        let mut sum = (WriterStats::default(), WriterStats::default());
        for sampler in samplers {
            let (start, end) = sampler.await.context("the stats sampler panicked")??;
            sum = (sum.0.plus(start), sum.1.plus(end));
        }
        outcome.stats = Some(sum);
    }
    outcome.latencies_us.sort_unstable();
    Ok(outcome)
}

async fn client(
    target: Arc<Target>,
    load: Load,
    from: Instant,
    until: Instant,
) -> anyhow::Result<Outcome> {
    let mut conn = connect(target.addr).await?;
    let mut outcome = Outcome::default();
    while Instant::now() < until {
        let call = load.call(&target.fixtures)?;
        let (method, path, expected) = (call.method.clone(), call.path, call.expected);
        let request = target.request(call)?;
        let sent = Instant::now();
        let answer = exchange(&mut conn, request).await;
        let done = Instant::now();
        match answer {
            Ok((status, _)) if status == expected => {
                // Counted by completion time: the window's throughput, with the
                // requests in flight at its edges neither lost nor counted twice.
                if done >= from && done <= until {
                    outcome.creates += 1;
                    let micros = (done - sent).as_micros();
                    outcome
                        .latencies_us
                        .push(micros.try_into().unwrap_or(u32::MAX));
                }
            }
            Ok((status, body)) => {
                let body = String::from_utf8_lossy(&body);
                let body: String = body.chars().take(300).collect();
                outcome.error(format!(
                    "{method} {path}: {status} (expected {expected}): {body}"
                ));
            }
            Err(e) => {
                outcome.error(format!("{method} {path}: {e:#}"));
                // The connection may be unusable; a failure to reconnect ends the run.
                conn = connect(target.addr).await?;
            }
        }
    }
    Ok(outcome)
}

/// Samples at the edges of the window, each on a fresh connection so that no
/// connection sits idle long enough to meet the server's idle timeout.
async fn sample_stats(
    target: Arc<Target>,
    from: Instant,
    until: Instant,
) -> anyhow::Result<(WriterStats, WriterStats)> {
    tokio::time::sleep_until(from.into()).await;
    let start = stats(&target).await?;
    tokio::time::sleep_until(until.into()).await;
    let end = stats(&target).await?;
    Ok((start, end))
}

/// The server's writer statistics, from `GET /metrics` on its metrics address.
pub async fn stats(target: &Target) -> anyhow::Result<WriterStats> {
    let addr = target
        .metrics
        .context("this server has no metrics address")?;
    let mut conn = connect(addr).await?;
    let request = Request::builder()
        .uri("/metrics")
        .header(HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    let (status, body) = exchange(&mut conn, request).await?;
    anyhow::ensure!(status == StatusCode::OK, "GET /metrics: {status}");
    let text = std::str::from_utf8(&body).context("reading GET /metrics")?;
    let value = |name: &str| -> anyhow::Result<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
            .with_context(|| format!("GET /metrics has no {name}"))
    };
    Ok(WriterStats {
        commits: value("crm_store_commits_total")?,
        writes: value("crm_store_writes_total")?,
        log_lines_dropped: value("crm_log_lines_dropped_total")?,
    })
}

async fn connect<B>(addr: SocketAddr) -> anyhow::Result<SendRequest<B>>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    // Requests are small and sent whole; Nagle would only add delay.
    stream.set_nodelay(true)?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .with_context(|| format!("HTTP handshake with {addr}"))?;
    // Ends when the sender is dropped or the server closes the connection.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer, so the connection is ready for
/// the next one.
async fn exchange<B>(
    conn: &mut SendRequest<B>,
    request: Request<B>,
) -> anyhow::Result<(StatusCode, Bytes)>
where
    B: Body + Send + 'static,
{
    conn.ready().await?;
    let response = conn.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// The `p`-th percentile (0..=1) of sorted latencies, by nearest rank.
pub fn percentile(sorted_us: &[u32], p: f64) -> Option<Duration> {
    if sorted_us.is_empty() {
        return None;
    }
    let rank = (p * sorted_us.len() as f64).ceil() as usize;
    let index = rank.clamp(1, sorted_us.len()) - 1;
    Some(Duration::from_micros(sorted_us[index].into()))
}

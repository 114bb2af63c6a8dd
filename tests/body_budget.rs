//! The bound on request bodies buffered at once (`crm serve
//! --max-inflight-body-bytes`): clients that declare large bodies and send them
//! slowly hold the budget; past it, a new body gets 503 with `Retry-After` in the
//! family's envelope, and creates succeed again once the budget frees. Then the
//! real `crm` binary under 1,000 sockets that each declare a 1 MB body: its peak
//! RSS stays bounded.

mod common;

use common::{each_backend, Backend, TestServer};
use crm_testkit::{Fixtures, Operation, OPERATIONS};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;

/// The head of a POST without a token that declares a body of `length` bytes.
fn head(path: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: crm\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    )
}

/// A JSON body of exactly `length` bytes: `{"name": "xxx…"}`.
fn padded_body(length: usize) -> Vec<u8> {
    let frame = br#"{"name": ""}"#.len();
    format!(r#"{{"name": "{}"}}"#, "x".repeat(length - frame)).into_bytes()
}

/// The request body bytes in flight, as the server's `/metrics` at `url` says.
async fn in_flight(client: &reqwest::Client, url: &str) -> u64 {
    const GAUGE: &str = "crm_request_body_bytes_in_flight ";
    let text = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(GAUGE))
        .unwrap_or_else(|| panic!("no {GAUGE}in {text}"))
        .parse()
        .unwrap()
}

/// Waits until the server reports `bytes` of bodies in flight (what the test
/// arranged), so that nothing below depends on how fast the server is.
async fn wait_in_flight(client: &reqwest::Client, url: &str, bytes: usize) {
    for _ in 0..3000 {
        if in_flight(client, url).await == bytes as u64 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "the server never reported {bytes} body bytes in flight (last: {})",
        in_flight(client, url).await
    );
}

/// A create of `op` with its valid body: status, `Retry-After`, body.
async fn create(
    client: &reqwest::Client,
    server: &TestServer,
    op: &Operation,
    fx: &Fixtures,
    token: &str,
    suffix: &str,
) -> (u16, Option<String>, Value) {
    let mut req = client
        .post(format!("{}{}", server.url, op.path))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body((op.body)(suffix, fx).to_string());
    for (name, value) in (op.headers)(fx) {
        req = req.header(name, value);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, resp.json().await.unwrap())
}

async fn past_the_budget_a_new_body_gets_503_until_the_budget_frees(backend: Backend) {
    const BODY_MAX: usize = 64 * KIB;
    const SLOW: usize = 4;
    let server = TestServer::start_with(
        backend,
        crm_server::ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            request_body_max_bytes: BODY_MAX,
            max_inflight_body_bytes: SLOW * BODY_MAX,
            ..Default::default()
        },
    )
    .await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let client = reqwest::Client::new();
    let addr = server.url.trim_start_matches("http://").to_owned();
    let metrics = crm_server::metrics::serve(
        "127.0.0.1:0".parse().unwrap(),
        server.context().metrics.clone(),
    )
    .unwrap();
    let metrics_url = format!("http://{}", metrics.local_addr());

    // Slow clients declare the largest body there may be, send a little of it, and
    // wait: together they hold the whole budget.
    let mut slow = Vec::new();
    for _ in 0..SLOW {
        let mut socket = TcpStream::connect(&addr).await.unwrap();
        socket
            .write_all(head("/v2/people", BODY_MAX).as_bytes())
            .await
            .unwrap();
        socket
            .write_all(&padded_body(BODY_MAX)[..10])
            .await
            .unwrap();
        slow.push(socket);
    }
    wait_in_flight(&client, &metrics_url, SLOW * BODY_MAX).await;

    let expected = format!(
        "body: the server is reading as many request bodies as it may at once ({} bytes); retry after 1 s",
        SLOW * BODY_MAX
    );
    for op in &OPERATIONS {
        let (status, retry_after, answer) =
            create(&client, &server, op, &fx, &t.token, "busy").await;
        assert_eq!(
            (status, answer),
            op.refusal(503, &expected),
            "{}",
            op.name()
        );
        assert_eq!(
            retry_after.as_deref(),
            Some("1"),
            "{}: Retry-After",
            op.name()
        );
        assert_eq!(
            server.stored(op, "busy"),
            0,
            "{}: nothing stored",
            op.name()
        );
    }

    // Half of the slow clients finish their bodies (they have no token: 401), the
    // others go away mid-body: either way the budget is released.
    let body = padded_body(BODY_MAX);
    for mut socket in slow.drain(..SLOW / 2) {
        socket.write_all(&body[10..]).await.unwrap();
        let mut answer = vec![0; 12];
        socket.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"HTTP/1.1 401");
    }
    drop(slow);
    wait_in_flight(&client, &metrics_url, 0).await;

    for op in &OPERATIONS {
        let (status, retry_after, answer) =
            create(&client, &server, op, &fx, &t.token, "freed").await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        assert_eq!(retry_after, None);
        assert_eq!(server.stored(op, "freed"), 1, "{}: stored once", op.name());
    }
    metrics.close().await.unwrap();
    server.stop().await;
}
each_backend!(past_the_budget_a_new_body_gets_503_until_the_budget_frees);

#[tokio::test]
async fn a_budget_smaller_than_one_body_is_refused_at_startup() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(
        crm_server::store::SqliteStore::open(
            dir.path().join("crm.db"),
            crm_server::store::Durability::Full,
        )
        .unwrap(),
    );
    let refused = crm_server::serve(
        crm_server::ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            request_body_max_bytes: MIB,
            max_inflight_body_bytes: MIB - 1,
            ..Default::default()
        },
        store,
        crm::SPECS,
    )
    .err()
    .expect("refused");
    assert_eq!(
        refused.to_string(),
        "the bytes of request bodies buffered at once (1048575) must be at least the largest body accepted (1048576)"
    );
}

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// `crm serve` on a fresh database, with the token it prints; killed when dropped.
struct Serve {
    child: std::process::Child,
    port: u16,
    metrics_port: u16,
    token: String,
    _dir: tempfile::TempDir,
}

impl Serve {
    fn start(extra: &[&str]) -> Serve {
        use std::io::BufRead as _;
        let dir = tempfile::tempdir().unwrap();
        let free_port = || {
            std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let (port, metrics_port) = (free_port(), free_port());
        let mut child = std::process::Command::new(CRM)
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .args([
                "--metrics-bind",
                &format!("127.0.0.1:{metrics_port}"),
                "--db",
            ])
            .arg(dir.path().join("crm.db"))
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Read stdout to its end: a closed pipe would fail the server's next print.
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines().map_while(Result::ok) {
                if line.trim().starts_with("crm_") {
                    let _ = tx.send(line.trim().to_owned());
                }
            }
        });
        let mut server = Serve {
            child,
            port,
            metrics_port,
            token: String::new(),
            _dir: dir,
        };
        server.token = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("a fresh database prints a token");
        for _ in 0..400 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return server;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("crm serve did not start on port {port}");
    }

    /// `VmRSS` and `VmHWM` (the peak) from /proc, in MiB.
    fn rss_mib(&self) -> (u64, u64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let field = |name: &str| -> u64 {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("no {name} in /proc status"));
            let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
            kib / 1024
        };
        (field("VmRSS:"), field("VmHWM:"))
    }

    /// A SalesMap create with the token: the server still serves.
    async fn creates(&self, name: &str) -> u16 {
        reqwest::Client::new()
            .post(format!("http://127.0.0.1:{}/v2/people", self.port))
            .header("authorization", format!("Bearer {}", self.token))
            .json(&serde_json::json!({ "name": name }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `sockets` connections without a token each declare a `body`-byte body and send
/// it in 64 KiB pieces, a little at a time, all at once. Returns how many were
/// answered with each status line, or failed to connect or read.
async fn attack(port: u16, sockets: usize, body: usize) -> BTreeMap<String, usize> {
    let payload = std::sync::Arc::new(padded_body(body));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..sockets {
        let payload = payload.clone();
        tasks.spawn(async move {
            let socket = match TcpStream::connect(("127.0.0.1", port)).await {
                Ok(socket) => socket,
                Err(e) => return format!("connect: {e}"),
            };
            let (mut reader, mut writer) = socket.into_split();
            // Read while writing: a refused body is answered at once, unread, and
            // its connection closed; a reader that waited for the writer would lose
            // the answer to the reset.
            let answer = tokio::spawn(async move {
                let mut answer = vec![0; 12];
                match reader.read_exact(&mut answer).await {
                    Ok(_) => String::from_utf8_lossy(&answer).into_owned(),
                    Err(e) => format!("read: {e}"),
                }
            });
            let head = head("/v2/people", body);
            for piece in std::iter::once(head.as_bytes()).chain(payload.chunks(64 * KIB)) {
                if writer.write_all(piece).await.is_err() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            match tokio::time::timeout(Duration::from_secs(60), answer).await {
                Ok(answer) => answer.unwrap(),
                Err(_) => "no answer within 60 s".to_owned(),
            }
        });
    }
    let mut answers = BTreeMap::new();
    while let Some(answer) = tasks.join_next().await {
        *answers.entry(answer.unwrap()).or_default() += 1;
    }
    answers
}

/// The issue's attack on the real binary: 1,000 sockets without a token, each
/// declaring a 1 MB body. Without a bound the bodies are buffered all at once (the
/// issue measured 95 MB → 1.77 GB, never returned; the ignored test below peaks at
/// 0.5–1.5 GB); with the default 64 MiB the peak stays far below 300 MB, and the
/// server still serves.
#[tokio::test]
async fn the_real_server_stays_bounded_under_a_thousand_megabyte_bodies() {
    let server = Serve::start(&[]);
    let (before, _) = server.rss_mib();
    let answers = attack(server.port, 1000, MIB).await;
    let (after, peak) = server.rss_mib();
    eprintln!(
        "crm serve, 1,000 sockets x 1 MiB, default budget: RSS {before} MiB before, \
         peak {peak} MiB, {after} MiB after; answers {answers:?}"
    );
    // Without a token, every answer is 401 (authentication comes first, refused
    // body or not), unless the connection was reset with the body unread.
    let unexpected: Vec<_> = answers
        .keys()
        .filter(|a| *a != "HTTP/1.1 401" && !a.starts_with("read: "))
        .collect();
    assert!(unexpected.is_empty(), "{answers:?}");
    // Not vacuous: every socket reported, and some were answered (a server that
    // reset them all would pass the check above).
    assert_eq!(answers.values().sum::<usize>(), 1000, "{answers:?}");
    assert!(answers.contains_key("HTTP/1.1 401"), "{answers:?}");
    assert!(
        peak < 300,
        "peak RSS {peak} MiB (from {before} MiB) under 1,000 x 1 MiB bodies"
    );
    assert_eq!(server.creates("after the attack").await, 201);
    // Every reservation was released.
    let metrics_url = format!("http://127.0.0.1:{}", server.metrics_port);
    wait_in_flight(&reqwest::Client::new(), &metrics_url, 0).await;
}

/// The same attack with the bound lifted: what the test above guards against. It
/// takes up to 1.5 GB, so it runs only when asked (`-- --ignored`).
#[tokio::test]
#[ignore = "uses up to 1.5 GB of memory"]
async fn without_the_bound_the_same_attack_peaks_far_higher() {
    let unbounded = (1usize << 40).to_string();
    let server = Serve::start(&["--max-inflight-body-bytes", &unbounded]);
    let (before, _) = server.rss_mib();
    let answers = attack(server.port, 1000, MIB).await;
    let (after, peak) = server.rss_mib();
    eprintln!(
        "crm serve, 1,000 sockets x 1 MiB, no bound: RSS {before} MiB before, \
         peak {peak} MiB, {after} MiB after; answers {answers:?}"
    );
    assert!(peak >= 300, "peak RSS {peak} MiB");
}

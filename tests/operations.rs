//! How the real `crm serve` process behaves for an operator: it shuts down
//! gracefully on SIGTERM/SIGINT, logging never blocks a request even when the log's
//! reader stalls, metrics are served on their own address only, and a thousand
//! idle connections do not lock everyone else out.

mod common;

use common::{each_backend, Backend, TestDatabase};
use serde_json::{json, Value};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// A `crm serve` process, killed when dropped.
struct Crm {
    child: Child,
    port: u16,
    token: String,
}

impl Drop for Crm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `crm serve` on `db`, a new database, with `args`; stderr as `stderr`
/// says.
fn start(db: impl AsRef<OsStr>, args: &[&str], env: &[(&str, &str)], stderr: Stdio) -> Crm {
    start_under(&[], db, args, env, stderr)
}

/// As `start`, run by `wrapper`, a command that ends by exec'ing its arguments
/// (so the process is still `crm`'s), e.g. `prlimit`.
fn start_under(
    wrapper: &[&str],
    db: impl AsRef<OsStr>,
    args: &[&str],
    env: &[(&str, &str)],
    stderr: Stdio,
) -> Crm {
    let port = free_port();
    let mut command = match wrapper.split_first() {
        Some((program, wrapper_args)) => {
            let mut c = Command::new(program);
            c.args(wrapper_args).arg(CRM);
            c
        }
        None => Command::new(CRM),
    };
    let child = command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .args(args)
        .envs(env.iter().copied())
        .env_remove("CRM_DB")
        .env_remove("CRM_BIND")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    // Owned at once, so a failing start leaves no process behind.
    let mut crm = Crm {
        child,
        port,
        token: String::new(),
    };
    for line in BufReader::new(crm.child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.trim().starts_with("crm_") {
            crm.token = line.trim().to_owned();
        }
        if line.starts_with("Try: curl") {
            break;
        }
    }
    assert!(!crm.token.is_empty(), "crm serve printed no token");
    for _ in 0..400 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return crm;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("crm serve did not start");
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits up to `limit` for the process to exit; its exit code, and how long it took.
fn wait_exit(child: &mut Child, limit: Duration) -> (Option<i32>, Duration) {
    let started = Instant::now();
    while started.elapsed() < limit {
        if let Some(status) = child.try_wait().unwrap() {
            return (status.code(), started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("crm serve did not exit within {limit:?}");
}

/// A raw HTTP/1.1 exchange on `stream`: the status and body of one answer.
fn read_answer(stream: &mut TcpStream) -> (u16, Value) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut status_line = String::new();
    reader.read_line(&mut status_line).unwrap();
    let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn people_request(token: &str, body: &str) -> String {
    format!(
        "POST /v2/people HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
}

async fn sigterm_finishes_in_flight_requests_closes_idle_ones_and_exits_0(backend: Backend) {
    for signal_name in ["TERM", "INT"] {
        let database = TestDatabase::new(backend);
        let mut crm = start(database.arg(), &[], &[("RUST_LOG", "warn")], Stdio::null());
        let addr = ("127.0.0.1", crm.port);

        // An idle keep-alive connection that has had one answer.
        let mut idle = TcpStream::connect(addr).unwrap();
        let body = json!({"name": "한가한"}).to_string();
        idle.write_all(people_request(&crm.token, &body).as_bytes())
            .unwrap();
        idle.write_all(body.as_bytes()).unwrap();
        assert_eq!(read_answer(&mut idle).0, 201);

        // A request in flight: its head and half its body have arrived.
        let mut busy = TcpStream::connect(addr).unwrap();
        let body = json!({"name": "진행 중"}).to_string();
        busy.write_all(people_request(&crm.token, &body).as_bytes())
            .unwrap();
        let (first, rest) = body.as_bytes().split_at(body.len() / 2);
        busy.write_all(first).unwrap();
        std::thread::sleep(Duration::from_millis(200));

        signal(&crm.child, signal_name);
        std::thread::sleep(Duration::from_millis(200));
        // Still running: the in-flight request is not finished.
        assert!(
            crm.child.try_wait().unwrap().is_none(),
            "SIG{signal_name}: exited with a request in flight"
        );
        // A new connection is no longer served. (Dropshot keeps its listener
        // open until the server task ends, so the kernel may still complete the
        // handshake; nothing answers on it, and it is reset at exit.)
        let late = TcpStream::connect(addr).ok().map(|mut late| {
            let body = json!({"name": "늦은"}).to_string();
            let _ = late.write_all(people_request(&crm.token, &body).as_bytes());
            let _ = late.write_all(body.as_bytes());
            late
        });
        busy.write_all(rest).unwrap();
        let (status, answer) = read_answer(&mut busy);
        assert_eq!(status, 201, "SIG{signal_name}: {answer}");
        assert_eq!(answer["data"]["people"]["name"], "진행 중");

        let (code, took) = wait_exit(&mut crm.child, Duration::from_secs(5));
        assert_eq!(code, Some(0), "SIG{signal_name}");
        assert!(took < Duration::from_secs(5));
        // The idle connection was closed, not left hanging.
        let mut buf = [0u8; 1];
        idle.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        assert_eq!(
            idle.read(&mut buf).unwrap(),
            0,
            "SIG{signal_name}: idle connection left open"
        );
        if let Some(mut late) = late {
            late.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            let answered = matches!(late.read(&mut buf), Ok(n) if n > 0);
            assert!(
                !answered,
                "SIG{signal_name}: a connection made after the signal was served"
            );
        }

        // Both creates are stored.
        let names: Vec<String> =
            database
                .connect()
                .query("SELECT name FROM people ORDER BY id", &[], |r| r.get(0));
        assert_eq!(names, ["한가한", "진행 중"], "SIG{signal_name}");
    }
}
each_backend!(sigterm_finishes_in_flight_requests_closes_idle_ones_and_exits_0);

#[test]
fn past_the_grace_period_the_process_exits_anyway() {
    let dir = tempfile::tempdir().unwrap();
    let mut crm = start(
        dir.path().join("crm.db"),
        &["--shutdown-grace-secs", "1"],
        &[("RUST_LOG", "warn")],
        Stdio::null(),
    );
    // A request that never finishes arriving.
    let mut busy = TcpStream::connect(("127.0.0.1", crm.port)).unwrap();
    busy.write_all(people_request(&crm.token, "{\"name\": \"never\"}").as_bytes())
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    signal(&crm.child, "TERM");
    let (code, took) = wait_exit(&mut crm.child, Duration::from_secs(5));
    assert_eq!(code, Some(1), "cut requests are an unclean exit");
    assert!(
        took >= Duration::from_millis(900),
        "exited before the grace period: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_log_reader_never_blocks_a_request() {
    let dir = tempfile::tempdir().unwrap();
    let metrics_port = free_port();
    // stderr into a pipe nobody reads: it fills after a few hundred lines.
    let crm = start(
        dir.path().join("crm.db"),
        &["--metrics-bind", &format!("127.0.0.1:{metrics_port}")],
        &[("RUST_LOG", "info"), ("CRM_LOG_QUEUE_LINES", "64")],
        Stdio::piped(),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let url = format!("http://127.0.0.1:{}/v2/people", crm.port);
    for i in 0..3000 {
        let answer = client
            .post(&url)
            .bearer_auth(&crm.token)
            .json(&json!({"name": format!("로그 {i}")}))
            .send()
            .await
            .unwrap_or_else(|e| panic!("request {i} was not answered: {e}"));
        assert_eq!(answer.status(), 201, "request {i}");
    }
    let metrics = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let dropped: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("crm_log_lines_dropped_total ")?.parse().ok())
        .unwrap_or_else(|| panic!("no dropped-lines counter in {metrics}"));
    assert!(dropped > 0, "3,000 lines into a full pipe dropped none?");
    // Once the reader catches up, the count itself is logged, and no line is
    // spliced into another.
    let mut child = crm;
    let stderr = child.child.stderr.take().unwrap();
    let lines = std::thread::spawn(move || {
        let mut found = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            let done = line.contains("log lines dropped");
            found.push(line);
            if done {
                break;
            }
        }
        found
    });
    let lines = tokio::task::spawn_blocking(move || lines.join().unwrap())
        .await
        .unwrap();
    assert!(
        lines
            .last()
            .is_some_and(|l| l.contains("log lines dropped")),
        "the dropped count was never logged"
    );
    for line in &lines {
        assert!(
            line.matches(" INFO ").count() + line.matches(" WARN ").count() <= 1,
            "a spliced line: {line}"
        );
    }
}

async fn metrics_are_served_on_their_own_address_only(backend: Backend) {
    let database = TestDatabase::new(backend);
    let metrics_port = free_port();
    let crm = start(
        database.arg(),
        &["--metrics-bind", &format!("127.0.0.1:{metrics_port}")],
        &[("RUST_LOG", "warn")],
        Stdio::null(),
    );
    let client = reqwest::Client::new();
    let public = format!("http://127.0.0.1:{}", crm.port);
    for path in ["/metrics", "/internal/stats"] {
        let status = client
            .get(format!("{public}{path}"))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 404, "{path} on the public listener");
    }
    let scrape = || async {
        client
            .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let value = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
            .unwrap_or(0)
    };
    let before = scrape().await;
    for _ in 0..2 {
        let status = client
            .post(format!("{public}/v2/people"))
            .bearer_auth(&crm.token)
            .header("Idempotency-Key", "metrics-1")
            .json(&json!({"name": "측정"}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 201);
    }
    let text = scrape().await;
    for line in [
        "crm_http_requests_total{operation=\"salesmap_create_people\",status=\"201\"} 2",
        "crm_idempotent_replays_total{operation=\"salesmap_create_people\"} 1",
        "crm_http_request_duration_seconds_count{operation=\"salesmap_create_people\"} 2",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in:\n{text}");
    }
    // One create was written (the replay wrote nothing), in one commit.
    for name in [
        "crm_store_commits_total",
        "crm_store_writes_total",
        "crm_store_rows_per_commit_count",
        "crm_store_rows_per_commit_bucket{le=\"1.0\"}",
    ] {
        assert_eq!(
            value(&text, name) - value(&before, name),
            1,
            "{name} in:\n{text}"
        );
    }
}
each_backend!(metrics_are_served_on_their_own_address_only);

#[tokio::test]
async fn every_request_gets_one_log_line_whoever_answered_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("stderr.log");
    let mut crm = start(
        dir.path().join("crm.db"),
        &[],
        &[("RUST_LOG", "info")],
        Stdio::from(std::fs::File::create(&log).unwrap()),
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", crm.port);
    let cases: [(&str, &str, Option<&str>, u16); 6] = [
        ("GET", "/no/such/path", None, 404),
        ("DELETE", "/v2/people", None, 405),
        ("GET", "/openapi/salesmap.yaml", None, 200),
        ("GET", "/openapi/nothing.yaml", None, 404),
        ("POST", "/v2/lead", Some("{\"name\": \"x\"}"), 401),
        ("POST", "/api/people", Some("{}"), 401),
    ];
    for (method, path, body, status) in cases {
        let mut request = client.request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body);
        }
        assert_eq!(
            request.send().await.unwrap().status(),
            status,
            "{method} {path}"
        );
    }
    signal(&crm.child, "TERM");
    assert_eq!(wait_exit(&mut crm.child, Duration::from_secs(5)).0, Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    for (method, path, _, status) in cases {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| {
                l.contains(" request ")
                    && l.contains(&format!("method={method} "))
                    && l.contains(&format!("path={path} "))
            })
            .collect();
        assert_eq!(lines.len(), 1, "{method} {path}: {lines:?}\n{text}");
        assert!(
            lines[0].contains(&format!("status={status} ")),
            "{}",
            lines[0]
        );
    }
}

/// Sockets open in process `pid` (its other descriptors, files and pipes, come
/// and go with the store's work).
fn open_sockets(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.to_string_lossy().starts_with("socket:"))
        .count()
}

#[test]
fn idle_connections_beyond_the_usual_soft_limit_do_not_lock_others_out() {
    const IDLE: usize = 1_100;
    // This process holds the client ends.
    let hard = rlimit::increase_nofile_limit(u64::MAX).unwrap();
    if hard < 4 * IDLE as u64 {
        eprintln!(
            "SKIPPED: the hard open-files limit here is {hard}, too low to show the \
             soft limit being raised past {IDLE} connections"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The soft limit most machines start a process with; the hard one is left as is.
    let crm = start_under(
        &["prlimit", "--nofile=1024:"],
        dir.path().join("crm.db"),
        &[],
        &[],
        Stdio::null(),
    );
    // Connections that never send a byte: dropshot gives us no way to close them
    // (README, "Operating it"), so they must at least not exhaust descriptors.
    let idle: Vec<TcpStream> = (0..IDLE)
        .map(|_| TcpStream::connect(("127.0.0.1", crm.port)).unwrap())
        .collect();
    let mut held = 0;
    for _ in 0..400 {
        // Less the listener. (The probe `start` connected with may still be
        // closing: it can only make this larger, never pass a short count.)
        held = open_sockets(crm.child.id()) - 1;
        if held >= IDLE {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    assert!(
        held >= IDLE,
        "the server accepted only {held} of {IDLE} idle connections"
    );

    let mut stream = TcpStream::connect(("127.0.0.1", crm.port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let body = r#"{"name":"after the idle ones"}"#;
    write!(stream, "{}{body}", people_request(&crm.token, body)).unwrap();
    let (status, answer) = read_answer(&mut stream);
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["data"]["people"]["name"],
        json!("after the idle ones")
    );
    drop(idle);
}

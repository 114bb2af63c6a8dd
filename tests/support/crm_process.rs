//! The real `crm` binary as a test drives it: `crm serve` started as a child
//! process on an ephemeral loopback port, with everything it prints collected
//! (stdout for the first-run token, stderr for the log), `crm admin` run to set a
//! database up, and creates of `crm_testkit::OPERATIONS` sent to it.
//!
//! Included by the test files that need it (`#[path = "support/crm_process.rs"]`),
//! so the in-process `TestServer` of `tests/common` stays as it is.

#![allow(dead_code)]

use crm_testkit::{Fixtures, Operation};
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// `crm admin --db DB ARGS…`'s JSON output (DB a SQLite file or a PostgreSQL
/// URL); panics with its stderr if it fails.
pub fn admin(db: impl AsRef<OsStr>, args: &[&str]) -> Value {
    let out = Command::new(CRM)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("CRM_DB")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crm admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A workspace made by `crm admin`, with an all-scopes token and the organization
/// the operations name.
pub struct Tenant {
    pub fixtures: Fixtures,
    pub token: String,
    pub token_id: i64,
}

pub fn tenant(db: impl AsRef<OsStr>, name: &str) -> Tenant {
    let db = db.as_ref();
    let ws = admin(db, &["workspace", "--name", name]);
    let workspace_id = ws["workspace"]["id"].as_i64().unwrap();
    let id = workspace_id.to_string();
    let token = admin(db, &["token", "create", "--workspace", &id, "--all-scopes"]);
    let org = admin(
        db,
        &[
            "organization",
            "--workspace",
            &id,
            "--name",
            &format!("{name} Co"),
        ],
    );
    Tenant {
        fixtures: Fixtures {
            workspace_id,
            contact_id: org["organization"]["id"].as_i64().unwrap(),
            organization_uuid: org["organization"]["uuid"].as_str().unwrap().to_owned(),
        },
        token: token["token"].as_str().unwrap().to_owned(),
        token_id: token["tokenId"].as_i64().unwrap(),
    }
}

/// A running `crm serve`, killed when dropped.
pub struct Crm {
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

/// How a `crm serve` that did not start ended.
#[derive(Debug)]
pub struct Exited {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Drop for Crm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Collects `from`'s lines into `into`, and sends each on `tx`.
fn collect(
    from: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
    tx: mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    })
}

impl Crm {
    /// `crm serve --bind 127.0.0.1:0 --db DB ARGS…` with `env` (and `RUST_LOG`
    /// unset unless `env` sets it: the binary's default, info); the server once
    /// it logs that it is listening, or how it exited.
    pub fn start(
        db: impl AsRef<OsStr>,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Result<Crm, Exited> {
        let mut command = Command::new(CRM);
        command
            .args(["serve", "--bind", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args);
        Self::spawn(command, env)
    }

    /// Like [`Crm::start`], with the whole command line given (after `serve`).
    pub fn start_args(args: &[&str], env: &[(&str, &str)]) -> Result<Crm, Exited> {
        let mut command = Command::new(CRM);
        command.arg("serve").args(args);
        Self::spawn(command, env)
    }

    fn spawn(mut command: Command, env: &[(&str, &str)]) -> Result<Crm, Exited> {
        let mut child = command
            .env_remove("RUST_LOG")
            .env_remove("CRM_DB")
            .env_remove("CRM_BIND")
            .env_remove("CRM_METRICS_BIND")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (stdout, stderr) = (Arc::default(), Arc::default());
        let (tx, lines) = mpsc::channel();
        let readers = vec![
            collect(
                child.stdout.take().unwrap(),
                Arc::clone(&stdout),
                mpsc::channel().0,
            ),
            collect(child.stderr.take().unwrap(), Arc::clone(&stderr), tx),
        ];
        let mut crm = Crm {
            child,
            url: String::new(),
            addr: String::new(),
            stdout,
            stderr,
            readers,
        };
        let started = Instant::now();
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.contains("crm is listening") => {
                    let address = line
                        .split_whitespace()
                        .find_map(|w| w.strip_prefix("address="))
                        .unwrap_or_else(|| panic!("no address in {line:?}"))
                        .to_owned();
                    crm.url = format!("http://{address}");
                    crm.addr = address;
                    return Ok(crm);
                }
                Ok(_) => {}
                Err(_) => {
                    if let Some(status) = crm.child.try_wait().unwrap() {
                        for reader in crm.readers.drain(..) {
                            reader.join().unwrap();
                        }
                        return Err(Exited {
                            status,
                            stdout: crm.stdout(),
                            stderr: crm.stderr(),
                        });
                    }
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "crm serve neither listened nor exited: {}",
                crm.stderr()
            );
        }
    }

    /// What it has printed on stdout so far.
    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().join("\n")
    }

    /// What it has logged (stderr) so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// The token a first start printed, as far as its stdout has been read: for
    /// a start that must print none. A start that must print one waits for it
    /// with [`Crm::first_start_token`].
    pub fn printed_token(&self) -> Option<String> {
        self.stdout
            .lock()
            .unwrap()
            .iter()
            .map(|l| l.trim())
            .find(|l| l.starts_with("crm_"))
            .map(str::to_owned)
    }

    /// The token a first start prints. `crm serve` prints it before it logs
    /// that it listens, but its stdout is read by another thread than its log,
    /// so the token may be read a moment after the log line: waited for, up to
    /// 30 s.
    pub fn first_start_token(&self) -> String {
        let started = Instant::now();
        loop {
            if let Some(token) = self.printed_token() {
                return token;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "crm serve printed no token: {}",
                self.stdout()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops it with SIGTERM (it finishes, flushes its log and exits 0); its whole
    /// log.
    pub fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let started = Instant::now();
        let exit = loop {
            if let Some(exit) = self.child.try_wait().unwrap() {
                break exit;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "crm serve did not exit on SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        assert!(exit.success(), "crm serve exited {exit}: {}", self.stderr());
        self.stderr()
    }
}

/// One create of `op` with `body` (its JSON, `content_type` as given), the
/// operation's headers for `fx` and `extra` ones: its status and JSON answer.
pub async fn send(
    url: &str,
    op: &Operation,
    token: &str,
    fx: &Fixtures,
    extra: &[(&str, &str)],
    content_type: &str,
    body: impl Into<reqwest::Body>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}{}", op.path))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", content_type)
        .body(body);
    for (name, value) in (op.headers)(fx) {
        request = request.header(name, value);
    }
    for (name, value) in extra {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", op.name()));
    (status, body)
}

/// One create of `op`, its unique values made from `suffix`, as JSON.
pub async fn create(
    url: &str,
    op: &Operation,
    token: &str,
    fx: &Fixtures,
    suffix: &str,
    extra: &[(&str, &str)],
) -> (u16, Value) {
    let body = (op.body)(suffix, fx).to_string();
    send(url, op, token, fx, extra, "application/json", body).await
}

/// How many rows hold what `op` makes with `suffix`.
pub fn stored(db: &Path, op: &Operation, suffix: &str) -> i64 {
    let stored = (op.stored)(suffix);
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .query_row(
            &format!(
                "SELECT count(*) FROM {} WHERE {} = ?1",
                stored.table, stored.column
            ),
            [&stored.value],
            |r| r.get(0),
        )
        .unwrap()
}

/// One raw HTTP/1.1 exchange on a new connection (`Connection: close`): the
/// status, the headers (names lower-cased) and the body of the answer. The
/// request is written whole before the answer is read; a write the server cut
/// short (it answered early and closed) is not an error.
pub fn raw_exchange(addr: &str, request: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = stream.write_all(request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no answer head: {:?}", String::from_utf8_lossy(&answer)));
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let body = answer[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status in {head:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let body = if headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"))
    {
        dechunk(&body)
    } else {
        body
    };
    (status, headers, body)
}

/// A chunked body's content.
fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = raw.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&raw[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
}

/// The head of a create of `op` for a raw exchange, without the body framing
/// (`Content-Length` or `Transfer-Encoding`) nor the blank line that ends it.
pub fn raw_head(op: &Operation, token: &str, fx: &Fixtures, content_type: &str) -> String {
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\
         Authorization: Bearer {token}\r\nContent-Type: {content_type}\r\n",
        op.method, op.path
    );
    for (name, value) in (op.headers)(fx) {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head
}

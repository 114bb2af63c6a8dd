//! The real `crm` binary for `tests/durability.rs`: a tenant made with `crm admin`,
//! `crm serve` started (optionally under `strace`) with its API and `/metrics` on
//! ephemeral ports read from its log, creates sent to it, and its writer counters
//! scraped from `/metrics`.

use crm_testkit::{Fixtures, Operation};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// `crm admin --db DB ARGS…`'s JSON output; panics with its stderr if it fails.
fn admin(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(CRM)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crm admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A workspace on `db`, a token with every scope, and the organization the
/// operations name.
pub fn tenant(db: &Path) -> (Fixtures, String) {
    let ws = admin(db, &["workspace", "--name", "durability"]);
    let workspace_id = ws["workspace"]["id"].as_i64().unwrap();
    let id = workspace_id.to_string();
    let token = admin(db, &["token", "--workspace", &id, "--all-scopes"]);
    let org = admin(
        db,
        &["organization", "--workspace", &id, "--name", "Durable Co"],
    );
    let fixtures = Fixtures {
        workspace_id,
        contact_id: org["organization"]["id"].as_i64().unwrap(),
        organization_uuid: org["organization"]["uuid"].as_str().unwrap().to_owned(),
    };
    (fixtures, token["token"].as_str().unwrap().to_owned())
}

/// A running `crm serve` (or `strace … crm serve`), killed when dropped.
pub struct Crm {
    child: Child,
    pub api: String,
    pub api_port: u16,
    pub metrics: String,
    pub metrics_port: u16,
    stderr: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

/// The `address=` of the first log line containing `what`.
fn address(lines: &[String], what: &str) -> Option<String> {
    lines.iter().filter(|l| l.contains(what)).find_map(|l| {
        l.split_whitespace()
            .find_map(|w| w.strip_prefix("address="))
            .map(str::to_owned)
    })
}

impl Crm {
    /// `crm serve --db DB ARGS…` on ephemeral ports; `wrapper` runs before it
    /// (`strace` and its options). Returns once the writes `crm serve` makes by
    /// itself at start are done, so that the writer's counters move only with
    /// the test's creates.
    pub async fn start(db: &Path, args: &[&str], wrapper: &[String]) -> Crm {
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(CRM);
                c
            }
            None => Command::new(CRM),
        };
        let mut child = command
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(["--metrics-bind", "127.0.0.1:0", "--db"])
            .arg(db)
            .args(args)
            // The lines that say where it listens, not one per request.
            .env("RUST_LOG", "warn,crm=info")
            .env_remove("CRM_DB")
            .env_remove("CRM_BIND")
            .env_remove("CRM_METRICS_BIND")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::<Mutex<Vec<String>>>::default();
        let (tx, lines) = mpsc::channel::<()>();
        let from = child.stderr.take().unwrap();
        let into = Arc::clone(&stderr);
        std::thread::spawn(move || {
            for line in BufReader::new(from).lines().map_while(Result::ok) {
                into.lock().unwrap().push(line);
                let _ = tx.send(());
            }
        });
        let mut crm = Crm {
            child,
            api: String::new(),
            api_port: 0,
            metrics: String::new(),
            metrics_port: 0,
            stderr,
            client: reqwest::Client::new(),
        };
        let started = Instant::now();
        loop {
            let _ = lines.recv_timeout(Duration::from_millis(50));
            let log = crm.stderr.lock().unwrap().clone();
            if let (Some(api), Some(metrics)) = (
                address(&log, "crm is listening"),
                address(&log, "metrics at /metrics"),
            ) {
                crm.api_port = api.rsplit(':').next().unwrap().parse().unwrap();
                crm.api = format!("http://{api}");
                crm.metrics_port = metrics.rsplit(':').next().unwrap().parse().unwrap();
                crm.metrics = format!("http://{metrics}/metrics");
                crm.settle().await;
                return crm;
            }
            if let Some(status) = crm.child.try_wait().unwrap() {
                panic!("crm serve exited ({status}): {}", log.join("\n"));
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "crm serve did not listen within 60 s: {}",
                log.join("\n")
            );
        }
    }

    /// Waits for the two writes of every start: the first-start check (before
    /// it listens) and the first purge of expired idempotency keys (a task that
    /// starts with it). Both commit without changing a page.
    async fn settle(&self) {
        let started = Instant::now();
        while self.metrics().await.writes() < 2 {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "crm serve did not make its two start-up writes within 30 s: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Stops the server with SIGTERM (under strace: the traced `crm`, so that
    /// strace writes its whole trace and exits with it) and waits for it.
    pub fn stop(mut self) {
        let pid = self.traced_pid().unwrap_or(self.child.id());
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill -TERM {pid}");
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "crm serve did not stop within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process the wrapper started (`crm` under strace), if there is one:
    /// the process whose parent is the wrapper.
    fn traced_pid(&self) -> Option<u32> {
        let parent = self.child.id().to_string();
        std::fs::read_dir("/proc").ok()?.find_map(|entry| {
            let stat = std::fs::read_to_string(entry.ok()?.path().join("stat")).ok()?;
            // pid (comm) state ppid …; comm may hold spaces and parentheses.
            let (pid, rest) = stat.split_once(" (")?;
            let ppid = rest.rsplit_once(") ")?.1.split_whitespace().nth(1)?;
            (ppid == parent).then(|| pid.parse().ok())?
        })
    }

    /// One create of `op` with `suffix` (JSON), plus `extra` headers: the status
    /// and the body.
    pub async fn create(
        &self,
        op: &Operation,
        token: &str,
        fx: &Fixtures,
        suffix: &str,
        extra: &[(&str, String)],
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(format!("{}{}", self.api, op.path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body((op.body)(suffix, fx).to_string());
        for (name, value) in (op.headers)(fx).iter().chain(extra) {
            request = request.header(*name, value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", op.name()));
        (status, body)
    }

    /// Every sample of `/metrics`, by its name and labels as written.
    pub async fn metrics(&self) -> Metrics {
        let text = self
            .client
            .get(&self.metrics)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let samples = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (name, value) = l.rsplit_once(' ')?;
                Some((name.to_owned(), value.parse().ok()?))
            })
            .collect();
        Metrics { samples, text }
    }
}

impl Drop for Crm {
    fn drop(&mut self) {
        if let Some(pid) = self.traced_pid() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One scrape of `/metrics`.
pub struct Metrics {
    samples: BTreeMap<String, f64>,
    pub text: String,
}

impl Metrics {
    /// A sample's value; panics naming it when the scrape has none.
    pub fn get(&self, name: &str) -> u64 {
        let value = self
            .samples
            .get(name)
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{}", self.text));
        *value as u64
    }

    /// The sum of every sample whose name (labels included) starts with
    /// `prefix`; 0 when there is none (a labelled family is empty until used).
    pub fn sum(&self, prefix: &str) -> u64 {
        self.samples
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(_, v)| *v as u64)
            .sum()
    }

    /// Transactions the writer committed.
    pub fn commits(&self) -> u64 {
        self.get("crm_store_commits_total")
    }

    /// Writes those transactions carried.
    pub fn writes(&self) -> u64 {
        self.get("crm_store_writes_total")
    }

    /// `crm_store_rows_per_commit`'s buckets, (le, cumulative count), in order.
    pub fn batch_buckets(&self) -> Vec<(String, u64)> {
        let prefix = "crm_store_rows_per_commit_bucket{le=\"";
        let mut buckets: Vec<(String, u64)> = self
            .samples
            .iter()
            .filter_map(|(name, v)| {
                let le = name.strip_prefix(prefix)?.strip_suffix("\"}")?;
                Some((le.to_owned(), *v as u64))
            })
            .collect();
        buckets.sort_by(|a, b| bound(&a.0).total_cmp(&bound(&b.0)));
        buckets
    }
}

fn bound(le: &str) -> f64 {
    if le == "+Inf" {
        f64::INFINITY
    } else {
        le.parse().unwrap()
    }
}

/// The database file in a fresh directory.
pub fn new_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    (dir, db)
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

//! Crash safety: the real `crm` binary takes concurrent creates of every operation
//! (`crm_testkit::OPERATIONS`), each with its own `Idempotency-Key`, is killed with
//! SIGKILL mid-load, and restarted. Then:
//!
//! - every create it acknowledged is there, exactly once, and `PRAGMA
//!   integrity_check` says ok;
//! - every create that was in flight at the kill (sent, no complete answer) is sent
//!   again, the same body and headers and key: within 1 s it must answer success,
//!   with the id of the record the first request made if that committed (a
//!   replay), or a fresh record otherwise, which then exists exactly once. It must
//!   never answer "still being processed": that would be a key claimed by a create
//!   whose answer the kill kept from being recorded;
//! - every acknowledged create is sent again too and must replay its id.
//!
//! Every operation must be acknowledged in every round, or the round fails. Rounds
//! alternate the `full` and `normal` durabilities (a killed process loses nothing
//! in either).
//!
//! `CRM_CRASH_ROUNDS` sets the number of rounds (default 5); `cargo xtask crash
//! --rounds N` runs this test with it.

use crm_testkit::{Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// Kills the server when dropped, so a failing round leaves no process behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `crm serve`; returns it and the bootstrap token if it printed one.
fn start(db: &Path, port: u16, durability: &str) -> (Server, Option<String>) {
    let mut child = Command::new(CRM)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--durability",
            durability,
            "--db",
        ])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(db.with_extension("stderr")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut token = None;
    let fresh = !db.exists() || std::fs::metadata(db).map(|m| m.len() == 0).unwrap_or(true);
    if fresh {
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if line.trim().starts_with("crm_") {
                token = Some(line.trim().to_owned());
            }
            if line.starts_with("Try: curl") {
                break;
            }
        }
    }
    let server = Server(child);
    if fresh && token.is_none() {
        return (server, None);
    }
    // Ready when it accepts connections.
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, token);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("crm serve did not start on port {port}");
}

/// One create of the load: everything needed to send it again, byte for byte.
#[derive(Clone)]
struct Create {
    n: u64,
    op: &'static Operation,
    /// Makes the body's unique values new (see `Operation::stored`).
    suffix: String,
    key: String,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

impl Create {
    /// The `n`-th create of round `round`: operation `n % 5`.
    fn new(round: u32, n: u64, fx: &Fixtures) -> Create {
        let op = &OPERATIONS[(n % OPERATIONS.len() as u64) as usize];
        let suffix = format!("{round}-{n}");
        let mut body = (op.body)(&suffix, fx);
        let (content_type, body) = match op.operation_id {
            // Introzy links or creates the company by name: a few shared names
            // keep that write under concurrency too.
            "introzy_create_person" => {
                body["companyName"] = json!(format!("Co {}", n % 7));
                ("application/json", body.to_string())
            }
            // MaiaScore as form data, one of the media types it takes.
            "maiascore_create_customer" => {
                let form = "application/x-www-form-urlencoded";
                assert!(op.media_types.contains(&form));
                (form, serde_urlencoded::to_string(&body).unwrap())
            }
            _ => ("application/json", body.to_string()),
        };
        Create {
            n,
            op,
            suffix,
            key: format!("crash-{round}-{n}"),
            content_type,
            headers: (op.headers)(fx),
            body,
        }
    }

    async fn send(&self, client: &reqwest::Client, base: &str, token: &str) -> Outcome {
        let mut request = client
            .post(format!("{base}{}", self.op.path))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", self.content_type)
            .header("Idempotency-Key", &self.key);
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        let response = match request.body(self.body.clone()).send().await {
            Ok(response) => response,
            // Nothing reached the server: it was already gone.
            Err(e) if e.is_connect() => return Outcome::NotSent,
            Err(e) => return Outcome::InFlight(failure(&e)),
        };
        let status = response.status().as_u16();
        let text = match response.text().await {
            Ok(text) => text,
            // The status came, the body did not: not a complete answer.
            Err(e) => return Outcome::InFlight(format!("{status}, then {}", failure(&e))),
        };
        let id = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|body| self.op.created_id(&body).map(str::to_owned));
        match id {
            Some(id) if status == self.op.success => Outcome::Acked(id),
            _ => Outcome::Answered(status, text),
        }
    }

    /// The ids of the rows holding this create's unique value.
    fn stored_ids(&self, conn: &rusqlite::Connection) -> Vec<String> {
        let stored = (self.op.stored)(&self.suffix);
        let mut statement = conn
            .prepare(&format!(
                "SELECT uuid FROM {} WHERE {} = ?1",
                stored.table, stored.column
            ))
            .unwrap();
        statement
            .query_map([&stored.value], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }
}

/// What one send got.
#[derive(Clone, Debug)]
enum Outcome {
    /// The operation's success status, with the created record's id.
    Acked(String),
    /// A complete answer that is not a success: never right for these creates.
    Answered(u16, String),
    /// Sent, and no complete answer: the kill interrupted it (or a timeout).
    InFlight(String),
    /// The connection was refused: the server was already gone.
    NotSent,
}

/// Counts per operation, for the round's report.
#[derive(Default)]
struct Tally {
    acked: usize,
    in_flight: usize,
    /// In flight at the kill and committed before it: the retry must replay.
    committed: usize,
    not_sent: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill_and_retries_replay_them() {
    let rounds: u32 = std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mut all_failures = Vec::new();
    for round in 0..rounds {
        let durability = if round % 2 == 0 { "full" } else { "normal" };
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        // Another process can take a free port between our look and the bind:
        // try a few.
        let (mut port, mut started) = (0, None);
        for _ in 0..3 {
            port = free_port();
            let (server, token) = start(&db, port, durability);
            if token.is_some() {
                started = Some((server, token));
                break;
            }
            let _ = std::fs::remove_file(&db);
        }
        let (server, token) =
            started.unwrap_or((Server(Command::new("true").spawn().unwrap()), None));
        let token = token.unwrap_or_else(|| {
            panic!(
                "round {round}: a fresh database prints a token; the server said: {}",
                std::fs::read_to_string(db.with_extension("stderr")).unwrap_or_default()
            )
        });
        // The default workspace (id 1) and an organization: BigChange's contact,
        // and what every lead belongs to.
        let org = Command::new(CRM)
            .args(["admin", "--db"])
            .arg(&db)
            .args([
                "organization",
                "--workspace",
                "1",
                "--name",
                "Crash Contact",
            ])
            .output()
            .unwrap();
        let org = serde_json::from_slice::<Value>(&org.stdout).unwrap();
        let fx = Arc::new(Fixtures {
            workspace_id: 1,
            contact_id: org["organization"]["id"].as_i64().unwrap(),
            organization_uuid: org["organization"]["uuid"].as_str().unwrap().to_owned(),
        });

        let base = format!("http://127.0.0.1:{port}");
        let sent: Arc<Mutex<Vec<(Create, Outcome)>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..16)
            .map(|_| {
                let (sent, stop, counter, base, token, fx) = (
                    sent.clone(),
                    stop.clone(),
                    counter.clone(),
                    base.clone(),
                    token.clone(),
                    fx.clone(),
                );
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .unwrap();
                    // Bounded: the kill ends it long before this many requests.
                    for _ in 0..100_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let create = Create::new(round, n, &fx);
                        let outcome = create.send(&client, &base, &token).await;
                        sent.lock().unwrap().push((create, outcome));
                    }
                })
            })
            .collect();
        // Kill while creates are in flight: once every operation has been
        // acknowledged a few times (however fast this machine is), at a different
        // moment each round.
        for _ in 0..2000 {
            let acked_per_op = |op: &Operation| {
                let sent = sent.lock().unwrap();
                sent.iter()
                    .filter(|(c, o)| {
                        c.op.operation_id == op.operation_id && matches!(o, Outcome::Acked(_))
                    })
                    .count()
            };
            if OPERATIONS.iter().all(|op| acked_per_op(op) >= 8) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis((u64::from(round) * 73) % 200)).await;
        drop(server); // SIGKILL
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
        let mut sent = std::mem::take(&mut *sent.lock().unwrap());
        sent.sort_by_key(|(c, _)| c.n);

        let mut failures = Vec::new();
        let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
        for (create, outcome) in &sent {
            let t = tally.entry(create.op.operation_id).or_default();
            match outcome {
                Outcome::Acked(_) => t.acked += 1,
                Outcome::InFlight(_) => t.in_flight += 1,
                Outcome::NotSent => t.not_sent += 1,
                Outcome::Answered(status, text) => failures.push(format!(
                    "{} {}: answered {status} during the load: {text}",
                    create.key,
                    create.op.name()
                )),
            }
        }
        let acked: Vec<(&Create, &str)> = sent
            .iter()
            .filter_map(|(c, o)| match o {
                Outcome::Acked(id) => Some((c, id.as_str())),
                _ => None,
            })
            .collect();
        assert!(
            acked.len() > 20,
            "round {round}: the load made too few creates ({})",
            acked.len()
        );
        for op in &OPERATIONS {
            assert!(
                tally.get(op.operation_id).is_some_and(|t| t.acked > 0),
                "round {round}: {} was never acknowledged",
                op.name()
            );
        }

        // Restart on the same database; it must come back and serve.
        let (server, _) = start(&db, port, durability);
        let in_flight: Vec<&Create> = sent
            .iter()
            .filter(|(_, o)| matches!(o, Outcome::InFlight(_)))
            .map(|(c, _)| c)
            .collect();
        // What the in-flight creates left behind: a committed record, or nothing.
        let committed: Vec<Option<String>> = {
            let conn = rusqlite::Connection::open_with_flags(
                &db,
                rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
            )
            .unwrap();
            in_flight
                .iter()
                .map(|c| {
                    let ids = c.stored_ids(&conn);
                    assert!(
                        ids.len() <= 1,
                        "round {round}: {} stored twice: {ids:?}",
                        c.key
                    );
                    ids.into_iter().next()
                })
                .collect()
        };
        // Retries: one client, each answer within 1 s. A key left claimed without
        // its answer would make the server wait for it (10 s) and then refuse.
        let retry_client = reqwest::Client::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap();
        // In-flight creates whose retry succeeded, with the id it answered.
        let mut retried = Vec::new();
        for (create, committed) in in_flight.iter().zip(&committed) {
            if committed.is_some() {
                tally.get_mut(create.op.operation_id).unwrap().committed += 1;
            }
            let what = format!(
                "{} {} (in flight at the kill, {})",
                create.key,
                create.op.name(),
                if committed.is_some() {
                    "committed before it"
                } else {
                    "not committed"
                }
            );
            match (create.send(&retry_client, &base, &token).await, committed) {
                (Outcome::Acked(id), Some(original)) if id == *original => {
                    retried.push((*create, id))
                }
                (Outcome::Acked(id), Some(original)) => failures.push(format!(
                    "{what}: the retry answered id {id}, not the stored {original}"
                )),
                (Outcome::Acked(id), None) => retried.push((*create, id)),
                (outcome, _) => failures.push(format!(
                    "{what}: the retry got {}{}",
                    describe(&outcome),
                    stuck_hint(&outcome)
                )),
            }
        }
        for (create, id) in &acked {
            let what = format!("{} {} (acknowledged)", create.key, create.op.name());
            match create.send(&retry_client, &base, &token).await {
                Outcome::Acked(replayed) if replayed == *id => {}
                Outcome::Acked(replayed) => failures.push(format!(
                    "{what}: the retry answered id {replayed}, not {id}"
                )),
                outcome => failures.push(format!("{what}: the retry got {}", describe(&outcome))),
            }
        }
        // And new creates of every operation are served.
        let client = reqwest::Client::new();
        for (i, op) in OPERATIONS.iter().enumerate() {
            // Numbers the load never reached; a multiple of 5 first, so `i` picks `op`.
            let create = Create::new(round, 1_000_000_000 + i as u64, &fx);
            assert_eq!(create.op.operation_id, op.operation_id);
            let outcome = create.send(&client, &base, &token).await;
            assert!(
                matches!(outcome, Outcome::Acked(_)),
                "round {round}: the restarted server serves {}: {}",
                op.name(),
                describe(&outcome)
            );
        }
        drop(server);

        let conn = rusqlite::Connection::open(&db).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        // Every acknowledged create is stored, once, under the id it answered.
        for (create, id) in &acked {
            let ids = create.stored_ids(&conn);
            if ids != [id.to_string()] {
                failures.push(format!(
                    "{} {} acknowledged {id}: stored {ids:?}",
                    create.key,
                    create.op.name()
                ));
            }
        }
        // An in-flight create is stored once, under the id its retry answered:
        // the first request's record (replayed), or the retry's (fresh).
        for (create, id) in &retried {
            let ids = create.stored_ids(&conn);
            if ids != [id.to_string()] {
                failures.push(format!(
                    "{} {} retried after the kill, answered {id}: stored {ids:?}",
                    create.key,
                    create.op.name()
                ));
            }
        }
        let report: Vec<String> = tally
            .iter()
            .map(|(op, t)| {
                format!(
                    "{op}: {} acked, {} in flight ({} committed before the kill), {} not sent",
                    t.acked, t.in_flight, t.committed, t.not_sent
                )
            })
            .collect();
        eprintln!("crash round {round} ({durability}): {}", report.join("; "));
        eprintln!(
            "crash round {round} ({durability}): {} acknowledged creates checked and retried, \
             {} in-flight creates retried, integrity ok: {} failures",
            acked.len(),
            in_flight.len(),
            failures.len()
        );
        // Every round runs, so one run shows how often each failure happens.
        all_failures.extend(
            failures
                .into_iter()
                .map(|f| format!("round {round} ({durability}): {f}")),
        );
    }
    assert!(
        all_failures.is_empty(),
        "{} failures:\n  {}",
        all_failures.len(),
        all_failures.join("\n  ")
    );
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Acked(id) => format!("success, id {id}"),
        Outcome::Answered(status, text) => format!("{status}: {text}"),
        Outcome::InFlight(e) => format!("no complete answer: {e}"),
        Outcome::NotSent => "connection refused".into(),
    }
}

/// Why a retry may wait or be refused as "still being processed": the key was
/// claimed with the create, and its answer, recorded after the create committed,
/// was lost at the kill. The server then waits 10 s for that answer, and refuses.
fn stuck_hint(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Answered(_, text) if text.contains("still being processed") => {
            " (a claimed key without its answer: it must never be answered so)"
        }
        Outcome::InFlight(e) if e.starts_with("timed out") => {
            " (the client waits 1 s; a claimed key without its answer makes the server wait 10 s)"
        }
        _ => "",
    }
}

/// A transport failure, saying whether it was the client's timeout.
fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("timed out: {e}")
    } else {
        format!("{e:?}")
    }
}

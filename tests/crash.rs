//! Crash safety: the real `crm` binary takes concurrent creates of every operation
//! (`crm_testkit::OPERATIONS`), each with its own `Idempotency-Key` and every field
//! its operation takes (links to organizations, people, pipelines; custom values;
//! `tests/crash/records.rs`), and something fails mid-load:
//!
//! - on SQLite, and on PostgreSQL, `crm serve` is killed with SIGKILL and a new one
//!   started on the same database;
//! - on PostgreSQL, the database itself is restarted in immediate mode (`pg_ctl
//!   restart -m immediate`: what a crash of PostgreSQL does, recovery from its WAL at
//!   the next start), on a throwaway cluster the test owns, while the server runs.
//!
//! During the load every answer is classified: a success must carry its record's
//! id; any other complete answer is a failure (no refusal is documented for these
//! valid, unique creates), and so is a failed connection while the server was
//! still running, except what the fault itself explains: requests cut by the kill
//! are "in flight"; while the database restarts, a create may be answered 503 in
//! its family's envelope (`the service cannot store records right now…`), never a
//! 500, never a cut connection, and within `--request-timeout-secs` (3 s here) plus
//! room for a loaded machine. Every operation must be acknowledged in every round,
//! or the round fails.
//!
//! Afterwards:
//! - every acknowledged create is stored exactly once under the id it answered and
//!   read back whole (every column, its links, its custom values), with its answer
//!   recorded under its key; sent again with its key it replays the same answer
//!   (status and body) and makes nothing;
//! - every create in flight at the kill, or answered 503 during the restart, is
//!   wholly present (record whole, links, custom values, key with its answer) or
//!   wholly absent (no record, no key); sent again it answers within 1 s: a replay
//!   of the stored answer if it committed, or a record made exactly once (a second
//!   retry replays that). A 503 whose create had in fact committed (its COMMIT
//!   reached the WAL, the answer did not reach the server) is counted and reported;
//!   its retry must replay it;
//! - no custom value outlives its record, no key is left without its answer, and
//!   the tables hold exactly the records the test made; on SQLite, `PRAGMA
//!   integrity_check` is ok and `PRAGMA foreign_key_check` empty (PostgreSQL
//!   enforces its foreign keys on every statement).
//!
//! SQLite rounds alternate the `full` and `normal` durabilities and the `group`
//! and `per-request` commit modes (a killed process loses nothing in any);
//! PostgreSQL's SIGKILL rounds alternate the durabilities too (PostgreSQL itself
//! runs on), its restart rounds are `full` (`synchronous_commit = off` may lose
//! acknowledged creates when the database crashes, as documented).
//! `CRM_CRASH_ROUNDS` sets the number of rounds of each test (default 5; 3 for
//! the restart); `cargo xtask crash --rounds N` runs this file with it. The tests
//! take turns rather than load the machine together. Without
//! PostgreSQL its tests say loudly that they are skipped (a failure under
//! `CRM_REQUIRE_POSTGRES=1`).

#[path = "crash/create.rs"]
mod create;
// The one reader of stored rows for both stores; this file uses part of it.
#[allow(dead_code)]
#[path = "common/db.rs"]
mod db;
#[path = "support/postgres.rs"]
mod postgres;
#[path = "crash/records.rs"]
mod records;

use create::{describe, Create, Outcome};
use crm_server::pipeline::failure::UNAVAILABLE_MESSAGE;
use crm_testkit::{Fixtures, Operation, OPERATIONS};
use db::TestDb;
use records::Setup;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// `--request-timeout-secs` of the servers whose database is restarted.
const REQUEST_TIMEOUT_SECS: u64 = 3;
/// Room, past the request timeout, for a shared and loaded test machine.
const SLACK: Duration = Duration::from_secs(4);

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

/// Where a round's records are.
enum Store {
    Sqlite(PathBuf),
    /// A database's URL.
    Postgres(String),
}

impl Store {
    /// `--db`'s value.
    fn arg(&self) -> &OsStr {
        match self {
            Store::Sqlite(path) => path.as_os_str(),
            Store::Postgres(url) => OsStr::new(url),
        }
    }

    /// A connection that reads what the server stored.
    fn open(&self) -> TestDb {
        match self {
            Store::Sqlite(path) => TestDb::sqlite(path),
            Store::Postgres(url) => TestDb::postgres(url),
        }
    }
}

/// What fails mid-load.
enum Fault<'a> {
    /// SIGKILL to `crm serve`; then a new one on the same database.
    KillServer,
    /// `pg_ctl restart -m immediate` of the cluster under the running server.
    RestartDatabase(&'a postgres::Cluster),
}

/// How a round runs the server.
struct Mode {
    durability: &'static str,
    commit: &'static str,
}

impl Mode {
    fn of(round: u32) -> Mode {
        Mode {
            durability: if round.is_multiple_of(2) {
                "full"
            } else {
                "normal"
            },
            commit: if round % 4 < 2 {
                "group"
            } else {
                "per-request"
            },
        }
    }
}

impl std::fmt::Display for Mode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}, {}", self.durability, self.commit)
    }
}

/// The crash tests take turns: a round is a heavy load of its own (16 clients, a
/// killed and restarted server, a restarted database), and side by side each would
/// run under the others' load, where a retry's 1 s bound no longer says "stuck
/// key" but "busy machine".
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn rounds(default: u32) -> u32 {
    std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(default)
}

/// Starts `crm serve` (its log appended to `log`); returns it and the bootstrap
/// token if it printed one. A `fresh` database prints one unless the server
/// could not start (the port was taken).
fn start(
    store: &Store,
    log: &Path,
    port: u16,
    mode: &Mode,
    fresh: bool,
    extra: &[&str],
) -> (Server, Option<String>) {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut child = Command::new(CRM)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--durability", mode.durability, "--commit", mode.commit])
        .args(extra)
        .arg("--db")
        .arg(store.arg())
        .env("RUST_LOG", "warn")
        .env_remove("CRM_DB")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut token = None;
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
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, token);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!(
        "crm serve did not start on port {port}: {}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// `crm admin --db <db> <args>` in the default workspace; its JSON output.
fn admin(store: &Store, args: &[&str]) -> Value {
    let out = Command::new(CRM)
        .args(["admin", "--db"])
        .arg(store.arg())
        .args(args)
        .args(["--workspace", "1"])
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

/// What every round's load refers to: an organization, custom fields, a pipeline
/// and a person, made through `crm admin` and the API before the load.
async fn set_up(store: &Store, base: &str, token: &str) -> Setup {
    let org = admin(store, &["organization", "--name", records::CONTACT]);
    let fx = Fixtures {
        workspace_id: 1,
        contact_id: org["organization"]["id"].as_i64().unwrap(),
        organization_uuid: org["organization"]["uuid"].as_str().unwrap().to_owned(),
    };
    let mut person_fields = BTreeMap::new();
    for (entity, fields) in [
        ("person", &records::PERSON_FIELDS[..]),
        ("lead", &records::LEAD_FIELDS[..]),
    ] {
        for (name, key, ty, options) in fields {
            let mut args = vec![
                "field", "--entity", entity, "--name", name, "--key", key, "--type", ty,
            ];
            for option in *options {
                args.extend(["--option", option]);
            }
            let id = admin(store, &args)["field"]["id"].as_i64().unwrap();
            if entity == "person" {
                person_fields.insert(key.to_string(), id);
            }
        }
    }
    let standard: i64 = store.open().value(
        "SELECT id FROM field_definitions
         WHERE workspace_id = 1 AND entity = 'person' AND key = ?1",
        &[&"last_contacted_at"],
    );
    person_fields.insert("last_contacted_at".into(), standard);
    let pipeline = admin(
        store,
        &[
            "pipeline", "--name", "Crash", "--stage", "new", "--stage", "won", "--stage", "lost",
        ],
    );
    let stages = pipeline["pipeline"]["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["uuid"].as_str().unwrap().to_owned())
        .collect();
    let answer = reqwest::Client::new()
        .post(format!("{base}/v2/people"))
        .bearer_auth(token)
        .json(&json!({"name": "Lead Owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 201);
    let answer: Value = answer.json().await.unwrap();
    Setup {
        fx,
        person_fields,
        pipeline: pipeline["pipeline"]["uuid"].as_str().unwrap().to_owned(),
        stages,
        person: answer["data"]["people"]["id"].as_str().unwrap().to_owned(),
    }
}

/// Where a round is when an outcome comes.
const BEFORE: u8 = 0;
/// The fault has begun (the kill, the restart).
const DURING: u8 = 1;
/// The database is back after a restart.
const AFTER: u8 = 2;

/// One send of the load: by which worker, and where the round was when its outcome
/// came (only after the fault began is anything but a success expected).
struct Sent {
    create: Create,
    outcome: Outcome,
    worker: usize,
    phase: u8,
}

/// Counts per operation, for the round's report.
#[derive(Default)]
struct Tally {
    acked: usize,
    /// Cut by the kill, or answered 503 during the restart.
    in_flight: usize,
    /// Of those, committed before the fault: the retry must replay.
    committed: usize,
    not_sent: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill_whole_and_retries_replay_them() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut failures = Vec::new();
    for round in 0..rounds(5) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::Sqlite(dir.path().join("crm.db"));
        let log = dir.path().join("crm.stderr");
        let mode = Mode::of(round);
        let label = format!("SQLite crash round {round} ({mode})");
        let found = crash_round(&label, round, &store, &log, &mode, &Fault::KillServer).await;
        collect(&mut failures, &label, found);
    }
    assert_no_failures(failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_acknowledged_creates_survive_sigkill_whole_and_retries_replay_them() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut failures = Vec::new();
    for round in 0..rounds(5) {
        let Some(url) = postgres::database_url() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("crm.stderr");
        let mode = Mode::of(round);
        let store = Store::Postgres(url);
        let label = format!("PostgreSQL crash round {round} ({})", mode.durability);
        let found = crash_round(&label, round, &store, &log, &mode, &Fault::KillServer).await;
        collect(&mut failures, &label, found);
    }
    assert_no_failures(failures);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgres_an_immediate_restart_mid_load_is_503s_and_loses_no_acknowledged_create() {
    let _turn = ONE_AT_A_TIME.lock().await;
    // A cluster of the test's own: the shared server is not the test's to restart.
    let cluster = match postgres::Cluster::start() {
        Ok(cluster) => cluster,
        Err(why) => return postgres::skip(&why),
    };
    let mut failures = Vec::new();
    for round in 0..rounds(3) {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("crm.stderr");
        let mode = Mode {
            durability: "full",
            commit: "group",
        };
        let store = Store::Postgres(cluster.create_database());
        let fault = Fault::RestartDatabase(&cluster);
        let label = format!("PostgreSQL restart round {round}");
        let found = crash_round(&label, round, &store, &log, &mode, &fault).await;
        collect(&mut failures, &label, found);
    }
    assert_no_failures(failures);
}

/// Every round runs, so one run shows how often each failure happens. A record is
/// checked after the fault and again at the end: one line each.
fn collect(all: &mut Vec<String>, round: &str, found: Vec<String>) {
    for failure in found {
        let failure = format!("{round}: {failure}");
        if !all.contains(&failure) {
            all.push(failure);
        }
    }
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} failures:\n  {}",
        failures.len(),
        failures.join("\n  ")
    );
}

/// One round: load, fault, recovery, checks. Returns its failures; `label`
/// names it in its report on stderr.
async fn crash_round(
    label: &str,
    round: u32,
    store: &Store,
    log: &Path,
    mode: &Mode,
    fault: &Fault<'_>,
) -> Vec<String> {
    let restarts_database = matches!(fault, Fault::RestartDatabase(_));
    let timeout_arg = REQUEST_TIMEOUT_SECS.to_string();
    let restart_args = ["--request-timeout-secs", timeout_arg.as_str()];
    let extra: &[&str] = if restarts_database {
        &restart_args
    } else {
        &[]
    };
    // Another process can take a free port between our look and the bind: try a few.
    let (mut port, mut started) = (0, None);
    for _ in 0..3 {
        port = free_port();
        let (server, token) = start(store, log, port, mode, true, extra);
        if let Some(token) = token {
            started = Some((server, token));
            break;
        }
        drop(server);
        if let Store::Sqlite(path) = store {
            let _ = std::fs::remove_file(path);
        }
    }
    let Some((server, token)) = started else {
        panic!(
            "{label}: a fresh database prints a token; the server said: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    };
    let base = format!("http://127.0.0.1:{port}");
    let setup = Arc::new(set_up(store, &base, &token).await);

    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    // The bound on one create: SIGKILL answers at once (the connection is cut);
    // a restarting database must be answered within the request timeout.
    let client_timeout = if restarts_database {
        Duration::from_secs(REQUEST_TIMEOUT_SECS) + SLACK
    } else {
        Duration::from_secs(5)
    };
    let workers: Vec<_> = (0..16)
        .map(|worker| {
            let (sent, phase, stop, counter, base, token, setup) = (
                sent.clone(),
                phase.clone(),
                stop.clone(),
                counter.clone(),
                base.clone(),
                token.clone(),
                setup.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(client_timeout)
                    .build()
                    .unwrap();
                // Bounded: the fault ends it long before this many requests.
                for _ in 0..100_000 {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let create = Create::new(round, n, &setup);
                    let outcome = create.send(&client, &base, &token).await;
                    let phase = phase.load(Ordering::SeqCst);
                    sent.lock().unwrap().push(Sent {
                        create,
                        outcome,
                        worker,
                        phase,
                    });
                }
            })
        })
        .collect();
    // The fault strikes while creates are in flight: once every operation has been
    // acknowledged a few times (however fast this machine is), at a different
    // moment each round.
    for _ in 0..2000 {
        let acked = |op: &Operation| {
            let sent = sent.lock().unwrap();
            sent.iter()
                .filter(|s| {
                    s.create.op.operation_id == op.operation_id
                        && matches!(s.outcome, Outcome::Acked { .. })
                })
                .count()
        };
        if OPERATIONS.iter().all(|op| acked(op) >= 8) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis((u64::from(round) * 73) % 200)).await;
    phase.store(DURING, Ordering::SeqCst);
    let mut failures = Vec::new();
    let server = match fault {
        Fault::KillServer => {
            stop.store(true, Ordering::SeqCst);
            drop(server); // SIGKILL
            None
        }
        Fault::RestartDatabase(cluster) => {
            tokio::task::block_in_place(|| cluster.restart_immediate())
                .unwrap_or_else(|e| panic!("{label}: pg_ctl restart: {e}"));
            phase.store(AFTER, Ordering::SeqCst);
            // The load goes on until every worker has been served again.
            if let Err(stuck) = await_recovery(&sent).await {
                failures.push(stuck);
            }
            stop.store(true, Ordering::SeqCst);
            Some(server)
        }
    };
    for w in workers {
        w.await.unwrap();
    }
    let mut sent = std::mem::take(&mut *sent.lock().unwrap());
    sent.sort_by_key(|s| s.create.n);

    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut acked: Vec<(&Create, &str, &Value)> = Vec::new();
    let mut in_flight: Vec<&Create> = Vec::new();
    for Sent {
        create,
        outcome,
        phase,
        ..
    } in &sent
    {
        let t = tally.entry(create.op.operation_id).or_default();
        let faulted = *phase != BEFORE;
        match (outcome, fault) {
            (Outcome::Acked { id, answer }, _) => {
                t.acked += 1;
                acked.push((create, id, answer));
            }
            (Outcome::Cut(_), Fault::KillServer) if faulted => {
                t.in_flight += 1;
                in_flight.push(create);
            }
            (Outcome::NotSent, Fault::KillServer) if faulted => t.not_sent += 1,
            (Outcome::Answered(503, text), Fault::RestartDatabase(_))
                if faulted && is_unavailable(create.op, text) =>
            {
                t.in_flight += 1;
                in_flight.push(create);
            }
            // The server was running, or runs on: nothing else may happen.
            (outcome, _) => failures.push(format!(
                "{}: {} during the load{}",
                create.what(),
                describe(outcome),
                match *phase {
                    BEFORE => ", before the fault",
                    _ if restarts_database && matches!(outcome, Outcome::Cut(_)) => {
                        ", while the database restarted: no answer within \
                         --request-timeout-secs and the machine's slack"
                    }
                    _ => "",
                }
            )),
        }
    }
    for op in &OPERATIONS {
        let count = tally.get(op.operation_id).map_or(0, |t| t.acked);
        assert!(
            count > 0,
            "{label}: {} was never acknowledged; failures so far:\n  {}",
            op.name(),
            failures.join("\n  ")
        );
    }

    // After a kill, a new server on the same database; it must come back and serve.
    let server = match server {
        Some(server) => server,
        None => start(store, log, port, mode, false, extra).0,
    };
    let db = store.open();
    for (create, id, answer) in &acked {
        failures.extend(create.check_stored(&db, id, answer));
    }
    // What the creates the fault interrupted left: all of the write (its record
    // whole, its key with the answer naming it) or none of it.
    let mut committed: Vec<Option<(String, Value)>> = Vec::new();
    for create in &in_flight {
        let ids = create.stored_ids(&db);
        let recorded = records::recorded_answer(&db, &create.key);
        committed.push(match (&ids[..], recorded) {
            ([], None) => None,
            ([id], Some(Some(answer))) if create.op.created_id(&answer) == Some(id) => {
                failures.extend(create.check_stored(&db, id, &answer));
                tally.get_mut(create.op.operation_id).unwrap().committed += 1;
                Some((id.clone(), answer))
            }
            (ids, recorded) => {
                failures.push(format!(
                    "{} (interrupted by the fault): partly stored: records {ids:?}, key {recorded:?}",
                    create.what()
                ));
                None
            }
        });
    }

    // Retries: one client, each answer within 1 s. A key left claimed without its
    // answer would make the server wait for it (10 s) and then refuse.
    let retry_client = reqwest::Client::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    for (create, id, answer) in &acked {
        match create.send(&retry_client, &base, &token).await {
            Outcome::Acked {
                answer: replayed, ..
            } if replayed == **answer => {}
            outcome => failures.push(format!(
                "{} (acknowledged {id}): the retry got {}, not the same answer {answer}",
                create.what(),
                describe(&outcome)
            )),
        }
    }
    // Interrupted creates with the record their retry answered.
    let mut retried: Vec<(&Create, String, Value)> = Vec::new();
    for (create, committed) in in_flight.iter().zip(&committed) {
        let what = format!(
            "{} (interrupted by the fault, {})",
            create.what(),
            if committed.is_some() {
                "committed before it"
            } else {
                "not committed"
            }
        );
        let first = create.send(&retry_client, &base, &token).await;
        let (id, answer) = match (first, committed) {
            (Outcome::Acked { id, answer }, Some(stored))
                if (&id, &answer) == (&stored.0, &stored.1) =>
            {
                (id, answer)
            }
            (Outcome::Acked { id, answer }, None) => (id, answer),
            (outcome, committed) => {
                failures.push(format!(
                    "{what}: the retry got {}{}; stored: {committed:?}",
                    describe(&outcome),
                    stuck_hint(&outcome)
                ));
                continue;
            }
        };
        // Made exactly once: the next retry replays it.
        match create.send(&retry_client, &base, &token).await {
            Outcome::Acked {
                answer: replayed, ..
            } if replayed == answer => {}
            outcome => failures.push(format!(
                "{what}: a second retry got {}, not the first retry's answer {answer}",
                describe(&outcome)
            )),
        }
        retried.push((create, id, answer));
    }
    // And new creates of every operation are served.
    let client = reqwest::Client::new();
    let mut fresh: Vec<(Create, String, Value)> = Vec::new();
    for (i, op) in OPERATIONS.iter().enumerate() {
        // Numbers the load never reached; a multiple of 5 first, so `i` picks `op`.
        let create = Create::new(round, 1_000_000_000 + i as u64, &setup);
        assert_eq!(create.op.operation_id, op.operation_id);
        match create.send(&client, &base, &token).await {
            Outcome::Acked { id, answer } => fresh.push((create, id, answer)),
            outcome => failures.push(format!(
                "the server after the fault serves {}: {}",
                op.name(),
                describe(&outcome)
            )),
        }
    }
    drop(server);

    failures.extend(check_database(&db, store, &setup, &acked, &retried, &fresh));

    let report: Vec<String> = tally
        .iter()
        .map(|(op, t)| {
            format!(
                "{op}: {} acked, {} {} ({} committed before it), {} not sent",
                t.acked,
                t.in_flight,
                if restarts_database {
                    "answered 503"
                } else {
                    "in flight"
                },
                t.committed,
                t.not_sent
            )
        })
        .collect();
    eprintln!("{label}: {}", report.join("; "));
    eprintln!(
        "{label}: {} acknowledged creates read back and replayed, {} interrupted creates \
         retried: {} failures",
        acked.len(),
        in_flight.len(),
        failures.len()
    );
    failures
}

/// Whether `text` is `op`'s 503 in its family's envelope, as the store answers
/// while its database cannot take writes.
fn is_unavailable(op: &Operation, text: &str) -> bool {
    serde_json::from_str::<Value>(text).ok() == Some(op.refusal(503, UNAVAILABLE_MESSAGE).1)
}

/// Waits until every worker has been served a success sent after the database
/// came back; Err names the workers that were not, after a minute.
async fn await_recovery(sent: &Mutex<Vec<Sent>>) -> Result<(), String> {
    let started = Instant::now();
    loop {
        let served: BTreeSet<usize> = sent
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.phase == AFTER && matches!(s.outcome, Outcome::Acked { .. }))
            .map(|s| s.worker)
            .collect();
        if served.len() == 16 {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "after the restart, only workers {served:?} of 16 were served again within 60 s"
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The database after the round, the server stopped: sound, and holding exactly
/// the records the round made, each whole.
fn check_database(
    db: &TestDb,
    store: &Store,
    setup: &Setup,
    acked: &[(&Create, &str, &Value)],
    retried: &[(&Create, String, Value)],
    fresh: &[(Create, String, Value)],
) -> Vec<String> {
    let mut failures = Vec::new();
    if let Store::Sqlite(path) = store {
        let conn = rusqlite::Connection::open(path).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        if integrity != "ok" {
            failures.push(format!("integrity_check: {integrity}"));
        }
        let broken = records::foreign_key_violations(&conn);
        if !broken.is_empty() {
            failures.push(format!("foreign_key_check: {broken:?}"));
        }
    }
    let orphans = records::orphan_values(db);
    if orphans != 0 {
        failures.push(format!("{orphans} custom values without their record"));
    }
    let unanswered: i64 = db.value(
        "SELECT count(*) FROM idempotency_keys WHERE response IS NULL",
        &[],
    );
    if unanswered != 0 {
        failures.push(format!("{unanswered} keys claimed without an answer"));
    }

    let made: Vec<(&Create, &str, &Value)> = acked
        .iter()
        .copied()
        .chain(retried.iter().map(|(c, id, a)| (*c, id.as_str(), a)))
        .chain(fresh.iter().map(|(c, id, a)| (c, id.as_str(), a)))
        .collect();
    for (create, id, answer) in &made {
        failures.extend(create.check_stored(db, id, answer));
    }
    // Nothing else: every record is one the round made (or set up), every key one
    // of its creates.
    let mut expected: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for table in crm_testkit::tables() {
        expected.insert(table, BTreeSet::new());
    }
    expected
        .get_mut("people")
        .unwrap()
        .insert(setup.person.clone());
    for (create, id, _) in &made {
        let table = (create.op.stored)("").table;
        expected.get_mut(table).unwrap().insert(id.to_string());
    }
    for (table, ids) in &expected {
        let stored = records::uuids(db, table);
        if stored != *ids {
            failures.push(format!(
                "{table}: {} records not made by the round ({:?}), {} missing ({:?})",
                stored.difference(ids).count(),
                stored.difference(ids).take(3).collect::<Vec<_>>(),
                ids.difference(&stored).count(),
                ids.difference(&stored).take(3).collect::<Vec<_>>()
            ));
        }
    }
    let keys = db.count("idempotency_keys");
    if keys != made.len() as i64 {
        failures.push(format!(
            "{keys} idempotency keys stored for {} keyed creates",
            made.len()
        ));
    }
    let companies = records::organization_names(db);
    let allowed: BTreeSet<String> = std::iter::once(records::CONTACT.to_owned())
        .chain((0..7).map(|i| format!("Co {i}")))
        .collect();
    if !companies.is_subset(&allowed) {
        failures.push(format!(
            "organizations not named by the round: {:?}",
            companies.difference(&allowed).collect::<Vec<_>>()
        ));
    }
    failures
}

/// Why a retry may wait or be refused as "still being processed": the key was
/// claimed with the create, and its answer, recorded after the create committed,
/// was lost at the kill. The server then waits 10 s for that answer, and refuses.
fn stuck_hint(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Answered(_, text) if text.contains("still being processed") => {
            " (a claimed key without its answer: it must never be answered so)"
        }
        Outcome::Cut(e) if e.starts_with("timed out") => {
            " (the client waits 1 s; a claimed key without its answer makes the server wait 10 s)"
        }
        _ => "",
    }
}

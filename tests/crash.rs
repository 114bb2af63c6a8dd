//! Crash safety: the real `crm` binary takes concurrent creates of every operation
//! (`crm_testkit::OPERATIONS`), each with its own `Idempotency-Key` and every field
//! its operation takes (links to organizations, people, pipelines; custom values;
//! `tests/crash/records.rs`), is killed with SIGKILL mid-load, and restarted.
//!
//! During the load every answer is classified: a success must carry its record's
//! id; any other complete answer is a failure (no refusal is documented for these
//! valid, unique creates), and so is a failed connection while the server was
//! still running. Only requests cut by the kill itself are "in flight". Every
//! operation must be acknowledged in every round, or the round fails.
//!
//! After the restart:
//! - every acknowledged create is stored exactly once under the id it answered and
//!   read back whole (every column, its links, its custom values), with its answer
//!   recorded under its key; sent again with its key it replays the same answer
//!   (status and body) and makes nothing;
//! - every create in flight at the kill is wholly present (record whole, links,
//!   custom values, key with its answer) or wholly absent (no record, no key);
//!   sent again it answers within 1 s: a replay of the stored answer if it
//!   committed, or a record made exactly once (a second retry replays that);
//! - `PRAGMA integrity_check` is ok, `PRAGMA foreign_key_check` is empty, no
//!   custom value outlives its record, no key is left without its answer, and the
//!   tables hold exactly the records the test made.
//!
//! Rounds alternate the `full` and `normal` durabilities and the `group` and
//! `per-request` commit modes (a killed process loses nothing in any).
//! `CRM_CRASH_ROUNDS` sets the number of rounds (default 5); `cargo xtask crash
//! --rounds N` runs this test with it.

#[path = "crash/records.rs"]
mod records;

use crm_testkit::{Fixtures, Operation, OPERATIONS};
use records::Setup;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
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

/// Starts `crm serve`; returns it and the bootstrap token if it printed one.
fn start(db: &Path, port: u16, mode: &Mode) -> (Server, Option<String>) {
    let mut child = Command::new(CRM)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .args(["--durability", mode.durability, "--commit", mode.commit])
        .arg("--db")
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

/// `crm admin --db <db> <args>` in the default workspace; its JSON output.
fn admin(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(CRM)
        .args(["admin", "--db"])
        .arg(db)
        .args(args)
        .args(["--workspace", "1"])
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
async fn set_up(db: &Path, base: &str, token: &str) -> Setup {
    let org = admin(db, &["organization", "--name", records::CONTACT]);
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
            let id = admin(db, &args)["field"]["id"].as_i64().unwrap();
            if entity == "person" {
                person_fields.insert(key.to_string(), id);
            }
        }
    }
    let standard: i64 = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT id FROM field_definitions
             WHERE workspace_id = 1 AND entity = 'person' AND key = 'last_contacted_at'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    person_fields.insert("last_contacted_at".into(), standard);
    let pipeline = admin(
        db,
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

/// One create of the load: everything needed to send it again, byte for byte,
/// and the record it must leave.
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
    expected: Value,
}

impl Create {
    /// The `n`-th create of round `round`: operation `n % 5`. MaiaScore's bodies
    /// go in turn as JSON, XML and form data.
    fn new(round: u32, n: u64, setup: &Setup) -> Create {
        let op = &OPERATIONS[(n % OPERATIONS.len() as u64) as usize];
        let suffix = format!("{round}-{n}");
        let body = records::body(op, n, &suffix, setup);
        let content_type = match op.operation_id {
            "maiascore_create_customer" => {
                op.media_types[(n / OPERATIONS.len() as u64) as usize % op.media_types.len()]
            }
            _ => "application/json",
        };
        Create {
            n,
            op,
            expected: records::expected(op, n, &suffix, &body),
            suffix,
            key: format!("crash-{round}-{n}"),
            content_type,
            headers: (op.headers)(&setup.fx),
            body: records::encode(&body, content_type),
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
            Err(e) => return Outcome::Cut(failure(&e)),
        };
        let status = response.status().as_u16();
        let text = match response.text().await {
            Ok(text) => text,
            // The status came, the body did not: not a complete answer.
            Err(e) => return Outcome::Cut(format!("{status}, then {}", failure(&e))),
        };
        let answer = serde_json::from_str::<Value>(&text).ok();
        let id = answer
            .as_ref()
            .and_then(|a| self.op.created_id(a).map(str::to_owned));
        match (id, answer) {
            (Some(id), Some(answer)) if status == self.op.success => Outcome::Acked { id, answer },
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

    fn what(&self) -> String {
        format!("{} {}", self.key, self.op.name())
    }

    /// Failures unless record `id` is stored whole, exactly once, with `answer`
    /// recorded under its key.
    fn check_stored(&self, conn: &rusqlite::Connection, id: &str, answer: &Value) -> Vec<String> {
        let mut failures = Vec::new();
        let ids = self.stored_ids(conn);
        if ids != [id] {
            failures.push(format!("answered {id}, stored {ids:?}"));
        }
        match records::read_back(conn, self.op, id) {
            Some(record) if record == self.expected => {}
            Some(record) => failures.push(format!(
                "record {id} is not what was sent: {}",
                records::differences(&record, &self.expected).join("; ")
            )),
            None => failures.push(format!("record {id} is not stored")),
        }
        let recorded = records::recorded_answer(conn, &self.key);
        if recorded.as_ref() != Some(&Some(answer.clone())) {
            failures.push(format!(
                "its key holds {recorded:?}, not its answer {answer}"
            ));
        }
        failures
            .into_iter()
            .map(|f| format!("{}: {f}", self.what()))
            .collect()
    }
}

/// What one send got.
#[derive(Clone, Debug)]
enum Outcome {
    /// The operation's success status, with the created record's id.
    Acked { id: String, answer: Value },
    /// A complete answer that is not a success with an id: never right for these
    /// creates.
    Answered(u16, String),
    /// Sent, and no complete answer.
    Cut(String),
    /// The connection was refused.
    NotSent,
}

/// One send of the load, and whether the server had been killed when its outcome
/// came (only then is a cut or refused connection expected).
struct Sent {
    create: Create,
    outcome: Outcome,
    after_kill: bool,
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
async fn acknowledged_creates_survive_sigkill_whole_and_retries_replay_them() {
    let rounds: u32 = std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mut all_failures: Vec<String> = Vec::new();
    for round in 0..rounds {
        let mode = Mode::of(round);
        // Every round runs, so one run shows how often each failure happens. A
        // record is checked after the kill and again at the end: one line each.
        for failure in crash_round(round, &mode).await {
            let failure = format!("round {round} ({mode}): {failure}");
            if !all_failures.contains(&failure) {
                all_failures.push(failure);
            }
        }
    }
    assert!(
        all_failures.is_empty(),
        "{} failures:\n  {}",
        all_failures.len(),
        all_failures.join("\n  ")
    );
}

/// One round: load, kill, restart, check. Returns its failures.
async fn crash_round(round: u32, mode: &Mode) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    // Another process can take a free port between our look and the bind: try a few.
    let (mut port, mut started) = (0, None);
    for _ in 0..3 {
        port = free_port();
        let (server, token) = start(&db, port, mode);
        if let Some(token) = token {
            started = Some((server, token));
            break;
        }
        drop(server);
        let _ = std::fs::remove_file(&db);
    }
    let Some((server, token)) = started else {
        panic!(
            "round {round}: a fresh database prints a token; the server said: {}",
            std::fs::read_to_string(db.with_extension("stderr")).unwrap_or_default()
        )
    };
    let base = format!("http://127.0.0.1:{port}");
    let setup = Arc::new(set_up(&db, &base, &token).await);

    let sent: Arc<Mutex<Vec<Sent>>> = Arc::default();
    let killed = Arc::new(AtomicBool::new(false));
    let counter = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (sent, killed, counter, base, token, setup) = (
                sent.clone(),
                killed.clone(),
                counter.clone(),
                base.clone(),
                token.clone(),
                setup.clone(),
            );
            tokio::spawn(async move {
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .unwrap();
                // Bounded: the kill ends it long before this many requests.
                for _ in 0..100_000 {
                    if killed.load(Ordering::SeqCst) {
                        break;
                    }
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let create = Create::new(round, n, &setup);
                    let outcome = create.send(&client, &base, &token).await;
                    let after_kill = killed.load(Ordering::SeqCst);
                    sent.lock().unwrap().push(Sent {
                        create,
                        outcome,
                        after_kill,
                    });
                }
            })
        })
        .collect();
    // Kill while creates are in flight: once every operation has been acknowledged
    // a few times (however fast this machine is), at a different moment each round.
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
    killed.store(true, Ordering::SeqCst);
    drop(server); // SIGKILL
    for w in workers {
        w.await.unwrap();
    }
    let mut sent = std::mem::take(&mut *sent.lock().unwrap());
    sent.sort_by_key(|s| s.create.n);

    let mut failures = Vec::new();
    let mut tally: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut acked: Vec<(&Create, &str, &Value)> = Vec::new();
    let mut in_flight: Vec<&Create> = Vec::new();
    for Sent {
        create,
        outcome,
        after_kill,
    } in &sent
    {
        let t = tally.entry(create.op.operation_id).or_default();
        match outcome {
            Outcome::Acked { id, answer } => {
                t.acked += 1;
                acked.push((create, id, answer));
            }
            Outcome::Cut(_) if *after_kill => {
                t.in_flight += 1;
                in_flight.push(create);
            }
            Outcome::NotSent if *after_kill => t.not_sent += 1,
            // The server was running: nothing may fail or be refused.
            outcome => failures.push(format!(
                "{}: {} during the load{}",
                create.what(),
                describe(outcome),
                if *after_kill { "" } else { ", before the kill" }
            )),
        }
    }
    for op in &OPERATIONS {
        let count = tally.get(op.operation_id).map_or(0, |t| t.acked);
        assert!(
            count > 0,
            "round {round}: {} was never acknowledged; failures so far:\n  {}",
            op.name(),
            failures.join("\n  ")
        );
    }

    // Restart on the same database; it must come back and serve.
    let (server, _) = start(&db, port, mode);
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    for (create, id, answer) in &acked {
        failures.extend(create.check_stored(&conn, id, answer));
    }
    // What the in-flight creates left: all of the write (its record whole, its
    // key with the answer naming it) or none of it.
    let mut committed: Vec<Option<(String, Value)>> = Vec::new();
    for create in &in_flight {
        let ids = create.stored_ids(&conn);
        let recorded = records::recorded_answer(&conn, &create.key);
        committed.push(match (&ids[..], recorded) {
            ([], None) => None,
            ([id], Some(Some(answer))) if create.op.created_id(&answer) == Some(id) => {
                failures.extend(create.check_stored(&conn, id, &answer));
                tally.get_mut(create.op.operation_id).unwrap().committed += 1;
                Some((id.clone(), answer))
            }
            (ids, recorded) => {
                failures.push(format!(
                    "{} (in flight at the kill): partly stored: records {ids:?}, key {recorded:?}",
                    create.what()
                ));
                None
            }
        });
    }
    drop(conn);

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
    // In-flight creates with the record their retry answered.
    let mut retried: Vec<(&Create, String, Value)> = Vec::new();
    for (create, committed) in in_flight.iter().zip(&committed) {
        let what = format!(
            "{} (in flight at the kill, {})",
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
                "the restarted server serves {}: {}",
                op.name(),
                describe(&outcome)
            )),
        }
    }
    drop(server);

    let conn = rusqlite::Connection::open(&db).unwrap();
    failures.extend(check_database(&conn, &setup, &acked, &retried, &fresh));

    let report: Vec<String> = tally
        .iter()
        .map(|(op, t)| {
            format!(
                "{op}: {} acked, {} in flight ({} committed before the kill), {} not sent",
                t.acked, t.in_flight, t.committed, t.not_sent
            )
        })
        .collect();
    eprintln!("crash round {round} ({mode}): {}", report.join("; "));
    eprintln!(
        "crash round {round} ({mode}): {} acknowledged creates read back and replayed, \
         {} in-flight creates retried: {} failures",
        acked.len(),
        in_flight.len(),
        failures.len()
    );
    failures
}

/// The database after the round, the server stopped: sound, and holding exactly
/// the records the round made, each whole.
fn check_database(
    conn: &rusqlite::Connection,
    setup: &Setup,
    acked: &[(&Create, &str, &Value)],
    retried: &[(&Create, String, Value)],
    fresh: &[(Create, String, Value)],
) -> Vec<String> {
    let mut failures = Vec::new();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if integrity != "ok" {
        failures.push(format!("integrity_check: {integrity}"));
    }
    let broken = records::foreign_key_violations(conn);
    if !broken.is_empty() {
        failures.push(format!("foreign_key_check: {broken:?}"));
    }
    let orphans = records::orphan_values(conn);
    if orphans != 0 {
        failures.push(format!("{orphans} custom values without their record"));
    }
    let unanswered: i64 = conn
        .query_row(
            "SELECT count(*) FROM idempotency_keys WHERE response IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
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
        failures.extend(create.check_stored(conn, id, answer));
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
        let stored = records::uuids(conn, table);
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
    let keys: i64 = conn
        .query_row("SELECT count(*) FROM idempotency_keys", [], |r| r.get(0))
        .unwrap();
    if keys != made.len() as i64 {
        failures.push(format!(
            "{keys} idempotency keys stored for {} keyed creates",
            made.len()
        ));
    }
    let companies = records::organization_names(conn);
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

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Acked { id, answer } => format!("success, id {id}: {answer}"),
        Outcome::Answered(status, text) => format!("answer {status}: {text}"),
        Outcome::Cut(e) => format!("no complete answer: {e}"),
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
        Outcome::Cut(e) if e.starts_with("timed out") => {
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

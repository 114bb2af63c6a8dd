//! Durability and the writer's commits, proven from outside the process, through
//! the real `crm` binary:
//!
//! - `--durability full` (the default): under `strace`, for every acknowledged
//!   create of every operation, its row is written into the WAL, then the WAL is
//!   synced, then its answer is written on its socket, in that order; and the WAL
//!   is synced at least once per commit the writer reports on `/metrics`.
//!   `--durability normal` syncs visibly less, and the same order does not hold.
//! - A COMMIT that fails (SQLite refuses it: the test breaks a deferred foreign
//!   key from a trigger it installs; the server has no hook for this) fails every
//!   write of its batch: each answered 500 in its family's envelope, none stored;
//!   the batch's size is read from the writer's counters; the next batch commits,
//!   and the refused creates' idempotency keys are free.
//! - `--commit group|per-request` shows in the rows-per-commit metrics; a value
//!   `--durability` or `--commit` does not know is refused, naming the flag.
//!
//! The traced tests need `strace` (see `durability/strace.rs`): CI installs it
//! and fails without it; elsewhere they skip, loudly. `CRM_DURABILITY_CREATES` sets
//! the creates per operation of a traced load (default 40).

#[path = "durability/process.rs"]
mod process;
#[path = "durability/strace.rs"]
mod strace;

use crm_testkit::{Fixtures, Operation, OPERATIONS};
use process::{new_db, stored, tenant, Crm, CRM};
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Creates per operation in a traced load.
fn creates_per_op() -> usize {
    std::env::var("CRM_DURABILITY_CREATES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40)
}

/// One create to send: its operation, the suffix that makes its values unique,
/// and its `Idempotency-Key`, if any.
#[derive(Clone, Debug)]
struct Create {
    op: &'static Operation,
    suffix: String,
    key: Option<String>,
}

impl Create {
    fn new(op: &'static Operation, suffix: String) -> Create {
        Create {
            op,
            suffix,
            key: None,
        }
    }

    fn keyed(op: &'static Operation, suffix: String) -> Create {
        let key = format!("key-{suffix}");
        Create {
            op,
            suffix,
            key: Some(key),
        }
    }

    /// Sends it when awaited: the status and the body.
    fn send_later(
        &self,
        crm: &Arc<Crm>,
        token: &str,
        fx: &Fixtures,
    ) -> impl std::future::Future<Output = (u16, Value)> + Send + 'static {
        let (crm, token, fx, create) = (crm.clone(), token.to_owned(), fx.clone(), self.clone());
        async move {
            let extra: Vec<(&str, String)> = create
                .key
                .iter()
                .map(|k| ("Idempotency-Key", k.clone()))
                .collect();
            crm.create(create.op, &token, &fx, &create.suffix, &extra)
                .await
        }
    }

    /// Sends it now, on its own task: the status and the body.
    fn send(
        &self,
        crm: &Arc<Crm>,
        token: &str,
        fx: &Fixtures,
    ) -> tokio::task::JoinHandle<(u16, Value)> {
        tokio::spawn(self.send_later(crm, token, fx))
    }
}

/// `n` creates of every operation, interleaved; suffixes `{tag}{i}o{op}z`, of one
/// width, so that none is part of another.
fn creates(tag: &str, n: usize, keyed: bool) -> Vec<Create> {
    (0..n)
        .flat_map(|i| {
            OPERATIONS.iter().enumerate().map(move |(k, op)| {
                let suffix = format!("{tag}{i:03}o{k}z");
                if keyed {
                    Create::keyed(op, suffix)
                } else {
                    Create::new(op, suffix)
                }
            })
        })
        .collect()
}

async fn answers(handles: Vec<tokio::task::JoinHandle<(u16, Value)>>) -> Vec<(u16, Value)> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

/// The created record's id in a success answer; panics unless it is one.
fn acknowledged(create: &Create, (status, body): &(u16, Value)) -> String {
    assert_eq!(
        *status,
        create.op.success,
        "{} {}: {body}",
        create.op.name(),
        create.suffix
    );
    create
        .op
        .created_id(body)
        .unwrap_or_else(|| panic!("{}: no id in {body}", create.op.name()))
        .to_owned()
}

// ---------------------------------------------------------------------------
// Durability, under strace.

/// A load of concurrent creates of every operation against `crm serve ARGS…`
/// under strace, and what the trace shows about it.
struct Traced {
    creates: usize,
    /// Writes the writer reported during the load: the creates, once all
    /// are answered.
    writes: u64,
    /// Commits the writer reported during the load (`/metrics`).
    commits: u64,
    /// Successful WAL syncs during the load.
    wal_syncs: usize,
    /// Acknowledged creates whose answer went out before a WAL sync that followed
    /// the first write of their row into the WAL: `op (suffix): why`.
    unsynced: Vec<String>,
}

/// What every suffix of a traced load starts with: letters that hardly occur in
/// a database page as strace prints it, so that finding them there is quick.
const MARK: &str = "qx";

/// Creates in flight at once in a traced load: enough for batches of several,
/// few enough for many commits.
const IN_FLIGHT: usize = 16;

async fn traced_load(args: &[&str]) -> Traced {
    let (dir, db) = new_db();
    let (fx, token) = tenant(&db);
    let trace_path = dir.path().join("strace.txt");
    let crm = Arc::new(Crm::start(&db, args, &strace::wrapper(&trace_path)).await);
    let before = crm.metrics().await;
    let load = creates(MARK, creates_per_op(), false);
    let slots = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let handles = load
        .iter()
        .map(|c| {
            let (slots, sent) = (slots.clone(), c.send_later(&crm, &token, &fx));
            tokio::spawn(async move {
                let _slot = slots.acquire_owned().await.unwrap();
                sent.await
            })
        })
        .collect();
    let ids: Vec<String> = answers(handles)
        .await
        .iter()
        .zip(&load)
        .map(|(answer, create)| acknowledged(create, answer))
        .collect();
    let after = crm.metrics().await;
    let (api_port, metrics_port) = (crm.api_port, crm.metrics_port);
    Arc::into_inner(crm).expect("no request in flight").stop();
    for create in &load {
        assert_eq!(stored(&db, create.op, &create.suffix), 1, "{create:?}");
    }

    if let Some(keep) = std::env::var_os("CRM_DURABILITY_KEEP_TRACES") {
        let name = format!("strace{}.txt", args.join("").replace("--", "-"));
        std::fs::copy(&trace_path, Path::new(&keep).join(name)).unwrap();
    }
    let trace = strace::Trace::read(&trace_path);
    // The load's window: between the answers to the last two scrapes (those
    // before them are the start's).
    let scrapes: Vec<usize> = trace
        .socket_writes(metrics_port, "HTTP/1.1 200 OK")
        .map(|c| c.start)
        .collect();
    let [.., first, last] = scrapes[..] else {
        panic!(
            "the trace ({} lines) shows {} /metrics answers, not 2 or more",
            trace.lines,
            scrapes.len()
        );
    };
    let wal_syncs = trace
        .wal_syncs(&db)
        .filter(|c| c.start > first && c.start < last)
        .count();
    let suffixes: Vec<&str> = load.iter().map(|c| c.suffix.as_str()).collect();
    let rows = trace.first_wal_writes(&db, MARK, &suffixes);
    let answers = trace.first_socket_writes_by_uuid(api_port);
    let syncs: Vec<&strace::Call> = trace.wal_syncs(&db).collect();
    let mut unsynced = Vec::new();
    for (create, id) in load.iter().zip(&ids) {
        let who = format!("{} ({})", create.op.name(), create.suffix);
        let row = rows
            .get(&create.suffix)
            .unwrap_or_else(|| panic!("{who}: its row was never written into the WAL"));
        let answer = answers
            .get(id)
            .unwrap_or_else(|| panic!("{who}: its answer (id {id}) was never written"));
        // The first sync after the row's write, by the thread that wrote it (the
        // writer: it syncs what it wrote).
        let written = row.end.expect("a WAL write that ended");
        let next = syncs[syncs.partition_point(|s| s.start <= written)..]
            .iter()
            .find(|s| s.pid == row.pid);
        match next {
            Some(sync) if sync.end.is_some_and(|end| end < answer.start) => {}
            Some(sync) => unsynced.push(format!(
                "{who}: row written at trace line {}, answer at {}, next WAL sync from {} to {}",
                row.start + 1,
                answer.start + 1,
                sync.start + 1,
                sync.end
                    .map_or("the end".to_owned(), |end| (end + 1).to_string())
            )),
            None => unsynced.push(format!(
                "{who}: row written at trace line {}, answer at {}, no WAL sync after",
                row.start + 1,
                answer.start + 1
            )),
        }
    }
    let traced = Traced {
        creates: load.len(),
        writes: after.writes() - before.writes(),
        commits: after.commits() - before.commits(),
        wal_syncs,
        unsynced,
    };
    eprintln!(
        "crm serve {args:?}: {} creates acknowledged in {} commits; {} WAL syncs; \
         {} answered before their commit's sync ({} trace lines)",
        traced.creates,
        traced.commits,
        traced.wal_syncs,
        traced.unsynced.len(),
        trace.lines
    );
    traced
}

/// What `--durability full` promises, as the trace shows it.
fn assert_durable(traced: &Traced) {
    assert!(
        traced.unsynced.is_empty(),
        "{} of {} acknowledged creates were answered before the WAL holding them was synced:\n{}",
        traced.unsynced.len(),
        traced.creates,
        traced.unsynced.join("\n")
    );
    assert_eq!(traced.writes, traced.creates as u64, "writes counted");
    assert!(traced.commits > 0);
    assert!(
        traced.wal_syncs as u64 >= traced.commits,
        "{} WAL syncs for {} commits: a commit was not synced",
        traced.wal_syncs,
        traced.commits
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn durability_full_syncs_the_wal_before_every_acknowledgement() {
    if !strace::available("durability_full_syncs_the_wal_before_every_acknowledgement") {
        return;
    }
    assert_durable(&traced_load(&["--durability", "full"]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_default_durability_is_full() {
    if !strace::available("the_default_durability_is_full") {
        return;
    }
    assert_durable(&traced_load(&[]).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn durability_normal_does_not_sync_each_commit() {
    if !strace::available("durability_normal_does_not_sync_each_commit") {
        return;
    }
    let traced = traced_load(&["--durability", "normal"]).await;
    assert_eq!(traced.writes, traced.creates as u64, "writes counted");
    // WAL mode with synchronous=NORMAL syncs only at checkpoints.
    assert!(
        (traced.wal_syncs as u64) * 4 <= traced.commits,
        "{} WAL syncs for {} commits: normal should not sync each commit",
        traced.wal_syncs,
        traced.commits
    );
    assert!(
        traced.unsynced.len() * 2 >= traced.creates,
        "only {} of {} creates were answered before a sync: normal should not wait for one",
        traced.unsynced.len(),
        traced.creates
    );
}

// ---------------------------------------------------------------------------
// Batches, made to form behind a lock.

/// The database's write lock, held by another connection until dropped. The
/// writer's next `BEGIN IMMEDIATE` waits for it (its busy timeout is 10 s), and
/// creates sent meanwhile queue up: the writer takes them as its next batch.
struct WriteLock(rusqlite::Connection);

impl WriteLock {
    fn take(db: &Path) -> WriteLock {
        let conn = connect(db);
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        WriteLock(conn)
    }
}

/// A connection of the test's own, which waits for the server's writer rather
/// than failing when it holds the lock.
fn connect(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    conn
}

impl Drop for WriteLock {
    fn drop(&mut self) {
        let _ = self.0.execute_batch("ROLLBACK");
    }
}

/// How long to let requests reach the writer; they are checked afterwards, not
/// assumed, so a slow machine only makes a batch smaller.
fn settle() -> Duration {
    let ms = std::env::var("CRM_DURABILITY_SETTLE_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    Duration::from_millis(ms)
}

/// Sends `plug` while the write lock is held, so that the writer takes it alone
/// and waits; then `batch`, which queues behind it; then releases the lock.
/// The plug's answer and the batch's, in order.
async fn behind_a_lock(
    crm: &Arc<Crm>,
    db: &Path,
    token: &str,
    fx: &Fixtures,
    plug: &Create,
    batch: &[Create],
) -> ((u16, Value), Vec<(u16, Value)>) {
    let lock = WriteLock::take(db);
    let plugged = plug.send(crm, token, fx);
    tokio::time::sleep(settle()).await;
    let handles = batch.iter().map(|c| c.send(crm, token, fx)).collect();
    tokio::time::sleep(settle()).await;
    drop(lock);
    (plugged.await.unwrap(), answers(handles).await)
}

// ---------------------------------------------------------------------------
// A failing COMMIT.

/// Makes every transaction that stores a person whose e-mail holds "poison" fail
/// at COMMIT, and only there: the trigger's row breaks a foreign key that SQLite
/// checks at COMMIT (`DEFERRABLE INITIALLY DEFERRED`; the writer turns foreign
/// keys on). Nothing in the server knows of it.
const COMMIT_FAULT: &str = "
    CREATE TABLE commit_fault_parent (id INTEGER PRIMARY KEY);
    CREATE TABLE commit_fault (
        parent INTEGER REFERENCES commit_fault_parent(id) DEFERRABLE INITIALLY DEFERRED
    );
    CREATE TRIGGER commit_fault AFTER INSERT ON people
    WHEN NEW.email_norm LIKE '%poison%'
    BEGIN INSERT INTO commit_fault VALUES (1); END;";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_commit_fails_every_write_of_its_batch_and_the_next_batch_commits() {
    let (_dir, db) = new_db();
    let (fx, token) = tenant(&db);
    let crm = Arc::new(Crm::start(&db, &[], &[]).await);
    connect(&db).execute_batch(COMMIT_FAULT).unwrap();
    let introzy = crm_testkit::operation("introzy_create_person");

    // Each round: a plug, then a batch of every operation with one poisoned
    // create among them. Rounds go on until the failed batch held a write of
    // every operation (the first round, unless the machine is very slow).
    let mut refused: Vec<Create> = Vec::new();
    for round in 0..5 {
        let plug = Create::keyed(&OPERATIONS[0], format!("p{round}plugz"));
        let mut batch = creates(&format!("f{round}"), 2, true);
        let poison = Create::keyed(introzy, format!("f{round}poisonz"));
        batch.insert(batch.len() / 2, poison.clone());
        let before = crm.metrics().await;
        let (plugged, answered) = behind_a_lock(&crm, &db, &token, &fx, &plug, &batch).await;
        let after = crm.metrics().await;

        let mut failed = Vec::new();
        let mut committed = 0;
        for (create, (status, body)) in
            std::iter::once((&plug, &plugged)).chain(batch.iter().zip(&answered))
        {
            let who = format!("{} ({})", create.op.name(), create.suffix);
            if *status == 500 {
                // Every write of the failed batch: an error in its family's
                // envelope, nothing of it stored.
                assert_eq!(
                    create.op.error_message(500, body).unwrap(),
                    "internal server error",
                    "{who}"
                );
                assert_eq!(stored(&db, create.op, &create.suffix), 0, "{who}: stored");
                failed.push(create.clone());
            } else {
                acknowledged(create, &(*status, body.clone()));
                assert_eq!(stored(&db, create.op, &create.suffix), 1, "{who}");
                committed += 1;
            }
        }
        assert!(
            failed.iter().any(|c| c.suffix == poison.suffix),
            "the poisoned create was acknowledged: {answered:?}"
        );
        // One failed batch, of exactly the writes answered 500; every other
        // write committed.
        let delta = |name: &str| after.get(name) - before.get(name);
        assert_eq!(delta("crm_store_failed_batches_total"), 1, "{}", after.text);
        assert_eq!(
            delta("crm_store_failed_batch_writes_total"),
            failed.len() as u64,
            "{}",
            after.text
        );
        assert_eq!(delta("crm_store_writes_total"), committed);
        let leftovers: i64 = connect(&db)
            .query_row("SELECT count(*) FROM commit_fault", [], |r| r.get(0))
            .unwrap();
        assert_eq!(leftovers, 0, "the failed batch's trigger row was kept");
        eprintln!(
            "round {round}: the failed batch held {} writes ({} committed around it)",
            failed.len(),
            committed
        );
        if OPERATIONS
            .iter()
            .all(|op| failed.iter().any(|c| std::ptr::eq(c.op, op)))
        {
            refused = failed;
            break;
        }
    }
    assert!(
        !refused.is_empty(),
        "in 5 rounds no failed batch held a write of every operation: {}",
        crm.log()
    );
    assert!(
        crm.log()
            .contains("the transaction carrying this write failed to commit"),
        "the batch did not fail at COMMIT: {}",
        crm.log()
    );

    // The next batch commits, the fault still installed.
    let before = crm.metrics().await;
    let next = creates("n", 2, true);
    let handles = next.iter().map(|c| c.send(&crm, &token, &fx)).collect();
    for (create, answer) in next.iter().zip(answers(handles).await) {
        acknowledged(create, &answer);
        assert_eq!(stored(&db, create.op, &create.suffix), 1, "{create:?}");
    }

    // The refused creates' keys were never used: sent again, each creates its
    // record once (no replay of the refusal).
    connect(&db)
        .execute_batch("DROP TRIGGER commit_fault")
        .unwrap();
    let handles = refused.iter().map(|c| c.send(&crm, &token, &fx)).collect();
    for (create, answer) in refused.iter().zip(answers(handles).await) {
        acknowledged(create, &answer);
        assert_eq!(stored(&db, create.op, &create.suffix), 1, "{create:?}");
    }
    let after = crm.metrics().await;
    assert_eq!(
        after.sum("crm_idempotent_replays_total"),
        before.sum("crm_idempotent_replays_total"),
        "a refused create's key was replayed"
    );
    assert_eq!(
        after.get("crm_store_failed_batches_total"),
        before.get("crm_store_failed_batches_total")
    );
}

// ---------------------------------------------------------------------------
// `--commit`, and flags refused.

/// The rows-per-commit histogram is a Prometheus histogram: cumulative buckets,
/// the last (`+Inf`) equal to the count (the commits), the sum the writes.
fn assert_histogram(metrics: &process::Metrics) {
    let buckets = metrics.batch_buckets();
    assert!(buckets.len() > 1, "{}", metrics.text);
    for pair in buckets.windows(2) {
        assert!(pair[0].1 <= pair[1].1, "not cumulative: {buckets:?}");
    }
    let (le, last) = buckets.last().unwrap();
    assert_eq!(le, "+Inf", "{buckets:?}");
    assert_eq!(
        *last,
        metrics.commits(),
        "+Inf bucket vs commits: {}",
        metrics.text
    );
    assert_eq!(
        metrics.get("crm_store_rows_per_commit_count"),
        metrics.commits()
    );
    assert_eq!(
        metrics.get("crm_store_rows_per_commit_sum"),
        metrics.writes()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn commit_group_batches_creates_and_per_request_does_not() {
    for (args, grouped) in [
        (&[][..], true),
        (&["--commit", "group"][..], true),
        (&["--commit", "per-request"][..], false),
    ] {
        let (_dir, db) = new_db();
        let (fx, token) = tenant(&db);
        let crm = Arc::new(Crm::start(&db, args, &[]).await);
        let mut batched = false;
        for round in 0..3 {
            let before = crm.metrics().await;
            let plug = Create::new(&OPERATIONS[0], format!("c{round}plugz"));
            let batch = creates(&format!("c{round}"), 4, false);
            let (plugged, answered) = behind_a_lock(&crm, &db, &token, &fx, &plug, &batch).await;
            acknowledged(&plug, &plugged);
            for (create, answer) in batch.iter().zip(&answered) {
                acknowledged(create, answer);
            }
            let after = crm.metrics().await;
            assert_histogram(&after);
            let commits = after.commits() - before.commits();
            let writes = after.writes() - before.writes();
            let singles = after.batch_buckets()[0].1 - before.batch_buckets()[0].1;
            assert_eq!(writes, batch.len() as u64 + 1, "{args:?}");
            eprintln!("crm serve {args:?}: {writes} creates in {commits} commits");
            if grouped {
                // Batch sizes depend on when requests arrive: a round may commit
                // them one by one; another round then tries again.
                if commits < writes {
                    assert!(singles < commits, "{args:?}: {}", after.text);
                    batched = true;
                    break;
                }
            } else {
                assert_eq!(commits, writes, "{args:?}: one commit per create");
                assert_eq!(singles, commits, "{args:?}: every commit of one write");
                break;
            }
        }
        assert_eq!(batched, grouped, "{args:?}: no commit carried two creates");
    }
}

#[test]
fn serve_refuses_an_unknown_durability_or_commit_mode_naming_the_flag() {
    for (flag, value, possible) in [
        ("--durability", "fast", "[possible values: full, normal]"),
        ("--durability", "FULL!", "[possible values: full, normal]"),
        ("--commit", "batch", "[possible values: group, per-request]"),
    ] {
        let (_dir, db) = new_db();
        let out = std::process::Command::new(CRM)
            .args(["serve", "--bind", "127.0.0.1:0", "--db"])
            .arg(&db)
            .args([flag, value])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag} {value}: {stderr}");
        let upper = flag.trim_start_matches('-').to_uppercase();
        let expected = format!("error: invalid value '{value}' for '{flag} <{upper}>'");
        assert!(stderr.contains(&expected), "{flag} {value}: {stderr}");
        assert!(stderr.contains(possible), "{flag} {value}: {stderr}");
        assert!(!db.exists(), "{flag} {value}: a database was created");
    }
}

//! The PostgreSQL store while its database is down, restarting or stalled,
//! through the real `crm` binary on a throwaway cluster of the test's own
//! (`support/postgres.rs`, even where CRM_TEST_POSTGRES_URL names a server: that
//! one is not the test's to stop):
//!
//! - stopped: every operation answers 503 in its family's envelope, at once, and
//!   stores nothing; started again, the server recovers by itself;
//! - stalled (every PostgreSQL process stopped with SIGSTOP: a hung machine or
//!   network): 503 within `--request-timeout-secs`, not a hang; resumed, it
//!   recovers;
//! - restarted in immediate mode (as after a crash) under concurrent load: every
//!   answer is a success or that 503, never a 500 or a hang, and every
//!   acknowledged create is stored, once.
//!
//! The time bounds asserted are the promise itself (an answer within the request
//! timeout, plus room for a loaded machine), not performance.

#[path = "support/crm_process.rs"]
mod crm_process;
#[path = "support/postgres.rs"]
mod postgres;

use crm_process::{create, tenant, Crm, Tenant};
use crm_server::pipeline::failure::UNAVAILABLE_MESSAGE;
use crm_testkit::{Operation, OPERATIONS};
use postgres::Cluster;
use serde_json::Value;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The `--request-timeout-secs` the servers here run with.
const TIMEOUT_SECS: u64 = 2;
/// Room, past the timeout, for a shared and loaded test machine.
const SLACK: Duration = Duration::from_secs(4);

/// A cluster of the test's own, a database on it, and a server on that, or None
/// (said loudly) without PostgreSQL.
fn setup() -> Option<(Cluster, String, Crm, Tenant)> {
    let cluster = match Cluster::start() {
        Ok(cluster) => cluster,
        Err(why) => {
            postgres::skip(&why);
            return None;
        }
    };
    let url = cluster.create_database();
    let timeout = TIMEOUT_SECS.to_string();
    let crm = Crm::start(Path::new(&url), &["--request-timeout-secs", &timeout], &[])
        .unwrap_or_else(|e| panic!("{e:?}"));
    let t = tenant(Path::new(&url), "acme");
    Some((cluster, url, crm, t))
}

/// How many rows hold what `op` made with `suffix`.
fn stored(url: &str, op: &Operation, suffix: &str) -> i64 {
    let s = (op.stored)(suffix);
    postgres::query_i64(
        url,
        &format!("SELECT count(*) FROM {} WHERE {} = $1", s.table, s.column),
        &[&s.value],
    )
}

/// One create, timed: its answer, or a failure if it took past the bound.
async fn timed_create(crm: &Crm, op: &Operation, t: &Tenant, suffix: &str) -> (u16, Value) {
    let bound = Duration::from_secs(TIMEOUT_SECS) + SLACK;
    let started = Instant::now();
    let sent = create(&crm.url, op, &t.token, &t.fixtures, suffix, &[]);
    match tokio::time::timeout(bound, sent).await {
        Ok(answer) => answer,
        Err(_) => panic!(
            "{}: no answer after {:?}, past --request-timeout-secs {TIMEOUT_SECS}",
            op.name(),
            started.elapsed()
        ),
    }
}

/// Nothing is stored for the 503'd creates: every operation's under each of
/// `tags` (as [`all_unavailable`] sent them), and each of `refused`.
fn nothing_stored(url: &str, tags: &[&str], refused: &[(&'static Operation, String)]) {
    for op in &OPERATIONS {
        for tag in tags {
            assert_eq!(stored(url, op, &format!("{tag}-{}", op.operation_id)), 0);
        }
    }
    for (op, suffix) in refused {
        assert_eq!(
            stored(url, op, suffix),
            0,
            "{}: a 503 stored nothing",
            op.name()
        );
    }
}

/// Every operation answers 503 in its envelope (suffixes `{tag}-{op}`).
async fn all_unavailable(crm: &Crm, t: &Tenant, tag: &str) {
    for op in &OPERATIONS {
        let answer = timed_create(crm, op, t, &format!("{tag}-{}", op.operation_id)).await;
        assert_eq!(
            answer,
            op.refusal(503, UNAVAILABLE_MESSAGE),
            "{}",
            op.name()
        );
    }
}

/// Sends each operation until it succeeds, checking each refusal is the 503;
/// the refused attempts' suffixes.
async fn all_recover(crm: &Crm, t: &Tenant, tag: &str) -> Vec<(&'static Operation, String)> {
    let mut refused = Vec::new();
    for op in &OPERATIONS {
        for attempt in 0.. {
            let suffix = format!("{tag}-{}-{attempt}", op.operation_id);
            let answer = timed_create(crm, op, t, &suffix).await;
            if answer.0 == op.success {
                break;
            }
            assert_eq!(
                answer,
                op.refusal(503, UNAVAILABLE_MESSAGE),
                "{}",
                op.name()
            );
            assert!(
                attempt < 100,
                "{} never recovered: {}",
                op.name(),
                crm.stderr()
            );
            refused.push((op, suffix));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    refused
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_database_is_a_503_in_every_family_and_the_server_recovers() {
    let Some((cluster, url, crm, t)) = setup() else {
        return;
    };
    all_recover(&crm, &t, "before").await;
    cluster.stop().unwrap();
    all_unavailable(&crm, &t, "down").await;
    // Past the token cache's half second too: authentication itself meets the
    // database, and is answered the same way.
    tokio::time::sleep(Duration::from_millis(600)).await;
    all_unavailable(&crm, &t, "down-uncached").await;
    cluster.start_again().unwrap();
    let refused = all_recover(&crm, &t, "back").await;
    nothing_stored(&url, &["down", "down-uncached"], &refused);
    let log = crm.stop();
    assert!(log.contains("the database cannot take writes"), "{log}");
    assert!(!log.contains("status=500"), "{log}");
}

/// Resumes a paused cluster when dropped, so that a failing assertion does not
/// leave it stopped.
struct Resume<'a>(&'a Cluster);

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        self.0.resume();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stalled_database_is_a_503_within_the_request_timeout_and_the_server_recovers() {
    let Some((cluster, url, crm, t)) = setup() else {
        return;
    };
    all_recover(&crm, &t, "before").await;
    {
        cluster.pause();
        let _resume = Resume(&cluster);
        // The pooled connections are open and answer nothing, and new ones are
        // not accepted: each create is still answered, within the timeout.
        all_unavailable(&crm, &t, "stalled").await;
    }
    let refused = all_recover(&crm, &t, "resumed").await;
    nothing_stored(&url, &["stalled"], &refused);
    let log = crm.stop();
    assert!(log.contains("did not answer within 2 s"), "{log}");
    assert!(!log.contains("status=500"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_immediate_restart_under_load_is_503s_and_loses_no_acknowledged_create() {
    let Some((cluster, url, crm, t)) = setup() else {
        return;
    };
    let crm = Arc::new(crm);
    let t = Arc::new(t);
    let stop = Arc::new(AtomicBool::new(false));
    // Eight clients, each sending every operation in turn until told to stop.
    let clients: Vec<_> = (0..8)
        .map(|c| {
            let (crm, t, stop) = (crm.clone(), t.clone(), stop.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let op = &OPERATIONS[n % OPERATIONS.len()];
                    let suffix = format!("load-{c}-{n}");
                    let answer = timed_create(&crm, op, &t, &suffix).await;
                    answers.push((op, suffix, answer));
                    n += 1;
                }
                answers
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let restart = tokio::task::spawn_blocking(move || {
        cluster.restart_immediate().unwrap();
        cluster
    });
    let cluster = restart.await.unwrap();
    // Load goes on after the restart until every client has been answered
    // successfully again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.store(true, Ordering::Relaxed);
    let (mut acknowledged, mut unavailable) = (0, 0);
    let mut last = Vec::new();
    for client in clients {
        let answers = client.await.unwrap();
        for (op, suffix, answer) in &answers {
            if answer.0 == op.success {
                acknowledged += 1;
                assert_eq!(
                    stored(&url, op, suffix),
                    1,
                    "{}: acknowledged {suffix}",
                    op.name()
                );
            } else {
                unavailable += 1;
                assert_eq!(
                    *answer,
                    op.refusal(503, UNAVAILABLE_MESSAGE),
                    "{}",
                    op.name()
                );
            }
        }
        last.push(answers.last().map(|(op, _, a)| a.0 == op.success));
    }
    assert!(
        acknowledged > 0 && unavailable > 0,
        "{acknowledged} created, {unavailable} refused"
    );
    assert!(
        last.iter().all(|ok| *ok == Some(true)),
        "every client is served again after the restart: {last:?}"
    );
    eprintln!(
        "immediate restart under load: {acknowledged} acknowledged, {unavailable} answered 503"
    );
    drop(cluster);
}

//! `crm serve`'s flags, through the real binary: each one reaches the server
//! (`--max-body-bytes`, `--idempotency-ttl-secs`, `--request-timeout-secs`,
//! `--max-inflight-body-bytes`, `--bind`/`CRM_BIND`, `--db`/`CRM_DB`,
//! `--metrics-bind`/`CRM_METRICS_BIND`), and a value that cannot work is refused
//! before anything is opened or printed, with a message naming the flag.
//! (`--durability` and `--commit` are `tests/durability.rs`'s; `--shutdown-grace-secs`
//! is exercised by `tests/operations.rs`, its invalid values here.)

mod common;
#[path = "support/crm_process.rs"]
mod crm_process;

use common::{each_backend, Backend, TestDatabase};
use crm_process::{create, raw_exchange, raw_head, send, stored, tenant, Crm};
use crm_testkit::{Family, Operation, OPERATIONS};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The status and message of `op`'s answer refusing `field` with `message`:
/// BigChange says it in `errors` with 422, the others in their message with 400.
fn assert_invalid(op: &Operation, status: u16, body: &Value, field: &str, message: &str) {
    if op.family == Family::BigChange {
        assert_eq!(status, 422, "{}: {body}", op.name());
        op.error_message(status, body).unwrap();
        assert_eq!(
            body["errors"],
            serde_json::json!({ field: [message] }),
            "{}",
            op.name()
        );
    } else {
        assert_eq!(status, 400, "{}: {body}", op.name());
        assert_eq!(
            op.error_message(status, body).unwrap(),
            format!("{field}: {message}"),
            "{}",
            op.name()
        );
    }
}

/// `op`'s valid JSON body for `suffix`, padded with trailing spaces to exactly
/// `size` bytes.
fn padded(op: &Operation, fx: &crm_testkit::Fixtures, suffix: &str, size: usize) -> String {
    let mut body = (op.body)(suffix, fx).to_string();
    assert!(
        body.len() <= size,
        "{}: the body alone is larger",
        op.name()
    );
    body.push_str(&" ".repeat(size - body.len()));
    body
}

/// A chunked request (no `Content-Length`) of `body`, in two chunks.
fn chunked(head: &str, body: &str) -> Vec<u8> {
    let (a, b) = body.split_at(body.len() / 2);
    format!(
        "{head}Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{a}\r\n{:x}\r\n{b}\r\n0\r\n\r\n",
        a.len(),
        b.len()
    )
    .into_bytes()
}

async fn max_body_bytes_is_the_largest_body_accepted(backend: Backend) {
    const LIMIT: usize = 3000;
    let database = TestDatabase::new(backend);
    let t = tenant(database.arg(), "limits");
    let fx = &t.fixtures;
    let crm = Crm::start(
        database.arg(),
        &["--max-body-bytes", &LIMIT.to_string()],
        &[],
    )
    .unwrap();
    let db = database.connect();
    let too_large = format!("body: larger than the limit of {LIMIT} bytes");
    for op in &OPERATIONS {
        // Declared by Content-Length: exactly the limit, then one byte more.
        let body = padded(op, fx, "at-limit", LIMIT);
        let (status, answer) =
            send(&crm.url, op, &t.token, fx, &[], "application/json", body).await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        assert_eq!(db.stored(op, "at-limit"), 1, "{}", op.name());
        let body = padded(op, fx, "over-limit", LIMIT + 1);
        let (status, answer) =
            send(&crm.url, op, &t.token, fx, &[], "application/json", body).await;
        assert_eq!(status, 413, "{}: {answer}", op.name());
        assert_eq!(op.error_message(413, &answer).unwrap(), too_large);
        assert_eq!(db.stored(op, "over-limit"), 0, "{}", op.name());

        // Chunked, so the server learns the size only by reading.
        let head = raw_head(op, &t.token, fx, "application/json");
        let body = padded(op, fx, "chunked-at-limit", LIMIT);
        let (status, _, answer) = raw_exchange(&crm.addr, &chunked(&head, &body));
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(status, op.success, "{} (chunked): {answer}", op.name());
        assert_eq!(db.stored(op, "chunked-at-limit"), 1, "{}", op.name());
        let body = padded(op, fx, "chunked-over-limit", LIMIT + 1);
        let (status, _, answer) = raw_exchange(&crm.addr, &chunked(&head, &body));
        let answer: Value = serde_json::from_slice(&answer).unwrap();
        assert_eq!(status, 413, "{} (chunked): {answer}", op.name());
        assert_eq!(op.error_message(413, &answer).unwrap(), too_large);
        assert_eq!(db.stored(op, "chunked-over-limit"), 0, "{}", op.name());
    }
    crm.stop();
}
each_backend!(max_body_bytes_is_the_largest_body_accepted);

async fn idempotency_ttl_secs_is_how_long_a_key_is_remembered(backend: Backend) {
    let ttl = Duration::from_secs(2);
    let database = TestDatabase::new(backend);
    let t = tenant(database.arg(), "ttl");
    let fx = &t.fixtures;
    let crm = Crm::start(database.arg(), &["--idempotency-ttl-secs", "2"], &[]).unwrap();
    let db = database.connect();
    let keys_left = |key: &str| -> i64 {
        db.value(
            "SELECT count(*) FROM idempotency_keys WHERE key = ?1",
            &[&key],
        )
    };

    // Before the TTL a retry replays. Whether a retry was sent within the TTL is
    // known only afterwards, so a round that took longer (a loaded machine) is
    // tried again with new keys.
    let mut firsts = Vec::new();
    for round in 0.. {
        assert!(round < 5, "no round of creates and retries fit in {ttl:?}");
        let since = Instant::now();
        firsts.clear();
        for op in &OPERATIONS {
            let key = format!("ttl-{}-{round}", op.operation_id);
            let suffix = format!("ttl-first-{round}");
            let sent = Instant::now();
            let first = create(
                &crm.url,
                op,
                &t.token,
                fx,
                &suffix,
                &[("Idempotency-Key", &key)],
            )
            .await;
            assert_eq!(first.0, op.success, "{}: {first:?}", op.name());
            let retry = create(
                &crm.url,
                op,
                &t.token,
                fx,
                &suffix,
                &[("Idempotency-Key", &key)],
            )
            .await;
            firsts.push((key, first, retry, sent));
        }
        if since.elapsed() + Duration::from_millis(2) < ttl {
            for (op, (_, first, retry, _)) in OPERATIONS.iter().zip(&firsts) {
                assert_eq!(
                    retry,
                    first,
                    "{}: a retry within the TTL replays",
                    op.name()
                );
                assert_eq!(db.stored(op, &format!("ttl-first-{round}")), 1);
            }
            break;
        }
    }
    // A key nobody reuses: only the purge can forget it.
    let unused = create(
        &crm.url,
        &OPERATIONS[0],
        &t.token,
        fx,
        "unused",
        &[("Idempotency-Key", "never-reused")],
    )
    .await;
    assert_eq!(unused.0, 201, "{unused:?}");

    // After it, the key is free: another request with it creates. Until then it
    // is refused as used by another request.
    // A key is stamped in milliseconds, truncated: it may expire up to 1 ms before
    // the TTL has passed since its request was sent.
    let slack = Duration::from_millis(2);
    for (op, (key, first, _, sent)) in OPERATIONS.iter().zip(&firsts) {
        for attempt in 0.. {
            let suffix = format!("ttl-later-{attempt}");
            let (status, answer) = create(
                &crm.url,
                op,
                &t.token,
                fx,
                &suffix,
                &[("Idempotency-Key", key)],
            )
            .await;
            if status == op.success {
                assert!(
                    sent.elapsed() + slack >= ttl,
                    "{}: the key was free {:?} after its first request, before the TTL",
                    op.name(),
                    sent.elapsed()
                );
                assert_ne!(
                    op.created_id(&answer),
                    op.created_id(&first.1),
                    "{}",
                    op.name()
                );
                assert_eq!(db.stored(op, &suffix), 1, "{}", op.name());
                break;
            }
            assert_invalid(
                op,
                status,
                &answer,
                "Idempotency-Key",
                "already used with a different request",
            );
            assert_eq!(db.stored(op, &suffix), 0, "{}", op.name());
            assert!(
                attempt < 300,
                "{}: the key was still taken 30 s on",
                op.name()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    // And the purge, which runs at a quarter of the TTL (1 s at least), forgets it.
    for attempt in 0.. {
        if keys_left("never-reused") == 0 {
            break;
        }
        assert!(attempt < 300, "an expired key was not purged within 30 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log = crm.stop();
    assert!(log.contains("forgot expired idempotency keys"), "{log}");
}
each_backend!(idempotency_ttl_secs_is_how_long_a_key_is_remembered);

#[tokio::test]
async fn request_timeout_secs_is_how_long_a_body_may_take_to_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let t = tenant(&db, "slow");
    let crm = Crm::start(&db, &["--request-timeout-secs", "1"], &[]).unwrap();
    // Every operation at once: half a body each, then nothing.
    let slow: Vec<_> = OPERATIONS
        .iter()
        .map(|op| {
            let body = (op.body)("slow", &t.fixtures).to_string();
            let mut request = raw_head(op, &t.token, &t.fixtures, "application/json");
            request.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
            request.push_str(&body[..body.len() / 2]);
            let addr = crm.addr.clone();
            std::thread::spawn(move || raw_exchange(&addr, request.as_bytes()))
        })
        .collect();
    for (op, answer) in OPERATIONS.iter().zip(slow) {
        let (status, _, body) = answer.join().unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(status, 408, "{}: {body}", op.name());
        assert_eq!(
            op.error_message(408, &body).unwrap(),
            "body: did not arrive within 1 s; send it at once"
        );
        assert_eq!(stored(&db, op, "slow"), 0, "{}", op.name());
    }
    crm.stop();
}

#[tokio::test]
async fn max_inflight_body_bytes_bounds_the_bodies_read_at_once() {
    const BUDGET: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let t = tenant(&db, "budget");
    let fx = &t.fixtures;
    let budget = BUDGET.to_string();
    let crm = Crm::start(
        &db,
        &[
            "--max-body-bytes",
            &budget,
            "--max-inflight-body-bytes",
            &budget,
        ],
        &[],
    )
    .unwrap();
    // One body of the whole budget, declared and never finished, holds it.
    let op = &OPERATIONS[0];
    let mut holder = std::net::TcpStream::connect(&crm.addr).unwrap();
    let head = raw_head(op, &t.token, fx, "application/json");
    std::io::Write::write_all(
        &mut holder,
        format!("{head}Content-Length: {BUDGET}\r\n\r\n{{").as_bytes(),
    )
    .unwrap();
    let refusal = format!(
        "body: the server is reading as many request bodies as it may at once ({BUDGET} bytes); retry after 1 s"
    );
    let client = reqwest::Client::new();
    let refused = |op: &'static Operation, suffix: String| {
        let client = client.clone();
        let token = t.token.clone();
        let url = crm.url.clone();
        async move {
            let mut request = client
                .post(format!("{url}{}", op.path))
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json")
                .body((op.body)(&suffix, fx).to_string());
            for (name, value) in (op.headers)(fx) {
                request = request.header(name, value);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_owned());
            let body: Value = response.json().await.unwrap();
            (status, retry_after, body)
        }
    };
    // The holder's reservation is made once its head is read: until then a
    // create may still pass.
    for attempt in 0.. {
        let suffix = format!("before-{attempt}");
        let (status, _, body) = refused(op, suffix.clone()).await;
        if status == 503 {
            assert_eq!(stored(&db, op, &suffix), 0);
            break;
        }
        assert_eq!(status, op.success, "{body}");
        assert!(attempt < 300, "the held body never filled the budget");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for op in &OPERATIONS {
        let (status, retry_after, body) = refused(op, "held".into()).await;
        assert_eq!(status, 503, "{}: {body}", op.name());
        assert_eq!(retry_after.as_deref(), Some("1"), "{}", op.name());
        assert_eq!(op.error_message(503, &body).unwrap(), refusal);
        assert_eq!(stored(&db, op, "held"), 0, "{}", op.name());
    }
    // The holder gives up: its share comes back.
    drop(holder);
    for op in &OPERATIONS {
        for attempt in 0.. {
            let suffix = format!("released-{attempt}");
            let (status, _, body) = refused(op, suffix.clone()).await;
            if status == op.success {
                assert_eq!(stored(&db, op, &suffix), 1, "{}", op.name());
                break;
            }
            assert_eq!(
                (status, op.error_message(status, &body).unwrap()),
                (503, refusal.clone())
            );
            assert!(attempt < 300, "{}: the budget never came back", op.name());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    crm.stop();
}

#[tokio::test]
async fn bind_db_and_metrics_bind_come_from_the_environment_too() {
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (port, metrics_port) = (free_port(), free_port());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("from-env.db");
    let crm = Crm::start_args(
        &[],
        &[
            ("CRM_BIND", &format!("127.0.0.1:{port}")),
            ("CRM_DB", db.to_str().unwrap()),
            ("CRM_METRICS_BIND", &format!("127.0.0.1:{metrics_port}")),
        ],
    )
    .unwrap();
    assert_eq!(crm.addr, format!("127.0.0.1:{port}"));
    let token = crm.first_start_token();
    let op = &OPERATIONS[0];
    let fx = crm_testkit::Fixtures {
        workspace_id: 1,
        contact_id: 0,
        organization_uuid: String::new(),
    };
    let (status, answer) = create(&crm.url, op, &token, &fx, "env", &[]).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(stored(&db, op, "env"), 1, "the create went into CRM_DB");
    let metrics = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .unwrap();
    assert_eq!(metrics.status().as_u16(), 200);
    assert!(metrics.text().await.unwrap().contains("crm_"));
    // The flag wins over the variable.
    crm.stop();
    let other = dir.path().join("from-flag.db");
    let crm = Crm::start_args(
        &["--db", other.to_str().unwrap(), "--bind", "127.0.0.1:0"],
        &[
            ("CRM_DB", db.to_str().unwrap()),
            ("CRM_BIND", "127.0.0.1:1"),
        ],
    )
    .unwrap();
    // --db named a new database: a first start, which prints a token.
    crm.first_start_token();
    crm.stop();
    assert!(other.exists());
}

/// Starts `crm serve` with `args` (and `env`) on a database path that does not
/// exist yet; it must exit at once, with `expected` in its error and nothing
/// printed. Its database, if it got as far as opening one, has no workspace.
fn refused_after(args: &[&str], env: &[(&str, &str)], expected: &str) -> std::path::PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    let db = dir.join("crm.db");
    let mut all = vec!["--db", db.to_str().unwrap()];
    if !args.contains(&"--bind") && !env.iter().any(|(n, _)| *n == "CRM_BIND") {
        all.extend(["--bind", "127.0.0.1:0"]);
    }
    all.extend(args);
    let Err(exited) = Crm::start_args(&all, env) else {
        panic!("crm serve {args:?} {env:?} started");
    };
    // clap's usage errors exit 2; what `crm serve` itself refuses, 1.
    let code = if expected.starts_with("invalid value") {
        2
    } else {
        1
    };
    assert_eq!(exited.status.code(), Some(code), "{args:?}: {exited:?}");
    assert!(
        exited.stderr.contains(expected),
        "crm serve {args:?} {env:?}: expected {expected:?} in:\n{}",
        exited.stderr
    );
    assert_eq!(exited.stdout, "", "{args:?}: nothing is printed");
    if db.exists() {
        let workspaces: i64 = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            workspaces, 0,
            "{args:?}: no workspace made, no token issued"
        );
    }
    db
}

/// A value refused before anything is opened: no database file is made.
fn refused(args: &[&str], env: &[(&str, &str)], expected: &str) {
    let db = refused_after(args, env, expected);
    assert!(!db.exists(), "{args:?}: no database was made");
    std::fs::remove_dir_all(db.parent().unwrap()).unwrap();
}

#[test]
fn an_invalid_value_is_refused_naming_the_flag() {
    let invalid = |flag: &str, value: &str| format!("invalid value '{value}' for '{flag} <");
    // Numbers of bytes and seconds: not a number, negative, past 64 bits.
    for flag in [
        "--max-body-bytes",
        "--max-inflight-body-bytes",
        "--request-timeout-secs",
        "--idempotency-ttl-secs",
        "--shutdown-grace-secs",
    ] {
        for value in ["lots", "-1", "1.5", "18446744073709551616", ""] {
            refused(&[flag, value], &[], &invalid(flag, value));
        }
    }
    // Zero where zero cannot work: no body accepted, every body late, every key
    // forgotten at once. (A grace of 0 s is a choice: exit at once.)
    for flag in [
        "--max-body-bytes",
        "--max-inflight-body-bytes",
        "--request-timeout-secs",
        "--idempotency-ttl-secs",
    ] {
        refused(&[flag, "0"], &[], &invalid(flag, "0"));
    }
    // A TTL past what a timestamp can go back (it panicked every keyed create).
    refused(
        &["--idempotency-ttl-secs", "1000000000000000"],
        &[],
        &invalid("--idempotency-ttl-secs", "1000000000000000"),
    );
    // A budget smaller than one body: that body could never be read.
    refused(
        &[
            "--max-body-bytes",
            "5000",
            "--max-inflight-body-bytes",
            "4999",
        ],
        &[],
        "--max-inflight-body-bytes (4999) must be at least --max-body-bytes (5000)",
    );
    refused(
        &["--max-inflight-body-bytes", "1000"],
        &[],
        "--max-inflight-body-bytes (1000) must be at least --max-body-bytes (1048576)",
    );
    // Addresses.
    for flag in ["--bind", "--metrics-bind"] {
        for value in ["localhost", "127.0.0.1", "127.0.0.1:99999", "300.0.0.1:80"] {
            refused(&[flag, value], &[], &invalid(flag, value));
        }
    }
    refused(
        &[],
        &[("CRM_BIND", "nowhere")],
        &invalid("--bind", "nowhere"),
    );
    refused(
        &[],
        &[("CRM_METRICS_BIND", "nowhere")],
        &invalid("--metrics-bind", "nowhere"),
    );
    // Durability and commit modes are `tests/durability.rs`'s.
}

#[test]
fn an_address_in_use_is_refused_naming_the_flag() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    for flag in ["--bind", "--metrics-bind"] {
        let db = refused_after(
            &[flag, &address],
            &[],
            &format!("{flag} {address}: cannot listen"),
        );
        std::fs::remove_dir_all(db.parent().unwrap()).unwrap();
    }
}

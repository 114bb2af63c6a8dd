//! Several real `crm serve` processes on one PostgreSQL database behave as one
//! service: servers starting together on an empty database migrate it once and
//! make one first workspace; 100 concurrent creates with one e-mail, spread over
//! the servers, make one record and 99 exact duplicate answers; one
//! Idempotency-Key, raced over the servers, creates once and every answer is the
//! same, and a key used on one server replays on another; a token revoked with
//! `crm admin` is refused by every server within a second.
//!
//! Each request of a race is its own task, released together by a barrier, on
//! four worker threads. Without PostgreSQL these tests say loudly that they are
//! skipped (and fail under CRM_REQUIRE_POSTGRES=1).

mod common;
#[path = "support/crm_process.rs"]
mod crm_process;

use common::{postgres, race};
use crm_process::{admin, create, send, tenant, Crm, Tenant};
use crm_testkit::{operation, Operation, OPERATIONS};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

/// `n` servers on `url`, started one after the other.
fn servers(url: &str, n: usize) -> Vec<Crm> {
    (0..n)
        .map(|_| Crm::start(Path::new(url), &[], &[]).unwrap_or_else(|e| panic!("{e:?}")))
        .collect()
}

/// 100 creates of `op` with `body(i)`, request `i` sent to server `i % n`.
async fn spread(
    servers: &[Crm],
    op: &'static Operation,
    t: &Tenant,
    extra: &'static [(&'static str, &'static str)],
    body: impl Fn(usize) -> Value,
) -> Vec<(u16, Value)> {
    let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
    race(100, |i| {
        let (url, token, fx) = (
            urls[i % urls.len()].clone(),
            t.token.clone(),
            t.fixtures.clone(),
        );
        let body = body(i).to_string();
        async move { send(&url, op, &token, &fx, extra, "application/json", body).await }
    })
    .await
}

#[test]
fn servers_starting_together_on_an_empty_database_migrate_once_and_make_one_workspace() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let barrier = Arc::new(Barrier::new(4));
    let started: Vec<Crm> = (0..4)
        .map(|_| {
            let (url, barrier) = (url.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                Crm::start(Path::new(&url), &[], &[]).unwrap_or_else(|e| panic!("{e:?}"))
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let tokens: Vec<String> = started.iter().filter_map(Crm::printed_token).collect();
    assert_eq!(
        tokens.len(),
        1,
        "one server makes the first workspace: {tokens:?}"
    );
    assert_eq!(
        postgres::query_i64(&url, "SELECT count(*) FROM workspaces", &[]),
        1
    );
    assert_eq!(
        postgres::query_i64(&url, "SELECT version FROM crm_schema", &[]),
        1
    );
    assert_eq!(
        postgres::query_i64(&url, "SELECT count(*) FROM crm_schema", &[]),
        1
    );
    // Its standard fields, once.
    assert_eq!(
        postgres::query_i64(&url, "SELECT count(*) FROM field_definitions", &[]),
        6
    );
    for server in started {
        server.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_email_spread_over_three_servers_makes_one_record() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let servers = servers(&url, 3);
    let t = tenant(Path::new(&url), "acme");

    let op = operation("salesmap_create_people");
    let answers = spread(&servers, op, &t, &[], |i| {
        let email = if i % 2 == 0 { "same@one.test" } else { " SAME@one.test" };
        json!({"name": format!("동시 {i}"), "fieldList": [{"name": "이메일", "stringValue": email}]})
    })
    .await;
    let won: Vec<usize> = (0..100).filter(|&i| answers[i].0 == 201).collect();
    let [winner] = won[..] else {
        panic!("expected exactly one success: {answers:?}")
    };
    let id = op.created_id(&answers[winner].1).unwrap().to_owned();
    for (i, answer) in answers.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(
            *answer,
            (
                400,
                json!({"success": false, "message": "Bad Request",
                       "reason": "동일한 이메일을 가진 고객이 존재합니다.",
                       "data": {"id": id, "name": format!("동시 {i}")}})
            ),
            "request {i}"
        );
    }

    let op = operation("bigchange_create_person");
    let answers = spread(&servers, op, &t, &[], |i| {
        let mut body = (op.body)(&i.to_string(), &t.fixtures);
        body["email"] = json!("same@two.test");
        body
    })
    .await;
    let won: Vec<usize> = (0..100).filter(|&i| answers[i].0 == 201).collect();
    let [winner] = won[..] else {
        panic!("expected exactly one success: {answers:?}")
    };
    let id = op.created_id(&answers[winner].1).unwrap().to_owned();
    let message = format!("a person with this e-mail already exists ({id})");
    for (i, answer) in answers.iter().enumerate().filter(|(i, _)| *i != winner) {
        assert_eq!(
            *answer,
            (
                422,
                json!({"type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                       "title": "One or more validation errors occurred.",
                       "status": 422, "detail": format!("email: {message}"),
                       "instance": op.path, "errors": {"email": [message]}})
            ),
            "request {i}"
        );
    }
    for email in ["same@one.test", "same@two.test"] {
        assert_eq!(
            postgres::query_i64(
                &url,
                "SELECT count(*) FROM people WHERE email_norm = $1",
                &[&email]
            ),
            1
        );
    }
    for server in servers {
        server.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_creates_once_across_servers_and_replays_on_any() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let servers = servers(&url, 2);
    let t = tenant(Path::new(&url), "acme");
    for op in &OPERATIONS {
        // Used on server A, replayed on server B.
        let moved = format!("moved-{}", op.operation_id);
        let key = [("Idempotency-Key", moved.as_str())];
        let first = create(&servers[0].url, op, &t.token, &t.fixtures, "moved", &key).await;
        assert_eq!(first.0, op.success, "{}: {first:?}", op.name());
        let replayed = create(&servers[1].url, op, &t.token, &t.fixtures, "moved", &key).await;
        assert_eq!(
            replayed,
            first,
            "{}: replayed on the other server",
            op.name()
        );

        // Raced over both servers: one record, 50 identical answers.
        let urls: Vec<String> = servers.iter().map(|s| s.url.clone()).collect();
        let answers = race(50, |i| {
            let (url, token, fx) = (urls[i % 2].clone(), t.token.clone(), t.fixtures.clone());
            let key = format!("raced-{}", op.operation_id);
            async move {
                let key = [("Idempotency-Key", key.as_str())];
                create(&url, op, &token, &fx, "raced", &key).await
            }
        })
        .await;
        assert_eq!(answers[0].0, op.success, "{}: {:?}", op.name(), answers[0]);
        for (i, answer) in answers.iter().enumerate() {
            assert_eq!(*answer, answers[0], "{}: request {i}", op.name());
        }
        let stored = (op.stored)("raced");
        let n = postgres::query_i64(
            &url,
            &format!(
                "SELECT count(*) FROM {} WHERE {} = $1",
                stored.table, stored.column
            ),
            &[&stored.value],
        );
        assert_eq!(
            n,
            1,
            "{}: one record for 50 requests with one key",
            op.name()
        );
    }
    for server in servers {
        server.stop();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_token_revoked_with_crm_admin_is_refused_by_every_server_within_a_second() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let servers = servers(&url, 3);
    let db = Path::new(&url);
    let t = tenant(db, "acme");
    let op = operation("introzy_create_person");
    // Every server has the token cached.
    for (n, server) in servers.iter().enumerate() {
        let (status, _) = create(
            &server.url,
            op,
            &t.token,
            &t.fixtures,
            &format!("cached-{n}"),
            &[],
        )
        .await;
        assert_eq!(status, 201);
    }
    admin(db, &["token", "revoke", "--id", &t.token_id.to_string()]);
    let revoked = Instant::now();
    let refused = (
        401,
        json!({"success": false, "message": "Authorization: the bearer token is not valid"}),
    );
    // Polled until every server refuses it, and checked whenever that is: each
    // must refuse within 1.5 s of the revocation (a second, with room for the
    // request itself).
    let mut pending: Vec<&Crm> = servers.iter().collect();
    let mut n = 0;
    while !pending.is_empty() {
        let mut still = Vec::new();
        for server in pending {
            n += 1;
            let answer = create(
                &server.url,
                op,
                &t.token,
                &t.fixtures,
                &format!("after-{n}"),
                &[],
            )
            .await;
            if answer != refused {
                assert_eq!(answer.0, 201, "{answer:?}");
                still.push(server);
            }
        }
        pending = still;
        assert!(
            pending.is_empty() || revoked.elapsed() < Duration::from_millis(1500),
            "{} server(s) still accept the token {:?} after its revocation",
            pending.len(),
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for server in servers {
        server.stop();
    }
}

//! `Idempotency-Key` on every create operation (`crm_testkit::OPERATIONS`): a
//! retry replays the first answer and creates nothing; another request with the
//! key is refused in the family's format; concurrent requests with one key execute
//! once; keys are per workspace and expire.

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_testkit::{Family, Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};
use std::sync::Arc;

/// A JSON create of `op` with `key`, as `t`.
async fn create(
    server: &TestServer,
    t: &Tenant,
    op: &Operation,
    fx: &Fixtures,
    key: &str,
    body: &Value,
) -> (u16, Value) {
    server
        .create(
            op,
            Some(&t.token),
            fx,
            &[("Idempotency-Key", key)],
            "application/json",
            body.to_string(),
        )
        .await
}

async fn post(
    server: &TestServer,
    t: &Tenant,
    path: &str,
    headers: &[(&str, String)],
    key: &str,
    body: &Value,
) -> (u16, Value) {
    let mut all: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    all.push(("Idempotency-Key", key));
    server
        .post_with_headers(
            path,
            Some(&t.token),
            "application/json",
            &all,
            body.to_string(),
        )
        .await
}

async fn a_retry_replays_the_first_answer_and_another_request_is_refused(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "리드 회사").await;
    for op in &OPERATIONS {
        let name = op.name();
        let table = (op.stored)("").table;
        let body = (op.body)("first", &fx);
        let other = (op.body)("other", &fx);
        let key = format!("key-{}", op.operation_id);
        let before = server.count(table);
        let first = create(&server, &t, op, &fx, &key, &body).await;
        assert_eq!(first.0, op.success, "{name}: {first:?}");
        for _ in 0..3 {
            assert_eq!(
                create(&server, &t, op, &fx, &key, &body).await,
                first,
                "{name}: a retry replays"
            );
        }
        assert_eq!(
            server.count(table),
            before + 1,
            "{name}: one record for four requests"
        );

        let (status, refused) = create(&server, &t, op, &fx, &key, &other).await;
        let expected = match op.family {
            Family::BigChange => {
                assert_eq!(
                    refused,
                    json!({
                        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                        "title": "One or more validation errors occurred.",
                        "status": 422,
                        "detail": "Idempotency-Key: already used with a different request",
                        "instance": op.path,
                        "errors": {"Idempotency-Key": ["already used with a different request"]}
                    })
                );
                422
            }
            Family::MaiaScore => {
                assert_eq!(
                    refused,
                    json!({"code": 400, "message": "Idempotency-Key: already used with a different request"})
                );
                400
            }
            Family::SalesMap | Family::Introzy => {
                assert_eq!(
                    refused,
                    json!({"success": false, "message": "Idempotency-Key: already used with a different request"})
                );
                400
            }
        };
        assert_eq!(status, expected, "{name}");
        op.error_message(status, &refused)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            server.count(table),
            before + 1,
            "{name}: the refused request stored nothing"
        );
        assert_eq!(server.stored(op, "other"), 0, "{name}");
    }
    server.stop().await;
}
each_backend!(a_retry_replays_the_first_answer_and_another_request_is_refused);

/// Each request on its own task, released together (`common::race`), on four
/// worker threads: they truly run at once.
async fn concurrent_requests_with_one_key_execute_once(backend: Backend) {
    let server = Arc::new(TestServer::start_on(backend).await);
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "Fixtures").await;
    for op in &OPERATIONS {
        let name = op.name();
        let mut body = (op.body)("race", &fx);
        if op.operation_id == "introzy_create_person" {
            // Introzy also links or creates the company: once, too.
            body["companyName"] = json!("Race Co");
        }
        let table = (op.stored)("").table;
        let before = server.count(table);
        let key = format!("one-key-{}", op.operation_id);
        let answers = common::race(50, |_| {
            let (server, fx, key, body) = (server.clone(), fx.clone(), key.clone(), body.clone());
            let token = t.token.clone();
            async move {
                let headers = [("Idempotency-Key", key.as_str())];
                let body = body.to_string();
                server
                    .create(op, Some(&token), &fx, &headers, "application/json", body)
                    .await
            }
        })
        .await;
        assert_eq!(answers.len(), 50, "{name}");
        assert_eq!(answers[0].0, op.success, "{name}: {:?}", answers[0]);
        assert!(
            answers.iter().all(|a| a == &answers[0]),
            "{name}: every answer is the first one: {answers:?}"
        );
        assert_eq!(server.count(table), before + 1, "{name}");
        assert_eq!(server.stored(op, "race"), 1, "{name}");
    }
    let companies: i64 = server.db().value(
        "SELECT count(*) FROM organizations WHERE name = 'Race Co'",
        &[],
    );
    assert_eq!(companies, 1);
    // The fixtures' organization and Race Co; three people, one lead, one customer.
    assert_eq!(
        (
            server.count("organizations"),
            server.count("people"),
            server.count("leads"),
            server.count("customers")
        ),
        (2, 3, 1, 1)
    );
    Arc::into_inner(server)
        .expect("every racing request is done")
        .stop()
        .await;
}
each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_requests_with_one_key_execute_once
);

async fn keys_are_per_workspace_and_a_failed_request_does_not_use_its_key(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let body = json!({"referenceId": "r", "dateOfBirth": "1990-01-01"});
    let mine = post(&server, &t, "/customers", &[], "shared-key", &body).await;
    let theirs = post(&server, &other, "/customers", &[], "shared-key", &body).await;
    assert_eq!((mine.0, theirs.0), (200, 200));
    assert_ne!(mine.1["id"], theirs.1["id"]);
    assert_eq!(server.count("customers"), 2);

    // Refused for its date: nothing stored, the key stays free for the corrected request.
    let refused = post(
        &server,
        &t,
        "/customers",
        &[],
        "fix-me",
        &json!({"dateOfBirth": "1990-02-30"}),
    )
    .await;
    assert_eq!(
        refused,
        (
            400,
            json!({
                "code": 400,
                "message": "dateOfBirth: '1990-02-30' is not a real date written YYYY-MM-DD"
            })
        )
    );
    let (status, fixed) = post(
        &server,
        &t,
        "/customers",
        &[],
        "fix-me",
        &json!({"dateOfBirth": "1990-02-28"}),
    )
    .await;
    assert_eq!(
        (status, fixed["dateOfBirth"].as_str()),
        (200, Some("1990-02-28"))
    );

    let long_key = "k".repeat(256);
    let (status, refused) = post(&server, &t, "/customers", &[], &long_key, &body).await;
    assert_eq!(
        (status, refused),
        (
            400,
            json!({"code": 400, "message": "Idempotency-Key: must be 1 to 255 visible ASCII characters"})
        )
    );
    assert_eq!(server.count("customers"), 3);
    server.stop().await;
}
each_backend!(keys_are_per_workspace_and_a_failed_request_does_not_use_its_key);

/// A key is remembered for the configured time (here 1 h) and forgotten after it.
/// The key's age is set in the database rather than waited for, so that a slow
/// machine cannot make the two requests that must share it fall apart in time.
async fn keys_expire(backend: Backend) {
    let server = TestServer::start_with(
        backend,
        crm_server::ServerConfig {
            idempotency_ttl: std::time::Duration::from_secs(3600),
            ..common::test_config()
        },
    )
    .await;
    let t = server.tenant("acme").await;
    let body = json!({"name": "만료"});
    let first = post(&server, &t, "/v2/people", &[], "short-lived", &body).await;
    assert_eq!(first.0, 201, "{first:?}");
    let age = |minutes: i64| {
        let made = chrono::Utc::now() - chrono::Duration::minutes(minutes);
        server.db().execute(
            "UPDATE idempotency_keys SET created_at = ?1 WHERE key = 'short-lived'",
            &[&made.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()],
        )
    };
    // 59 minutes old: still within the hour, replayed.
    assert_eq!(age(59), 1);
    assert_eq!(
        post(&server, &t, "/v2/people", &[], "short-lived", &body).await,
        first
    );
    // 61 minutes old: forgotten.
    assert_eq!(age(61), 1);
    let later = post(&server, &t, "/v2/people", &[], "short-lived", &body).await;
    assert_eq!(later.0, 201);
    assert_ne!(
        later.1["data"]["people"]["id"], first.1["data"]["people"]["id"],
        "an expired key is forgotten"
    );
    assert_eq!(server.count("people"), 2);
    // The new create holds the key now, and is what a retry replays.
    assert_eq!(
        post(&server, &t, "/v2/people", &[], "short-lived", &body).await,
        later
    );
    assert_eq!(server.count("people"), 2);
    server.stop().await;
}
each_backend!(keys_expire);

async fn a_retry_after_a_restart_replays_the_answer_at_once(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let body =
        json!({"email": "restart@example.com", "firstName": "Re", "companyName": "Restart Co"});
    let first = post(&server, &t, "/api/people", &[], "across-restarts", &body).await;
    assert_eq!(first.0, 201, "{first:?}");
    assert_eq!(first.1["data"]["company"]["name"], "Restart Co");

    let server = server.restart().await;
    let started = std::time::Instant::now();
    let retry = post(&server, &t, "/api/people", &[], "across-restarts", &body).await;
    assert_eq!(retry, first);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "answered without waiting: {:?}",
        started.elapsed()
    );
    assert_eq!(
        (server.count("people"), server.count("organizations")),
        (1, 1)
    );
    server.stop().await;
}
each_backend!(a_retry_after_a_restart_replays_the_answer_at_once);

/// A key claimed without an answer can only have been left by a version that
/// recorded answers in a second transaction (and died between the two). A retry
/// is refused at once, and creates nothing more.
#[tokio::test]
async fn a_key_left_unanswered_by_an_older_version_is_refused_at_once() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    let body = json!({"name": "고아"});
    let (status, _) = post(&server, &t, "/v2/people", &[], "orphan", &body).await;
    assert_eq!(status, 201);
    // What the old version left after a crash: the person and the key, no answer.
    rusqlite::Connection::open(server.db_path())
        .unwrap()
        .execute(
            "UPDATE idempotency_keys SET response = NULL WHERE key = 'orphan'",
            [],
        )
        .unwrap();

    let started = std::time::Instant::now();
    let (status, refused) = post(&server, &t, "/v2/people", &[], "orphan", &body).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(
        (status, refused),
        (
            400,
            json!({"success": false, "message": "Idempotency-Key: already used by a request whose answer was not recorded; use another key"})
        )
    );
    assert_eq!(server.count("people"), 1);
    server.stop().await;
}

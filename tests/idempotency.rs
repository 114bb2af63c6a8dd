//! `Idempotency-Key` on every create of every family: a retry replays the first
//! answer and creates nothing; another request with the key is refused in the
//! family's format; concurrent requests with one key execute once; keys are per
//! workspace and expire.

mod common;

use common::{Tenant, TestServer};
use serde_json::{json, Value};

/// One create of a family: (path, extra headers, table, body, another body).
type Create = (
    &'static str,
    Vec<(&'static str, String)>,
    &'static str,
    Value,
    Value,
);

fn creates(t: &Tenant, contact: i64) -> Vec<Create> {
    vec![
        (
            "/v2/people",
            vec![],
            "people",
            json!({"name": "홍길동", "fieldList": [{"name": "이메일", "stringValue": "hong@example.com"}]}),
            json!({"name": "홍길순"}),
        ),
        (
            "/v2/lead",
            vec![],
            "leads",
            json!({"name": "리드", "organizationId": null, "peopleId": null, "memo": "x"}),
            json!({"name": "다른 리드"}),
        ),
        (
            "/api/people",
            vec![],
            "people",
            json!({"email": "intro@example.com", "firstName": "Intro"}),
            json!({"email": "other@example.com", "firstName": "Other"}),
        ),
        (
            "/v1/contacts/persons",
            vec![("Customer-Id", t.workspace_id.to_string())],
            "people",
            json!({"contactId": contact, "forename": "Big", "surname": "Change", "email": "big@example.com"}),
            json!({"contactId": contact, "forename": "Other", "surname": "Person", "email": "o@example.com"}),
        ),
        (
            "/customers",
            vec![],
            "customers",
            json!({"referenceId": "ref-1", "gender": "male"}),
            json!({"referenceId": "ref-2"}),
        ),
    ]
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

#[tokio::test]
async fn a_retry_replays_the_first_answer_and_another_request_is_refused() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "Contact").await;
    let org = server.organization(&t, "리드 회사").await;
    for (path, headers, table, mut body, other) in creates(&t, contact) {
        if path == "/v2/lead" {
            body["organizationId"] = json!(org);
        }
        let key = format!("key-{path}");
        let before = server.count(table);
        let first = post(&server, &t, path, &headers, &key, &body).await;
        assert!(first.0 == 200 || first.0 == 201, "{path}: {first:?}");
        for _ in 0..3 {
            assert_eq!(
                post(&server, &t, path, &headers, &key, &body).await,
                first,
                "{path}: a retry replays"
            );
        }
        assert_eq!(
            server.count(table),
            before + 1,
            "{path}: one record for four requests"
        );

        let (status, refused) = post(&server, &t, path, &headers, &key, &other).await;
        let expected = match path {
            "/v1/contacts/persons" => {
                assert_eq!(
                    refused["errors"],
                    json!({"Idempotency-Key": ["already used with a different request"]})
                );
                422
            }
            "/customers" => {
                assert_eq!(
                    refused,
                    json!({"code": 400, "message": "Idempotency-Key: already used with a different request"})
                );
                400
            }
            _ => {
                assert_eq!(
                    refused,
                    json!({"success": false, "message": "Idempotency-Key: already used with a different request"})
                );
                400
            }
        };
        assert_eq!(status, expected, "{path}");
        assert_eq!(
            server.count(table),
            before + 1,
            "{path}: the refused request stored nothing"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn concurrent_requests_with_one_key_execute_once() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    let body = json!({"email": "race@example.com", "firstName": "Race", "companyName": "Race Co"});
    let answers = futures::future::join_all(
        (0..50).map(|_| post(&server, &t, "/api/people", &[], "one-key", &body)),
    )
    .await;
    assert!(
        answers.iter().all(|a| a == &answers[0]),
        "every answer is the first one: {answers:?}"
    );
    assert_eq!(answers[0].0, 201);
    assert_eq!(
        (server.count("people"), server.count("organizations")),
        (1, 1)
    );
    server.stop().await;
}

#[tokio::test]
async fn keys_are_per_workspace_and_a_failed_request_does_not_use_its_key() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let body = json!({"referenceId": "r", "dateOfBirth": "1990-01-01"});
    let mine = post(&server, &t, "/customers", &[], "shared-key", &body).await;
    let theirs = post(&server, &other, "/customers", &[], "shared-key", &body).await;
    assert_eq!((mine.0, theirs.0), (200, 200));
    assert_ne!(mine.1["id"], theirs.1["id"]);
    assert_eq!(server.count("customers"), 2);

    // Refused for its date: nothing stored, the key stays free for the corrected request.
    let (status, _) = post(
        &server,
        &t,
        "/customers",
        &[],
        "fix-me",
        &json!({"dateOfBirth": "1990-02-30"}),
    )
    .await;
    assert_eq!(status, 400);
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

#[tokio::test]
async fn keys_expire() {
    let server = TestServer::start_with(crm_server::ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        idempotency_ttl: std::time::Duration::from_millis(300),
        ..Default::default()
    })
    .await;
    let t = server.tenant("acme").await;
    let body = json!({"name": "만료"});
    let first = post(&server, &t, "/v2/people", &[], "short-lived", &body).await;
    assert_eq!(
        post(&server, &t, "/v2/people", &[], "short-lived", &body).await,
        first
    );
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let later = post(&server, &t, "/v2/people", &[], "short-lived", &body).await;
    assert_eq!(later.0, 201);
    assert_ne!(
        later.1["data"]["people"]["id"], first.1["data"]["people"]["id"],
        "an expired key is forgotten"
    );
    assert_eq!(server.count("people"), 2);
    server.stop().await;
}

#[tokio::test]
async fn a_retry_after_a_restart_replays_the_answer_at_once() {
    let server = TestServer::start().await;
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
    rusqlite::Connection::open(&server.db_path)
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

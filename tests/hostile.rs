//! Hostile input, against every create operation (`crm_testkit::OPERATIONS`):
//! each case gets a clear error in the endpoint's own format, nothing is stored,
//! and the server keeps serving. The README's table of hostile inputs is this
//! file's list.

mod common;

use common::{each_backend, Backend, TestServer};
use crm_testkit::{operation, Family, Fixtures, Operation, OPERATIONS};
use serde_json::json;

/// Checks the operation's error shape and returns its message.
fn message(op: &Operation, status: u16, body: &serde_json::Value) -> String {
    op.error_message(status, body)
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn send(
    server: &TestServer,
    op: &Operation,
    fixtures: &Fixtures,
    token: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, serde_json::Value) {
    server
        .create(op, Some(token), fixtures, &[], content_type, body)
        .await
}

/// A valid body of `op`, as bytes.
fn valid(op: &Operation, fixtures: &Fixtures) -> Vec<u8> {
    (op.body)("valid", fixtures).to_string().into_bytes()
}

/// Rows in every table a create stores into.
fn stored(server: &TestServer) -> i64 {
    crm_testkit::tables().iter().map(|t| server.count(t)).sum()
}

async fn hostile_bodies_get_clear_errors_and_store_nothing(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    // Deep nesting in a field no type reads: serde_json's depth limit still applies.
    let deep = format!(r#"{{"extra": {}{}}}"#, "[".repeat(5000), "]".repeat(5000));
    let mut invalid_utf8 = br#"{"name": ""#.to_vec();
    invalid_utf8.extend_from_slice(&[0xff, 0xfe]);
    invalid_utf8.extend_from_slice(br#""}"#);
    // (body, content type, status, what the message must say)
    let cases: Vec<(Vec<u8>, &str, u16, &str)> = vec![
        (
            vec![b'x'; 1024 * 1024 + 1],
            "application/json",
            413,
            "body: larger than the limit of 1048576 bytes",
        ),
        (
            br#"{"name": "trunc"#.to_vec(),
            "application/json",
            400,
            "unable to parse JSON body",
        ),
        (
            invalid_utf8,
            "application/json",
            400,
            "body: not valid UTF-8",
        ),
        (
            deep.into_bytes(),
            "application/json",
            400,
            "unable to parse JSON body: nested deeper than 32 levels",
        ),
        (
            // The escape names the member that holds it, the first in the document.
            br#"{"name": "a\u0000b", "email": "a@b.co", "firstName": "a\u0000"}"#.to_vec(),
            "application/json",
            400,
            "body: name: contains a NUL character",
        ),
        (
            b"{\"name\": \"a\x00b\"}".to_vec(),
            "application/json",
            400,
            "body: contains a NUL character",
        ),
        (
            b"name=x".to_vec(),
            "text/csv",
            415,
            "Content-Type: text/csv is not supported",
        ),
    ];
    for op in &OPERATIONS {
        for (body, content_type, status, expected) in &cases {
            let (got, answer) = send(&server, op, &fx, &t.token, content_type, body.clone()).await;
            assert_eq!(
                got,
                *status,
                "{} {content_type} {:?}: {answer}",
                op.name(),
                String::from_utf8_lossy(&body[..body.len().min(60)])
            );
            let text = message(op, *status, &answer);
            assert!(
                text.contains(expected),
                "{}: expected {expected:?} in {text:?}",
                op.name()
            );
        }
    }
    // Deep nesting where a field does read it (Introzy's free-form custom values),
    // with brackets inside strings that must not count.
    let deep_value = format!(
        r#"{{"email": "d@x.io", "firstName": "[[[[", "customFields": {{"cf": {}{}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let intro = operation("introzy_create_person");
    let (status, answer) = send(
        &server,
        intro,
        &fx,
        &t.token,
        "application/json",
        deep_value.into_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        message(intro, 400, &answer).contains("nested deeper than 32 levels"),
        "{answer}"
    );

    // Numbers a field cannot hold.
    let big = operation("bigchange_create_person");
    let (status, answer) = send(&server, big, &fx, &t.token, "application/json",
        br#"{"contactId": 99999999999999999999, "forename": "A", "surname": "B", "email": "a@b.co"}"#.to_vec()).await;
    assert_eq!(status, 400, "{answer}");
    assert!(message(big, 400, &answer).contains("contactId"), "{answer}");

    assert_eq!(stored(&server), 0, "nothing was stored");
    // And the server still serves.
    for op in &OPERATIONS {
        let (status, answer) = send(
            &server,
            op,
            &fx,
            &t.token,
            "application/json",
            valid(op, &fx),
        )
        .await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
    }
    server.stop().await;
}
each_backend!(hostile_bodies_get_clear_errors_and_store_nothing);

async fn sql_metacharacters_are_stored_verbatim(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let name = "Robert'); DROP TABLE people;-- \" % _ \\ ;";
    let (status, answer) = server
        .post_json(
            "/v2/people",
            Some(&t.token),
            &json!({"name": name, "memo": "1 OR 1=1"}),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    let stored: (String, String) =
        server
            .db()
            .query_row("SELECT name, memo FROM people", &[], |r| {
                (r.get(0), r.get(1))
            });
    assert_eq!(stored, (name.to_owned(), "1 OR 1=1".to_owned()));
    let (status, _) = server
        .post_raw(
            "/customers",
            Some(&t.token),
            "application/x-www-form-urlencoded",
            "referenceId=%27%3B+DELETE+FROM+customers%3B--",
        )
        .await;
    assert_eq!(status, 200);
    let reference: String = server.db().value("SELECT reference_id FROM customers", &[]);
    assert_eq!(reference, "'; DELETE FROM customers;--");
    server.stop().await;
}
each_backend!(sql_metacharacters_are_stored_verbatim);

async fn bad_tokens_are_refused_in_every_family(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let fx = server.fixtures(&t, "C").await;
    let expired = server
        .admin(crm::cli::AdminCommand::from(
            crm::cli::TokenCommand::Create(crm::cli::NewTokenArgs {
                workspace: t.workspace_id.to_string(),
                label: "old".into(),
                scopes: vec![],
                all_scopes: true,
                expires_in_secs: Some(-1),
            }),
        ))
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for op in &OPERATIONS {
        // MaiaScore documents 403 for a request without a valid token.
        let unauthenticated = if op.family == Family::MaiaScore {
            403
        } else {
            401
        };
        for (token, expected) in [
            ("", "Authorization: expected the form 'Bearer <token>'"),
            (
                "crm_unknown",
                "Authorization: the bearer token is not valid",
            ),
            (
                expired.as_str(),
                "Authorization: the bearer token expired at",
            ),
        ] {
            let (status, answer) =
                send(&server, op, &fx, token, "application/json", valid(op, &fx)).await;
            assert_eq!(status, unauthenticated, "{}: {answer}", op.name());
            assert!(
                message(op, status, &answer).contains(expected),
                "{}: {answer}",
                op.name()
            );
        }
    }
    // Another workspace's token acting for this customer.
    let big = operation("bigchange_create_person");
    let (status, answer) = send(
        &server,
        big,
        &fx,
        &other.token,
        "application/json",
        valid(big, &fx),
    )
    .await;
    assert_eq!(status, 403, "{answer}");
    message(big, 403, &answer);
    assert_eq!(stored(&server), 0);
    server.stop().await;
}
each_backend!(bad_tokens_are_refused_in_every_family);

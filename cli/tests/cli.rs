//! The `crm-cli` binary against a live server (the in-process `TestServer` of
//! `tests/common`): what it prints, how it exits, and what was stored.

#[path = "../../tests/common/mod.rs"]
mod common;

use common::{Tenant, TestServer};
use serde_json::{json, Value};
use std::process::Output;

/// `crm-cli --url <server> --token <token> ARGS…`, run to its end.
async fn crm_cli(server: &TestServer, t: &Tenant, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_crm-cli"))
        .args(["--url", &server.url, "--token", &t.token])
        .args(args)
        .env_remove("CRM_URL")
        .env_remove("CRM_TOKEN")
        .output()
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The shell refused the call (exit 2, `usage` first on stderr): nothing was sent.
fn refused_before_sending(server: &TestServer, out: &Output, usage: &str) {
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(usage),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(server.count("people"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_create_prints_the_answer_and_stores_the_row() {
    let server = TestServer::start().await;
    let t = server.tenant("cli").await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("people.json");
    std::fs::write(
        &body,
        json!({"name": "홍길동", "memo": "from the shell",
               "fieldList": [{"name": "이메일", "stringValue": "gildong@example.com"}]})
        .to_string(),
    )
    .unwrap();

    let out = crm_cli(
        &server,
        &t,
        &[
            "salesmap",
            "create-people",
            "--json-body",
            body.to_str().unwrap(),
            "--idempotency-key",
            "k1",
        ],
    )
    .await;

    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = printed["data"]["people"]["id"].as_str().unwrap();
    let created_at = printed["data"]["people"]["createdAt"].as_str().unwrap();
    assert_eq!(
        printed,
        json!({"success": true, "data": {"people": {"id": id, "name": "홍길동", "createdAt": created_at}}})
    );
    let stored: (String, String, String) = server.db().query_row(
        "SELECT name, email, memo FROM people WHERE uuid = ?1",
        &[&id],
        |r| (r.get(0), r.get(1), r.get(2)),
    );
    assert_eq!(
        stored,
        (
            "홍길동".into(),
            "gildong@example.com".into(),
            "from the shell".into()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_documented_error_prints_its_status_and_body_and_exits_1() {
    let server = TestServer::start().await;
    let t = server.tenant("cli").await;
    let customer = t.workspace_id.to_string();

    let out = crm_cli(
        &server,
        &t,
        &[
            "bigchange",
            "create-person",
            "--customer-id",
            &customer,
            "--contact-id",
            "999",
            "--forename",
            "Grace",
            "--surname",
            "Hopper",
        ],
    )
    .await;

    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    let body = stderr
        .strip_prefix("422 Unprocessable Entity ")
        .unwrap_or_else(|| panic!("not the status first: {stderr}"));
    assert_eq!(
        serde_json::from_str::<Value>(body.trim_end()).unwrap(),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
            "title": "One or more validation errors occurred.",
            "status": 422,
            "detail": "contactId: no contact with id '999' in this workspace",
            "instance": "/v1/contacts/persons",
            "errors": {"contactId": ["no contact with id '999' in this workspace"]},
        })
    );
    assert_eq!(server.count("people"), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_field_beside_the_json_body_is_refused_not_dropped() {
    let server = TestServer::start().await;
    let t = server.tenant("cli").await;
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("people.json");
    std::fs::write(&body, r#"{"name": "홍길동"}"#).unwrap();

    let out = crm_cli(
        &server,
        &t,
        &[
            "salesmap",
            "create-people",
            "--json-body",
            body.to_str().unwrap(),
            "--memo",
            "lost?",
        ],
    )
    .await;

    refused_before_sending(
        &server,
        &out,
        "error: the argument '--json-body <JSON-FILE>' cannot be used with '--memo <memo>'",
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_value_the_document_refuses_never_leaves_the_shell() {
    let server = TestServer::start().await;
    let t = server.tenant("cli").await;

    let out = crm_cli(
        &server,
        &t,
        &[
            "salesmap",
            "create-people",
            "--name",
            "홍길동",
            "--idempotency-key",
            "Müller",
        ],
    )
    .await;

    refused_before_sending(
        &server,
        &out,
        "error: invalid value 'Müller' for '--idempotency-key <idempotency-key>': \
         doesn't match pattern \"^[ -~]*[!-~][ -~]*$\"",
    );
}

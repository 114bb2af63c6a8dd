//! The real `crm` binary: admin commands print JSON with the new ids, and `serve`
//! on an empty database bootstraps a workspace and prints a token that works.

mod common;

use common::{each_backend, Backend, TestDatabase};
use serde_json::Value;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

const CRM: &str = env!("CARGO_BIN_EXE_crm");

fn admin(db: &OsStr, args: &[&str]) -> Value {
    let out = Command::new(CRM)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crm admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn admin_commands_print_json_with_ids(backend: Backend) {
    let database = TestDatabase::new(backend);
    let db = database.arg();
    let ws = admin(db, &["workspace", "--name", "영업팀"]);
    let ws_id = ws["workspace"]["id"].as_i64().unwrap();
    assert_eq!(ws["workspace"]["name"], "영업팀");
    assert_eq!(ws["workspace"]["customerId"].as_i64(), Some(ws_id));
    let ws_uuid = ws["workspace"]["uuid"].as_str().unwrap();

    // By uuid as well as by id.
    let token = admin(
        db,
        &[
            "token",
            "--workspace",
            ws_uuid,
            "--scope",
            "contacts:persons:write",
        ],
    );
    assert!(token["token"].as_str().unwrap().starts_with("crm_"));
    assert_eq!(
        token["scopes"],
        serde_json::json!(["contacts:persons:write"])
    );

    let org = admin(
        db,
        &[
            "organization",
            "--workspace",
            &ws_id.to_string(),
            "--name",
            "세일즈맵",
        ],
    );
    assert!(org["organization"]["id"].as_i64().is_some());
    assert!(org["organization"]["uuid"].as_str().is_some());

    let pipeline = admin(
        db,
        &[
            "pipeline",
            "--workspace",
            &ws_id.to_string(),
            "--name",
            "영업",
            "--stage",
            "발굴",
            "--stage",
            "계약",
        ],
    );
    let stages = pipeline["pipeline"]["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(
        (stages[0]["name"].as_str(), stages[0]["position"].as_i64()),
        (Some("발굴"), Some(0))
    );

    let field = admin(
        db,
        &[
            "field",
            "--workspace",
            &ws_id.to_string(),
            "--entity",
            "person",
            "--name",
            "예산",
            "--key",
            "cf_budget",
            "--type",
            "number",
        ],
    );
    assert_eq!(field["field"]["key"], "cf_budget");
    assert_eq!(field["field"]["type"], "number");

    // The stored token is a hash, never the secret.
    let conn = database.connect();
    let stored: Vec<u8> = conn.value("SELECT token_hash FROM tokens", &[]);
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(token["token"].as_str().unwrap()));
    // A new workspace has the standard fields.
    let names: Vec<String> = conn.query(
        "SELECT name FROM field_definitions WHERE workspace_id = ?1 AND entity = 'person' ORDER BY id",
        &[&ws_id],
        |r| r.get(0),
    );
    assert_eq!(
        names,
        [
            "이메일",
            "전화",
            "포지션",
            "최근 연락일",
            "이름",
            "소속 기업",
            "예산"
        ]
    );
    if backend == Backend::Sqlite {
        let journal: String = conn.value("PRAGMA journal_mode", &[]);
        assert_eq!(journal, "wal");
    }

    // Errors name the argument.
    let bad = Command::new(CRM)
        .args(["admin", "--db"])
        .arg(db)
        .args(["token", "--workspace", "999"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr)
        .contains("--workspace: no workspace with id or uuid \"999\""));
}
each_backend!(admin_commands_print_json_with_ids);

/// Every key of `value`, at any depth, with where it is.
fn keys(value: &Value, at: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                out.push(format!("{at}.{key}"));
                keys(member, &format!("{at}.{key}"), out);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keys(item, at, out)),
        _ => {}
    }
}

async fn every_admin_command_prints_camel_case_keys(backend: Backend) {
    let database = TestDatabase::new(backend);
    let db = database.arg();
    let ws = admin(db, &["workspace", "--name", "영업팀"]);
    let id = ws["workspace"]["id"].as_i64().unwrap().to_string();
    // `token --workspace` (as before `create` existed) and `token create` both create.
    let legacy = admin(
        db,
        &["token", "--workspace", &id, "--expires-in-secs", "60"],
    );
    let created = admin(db, &["token", "create", "--workspace", &id, "--all-scopes"]);
    assert_ne!(legacy["tokenId"], created["tokenId"]);
    let revoked = admin(
        db,
        &["token", "revoke", "--id", &legacy["tokenId"].to_string()],
    );
    let outputs = [
        ws,
        legacy,
        created,
        admin(db, &["token", "list", "--workspace", &id]),
        revoked,
        admin(
            db,
            &["organization", "--workspace", &id, "--name", "세일즈맵"],
        ),
        admin(
            db,
            &[
                "pipeline",
                "--workspace",
                &id,
                "--name",
                "영업",
                "--stage",
                "발굴",
            ],
        ),
        admin(
            db,
            &[
                "field",
                "--workspace",
                &id,
                "--entity",
                "lead",
                "--name",
                "등급",
                "--key",
                "cf_grade",
                "--type",
                "select",
                "--option",
                "A",
            ],
        ),
    ];
    let mut all = Vec::new();
    for output in &outputs {
        keys(output, "", &mut all);
    }
    let camel = |key: &str| {
        let last = key.rsplit('.').next().unwrap();
        last.starts_with(|c: char| c.is_ascii_lowercase())
            && last.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let bad: Vec<&String> = all.iter().filter(|k| !camel(k)).collect();
    assert!(bad.is_empty(), "keys not in camelCase: {bad:?}");
    for key in [
        ".workspace.customerId",
        ".tokenId",
        ".expiresAt",
        ".revoked.revokedAt",
    ] {
        assert!(all.iter().any(|k| k == key), "{key} missing: {all:?}");
    }
}
each_backend!(every_admin_command_prints_camel_case_keys);

async fn serve_bootstraps_an_empty_database_and_its_token_works(backend: Backend) {
    let database = TestDatabase::new(backend);
    let db = database.arg();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(CRM)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
        .arg(db)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut token = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Some(t) = line.trim().strip_prefix("crm_") {
            token = Some(format!("crm_{t}"));
        }
        if line.starts_with("Try: curl") {
            break;
        }
    }
    let token = token.expect("serve prints a token on an empty database");
    let client =
        crm_client::salesmap::Client::with_token(&format!("http://127.0.0.1:{port}"), &token)
            .unwrap();
    let mut created = None;
    for _ in 0..100 {
        match client
            .salesmap_create_people()
            .body(crm_client::salesmap::types::CreatePeopleRequest::builder().name("홍길동"))
            .send()
            .await
        {
            Ok(r) => {
                created = Some(r.into_inner());
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(50)).await,
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let created = created.expect("the server answered");
    assert_eq!(created.data.people.name, "홍길동");
    let (name, ws): (String, String) = database.connect().query_row(
        "SELECT p.name, w.name FROM people p JOIN workspaces w ON w.id = p.workspace_id WHERE p.uuid = ?1",
        &[&created.data.people.id],
        |r| (r.get(0), r.get(1)),
    );
    assert_eq!((name.as_str(), ws.as_str()), ("홍길동", "default"));
}
each_backend!(serve_bootstraps_an_empty_database_and_its_token_works);

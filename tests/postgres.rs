//! The PostgreSQL store through the real `crm` binary: `--db postgres://…` (and
//! `CRM_DB`) selects it, `crm admin` works on it, every operation stores the rows
//! the SQLite store stores (integer id, uuid, timestamps in the wire form), and
//! the rules the database enforces hold: duplicate e-mails and company names by
//! their canonical keys, idempotency keys, tenancy, and a schema newer than the
//! binary refused (token revocation across servers: `tests/multi_server.rs`). `sqlite://PATH` and a plain path still select
//! SQLite.
//!
//! Each test gets a fresh database from `support/postgres.rs`; without PostgreSQL
//! they say loudly that they are skipped (and fail under CRM_REQUIRE_POSTGRES=1).

#[path = "support/crm_process.rs"]
mod crm_process;
#[path = "support/postgres.rs"]
mod postgres;

use crm_api::envelope::INTERNAL_MESSAGE;
use crm_process::{admin, create, send, tenant, Crm};
use crm_server::pipeline::failure::UNAVAILABLE_MESSAGE;
use crm_testkit::{operation, Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// `url` with a password in it (the test clusters trust local connections, so
/// any will do), and its `user:password` part: what the log must never show.
fn with_password(url: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.split_once('@') {
        Some((credentials, _)) if credentials.contains(':') => {
            (url.to_owned(), credentials.to_owned())
        }
        Some((user, host)) => {
            let credentials = format!("{user}:pg-s3cret-never-logged");
            (
                format!("{scheme}://{credentials}@{host}{tail}"),
                credentials,
            )
        }
        None => panic!("a test database URL names its user: {url}"),
    }
}

/// `body` sent to `op` as JSON with `token`: the status and answer.
async fn post(crm: &Crm, op: &Operation, token: &str, fx: &Fixtures, body: &Value) -> (u16, Value) {
    send(
        &crm.url,
        op,
        token,
        fx,
        &[],
        "application/json",
        body.to_string(),
    )
    .await
}

/// Whether `s` is a timestamp in the stored and wire form, `2024-04-08T05:25:26.020Z`.
fn is_wire_timestamp(s: &str) -> bool {
    s.len() == 24
        && s.ends_with('Z')
        && crm_server::time::Timestamp::parse(s).is_some_and(|t| t.to_rfc3339_millis() == s)
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_and_admin_run_on_postgres_and_store_the_same_rows() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let (url, credentials) = with_password(&url);
    let db = Path::new(&url);
    let crm = Crm::start(db, &[], &[]).unwrap_or_else(|e| panic!("{e:?}"));
    // A first start on an empty database makes the default workspace and prints
    // its token, as on SQLite.
    let token = crm.printed_token().expect("a first start prints a token");
    assert_eq!(
        postgres::query_i64(&url, "SELECT count(*) FROM workspaces", &[]),
        1
    );
    let t = tenant(db, "acme");
    for op in &OPERATIONS {
        let (status, answer) = create(&crm.url, op, &t.token, &t.fixtures, "pg", &[]).await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        let id = op.created_id(&answer).unwrap();
        let stored = (op.stored)("pg");
        let row = postgres::block_on(async {
            postgres::connect(&url)
                .await
                .query_one(
                    &format!(
                        "SELECT id, uuid, created_at, workspace_id FROM {} WHERE {} = $1",
                        stored.table, stored.column
                    ),
                    &[&stored.value],
                )
                .await
                .unwrap()
        });
        let (row_id, uuid, created_at, workspace): (i64, String, String, i64) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        assert!(row_id > 0);
        assert_eq!(uuid, id, "{}: the answer's id is the row's uuid", op.name());
        assert!(is_wire_timestamp(&created_at), "{created_at}");
        assert_eq!(workspace, t.fixtures.workspace_id);
    }
    // The default workspace's token works too.
    let default_ws = admin(db, &["token", "list", "--workspace", "1"]);
    assert_eq!(default_ws["tokens"][0]["label"], "default");
    let op = operation("maiascore_create_customer");
    let fx = crm_testkit::Fixtures {
        workspace_id: 1,
        contact_id: 0,
        organization_uuid: String::new(),
    };
    let (status, _) = create(&crm.url, op, &token, &fx, "default", &[]).await;
    assert_eq!(status, 200);

    // Every admin command, on the same database.
    let ws = t.fixtures.workspace_id.to_string();
    let field = admin(
        db,
        &[
            "field",
            "--workspace",
            &ws,
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
    let pipeline = admin(
        db,
        &[
            "pipeline",
            "--workspace",
            &ws,
            "--name",
            "영업",
            "--stage",
            "첫",
            "--stage",
            "둘",
        ],
    );
    assert_eq!(pipeline["pipeline"]["stages"][1]["position"], 1);
    let listed = admin(db, &["token", "list", "--workspace", &ws]);
    assert_eq!(listed["tokens"][0]["tokenId"], t.token_id);
    assert_eq!(listed["tokens"][0]["revokedAt"], Value::Null);

    let log = crm.stop();
    assert!(log.contains("crm is listening"), "{log}");
    assert!(
        !log.contains(&credentials),
        "the log shows the password: {log}"
    );
    assert!(log.contains("db=postgres://"), "{log}");
}

/// Which database errors are about the database's state (503, "retry later") and
/// which are this write's own failure (500) is decided by SQLSTATE: a trigger
/// raises one of each on a person's insert. Nothing of either is stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_database_error_is_a_503_only_when_it_is_about_the_database() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let db = Path::new(&url);
    let crm = Crm::start(db, &[], &[]).unwrap_or_else(|e| panic!("{e:?}"));
    let t = tenant(db, "acme");
    postgres::execute(
        &url,
        "CREATE FUNCTION refuse_person() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
           IF NEW.email_norm LIKE 'full@%' THEN
             RAISE EXCEPTION 'the disk is full, says the test' USING ERRCODE = '53100';
           END IF;
           IF NEW.email_norm LIKE 'broken@%' THEN
             RAISE EXCEPTION 'broken, says the test' USING ERRCODE = 'P0001';
           END IF;
           RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_person BEFORE INSERT ON people
         FOR EACH ROW EXECUTE FUNCTION refuse_person();",
    );
    let op = operation("introzy_create_person");
    for (email, expected) in [
        ("full@example.com", op.refusal(503, UNAVAILABLE_MESSAGE)),
        ("broken@example.com", op.refusal(500, INTERNAL_MESSAGE)),
    ] {
        let body = json!({"email": email, "firstName": "A", "lastName": "B"});
        let answer = post(&crm, op, &t.token, &t.fixtures, &body).await;
        assert_eq!(answer, expected, "{email}");
    }
    let body = json!({"email": "fine@example.com", "firstName": "A", "lastName": "B"});
    let (status, _) = post(&crm, op, &t.token, &t.fixtures, &body).await;
    assert_eq!(status, 201);
    let people = postgres::query_i64(&url, "SELECT count(*) FROM people", &[]);
    assert_eq!(people, 1, "only the fine one");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_enforces_duplicates_keys_and_tenancy() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    let db = Path::new(&url);
    let crm = Crm::start(db, &[], &[]).unwrap_or_else(|e| panic!("{e:?}"));
    let t = tenant(db, "acme");
    let other = tenant(db, "other");
    let fx = &t.fixtures;

    // The e-mail rule, by canonical key, across families.
    let op = operation("salesmap_create_people");
    let body = json!({"name": "홍길동", "fieldList": [{"name": "이메일", "stringValue": "Gil@Example.com"}]});
    let (status, first) = post(&crm, op, &t.token, fx, &body).await;
    assert_eq!(status, 201, "{first}");
    let id = first["data"]["people"]["id"].as_str().unwrap().to_owned();
    let again = json!({"name": "홍길순", "fieldList": [{"name": "이메일", "stringValue": " gil@EXAMPLE.com "}]});
    let (status, refused) = post(&crm, op, &t.token, fx, &again).await;
    assert_eq!(
        (status, refused),
        (
            400,
            json!({"success": false, "message": "Bad Request",
                   "reason": "동일한 이메일을 가진 고객이 존재합니다.",
                   "data": {"id": id, "name": "홍길순"}})
        )
    );
    let introzy = operation("introzy_create_person");
    let body = json!({"email": "gil@example.com", "firstName": "Gil", "lastName": "Dong"});
    let (status, refused) = post(&crm, introzy, &t.token, fx, &body).await;
    assert_eq!(
        (status, refused),
        (
            409,
            json!({"success": false, "message": format!("Person already exists. Existing ID: {id}"),
                   "existingId": id})
        )
    );
    // Another workspace has its own people: the same e-mail is new there.
    let (status, _) = post(&crm, introzy, &other.token, &other.fixtures, &body).await;
    assert_eq!(status, 201);
    let people = |email: &str| {
        postgres::query_i64(
            &url,
            "SELECT count(*) FROM people WHERE email_norm = $1",
            &[&email],
        )
    };
    assert_eq!(people("gil@example.com"), 2, "one per workspace");

    // The company rule: another spelling links the same organization.
    let mut org_ids = Vec::new();
    for (i, name) in ["Org\u{200b}A", " orga ", "ORGA"].iter().enumerate() {
        let body = json!({"email": format!("org{i}@example.com"), "firstName": "O", "lastName": "A",
                          "companyName": name});
        let (status, answer) = post(&crm, introzy, &t.token, fx, &body).await;
        assert_eq!(status, 201, "{answer}");
        org_ids.push(answer["data"]["company"]["id"].clone());
    }
    assert_eq!(org_ids[0], org_ids[1]);
    assert_eq!(org_ids[1], org_ids[2]);
    let out = Command::new(crm_process::CRM)
        .args(["admin", "--db", &url, "organization", "--workspace"])
        .arg(fx.workspace_id.to_string())
        .args(["--name", "OrgA"])
        .env_remove("CRM_DB")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim(),
        "error: an organization named \"OrgA\" already exists in this workspace"
    );

    // Idempotency keys: a retry replays, another request with the key is refused.
    let key = [("Idempotency-Key", "pg-key-1")];
    let (status, created) = create(&crm.url, op, &t.token, fx, "keyed", &key).await;
    assert_eq!(status, 201);
    for _ in 0..2 {
        assert_eq!(
            create(&crm.url, op, &t.token, fx, "keyed", &key).await,
            (201, created.clone())
        );
    }
    assert_eq!(
        create(&crm.url, op, &t.token, fx, "other", &key).await,
        (
            400,
            json!({"success": false, "message": "Idempotency-Key: already used with a different request"})
        )
    );
    assert_eq!(people("salesmap-keyed@example.test"), 1);
    assert_eq!(people("salesmap-other@example.test"), 0);
    // Keys are per workspace.
    let (status, theirs) = create(&crm.url, op, &other.token, &other.fixtures, "keyed", &key).await;
    assert_eq!(status, 201);
    assert_ne!(theirs, created);

    // Another workspace's organization is answered like a missing one.
    let missing = "01900000-0000-7000-8000-000000000000";
    for org in [other.fixtures.organization_uuid.as_str(), missing] {
        let body = json!({"name": "홍길동", "organizationId": org});
        let (status, answer) = post(&crm, op, &t.token, fx, &body).await;
        let message = format!("organizationId: no organization with id '{org}' in this workspace");
        assert_eq!(
            (status, answer),
            (404, json!({"success": false, "message": message}))
        );
    }
    crm.stop();
}

#[test]
fn a_newer_schema_is_refused_and_crm_db_selects_postgres() {
    let Some(url) = postgres::database_url() else {
        return;
    };
    // CRM_DB selects the store when --db is not given.
    let out = Command::new(crm_process::CRM)
        .args(["admin", "workspace", "--name", "env"])
        .env("CRM_DB", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        postgres::query_i64(&url, "SELECT count(*) FROM workspaces", &[]),
        1
    );
    assert_eq!(
        postgres::query_i64(&url, "SELECT version FROM crm_schema", &[]),
        1
    );

    postgres::execute(&url, "UPDATE crm_schema SET version = 9");
    let exited = Crm::start(Path::new(&url), &[], &[])
        .err()
        .expect("refused");
    assert_eq!(exited.status.code(), Some(1));
    let message = "the database is at schema version 9, newer than this binary knows (1)";
    assert!(exited.stderr.contains(message), "{}", exited.stderr);
    assert!(
        exited
            .stderr
            .contains("error: migrating the database postgres://"),
        "{}",
        exited.stderr
    );
    // Nothing written.
    assert_eq!(
        postgres::query_i64(&url, "SELECT version FROM crm_schema", &[]),
        9
    );
    assert_eq!(
        postgres::query_i64(&url, "SELECT count(*) FROM workspaces", &[]),
        1
    );
}

#[test]
fn sqlite_urls_and_paths_still_select_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("by-url.db");
    let url = format!("sqlite://{}", file.display());
    let out = admin(Path::new(&url), &["workspace", "--name", "one"]);
    assert_eq!(out["workspace"]["id"], 1);
    assert!(file.exists(), "sqlite://PATH names the file PATH");
    let out = admin(&file, &["workspace", "--name", "two"]);
    assert_eq!(out["workspace"]["id"], 2, "the same file by its path");
    // No --db: crm.db in the working directory, as always.
    let out = Command::new(crm_process::CRM)
        .args(["admin", "workspace", "--name", "default"])
        .current_dir(dir.path())
        .env_remove("CRM_DB")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("crm.db").exists());
}

#[test]
fn an_unreachable_database_is_refused_at_start_naming_it() {
    // A port nothing listens on: connection refused at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("postgres://crm:secret-pw@127.0.0.1:{port}/crm");
    let exited = Crm::start(Path::new(&url), &[], &[])
        .err()
        .expect("refused");
    assert_eq!(exited.status.code(), Some(1));
    assert!(
        exited.stderr.contains(&format!(
            "error: connecting to the database postgres://crm@127.0.0.1:{port}/crm: "
        )),
        "{}",
        exited.stderr
    );
    assert!(!exited.stderr.contains("secret-pw"), "{}", exited.stderr);
}

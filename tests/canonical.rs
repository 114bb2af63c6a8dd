// E-mails and company names are compared by one canonical form
// (`server/src/canonical.rs`): trimmed, NFC, lower-cased, an e-mail's domain in
// IDNA ASCII. Through a real server, for every operation that takes an e-mail
// (SalesMap's 이메일 data field, Introzy's and BigChange's `email`): spellings of
// one address are each family's duplicate, invisible characters and display names
// are refused naming the field, and the stored e-mail is the one given, trimmed.
// Company names (Introzy's `companyName`, `crm admin organization`) follow the same
// rule; an old database's keys are recomputed at start (migration 0005).

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_testkit::{Family, Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// `op`'s valid body with `email` as its e-mail, for the operations that take one.
fn with_email(op: &Operation, suffix: &str, fx: &Fixtures, email: &str) -> Option<Value> {
    let mut body = (op.body)(suffix, fx);
    match op.operation_id {
        "salesmap_create_people" => {
            body["fieldList"] = json!([{"name": "이메일", "stringValue": email}]);
        }
        "introzy_create_person" | "bigchange_create_person" => body["email"] = json!(email),
        _ => return None,
    }
    Some(body)
}

/// Every operation that takes an e-mail, with the tenant's fixtures.
fn email_operations() -> Vec<&'static Operation> {
    let ops: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| {
            let fx = Fixtures {
                workspace_id: 0,
                contact_id: 0,
                organization_uuid: String::new(),
            };
            with_email(op, "", &fx, "a@b.co").is_some()
        })
        .collect();
    let ids: Vec<&str> = ops.iter().map(|op| op.operation_id).collect();
    assert_eq!(
        ids,
        [
            "salesmap_create_people",
            "introzy_create_person",
            "bigchange_create_person"
        ],
        "the operations that take an e-mail"
    );
    ops
}

/// Where the e-mail is in `op`'s request, as its errors name it.
fn email_field(op: &Operation) -> &'static str {
    match op.family {
        Family::SalesMap => "fieldList[0] (이메일)",
        _ => "email",
    }
}

/// `op`'s answer to a request refused for its e-mail with `message`.
fn refused(op: &Operation, message: &str) -> (u16, Value) {
    let field = email_field(op);
    match op.family {
        Family::BigChange => (
            422,
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                "title": "One or more validation errors occurred.",
                "status": 422,
                "detail": format!("{field}: {message}"),
                "instance": op.path,
                "errors": {field: [message]}
            }),
        ),
        _ => (
            400,
            json!({"success": false, "message": format!("{field}: {message}")}),
        ),
    }
}

/// `op`'s duplicate-e-mail answer to `body`, naming the existing person.
fn duplicate(op: &Operation, body: &Value, existing: &str) -> (u16, Value) {
    match op.family {
        Family::SalesMap => (
            400,
            json!({
                "success": false,
                "message": "Bad Request",
                "reason": "동일한 이메일을 가진 고객이 존재합니다.",
                "data": {"id": existing, "name": body["name"]}
            }),
        ),
        Family::Introzy => (
            409,
            json!({
                "success": false,
                "message": format!("Person already exists. Existing ID: {existing}"),
                "existingId": existing
            }),
        ),
        Family::BigChange => {
            let message = format!("a person with this e-mail already exists ({existing})");
            (
                422,
                json!({
                    "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                    "title": "One or more validation errors occurred.",
                    "status": 422,
                    "detail": format!("email: {message}"),
                    "instance": op.path,
                    "errors": {"email": [message]}
                }),
            )
        }
        Family::MaiaScore => unreachable!("MaiaScore takes no e-mail"),
    }
}

async fn create(
    server: &TestServer,
    op: &Operation,
    t: &Tenant,
    fx: &Fixtures,
    body: &Value,
) -> (u16, Value) {
    server
        .create(
            op,
            Some(&t.token),
            fx,
            &[],
            "application/json",
            body.to_string(),
        )
        .await
}

/// (stored first, then sent again): one address each.
const SPELLINGS: [(&str, &str); 5] = [
    ("café@example.com", "cafe\u{301}@example.com"),
    ("cafe\u{301}@example.org", "CAFÉ@example.org"),
    ("norm@bücher.de", "norm@xn--bcher-kva.de"),
    ("norm@xn--bcher-kva.net", " NORM@BÜCHER.net "),
    ("norm@example.com", "\tNorm@Example.COM "),
];

async fn spellings_of_one_address_are_each_familys_duplicate(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let ops = email_operations();
    for (i, (first, again)) in SPELLINGS.iter().enumerate() {
        // Made through one family, refused by every family (the rule holds across
        // them).
        let maker = ops[i % ops.len()];
        let body = with_email(maker, &format!("first{i}"), &fx, first).unwrap();
        let (status, answer) = create(&server, maker, &t, &fx, &body).await;
        assert_eq!(status, maker.success, "{first:?}: {answer}");
        let existing = maker.created_id(&answer).unwrap().to_owned();
        let people = server.count("people");
        for op in &ops {
            let body = with_email(op, &format!("again{i}"), &fx, again).unwrap();
            let got = create(&server, op, &t, &fx, &body).await;
            assert_eq!(
                got,
                duplicate(op, &body, &existing),
                "{}: {again:?} after {first:?}",
                op.name()
            );
        }
        assert_eq!(server.count("people"), people, "a duplicate stores nothing");
    }
    assert_eq!(server.count("people"), SPELLINGS.len() as i64);
    server.stop().await;
}
each_backend!(spellings_of_one_address_are_each_familys_duplicate);

async fn invisible_characters_and_display_names_are_refused_naming_the_field(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let ops = email_operations();
    // The address the spoofs below imitate is already there.
    let salesmap = ops[0];
    let body = with_email(salesmap, "norm", &fx, "norm@example.com").unwrap();
    assert_eq!(create(&server, salesmap, &t, &fx, &body).await.0, 201);
    let cases: Vec<(&str, String)> = vec![
        ("\u{200b}norm@example.com", "must not contain U+200B, a zero-width character".into()),
        ("norm@example.com\u{202e}", "must not contain U+202E, a bidirectional-control character".into()),
        ("no\u{200c}rm@example.com", "must not contain U+200C, a zero-width character".into()),
        ("no\u{200d}rm@example.com", "must not contain U+200D, a zero-width character".into()),
        ("norm@exam\u{2060}ple.com", "must not contain U+2060, a zero-width character".into()),
        ("\u{feff}norm@example.com", "must not contain U+FEFF, a zero-width character".into()),
        ("norm\u{200e}@example.com", "must not contain U+200E, a bidirectional-control character".into()),
        ("norm\u{200f}@example.com", "must not contain U+200F, a bidirectional-control character".into()),
        ("\u{202a}norm@example.com", "must not contain U+202A, a bidirectional-control character".into()),
        ("norm@example.com\u{2066}", "must not contain U+2066, a bidirectional-control character".into()),
        ("norm@example.com\u{2069}", "must not contain U+2069, a bidirectional-control character".into()),
        ("a@b.co\nBcc: x@y.com", "must not contain U+000A, a line break".into()),
        ("norm@example.com\r\n", "must not contain U+000D, a line break".into()),
        ("<norm@example.com>", "'<norm@example.com>' is not a valid e-mail address: give the address alone, without a display name or angle brackets".into()),
        ("Norm <norm@example.com>", "'Norm <norm@example.com>' is not a valid e-mail address: give the address alone, without a display name or angle brackets".into()),
        ("not an email at all", "'not an email at all' is not a valid e-mail address".into()),
        ("norm@exa_mple.com", "'norm@exa_mple.com' is not a valid e-mail address".into()),
    ];
    for op in &ops {
        for (i, (email, message)) in cases.iter().enumerate() {
            let body = with_email(op, &format!("bad{i}"), &fx, email).unwrap();
            let got = create(&server, op, &t, &fx, &body).await;
            assert_eq!(got, refused(op, message), "{}: {email:?}", op.name());
            op.error_message(got.0, &got.1).unwrap();
        }
    }
    assert_eq!(server.count("people"), 1, "a refused create stores nothing");
    server.stop().await;
}
each_backend!(invisible_characters_and_display_names_are_refused_naming_the_field);

async fn the_stored_email_is_the_one_given_trimmed(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    for (i, op) in email_operations().into_iter().enumerate() {
        let given = format!("Cafe\u{301}.{i}@Bücher.DE");
        let body = with_email(op, &format!("p{i}"), &fx, &format!("  {given}\t")).unwrap();
        let (status, answer) = create(&server, op, &t, &fx, &body).await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        let id = op.created_id(&answer).unwrap();
        let stored: (String, String) = server.db().query_row(
            "SELECT email, email_norm FROM people WHERE uuid = ?1",
            &[&id],
            |r| (r.get(0), r.get(1)),
        );
        assert_eq!(
            stored,
            (given.clone(), format!("café.{i}@xn--bcher-kva.de")),
            "{}",
            op.name()
        );
        if op.family == Family::Introzy {
            assert_eq!(answer["data"]["email"], json!(given), "echoed as stored");
        }
    }
    server.stop().await;
}
each_backend!(the_stored_email_is_the_one_given_trimmed);

async fn company_names_compare_by_the_canonical_form(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org_a = server.organization(&t, "OrgA").await;
    let intro = crm_testkit::operation("introzy_create_person");
    let fx = server.fixtures(&t, "Other").await;
    for (i, spelling) in [
        "OrgA\u{200b}",
        " orga ",
        "ORGA",
        "\u{200f}Org\u{200d}A\u{feff}",
    ]
    .iter()
    .enumerate()
    {
        let mut body = (intro.body)(&format!("org{i}"), &fx);
        body["companyName"] = json!(spelling);
        let (status, answer) = create(&server, intro, &t, &fx, &body).await;
        assert_eq!(status, 201, "{spelling:?}: {answer}");
        assert_eq!(answer["data"]["companyId"], json!(org_a), "{spelling:?}");
        assert_eq!(answer["data"]["company"]["name"], "OrgA");
    }
    // A company written decomposed links the composed one, and is stored as given.
    let mut body = (intro.body)("cafe1", &fx);
    body["companyName"] = json!("Cafe\u{301} Co");
    let (_, first) = create(&server, intro, &t, &fx, &body).await;
    body = (intro.body)("cafe2", &fx);
    body["companyName"] = json!("CAFÉ CO");
    let (_, second) = create(&server, intro, &t, &fx, &body).await;
    assert_eq!(first["data"]["companyId"], second["data"]["companyId"]);
    assert_eq!(second["data"]["company"]["name"], "Cafe\u{301} Co");
    assert_eq!(server.count("organizations"), 3, "OrgA, Other and Café Co");

    // `crm admin organization` refuses the same company twice.
    let err = crm::cli::admin(
        server.admin_store(),
        crm::cli::AdminCommand::Organization {
            workspace: t.workspace_id.to_string(),
            name: "orga\u{200b}".into(),
        },
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("an organization named \"orga\\u{200b}\" already exists"),
        "{err:#}"
    );
    assert_eq!(server.count("organizations"), 3);
    server.stop().await;
}
each_backend!(company_names_compare_by_the_canonical_form);

/// Log lines, as a test reads them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A row as the binary before migration 0005 wrote it: its key trimmed and
/// lower-cased. Returns (id, uuid).
fn old_row(conn: &rusqlite::Connection, table: &str, ws: i64, value: &str) -> (i64, String) {
    let uuid = uuid::Uuid::now_v7().to_string();
    let (column, key) = match table {
        "people" => ("email", "email_norm"),
        _ => ("name", "name_norm"),
    };
    let name = if table == "people" { "name, " } else { "" };
    let name_value = if table == "people" { "'Old', " } else { "" };
    conn.execute(
        &format!(
            "INSERT INTO {table} (uuid, workspace_id, {name}{column}, {key}, created_at, updated_at)
             VALUES (?1, ?2, {name_value}?3, ?4, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"
        ),
        rusqlite::params![uuid, ws, value, value.trim().to_lowercase()],
    )
    .unwrap();
    (conn.last_insert_rowid(), uuid)
}

#[tokio::test]
async fn an_old_database_gets_canonical_keys_and_keeps_rows_that_now_collide() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    // What the binary before this rule stored, side by side.
    let (a, b, c, d, e, f, org_a, org_b);
    {
        let conn = rusqlite::Connection::open(server.db_path()).unwrap();
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let ws = t.workspace_id;
        a = old_row(&conn, "people", ws, "norm@example.com");
        b = old_row(&conn, "people", ws, "\u{200b}norm@example.com");
        c = old_row(&conn, "people", ws, "Café@example.com");
        d = old_row(&conn, "people", ws, "cafe\u{301}@example.com");
        e = old_row(&conn, "people", ws, "x@bücher.de");
        f = old_row(&conn, "people", ws, "Not An Email At All");
        org_a = old_row(&conn, "organizations", ws, "OrgA");
        org_b = old_row(&conn, "organizations", ws, "OrgA\u{200b}");
        conn.pragma_update(None, "user_version", 4).unwrap();
    }
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let server = {
        let _guard = tracing::subscriber::set_default(subscriber);
        server.restart().await
    };
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();

    let version: i64 = server.db().value("PRAGMA user_version", &[]);
    // The newest version: 0005 ran, and whatever came after it (SQLite's
    // migrations are the .sql files; PostgreSQL's are in a directory beside them).
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/server/migrations"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count() as i64;
    assert_eq!(version, migrations);
    let key = |table: &str, id: i64| -> Option<String> {
        let column = if table == "people" {
            "email_norm"
        } else {
            "name_norm"
        };
        server.db().value(
            &format!("SELECT {column} FROM {table} WHERE id = ?1"),
            &[&id],
        )
    };
    // Every row kept; the older of two that now collide holds the key, the newer
    // is set aside (a key no request can produce).
    assert_eq!(
        (server.count("people"), server.count("organizations")),
        (6, 2)
    );
    assert_eq!(key("people", a.0).as_deref(), Some("norm@example.com"));
    assert_eq!(
        key("people", b.0),
        Some(format!("norm@example.com\u{200b}{}", b.0))
    );
    assert_eq!(key("people", c.0).as_deref(), Some("café@example.com"));
    assert_eq!(
        key("people", d.0),
        Some(format!("café@example.com\u{200b}{}", d.0))
    );
    assert_eq!(key("people", e.0).as_deref(), Some("x@xn--bcher-kva.de"));
    assert_eq!(key("people", f.0).as_deref(), Some("not an email at all"));
    assert_eq!(key("organizations", org_a.0).as_deref(), Some("orga"));
    assert_eq!(
        key("organizations", org_b.0),
        Some(format!("orga\u{200b}{}", org_b.0))
    );
    // The log names both rows of each collision.
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert_eq!(warnings.len(), 3, "{log}");
    for (kept, set_aside) in [(&a, &b), (&c, &d), (&org_a, &org_b)] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("kept_uuid={}", kept.1))
                    && w.contains(&format!("set_aside_uuid={}", set_aside.1))
                    && w.contains("both are kept")),
            "no warning names {} and {}: {log}",
            kept.1,
            set_aside.1
        );
    }

    // From now on the older row answers for its address and company.
    let fx = server.fixtures(&t, "C").await;
    let ops = email_operations();
    for (email, holder) in [
        ("NORM@example.com", &a),
        ("cafe\u{301}@EXAMPLE.com", &c),
        ("x@xn--bcher-kva.de", &e),
    ] {
        for op in &ops {
            let body = with_email(op, "new", &fx, email).unwrap();
            let got = create(&server, op, &t, &fx, &body).await;
            assert_eq!(
                got,
                duplicate(op, &body, &holder.1),
                "{}: {email}",
                op.name()
            );
        }
    }
    let intro = crm_testkit::operation("introzy_create_person");
    let mut body = (intro.body)("org", &fx);
    body["companyName"] = json!("orga");
    let (status, answer) = create(&server, intro, &t, &fx, &body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(answer["data"]["companyId"], json!(org_a.1));
    server.stop().await;
}

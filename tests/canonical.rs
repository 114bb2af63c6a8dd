// E-mails and company names are compared by one canonical form
// (`server/src/canonical.rs`): trimmed, NFC, lower-cased, an e-mail's domain in
// IDNA ASCII. Through a real server, for every operation that takes an e-mail
// (SalesMap's 이메일 data field, Introzy's and BigChange's `email`): spellings of
// one address are each family's duplicate, invisible characters and display names
// are refused naming the field, and the stored e-mail is the one given, trimmed.
// Company names (Introzy's `companyName`, `crm admin organization`) follow the same
// rule.

mod common;

use common::{Tenant, TestServer};
use crm_testkit::{Family, Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};

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

#[tokio::test]
async fn spellings_of_one_address_are_each_familys_duplicate() {
    let server = TestServer::start().await;
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

#[tokio::test]
async fn invisible_characters_and_display_names_are_refused_naming_the_field() {
    let server = TestServer::start().await;
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

#[tokio::test]
async fn the_stored_email_is_the_one_given_trimmed() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    for (i, op) in email_operations().into_iter().enumerate() {
        let given = format!("Cafe\u{301}.{i}@Bücher.DE");
        let body = with_email(op, &format!("p{i}"), &fx, &format!("  {given}\t")).unwrap();
        let (status, answer) = create(&server, op, &t, &fx, &body).await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        let id = op.created_id(&answer).unwrap();
        let stored: (String, String) = server
            .db()
            .query_row(
                "SELECT email, email_norm FROM people WHERE uuid = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
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

#[tokio::test]
async fn company_names_compare_by_the_canonical_form() {
    let server = TestServer::start().await;
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
        server.store.as_ref() as &dyn crm_server::store::AdminStore,
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

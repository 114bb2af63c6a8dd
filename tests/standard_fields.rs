//! SalesMap's standard people fields, through a real server. SalesMap documents
//! 이름 (name), 소속 기업 (organization), 전화, 이메일, 최근 연락일 and 포지션 as
//! data fields every workspace has (seeds/README.md), so `fieldList` may carry
//! 이름 and 소속 기업 like the others: 이름 must agree with `name`, 소속 기업 links
//! an organization by id or by name and must agree with `organizationId`. The
//! families that address custom fields by key or id (Introzy, BigChange) can never
//! set a standard field that way: Introzy's page keys `customFields` by custom
//! field key, and a standard value set there would be stored where its answer never
//! shows it. Workspaces made before 이름 and 소속 기업 were fields get them at start
//! (migration 0007).

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_client::salesmap::{types, Client};
use serde_json::{json, Value};

fn text_field(name: &str, value: &str) -> types::FieldValue {
    types::FieldValue::builder()
        .name(name)
        .string_value(Some(value.to_owned()))
        .try_into()
        .unwrap()
}

/// A stored person: (name, its organization's uuid).
fn person(server: &TestServer, uuid: &str) -> (String, Option<String>) {
    server.db().query_row(
        "SELECT p.name, o.uuid FROM people p LEFT JOIN organizations o ON o.id = p.organization_id
             WHERE p.uuid = ?1",
        &[&uuid],
        |r| (r.get(0), r.get(1)),
    )
}

/// The field values stored for anyone: 이름 and 소속 기업 live in the record.
fn field_values(server: &TestServer) -> i64 {
    server.count("field_values")
}

async fn post_people(server: &TestServer, t: &Tenant, body: Value) -> (u16, Value) {
    server.post_json("/v2/people", Some(&t.token), &body).await
}

fn salesmap_error(message: &str) -> Value {
    json!({"success": false, "message": message})
}

async fn name_and_organization_are_data_fields_of_salesmap_people(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org = server.organization(&t, "세일즈맵 주식회사").await;
    let client = Client::with_token(&server.url, &t.token).unwrap();

    // Through the generated client: 이름 as the name says it, 소속 기업 by name.
    let created = client
        .salesmap_create_people()
        .body(
            types::CreatePeopleRequest::builder()
                .name("홍길동")
                .field_list(Some(vec![
                    text_field("이름", "홍길동"),
                    text_field("소속 기업", "세일즈맵 주식회사"),
                    text_field("이메일", "gildong@example.com"),
                ])),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(created.success);
    assert_eq!(created.data.people.name, "홍길동");
    assert_eq!(
        person(&server, &created.data.people.id),
        ("홍길동".to_owned(), Some(org.clone()))
    );

    // 소속 기업 by id, and the same organization named twice (by organizationId and
    // by 소속 기업, spelled another way) is one organization.
    for (i, (organization_id, value)) in [
        (None, org.as_str()),
        (Some(org.as_str()), org.as_str()),
        (Some(org.as_str()), " 세일즈맵 주식회사 "),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = json!({"name": format!("고객 {i}"),
                              "fieldList": [{"name": "소속 기업", "stringValue": value}]});
        if let Some(id) = organization_id {
            body["organizationId"] = json!(id);
        }
        let (status, answer) = post_people(&server, &t, body.clone()).await;
        assert_eq!(status, 201, "{body}: {answer}");
        let id = answer["data"]["people"]["id"].as_str().unwrap();
        assert_eq!(
            person(&server, id),
            (format!("고객 {i}"), Some(org.clone())),
            "{body}"
        );
    }

    // A name no organization has makes one, as SalesMap's UI does for a typed
    // company name; sent again, it links the one made.
    let organizations = server.count("organizations");
    let body =
        json!({"name": "김철수", "fieldList": [{"name": "소속 기업", "stringValue": "새 회사"}]});
    let mut linked = Vec::new();
    for _ in 0..2 {
        let (status, answer) = post_people(&server, &t, body.clone()).await;
        assert_eq!(status, 201, "{answer}");
        let (name, organization) =
            person(&server, answer["data"]["people"]["id"].as_str().unwrap());
        assert_eq!(name, "김철수");
        linked.push(organization.unwrap());
    }
    assert_eq!(linked[0], linked[1]);
    assert_eq!(server.count("organizations"), organizations + 1);
    let made: String = server.db().value(
        "SELECT name FROM organizations WHERE uuid = ?1",
        &[&linked[0]],
    );
    assert_eq!(made, "새 회사");

    // An empty 소속 기업 names no organization; 이름 differing only in surrounding
    // spaces is the same name, and `name` is what is stored.
    let body = json!({"name": "이영희", "organizationId": org,
                      "fieldList": [{"name": "이름", "stringValue": " 이영희 "},
                                    {"name": "소속 기업", "stringValue": ""}]});
    let (status, answer) = post_people(&server, &t, body).await;
    assert_eq!(status, 201, "{answer}");
    let id = answer["data"]["people"]["id"].as_str().unwrap();
    assert_eq!(
        person(&server, id),
        ("이영희".to_owned(), Some(org.clone()))
    );
    assert_eq!(answer["data"]["people"]["name"], "이영희");

    assert_eq!(
        field_values(&server),
        0,
        "이름 and 소속 기업 live in the record"
    );
    server.stop().await;
}
each_backend!(name_and_organization_are_data_fields_of_salesmap_people);

async fn a_standard_field_that_disagrees_with_the_request_is_refused_naming_both(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org = server.organization(&t, "OrgA").await;
    let other = server.organization(&t, "OrgB").await;
    let elsewhere = server.tenant("elsewhere").await;
    let theirs = server.organization(&elsewhere, "Theirs").await;
    let missing = "0b6e8c9a-3c1e-4a55-9d1e-2f3f6c7a8b90";
    let cases: Vec<(Value, u16, String)> = vec![
        (
            json!({"name": "홍길동", "fieldList": [{"name": "이름", "stringValue": "김철수"}]}),
            400,
            "fieldList[0] (이름): '김철수' differs from name '홍길동'; give the name once, or the same in both".to_owned(),
        ),
        (
            json!({"name": "홍길동", "fieldList": [{"name": "이메일", "stringValue": "a@b.co"}, {"name": "이름", "stringValue": ""}]}),
            400,
            "fieldList[1] (이름): '' differs from name '홍길동'; give the name once, or the same in both".to_owned(),
        ),
        (
            json!({"name": "홍길동", "organizationId": org, "fieldList": [{"name": "소속 기업", "stringValue": other}]}),
            400,
            format!("fieldList[0] (소속 기업): '{other}' is not the organization organizationId names ('{org}'); give the organization once, or the same in both"),
        ),
        (
            json!({"name": "홍길동", "organizationId": org, "fieldList": [{"name": "소속 기업", "stringValue": "OrgB"}]}),
            400,
            format!("fieldList[0] (소속 기업): 'OrgB' is not the organization organizationId names ('{org}'); give the organization once, or the same in both"),
        ),
        (
            json!({"name": "홍길동", "organizationId": org, "fieldList": [{"name": "소속 기업", "stringValue": "새 회사"}]}),
            400,
            format!("fieldList[0] (소속 기업): '새 회사' is not the organization organizationId names ('{org}'); give the organization once, or the same in both"),
        ),
        (
            json!({"name": "홍길동", "fieldList": [{"name": "소속 기업", "stringValue": missing}]}),
            404,
            format!("fieldList[0] (소속 기업): no organization with id '{missing}' in this workspace"),
        ),
        (
            json!({"name": "홍길동", "fieldList": [{"name": "소속 기업", "stringValue": theirs}]}),
            404,
            format!("fieldList[0] (소속 기업): no organization with id '{theirs}' in this workspace"),
        ),
        (
            json!({"name": "홍길동", "fieldList": [{"name": "소속 기업", "numberValue": 1}]}),
            400,
            "fieldList[0] (소속 기업): field '소속 기업' is a text field, but a number value was given".to_owned(),
        ),
        (
            json!({"name": "홍길동", "fieldList": [{"name": "이름", "stringValue": "홍길동"}, {"name": "이름", "stringValue": "홍길동"}]}),
            400,
            "fieldList[1] (이름): field '이름' is given more than once".to_owned(),
        ),
    ];
    let before = (server.count("people"), server.count("organizations"));
    for (body, status, message) in cases {
        let got = post_people(&server, &t, body.clone()).await;
        assert_eq!(got, (status, salesmap_error(&message)), "{body}");
    }
    assert_eq!(
        (server.count("people"), server.count("organizations")),
        before,
        "a refused create stores nothing"
    );
    server.stop().await;
}
each_backend!(a_standard_field_that_disagrees_with_the_request_is_refused_naming_both);

async fn the_lead_page_names_no_standard_fields(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org = server.organization(&t, "OrgA").await;
    let body = json!({"name": "리드 명", "organizationId": org,
                      "fieldList": [{"name": "이름", "stringValue": "리드 명"}]});
    let got = server.post_json("/v2/lead", Some(&t.token), &body).await;
    assert_eq!(
        got,
        (
            400,
            salesmap_error("fieldList[0] (이름): unknown field '이름': no such data field is defined in this workspace")
        )
    );
    assert_eq!(server.count("leads"), 0);
    server.stop().await;
}
each_backend!(the_lead_page_names_no_standard_fields);

/// The definition id of a standard people field of the tenant's workspace.
fn standard_field_id(server: &TestServer, t: &Tenant, key: &str) -> i64 {
    server
        .db()
        .value("SELECT id FROM field_definitions WHERE workspace_id = ?1 AND entity = 'person' AND key = ?2", &[&t.workspace_id, &key])
}

async fn custom_fields_by_key_or_id_never_set_a_standard_field(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "Contact").await;
    // Introzy: `customFields` is keyed by custom field key (its page:
    // `cf_favorite_color`); `phone` is the standard field 전화, whose Introzy field
    // is `phoneNumber`.
    let standard = [
        ("phone", "전화", json!("+1 555-123-4567")),
        ("email", "이메일", json!("c2@x.com")),
        ("position", "포지션", json!("CTO")),
        ("name", "이름", json!("John")),
        ("organization", "소속 기업", json!("Acme Inc")),
    ];
    for (key, name, value) in &standard {
        let body = json!({"email": "john@acme.com", "firstName": "John",
                          "customFields": {*key: value}});
        let got = server.post_json("/api/people", Some(&t.token), &body).await;
        let message = format!(
            "customFields.{key}: '{key}' is the standard field '{name}', not a custom field; only custom fields are set here"
        );
        assert_eq!(
            got,
            (400, json!({"success": false, "message": message})),
            "{body}"
        );
    }
    // BigChange: `customFields` names custom field definitions by id.
    let ws = t.workspace_id.to_string();
    for (key, name, _) in &standard {
        let id = standard_field_id(&server, &t, key);
        let body = json!({"contactId": contact, "forename": "A", "surname": "B", "email": "a@b.co",
                          "customFields": [{"definitionId": id, "value": "x"}]});
        let resp = reqwest::Client::new()
            .post(format!("{}/v1/contacts/persons", server.url))
            .bearer_auth(&t.token)
            .header("Customer-Id", &ws)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 422);
        let got: Value = resp.json().await.unwrap();
        let message = format!(
            "definition {id} is the standard field '{name}', not a custom field; only custom fields are set here"
        );
        assert_eq!(
            got,
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                "title": "One or more validation errors occurred.",
                "status": 422,
                "detail": format!("customFields[0]: {message}"),
                "instance": "/v1/contacts/persons",
                "errors": {"customFields[0]": [message]}
            })
        );
    }
    assert_eq!(server.count("people"), 0, "a refused create stores nothing");
    assert_eq!(field_values(&server), 0);
    server.stop().await;
}
each_backend!(custom_fields_by_key_or_id_never_set_a_standard_field);

#[tokio::test]
async fn workspaces_made_before_get_the_standard_fields_at_start() {
    let server = TestServer::start().await;
    let old = server.tenant("old").await;
    let own = server.tenant("own").await;
    // As the binary before migration 0007 left them: no 이름 or 소속 기업 field, and
    // one workspace with a custom field of its own called 이름.
    {
        let conn = rusqlite::Connection::open(server.db_path()).unwrap();
        conn.execute_batch(
            "DELETE FROM field_definitions WHERE builtin IN ('name', 'organization');
             PRAGMA user_version = 6;",
        )
        .unwrap();
    }
    server
        .field(&own, "person", "이름", "cf_name", "text", &[])
        .await;
    let server = server.restart().await;

    let fields = |t: &Tenant| -> Vec<(String, String, Option<String>)> {
        server.db().query(
            "SELECT name, key, builtin FROM field_definitions
                 WHERE workspace_id = ?1 AND entity = 'person' ORDER BY id",
            &[&t.workspace_id],
            |r| (r.get(0), r.get(1), r.get(2)),
        )
    };
    let field = |name: &str, key: &str, builtin: Option<&str>| {
        (name.to_owned(), key.to_owned(), builtin.map(str::to_owned))
    };
    let standard = [
        field("이메일", "email", Some("email")),
        field("전화", "phone", Some("phone")),
        field("포지션", "position", Some("position")),
        field("최근 연락일", "last_contacted_at", None),
    ];
    let mut expected = standard.to_vec();
    expected.extend([
        field("이름", "name", Some("name")),
        field("소속 기업", "organization", Some("organization")),
    ]);
    assert_eq!(fields(&old), expected);
    // The workspace's own 이름 stays its own, and keeps meaning what it meant.
    let mut expected = standard.to_vec();
    expected.extend([
        field("이름", "cf_name", None),
        field("소속 기업", "organization", Some("organization")),
    ]);
    assert_eq!(fields(&own), expected);
    let body = json!({"name": "홍길동", "fieldList": [{"name": "이름", "stringValue": "별명"}]});
    let (status, answer) = post_people(&server, &own, body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(field_values(&server), 1);

    let body = json!({"name": "홍길동", "fieldList": [{"name": "이름", "stringValue": "홍길동"}]});
    let (status, answer) = post_people(&server, &old, body).await;
    assert_eq!(status, 201, "{answer}");
    server.stop().await;
}

/// A lead's field definition can never be a standard person field; were the store
/// to say otherwise (a corrupt or hand-edited row), the lead create fails whole
/// rather than drop the value or store it as a person's: whichever standard field
/// the row claims to be.
async fn a_lead_field_the_store_marks_standard_fails_the_create_and_stores_nothing(
    backend: Backend,
) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org = server.organization(&t, "OrgA").await;
    let kinds = [
        ("email", "lead@example.com"),
        ("phone", "010-1234-5678"),
        ("position", "CEO"),
        ("name", "리드 명"),
        ("organization", "OrgA"),
    ];
    for (kind, _) in kinds {
        let id = server
            .field(
                &t,
                "lead",
                &format!("corrupt {kind}"),
                &format!("cf_corrupt_{kind}"),
                "text",
                &[],
            )
            .await;
        let changed = server.db().execute(
            "UPDATE field_definitions SET builtin = ?1 WHERE id = ?2",
            &[&kind, &id],
        );
        assert_eq!(changed, 1);
    }
    for (kind, value) in kinds {
        let body = json!({"name": "리드 명", "organizationId": org,
                          "fieldList": [{"name": format!("corrupt {kind}"), "stringValue": value}]});
        let got = server.post_json("/v2/lead", Some(&t.token), &body).await;
        assert_eq!(
            got,
            (500, salesmap_error("internal server error")),
            "{kind}"
        );
    }
    assert_eq!((server.count("leads"), field_values(&server)), (0, 0));
    server.stop().await;
}
each_backend!(a_lead_field_the_store_marks_standard_fails_the_create_and_stores_nothing);

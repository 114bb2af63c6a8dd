//! Introzy `POST /api/people` against a real server: the generated client where it
//! can express the call, raw HTTP for the rest. Every test checks the body and the
//! stored rows.

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_client::introzy::{types, Client};
use progenitor_client::Error as ClientError;
use serde_json::{json, Value};

fn client(server: &TestServer, t: &Tenant) -> Client {
    Client::with_token(&server.url, &t.token).unwrap()
}

async fn with_custom_fields(server: &TestServer, t: &Tenant) {
    server
        .field(t, "person", "좋아하는 색", "cf_favorite_color", "text", &[])
        .await;
    server
        .field(t, "person", "예산", "cf_budget", "number", &[])
        .await;
}

async fn the_vendor_example_creates_a_person_and_its_company(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    with_custom_fields(&server, &t).await;
    // Introzy's own curl example, verbatim (with `"companyId": ""`).
    let example = json!({
        "email": "john@acme.com",
        "firstName": "John",
        "lastName": "Doe",
        "phoneNumber": "+1 555-123-4567",
        "address": "123 Main St, San Francisco, CA 94102",
        "companyId": "",
        "companyName": "Acme Inc",
        "customFields": {"cf_favorite_color": "blue", "cf_budget": 50000}
    });
    let (status, body) = server
        .post_json("/api/people", Some(&t.token), &example)
        .await;
    assert_eq!(status, 201, "{body}");
    let data = &body["data"];
    let person_id = data["id"].as_str().unwrap();
    let company_id = data["companyId"].as_str().unwrap();
    let created_at = data["createdAt"].as_str().unwrap();
    assert_eq!(
        body,
        json!({
            "success": true,
            "data": {
                "id": person_id,
                "email": "john@acme.com",
                "firstName": "John",
                "lastName": "Doe",
                "phoneNumber": "+1 555-123-4567",
                "address": "123 Main St, San Francisco, CA 94102",
                "latitude": null,
                "longitude": null,
                "companyId": company_id,
                "isConnector": false,
                "isSolutionProvider": false,
                "isFullUser": false,
                "customFields": {"cf_favorite_color": "blue", "cf_budget": 50000},
                "company": {
                    "id": company_id,
                    "name": "Acme Inc",
                    "industry": null,
                    "website": null,
                    "customFields": {}
                },
                "createdAt": created_at,
                "updatedAt": created_at
            },
            "message": "Person created successfully"
        })
    );
    uuid::Uuid::parse_str(person_id).unwrap();
    assert!(
        created_at.ends_with('Z') && created_at.len() == 24,
        "{created_at}"
    );

    let row: (String, String, String, String, String, String, String, i64) = server
        .db()
        .query_row("SELECT p.name, p.first_name, p.last_name, p.email, p.phone, p.address, o.name, p.workspace_id
             FROM people p JOIN organizations o ON o.id = p.organization_id
             WHERE p.uuid = ?1 AND o.uuid = ?2", &[&person_id, &company_id], |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5), r.get(6), r.get(7)));
    assert_eq!(
        row,
        (
            "John Doe".into(),
            "John".into(),
            "Doe".into(),
            "john@acme.com".into(),
            "+1 555-123-4567".into(),
            "123 Main St, San Francisco, CA 94102".into(),
            "Acme Inc".into(),
            t.workspace_id
        )
    );
    let values: Vec<(String, String)> = server
        .db()
        .query("SELECT d.key, v.value FROM field_values v JOIN field_definitions d ON d.id = v.definition_id
             JOIN people p ON p.id = v.record_id WHERE p.uuid = ?1 ORDER BY d.key", &[&person_id], |r| (r.get(0), r.get(1)));
    assert_eq!(
        values,
        [
            ("cf_budget".to_owned(), "50000".to_owned()),
            ("cf_favorite_color".to_owned(), "\"blue\"".to_owned())
        ]
    );
    server.stop().await;
}
each_backend!(the_vendor_example_creates_a_person_and_its_company);

async fn company_name_links_case_insensitively_and_company_id_wins(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let existing = server.organization(&t, "Acme Inc").await;
    let other = server.organization(&t, "Globex").await;
    let c = client(&server, &t);

    let linked = c
        .introzy_create_person()
        .body(
            types::CreatePersonRequest::builder()
                .email("jane@acme.com")
                .first_name("Jane")
                .company_name(Some("  ACME inc ".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        linked.data.company_id.map(|u| u.to_string()),
        Some(existing.clone())
    );
    assert_eq!(linked.data.company.as_ref().unwrap().name, "Acme Inc");
    assert_eq!(linked.data.last_name, None);

    let by_id = c
        .introzy_create_person()
        .body(
            types::CreatePersonRequest::builder()
                .email("bob@globex.com")
                .first_name("Bob")
                .company_id(Some(other.parse().unwrap()))
                .company_name(Some("Brand New Co".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        by_id.data.company_id.map(|u| u.to_string()),
        Some(other.clone())
    );
    assert_eq!(
        server.count("organizations"),
        2,
        "companyName is ignored with companyId"
    );

    let none = c
        .introzy_create_person()
        .body(
            types::CreatePersonRequest::builder()
                .email("solo@x.io")
                .first_name("Solo"),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(none.data.company_id.is_none() && none.data.company.is_none());
    let stored: Vec<Option<String>> = server
        .db()
        .query("SELECT o.uuid FROM people p LEFT JOIN organizations o ON o.id = p.organization_id ORDER BY p.id", &[], |r| r.get(0));
    assert_eq!(stored, [Some(existing), Some(other), None]);
    server.stop().await;
}
each_backend!(company_name_links_case_insensitively_and_company_id_wins);

async fn invalid_input_is_refused_naming_the_field_and_nothing_is_stored(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    with_custom_fields(&server, &t).await;
    let foreign_company = server.organization(&other, "Theirs").await;
    let missing_company = "01900000-0000-7000-8000-000000000000";
    let base = json!({"email": "ok@acme.com", "firstName": "Ok"});
    let with = |patch: Value| common::patched(&base, patch);
    let cases = [
        (json!({"firstName": "x"}), 400, "unable to parse JSON body: missing field `email` at line 1 column 17".to_owned()),
        (with(json!({"email": "not-an-email"})), 400, "email: 'not-an-email' is not a valid e-mail address".to_owned()),
        (with(json!({"firstName": ""})), 400, "firstName: must be at least 1 character long (got 0)".to_owned()),
        (with(json!({"firstName": "   "})), 400, "firstName: must not be empty".to_owned()),
        (with(json!({"firstName": "가".repeat(101)})), 400, "firstName: must be at most 100 characters long (got 101)".to_owned()),
        (with(json!({"lastName": "x".repeat(101)})), 400, "lastName: must be at most 100 characters long (got 101)".to_owned()),
        (with(json!({"phoneNumber": "1".repeat(51)})), 400, "phoneNumber: must be at most 50 characters long (got 51)".to_owned()),
        (with(json!({"address": "a".repeat(501)})), 400, "address: must be at most 500 characters long (got 501)".to_owned()),
        (with(json!({"companyName": "c".repeat(201)})), 400, "companyName: must be at most 200 characters long (got 201)".to_owned()),
        (with(json!({"companyId": "acme"})), 400, "companyId: 'acme' is not a valid uuid".to_owned()),
        (with(json!({"companyId": foreign_company})), 404, format!("companyId: no company with id '{foreign_company}' in this workspace")),
        (with(json!({"companyId": missing_company})), 404, format!("companyId: no company with id '{missing_company}' in this workspace")),
        (with(json!({"customFields": {"cf_nope": "x"}})), 400, "customFields.cf_nope: unknown field 'cf_nope': no such data field is defined in this workspace".to_owned()),
        (with(json!({"customFields": {"cf_budget": "lots"}})), 400, "customFields.cf_budget: field '예산' is a number field, but a string value was given".to_owned()),
        (with(json!({"customFields": {"cf_favorite_color": ["blue"]}})), 400, "customFields.cf_favorite_color: must be a string, number, boolean or null".to_owned()),
        (with(json!({"customFields": "x"})), 400, "unable to parse JSON body: customFields: invalid type: string \"x\", expected a map at line 1 column 19".to_owned()),
    ];
    for (body, status, message) in cases {
        let (got_status, got) = server.post_json("/api/people", Some(&t.token), &body).await;
        assert_eq!(
            (got_status, got),
            (status, json!({"success": false, "message": message})),
            "for {body}"
        );
    }
    let (status, got) = server.post_json("/api/people", None, &base).await;
    assert_eq!(
        (status, got),
        (
            401,
            json!({"success": false, "message": "Authorization: a bearer token is required"})
        )
    );
    assert_eq!(server.count("people"), 0);
    assert_eq!(
        server.count("organizations"),
        1,
        "no company was created by a refused request"
    );
    server.stop().await;
}
each_backend!(invalid_input_is_refused_naming_the_field_and_nothing_is_stored);

async fn a_duplicate_email_is_a_409_with_the_existing_id_across_families(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let c = client(&server, &t);
    // The person came in through SalesMap, its e-mail as the 이메일 data field.
    let (_, salesmap) = server
        .post_json(
            "/v2/people",
            Some(&t.token),
            &json!({"name": "John", "fieldList": [{"name": "이메일", "stringValue": "John@Acme.com"}]}),
        )
        .await;
    let existing = salesmap["data"]["people"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let err = c
        .introzy_create_person()
        .body(
            types::CreatePersonRequest::builder()
                .email(" john@ACME.com ")
                .first_name("Johnny")
                .company_name(Some("New Co".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap_err();
    let ClientError::ErrorResponse(resp) = err else {
        panic!("expected a 409, got {err:?}")
    };
    assert_eq!(resp.status().as_u16(), 409);
    let body = resp.into_inner();
    assert!(!body.success);
    assert_eq!(
        body.message,
        format!("Person already exists. Existing ID: {existing}")
    );
    assert_eq!(body.existing_id.map(|u| u.to_string()), Some(existing));
    assert_eq!(server.count("people"), 1);
    assert_eq!(
        server.count("organizations"),
        0,
        "the company of a refused person is rolled back"
    );
    server.stop().await;
}
each_backend!(a_duplicate_email_is_a_409_with_the_existing_id_across_families);

/// Each request on its own task, released together (`common::race`), on four
/// worker threads: they truly run at once.
async fn concurrent_creates_naming_one_new_company_make_one_company(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let c = client(&server, &t);
    let results = common::race(100, |i| {
        let c = c.clone();
        async move {
            let name = if i % 2 == 0 { "Initech" } else { "INITECH " };
            c.introzy_create_person()
                .body(
                    types::CreatePersonRequest::builder()
                        .email(format!("worker{i}@initech.com"))
                        .first_name(format!("Worker {i}").as_str())
                        .company_name(Some(name.try_into().unwrap())),
                )
                .send()
                .await
                .map(|r| r.into_inner().data.company_id)
        }
    })
    .await;
    assert_eq!(results.len(), 100);
    let ids: std::collections::BTreeSet<_> =
        results.into_iter().map(|r| r.unwrap().unwrap()).collect();
    assert_eq!(ids.len(), 1, "every person links the same company");
    assert_eq!(server.count("organizations"), 1);
    assert_eq!(server.count("people"), 100);
    let linked: i64 = server
        .db()
        .value("SELECT count(*) FROM people p JOIN organizations o ON o.id = p.organization_id WHERE o.uuid = ?1", &[&ids.first().unwrap().to_string()]);
    assert_eq!(linked, 100);
    server.stop().await;
}
each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_creates_naming_one_new_company_make_one_company
);

/// The 99 losers each get exactly Introzy's duplicate answer, naming the winner.
async fn concurrent_creates_with_one_email_make_one_person(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let c = client(&server, &t);
    let results = common::race(100, |i| {
        let c = c.clone();
        async move {
            c.introzy_create_person()
                .body(
                    types::CreatePersonRequest::builder()
                        .email(if i % 2 == 0 { "same@x.io" } else { "SAME@x.io" })
                        .first_name(format!("P{i}").as_str()),
                )
                .send()
                .await
        }
    })
    .await;
    let mut created = Vec::new();
    let mut refused = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(ok) => created.push(ok.into_inner().data.id),
            Err(ClientError::ErrorResponse(e)) => refused.push((
                i,
                e.status().as_u16(),
                serde_json::to_value(e.into_inner()).unwrap(),
            )),
            Err(e) => panic!("request {i}: {e:?}"),
        }
    }
    let [existing] = &created[..] else {
        panic!("exactly one create succeeds: {created:?}, refused {refused:?}")
    };
    assert_eq!(refused.len(), 99);
    for (i, status, body) in refused {
        assert_eq!(
            (status, body),
            (
                409,
                json!({
                    "success": false,
                    "message": format!("Person already exists. Existing ID: {existing}"),
                    "existingId": existing
                })
            ),
            "request {i}"
        );
    }
    assert_eq!(server.count("people"), 1);
    server.stop().await;
}
each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_creates_with_one_email_make_one_person
);

//! Introzy's page (seeds/002), element by element, against a real server: the
//! vendor's example sent twice, the e-mail stored and echoed without surrounding
//! whitespace (by every operation that takes an e-mail), the answer typed as the
//! page types it (what the generated, strictly typed client reads), and numbers
//! in `customFields` echoed as given. Custom fields that are not custom fields
//! (`customFields: {"phone": …}`) are in `tests/standard_fields.rs`.

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_client::introzy::{types, Client};
use crm_testkit::{Family, Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};

async fn with_custom_fields(server: &TestServer, t: &Tenant) {
    server
        .field(t, "person", "좋아하는 색", "cf_favorite_color", "text", &[])
        .await;
    server
        .field(t, "person", "예산", "cf_budget", "number", &[])
        .await;
}

/// Introzy's own curl example, verbatim.
fn vendor_example() -> Value {
    json!({
        "email": "john@acme.com",
        "firstName": "John",
        "lastName": "Doe",
        "phoneNumber": "+1 555-123-4567",
        "address": "123 Main St, San Francisco, CA 94102",
        "companyId": "",
        "companyName": "Acme Inc",
        "customFields": {
            "cf_favorite_color": "blue",
            "cf_budget": 50000
        }
    })
}

async fn the_vendor_example_sent_twice_creates_one_person(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    with_custom_fields(&server, &t).await;
    let (status, first) = server
        .post_json("/api/people", Some(&t.token), &vendor_example())
        .await;
    assert_eq!(status, 201, "{first}");
    // Echoed as the page shows it: 50000, not 50000.0.
    assert_eq!(
        first["data"]["customFields"].to_string(),
        r#"{"cf_budget":50000,"cf_favorite_color":"blue"}"#
    );
    let id = first["data"]["id"].as_str().unwrap();
    let again = server
        .post_json("/api/people", Some(&t.token), &vendor_example())
        .await;
    assert_eq!(
        again,
        (
            409,
            json!({"success": false,
                   "message": format!("Person already exists. Existing ID: {id}"),
                   "existingId": id})
        )
    );
    assert_eq!(
        (
            server.count("people"),
            server.count("organizations"),
            server.count("field_values")
        ),
        (1, 1, 2)
    );
    server.stop().await;
}
each_backend!(the_vendor_example_sent_twice_creates_one_person);

/// Where `op`'s valid body for `suffix` keeps its e-mail, if it has one: the
/// stored value is the e-mail, so the body that contains it carries one.
fn email_in_body(op: &Operation, suffix: &str, fx: &Fixtures) -> Option<String> {
    let stored = (op.stored)(suffix);
    let body = (op.body)(suffix, fx).to_string();
    (stored.column == "email_norm" && body.contains(&format!("\"{}\"", stored.value)))
        .then_some(stored.value)
}

async fn every_operation_stores_and_echoes_an_email_without_surrounding_whitespace(
    backend: Backend,
) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "Contact").await;
    let mut with_email = Vec::new();
    for op in OPERATIONS.iter() {
        let suffix = format!("trim-{}", op.operation_id);
        let Some(email) = email_in_body(op, &suffix, &fx) else {
            continue;
        };
        with_email.push(op.operation_id);
        // The issue's spelling: spaces around, letter case as the client wrote it.
        let given = format!("C2.{}@X.com", op.operation_id);
        let body = (op.body)(&suffix, &fx)
            .to_string()
            .replace(&format!("\"{email}\""), &format!("\"  {given}  \""));
        let (status, answer) = server
            .create(
                op,
                Some(&t.token),
                &fx,
                &[],
                "application/json",
                body.clone(),
            )
            .await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        let id = op.created_id(&answer).unwrap();
        let stored: (String, String) = server.db().query_row(
            "SELECT email, email_norm FROM people WHERE uuid = ?1",
            &[&id],
            |r| (r.get(0), r.get(1)),
        );
        assert_eq!(
            stored,
            (given.clone(), given.to_lowercase()),
            "{}",
            op.name()
        );
        if op.family == Family::Introzy {
            assert_eq!(answer["data"]["email"], json!(given), "echoed as stored");
        }
        // The same address again, spelled the same way: the family's duplicate.
        let (status, again) = server
            .create(op, Some(&t.token), &fx, &[], "application/json", body)
            .await;
        let duplicate = match op.family {
            Family::SalesMap => 400,
            Family::Introzy => 409,
            _ => 422,
        };
        assert_eq!(status, duplicate, "{}: {again}", op.name());
    }
    assert_eq!(
        with_email,
        [
            "salesmap_create_people",
            "introzy_create_person",
            "bigchange_create_person"
        ],
        "the operations that take an e-mail"
    );

    // Through the generated client too.
    let client = Client::with_token(&server.url, &t.token).unwrap();
    let created = client
        .introzy_create_person()
        .body(
            types::CreatePersonRequest::builder()
                .email("  c2@x.com  ")
                .first_name("C"),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.data.email, "c2@x.com");
    server.stop().await;
}
each_backend!(every_operation_stores_and_echoes_an_email_without_surrounding_whitespace);

async fn the_answer_is_typed_as_the_page_types_it(backend: Backend) {
    // The page's own 201 example, verbatim: latitude and longitude are numbers,
    // industry and website strings. The client generated from our document reads it.
    let page: types::CreatePersonResponse = serde_json::from_value(json!({
      "success": true,
      "data": {
        "id": "123e4567-e89b-12d3-a456-426614174000",
        "email": "john@acme.com",
        "firstName": "John",
        "lastName": "Doe",
        "phoneNumber": "+1 555-123-4567",
        "address": "123 Main St, San Francisco, CA 94102",
        "latitude": 1,
        "longitude": 1,
        "companyId": "123e4567-e89b-12d3-a456-426614174000",
        "isConnector": true,
        "isSolutionProvider": true,
        "isFullUser": true,
        "customFields": {
          "cf_favorite_color": "blue",
          "cf_budget": 50000
        },
        "company": {
          "id": "123e4567-e89b-12d3-a456-426614174000",
          "name": "Acme Inc",
          "industry": "string",
          "website": "string",
          "customFields": {}
        },
        "createdAt": "2026-05-20T14:22:03.111Z",
        "updatedAt": "2026-05-20T14:22:03.111Z"
      },
      "message": "Person created successfully"
    }))
    .unwrap();
    assert_eq!(
        (page.data.latitude, page.data.longitude),
        (Some(1.0), Some(1.0))
    );
    let company = page.data.company.unwrap();
    assert_eq!(
        (company.industry.as_deref(), company.website.as_deref()),
        (Some("string"), Some("string"))
    );

    // What crm answers is the same shape: null where it knows nothing (it does not
    // geocode, and no request sets a company's industry or website).
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let client = Client::with_token(&server.url, &t.token).unwrap();
    let created = client
        .introzy_create_person()
        .body(
            types::CreatePersonRequest::builder()
                .email("john@acme.com")
                .first_name("John")
                .company_name(Some("Acme Inc".try_into().unwrap())),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (created.data.latitude, created.data.longitude),
        (None, None)
    );
    let company = created.data.company.unwrap();
    assert_eq!((company.industry, company.website), (None, None));
    server.stop().await;
}
each_backend!(the_answer_is_typed_as_the_page_types_it);

async fn custom_numbers_are_echoed_as_given(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    with_custom_fields(&server, &t).await;
    let client = Client::with_token(&server.url, &t.token).unwrap();
    for (i, given) in ["50000", "-3", "9007199254740993", "50000.5", "0.1"]
        .iter()
        .enumerate()
    {
        let number: Value = serde_json::from_str(given).unwrap();
        let created = client
            .introzy_create_person()
            .body(
                types::CreatePersonRequest::builder()
                    .email(format!("n{i}@x.com"))
                    .first_name("N")
                    .custom_fields(Some(
                        [("cf_budget".to_owned(), number)].into_iter().collect(),
                    )),
            )
            .send()
            .await
            .unwrap()
            .into_inner();
        assert_eq!(created.data.custom_fields["cf_budget"].to_string(), *given);
    }
    server.stop().await;
}
each_backend!(custom_numbers_are_echoed_as_given);

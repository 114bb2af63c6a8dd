//! BigChange create-person against a real server: the generated client (its
//! errors typed as problem details) and raw HTTP. Every test checks the body and the stored
//! rows.

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_client::bigchange::{types, Client};
use serde_json::{json, Value};

const PATH: &str = "/v1/contacts/persons";

fn client(server: &TestServer, t: &Tenant) -> Client {
    Client::with_token(&server.url, &t.token).unwrap()
}

/// A raw POST with a Customer-Id; returns status, content type and body.
async fn post(
    server: &TestServer,
    token: Option<&str>,
    customer: Option<&str>,
    body: &str,
) -> (u16, String, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{PATH}", server.url))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(customer) = customer {
        req = req.header("Customer-Id", customer);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    (status, content_type, resp.json().await.unwrap())
}

fn problem(status: u16, title: &str, section: &str, detail: &str) -> Value {
    json!({
        "type": format!("https://tools.ietf.org/html/rfc9110#section-{section}"),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": PATH,
    })
}

async fn creates_a_person_with_every_field(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let contact = server
        .admin(crm::cli::AdminCommand::Organization {
            workspace: t.workspace_id.to_string(),
            name: "Acme Facilities".into(),
        })
        .await;
    let contact_id = contact["organization"]["id"].as_i64().unwrap();
    let budget = server
        .field(&t, "person", "Budget", "cf_budget", "number", &[])
        .await;
    let vip = server
        .field(&t, "person", "VIP", "cf_vip", "boolean", &[])
        .await;
    let note = server
        .field(&t, "person", "Note", "cf_note", "text", &[])
        .await;

    let created = client(&server, &t)
        .bigchange_create_person()
        .customer_id(t.workspace_id)
        .body(
            types::CreatePersonModel::builder()
                .contact_id(contact_id)
                .title(Some("Mr".try_into().unwrap()))
                .forename("John")
                .surname("Smith")
                .email(Some("john.smith@example.com".into()))
                .mobile(Some("07700 900123".into()))
                .landline(Some("0114 496 0000".into()))
                .extension(Some("204".into()))
                .position(Some("Facilities Manager".into()))
                .department(Some("Operations".into()))
                .is_opted_out(Some(true))
                .custom_fields(Some(vec![
                    types::CustomFieldValueModel {
                        definition_id: budget,
                        value: Some("50000".into()),
                    },
                    types::CustomFieldValueModel {
                        definition_id: vip,
                        value: Some("TRUE".into()),
                    },
                    types::CustomFieldValueModel {
                        definition_id: note,
                        value: None,
                    },
                ])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let id = created.into_inner().id.to_string();

    let (texts, flags): (Vec<String>, (bool, i64, i64)) = server.db().query_row(
        "SELECT name, first_name, last_name, email, title, mobile, landline, extension, position,
                    department, is_opted_out, organization_id, workspace_id
             FROM people WHERE uuid = ?1",
        &[&id],
        |r| {
            let texts = (0..10).map(|i| r.get(i)).collect();
            (texts, (r.get(10), r.get(11), r.get(12)))
        },
    );
    assert_eq!(
        texts,
        [
            "John Smith",
            "John",
            "Smith",
            "john.smith@example.com",
            "Mr",
            "07700 900123",
            "0114 496 0000",
            "204",
            "Facilities Manager",
            "Operations"
        ]
    );
    assert_eq!(flags, (true, contact_id, t.workspace_id));
    let values: Vec<(i64, String)> = server
        .db()
        .query("SELECT v.definition_id, v.value FROM field_values v JOIN people p ON p.id = v.record_id WHERE p.uuid = ?1 ORDER BY 1", &[&id], |r| (r.get(0), r.get(1)));
    // The null value is "no value": nothing stored for it. An integer stays one.
    assert_eq!(
        values,
        [(budget, "50000".to_owned()), (vip, "true".to_owned())]
    );
    server.stop().await;
}
each_backend!(creates_a_person_with_every_field);

async fn integer_and_uuid_ids_name_the_same_records(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org = server
        .admin(crm::cli::AdminCommand::Organization {
            workspace: t.workspace_id.to_string(),
            name: "Shared Co".into(),
        })
        .await;
    let (org_id, org_uuid) = (
        org["organization"]["id"].as_i64().unwrap(),
        org["organization"]["uuid"].as_str().unwrap(),
    );

    let (status, _, body) = post(
        &server,
        Some(&t.token),
        Some(&t.workspace_id.to_string()),
        &json!({"contactId": org_id, "forename": "Ada", "surname": "Lovelace", "email": "ada@shared.co"}).to_string(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, salesmap) = server
        .post_json(
            "/v2/people",
            Some(&t.token),
            &json!({"name": "Grace", "organizationId": org_uuid}),
        )
        .await;
    assert_eq!(status, 201);

    let orgs: Vec<(String, i64, String)> = server
        .db()
        .query("SELECT p.uuid, o.id, o.uuid FROM people p JOIN organizations o ON o.id = p.organization_id ORDER BY p.id", &[], |r| (r.get(0), r.get(1), r.get(2)));
    assert_eq!(
        orgs,
        [
            (
                body["id"].as_str().unwrap().to_owned(),
                org_id,
                org_uuid.to_owned()
            ),
            (
                salesmap["data"]["people"]["id"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
                org_id,
                org_uuid.to_owned()
            ),
        ]
    );
    assert_eq!(server.count("organizations"), 1);
    server.stop().await;
}
each_backend!(integer_and_uuid_ids_name_the_same_records);

async fn every_failure_is_a_problem_and_stores_nothing(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let unscoped = server
        .admin(crm::cli::AdminCommand::from(
            crm::cli::TokenCommand::Create(crm::cli::NewTokenArgs {
                workspace: t.workspace_id.to_string(),
                label: "no-scope".into(),
                scopes: vec![],
                all_scopes: false,
                expires_in_secs: None,
            }),
        ))
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let contact = server.contact(&t, "Mine").await;
    let ws = t.workspace_id.to_string();
    let ok_body = json!({"contactId": contact, "forename": "A", "surname": "B", "email": "a@b.co"})
        .to_string();

    // (token, Customer-Id, body, status, problem)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, String, u16, Value);
    let cases: Vec<Case> = vec![
        (Some(&t.token), Some(&ws), "{\"contactId\": ".into(), 400,
            problem(400, "Bad Request", "15.5.1", "unable to parse JSON body: contactId: EOF while parsing a value at line 1 column 14")),
        // Not of the model's shape: a value of the wrong type. (A missing field is a
        // validation error: 422, below.)
        (Some(&t.token), Some(&ws), "{\"contactId\": \"1\", \"forename\": \"A\"}".into(), 400,
            problem(400, "Bad Request", "15.5.1", "unable to parse JSON body: contactId: invalid type: string \"1\", expected i64 at line 1 column 17")),
        (Some(&t.token), Some(&ws), "\"John Smith\"".into(), 400,
            problem(400, "Bad Request", "15.5.1", "unable to parse JSON body: invalid type: string \"John Smith\", expected struct CreatePersonModel at line 1 column 12")),
        (Some(&t.token), None, ok_body.clone(), 400,
            problem(400, "Bad Request", "15.5.1", "Customer-Id: the header is required and must be an integer (int64)")),
        (Some(&t.token), Some("acme"), ok_body.clone(), 400,
            problem(400, "Bad Request", "15.5.1", "Customer-Id: the header is required and must be an integer (int64)")),
        (None, Some(&ws), ok_body.clone(), 401,
            problem(401, "Unauthorized", "15.5.2", "Authorization: a bearer token is required")),
        (Some("crm_nope"), Some(&ws), ok_body.clone(), 401,
            problem(401, "Unauthorized", "15.5.2", "Authorization: the bearer token is not valid")),
        (Some(&unscoped), Some(&ws), ok_body.clone(), 403,
            problem(403, "Forbidden", "15.5.4", "Authorization: the token lacks the scope 'contacts:persons:write'")),
        (Some(&other.token), Some(&ws), ok_body.clone(), 403,
            problem(403, "Forbidden", "15.5.4", &format!("Customer-Id: the token does not act for customer {ws}"))),
    ];
    for (token, customer, body, status, expected) in cases {
        let (got_status, content_type, got) = post(&server, token, customer, &body).await;
        assert_eq!(
            (got_status, content_type.as_str(), &got),
            (status, "application/problem+json", &expected),
            "for {body}"
        );
    }
    assert_eq!(server.count("people"), 0);
    server.stop().await;
}
each_backend!(every_failure_is_a_problem_and_stores_nothing);

async fn validation_failures_are_422_with_errors_by_field(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let mine = server.contact(&t, "Mine").await;
    let theirs = server.contact(&other, "Theirs").await;
    let budget = server
        .field(&t, "person", "Budget", "cf_budget", "number", &[])
        .await;
    let their_field = server
        .field(&other, "person", "Secret", "cf_secret", "text", &[])
        .await;
    let ws = t.workspace_id.to_string();
    let base = json!({"contactId": mine, "forename": "A", "surname": "B", "email": "a@b.co"});
    let with = |patch: Value| common::patched(&base, patch);
    let missing_contact = theirs + 1000;
    let cases: Vec<(Value, Value)> = vec![
        (
            with(json!({"forename": " ", "surname": ""})),
            json!({"forename": ["must not be empty"], "surname": ["must not be empty"]}),
        ),
        (
            with(json!({"email": "not-an-email"})),
            json!({"email": ["'not-an-email' is not a valid e-mail address"]}),
        ),
        (
            with(json!({"contactId": theirs})),
            json!({"contactId": [format!("no contact with id '{theirs}' in this workspace")]}),
        ),
        (
            with(json!({"contactId": missing_contact})),
            json!({"contactId": [format!("no contact with id '{missing_contact}' in this workspace")]}),
        ),
        (
            with(json!({"customFields": [{"definitionId": their_field, "value": "x"}]})),
            json!({"customFields[0]": [format!("unknown field definition {their_field}: no such data field is defined in this workspace")]}),
        ),
        (
            with(json!({"customFields": [{"definitionId": budget, "value": "lots"}]})),
            json!({"customFields[0]": ["field 'Budget' is a number field; 'lots' is not a number"]}),
        ),
    ];
    for (body, errors) in cases {
        let (status, content_type, got) =
            post(&server, Some(&t.token), Some(&ws), &body.to_string()).await;
        assert_eq!(
            (status, content_type.as_str()),
            (422, "application/problem+json"),
            "{got}"
        );
        // The whole problem: `detail` says every field's messages, in order.
        let detail: Vec<String> = errors
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(field, messages)| {
                let messages = messages.as_array().unwrap();
                messages
                    .iter()
                    .map(move |m| format!("{field}: {}", m.as_str().unwrap()))
            })
            .collect();
        assert_eq!(
            got,
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                "title": "One or more validation errors occurred.",
                "status": 422,
                "detail": detail.join("; "),
                "instance": PATH,
                "errors": errors
            }),
            "for {body}"
        );
    }
    assert_eq!(server.count("people"), 0);

    // A duplicate e-mail, read through the client's problem-details reader.
    let c = client(&server, &t);
    let send = |email: &'static str| {
        c.bigchange_create_person()
            .customer_id(t.workspace_id)
            .body(
                types::CreatePersonModel::builder()
                    .contact_id(mine)
                    .forename("A")
                    .surname("B")
                    .email(Some(email.into())),
            )
            .send()
    };
    let first = send("dup@b.co").await.unwrap().into_inner().id;
    let crm_client::Error::ErrorResponse(problem) = send(" DUP@b.co").await.unwrap_err() else {
        panic!("not a documented error");
    };
    let problem = problem.into_inner();
    let message = format!("a person with this e-mail already exists ({first})");
    assert_eq!(
        serde_json::to_value(problem).unwrap(),
        json!({
            "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
            "title": "One or more validation errors occurred.",
            "status": 422,
            "detail": format!("email: {message}"),
            "instance": PATH,
            "errors": {"email": [message]}
        })
    );
    assert_eq!(server.count("people"), 1);
    server.stop().await;
}
each_backend!(validation_failures_are_422_with_errors_by_field);

async fn a_store_failure_is_a_500_problem_that_shows_nothing_of_the_cause(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "Mine").await;
    let budget = server
        .field(&t, "person", "Budget", "cf_budget", "number", &[])
        .await;
    server.sabotage("field_values");
    let body = json!({
        "contactId": contact, "forename": "A", "surname": "B", "email": "a@b.co",
        "customFields": [{"definitionId": budget, "value": "1"}]
    });
    let (status, content_type, got) = post(
        &server,
        Some(&t.token),
        Some(&t.workspace_id.to_string()),
        &body.to_string(),
    )
    .await;
    assert_eq!(
        (status, content_type.as_str(), got),
        (
            500,
            "application/problem+json",
            problem(
                500,
                "Internal Server Error",
                "15.6.1",
                "internal server error"
            )
        )
    );
    // The person insert was rolled back with the failed custom value.
    assert_eq!(server.count("people"), 0);
    server.stop().await;
}
each_backend!(a_store_failure_is_a_500_problem_that_shows_nothing_of_the_cause);

/// The create-person example of the document (`openapi/bigchange.yaml`: BigChange's
/// reference, with the names the seeds README restores), without an e-mail.
fn documented_example(contact_id: i64, definition_id: i64) -> Value {
    json!({
        "contactId": contact_id,
        "title": "Mr",
        "forename": "John",
        "surname": "Smith",
        "mobile": "07700 900123",
        "landline": "0114 496 0000",
        "extension": "204",
        "position": "Facilities Manager",
        "department": "Operations",
        "isOptedOut": false,
        "customFields": [{"definitionId": definition_id, "value": "50000"}]
    })
}

// Issue #11, item 1: the page leaves `email` optional. A person without one is
// created, and never counts as a duplicate of another without one.
async fn a_person_without_an_e_mail_is_created_and_is_never_a_duplicate(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "Acme Facilities").await;
    let budget = server
        .field(&t, "person", "Budget", "cf_budget", "number", &[])
        .await;
    let ws = t.workspace_id.to_string();
    let example = documented_example(contact, budget);
    let mut ids = Vec::new();
    // Twice through the generated client, twice as raw JSON, once with `null`.
    let model: types::CreatePersonModel = serde_json::from_value(example.clone()).unwrap();
    for _ in 0..2 {
        let created = client(&server, &t)
            .bigchange_create_person()
            .customer_id(t.workspace_id)
            .body(model.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(created.status().as_u16(), 201);
        ids.push(created.into_inner().id.to_string());
    }
    let with_null = common::patched(&example, json!({"email": null}));
    for body in [&example, &example, &with_null] {
        let (status, content_type, answer) =
            post(&server, Some(&t.token), Some(&ws), &body.to_string()).await;
        assert_eq!(
            (status, content_type.as_str()),
            (201, "application/json"),
            "{answer}"
        );
        assert_eq!(answer.as_object().unwrap().len(), 1, "{answer}");
        ids.push(answer["id"].as_str().unwrap().to_owned());
    }
    let rows: Vec<(String, Option<String>, Option<String>, String)> = server.db().query(
        "SELECT uuid, email, email_norm, name FROM people ORDER BY id",
        &[],
        |r| (r.get(0), r.get(1), r.get(2), r.get(3)),
    );
    let expected: Vec<_> = ids
        .iter()
        .map(|id| (id.clone(), None, None, "John Smith".to_owned()))
        .collect();
    assert_eq!(rows, expected);
    // An e-mail, when given, is still checked for duplicates.
    let with_email = common::patched(&example, json!({"email": "john.smith@example.com"}));
    let (status, _, _) = post(&server, Some(&t.token), Some(&ws), &with_email.to_string()).await;
    assert_eq!(status, 201);
    let (status, _, answer) =
        post(&server, Some(&t.token), Some(&ws), &with_email.to_string()).await;
    assert_eq!(
        (status, answer["errors"].as_object().map(|e| e.len())),
        (422, Some(1)),
        "{answer}"
    );
    assert!(answer["errors"]["email"][0]
        .as_str()
        .unwrap()
        .starts_with("a person with this e-mail already exists"));
    assert_eq!(server.count("people"), 6);
    server.stop().await;
}
each_backend!(a_person_without_an_e_mail_is_created_and_is_never_a_duplicate);

// Issue #11, item 2: BigChange reports validation by field. A missing (or null) or
// empty forename/surname, an empty title, a missing contactId: 422 with `errors`,
// every failing field at once; 400 only for a body that is not of the model's shape.
async fn every_validation_failure_of_a_well_formed_body_is_422_by_field(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "Acme Facilities").await;
    let budget = server
        .field(&t, "person", "Budget", "cf_budget", "number", &[])
        .await;
    let ws = t.workspace_id.to_string();
    let example = documented_example(contact, budget);
    let without = |fields: &[&str]| {
        let mut body = example.clone();
        for f in fields {
            body.as_object_mut().unwrap().remove(*f);
        }
        body
    };
    let required = || vec!["is required".to_owned()];
    let empty = || vec!["must not be empty".to_owned()];
    let cases: Vec<(Value, Value)> = vec![
        (without(&["forename"]), json!({"forename": required()})),
        (without(&["surname"]), json!({"surname": required()})),
        (
            without(&["forename", "surname"]),
            json!({"forename": required(), "surname": required()}),
        ),
        (
            common::patched(&example, json!({"forename": null, "surname": null})),
            json!({"forename": required(), "surname": required()}),
        ),
        (
            common::patched(&example, json!({"forename": "", "surname": " "})),
            json!({"forename": empty(), "surname": empty()}),
        ),
        (
            common::patched(&example, json!({"title": ""})),
            json!({"title": empty()}),
        ),
        (
            common::patched(&example, json!({"title": "\t"})),
            json!({"title": empty()}),
        ),
        (without(&["contactId"]), json!({"contactId": required()})),
        (
            json!({}),
            json!({"contactId": required(), "forename": required(), "surname": required()}),
        ),
        (
            common::patched(
                &without(&["forename"]),
                json!({"title": "", "email": "nope"}),
            ),
            json!({"forename": required(), "title": empty(), "email": ["'nope' is not a valid e-mail address"]}),
        ),
    ];
    for (body, errors) in cases {
        let (status, content_type, got) =
            post(&server, Some(&t.token), Some(&ws), &body.to_string()).await;
        let detail = errors
            .as_object()
            .unwrap()
            .iter()
            .flat_map(|(f, ms)| {
                ms.as_array()
                    .unwrap()
                    .iter()
                    .map(move |m| format!("{f}: {}", m.as_str().unwrap()))
            })
            .collect::<Vec<_>>()
            .join("; ");
        let mut expected = problem(
            422,
            "One or more validation errors occurred.",
            "15.5.21",
            &detail,
        );
        expected["errors"] = errors;
        assert_eq!(
            (status, content_type.as_str(), &got),
            (422, "application/problem+json", &expected),
            "for {body}"
        );
    }
    assert_eq!(server.count("people"), 0);
    server.stop().await;
}
each_backend!(every_validation_failure_of_a_well_formed_body_is_422_by_field);

/// BigChange sends every custom value as a string; a boolean field reads
/// "true"/"false" in any case and with spaces around, and nothing else.
async fn a_boolean_custom_value_is_true_or_false_as_text(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "Mine").await;
    let vip = server
        .field(&t, "person", "VIP", "cf_vip", "boolean", &[])
        .await;
    let ws = t.workspace_id.to_string();
    let send = |n: usize, value: &str| {
        json!({"contactId": contact, "forename": "A", "surname": format!("B{n}"),
               "email": format!("b{n}@example.com"),
               "customFields": [{"definitionId": vip, "value": value}]})
        .to_string()
    };
    for (n, (value, stored)) in [("false", "false"), (" False ", "false"), ("TRUE", "true")]
        .into_iter()
        .enumerate()
    {
        let (status, _, body) = post(&server, Some(&t.token), Some(&ws), &send(n, value)).await;
        assert_eq!(status, 201, "{value:?}: {body}");
        let got: String = server.db().value(
            "SELECT v.value FROM field_values v JOIN people p ON p.id = v.record_id
                 WHERE p.uuid = ?1 AND v.definition_id = ?2",
            &[&body["id"].as_str().unwrap(), &vip],
        );
        assert_eq!(got, stored, "{value:?}");
    }
    for value in ["yes", "0", ""] {
        let (status, content_type, body) =
            post(&server, Some(&t.token), Some(&ws), &send(9, value)).await;
        assert_eq!(
            (status, content_type.as_str()),
            (422, "application/problem+json")
        );
        assert_eq!(
            body["errors"],
            json!({"customFields[0]": [format!(
                "field 'VIP' is a boolean field; '{value}' is not true or false")]}),
            "{value:?}"
        );
    }
    assert_eq!(server.count("people"), 3);
    server.stop().await;
}
each_backend!(a_boolean_custom_value_is_true_or_false_as_text);

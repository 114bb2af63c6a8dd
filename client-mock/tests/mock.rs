//! A calling service tested without a crm server: its calls go to an httpmock
//! server set up through the generated, typed mocks.

use crm_client::salesmap::{types, Client};
use crm_client::Error;
use crm_client_mock::salesmap::MockServerExt as _;

/// What a calling service might do with crm: register a contact, and say why not.
async fn register(client: &Client, name: &str, email: &str) -> Result<String, String> {
    let request = types::CreatePeopleRequest::builder()
        .name(name)
        .field_list(vec![types::FieldValue::text("이메일", email)]);
    match client.salesmap_create_people().body(request).send().await {
        Ok(created) => Ok(created.into_inner().data.people.id),
        Err(Error::ErrorResponse(refused)) => Err(format!(
            "{}: {}",
            refused.status().as_u16(),
            refused.into_inner().message
        )),
        Err(other) => Err(other.to_string()),
    }
}

fn request(name: &str, email: &str) -> types::CreatePeopleRequest {
    types::CreatePeopleRequest {
        name: name.try_into().unwrap(),
        field_list: Some(vec![types::FieldValue::text("이메일", email)]),
        memo: None,
        organization_id: None,
    }
}

#[tokio::test]
async fn a_service_registers_a_contact_against_the_mock() {
    let server = httpmock::MockServer::start_async().await;
    let created = types::CreatePeopleResponse {
        success: true,
        data: types::CreatePeopleData {
            people: types::PeopleSummary {
                id: "01a2214f-0000-7000-8000-000000000001".into(),
                name: "홍길동".into(),
                created_at: "2026-11-28T09:05:13.691Z".parse().unwrap(),
            },
        },
    };
    let mock = server.salesmap_create_people(|when, then| {
        when.body(&request("홍길동", "gildong@example.com"));
        then.created(&created);
    });
    let client = Client::with_token(&server.base_url(), "crm_test").unwrap();

    let id = register(&client, "홍길동", "gildong@example.com").await;

    assert_eq!(id.as_deref(), Ok("01a2214f-0000-7000-8000-000000000001"));
    mock.assert_async().await;
}

#[tokio::test]
async fn a_service_reads_a_documented_refusal_from_the_mock() {
    let server = httpmock::MockServer::start_async().await;
    let refusal = types::Error {
        success: false,
        message: "이메일: 'nope' is not a valid e-mail address".into(),
        reason: None,
        data: None,
    };
    let mock = server.salesmap_create_people(|when, then| {
        when.body(&request("홍길동", "nope"));
        then.bad_request(&refusal);
    });
    let client = Client::with_token(&server.base_url(), "crm_test").unwrap();

    let refused = register(&client, "홍길동", "nope").await;

    assert_eq!(
        refused,
        Err("400: 이메일: 'nope' is not a valid e-mail address".to_owned())
    );
    mock.assert_async().await;
}

//! Every operation of crm through `crm-client`, as a calling service writes it:
//! nothing but `crm-client` and tokio (serde_json, chrono and uuid come
//! re-exported). `cargo xtask test-clients --lang rust` copies this file into a new
//! cargo project outside the workspace, with `crm-client` by path and
//! `default-features = false`, and runs it against a live server.
//!
//! It reads the server and its seeded records from the environment (`CRM_URL`,
//! `CRM_TOKEN`, `CRM_ORGANIZATION_UUID`, `CRM_CONTACT_ID`, `CRM_CUSTOMER_ID`),
//! prints what it created, and appends the rows it expects stored to the file
//! `CRM_RECORDS` names, for the xtask to check in the database.

use crm_client::serde_json::{json, Map, Value};
use crm_client::{bigchange, introzy, maiascore, salesmap, Error};
use std::io::Write as _;

type Failure = Box<dyn std::error::Error>;

fn env(name: &str) -> Result<String, Failure> {
    std::env::var(name).map_err(|_| format!("{name} is not set").into())
}

/// Appends one row the server must have stored to `CRM_RECORDS`.
fn expect_stored(operation: &str, table: &str, uuid: &str, expect: Value) -> Result<(), Failure> {
    let line =
        json!({"operation": operation, "table": table, "key": {"uuid": uuid}, "expect": expect});
    println!("{line}");
    if let Ok(path) = std::env::var("CRM_RECORDS") {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)?;
        writeln!(file, "{line}")?;
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Failure> {
    let (url, token) = (env("CRM_URL")?, env("CRM_TOKEN")?);
    let run = format!("rs{}", std::process::id());

    // SalesMap: a person whose e-mail is a fieldList item, then a lead.
    let salesmap = salesmap::Client::with_token(&url, &token)?;
    let email = format!("{run}-people@example.test");
    let people = salesmap
        .salesmap_create_people()
        .body(
            salesmap::types::CreatePeopleRequest::builder()
                .name(format!("홍길동 {run}"))
                .field_list(vec![salesmap::types::FieldValue::text("이메일", &email)]),
        )
        .send()
        .await?
        .into_inner();
    let id = people.data.people.id.to_string();
    expect_stored(
        "salesmap_create_people",
        "people",
        &id,
        json!({"email": email}),
    )?;

    let lead = salesmap
        .salesmap_create_lead()
        .body(
            salesmap::types::CreateLeadRequest::builder()
                .name(format!("리드 {run}"))
                .organization_id(env("CRM_ORGANIZATION_UUID")?),
        )
        .send()
        .await?
        .into_inner();
    let id = lead.data.lead.id.to_string();
    expect_stored(
        "salesmap_create_lead",
        "leads",
        &id,
        json!({"name": format!("리드 {run}")}),
    )?;

    // A key the document's `pattern` refuses never leaves the client.
    match salesmap
        .salesmap_create_people()
        .idempotency_key("Müller")
        .body(salesmap::types::CreatePeopleRequest::builder().name("never sent"))
        .send()
        .await
    {
        Err(Error::InvalidRequest(message)) if message.contains("idempotency_key") => {}
        other => {
            return Err(format!("a non-ASCII Idempotency-Key was not refused: {other:?}").into())
        }
    }

    // Introzy: custom fields are a JSON object (serde_json, re-exported).
    let introzy = introzy::Client::with_token(&url, &token)?;
    let email = format!("{run}-introzy@example.test");
    let mut custom = Map::new();
    custom.insert("cf_favorite_color".into(), Value::from("teal"));
    let person = introzy
        .introzy_create_person()
        .body(
            introzy::types::CreatePersonRequest::builder()
                .email(&email)
                .first_name("Ada")
                .last_name(Some(run.as_str().try_into()?))
                .custom_fields(Some(custom)),
        )
        .send()
        .await?
        .into_inner();
    let id = person.data.id.to_string();
    expect_stored(
        "introzy_create_person",
        "people",
        &id,
        json!({"email": email}),
    )?;

    // BigChange: created, then a 422 read as problem details.
    let bigchange = bigchange::Client::with_token(&url, &token)?;
    let email = format!("{run}-bigchange@example.test");
    let person = |email: &str| {
        bigchange::types::CreatePersonModel::builder()
            .contact_id(env("CRM_CONTACT_ID").unwrap().parse::<i64>().unwrap())
            .forename("Grace")
            .surname(run.as_str())
            .email(Some(email.to_owned()))
    };
    let customer_id: i64 = env("CRM_CUSTOMER_ID")?.parse()?;
    let created = bigchange
        .bigchange_create_person()
        .customer_id(customer_id)
        .body(person(&email))
        .send()
        .await;
    let created = match created {
        Ok(created) => created.into_inner(),
        Err(Error::ErrorResponse(problem)) => {
            return Err(format!("{:?}", problem.into_inner()).into())
        }
        Err(other) => return Err(other.into()),
    };
    expect_stored(
        "bigchange_create_person",
        "people",
        &created.id.to_string(),
        json!({"email": email}),
    )?;
    // Its errors are RFC 7807 problem details, typed.
    let refused = bigchange
        .bigchange_create_person()
        .customer_id(customer_id)
        .body(person("not an e-mail"))
        .send()
        .await;
    match refused {
        Err(Error::ErrorResponse(problem)) if problem.status() == 422 => {
            let problem: bigchange::types::ProblemDetails = problem.into_inner();
            if !problem.errors.contains_key("email") {
                return Err(format!("no error for the e-mail: {problem:?}").into());
            }
        }
        other => return Err(format!("not the documented 422: {other:?}").into()),
    }

    // MaiaScore: a date of birth is a chrono::NaiveDate (re-exported).
    let maiascore = maiascore::Client::with_token(&url, &token)?;
    let reference = format!("{run}-customer");
    let customer = maiascore
        .maiascore_create_customer()
        .body(
            maiascore::types::CustomerInput::builder()
                .reference_id(Some(reference.clone()))
                .date_of_birth(crm_client::chrono::NaiveDate::from_ymd_opt(1990, 1, 31)),
        )
        .send()
        .await?
        .into_inner();
    expect_stored(
        "maiascore_create_customer",
        "customers",
        &customer.id,
        json!({"reference_id": reference, "date_of_birth": "1990-01-31"}),
    )?;
    Ok(())
}

//! Introzy: `POST /api/people`.

use crate::api::introzy::*;
use crate::app::ServerContext;
use crate::auth;
use crate::domain::fields::{FieldInput, FieldLocator, FieldValue};
use crate::domain::people::{self, CreatePerson, CreatedPerson, OrganizationInput};
use crate::domain::{optional_id, validate, DomainError};
use crate::idempotency::{self, Idempotency};
use crate::store::{NewPerson, OrganizationDetails, RecordKey, Store};
use dropshot::{ErrorStatusCode, HttpResponseCreated};
use http::HeaderMap;
use serde_json::{Map, Value};

pub const CREATED_MESSAGE: &str = "Person created successfully";

/// The lengths and formats the document declares, which dropshot does not enforce.
fn validate(body: &CreatePersonRequest) -> Result<(), DomainError> {
    validate::email("email", &body.email)?;
    validate::length("firstName", &body.first_name, 1, 100)?;
    validate::non_empty("firstName", &body.first_name)?;
    validate::optional_length("lastName", body.last_name.as_deref(), 100)?;
    validate::optional_length("phoneNumber", body.phone_number.as_deref(), 50)?;
    validate::optional_length("address", body.address.as_deref(), 500)?;
    validate::optional_length("companyName", body.company_name.as_deref(), 200)?;
    Ok(())
}

fn custom_field_inputs(
    fields: Option<Map<String, Value>>,
) -> Result<Vec<FieldInput>, IntrozyError> {
    fields
        .unwrap_or_default()
        .into_iter()
        .map(|(key, value)| {
            let path = format!("customFields.{key}");
            let value = FieldValue::from_json(&value).ok_or_else(|| {
                IntrozyError::new(
                    ErrorStatusCode::BAD_REQUEST,
                    format!("{path}: must be a string, number, boolean or null"),
                )
            })?;
            Ok(FieldInput {
                path,
                locator: FieldLocator::Key(key),
                value,
            })
        })
        .collect()
}

fn company(details: OrganizationDetails) -> Company {
    Company {
        id: details.id.uuid,
        name: details.name,
        industry: details.industry,
        website: details.website,
        custom_fields: details.custom.into_iter().collect(),
    }
}

pub async fn create_person(
    ctx: &ServerContext,
    headers: &HeaderMap,
    idempotency_key: Option<String>,
    body: CreatePersonRequest,
) -> Result<HttpResponseCreated<CreatePersonResponse>, IntrozyError> {
    let store: &dyn Store = ctx.store.as_ref();
    let who = auth::authenticate(store, headers, None).await?;
    validate(&body)?;
    let key = Idempotency::from_header(idempotency_key, "introzy_create_person", &body)?;

    // companyId wins; companyName is used only without it.
    let organization = match optional_id(body.company_id.clone()) {
        Some(id) => {
            validate::uuid("companyId", &id)?;
            Some(OrganizationInput::Existing {
                field: "companyId",
                noun: "company",
                key: RecordKey::Uuid(id),
            })
        }
        None => body
            .company_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(|n| OrganizationInput::Named(n.to_owned())),
    };
    let name = match body
        .last_name
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        Some(last) => format!("{} {last}", body.first_name.trim()),
        None => body.first_name.trim().to_owned(),
    };
    let fields = custom_field_inputs(body.custom_fields)?;
    // What the answer repeats of the request.
    let (email, first_name, last_name, phone_number, address) = (
        body.email.clone(),
        body.first_name.clone(),
        body.last_name.clone(),
        body.phone_number.clone(),
        body.address.clone(),
    );
    let render = move |created: &CreatedPerson| CreatePersonResponse {
        success: true,
        data: Person {
            id: created.record.id.uuid.clone(),
            email: email.clone(),
            first_name: first_name.clone(),
            last_name: last_name.clone(),
            phone_number: phone_number.clone(),
            address: address.clone(),
            latitude: None,
            longitude: None,
            company_id: created.record.organization.as_ref().map(|o| o.uuid.clone()),
            is_connector: false,
            is_solution_provider: false,
            is_full_user: false,
            custom_fields: created.custom.iter().cloned().collect(),
            company: created.record.organization_details.clone().map(company),
            created_at: created.record.created_at,
            updated_at: created.record.updated_at,
        },
        message: CREATED_MESSAGE.to_owned(),
    };
    let ttl = ctx.idempotency_ttl;
    let answer = idempotency::guarded(store, who.workspace.id, key, ttl, render, |write| {
        let request = CreatePerson {
            person: NewPerson {
                name,
                first_name: Some(body.first_name),
                last_name: body.last_name,
                email: Some(body.email),
                phone: body.phone_number,
                address: body.address,
                with_organization_details: true,
                ..Default::default()
            },
            organization,
            fields,
        };
        people::create_person(store, &who, request, write)
    })
    .await?;
    Ok(HttpResponseCreated(answer))
}

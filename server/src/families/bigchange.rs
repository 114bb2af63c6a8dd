//! BigChange: create a person in the contacts API. Every failure is an RFC 7807
//! problem (`application/problem+json`, the envelope in `crm-api`); validation
//! failures are 422 with messages by field. The `Customer-Id` header names the
//! workspace the token must act for.

use crate::auth::Principal;
use crate::domain::fields::{FieldInput, FieldLocator, FieldValue};
use crate::domain::people::{self, CreatePerson as DomainPerson, CreatedPerson, OrganizationInput};
use crate::domain::{validate, DomainError};
use crate::pipeline::{record, CallOf, Create, Failure, FieldErrors};
use crate::store::{NewPerson, RecordKey};
use crm_api::bigchange::*;
use crm_api::envelope::public_message;
use dropshot::{ErrorStatusCode, HttpError};
use http::HeaderMap;

const CUSTOMER_ID: &str = "Customer-Id";

fn custom_field_inputs(fields: &Option<Vec<CustomFieldValueModel>>) -> Vec<FieldInput> {
    fields
        .as_deref()
        .unwrap_or_default()
        .iter()
        .enumerate()
        .map(|(i, f)| FieldInput {
            path: format!("customFields[{i}]"),
            locator: FieldLocator::DefinitionId(f.definition_id),
            value: f
                .value
                .clone()
                .map_or(FieldValue::Null, FieldValue::Lexical),
        })
        .collect()
}

impl Create for CreatePerson {
    type Created = CreatedPerson;

    /// Dropshot's words for an unreadable header do not name it; ours do.
    fn header_failure(raw: &HeaderMap, e: HttpError) -> Failure {
        let customer_ok = raw
            .get(CUSTOMER_ID)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().parse::<i64>().is_ok());
        let detail = if customer_ok {
            public_message(e)
        } else {
            format!("{CUSTOMER_ID}: the header is required and must be an integer (int64)")
        };
        Failure::Refused(ErrorStatusCode::BAD_REQUEST, detail)
    }

    /// The customer id is the workspace's integer id.
    fn admit(who: &Principal, headers: &PersonHeaders) -> Result<(), Failure> {
        if headers.customer_id == who.workspace.id {
            return Ok(());
        }
        Err(Failure::Refused(
            ErrorStatusCode::FORBIDDEN,
            format!(
                "{CUSTOMER_ID}: the token does not act for customer {}",
                headers.customer_id
            ),
        ))
    }

    fn validate(body: &CreatePersonModel, errors: &mut FieldErrors) {
        record(errors, validate::non_empty("forename", &body.forename));
        record(errors, validate::non_empty("surname", &body.surname));
        record(errors, validate::non_empty("email", &body.email));
    }

    async fn create(call: CallOf<'_, Self>) -> Result<CreatedPerson, DomainError> {
        let body = call.body.clone();
        let request = DomainPerson {
            person: NewPerson {
                name: format!("{} {}", body.forename.trim(), body.surname.trim()),
                first_name: Some(body.forename),
                last_name: Some(body.surname),
                email: Some(body.email),
                title: body.title,
                mobile: body.mobile,
                landline: body.landline,
                extension: body.extension,
                position: body.position,
                department: body.department,
                is_opted_out: body.is_opted_out.unwrap_or(false),
                ..Default::default()
            },
            name_field: "forename",
            organization: Some(OrganizationInput::Existing {
                field: "contactId",
                noun: "contact",
                key: RecordKey::Id(body.contact_id),
            }),
            fields: custom_field_inputs(&call.body.custom_fields),
        };
        people::create_person(call.store, call.who, request, call.claim).await
    }

    fn render(created: &CreatedPerson, _: &CreatePersonModel) -> CreatedRecord {
        CreatedRecord {
            id: created.record.id.uuid.clone(),
        }
    }
}

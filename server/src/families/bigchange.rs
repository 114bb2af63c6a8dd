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

    /// Non-empty, as the page says, whitespace alone counting as empty. A missing
    /// required field is refused with the declared limits ("is required").
    fn validate(body: &CreatePersonModel, errors: &mut FieldErrors) {
        let texts = [
            ("title", body.title.as_ref()),
            ("forename", body.forename.value()),
            ("surname", body.surname.value()),
            ("email", body.email.as_ref()),
        ];
        for (field, value) in texts {
            if let Some(value) = value {
                record(errors, validate::non_empty(field, value));
            }
        }
    }

    async fn create(call: CallOf<'_, Self>) -> Result<CreatedPerson, DomainError> {
        let body = call.body.clone();
        // Validation refused a body without them; the errors say so should it not.
        let required = |field: &str, value: Option<String>| {
            value.ok_or_else(|| DomainError::invalid(field, "is required"))
        };
        let forename = required("forename", body.forename.0)?;
        let surname = required("surname", body.surname.0)?;
        let contact_id = body
            .contact_id
            .0
            .ok_or_else(|| DomainError::invalid("contactId", "is required"))?;
        let request = DomainPerson {
            person: NewPerson {
                name: format!("{} {}", forename.trim(), surname.trim()),
                first_name: Some(forename),
                last_name: Some(surname),
                email: body.email,
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
                key: RecordKey::Id(contact_id),
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

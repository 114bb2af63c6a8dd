//! Introzy: `POST /api/people`. The company is linked by id or found (or made) by
//! name inside the write, and embedded in the answer.

use crate::domain::fields::{FieldInput, FieldLocator, FieldValue};
use crate::domain::people::{self, CreatePerson as DomainPerson, CreatedPerson, OrganizationInput};
use crate::domain::{optional_id, validate, DomainError};
use crate::pipeline::{record, CallOf, Create, FieldErrors};
use crate::store::{NewPerson, OrganizationDetails, RecordKey};
use crm_api::introzy::*;
use crm_api::number::JsonLiteral;
use std::collections::BTreeMap;

fn custom_field_inputs(
    fields: &Option<BTreeMap<String, JsonLiteral>>,
) -> Result<Vec<FieldInput>, DomainError> {
    let Some(fields) = fields else {
        return Ok(Vec::new());
    };
    fields
        .iter()
        .map(|(key, value)| {
            let path = format!("customFields.{key}");
            // A number goes as written, so that no digit is lost on the way.
            let value = match value.number() {
                Some(literal) => Some(FieldValue::Number(literal.to_owned())),
                None => FieldValue::from_json(&value.to_value()),
            };
            let value = value.ok_or_else(|| {
                DomainError::invalid(&path, "must be a string, number, boolean or null")
            })?;
            Ok(FieldInput {
                path,
                locator: FieldLocator::Key(key.clone()),
                value,
            })
        })
        .collect()
}

fn company(details: &OrganizationDetails) -> Company {
    Company {
        id: details.id.uuid.clone(),
        name: details.name.clone(),
        industry: details.industry.clone(),
        website: details.website.clone(),
        custom_fields: details.custom.iter().cloned().collect(),
    }
}

impl Create for CreatePerson {
    type Created = CreatedPerson;

    /// A blank first name; an empty one breaks the declared `minLength`.
    fn validate(body: &CreatePersonRequest, errors: &mut FieldErrors) {
        if !body.first_name.is_empty() {
            record(errors, validate::non_empty("firstName", &body.first_name));
        }
    }

    async fn create(call: CallOf<'_, Self>) -> Result<CreatedPerson, DomainError> {
        let body = call.body;
        // companyId wins; companyName is used only without it.
        let organization = match optional_id(body.company_id.clone()) {
            Some(id) => Some(OrganizationInput::Existing {
                field: "companyId",
                noun: "company",
                key: RecordKey::Uuid(id),
            }),
            None => body
                .company_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| OrganizationInput::Named {
                    field: "companyName",
                    name: n.to_owned(),
                }),
        };
        let first = body.first_name.trim();
        let name = match body.last_name.as_deref().map(str::trim) {
            Some(last) if !last.is_empty() => format!("{first} {last}"),
            _ => first.to_owned(),
        };
        let request = DomainPerson {
            person: NewPerson {
                name,
                first_name: Some(body.first_name.clone()),
                last_name: body.last_name.clone(),
                email: Some(body.email.clone()),
                phone: body.phone_number.clone(),
                address: body.address.clone(),
                with_organization_details: true,
                ..Default::default()
            },
            name_field: "firstName",
            organization,
            fields: custom_field_inputs(&body.custom_fields)?,
        };
        people::create_person(call.store, call.who, request, call.claim).await
    }

    fn render(created: &CreatedPerson, body: &CreatePersonRequest) -> CreatePersonResponse {
        let record = &created.record;
        CreatePersonResponse {
            success: true,
            data: Person {
                id: record.id.uuid.clone(),
                // As stored (trimmed), not as sent.
                email: record.email.clone().unwrap_or_default(),
                first_name: body.first_name.clone(),
                last_name: body.last_name.clone(),
                phone_number: body.phone_number.clone(),
                address: body.address.clone(),
                latitude: None,
                longitude: None,
                company_id: record.organization.as_ref().map(|o| o.uuid.clone()),
                is_connector: false,
                is_solution_provider: false,
                is_full_user: false,
                custom_fields: created.custom.iter().cloned().collect(),
                company: record.organization_details.as_ref().map(company),
                created_at: record.created_at,
                updated_at: record.updated_at,
            },
            message: CREATED_MESSAGE.to_owned(),
        }
    }
}

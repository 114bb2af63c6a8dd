//! SalesMap: `POST /v2/people` (고객 생성) and `POST /v2/lead` (리드 생성).

use crate::domain::fields::{FieldInput, FieldLocator, FieldValue as DomainValue};
use crate::domain::leads::{self, CreateLead as DomainLead};
use crate::domain::people::{self, CreatePerson, CreatedPerson, OrganizationInput};
use crate::domain::{optional_id, validate, DomainError};
use crate::pipeline::{record, CallOf, Create, FieldErrors};
use crate::store::{LeadRecord, NewPerson, RecordKey};
use crm_api::salesmap::*;

/// `fieldList` entries as domain field inputs. Exactly one value key must be set.
fn field_inputs(list: &Option<Vec<FieldValue>>) -> Result<Vec<FieldInput>, DomainError> {
    let list = list.as_deref().unwrap_or_default();
    let mut inputs = Vec::with_capacity(list.len());
    for (i, f) in list.iter().enumerate() {
        let path = format!("fieldList[{i}] ({})", f.name);
        let mut values = Vec::with_capacity(1);
        if let Some(s) = &f.string_value {
            values.push(DomainValue::Text(s.clone()));
        }
        if let Some(n) = &f.number_value {
            values.push(DomainValue::Number(n.as_str().to_owned()));
        }
        if let Some(b) = f.boolean_value {
            values.push(DomainValue::Boolean(b));
        }
        if let Some(d) = &f.date_value {
            values.push(DomainValue::Date(d.clone()));
        }
        if values.len() != 1 {
            let message = format!(
                "give exactly one of stringValue, numberValue, booleanValue or dateValue (got {})",
                values.len()
            );
            return Err(DomainError::invalid(path, message));
        }
        inputs.push(FieldInput {
            path,
            locator: FieldLocator::Name(f.name.clone()),
            value: values.remove(0),
        });
    }
    Ok(inputs)
}

impl Create for CreatePeople {
    type Created = CreatedPerson;

    fn validate(body: &CreatePeopleRequest, errors: &mut FieldErrors) {
        record(errors, validate::non_empty("name", &body.name));
    }

    async fn create(call: CallOf<'_, Self>) -> Result<CreatedPerson, DomainError> {
        let body = call.body;
        let organization =
            optional_id(body.organization_id.clone()).map(|uuid| OrganizationInput::Existing {
                field: "organizationId",
                noun: "organization",
                key: RecordKey::Uuid(uuid),
            });
        let request = CreatePerson {
            person: NewPerson {
                name: body.name.clone(),
                memo: body.memo.clone(),
                ..Default::default()
            },
            name_field: "name",
            organization,
            fields: field_inputs(&body.field_list)?,
        };
        people::create_person(call.store, call.who, request, call.claim).await
    }

    fn render(created: &CreatedPerson, _: &CreatePeopleRequest) -> CreatePeopleResponse {
        let people = PeopleSummary {
            id: created.record.id.uuid.clone(),
            name: created.record.name.clone(),
            created_at: created.record.created_at,
        };
        CreatePeopleResponse {
            success: true,
            data: CreatePeopleData { people },
        }
    }
}

impl Create for CreateLead {
    type Created = LeadRecord;

    async fn create(call: CallOf<'_, Self>) -> Result<LeadRecord, DomainError> {
        let body = call.body;
        let request = DomainLead {
            name: body.name.clone(),
            person_id: body.people_id.clone(),
            organization_id: body.organization_id.clone(),
            pipeline_id: body.pipeline_id.clone(),
            stage_id: body.pipeline_stage_id.clone(),
            memo: body.memo.clone(),
            fields: field_inputs(&body.field_list)?,
        };
        leads::create_lead(call.store, call.who, request, call.claim).await
    }

    fn render(lead: &LeadRecord, _: &CreateLeadRequest) -> CreateLeadResponse {
        let uuid = |r: &Option<crate::store::RecordId>| r.as_ref().map(|r| r.uuid.clone());
        let lead = LeadSummary {
            id: lead.id.uuid.clone(),
            name: lead.name.clone(),
            created_at: lead.created_at,
            people_id: uuid(&lead.person),
            organization_id: uuid(&lead.organization),
            pipeline_id: uuid(&lead.pipeline),
            pipeline_stage_id: uuid(&lead.stage),
        };
        CreateLeadResponse {
            success: true,
            data: CreateLeadData { lead },
        }
    }
}

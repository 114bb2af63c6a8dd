//! SalesMap: `POST /v2/people` and `POST /v2/lead`.

use crate::api::salesmap::*;
use crate::app::ServerContext;
use crate::auth;
use crate::domain::fields::{FieldInput, FieldLocator, FieldValue as DomainValue};
use crate::domain::leads::{self, CreateLead};
use crate::domain::people::{self, CreatePerson, CreatedPerson, OrganizationInput};
use crate::domain::{optional_id, validate, DomainError};
use crate::idempotency::{self, Idempotency};
use crate::store::{LeadRecord, NewPerson, RecordKey};
use dropshot::{ErrorStatusCode, HttpResponseCreated};
use http::HeaderMap;

/// The reason SalesMap gives for a duplicate e-mail; clients match on this text.
pub const DUPLICATE_EMAIL_REASON: &str = "동일한 이메일을 가진 고객이 존재합니다.";

/// `fieldList` entries as domain field inputs. Exactly one value key must be set.
fn field_inputs(list: Option<Vec<FieldValue>>) -> Result<Vec<FieldInput>, SalesmapError> {
    let list = list.unwrap_or_default();
    let mut inputs = Vec::with_capacity(list.len());
    for (i, f) in list.into_iter().enumerate() {
        let path = format!("fieldList[{i}] ({})", f.name);
        let mut values = Vec::with_capacity(1);
        if let Some(s) = f.string_value {
            values.push(DomainValue::Text(s));
        }
        if let Some(n) = f.number_value {
            values.push(DomainValue::Number(n));
        }
        if let Some(b) = f.boolean_value {
            values.push(DomainValue::Boolean(b));
        }
        if let Some(d) = f.date_value {
            values.push(DomainValue::Date(d));
        }
        if values.len() != 1 {
            return Err(SalesmapError::new(
                ErrorStatusCode::BAD_REQUEST,
                format!(
                    "{path}: give exactly one of stringValue, numberValue, booleanValue or dateValue (got {})",
                    values.len()
                ),
            ));
        }
        inputs.push(FieldInput {
            path,
            locator: FieldLocator::Name(f.name),
            value: values.remove(0),
        });
    }
    Ok(inputs)
}

pub async fn create_people(
    ctx: &ServerContext,
    headers: &HeaderMap,
    idempotency_key: Option<String>,
    body: CreatePeopleRequest,
) -> Result<HttpResponseCreated<CreatePeopleResponse>, SalesmapError> {
    let store = ctx.store.as_ref();
    let who = auth::authenticate(store, headers, None).await?;
    validate::non_empty("name", &body.name)?;
    let key = Idempotency::from_header(idempotency_key, "salesmap_create_people", &body)?;
    let attempted_name = body.name.clone();
    let fields = field_inputs(body.field_list)?;
    let organization = optional_id(body.organization_id).map(|uuid| OrganizationInput::Existing {
        field: "organizationId",
        noun: "organization",
        key: RecordKey::Uuid(uuid),
    });
    let render = |created: &CreatedPerson| CreatePeopleResponse {
        success: true,
        data: CreatePeopleData {
            people: PeopleSummary {
                id: created.record.id.uuid.clone(),
                name: created.record.name.clone(),
                created_at: created.record.created_at,
            },
        },
    };
    let ttl = ctx.idempotency_ttl;
    let answer = idempotency::guarded(store, who.workspace.id, key, ttl, render, |write| {
        let request = CreatePerson {
            person: NewPerson {
                name: body.name,
                memo: body.memo,
                ..Default::default()
            },
            organization,
            fields,
        };
        people::create_person(store, &who, request, write)
    })
    .await;
    match answer {
        Ok(answer) => Ok(HttpResponseCreated(answer)),
        Err(DomainError::DuplicateEmail { existing }) => Err(SalesmapError {
            reason: Some(DUPLICATE_EMAIL_REASON.to_owned()),
            data: Some(DuplicatePeople {
                id: existing.uuid,
                name: attempted_name,
            }),
            ..SalesmapError::new(ErrorStatusCode::BAD_REQUEST, "Bad Request")
        }),
        Err(e) => Err(e.into()),
    }
}

pub async fn create_lead(
    ctx: &ServerContext,
    headers: &HeaderMap,
    idempotency_key: Option<String>,
    body: CreateLeadRequest,
) -> Result<HttpResponseCreated<CreateLeadResponse>, SalesmapError> {
    let store = ctx.store.as_ref();
    let who = auth::authenticate(store, headers, None).await?;
    let key = Idempotency::from_header(idempotency_key, "salesmap_create_lead", &body)?;
    let fields = field_inputs(body.field_list)?;
    let render = |lead: &LeadRecord| CreateLeadResponse {
        success: true,
        data: CreateLeadData {
            lead: LeadSummary {
                id: lead.id.uuid.clone(),
                name: lead.name.clone(),
                created_at: lead.created_at,
                people_id: lead.person.as_ref().map(|r| r.uuid.clone()),
                organization_id: lead.organization.as_ref().map(|r| r.uuid.clone()),
                pipeline_id: lead.pipeline.as_ref().map(|r| r.uuid.clone()),
                pipeline_stage_id: lead.stage.as_ref().map(|r| r.uuid.clone()),
            },
        },
    };
    let ttl = ctx.idempotency_ttl;
    let answer = idempotency::guarded(store, who.workspace.id, key, ttl, render, |write| {
        let request = CreateLead {
            name: body.name,
            person_id: body.people_id,
            organization_id: body.organization_id,
            pipeline_id: body.pipeline_id,
            stage_id: body.pipeline_stage_id,
            memo: body.memo,
            fields,
        };
        leads::create_lead(store, &who, request, write)
    })
    .await?;
    Ok(HttpResponseCreated(answer))
}

//! Creating a lead (SalesMap's 리드): linked to a person and/or an organization, and
//! optionally placed in a pipeline stage.

use super::fields::{self, FieldInput};
use super::{optional_id, validate, DomainError};
use crate::auth::Principal;
use crate::store::{Entity, IdempotentWrite, LeadRecord, NewLead, RecordKey, Store};

#[derive(Debug)]
pub struct CreateLead {
    pub name: String,
    pub person_id: Option<String>,
    pub organization_id: Option<String>,
    pub pipeline_id: Option<String>,
    pub stage_id: Option<String>,
    pub memo: Option<String>,
    pub fields: Vec<FieldInput>,
}

pub async fn create_lead(
    store: &dyn Store,
    who: &Principal,
    req: CreateLead,
    idempotency: Option<IdempotentWrite<LeadRecord>>,
) -> Result<LeadRecord, DomainError> {
    let ws = who.workspace.id;
    validate::non_empty("name", &req.name)?;
    let name = req.name;
    let person_id = optional_id(req.person_id);
    let organization_id = optional_id(req.organization_id);
    if person_id.is_none() && organization_id.is_none() {
        return Err(DomainError::invalid(
            "peopleId",
            "peopleId or organizationId is required (at least one of them)",
        ));
    }
    let person = match person_id {
        Some(uuid) => Some(
            store
                .person(ws, &RecordKey::Uuid(uuid.clone()))
                .await?
                .ok_or_else(|| DomainError::not_found("peopleId", "person", &uuid))?,
        ),
        None => None,
    };
    let organization = match organization_id {
        Some(uuid) => Some(
            store
                .organization(ws, &RecordKey::Uuid(uuid.clone()))
                .await?
                .ok_or_else(|| DomainError::not_found("organizationId", "organization", &uuid))?,
        ),
        None => None,
    };

    let (pipeline, stage) = match (optional_id(req.pipeline_id), optional_id(req.stage_id)) {
        (None, None) => (None, None),
        (None, Some(_)) => {
            return Err(DomainError::invalid(
                "pipelineStageId",
                "a stage can only be given together with its pipelineId",
            ))
        }
        (Some(pipeline_uuid), stage_uuid) => {
            let pipeline = store
                .pipeline(ws, &pipeline_uuid)
                .await?
                .ok_or_else(|| DomainError::not_found("pipelineId", "pipeline", &pipeline_uuid))?;
            let stage = match stage_uuid {
                Some(stage_uuid) => Some(
                    pipeline
                        .stages
                        .iter()
                        .find(|s| s.id.uuid == stage_uuid)
                        .ok_or_else(|| {
                            DomainError::invalid(
                                "pipelineStageId",
                                format!(
                                    "'{stage_uuid}' is not a stage of pipeline '{pipeline_uuid}'"
                                ),
                            )
                        })?
                        .id
                        .clone(),
                ),
                // The pipeline's first stage, as SalesMap does.
                None => pipeline.stages.first().map(|s| s.id.clone()),
            };
            (Some(pipeline.id), stage)
        }
    };

    let (fields, _) = fields::resolve_in(store, ws, Entity::Lead, req.fields).await?;
    if fields.has_standard() {
        // Standard column fields exist only for persons; a lead definition never
        // carries `builtin`, so this is unreachable unless the store is corrupt.
        return Err(DomainError::Internal(anyhow::anyhow!(
            "a lead field definition is marked as a standard person field"
        )));
    }
    let lead = NewLead {
        workspace_id: ws,
        name,
        person,
        organization,
        pipeline,
        stage,
        memo: req.memo,
        custom: fields.custom,
    };
    Ok(store.create_lead(lead, idempotency).await?)
}

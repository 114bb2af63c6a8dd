//! Creating a person: the record behind SalesMap's 고객, Introzy's person and
//! BigChange's person.

use super::fields::{self, FieldInput};
use super::{optional_id, required_name, DomainError};
use crate::auth::Principal;
use crate::store::{Entity, NewPerson, PersonRecord, Store};

#[derive(Debug)]
pub struct CreatePerson {
    pub name: String,
    /// The organization's uuid, as the request gave it.
    pub organization_id: Option<String>,
    pub memo: Option<String>,
    pub fields: Vec<FieldInput>,
}

/// Field names in errors are the request's own (`name`, `organizationId`, ...).
pub async fn create_person(
    store: &dyn Store,
    who: &Principal,
    req: CreatePerson,
) -> Result<PersonRecord, DomainError> {
    let ws = who.workspace.id;
    let name = required_name("name", &req.name)?;
    let organization_id = match optional_id(req.organization_id) {
        Some(uuid) => Some(
            store
                .organization(ws, &uuid)
                .await?
                .ok_or_else(|| DomainError::not_found("organizationId", "organization", &uuid))?
                .id,
        ),
        None => None,
    };
    let definitions = store.field_definitions(ws, Entity::Person).await?;
    let fields = fields::resolve(&definitions, req.fields)?;
    let person = store
        .create_person(NewPerson {
            workspace_id: ws,
            organization_id,
            name,
            email: fields.email,
            phone: fields.phone,
            position: fields.position,
            memo: req.memo,
            custom: fields.custom,
        })
        .await?;
    Ok(person)
}

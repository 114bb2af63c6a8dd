//! Creating a person: the record behind SalesMap's 고객, Introzy's person and
//! BigChange's person.

use super::fields::{self, FieldInput};
use super::{standard, DomainError};
use crate::auth::Principal;
use crate::store::{
    Entity, IdempotentWrite, NewPerson, OrganizationTarget, PersonRecord, RecordKey, Store,
};

/// The organization a request links the person to.
#[derive(Clone, Debug)]
pub enum OrganizationInput {
    /// An existing organization of the workspace, named by the request field
    /// `field`; `noun` is what the family calls an organization in errors.
    Existing {
        field: &'static str,
        noun: &'static str,
        key: RecordKey,
    },
    /// The workspace's organization of this name, or a new one; `field` names it
    /// in the request.
    Named { field: &'static str, name: String },
}

#[derive(Debug)]
pub struct CreatePerson {
    /// The person as the family validated it. The domain fills in the workspace,
    /// the organization and the custom values.
    pub person: NewPerson,
    /// What the request calls the person's name, for a conflict with the
    /// standard field 이름.
    pub name_field: &'static str,
    pub organization: Option<OrganizationInput>,
    pub fields: Vec<FieldInput>,
}

#[derive(Debug)]
pub struct CreatedPerson {
    pub record: PersonRecord,
    /// The custom values stored, by field key.
    pub custom: Vec<(String, serde_json::Value)>,
}

pub async fn create_person(
    store: &dyn Store,
    who: &Principal,
    req: CreatePerson,
    idempotency: Option<IdempotentWrite<CreatedPerson>>,
) -> Result<CreatedPerson, DomainError> {
    let ws = who.workspace.id;
    let mut person = req.person;
    person.workspace_id = ws;
    let (field, organization) = match req.organization {
        None => ("", None),
        Some(OrganizationInput::Existing { field, noun, key }) => {
            let id = store
                .organization(ws, &key)
                .await?
                .ok_or_else(|| DomainError::not_found(field, noun, &key.to_string()))?;
            (field, Some(OrganizationTarget::Existing(id)))
        }
        Some(OrganizationInput::Named { field, name }) => {
            (field, Some(OrganizationTarget::Named(name)))
        }
    };
    person.organization = organization;

    let (resolved, definitions) = fields::resolve_in(store, ws, Entity::Person, req.fields).await?;
    if let Some(given) = &resolved.name {
        standard::name(&person.name, req.name_field, given)?;
    }
    if let Some(given) = &resolved.organization {
        let requested = person.organization.take().map(|o| (field, o));
        person.organization = standard::organization(store, ws, requested, given).await?;
    }
    for (slot, value, what) in [
        (&mut person.email, resolved.email, "e-mail"),
        (&mut person.phone, resolved.phone, "phone"),
        (&mut person.position, resolved.position, "position"),
    ] {
        if let Some(value) = value {
            if slot.is_some() {
                return Err(DomainError::invalid(
                    what,
                    "given twice: as a request field and as a data field",
                ));
            }
            *slot = Some(value);
        }
    }
    // Compared by its canonical key (the store's).
    person.email = person
        .email
        .map(|e| crate::canonical::email_as_given(&e).to_owned());
    let custom: Vec<(String, serde_json::Value)> = resolved
        .custom
        .iter()
        .filter_map(|(id, value)| {
            let def = definitions.iter().find(|d| d.id.id == *id)?;
            Some((def.key.clone(), value.clone()))
        })
        .collect();
    person.custom = resolved.custom;
    let idempotency = idempotency.map(|write| {
        let custom = custom.clone();
        write.map(move |record: &PersonRecord| CreatedPerson {
            record: record.clone(),
            custom,
        })
    });
    let attempted_name = person.name.clone();
    let record =
        store
            .create_person(person, idempotency)
            .await
            .map_err(|e| match DomainError::from(e) {
                DomainError::DuplicateEmail { existing, .. } => DomainError::DuplicateEmail {
                    existing,
                    attempted_name,
                },
                e => e,
            })?;
    Ok(CreatedPerson { record, custom })
}

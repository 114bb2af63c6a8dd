//! SalesMap's standard people fields that are more than a stored value: 이름 (the
//! person's name) and 소속 기업 (the organization the person belongs to).
//! SalesMap documents them as data fields every workspace has, so `fieldList` may
//! carry them; the request has `name` and `organizationId` too, so each is checked
//! against the other: one thing given twice is taken, two different things are
//! refused naming both.

use super::fields::Given;
use super::DomainError;
use crate::canonical::name_key;
use crate::store::{OrganizationTarget, RecordKey, Store};

/// 이름 must say what the request's own name (`field`) says; both are compared
/// without surrounding whitespace, and the request's name is the one stored.
pub fn name(name: &str, field: &str, given: &Given) -> Result<(), DomainError> {
    if given.value.trim() == name.trim() {
        return Ok(());
    }
    Err(DomainError::invalid(
        &given.path,
        format!(
            "'{}' differs from {field} '{name}'; give the name once, or the same in both",
            given.value
        ),
    ))
}

/// The organization 소속 기업 names, as SalesMap's UI links one: by id (a uuid
/// must name an organization of the workspace), or by name (the workspace's
/// organization of that name, compared like every company name, or a new one).
/// Empty, it names none. `requested` is the organization the request's own field
/// names; the answer is the one organization both name.
pub async fn organization(
    store: &dyn Store,
    workspace_id: i64,
    requested: Option<(&'static str, OrganizationTarget)>,
    given: &Given,
) -> Result<Option<OrganizationTarget>, DomainError> {
    let value = given.value.trim();
    let named = if value.is_empty() {
        None
    } else if uuid::Uuid::try_parse(value).is_ok() {
        let id = store
            .organization(workspace_id, &RecordKey::Uuid(value.to_owned()))
            .await?
            .ok_or_else(|| DomainError::not_found(&given.path, "organization", value))?;
        Some(OrganizationTarget::Existing(id))
    } else {
        Some(OrganizationTarget::Named(value.to_owned()))
    };
    let (field, requested, named) = match (requested, named) {
        (None, named) => return Ok(named),
        (requested, None) => return Ok(requested.map(|(_, r)| r)),
        (Some((field, requested)), Some(named)) => (field, requested, named),
    };
    if same(store, workspace_id, &requested, &named).await? {
        return Ok(Some(requested));
    }
    let other = match &requested {
        OrganizationTarget::Existing(id) => &id.uuid,
        OrganizationTarget::Named(name) => name,
    };
    Err(DomainError::invalid(
        &given.path,
        format!(
            "'{}' is not the organization {field} names ('{other}'); give the organization once, or the same in both",
            given.value
        ),
    ))
}

async fn same(
    store: &dyn Store,
    workspace_id: i64,
    a: &OrganizationTarget,
    b: &OrganizationTarget,
) -> Result<bool, DomainError> {
    use OrganizationTarget::{Existing, Named};
    Ok(match (a, b) {
        (Existing(a), Existing(b)) => a.id == b.id,
        (Named(a), Named(b)) => name_key(a) == name_key(b),
        (Existing(id), Named(name)) | (Named(name), Existing(id)) => store
            .organization_details(workspace_id, id.id)
            .await?
            .is_some_and(|d| name_key(&d.name) == name_key(name)),
    })
}

//! The SQL of the records requests create and name: people, leads, customers and
//! organizations, with their custom field values, and the row helpers the other
//! modules share.
//!
//! Every function takes a connection and runs on whichever one it is given: the
//! writer's (inside a create's savepoint) or a pooled reader's. Nothing here
//! commits or caches; `mod.rs` decides that.

use super::super::{
    CustomValues, CustomerRecord, Entity, LeadRecord, NewCustomer, NewLead, NewPerson,
    OrganizationDetails, OrganizationRecord, OrganizationTarget, PersonRecord, RecordId, RecordKey,
    StoreError, StoreResult,
};
use crate::canonical;
use crate::time::Timestamp;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};

pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation
        && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

fn record_id(r: &rusqlite::Row<'_>) -> rusqlite::Result<RecordId> {
    Ok(RecordId {
        id: r.get(0)?,
        uuid: r.get(1)?,
    })
}

/// A record of `table` in the workspace, by uuid or integer id. `table` is one of
/// our own table names, never input.
pub fn lookup(
    conn: &Connection,
    table: &'static str,
    workspace_id: i64,
    key: &RecordKey,
) -> rusqlite::Result<Option<RecordId>> {
    match key {
        RecordKey::Uuid(uuid) => conn
            .prepare_cached(&format!(
                "SELECT id FROM {table} WHERE uuid = ?1 AND workspace_id = ?2"
            ))?
            .query_row(params![uuid, workspace_id], |r| r.get(0))
            .optional()
            .map(|id| {
                id.map(|id| RecordId {
                    id,
                    uuid: uuid.clone(),
                })
            }),
        RecordKey::Id(id) => conn
            .prepare_cached(&format!(
                "SELECT uuid FROM {table} WHERE id = ?1 AND workspace_id = ?2"
            ))?
            .query_row(params![id, workspace_id], |r| r.get(0))
            .optional()
            .map(|uuid| uuid.map(|uuid| RecordId { id: *id, uuid })),
    }
}

/// An organization named by `crm admin`. Names are unique per workspace.
pub fn create_organization(
    conn: &Connection,
    workspace_id: i64,
    name: String,
) -> StoreResult<OrganizationRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now().to_rfc3339_millis();
    conn.execute(
        "INSERT INTO organizations (uuid, workspace_id, name, name_norm, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
        params![uuid, workspace_id, name, canonical::name_key(&name), now],
    )
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::DuplicateOrganizationName { name: name.clone() }
        } else {
            e.into()
        }
    })?;
    let id = RecordId {
        id: conn.last_insert_rowid(),
        uuid,
    };
    Ok(OrganizationRecord { id, name })
}

/// The workspace's organization named `name` (compared by
/// [`canonical::name_key`]), created if missing. Runs inside the writer, so it
/// cannot race another create.
fn find_or_create_organization(
    conn: &Connection,
    workspace_id: i64,
    name: &str,
    now: &str,
) -> rusqlite::Result<RecordId> {
    let norm = canonical::name_key(name);
    conn.prepare_cached(
        "INSERT INTO organizations (uuid, workspace_id, name, name_norm, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (workspace_id, name_norm) DO NOTHING",
    )?
    .execute(params![new_uuid(), workspace_id, name.trim(), norm, now])?;
    conn.prepare_cached(
        "SELECT id, uuid FROM organizations WHERE workspace_id = ?1 AND name_norm = ?2",
    )?
    .query_row(params![workspace_id, norm], record_id)
}

pub fn organization_details(
    conn: &Connection,
    workspace_id: i64,
    id: i64,
) -> rusqlite::Result<Option<OrganizationDetails>> {
    let Some((uuid, name, industry, website)) = conn
        .prepare_cached(
            "SELECT uuid, name, industry, website FROM organizations
             WHERE id = ?1 AND workspace_id = ?2",
        )?
        .query_row(params![id, workspace_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let custom = custom_values(conn, Entity::Organization, id)?;
    Ok(Some(OrganizationDetails {
        id: RecordId { id, uuid },
        name,
        industry,
        website,
        custom,
    }))
}

fn insert_custom_values(
    conn: &Connection,
    record_id: i64,
    custom: &CustomValues,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO field_values (definition_id, record_id, value) VALUES (?1, ?2, ?3)",
    )?;
    for (definition_id, value) in custom {
        stmt.execute(params![definition_id, record_id, value.to_string()])?;
    }
    Ok(())
}

/// A record's custom field values, by field key.
fn custom_values(
    conn: &Connection,
    entity: Entity,
    record_id: i64,
) -> rusqlite::Result<Vec<(String, serde_json::Value)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.key, v.value FROM field_values v
         JOIN field_definitions d ON d.id = v.definition_id
         WHERE v.record_id = ?1 AND d.entity = ?2 ORDER BY d.id",
    )?;
    let rows = stmt.query_map(params![record_id, entity.as_str()], |r| {
        let key: String = r.get(0)?;
        let value: String = r.get(1)?;
        let value = serde_json::from_str(&value).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
        })?;
        Ok((key, value))
    })?;
    rows.collect()
}

/// The existing record a unique violation on `sql`'s key collided with.
fn existing(
    conn: &Connection,
    sql: &str,
    workspace_id: i64,
    key: &Option<String>,
) -> StoreResult<RecordId> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params![workspace_id, key], record_id)?)
}

/// Inserts the person; `email_norm` is [`canonical::stored_email_key`] of its
/// e-mail.
pub fn create_person(
    conn: &Connection,
    p: NewPerson,
    email_norm: Option<String>,
) -> StoreResult<PersonRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now();
    let now_s = now.to_rfc3339_millis();
    let organization = match &p.organization {
        None => None,
        Some(OrganizationTarget::Existing(id)) => Some(id.clone()),
        Some(OrganizationTarget::Named(name)) => Some(find_or_create_organization(
            conn,
            p.workspace_id,
            name,
            &now_s,
        )?),
    };
    let inserted = conn
        .prepare_cached(
            "INSERT INTO people (uuid, workspace_id, organization_id, name, first_name,
                 last_name, email, email_norm, phone, mobile, landline, extension, title,
                 position, department, address, memo, is_opted_out, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                     ?16, ?17, ?18, ?19, ?19)",
        )?
        .execute(params![
            uuid,
            p.workspace_id,
            organization.as_ref().map(|o| o.id),
            p.name,
            p.first_name,
            p.last_name,
            p.email,
            email_norm,
            p.phone,
            p.mobile,
            p.landline,
            p.extension,
            p.title,
            p.position,
            p.department,
            p.address,
            p.memo,
            p.is_opted_out,
            now_s
        ]);
    match inserted {
        Ok(_) => {}
        Err(e) if is_unique_violation(&e) && email_norm.is_some() => {
            let sql = "SELECT id, uuid FROM people WHERE workspace_id = ?1 AND email_norm = ?2";
            let existing = existing(conn, sql, p.workspace_id, &email_norm)?;
            return Err(StoreError::DuplicateEmail { existing });
        }
        Err(e) => return Err(e.into()),
    }
    let id = conn.last_insert_rowid();
    insert_custom_values(conn, id, &p.custom)?;
    let organization_details = match &organization {
        Some(org) if p.with_organization_details => {
            organization_details(conn, p.workspace_id, org.id)?
        }
        _ => None,
    };
    Ok(PersonRecord {
        id: RecordId { id, uuid },
        name: p.name,
        email: p.email,
        organization,
        organization_details,
        created_at: now,
        updated_at: now,
    })
}

pub fn create_lead(conn: &Connection, l: NewLead) -> StoreResult<LeadRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now();
    let id_of = |r: &Option<RecordId>| r.as_ref().map(|r| r.id);
    conn.prepare_cached(
        "INSERT INTO leads (uuid, workspace_id, name, person_id, organization_id,
                            pipeline_id, stage_id, memo, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
    )?
    .execute(params![
        uuid,
        l.workspace_id,
        l.name,
        id_of(&l.person),
        id_of(&l.organization),
        id_of(&l.pipeline),
        id_of(&l.stage),
        l.memo,
        now.to_rfc3339_millis()
    ])?;
    let id = conn.last_insert_rowid();
    insert_custom_values(conn, id, &l.custom)?;
    Ok(LeadRecord {
        id: RecordId { id, uuid },
        name: l.name,
        created_at: now,
        person: l.person,
        organization: l.organization,
        pipeline: l.pipeline,
        stage: l.stage,
    })
}

pub fn create_customer(conn: &Connection, c: NewCustomer) -> StoreResult<CustomerRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now();
    conn.prepare_cached(
        "INSERT INTO customers (uuid, workspace_id, vendor_uuid, reference_id,
                 date_of_birth, address_street, address_neighborhood, address_city,
                 address_state, address_country, gender, marital_status, published_at,
                 created_by, updated_by, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14,
                     ?13, ?13)",
    )?
    .execute(params![
        uuid,
        c.workspace_id,
        c.vendor_uuid,
        c.reference_id,
        c.date_of_birth,
        c.address_street,
        c.address_neighborhood,
        c.address_city,
        c.address_state,
        c.address_country,
        c.gender,
        c.marital_status,
        now.to_rfc3339_millis(),
        c.created_by
    ])?;
    let id = RecordId {
        id: conn.last_insert_rowid(),
        uuid,
    };
    Ok(CustomerRecord {
        id,
        customer: c,
        published_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(extended_code: std::os::raw::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(extended_code), None)
    }

    /// Only a unique key taken is a duplicate; any other failure of the same
    /// insert (a missing link, a busy or failing disk) must not be answered as one.
    #[test]
    fn only_a_taken_unique_key_is_a_unique_violation() {
        use rusqlite::ffi;
        assert!(is_unique_violation(&failure(ffi::SQLITE_CONSTRAINT_UNIQUE)));
        assert!(is_unique_violation(&failure(
            ffi::SQLITE_CONSTRAINT_PRIMARYKEY
        )));
        for other in [
            ffi::SQLITE_CONSTRAINT_FOREIGNKEY,
            ffi::SQLITE_CONSTRAINT_NOTNULL,
            ffi::SQLITE_CONSTRAINT_CHECK,
            ffi::SQLITE_BUSY,
            ffi::SQLITE_IOERR_FSYNC,
        ] {
            assert!(!is_unique_violation(&failure(other)), "{other}");
        }
        assert!(!is_unique_violation(&rusqlite::Error::QueryReturnedNoRows));
    }
}

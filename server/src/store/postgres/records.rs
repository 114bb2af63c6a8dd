//! The PostgreSQL SQL of the records requests create and name: people, leads,
//! customers and organizations, with their custom field values. The same rows as
//! `sqlite/records.rs` writes, with the database's own unique indexes deciding
//! duplicates: `INSERT … ON CONFLICT DO NOTHING` waits for a concurrent insert of
//! the same key (on any server) to commit or roll back, then either inserts or
//! reports the conflict, without aborting the transaction.
//!
//! Every function runs on whatever it is given: a transaction (creates) or a
//! pooled connection (lookups). Nothing here commits or caches; `mod.rs` decides.

use crate::canonical;
use crate::store::{
    CustomValues, CustomerRecord, Entity, LeadRecord, NewCustomer, NewLead, NewPerson,
    OrganizationDetails, OrganizationRecord, OrganizationTarget, PersonRecord, RecordId, RecordKey,
    StoreError, StoreResult,
};
use crate::time::Timestamp;
use deadpool_postgres::GenericClient;
use tokio_postgres::types::ToSql;
use tokio_postgres::Row;

pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// One statement, prepared once per connection, and its rows.
pub async fn query<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<Row>, tokio_postgres::Error> {
    let statement = c.prepare_cached(sql).await?;
    c.query(&statement, params).await
}

/// [`query`]'s first row, if any.
pub async fn query_opt<C: GenericClient>(
    c: &C,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>, tokio_postgres::Error> {
    Ok(query(c, sql, params).await?.into_iter().next())
}

fn record_id(r: &Row) -> RecordId {
    RecordId {
        id: r.get(0),
        uuid: r.get(1),
    }
}

/// A record of `table` in the workspace, by uuid or integer id. `table` is one of
/// our own table names, never input.
pub async fn lookup<C: GenericClient>(
    c: &C,
    table: &'static str,
    workspace_id: i64,
    key: &RecordKey,
) -> StoreResult<Option<RecordId>> {
    let row = match key {
        RecordKey::Uuid(uuid) => {
            let sql = format!("SELECT id, uuid FROM {table} WHERE uuid = $1 AND workspace_id = $2");
            query_opt(c, &sql, &[uuid, &workspace_id]).await?
        }
        RecordKey::Id(id) => {
            let sql = format!("SELECT id, uuid FROM {table} WHERE id = $1 AND workspace_id = $2");
            query_opt(c, &sql, &[id, &workspace_id]).await?
        }
    };
    Ok(row.as_ref().map(record_id))
}

const INSERT_ORGANIZATION: &str =
    "INSERT INTO organizations (uuid, workspace_id, name, name_norm, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $5)
     ON CONFLICT (workspace_id, name_norm) DO NOTHING
     RETURNING id, uuid";

/// An organization named by `crm admin`. Names are unique per workspace.
pub async fn create_organization<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    name: String,
) -> StoreResult<OrganizationRecord> {
    let now = Timestamp::now().to_rfc3339_millis();
    let norm = canonical::name_key(&name);
    let params: [&(dyn ToSql + Sync); 5] = [&new_uuid(), &workspace_id, &name, &norm, &now];
    match query_opt(c, INSERT_ORGANIZATION, &params).await? {
        Some(row) => Ok(OrganizationRecord {
            id: record_id(&row),
            name,
        }),
        None => Err(StoreError::DuplicateOrganizationName { name }),
    }
}

/// The workspace's organization named `name` (compared by
/// [`canonical::name_key`]), created if missing: of concurrent creates naming
/// one new company, on any server, one inserts it and the others find it.
async fn find_or_create_organization<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    name: &str,
    now: &str,
) -> StoreResult<RecordId> {
    let norm = canonical::name_key(name);
    let params: [&(dyn ToSql + Sync); 5] = [&new_uuid(), &workspace_id, &name.trim(), &norm, &now];
    if let Some(row) = query_opt(c, INSERT_ORGANIZATION, &params).await? {
        return Ok(record_id(&row));
    }
    let sql = "SELECT id, uuid FROM organizations WHERE workspace_id = $1 AND name_norm = $2";
    match query_opt(c, sql, &[&workspace_id, &norm]).await? {
        Some(row) => Ok(record_id(&row)),
        None => Err(StoreError::Internal(anyhow::anyhow!(
            "organization {norm:?} conflicted on insert but cannot be read"
        ))),
    }
}

pub async fn organization_details<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    id: i64,
) -> StoreResult<Option<OrganizationDetails>> {
    let sql = "SELECT uuid, name, industry, website FROM organizations
               WHERE id = $1 AND workspace_id = $2";
    let Some(row) = query_opt(c, sql, &[&id, &workspace_id]).await? else {
        return Ok(None);
    };
    Ok(Some(OrganizationDetails {
        id: RecordId {
            id,
            uuid: row.get(0),
        },
        name: row.get(1),
        industry: row.get(2),
        website: row.get(3),
        custom: custom_values(c, Entity::Organization, id).await?,
    }))
}

async fn insert_custom_values<C: GenericClient>(
    c: &C,
    record_id: i64,
    custom: &CustomValues,
) -> StoreResult<()> {
    let sql = "INSERT INTO field_values (definition_id, record_id, value) VALUES ($1, $2, $3)";
    for (definition_id, value) in custom {
        query(c, sql, &[definition_id, &record_id, &value.to_string()]).await?;
    }
    Ok(())
}

/// A record's custom field values, by field key.
async fn custom_values<C: GenericClient>(
    c: &C,
    entity: Entity,
    record_id: i64,
) -> StoreResult<Vec<(String, serde_json::Value)>> {
    let sql = "SELECT d.key, v.value FROM field_values v
               JOIN field_definitions d ON d.id = v.definition_id
               WHERE v.record_id = $1 AND d.entity = $2 ORDER BY d.id";
    query(c, sql, &[&record_id, &entity.as_str()])
        .await?
        .iter()
        .map(|r| {
            let value: String = r.get(1);
            let value = serde_json::from_str(&value)
                .map_err(|e| StoreError::Internal(anyhow::anyhow!("a stored field value: {e}")))?;
            Ok((r.get(0), value))
        })
        .collect()
}

/// Inserts the person; `email_norm` is [`canonical::stored_email_key`] of its
/// e-mail.
pub async fn create_person<C: GenericClient>(
    c: &C,
    p: NewPerson,
    email_norm: Option<String>,
) -> StoreResult<PersonRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now();
    let now_s = now.to_rfc3339_millis();
    let organization = match &p.organization {
        None => None,
        Some(OrganizationTarget::Existing(id)) => Some(id.clone()),
        Some(OrganizationTarget::Named(name)) => {
            Some(find_or_create_organization(c, p.workspace_id, name, &now_s).await?)
        }
    };
    let sql = "INSERT INTO people (uuid, workspace_id, organization_id, name, first_name,
                   last_name, email, email_norm, phone, mobile, landline, extension, title,
                   position, department, address, memo, is_opted_out, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                       $16, $17, $18, $19, $19)
               ON CONFLICT (workspace_id, email_norm) DO NOTHING
               RETURNING id";
    let inserted = query_opt(
        c,
        sql,
        &[
            &uuid,
            &p.workspace_id,
            &organization.as_ref().map(|o| o.id),
            &p.name,
            &p.first_name,
            &p.last_name,
            &p.email,
            &email_norm,
            &p.phone,
            &p.mobile,
            &p.landline,
            &p.extension,
            &p.title,
            &p.position,
            &p.department,
            &p.address,
            &p.memo,
            &i64::from(p.is_opted_out),
            &now_s,
        ],
    )
    .await?;
    let Some(row) = inserted else {
        let sql = "SELECT id, uuid FROM people WHERE workspace_id = $1 AND email_norm = $2";
        let existing = query_opt(c, sql, &[&p.workspace_id, &email_norm]).await?;
        return Err(match existing {
            Some(row) => StoreError::DuplicateEmail {
                existing: record_id(&row),
            },
            None => StoreError::Internal(anyhow::anyhow!(
                "a person's e-mail conflicted on insert but its holder cannot be read"
            )),
        });
    };
    let id: i64 = row.get(0);
    insert_custom_values(c, id, &p.custom).await?;
    let organization_details = match &organization {
        Some(org) if p.with_organization_details => {
            organization_details(c, p.workspace_id, org.id).await?
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

pub async fn create_lead<C: GenericClient>(c: &C, l: NewLead) -> StoreResult<LeadRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now();
    let id_of = |r: &Option<RecordId>| r.as_ref().map(|r| r.id);
    let sql = "INSERT INTO leads (uuid, workspace_id, name, person_id, organization_id,
                                  pipeline_id, stage_id, memo, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
               RETURNING id";
    let row = query(
        c,
        sql,
        &[
            &uuid,
            &l.workspace_id,
            &l.name,
            &id_of(&l.person),
            &id_of(&l.organization),
            &id_of(&l.pipeline),
            &id_of(&l.stage),
            &l.memo,
            &now.to_rfc3339_millis(),
        ],
    )
    .await?;
    let id: i64 = one(&row)?.get(0);
    insert_custom_values(c, id, &l.custom).await?;
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

pub async fn create_customer<C: GenericClient>(
    c: &C,
    customer: NewCustomer,
) -> StoreResult<CustomerRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now();
    let sql = "INSERT INTO customers (uuid, workspace_id, vendor_uuid, reference_id,
                   date_of_birth, address_street, address_neighborhood, address_city,
                   address_state, address_country, gender, marital_status, published_at,
                   created_by, updated_by, created_at, updated_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14,
                       $13, $13)
               RETURNING id";
    let c_ = &customer;
    let row = query(
        c,
        sql,
        &[
            &uuid,
            &c_.workspace_id,
            &c_.vendor_uuid,
            &c_.reference_id,
            &c_.date_of_birth,
            &c_.address_street,
            &c_.address_neighborhood,
            &c_.address_city,
            &c_.address_state,
            &c_.address_country,
            &c_.gender,
            &c_.marital_status,
            &now.to_rfc3339_millis(),
            &c_.created_by,
        ],
    )
    .await?;
    let id = RecordId {
        id: one(&row)?.get(0),
        uuid,
    };
    Ok(CustomerRecord {
        id,
        customer,
        published_at: now,
    })
}

/// The one row an `INSERT … RETURNING` without `ON CONFLICT` gives.
pub fn one(rows: &[Row]) -> StoreResult<&Row> {
    rows.first()
        .ok_or_else(|| StoreError::Internal(anyhow::anyhow!("an INSERT returned no row")))
}

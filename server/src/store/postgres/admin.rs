//! The PostgreSQL SQL of a workspace's configuration: workspaces, tokens,
//! pipelines and field definitions, as `sqlite/admin.rs` writes them. `crm admin`
//! and the first-run bootstrap write them; requests only read them.

use super::records::{new_uuid, one, query, query_opt};
use crate::store::{
    Builtin, Entity, FieldDefinition, FieldType, NewFieldDefinition, NewToken, PipelineRecord,
    RecordId, StageRecord, StoreError, StoreResult, TokenInfo, TokenRecord, WorkspaceRecord,
    STANDARD_PERSON_FIELDS,
};
use crate::time::Timestamp;
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;

/// Serializes workspace creation across every server and `crm admin`: the
/// schema's one-row version table, locked for the transaction. Portable where
/// advisory locks are not.
pub async fn lock_workspaces<C: GenericClient>(c: &C) -> StoreResult<()> {
    query(c, "SELECT version FROM crm_schema FOR UPDATE", &[]).await?;
    Ok(())
}

pub async fn workspace_count<C: GenericClient>(c: &C) -> StoreResult<i64> {
    Ok(one(&query(c, "SELECT count(*) FROM workspaces", &[]).await?)?.get(0))
}

/// A workspace by integer id or uuid.
pub async fn workspace<C: GenericClient>(c: &C, key: &str) -> StoreResult<Option<WorkspaceRecord>> {
    let sql = "SELECT id, uuid, name FROM workspaces WHERE uuid = $1 OR CAST(id AS TEXT) = $1";
    Ok(query_opt(c, sql, &[&key]).await?.map(|r| {
        let id: i64 = r.get(0);
        WorkspaceRecord {
            id: RecordId { id, uuid: r.get(1) },
            name: r.get(2),
            customer_id: id,
        }
    }))
}

/// The workspace with its standard data fields.
pub async fn create_workspace<C: GenericClient>(
    c: &C,
    name: String,
) -> StoreResult<WorkspaceRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now().to_rfc3339_millis();
    let sql = "INSERT INTO workspaces (uuid, name, created_at) VALUES ($1, $2, $3) RETURNING id";
    let id: i64 = one(&query(c, sql, &[&uuid, &name, &now]).await?)?.get(0);
    for &(field_name, key, field_type, builtin) in STANDARD_PERSON_FIELDS {
        let def = NewFieldDefinition {
            workspace_id: id,
            entity: Entity::Person,
            name: field_name.to_owned(),
            key: key.to_owned(),
            field_type,
            options: Vec::new(),
        };
        insert_field_definition(c, &def, builtin, &now).await?;
    }
    Ok(WorkspaceRecord {
        id: RecordId { id, uuid },
        name,
        customer_id: id,
    })
}

pub async fn create_token<C: GenericClient>(c: &C, t: NewToken) -> StoreResult<i64> {
    let sql = "INSERT INTO tokens (workspace_id, token_hash, label, scopes, created_at, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";
    let rows = query(
        c,
        sql,
        &[
            &t.workspace_id,
            &&t.secret_hash[..],
            &t.label,
            &t.scopes.join(" "),
            &Timestamp::now().to_rfc3339_millis(),
            &t.expires_at.map(|e| e.to_rfc3339_millis()),
        ],
    )
    .await?;
    Ok(one(&rows)?.get(0))
}

fn time(r: &Row, i: usize) -> Option<Timestamp> {
    r.get::<_, Option<String>>(i)
        .as_deref()
        .and_then(Timestamp::parse)
}

fn scopes(r: &Row, i: usize) -> Vec<String> {
    r.get::<_, String>(i)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

pub async fn token_by_hash<C: GenericClient>(
    c: &C,
    hash: &[u8; 32],
) -> StoreResult<Option<TokenRecord>> {
    let sql = "SELECT t.id, t.label, t.scopes, t.expires_at, w.id, w.uuid
               FROM tokens t JOIN workspaces w ON w.id = t.workspace_id
               WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
    Ok(query_opt(c, sql, &[&&hash[..]])
        .await?
        .map(|r| TokenRecord {
            token_id: r.get(0),
            label: r.get(1),
            scopes: scopes(&r, 2),
            expires_at: time(&r, 3),
            workspace: RecordId {
                id: r.get(4),
                uuid: r.get(5),
            },
        }))
}

const TOKEN_INFO: &str = "SELECT t.id, t.label, t.scopes, t.created_at, t.expires_at, t.revoked_at,
        w.id, w.uuid FROM tokens t JOIN workspaces w ON w.id = t.workspace_id";

fn token_info(r: &Row) -> TokenInfo {
    TokenInfo {
        token_id: r.get(0),
        label: r.get(1),
        scopes: scopes(r, 2),
        created_at: time(r, 3),
        expires_at: time(r, 4),
        revoked_at: time(r, 5),
        workspace: RecordId {
            id: r.get(6),
            uuid: r.get(7),
        },
    }
}

/// The workspace's tokens, oldest first.
pub async fn tokens<C: GenericClient>(c: &C, workspace_id: i64) -> StoreResult<Vec<TokenInfo>> {
    let sql = format!("{TOKEN_INFO} WHERE t.workspace_id = $1 ORDER BY t.id");
    Ok(query(c, &sql, &[&workspace_id])
        .await?
        .iter()
        .map(token_info)
        .collect())
}

/// Stamps the token revoked (keeping the first stamp); None if there is none.
pub async fn revoke_token<C: GenericClient>(
    c: &C,
    token_id: i64,
) -> StoreResult<Option<TokenInfo>> {
    let sql = "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
    let now = Timestamp::now().to_rfc3339_millis();
    query(c, sql, &[&token_id, &now]).await?;
    let sql = format!("{TOKEN_INFO} WHERE t.id = $1");
    Ok(query_opt(c, &sql, &[&token_id])
        .await?
        .as_ref()
        .map(token_info))
}

pub async fn create_pipeline<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    name: String,
    stage_names: Vec<String>,
) -> StoreResult<PipelineRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now().to_rfc3339_millis();
    let sql = "INSERT INTO pipelines (uuid, workspace_id, name, created_at)
               VALUES ($1, $2, $3, $4) RETURNING id";
    let pipeline_id: i64 = one(&query(c, sql, &[&uuid, &workspace_id, &name, &now]).await?)?.get(0);
    let mut stages = Vec::with_capacity(stage_names.len());
    let sql = "INSERT INTO pipeline_stages (uuid, pipeline_id, position, name)
               VALUES ($1, $2, $3, $4) RETURNING id";
    for (position, stage_name) in stage_names.into_iter().enumerate() {
        let stage_uuid = new_uuid();
        let position = position as i64;
        let rows = query(c, sql, &[&stage_uuid, &pipeline_id, &position, &stage_name]).await?;
        stages.push(StageRecord {
            id: RecordId {
                id: one(&rows)?.get(0),
                uuid: stage_uuid,
            },
            name: stage_name,
            position,
        });
    }
    Ok(PipelineRecord {
        id: RecordId {
            id: pipeline_id,
            uuid,
        },
        name,
        stages,
    })
}

pub async fn pipeline<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    uuid: &str,
) -> StoreResult<Option<PipelineRecord>> {
    let sql = "SELECT id, name FROM pipelines WHERE uuid = $1 AND workspace_id = $2";
    let Some(row) = query_opt(c, sql, &[&uuid, &workspace_id]).await? else {
        return Ok(None);
    };
    let id: i64 = row.get(0);
    let sql = "SELECT id, uuid, name, position FROM pipeline_stages
               WHERE pipeline_id = $1 ORDER BY position";
    let stages = query(c, sql, &[&id])
        .await?
        .iter()
        .map(|r| StageRecord {
            id: RecordId {
                id: r.get(0),
                uuid: r.get(1),
            },
            name: r.get(2),
            position: r.get(3),
        })
        .collect();
    Ok(Some(PipelineRecord {
        id: RecordId {
            id,
            uuid: uuid.to_owned(),
        },
        name: row.get(1),
        stages,
    }))
}

pub async fn create_field_definition<C: GenericClient>(
    c: &C,
    def: NewFieldDefinition,
) -> StoreResult<FieldDefinition> {
    let now = Timestamp::now().to_rfc3339_millis();
    insert_field_definition(c, &def, None, &now)
        .await?
        .ok_or_else(|| {
            StoreError::Internal(anyhow::anyhow!(
                "a {} field named {:?} or keyed {:?} already exists in this workspace",
                def.entity.as_str(),
                def.name,
                def.key
            ))
        })
}

/// None if the workspace already has a field of that entity with that name or key.
async fn insert_field_definition<C: GenericClient>(
    c: &C,
    def: &NewFieldDefinition,
    builtin: Option<Builtin>,
    now: &str,
) -> StoreResult<Option<FieldDefinition>> {
    let uuid = new_uuid();
    let options =
        (!def.options.is_empty()).then(|| serde_json::Value::from(def.options.clone()).to_string());
    let sql = "INSERT INTO field_definitions
                 (uuid, workspace_id, entity, name, key, type, options, builtin, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT DO NOTHING
               RETURNING id";
    let row = query_opt(
        c,
        sql,
        &[
            &uuid,
            &def.workspace_id,
            &def.entity.as_str(),
            &def.name,
            &def.key,
            &def.field_type.as_str(),
            &options,
            &builtin.map(Builtin::as_str),
            &now,
        ],
    )
    .await?;
    Ok(row.map(|row| FieldDefinition {
        id: RecordId {
            id: row.get(0),
            uuid,
        },
        entity: def.entity,
        name: def.name.clone(),
        key: def.key.clone(),
        field_type: def.field_type,
        options: def.options.clone(),
        builtin,
    }))
}

/// The workspace's definitions for `entity`, oldest first.
pub async fn field_definitions<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    entity: Entity,
) -> StoreResult<Vec<FieldDefinition>> {
    let sql = "SELECT id, uuid, name, key, type, options, builtin FROM field_definitions
               WHERE workspace_id = $1 AND entity = $2 ORDER BY id";
    query(c, sql, &[&workspace_id, &entity.as_str()])
        .await?
        .iter()
        .map(|r| {
            let bad = |what: &str, v: &str| {
                StoreError::Internal(anyhow::anyhow!("unknown {what} {v:?} in field_definitions"))
            };
            let field_type: String = r.get(4);
            let options: Option<String> = r.get(5);
            let builtin: Option<String> = r.get(6);
            Ok(FieldDefinition {
                id: RecordId {
                    id: r.get(0),
                    uuid: r.get(1),
                },
                entity,
                name: r.get(2),
                key: r.get(3),
                field_type: FieldType::parse(&field_type)
                    .ok_or_else(|| bad("type", &field_type))?,
                options: match options {
                    Some(json) => serde_json::from_str(&json)
                        .map_err(|e| StoreError::Internal(anyhow::anyhow!("field options: {e}")))?,
                    None => Vec::new(),
                },
                builtin: match builtin {
                    Some(b) => Some(Builtin::parse(&b).ok_or_else(|| bad("builtin", &b))?),
                    None => None,
                },
            })
        })
        .collect()
}

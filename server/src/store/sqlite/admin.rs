//! The SQL of a workspace's configuration: workspaces, tokens, pipelines and field
//! definitions. `crm admin` and the first-run bootstrap write them ([`AdminStore`]);
//! requests only read them (a token by its hash, a pipeline, the definitions), and
//! those reads live here too, beside the rows' layout. Organizations, which
//! requests also create, are in `records.rs`.
//!
//! [`AdminStore`]: crate::store::AdminStore

use super::super::{
    Builtin, Entity, FieldDefinition, FieldType, NewFieldDefinition, NewToken, PipelineRecord,
    RecordId, StageRecord, StoreError, StoreResult, TokenInfo, TokenRecord, WorkspaceRecord,
    STANDARD_PERSON_FIELDS,
};
use super::records::{is_unique_violation, new_uuid};
use crate::time::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};

pub fn workspace_count(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))
}

/// A workspace by integer id or uuid.
pub fn workspace(conn: &Connection, key: &str) -> rusqlite::Result<Option<WorkspaceRecord>> {
    conn.query_row(
        "SELECT id, uuid, name FROM workspaces WHERE uuid = ?1 OR CAST(id AS TEXT) = ?1",
        [key],
        |r| {
            let id: i64 = r.get(0)?;
            Ok(WorkspaceRecord {
                id: RecordId {
                    id,
                    uuid: r.get(1)?,
                },
                name: r.get(2)?,
                customer_id: id,
            })
        },
    )
    .optional()
}

/// The workspace with its standard data fields.
pub fn create_workspace(conn: &Connection, name: String) -> StoreResult<WorkspaceRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now().to_rfc3339_millis();
    conn.execute(
        "INSERT INTO workspaces (uuid, name, created_at) VALUES (?1, ?2, ?3)",
        params![uuid, name, now],
    )?;
    let id = conn.last_insert_rowid();
    for standard in STANDARD_PERSON_FIELDS {
        insert_standard_field(conn, id, standard, &now)?;
    }
    Ok(WorkspaceRecord {
        id: RecordId { id, uuid },
        name,
        customer_id: id,
    })
}

pub(super) type StandardField = (&'static str, &'static str, FieldType, Option<Builtin>);

pub(super) fn insert_standard_field(
    conn: &Connection,
    workspace_id: i64,
    &(name, key, field_type, builtin): &StandardField,
    now: &str,
) -> rusqlite::Result<FieldDefinition> {
    let def = NewFieldDefinition {
        workspace_id,
        entity: Entity::Person,
        name: name.to_owned(),
        key: key.to_owned(),
        field_type,
        options: Vec::new(),
    };
    insert_field_definition(conn, &def, builtin, now)
}

pub fn create_token(conn: &Connection, t: NewToken) -> StoreResult<i64> {
    conn.execute(
        "INSERT INTO tokens (workspace_id, token_hash, label, scopes, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            t.workspace_id,
            &t.secret_hash[..],
            t.label,
            t.scopes.join(" "),
            Timestamp::now().to_rfc3339_millis(),
            t.expires_at.map(|e| e.to_rfc3339_millis())
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn token_by_hash(conn: &Connection, hash: &[u8; 32]) -> rusqlite::Result<Option<TokenRecord>> {
    conn.prepare_cached(
        "SELECT t.id, t.label, t.scopes, t.expires_at, w.id, w.uuid
         FROM tokens t JOIN workspaces w ON w.id = t.workspace_id
         WHERE t.token_hash = ?1 AND t.revoked_at IS NULL",
    )?
    .query_row([&hash[..]], |r| {
        let scopes: String = r.get(2)?;
        let expires: Option<String> = r.get(3)?;
        Ok(TokenRecord {
            token_id: r.get(0)?,
            label: r.get(1)?,
            scopes: scopes.split_whitespace().map(str::to_owned).collect(),
            expires_at: expires.as_deref().and_then(Timestamp::parse),
            workspace: RecordId {
                id: r.get(4)?,
                uuid: r.get(5)?,
            },
        })
    })
    .optional()
}

const TOKEN_INFO: &str = "SELECT t.id, t.label, t.scopes, t.created_at, t.expires_at, t.revoked_at,
        w.id, w.uuid FROM tokens t JOIN workspaces w ON w.id = t.workspace_id";

fn token_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<TokenInfo> {
    let time = |i: usize| -> rusqlite::Result<_> {
        let text: Option<String> = r.get(i)?;
        Ok(text.as_deref().and_then(Timestamp::parse))
    };
    let scopes: String = r.get(2)?;
    Ok(TokenInfo {
        token_id: r.get(0)?,
        label: r.get(1)?,
        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
        created_at: time(3)?,
        expires_at: time(4)?,
        revoked_at: time(5)?,
        workspace: RecordId {
            id: r.get(6)?,
            uuid: r.get(7)?,
        },
    })
}

/// The workspace's tokens, oldest first.
pub fn tokens(conn: &Connection, workspace_id: i64) -> rusqlite::Result<Vec<TokenInfo>> {
    conn.prepare(&format!(
        "{TOKEN_INFO} WHERE t.workspace_id = ?1 ORDER BY t.id"
    ))?
    .query_map([workspace_id], token_info)?
    .collect()
}

/// Stamps the token revoked (keeping the first stamp); None if there is none.
pub fn revoke_token(conn: &Connection, token_id: i64) -> StoreResult<Option<TokenInfo>> {
    conn.execute(
        "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
        params![token_id, Timestamp::now().to_rfc3339_millis()],
    )?;
    Ok(conn
        .query_row(
            &format!("{TOKEN_INFO} WHERE t.id = ?1"),
            [token_id],
            token_info,
        )
        .optional()?)
}

pub fn create_pipeline(
    conn: &Connection,
    workspace_id: i64,
    name: String,
    stage_names: Vec<String>,
) -> StoreResult<PipelineRecord> {
    let uuid = new_uuid();
    let now = Timestamp::now().to_rfc3339_millis();
    conn.execute(
        "INSERT INTO pipelines (uuid, workspace_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![uuid, workspace_id, name, now],
    )?;
    let pipeline_id = conn.last_insert_rowid();
    let mut stages = Vec::with_capacity(stage_names.len());
    for (position, stage_name) in stage_names.into_iter().enumerate() {
        let stage_uuid = new_uuid();
        conn.execute(
            "INSERT INTO pipeline_stages (uuid, pipeline_id, position, name)
             VALUES (?1, ?2, ?3, ?4)",
            params![stage_uuid, pipeline_id, position as i64, stage_name],
        )?;
        stages.push(StageRecord {
            id: RecordId {
                id: conn.last_insert_rowid(),
                uuid: stage_uuid,
            },
            name: stage_name,
            position: position as i64,
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

pub fn pipeline(
    conn: &Connection,
    workspace_id: i64,
    uuid: String,
) -> rusqlite::Result<Option<PipelineRecord>> {
    let Some((id, name)) = conn
        .prepare_cached("SELECT id, name FROM pipelines WHERE uuid = ?1 AND workspace_id = ?2")?
        .query_row(params![uuid, workspace_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, uuid, name, position FROM pipeline_stages
         WHERE pipeline_id = ?1 ORDER BY position",
    )?;
    let stages = stmt
        .query_map([id], |r| {
            Ok(StageRecord {
                id: RecordId {
                    id: r.get(0)?,
                    uuid: r.get(1)?,
                },
                name: r.get(2)?,
                position: r.get(3)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Some(PipelineRecord {
        id: RecordId { id, uuid },
        name,
        stages,
    }))
}

pub fn create_field_definition(
    conn: &Connection,
    def: NewFieldDefinition,
) -> StoreResult<FieldDefinition> {
    let now = Timestamp::now().to_rfc3339_millis();
    insert_field_definition(conn, &def, None, &now).map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Internal(anyhow::anyhow!(
                "a {} field named {:?} or keyed {:?} already exists in this workspace",
                def.entity.as_str(),
                def.name,
                def.key
            ))
        } else {
            e.into()
        }
    })
}

fn insert_field_definition(
    conn: &Connection,
    def: &NewFieldDefinition,
    builtin: Option<Builtin>,
    now: &str,
) -> rusqlite::Result<FieldDefinition> {
    let uuid = new_uuid();
    let options = if def.options.is_empty() {
        None
    } else {
        Some(serde_json::Value::from(def.options.clone()).to_string())
    };
    conn.execute(
        "INSERT INTO field_definitions
           (uuid, workspace_id, entity, name, key, type, options, builtin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            uuid,
            def.workspace_id,
            def.entity.as_str(),
            def.name,
            def.key,
            def.field_type.as_str(),
            options,
            builtin.map(Builtin::as_str),
            now
        ],
    )?;
    Ok(FieldDefinition {
        id: RecordId {
            id: conn.last_insert_rowid(),
            uuid,
        },
        entity: def.entity,
        name: def.name.clone(),
        key: def.key.clone(),
        field_type: def.field_type,
        options: def.options.clone(),
        builtin,
    })
}

/// The workspace's definitions for `entity`, oldest first.
pub fn field_definitions(
    conn: &Connection,
    workspace_id: i64,
    entity: Entity,
) -> rusqlite::Result<Vec<FieldDefinition>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, uuid, entity, name, key, type, options, builtin FROM field_definitions
         WHERE workspace_id = ?1 AND entity = ?2 ORDER BY id",
    )?;
    let rows = stmt.query_map(
        params![workspace_id, entity.as_str()],
        field_definition_from_row,
    )?;
    rows.collect()
}

fn field_definition_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FieldDefinition> {
    let entity: String = row.get(2)?;
    let field_type: String = row.get(5)?;
    let options: Option<String> = row.get(6)?;
    let builtin: Option<String> = row.get(7)?;
    let bad = |what: &str, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown {what} {v:?} in field_definitions").into(),
        )
    };
    Ok(FieldDefinition {
        id: RecordId {
            id: row.get(0)?,
            uuid: row.get(1)?,
        },
        entity: Entity::parse(&entity).ok_or_else(|| bad("entity", &entity))?,
        name: row.get(3)?,
        key: row.get(4)?,
        field_type: FieldType::parse(&field_type).ok_or_else(|| bad("type", &field_type))?,
        options: match options {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
            })?,
            None => Vec::new(),
        },
        builtin: match builtin {
            Some(b) => Some(Builtin::parse(&b).ok_or_else(|| bad("builtin", &b))?),
            None => None,
        },
    })
}

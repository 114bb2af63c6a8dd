//! Migration 0007's Rust step: every workspace gets each standard people field of
//! [`STANDARD_PERSON_FIELDS`] it lacks (이름 and 소속 기업 joined the list then).
//! SQL alone cannot make the rows' uuids.

use super::super::{Builtin, STANDARD_PERSON_FIELDS};
use super::admin::insert_standard_field;
use crate::time::Timestamp;
use rusqlite::{params, OptionalExtension, Transaction};

/// Adds the missing standard fields to every workspace. A workspace that already has
/// a person field of that name or key keeps its own, and a warning names it: that
/// field goes on meaning what it meant, and the standard one is not there.
pub fn add_standard_fields(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let now = Timestamp::now().to_rfc3339_millis();
    let workspaces: Vec<i64> = tx
        .prepare("SELECT id FROM workspaces ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut holder = tx.prepare(
        "SELECT name, key, builtin FROM field_definitions
         WHERE workspace_id = ?1 AND entity = 'person' AND (name = ?2 OR key = ?3)",
    )?;
    let mut added = 0;
    for &workspace_id in &workspaces {
        for standard in STANDARD_PERSON_FIELDS {
            let &(name, key, _, builtin) = standard;
            let found: Option<(String, String, Option<String>)> = holder
                .query_row(params![workspace_id, name, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?;
            match found {
                None => {
                    insert_standard_field(tx, workspace_id, standard, &now)?;
                    added += 1;
                }
                Some((n, k, b))
                    if n == name && k == key && b.as_deref() == builtin.map(Builtin::as_str) => {}
                Some((held_name, held_key, _)) => tracing::warn!(
                    workspace_id,
                    standard_name = name,
                    standard_key = key,
                    held_name = %held_name,
                    held_key = %held_key,
                    "migration 0007: the workspace already has a person field of this name or key; \
                     it keeps its own field, and the standard one is not added"
                ),
            }
        }
    }
    tracing::info!(
        workspaces = workspaces.len(),
        added,
        "migration 0007: every workspace has the standard people fields"
    );
    Ok(())
}

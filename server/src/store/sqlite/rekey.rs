//! Migration 0005's Rust step: every stored e-mail and company name gets the key
//! of [`crate::canonical`] (its SQL sets the old keys aside first).
//!
//! Two rows of a workspace whose values were distinct under the old rule (trim and
//! lower-case) may share a canonical key: `café@x.io` written composed and
//! decomposed, say. Starting the server must not fail on data it stored itself, so
//! both rows are kept: the older one (lower id, the one clients have known longest)
//! takes the key and answers for it from now on, the newer keeps a set-aside key
//! ([`canonical::set_aside`]) and is named in a warning, for someone to merge.

use super::records::is_unique_violation;
use crate::canonical;
use rusqlite::{params, OptionalExtension, Transaction};

/// Rows read at a time, so that a large table is not held in memory.
const CHUNK: i64 = 1000;

/// A column compared by its canonical key.
struct Keyed {
    table: &'static str,
    noun: &'static str,
    column: &'static str,
    key_column: &'static str,
    key: fn(&str) -> String,
    /// People without an e-mail have no key (the unique index skips NULLs);
    /// every organization has one.
    empty_is_none: bool,
}

const PEOPLE: Keyed = Keyed {
    table: "people",
    noun: "people",
    column: "email",
    key_column: "email_norm",
    key: canonical::email_key,
    empty_is_none: true,
};

const ORGANIZATIONS: Keyed = Keyed {
    table: "organizations",
    noun: "organizations",
    column: "name",
    key_column: "name_norm",
    key: canonical::name_key,
    empty_is_none: false,
};

pub fn recompute_keys(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let people = rekey(tx, &PEOPLE)?;
    let organizations = rekey(tx, &ORGANIZATIONS)?;
    tracing::info!(
        people,
        organizations,
        "migration 0005: e-mails and company names are now compared by their canonical form"
    );
    Ok(())
}

/// Writes every row's key; returns how many rows it keyed. The unique index is the
/// judge: every key not yet rewritten is set aside, so a violation can only be a
/// row rewritten before this one.
fn rekey(tx: &Transaction<'_>, t: &Keyed) -> anyhow::Result<usize> {
    let (table, column, key_column) = (t.table, t.column, t.key_column);
    let mut read = tx.prepare(&format!(
        "SELECT id, uuid, workspace_id, {column} FROM {table}
         WHERE id > ?1 AND {column} IS NOT NULL ORDER BY id LIMIT ?2"
    ))?;
    let mut write = tx.prepare(&format!(
        "UPDATE {table} SET {key_column} = ?1 WHERE id = ?2"
    ))?;
    let mut holder = tx.prepare(&format!(
        "SELECT id, uuid, {column} FROM {table} WHERE workspace_id = ?1 AND {key_column} = ?2"
    ))?;
    let (mut after, mut keyed) = (0i64, 0usize);
    loop {
        let rows: Vec<(i64, String, i64, String)> = read
            .query_map(params![after, CHUNK], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?
            .collect::<Result<_, _>>()?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (id, uuid, workspace_id, value) in rows {
            let key = (t.key)(&value);
            if key.is_empty() && t.empty_is_none {
                write.execute(params![None::<String>, id])?;
                continue;
            }
            keyed += 1;
            match write.execute(params![key, id]) {
                Ok(_) => continue,
                Err(e) if is_unique_violation(&e) => {}
                Err(e) => return Err(e.into()),
            }
            let (kept_id, kept_uuid, kept_value): (i64, String, String) = holder
                .query_row(params![workspace_id, key], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .optional()?
                .ok_or_else(|| {
                    anyhow::anyhow!("{table} {id}: a unique violation without a holder")
                })?;
            write.execute(params![canonical::set_aside(&key, id), id])?;
            tracing::warn!(
                table,
                workspace_id,
                key = %key,
                kept_id,
                kept_uuid = %kept_uuid,
                kept_value = ?kept_value,
                set_aside_id = id,
                set_aside_uuid = %uuid,
                set_aside_value = ?value,
                "migration 0005: two {} of one workspace are the same under the canonical form; both are kept, \
                 the older answers for it and the newer is set aside for someone to merge",
                t.noun
            );
        }
    }
    Ok(keyed)
}

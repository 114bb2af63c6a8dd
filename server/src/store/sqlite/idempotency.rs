//! The SQL of idempotency keys: claiming a key inside the create's savepoint (the
//! key and the record are committed together or not at all), recording the answer
//! a retry replays, reading a key, forgetting expired ones.

use super::super::{IdempotencyClaim, IdempotencyRecord, StoreError, StoreResult};
use crate::time::Timestamp;
use rusqlite::{params, Connection, OptionalExtension};

/// Claims `claim`'s key, if any, or refuses: a key claimed before (and not
/// expired) is used. An expired claim is replaced.
pub fn claim(
    conn: &Connection,
    workspace_id: i64,
    claim: &Option<IdempotencyClaim>,
) -> StoreResult<()> {
    let Some(claim) = claim else { return Ok(()) };
    let not_before = claim.not_before.to_rfc3339_millis();
    let existing: Option<(Vec<u8>, String)> = conn
        .prepare_cached(
            "SELECT fingerprint, created_at FROM idempotency_keys WHERE workspace_id = ?1 AND key = ?2",
        )?
        .query_row(params![workspace_id, claim.key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match existing {
        Some((fingerprint, created_at)) if created_at >= not_before => {
            return Err(StoreError::IdempotencyKeyUsed {
                same_request: fingerprint == claim.fingerprint,
            })
        }
        Some(_) => {
            conn.prepare_cached(
                "DELETE FROM idempotency_keys WHERE workspace_id = ?1 AND key = ?2",
            )?
            .execute(params![workspace_id, claim.key])?;
        }
        None => {}
    }
    conn.prepare_cached(
        "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        workspace_id,
        claim.key,
        &claim.fingerprint[..],
        Timestamp::now().to_rfc3339_millis()
    ])?;
    Ok(())
}

/// Records the answer to the request that claimed `key`.
pub fn complete(
    conn: &Connection,
    workspace_id: i64,
    key: &str,
    response: &str,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE idempotency_keys SET response = ?3 WHERE workspace_id = ?1 AND key = ?2",
    )?
    .execute(params![workspace_id, key, response])?;
    Ok(())
}

pub fn lookup(
    conn: &Connection,
    workspace_id: i64,
    key: &str,
) -> rusqlite::Result<Option<IdempotencyRecord>> {
    conn.prepare_cached(
        "SELECT fingerprint, response, created_at FROM idempotency_keys
         WHERE workspace_id = ?1 AND key = ?2",
    )?
    .query_row(params![workspace_id, key], |r| {
        let fingerprint: Vec<u8> = r.get(0)?;
        let created_at: String = r.get(2)?;
        Ok(IdempotencyRecord {
            fingerprint: fingerprint.try_into().unwrap_or([0; 32]),
            response: r.get(1)?,
            created_at: Timestamp::parse(&created_at).unwrap_or(Timestamp::now()),
        })
    })
    .optional()
}

/// Forgets keys claimed before `before`; returns how many.
pub fn purge(conn: &Connection, before: Timestamp) -> rusqlite::Result<usize> {
    conn.prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
        .execute([before.to_rfc3339_millis()])
}

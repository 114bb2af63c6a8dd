//! The SQL of idempotency keys: claiming a key, recording the answer a retry
//! replays, reading a key, forgetting expired ones.
//!
//! [`create_under`] is the one way a guarded create runs: the claim, the record and
//! the answer are written in the create's own savepoint, so a key is either free
//! or carries the answer to replay; no crash, kill or full disk can leave it
//! claimed and unanswered.

use super::super::{IdempotencyRecord, IdempotentWrite, StoreError, StoreResult};
use crate::time::Timestamp;
use anyhow::Context as _;
use rusqlite::{params, Connection, OptionalExtension};

/// Runs `create` guarded by `write`, if any. Called inside a writer job, so an
/// error anywhere (the claim, the create, the answer closure) rolls all of it back.
pub fn create_under<R>(
    conn: &Connection,
    workspace_id: i64,
    write: Option<IdempotentWrite<R>>,
    create: impl FnOnce(&Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    let Some(write) = write else {
        return create(conn);
    };
    claim(conn, workspace_id, &write)?;
    let record = create(conn)?;
    let body = (write.answer)(&record)
        .context("rendering the idempotent answer")
        .map_err(StoreError::Internal)?;
    conn.prepare_cached(
        "UPDATE idempotency_keys SET response = ?3 WHERE workspace_id = ?1 AND key = ?2",
    )?
    .execute(params![workspace_id, write.key, body])?;
    Ok(record)
}

/// Claims the key, or refuses with what the earlier claim recorded. An expired
/// claim is replaced.
fn claim<R>(conn: &Connection, workspace_id: i64, write: &IdempotentWrite<R>) -> StoreResult<()> {
    let existing: Option<(Vec<u8>, Option<String>, String)> = conn
        .prepare_cached(
            "SELECT fingerprint, response, created_at FROM idempotency_keys
             WHERE workspace_id = ?1 AND key = ?2",
        )?
        .query_row(params![workspace_id, write.key], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    match existing {
        Some((fingerprint, response, created_at))
            if created_at >= write.not_before.to_rfc3339_millis() =>
        {
            let same_request = fingerprint == write.fingerprint;
            return Err(StoreError::IdempotencyKeyUsed {
                same_request,
                answer: response.filter(|_| same_request),
            });
        }
        Some(_) => {
            conn.prepare_cached(
                "DELETE FROM idempotency_keys WHERE workspace_id = ?1 AND key = ?2",
            )?
            .execute(params![workspace_id, write.key])?;
        }
        None => {}
    }
    conn.prepare_cached(
        "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        workspace_id,
        write.key,
        &write.fingerprint[..],
        Timestamp::now().to_rfc3339_millis()
    ])?;
    Ok(())
}

/// The key's record, if it has an answer. A row without one can only have been
/// left by a version that recorded answers in a second transaction; the claim
/// still counts it as used, but there is nothing to replay.
pub fn lookup(
    conn: &Connection,
    workspace_id: i64,
    key: &str,
) -> rusqlite::Result<Option<IdempotencyRecord>> {
    conn.prepare_cached(
        "SELECT fingerprint, response, created_at FROM idempotency_keys
         WHERE workspace_id = ?1 AND key = ?2 AND response IS NOT NULL",
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

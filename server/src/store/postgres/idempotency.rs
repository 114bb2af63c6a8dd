//! The PostgreSQL SQL of idempotency keys, with the contract of
//! `sqlite/idempotency.rs`: [`create_under`] claims the key, makes the record and
//! records the answer in the create's own transaction, so a key is either free or
//! carries the answer to replay.
//!
//! The claim is one `INSERT … ON CONFLICT DO UPDATE … WHERE expired`: a second
//! claim of a key, on any server, waits on the key's unique index for the first
//! claim's transaction to end. If it committed, the second reads its answer (a
//! replay, or a refusal for another request); if it rolled back, the second takes
//! the key. No key is ever claimed twice, and no record made twice under one key.

use super::records::{query, query_opt};
use crate::store::{IdempotencyRecord, IdempotentWrite, StoreError, StoreResult};
use crate::time::Timestamp;
use anyhow::Context as _;
use deadpool_postgres::GenericClient;
use std::future::Future;

/// Runs `create` guarded by `write`, if any, on `c` (a transaction, which the
/// caller commits): an error anywhere (the claim, the create, the answer closure)
/// leaves the whole transaction to be rolled back.
pub async fn create_under<C: GenericClient, R>(
    c: &C,
    workspace_id: i64,
    write: Option<IdempotentWrite<R>>,
    create: impl Future<Output = StoreResult<R>>,
) -> StoreResult<R> {
    let Some(IdempotentWrite {
        key,
        fingerprint,
        not_before,
        answer,
    }) = write
    else {
        return create.await;
    };
    claim(c, workspace_id, &key, &fingerprint, not_before).await?;
    let record = create.await?;
    let body = answer(&record)
        .context("rendering the idempotent answer")
        .map_err(StoreError::Internal)?;
    let sql = "UPDATE idempotency_keys SET response = $3 WHERE workspace_id = $1 AND key = $2";
    query(c, sql, &[&workspace_id, &key, &body]).await?;
    Ok(record)
}

/// Claims the key, or refuses with what the earlier claim recorded. An expired
/// claim is replaced.
async fn claim<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    key: &str,
    fingerprint: &[u8; 32],
    not_before: Timestamp,
) -> StoreResult<()> {
    let claim = "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, created_at)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (workspace_id, key) DO UPDATE
                   SET fingerprint = EXCLUDED.fingerprint, response = NULL,
                       created_at = EXCLUDED.created_at
                   WHERE idempotency_keys.created_at < $5
                 RETURNING 1";
    let now = Timestamp::now().to_rfc3339_millis();
    let not_before = not_before.to_rfc3339_millis();
    let held_by_us = &fingerprint[..];
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] =
        [&workspace_id, &key, &held_by_us, &now, &not_before];
    if query_opt(c, claim, &params).await?.is_some() {
        return Ok(());
    }
    // The key is held by a committed claim that has not expired: read in a new
    // snapshot (READ COMMITTED), which sees it.
    let sql = "SELECT fingerprint, response FROM idempotency_keys
               WHERE workspace_id = $1 AND key = $2";
    let Some(row) = query_opt(c, sql, &[&workspace_id, &key]).await? else {
        // Purged between the two statements: nothing to replay, and the key is
        // free again; the caller may retry.
        return Err(StoreError::Unavailable(
            "an idempotency key expired while it was being claimed".into(),
        ));
    };
    let held: Vec<u8> = row.get(0);
    let same_request = held == fingerprint[..];
    Err(StoreError::IdempotencyKeyUsed {
        same_request,
        answer: row.get::<_, Option<String>>(1).filter(|_| same_request),
    })
}

/// The key's record, if it has an answer.
pub async fn lookup<C: GenericClient>(
    c: &C,
    workspace_id: i64,
    key: &str,
) -> StoreResult<Option<IdempotencyRecord>> {
    let sql = "SELECT fingerprint, response, created_at FROM idempotency_keys
               WHERE workspace_id = $1 AND key = $2 AND response IS NOT NULL";
    Ok(query_opt(c, sql, &[&workspace_id, &key]).await?.map(|r| {
        let fingerprint: Vec<u8> = r.get(0);
        let created_at: String = r.get(2);
        IdempotencyRecord {
            fingerprint: fingerprint.try_into().unwrap_or([0; 32]),
            response: r.get(1),
            created_at: Timestamp::parse(&created_at).unwrap_or(Timestamp::now()),
        }
    }))
}

/// Forgets keys claimed before `before`; returns how many.
pub async fn purge<C: GenericClient>(c: &C, before: Timestamp) -> StoreResult<usize> {
    let statement = c
        .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < $1")
        .await?;
    Ok(c.execute(&statement, &[&before.to_rfc3339_millis()])
        .await? as usize)
}

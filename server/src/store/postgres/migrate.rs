//! Versioned schema migrations for PostgreSQL, from `server/migrations/postgres/`,
//! tracked in the one-row table `crm_schema`.
//!
//! Several servers may start at once on a new database: the version is read and
//! the missing migrations applied in one transaction that first takes a
//! transaction-scoped advisory lock, so the others wait for it, then read the new
//! version and have nothing left to do. DDL is transactional in PostgreSQL: a
//! migration that fails leaves the schema as it was. A database of a newer
//! version than this binary knows is refused, with nothing written.
//!
//! `pg_advisory_xact_lock` is the one call here a distributed Postgres-compatible
//! database may lack: CockroachDB long had it as a stub that does not lock
//! (cockroach#13546), and implemented the transaction-scoped form only in 2026
//! (cockroach#168353). Where it does not lock, the same serialization would come
//! from a row of a table created beforehand, taken `FOR UPDATE`.

use anyhow::Context as _;
use deadpool_postgres::{Client, GenericClient};

/// In order; entry N brings the schema to version N + 1. Never edit a released
/// entry: add a new one.
const MIGRATIONS: &[&str] = &[include_str!("../../../migrations/postgres/0001_init.sql")];

/// The advisory lock's key: "crm_migr" in ASCII, so that it is recognisable in
/// `pg_locks` and unlikely to meet another application's.
const LOCK_KEY: i64 = 0x6372_6d5f_6d69_6772;

/// The schema version, None before the first migration. Asked of the catalog
/// first, since a failed statement would abort the migration's transaction.
async fn version(client: &impl GenericClient) -> anyhow::Result<Option<i64>> {
    let exists = "SELECT count(*) FROM information_schema.tables
                  WHERE table_schema = current_schema() AND table_name = 'crm_schema'";
    let n: i64 = client.query_one(exists, &[]).await?.get(0);
    if n == 0 {
        return Ok(None);
    }
    let row = client
        .query_opt("SELECT version FROM crm_schema", &[])
        .await?;
    Ok(Some(row.map_or(0, |r| r.get(0))))
}

pub async fn migrate(client: &mut Client) -> anyhow::Result<()> {
    let known = MIGRATIONS.len() as i64;
    // Without the lock first: an up-to-date database (every start but the first)
    // never waits.
    if version(&*client).await? == Some(known) {
        return Ok(());
    }
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .context("taking the migration lock")?;
    let current = match version(&tx).await? {
        Some(v) => v,
        None => {
            tx.batch_execute(
                "CREATE TABLE crm_schema (version BIGINT NOT NULL);
                 INSERT INTO crm_schema (version) VALUES (0);",
            )
            .await?;
            0
        }
    };
    anyhow::ensure!(
        current <= known,
        "the database is at schema version {current}, newer than this binary knows ({known})"
    );
    for (n, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.batch_execute(sql)
            .await
            .with_context(|| format!("applying migration {}", n + 1))?;
    }
    tx.execute("UPDATE crm_schema SET version = $1", &[&known])
        .await?;
    tx.commit().await?;
    Ok(())
}

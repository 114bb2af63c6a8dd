//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Several processes may open a new database at once (servers starting together,
//! `crm admin` beside them): the version is read and the missing migrations are
//! applied under one exclusive lock, so the others wait for it, then read the new
//! version and have nothing left to do.

use rusqlite::{Connection, Transaction, TransactionBehavior};

/// A step SQL cannot express (Unicode normalization, say), run after the
/// migration's SQL in the same transaction.
type RustStep = fn(&Transaction<'_>) -> anyhow::Result<()>;

/// In order; entry N brings the schema to version N + 1. Never edit a released
/// entry: add a new one.
const MIGRATIONS: &[(&str, Option<RustStep>)] = &[
    (include_str!("../../migrations/0001_init.sql"), None),
    (
        include_str!("../../migrations/0002_person_details.sql"),
        None,
    ),
    (include_str!("../../migrations/0003_customers.sql"), None),
    (
        include_str!("../../migrations/0004_idempotency_keys.sql"),
        None,
    ),
    (
        include_str!("../../migrations/0005_canonical_keys.sql"),
        Some(super::sqlite::rekey::recompute_keys),
    ),
    (
        include_str!("../../migrations/0006_token_revocation.sql"),
        Some(add_revoked_at),
    ),
    (
        include_str!("../../migrations/0007_standard_people_fields.sql"),
        Some(super::sqlite::add_standard_fields),
    ),
    (
        include_str!("../../migrations/0008_reference_id_not_unique.sql"),
        None,
    ),
];

/// Migration 0006's column, added only where it is missing (a database whose
/// version was set back, a copy restored over a newer one).
fn add_revoked_at(tx: &Transaction<'_>) -> anyhow::Result<()> {
    let present: i64 = tx.query_row(
        "SELECT count(*) FROM pragma_table_info('tokens') WHERE name = 'revoked_at'",
        [],
        |r| r.get(0),
    )?;
    if present == 0 {
        tx.execute_batch("ALTER TABLE tokens ADD COLUMN revoked_at TEXT")?;
    }
    Ok(())
}

fn version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

pub fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let known = MIGRATIONS.len() as i64;
    // Without the lock first: an up-to-date database (every start but the first)
    // never waits for a running server's writes.
    if version(conn)? == known {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    let current = version(&tx)?;
    anyhow::ensure!(
        current <= known,
        "the database is at schema version {current}, newer than this binary knows ({known})"
    );
    for (sql, step) in &MIGRATIONS[current as usize..] {
        tx.execute_batch(sql)?;
        if let Some(step) = step {
            step(&tx)?;
        }
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

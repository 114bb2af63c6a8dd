//! Versioned schema migrations, tracked in SQLite's `user_version`.

use rusqlite::{Connection, Transaction};

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
];

pub fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    anyhow::ensure!(
        current <= known,
        "the database is at schema version {current}, newer than this binary knows ({known})"
    );
    for (i, (sql, step)) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if let Some(step) = step {
            step(&tx)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

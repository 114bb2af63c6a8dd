//! Versioned schema migrations, tracked in SQLite's `user_version`.

use rusqlite::Connection;

/// In order; entry N brings the schema to version N + 1. Never edit a released
/// entry: add a new one.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_person_details.sql"),
    include_str!("../../migrations/0003_customers.sql"),
    include_str!("../../migrations/0004_idempotency_keys.sql"),
];

pub fn migrate(conn: &mut Connection) -> anyhow::Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let known = MIGRATIONS.len() as i64;
    anyhow::ensure!(
        current <= known,
        "the database is at schema version {current}, newer than this binary knows ({known})"
    );
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

//! What the disk and SQLite can do on their own, at the server's durability (WAL,
//! `synchronous=FULL`), and the preload of a large `people` table.

use anyhow::Context as _;
use rusqlite::{params, Connection};
use std::io::{Seek as _, SeekFrom, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

/// A storage measurement: how many operations, how many rows they carried, and
/// each operation's latency.
pub struct Measured {
    pub operations: u64,
    pub rows: u64,
    pub elapsed: Duration,
    /// Per operation (a transaction, an fsync), in microseconds, sorted.
    pub latencies_us: Vec<u32>,
}

impl Measured {
    fn new() -> Self {
        Measured {
            operations: 0,
            rows: 0,
            elapsed: Duration::ZERO,
            latencies_us: Vec::new(),
        }
    }

    fn record(&mut self, rows: u64, took: Duration) {
        self.operations += 1;
        self.rows += rows;
        self.latencies_us
            .push(took.as_micros().try_into().unwrap_or(u32::MAX));
    }

    fn finish(mut self, started: Instant) -> Self {
        self.elapsed = started.elapsed();
        self.latencies_us.sort_unstable();
        self
    }

    pub fn rows_per_sec(&self) -> f64 {
        self.rows as f64 / self.elapsed.as_secs_f64()
    }

    pub fn operations_per_sec(&self) -> f64 {
        self.operations as f64 / self.elapsed.as_secs_f64()
    }
}

/// 4 KiB written and `sync_all`ed, over and over, for `duration`: the most commits
/// per second any store on this disk can make at `synchronous=FULL`. The writes
/// cycle through a preallocated 1 MiB, as a WAL is rewritten after checkpoints.
pub fn fsync_rate(dir: &Path, duration: Duration) -> anyhow::Result<Measured> {
    const BLOCK: usize = 4096;
    const BLOCKS: u64 = 256;
    let path = dir.join("fsync.bin");
    let mut file =
        std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(&vec![0u8; BLOCK * BLOCKS as usize])?;
    file.sync_all()?;
    let block = [0x5au8; BLOCK];
    let mut measured = Measured::new();
    let started = Instant::now();
    let mut i = 0u64;
    while started.elapsed() < duration {
        let t = Instant::now();
        file.seek(SeekFrom::Start((i % BLOCKS) * BLOCK as u64))?;
        file.write_all(&block)?;
        file.sync_all()?;
        measured.record(1, t.elapsed());
        i += 1;
    }
    let measured = measured.finish(started);
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(measured)
}

/// Raw rusqlite inserts into a people-shaped table, `rows_per_transaction` rows per
/// transaction, for `duration`: the storage ceiling the server's writer works under.
pub fn sqlite_inserts(
    dir: &Path,
    rows_per_transaction: u64,
    duration: Duration,
) -> anyhow::Result<Measured> {
    let path = dir.join(format!("sqlite-{rows_per_transaction}.db"));
    let mut conn =
        Connection::open(&path).with_context(|| format!("opening {}", path.display()))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    anyhow::ensure!(mode.eq_ignore_ascii_case("wal"), "no WAL mode: {mode}");
    conn.pragma_update(None, "synchronous", "FULL")?;
    // The columns and indexes a create touches in the server's `people` table.
    conn.execute_batch(
        "CREATE TABLE people (
             id           INTEGER PRIMARY KEY,
             uuid         TEXT NOT NULL UNIQUE,
             workspace_id INTEGER NOT NULL,
             name         TEXT NOT NULL,
             email        TEXT,
             email_norm   TEXT,
             created_at   TEXT NOT NULL,
             updated_at   TEXT NOT NULL
         );
         CREATE UNIQUE INDEX people_unique_email ON people(workspace_id, email_norm)
             WHERE email_norm IS NOT NULL;",
    )?;
    let mut measured = Measured::new();
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < duration {
        let t = Instant::now();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO people (uuid, workspace_id, name, email, email_norm, created_at, updated_at)
                 VALUES (?1, 1, ?2, ?3, ?3, ?4, ?4)",
            )?;
            for _ in 0..rows_per_transaction {
                n += 1;
                insert.execute(params![
                    uuid::Uuid::now_v7().to_string(),
                    format!("벤치 {n}"),
                    format!("bench-{n}@example.com"),
                    "2026-01-01T00:00:00.000Z",
                ])?;
            }
        }
        tx.commit()?;
        measured.record(rows_per_transaction, t.elapsed());
    }
    let measured = measured.finish(started);
    drop(conn);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(measured)
}

/// Inserts `rows` people into workspace 1 of a stopped server's database, in large
/// transactions. E-mails are scattered over the index (as real ones are), so the
/// unique index is as deep and as spread out as a real table of this size.
pub fn preload_people(db: &Path, rows: u64) -> anyhow::Result<Duration> {
    const PER_TRANSACTION: u64 = 50_000;
    let started = Instant::now();
    let mut conn = Connection::open(db).with_context(|| format!("opening {}", db.display()))?;
    conn.busy_timeout(Duration::from_secs(10))?;
    let mut done = 0u64;
    while done < rows {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO people (uuid, workspace_id, name, email, email_norm, created_at, updated_at)
                 VALUES (?1, 1, ?2, ?3, ?3, ?4, ?4)",
            )?;
            for i in done..(done + PER_TRANSACTION).min(rows) {
                let email = format!("{:016x}.preload-{i}@example.com", scramble(i));
                insert.execute(params![
                    format!("00000000-0000-7000-8000-{i:012x}"),
                    format!("Preload {i}"),
                    email,
                    "2026-01-01T00:00:00.000Z",
                ])?;
            }
        }
        tx.commit()?;
        done = (done + PER_TRANSACTION).min(rows);
    }
    // Leave no large WAL for the restarted server to carry.
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    Ok(started.elapsed())
}

/// A bijective mix of `i` (SplitMix64's finalizer): distinct inputs stay distinct.
fn scramble(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

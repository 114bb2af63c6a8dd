//! The write engine: one thread owns the only writing connection and commits
//! concurrent writes together (group commit), each write in its own savepoint so
//! that one failing write does not undo the others.
//!
//! It knows nothing of our tables: a write is a closure over a [`Connection`]. Kept
//! apart so that the rules that make an acknowledgement true (a reply only after
//! the batch is durable; nothing of a failed batch acknowledged) live in one place.

use crate::store::{StoreError, StoreResult, WriterStats, BATCH_SIZE_BOUNDS};
use rusqlite::Connection;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

/// How the writer groups writes into transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitMode {
    /// Concurrent writes share one transaction and one fsync (group commit).
    Group,
    /// One transaction per write: the baseline group commit is measured against.
    PerRequest,
}

impl CommitMode {
    /// The most writes one transaction carries. Large enough that batching absorbs
    /// bursts, small enough that one commit never holds replies for long.
    fn max_batch(self) -> usize {
        match self {
            CommitMode::Group => 256,
            CommitMode::PerRequest => 1,
        }
    }
}

/// A write as the engine sees it: run once inside its savepoint, then told how
/// its batch ended.
trait Job: Send {
    /// Runs the write; false if it failed (its savepoint is then rolled back).
    fn run(&mut self, conn: &Connection) -> bool;
    /// Replies to the caller: with the write's own result if the batch committed,
    /// otherwise with `failed`, whatever the write returned.
    fn reply(self: Box<Self>, failed: Option<&str>);
}

struct Pending<R, F> {
    write: Option<F>,
    result: Option<StoreResult<R>>,
    reply: oneshot::Sender<StoreResult<R>>,
}

impl<R, F> Job for Pending<R, F>
where
    R: Send,
    F: FnOnce(&Connection) -> StoreResult<R> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let Some(write) = self.write.take() else {
            return false;
        };
        // A write may run its caller's code (an answer rendered inside the
        // transaction): a panic must fail that write, not end the thread that
        // every write needs.
        let result = catch_unwind(AssertUnwindSafe(|| write(conn)))
            .unwrap_or_else(|_| Err(internal("the write panicked")));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn reply(self: Box<Self>, failed: Option<&str>) {
        let result = match (failed, self.result) {
            (None, Some(result)) => result,
            (None, None) => Err(internal("the writer never ran this write")),
            (Some(why), _) => Err(internal(why)),
        };
        let _ = self.reply.send(result);
    }
}

fn internal(message: &str) -> StoreError {
    StoreError::Internal(anyhow::anyhow!("{message}"))
}

/// What the writer has done since start: how well group commit batches.
#[derive(Debug, Default)]
struct Stats {
    commits: AtomicU64,
    writes: AtomicU64,
    /// Commits by batch size: index i counts batches of at most
    /// `BATCH_SIZE_BOUNDS[i]` writes (and more than the bound before).
    batches: [AtomicU64; BATCH_SIZE_BOUNDS.len()],
}

/// The handle the store keeps: a queue to the writer thread.
pub struct Writer {
    jobs: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
    stats: Arc<Stats>,
}

impl Writer {
    /// Starts the writer thread on `conn`, which must be the only connection that
    /// writes.
    pub fn start(conn: Connection, mode: CommitMode) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let stats = Arc::new(Stats::default());
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("crm-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, mode.max_batch(), &thread_stats))?;
        Ok(Writer {
            jobs: Mutex::new(Some(tx)),
            stats,
        })
    }

    /// Runs `f` inside its own savepoint in the writer's current batch, and answers
    /// once the batch is durable. An error in `f` rolls back `f` alone; a batch
    /// that fails to commit fails every write in it.
    pub async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Box::new(Pending {
            write: Some(f),
            result: None,
            reply,
        });
        let sender = self
            .jobs
            .lock()
            .map_err(|_| internal("writer lock poisoned"))?
            .clone()
            .ok_or_else(|| internal("the store is closed"))?;
        sender
            .send(job)
            .map_err(|_| internal("the writer thread has stopped"))?;
        answer
            .await
            .map_err(|_| internal("the writer thread dropped a write"))?
    }

    /// Transactions committed, the writes they carried, and their sizes.
    pub fn stats(&self) -> WriterStats {
        let mut cumulative = 0;
        let batch_sizes = BATCH_SIZE_BOUNDS
            .iter()
            .zip(&self.stats.batches)
            .map(|(bound, n)| {
                cumulative += n.load(Relaxed);
                (*bound, cumulative)
            })
            .collect();
        WriterStats {
            commits: self.stats.commits.load(Relaxed),
            writes: self.stats.writes.load(Relaxed),
            batch_sizes,
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the channel ends the writer thread once queued writes are done.
        if let Ok(mut jobs) = self.jobs.lock() {
            jobs.take();
        }
    }
}

/// Runs one statement that every write needs; prepared once per connection.
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
}

/// Runs `job` in a savepoint. Err only if the savepoint itself could not be
/// opened or closed: the transaction then holds who knows what of the job, and
/// must not commit.
fn run_in_savepoint(conn: &Connection, job: &mut dyn Job) -> rusqlite::Result<()> {
    exec(conn, "SAVEPOINT job")?;
    if job.run(conn) {
        exec(conn, "RELEASE job")
    } else {
        exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
    }
}

fn writer_loop(
    conn: Connection,
    jobs: mpsc::Receiver<Box<dyn Job>>,
    max_batch: usize,
    stats: &Stats,
) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let failed = run_batch(&conn, &mut batch, stats);
        for job in batch {
            job.reply(failed);
        }
    }
}

/// Runs a batch in one transaction; None if it committed, else why not.
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Job>], stats: &Stats) -> Option<&'static str> {
    if !conn.is_autocommit() {
        // A transaction left open by a failed COMMIT and ROLLBACK: its contents
        // were never acknowledged, and must not ride along with this batch.
        if let Err(e) = conn.execute_batch("ROLLBACK") {
            tracing::error!(error = %e, "could not roll back a transaction left open");
        }
    }
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        // Not run in autocommit instead (as they once were): each savepoint would
        // become its own transaction, so where another process holds the lock
        // each job would wait out the busy timeout in turn while the queue
        // grows, and a job's fate would no longer be its batch's. Nothing was
        // written; failing them is honest, and the callers may retry.
        tracing::error!(error = %e, "could not begin a write transaction");
        return Some("the writer could not begin a transaction for this write");
    }
    let mut intact = true;
    for job in batch.iter_mut() {
        if let Err(e) = run_in_savepoint(conn, job.as_mut()) {
            tracing::error!(error = %e, "a write's savepoint failed; failing its batch");
            intact = false;
            break;
        }
    }
    let outcome = if !intact {
        Err("a write in the same transaction left it in an unknown state")
    } else {
        conn.execute_batch("COMMIT").map_err(|e| {
            tracing::error!(error = %e, "group commit failed; rolling back the batch");
            "the transaction carrying this write failed to commit"
        })
    };
    match outcome {
        Ok(()) => {
            stats.commits.fetch_add(1, Relaxed);
            stats.writes.fetch_add(batch.len() as u64, Relaxed);
            let size = batch.len() as u64;
            if let Some(i) = BATCH_SIZE_BOUNDS.iter().position(|b| size <= *b) {
                stats.batches[i].fetch_add(1, Relaxed);
            }
            None
        }
        Err(why) => {
            // Nothing of a failed batch is acknowledged, not even a write's own
            // error: a refusal read inside the batch (a duplicate e-mail, a used
            // idempotency key) may name a record that was rolled back with it.
            if !conn.is_autocommit() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            Some(why)
        }
    }
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;

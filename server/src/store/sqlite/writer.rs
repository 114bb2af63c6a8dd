//! The write engine: one thread owns the only writing connection and commits
//! concurrent writes together (group commit), each write in its own savepoint so
//! that one failing write does not undo the others.
//!
//! It knows nothing of our tables: a write is a closure over a [`Connection`]. Kept
//! apart so that the rules that make an acknowledgement true live in one place: a
//! reply only after the batch is durable, in the file the store opened; nothing of
//! a failed batch acknowledged; a connection that failed for want of a writable
//! database replaced by a new one, so that the store recovers once the cause is
//! gone.

use super::file::{is_unavailable, DbFile};
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

/// How a write went inside its savepoint.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Ran {
    Ok,
    Failed,
    /// Failed because the database cannot take writes (see [`is_unavailable`]).
    Unavailable(String),
}

/// Why a batch was not committed: what each of its writes is answered.
#[derive(Clone, Debug)]
enum Failed {
    Internal(&'static str),
    Unavailable(String),
}

impl Failed {
    fn error(&self) -> StoreError {
        match self {
            Failed::Internal(why) => internal(why),
            Failed::Unavailable(why) => StoreError::Unavailable(why.clone()),
        }
    }
}

/// A write as the engine sees it: run once inside its savepoint, then told how
/// its batch ended.
trait Job: Send {
    /// Runs the write; unless Ok, its savepoint is then rolled back.
    fn run(&mut self, conn: &Connection) -> Ran;
    /// Replies to the caller: with the write's own result if the batch committed,
    /// otherwise with `failed`, whatever the write returned.
    fn reply(self: Box<Self>, failed: Option<&Failed>);
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
    fn run(&mut self, conn: &Connection) -> Ran {
        let Some(write) = self.write.take() else {
            return Ran::Failed;
        };
        // A write may run its caller's code (an answer rendered inside the
        // transaction): a panic must fail that write, not end the thread that
        // every write needs.
        let result = catch_unwind(AssertUnwindSafe(|| write(conn)))
            .unwrap_or_else(|_| Err(internal("the write panicked")));
        let ran = match &result {
            Ok(_) => Ran::Ok,
            Err(StoreError::Unavailable(why)) => Ran::Unavailable(why.clone()),
            Err(_) => Ran::Failed,
        };
        self.result = Some(result);
        ran
    }

    fn reply(self: Box<Self>, failed: Option<&Failed>) {
        let result = match (failed, self.result) {
            (None, Some(result)) => result,
            (None, None) => Err(internal("the writer never ran this write")),
            (Some(failed), _) => Err(failed.error()),
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
    failed_batches: AtomicU64,
    failed_writes: AtomicU64,
}

/// The handle the store keeps: a queue to the writer thread.
pub struct Writer {
    jobs: Mutex<Option<mpsc::Sender<Box<dyn Job>>>>,
    stats: Arc<Stats>,
}

impl Writer {
    /// Starts the writer thread on `conn`, which must be the only connection that
    /// writes, open on `file`.
    pub fn start(conn: Connection, file: DbFile, mode: CommitMode) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::channel::<Box<dyn Job>>();
        let stats = Arc::new(Stats::default());
        let thread_stats = stats.clone();
        let engine = Engine::new(conn, file);
        std::thread::Builder::new()
            .name("crm-sqlite-writer".into())
            .spawn(move || writer_loop(engine, rx, mode.max_batch(), &thread_stats))?;
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
            failed_batches: self.stats.failed_batches.load(Relaxed),
            failed_writes: self.stats.failed_writes.load(Relaxed),
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
fn run_in_savepoint(conn: &Connection, job: &mut dyn Job) -> rusqlite::Result<Ran> {
    exec(conn, "SAVEPOINT job")?;
    let ran = job.run(conn);
    let closed = if ran == Ran::Ok {
        exec(conn, "RELEASE job")
    } else {
        exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
    };
    match closed {
        Ok(()) => Ok(ran),
        // After some I/O errors SQLite rolls the whole transaction back itself, and
        // the savepoint is gone with it: the write's own error is the reason.
        Err(_) if matches!(ran, Ran::Unavailable(_)) => Ok(ran),
        Err(e) => Err(e),
    }
}

fn writer_loop(
    mut engine: Engine,
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
        let failed = engine.run_batch(&mut batch, stats);
        for job in batch {
            job.reply(failed.as_ref());
        }
    }
}

/// The writer thread's state: its connection (None after one failed for want of
/// a writable database: the next batch opens a new one) and the file it writes.
struct Engine {
    conn: Option<Connection>,
    file: DbFile,
    /// Why the last batch could not be written, while that lasts: logged once
    /// when it starts and once when it ends, not at every batch.
    unavailable: Option<String>,
}

impl Engine {
    fn new(conn: Connection, file: DbFile) -> Self {
        Engine {
            conn: Some(conn),
            file,
            unavailable: None,
        }
    }

    /// Runs a batch in one transaction; None if it committed, else why not.
    fn run_batch(&mut self, batch: &mut [Box<dyn Job>], stats: &Stats) -> Option<Failed> {
        let failed = match self.try_batch(batch) {
            Ok(()) => {
                if let Some(why) = self.unavailable.take() {
                    tracing::info!(was = %why, "the database takes writes again");
                }
                stats.commits.fetch_add(1, Relaxed);
                stats.writes.fetch_add(batch.len() as u64, Relaxed);
                let size = batch.len() as u64;
                if let Some(i) = BATCH_SIZE_BOUNDS.iter().position(|b| size <= *b) {
                    stats.batches[i].fetch_add(1, Relaxed);
                }
                return None;
            }
            Err(Failed::Unavailable(why)) => {
                // Whatever the connection was doing, a new one starts clean; a
                // connection to a file that is no longer at the path is useless.
                self.conn = None;
                if self.unavailable.as_deref() != Some(why.as_str()) {
                    tracing::error!(error = %why, "the database cannot take writes; answering 503");
                }
                self.unavailable = Some(why.clone());
                Failed::Unavailable(why)
            }
            Err(failed) => failed,
        };
        stats.failed_batches.fetch_add(1, Relaxed);
        stats.failed_writes.fetch_add(batch.len() as u64, Relaxed);
        Some(failed)
    }

    fn try_batch(&mut self, batch: &mut [Box<dyn Job>]) -> Result<(), Failed> {
        let unavailable = |e: StoreError| match e {
            StoreError::Unavailable(why) => Failed::Unavailable(why),
            other => Failed::Unavailable(other.to_string()),
        };
        if self.conn.is_none() {
            self.conn = Some(self.file.reopen().map_err(unavailable)?);
        } else {
            // Looked at before writing too, not only after: a path that cannot be
            // looked at now (a transient error, no verdict on the file) fails the
            // batch with nothing written. Seen only after the COMMIT, it would be
            // answered 503, "nothing was stored", for writes that may well have
            // landed in the right file.
            self.file.check().map_err(unavailable)?;
        }
        let conn = self.conn.as_ref().expect("opened above");
        let committed = commit_batch(conn, batch);
        if !conn.is_autocommit() {
            // Nothing of a failed batch is acknowledged, not even a write's own
            // error: a refusal read inside the batch (a duplicate e-mail, a used
            // idempotency key) may name a record that was rolled back with it.
            if let Err(e) = conn.execute_batch("ROLLBACK") {
                tracing::error!(error = %e, "could not roll back a failed batch");
                self.conn = None;
            }
        }
        committed?;
        // The commit is durable in the file the connection has open; it counts only
        // if that is still the database at the path.
        self.file.check().map_err(unavailable)
    }
}

/// BEGIN, every job in its savepoint, COMMIT. A write that failed for want of a
/// writable database fails the batch at once, and no later write runs: SQLite
/// may have ended the transaction, and a write run outside one would commit on
/// its own. The connection is replaced, and the callers may retry.
fn commit_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Result<(), Failed> {
    let failure = |e: rusqlite::Error, why: &'static str| {
        tracing::error!(error = %e, "{why}");
        if is_unavailable(&e) {
            Failed::Unavailable(e.to_string())
        } else {
            Failed::Internal(why)
        }
    };
    // Not run in autocommit instead (as they once were): each savepoint would
    // become its own transaction, so where another process holds the lock each job
    // would wait out the busy timeout in turn while the queue grows, and a job's
    // fate would no longer be its batch's. Nothing was written; failing them is
    // honest, and the callers may retry.
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| failure(e, "the writer could not begin a transaction for this write"))?;
    for job in batch.iter_mut() {
        let ran = run_in_savepoint(conn, job.as_mut()).map_err(|e| {
            failure(
                e,
                "a write in the same transaction left it in an unknown state",
            )
        })?;
        if let Ran::Unavailable(why) = ran {
            return Err(Failed::Unavailable(why));
        }
    }
    conn.execute_batch("COMMIT")
        .map_err(|e| failure(e, "the transaction carrying this write failed to commit"))
}

#[cfg(test)]
#[path = "writer_tests.rs"]
mod tests;

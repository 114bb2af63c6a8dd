//! The write engine: one thread owns the only writing connection and commits
//! concurrent writes together (group commit), each write in its own savepoint so
//! that one failing write does not undo the others.
//!
//! It knows nothing of our tables: a write is a closure over a [`Connection`]. Kept
//! apart so that the rules that make an acknowledgement true (a reply only after
//! the batch is durable) live in one place.

use crate::store::{StoreError, StoreResult};
use rusqlite::Connection;
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

/// A write, run by the writer thread inside its own savepoint. It returns what to
/// do once the batch's commit is known: reply to its caller.
type Job = Box<dyn FnOnce(&Connection) -> Box<dyn FnOnce(bool) + Send> + Send>;

fn internal(message: &str) -> StoreError {
    StoreError::Internal(anyhow::anyhow!("{message}"))
}

/// What the writer has done since start: how well group commit batches.
#[derive(Debug, Default)]
struct Stats {
    commits: AtomicU64,
    writes: AtomicU64,
}

/// The handle the store keeps: a queue to the writer thread.
pub struct Writer {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    stats: Arc<Stats>,
}

impl Writer {
    /// Starts the writer thread on `conn`, which must be the only connection that
    /// writes.
    pub fn start(conn: Connection, mode: CommitMode) -> anyhow::Result<Self> {
        let (tx, rx) = mpsc::channel::<Job>();
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
    /// once the batch is durable. An error in `f` rolls back `f` alone.
    pub async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = run_in_savepoint(conn, f);
            Box::new(move |committed| {
                let result = match result {
                    Ok(_) if !committed => Err(internal(
                        "the transaction carrying this write failed to commit",
                    )),
                    other => other,
                };
                let _ = reply.send(result);
            })
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

    /// (transactions committed, writes they carried).
    pub fn stats(&self) -> (u64, u64) {
        (
            self.stats.commits.load(Relaxed),
            self.stats.writes.load(Relaxed),
        )
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

fn run_in_savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    // Prepared once per connection: these run for every write.
    let run = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
    };
    run("SAVEPOINT job")?;
    let result = f(conn);
    let end = if result.is_ok() {
        run("RELEASE job")
    } else {
        run("ROLLBACK TO job").and_then(|()| run("RELEASE job"))
    };
    match (result, end) {
        (Ok(r), Ok(())) => Ok(r),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Job>, max_batch: usize, stats: &Stats) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "could not begin a write transaction");
            // Each job still runs (autocommit), so none is lost or silently dropped.
            let finishers: Vec<_> = batch.into_iter().map(|job| job(&conn)).collect();
            finishers.into_iter().for_each(|f| f(true));
            continue;
        }
        let writes = batch.len() as u64;
        let finishers: Vec<_> = batch.into_iter().map(|job| job(&conn)).collect();
        let committed = match conn.execute_batch("COMMIT") {
            Ok(()) => {
                stats.commits.fetch_add(1, Relaxed);
                stats.writes.fetch_add(writes, Relaxed);
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed; rolling back the batch");
                let _ = conn.execute_batch("ROLLBACK");
                false
            }
        };
        finishers.into_iter().for_each(|f| f(committed));
    }
}

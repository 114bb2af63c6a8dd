//! The write engine's rules, on a throwaway database: a failed commit fails every
//! write of its batch, a failed write rolls back alone, nothing runs when BEGIN
//! fails, a write that finds the database unwritable fails its batch and the next
//! batch runs on a new connection, and a commit into a file that is no longer at
//! the path is not acknowledged.

use super::*;
use crate::store::sqlite::Durability;

type Reply = oneshot::Receiver<StoreResult<&'static str>>;

fn job(
    f: impl FnOnce(&Connection) -> StoreResult<&'static str> + Send + 'static,
) -> (Box<dyn Job>, Reply) {
    let (reply, answer) = oneshot::channel();
    let job = Pending {
        write: Some(f),
        result: None,
        reply,
    };
    (Box::new(job), answer)
}

fn insert(sql: &'static str) -> impl FnOnce(&Connection) -> StoreResult<&'static str> {
    move |conn| {
        conn.execute_batch(sql)
            .map_err(|e| StoreError::Internal(e.into()))?;
        Ok("inserted")
    }
}

/// A database whose `child` rows reference `parent` with a deferred foreign
/// key: a bad row is accepted by its INSERT and refused by COMMIT.
fn database(dir: &tempfile::TempDir) -> (Connection, std::path::PathBuf) {
    let path = dir.path().join("w.db");
    let conn = Connection::open(&path).unwrap();
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;
         CREATE TABLE parent (id INTEGER PRIMARY KEY);
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER
             REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);",
    )
    .unwrap();
    (conn, path)
}

/// Queues `jobs` first, so that the writer takes them as one batch.
fn run_as_one_batch(conn: Connection, path: &std::path::Path, jobs: Vec<Box<dyn Job>>) -> Stats {
    let (tx, rx) = mpsc::channel();
    for job in jobs {
        tx.send(job).unwrap_or_else(|_| panic!("queue closed"));
    }
    drop(tx);
    let stats = Stats::default();
    let file = DbFile::new(path, Durability::Full).unwrap();
    writer_loop(Engine::new(conn, file), rx, 256, &stats);
    stats
}

fn count(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_failed_commit_fails_every_write_of_the_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = database(&dir);
    let (good, mut good_reply) = job(insert("INSERT INTO child (parent_id) VALUES (NULL)"));
    let (refused, mut refused_reply) = job(|_| {
        Err(StoreError::IdempotencyKeyUsed {
            same_request: true,
            answer: Some("{}".into()),
        })
    });
    let (bad, mut bad_reply) = job(insert("INSERT INTO child (parent_id) VALUES (42)"));
    let stats = run_as_one_batch(conn, &path, vec![good, refused, bad]);
    for reply in [&mut good_reply, &mut refused_reply, &mut bad_reply] {
        match reply.try_recv().unwrap() {
            Err(StoreError::Internal(e)) => {
                assert!(e.to_string().contains("failed to commit"), "{e}")
            }
            other => panic!("a write of a failed batch was answered {other:?}"),
        }
    }
    assert_eq!(stats.commits.load(Relaxed), 0);
    assert_eq!(count(&path), 0, "nothing of the batch is stored");
}

#[test]
fn a_failed_write_or_a_panic_rolls_back_that_write_alone() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = database(&dir);
    let (good, mut good_reply) = job(insert("INSERT INTO child (parent_id) VALUES (NULL)"));
    let (failing, mut failing_reply) = job(|conn| {
        insert("INSERT INTO child (parent_id) VALUES (NULL)")(conn)?;
        Err(StoreError::Internal(anyhow::anyhow!("changed its mind")))
    });
    let (panicking, mut panicking_reply) = job(|conn| {
        insert("INSERT INTO child (parent_id) VALUES (NULL)")(conn).unwrap();
        panic!("rendering failed")
    });
    let stats = run_as_one_batch(conn, &path, vec![good, failing, panicking]);
    assert_eq!(good_reply.try_recv().unwrap().unwrap(), "inserted");
    assert!(matches!(
        failing_reply.try_recv().unwrap(),
        Err(StoreError::Internal(e)) if e.to_string() == "changed its mind"
    ));
    assert!(matches!(
        panicking_reply.try_recv().unwrap(),
        Err(StoreError::Internal(e)) if e.to_string().contains("panicked")
    ));
    assert_eq!(stats.commits.load(Relaxed), 1);
    assert_eq!(count(&path), 1);
}

#[test]
fn when_begin_fails_no_write_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = database(&dir);
    conn.busy_timeout(std::time::Duration::ZERO).unwrap();
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let ran = Arc::new(AtomicU64::new(0));
    let (jobs, mut replies): (Vec<_>, Vec<_>) = (0..3)
        .map(|_| {
            let ran = ran.clone();
            job(move |conn| {
                ran.fetch_add(1, Relaxed);
                insert("INSERT INTO child (parent_id) VALUES (NULL)")(conn)
            })
        })
        .unzip();
    run_as_one_batch(conn, &path, jobs);
    holder.execute_batch("ROLLBACK").unwrap();
    for reply in &mut replies {
        assert!(matches!(
            reply.try_recv().unwrap(),
            Err(StoreError::Internal(e)) if e.to_string().contains("could not begin")
        ));
    }
    assert_eq!(ran.load(Relaxed), 0);
    assert_eq!(count(&path), 0);
}

/// One batch of `jobs` through `engine`; the replies, in order.
fn batch_through(
    engine: &mut Engine,
    jobs: Vec<(Box<dyn Job>, Reply)>,
) -> Vec<StoreResult<&'static str>> {
    let (mut jobs, replies): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
    let failed = engine.run_batch(&mut jobs, &Stats::default());
    for job in jobs {
        job.reply(failed.as_ref());
    }
    replies
        .into_iter()
        .map(|mut r| r.try_recv().unwrap())
        .collect()
}

fn good() -> (Box<dyn Job>, Reply) {
    job(insert("INSERT INTO child (parent_id) VALUES (NULL)"))
}

#[test]
fn a_write_finding_the_database_unwritable_fails_its_batch_and_the_next_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = database(&dir);
    let mut engine = Engine::new(conn, DbFile::new(&path, Durability::Full).unwrap());
    let full = job(|conn| {
        insert("INSERT INTO child (parent_id) VALUES (NULL)")(conn)?;
        Err(StoreError::Unavailable("database or disk is full".into()))
    });
    let replies = batch_through(&mut engine, vec![good(), full, good()]);
    for reply in replies {
        assert!(
            matches!(&reply, Err(StoreError::Unavailable(why)) if why.contains("full")),
            "{reply:?}"
        );
    }
    assert!(engine.conn.is_none(), "the connection is dropped");
    assert_eq!(count(&path), 0, "nothing of the batch is stored");
    let replies = batch_through(&mut engine, vec![good()]);
    assert_eq!(replies[0].as_ref().unwrap(), &"inserted");
    assert!(engine.conn.is_some(), "a new connection");
    assert_eq!(count(&path), 1);
}

fn sqlite_files(path: &std::path::Path) -> Vec<std::path::PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::path::PathBuf::from(format!("{}{s}", path.display())))
        .collect()
}

#[test]
fn a_commit_into_a_deleted_database_is_not_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = database(&dir);
    let mut engine = Engine::new(conn, DbFile::new(&path, Durability::Full).unwrap());
    assert!(batch_through(&mut engine, vec![good()])[0].is_ok());
    for file in sqlite_files(&path) {
        std::fs::remove_file(file).unwrap();
    }
    for _ in 0..2 {
        let reply = batch_through(&mut engine, vec![good()]).remove(0);
        assert!(
            matches!(&reply, Err(StoreError::Unavailable(why)) if why.contains("was deleted")),
            "{reply:?}"
        );
    }
    assert!(!path.exists(), "no new database is started at the path");
}

#[test]
fn a_commit_into_a_replaced_database_is_not_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (conn, path) = database(&dir);
    let mut engine = Engine::new(conn, DbFile::new(&path, Durability::Full).unwrap());
    let copy = dir.path().join("copy.db");
    std::fs::copy(&path, &copy).unwrap();
    std::fs::rename(&copy, &path).unwrap();
    let reply = batch_through(&mut engine, vec![good()]).remove(0);
    assert!(
        matches!(&reply, Err(StoreError::Unavailable(why)) if why.contains("was replaced")),
        "{reply:?}"
    );
}

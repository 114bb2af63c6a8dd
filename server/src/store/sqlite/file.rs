//! The database file itself: opening connections to it, refusing at start a file
//! that cannot be written, telling "the database cannot take writes now" apart from
//! "this write is wrong", and noticing when the path stops naming the file the
//! store opened (deleted, or replaced by another), so that no write committed into
//! a file nobody will read again is acknowledged.

use super::Durability;
use crate::store::{StoreError, StoreResult};
use rusqlite::{Connection, ErrorCode, OpenFlags, MAIN_DB};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

/// The errors that say the database cannot take writes now (read-only, full,
/// failing I/O, its file gone), rather than that a write was wrong: the writer
/// reopens its connection after them, and callers get "unavailable", not a 500.
pub fn is_unavailable(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(
            ErrorCode::ReadOnly
                | ErrorCode::DiskFull
                | ErrorCode::SystemIoFailure
                | ErrorCode::CannotOpen
        )
    )
}

/// How long a connection waits for another's lock before answering SQLITE_BUSY.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A connection with the store's settings. Only the first open of a store may
/// create the file: a connection opened later (a reader, the writer reopening)
/// on a path whose file is gone must fail, not start an empty database there.
///
/// The path is a path. SQLite reads a name that begins with `file:` as a URI
/// naming some other file (the bundled build has `SQLITE_USE_URI`, so whatever
/// the flags), which the checks of this file (deleted, replaced, writable) would
/// not be watching; a relative path is therefore given as `./…`.
pub fn connect(path: &Path, durability: Durability, create: bool) -> rusqlite::Result<Connection> {
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let conn = if path.is_relative() {
        Connection::open_with_flags(Path::new(".").join(path), flags)?
    } else {
        Connection::open_with_flags(path, flags)?
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", durability.pragma())?;
    Ok(conn)
}

/// Puts the database in WAL mode; returns the mode SQLite reports. On a new
/// database another process may be switching it at the same moment, and SQLite
/// then answers SQLITE_BUSY at once, without waiting out the busy timeout (it
/// does not wait while it holds a read lock): try again, for as long as that
/// timeout.
pub fn wal_mode(conn: &Connection) -> rusqlite::Result<String> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        match conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0)) {
            Err(e) if switch_again(&e, std::time::Instant::now(), deadline) => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            done => return done,
        }
    }
}

/// Whether a failed switch to WAL is tried again: only SQLITE_BUSY (another
/// process switching too), and only before the deadline. Any other error is the
/// answer at once.
fn switch_again(
    e: &rusqlite::Error,
    now: std::time::Instant,
    deadline: std::time::Instant,
) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::DatabaseBusy) && now < deadline
}

/// The database and its WAL and shared-memory files (those that exist).
fn files(path: &Path) -> [PathBuf; 3] {
    let with = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    [path.to_path_buf(), with("-wal"), with("-shm")]
}

/// Refuses a database the server could open but not write, naming the file and
/// why. SQLite itself would open a file it cannot write read-only, without a
/// word, and every write would fail until a restart.
pub fn ensure_writable(path: &Path) -> anyhow::Result<()> {
    for file in files(path) {
        let meta = match std::fs::metadata(&file) {
            Ok(meta) => meta,
            // A missing database is created; missing side files are made by SQLite.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => anyhow::bail!("the database file {} cannot be read: {e}", file.display()),
        };
        anyhow::ensure!(
            meta.is_file(),
            "the database file {} is not a regular file (a directory?)",
            file.display()
        );
        if let Err(e) = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&file)
        {
            anyhow::bail!(
                "the database file {} is not writable: {e}; crm needs to write it",
                file.display()
            );
        }
    }
    // SQLite creates (and deletes) the WAL and shared-memory files beside the
    // database: its directory must take new files too.
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let probe = dir.join(format!(".crm-write-probe-{}", std::process::id()));
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
    {
        Ok(_) => {
            let _ = std::fs::remove_file(&probe);
            Ok(())
        }
        Err(e) => anyhow::bail!(
            "the directory {} of the database file {} is not writable: {e}; \
             SQLite creates the database's -wal and -shm files there",
            dir.display(),
            path.display()
        ),
    }
}

/// Refuses a connection SQLite opened read-only (it does so, silently, when the
/// file cannot be opened for writing).
pub fn ensure_read_write(conn: &Connection, path: &Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        !conn.is_readonly(MAIN_DB)?,
        "the database file {} is not writable: SQLite could open it only read-only; crm needs to write it",
        path.display()
    );
    Ok(())
}

/// Which file a path names: its device and inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
}

fn identity(path: &Path) -> std::io::Result<Identity> {
    let meta = std::fs::metadata(path)?;
    Ok(Identity {
        dev: meta.dev(),
        ino: meta.ino(),
    })
}

/// The files the writer's commits land in, as they were when the store opened
/// them. The writer checks them after every commit, before acknowledging it.
pub struct DbFile {
    path: PathBuf,
    wal: PathBuf,
    durability: Durability,
    db_id: Identity,
    /// The WAL of the writer's current connection. SQLite deletes the WAL only
    /// when the last connection closes, so while the writer's is open, another
    /// WAL at the path means the file was deleted or replaced under it.
    wal_id: Option<Identity>,
    /// Set once the files were found deleted or replaced: for good, as the rows
    /// committed since went with the old file, and reopening would start an empty
    /// database or adopt a stranger. A restart opens whatever is there then.
    lost: Option<String>,
}

impl DbFile {
    /// The files at `path` now; call it with a connection open on them.
    pub fn new(path: &Path, durability: Durability) -> anyhow::Result<Self> {
        let [path, wal, _] = files(path);
        let db_id = identity(&path)?;
        let wal_id = identity(&wal).ok();
        Ok(DbFile {
            path,
            wal,
            durability,
            db_id,
            wal_id,
            lost: None,
        })
    }

    /// A new writing connection to the same file (never creating one). Call it
    /// once the previous connection is closed: its WAL may have gone with it.
    pub fn reopen(&mut self) -> StoreResult<Connection> {
        self.wal_id = None;
        self.check()?;
        let conn = connect(&self.path, self.durability, false)?;
        // A first read opens (or creates) the WAL, whose identity is then this
        // connection's.
        conn.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))?;
        self.wal_id = identity(&self.wal).ok();
        // The file may have been replaced between the check and the open.
        self.check()?;
        Ok(conn)
    }

    /// Ok if the path still names the files the writer writes into.
    pub fn check(&mut self) -> StoreResult<()> {
        if let Some(lost) = &self.lost {
            return Err(StoreError::Unavailable(lost.clone()));
        }
        let watched = [(&self.path, Some(self.db_id)), (&self.wal, self.wal_id)];
        for (file, expected) in watched {
            let Some(expected) = expected else { continue };
            let what = match identity(file) {
                Ok(now) if now == expected => continue,
                Ok(_) => "was replaced by another file",
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => "was deleted",
                // Not a verdict on the file (a transient error, a permission):
                // this write fails, the next looks again.
                Err(e) => {
                    return Err(StoreError::Unavailable(format!(
                        "cannot check the database file {}: {e}",
                        file.display()
                    )))
                }
            };
            let lost = format!(
                "the database file {} {what} while the server was running; \
                 writes are refused until crm is restarted",
                file.display()
            );
            self.lost = Some(lost.clone());
            return Err(StoreError::Unavailable(lost));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn failure(code: std::os::raw::c_int) -> rusqlite::Error {
        rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None)
    }

    /// Two servers' first opens of a new file race to switch it to WAL; the
    /// loser's SQLITE_BUSY comes at once, so `wal_mode` retries it, and nothing
    /// else, until its deadline.
    #[test]
    fn only_a_busy_switch_is_tried_again_and_only_before_the_deadline() {
        let now = Instant::now();
        let later = now + Duration::from_secs(1);
        let busy = failure(rusqlite::ffi::SQLITE_BUSY);
        let read_only = failure(rusqlite::ffi::SQLITE_READONLY);
        assert!(switch_again(&busy, now, later));
        assert!(!switch_again(&busy, later, later), "at the deadline");
        assert!(!switch_again(&busy, later, now), "past the deadline");
        assert!(!switch_again(&read_only, now, later));
    }

    /// Only a missing file is left for SQLite to create; any other failure to
    /// look at one (here a path through a regular file) is refused, naming it.
    #[test]
    fn a_database_path_that_cannot_be_looked_at_is_refused_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "not a directory").unwrap();
        let db = file.join("crm.db");
        let error = ensure_writable(&db).unwrap_err().to_string();
        assert_eq!(
            error,
            format!(
                "the database file {} cannot be read: Not a directory (os error 20)",
                db.display()
            )
        );
        ensure_writable(&dir.path().join("new.db")).expect("a missing file is created");
    }
}

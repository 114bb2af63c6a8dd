//! The store at its edges, through the real `crm` binary: a database file deleted
//! or replaced under a running server, a database that cannot be written (at
//! start, and while running: an immutable WAL, a full filesystem), servers
//! starting together on a new database, and tokens revoked or expired by another
//! process while servers have them cached.
//!
//! "Cannot be written" is made real even for root, which `chmod` does not stop:
//! `chattr +i` (the kernel refuses writes to an immutable file, even through a
//! descriptor opened before) and a small `tmpfs` filled up. Where neither is
//! possible (no root, a filesystem without the attribute) those tests say so on
//! stderr and pass without checking.

use crm_api::envelope::INTERNAL_MESSAGE;
use crm_server::pipeline::failure::UNAVAILABLE_MESSAGE;
use crm_testkit::{Family, Fixtures, Operation, OPERATIONS};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// `crm admin --db DB ARGS…`'s JSON output; panics with its stderr if it fails.
fn admin(db: &Path, args: &[&str]) -> Value {
    let out = Command::new(CRM)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "crm admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A token as `crm admin token create` prints it.
struct Token {
    secret: String,
    id: i64,
}

fn new_token(db: &Path, workspace: i64, label: &str) -> Token {
    let out = admin(
        db,
        // The form `crm admin token` has always taken (`token create` is new).
        &[
            "token",
            "--workspace",
            &workspace.to_string(),
            "--label",
            label,
            "--all-scopes",
        ],
    );
    Token {
        secret: out["token"].as_str().unwrap().to_owned(),
        id: out["tokenId"].as_i64().unwrap(),
    }
}

/// A workspace, a token for it, and the organization the operations name.
fn tenant(db: &Path) -> (Fixtures, Token) {
    let ws = admin(db, &["workspace", "--name", "edges"]);
    let workspace_id = ws["workspace"]["id"].as_i64().unwrap();
    let token = new_token(db, workspace_id, "edges");
    let org = admin(
        db,
        &[
            "organization",
            "--workspace",
            &workspace_id.to_string(),
            "--name",
            "Edge Co",
        ],
    );
    let fixtures = Fixtures {
        workspace_id,
        contact_id: org["organization"]["id"].as_i64().unwrap(),
        organization_uuid: org["organization"]["uuid"].as_str().unwrap().to_owned(),
    };
    (fixtures, token)
}

/// A running `crm serve`, killed when dropped; its stdout and stderr lines.
struct Server {
    child: Child,
    url: String,
    stdout: Option<std::thread::JoinHandle<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn log(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Stops the server; everything it printed on stdout.
    fn stdout(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stdout.take().unwrap().join().unwrap()
    }
}

/// Collects `from`'s lines into `into`, sending each on `tx` too.
fn collect(
    from: impl std::io::Read + Send + 'static,
    into: Arc<Mutex<Vec<String>>>,
    tx: mpsc::Sender<String>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines().map_while(Result::ok) {
            into.lock().unwrap().push(line.clone());
            let _ = tx.send(line);
        }
    })
}

/// Starts `crm serve` on `db` and an ephemeral port: the server once it logs
/// that it is listening, or how it exited and what it wrote on stderr.
fn serve(db: &Path) -> Result<Server, (ExitStatus, String)> {
    serve_in(Path::new("."), db)
}

/// `crm serve` started in `dir`, where a relative `db` is resolved.
fn serve_in(dir: &Path, db: &Path) -> Result<Server, (ExitStatus, String)> {
    let mut child = Command::new(CRM)
        .current_dir(dir)
        .args(["serve", "--bind", "127.0.0.1:0", "--db"])
        .arg(db)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = Arc::<Mutex<Vec<String>>>::default();
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let stdout = Some(std::thread::spawn(move || {
        BufReader::new(out).lines().map_while(Result::ok).collect()
    }));
    let reader = collect(child.stderr.take().unwrap(), Arc::clone(&stderr), tx);
    let started = Instant::now();
    loop {
        match lines.recv_timeout(Duration::from_millis(50)) {
            Ok(line) if line.contains("listening") => {
                let address = line
                    .split_whitespace()
                    .find_map(|w| w.strip_prefix("address="))
                    .unwrap_or_else(|| panic!("no address in {line:?}"));
                return Ok(Server {
                    child,
                    url: format!("http://{address}"),
                    stdout,
                    stderr,
                });
            }
            Ok(_) => {}
            Err(_) => {
                if let Some(status) = child.try_wait().unwrap() {
                    reader.join().unwrap();
                    return Err((status, stderr.lock().unwrap().join("\n")));
                }
            }
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!(
                "crm serve neither listened nor exited: {:?}",
                stderr.lock().unwrap()
            );
        }
    }
}

fn started(db: &Path) -> Server {
    serve(db).unwrap_or_else(|(status, log)| panic!("crm serve exited ({status}): {log}"))
}

/// One create of `op`, its unique values made from `suffix`, as JSON.
async fn create(
    url: &str,
    op: &Operation,
    token: &str,
    fx: &Fixtures,
    suffix: &str,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{url}{}", op.path))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .body((op.body)(suffix, fx).to_string());
    for (name, value) in (op.headers)(fx) {
        request = request.header(name, value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {text}", op.name()));
    (status, body)
}

/// How many rows hold what `op` makes with `suffix`.
fn stored(db: &Path, op: &Operation, suffix: &str) -> i64 {
    let stored = (op.stored)(suffix);
    // Read as a restart would: a read-write connection, which can rebuild the
    // shared-memory index a killed server left behind (a read-only one sometimes
    // cannot, and fails to open under load).
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    conn.query_row(
        &format!(
            "SELECT count(*) FROM {} WHERE {} = ?1",
            stored.table, stored.column
        ),
        [&stored.value],
        |r| r.get(0),
    )
    .unwrap()
}

/// Every operation succeeds with `suffix`.
async fn all_succeed(server: &Server, token: &str, fx: &Fixtures, suffix: &str) {
    for op in &OPERATIONS {
        let (status, body) = create(&server.url, op, token, fx, suffix).await;
        assert_eq!(status, op.success, "{}: {body}", op.name());
    }
}

/// Every operation answers 503 with the family's envelope.
async fn all_unavailable(server: &Server, token: &str, fx: &Fixtures, suffix: &str) {
    for op in &OPERATIONS {
        let (status, body) = create(&server.url, op, token, fx, suffix).await;
        assert_eq!(
            (status, body),
            op.refusal(503, UNAVAILABLE_MESSAGE),
            "{}",
            op.name()
        );
    }
}

/// Sends each operation until it succeeds (the cause of 503s is gone, and the
/// store must recover by itself); each attempt has its own suffix, so the 503'd
/// ones can be checked unstored.
async fn all_recover(server: &Server, token: &str, fx: &Fixtures, suffix: &str, db: &Path) {
    for op in &OPERATIONS {
        let mut refused = Vec::new();
        loop {
            let attempt = format!("{suffix}-{}", refused.len());
            let (status, body) = create(&server.url, op, token, fx, &attempt).await;
            if status == op.success {
                assert_eq!(stored(db, op, &attempt), 1, "{}", op.name());
                break;
            }
            assert_eq!(
                (status, body),
                op.refusal(503, UNAVAILABLE_MESSAGE),
                "{}",
                op.name()
            );
            assert!(
                refused.len() < 100,
                "{} never recovered: {}",
                op.name(),
                server.log()
            );
            refused.push(attempt);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        for attempt in refused {
            assert_eq!(
                stored(db, op, &attempt),
                0,
                "{}: a 503 stored {attempt}",
                op.name()
            );
        }
    }
}

fn sqlite_files(db: &Path) -> Vec<PathBuf> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{}{suffix}", db.display())))
        .collect()
}

/// `--db` is a path (or `sqlite://PATH`), whatever it looks like: `file:crm.db`
/// is the file of that name. Read as an SQLite URI it named `crm.db` instead, a
/// file the server's checks of its database file (deleted, replaced) do not
/// watch; it made and migrated that one, then failed naming no file.
#[tokio::test]
async fn a_database_path_that_looks_like_an_sqlite_uri_is_a_path() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("file:crm.db");
    let (fx, token) = tenant(&db);
    let server = serve_in(dir.path(), Path::new("file:crm.db"))
        .unwrap_or_else(|(status, log)| panic!("crm serve exited ({status}): {log}"));
    all_succeed(&server, &token.secret, &fx, "uri").await;
    drop(server);
    for op in &OPERATIONS {
        assert_eq!(stored(&db, op, "uri"), 1, "{}", op.name());
    }
    assert!(
        !dir.path().join("crm.db").exists(),
        "no other database was made"
    );
}

/// A person's insert that fails for another reason than a taken e-mail (here a
/// trigger aborts it) is the server's failure: 500 in the family's envelope,
/// never the duplicate-e-mail answer, and nothing stored.
#[tokio::test]
async fn an_insert_failing_for_another_reason_than_a_taken_email_is_no_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let (fx, token) = tenant(&db);
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER refuse_person BEFORE INSERT ON people
             WHEN NEW.email_norm LIKE '%refusedz%'
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;",
        )
        .unwrap();
    let server = started(&db);
    let people: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| {
            let stored = (op.stored)("x");
            stored.table == "people" && stored.column == "email_norm"
        })
        .collect();
    assert_eq!(people.len(), 3, "SalesMap, Introzy and BigChange people");
    for op in people {
        let (status, body) = create(&server.url, op, &token.secret, &fx, "refusedz").await;
        assert_eq!(
            (status, body),
            op.refusal(500, INTERNAL_MESSAGE),
            "{}",
            op.name()
        );
        assert_eq!(stored(&db, op, "refusedz"), 0, "{}", op.name());
        // The same create without the trigger's mark is made.
        let (status, body) = create(&server.url, op, &token.secret, &fx, "acceptedz").await;
        assert_eq!(status, op.success, "{}: {body}", op.name());
    }
    assert!(
        server.log().contains("refused by the test"),
        "the cause is logged"
    );
}

/// A database file the server cannot look at for a while (its directory moved
/// away and a file put in its place: "not a directory") is no verdict on the
/// file: those creates are 503s, and once the path is back the same server
/// writes again, without a restart. Only a deleted or replaced file is lost for
/// good.
#[tokio::test]
async fn a_database_file_that_cannot_be_looked_at_for_a_while_is_written_again() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("data");
    std::fs::create_dir(&home).unwrap();
    let db = home.join("crm.db");
    let (fx, token) = tenant(&db);
    let server = started(&db);
    all_succeed(&server, &token.secret, &fx, "before").await;
    let away = dir.path().join("data-away");
    std::fs::rename(&home, &away).unwrap();
    std::fs::write(&home, "a file where the directory was").unwrap();
    all_unavailable(&server, &token.secret, &fx, "hidden").await;
    std::fs::remove_file(&home).unwrap();
    std::fs::rename(&away, &home).unwrap();
    all_succeed(&server, &token.secret, &fx, "after").await;
    let log = server.log();
    drop(server);
    assert!(log.contains("cannot check the database file"), "{log}");
    assert!(!log.contains("while the server was running"), "{log}");
    for op in &OPERATIONS {
        assert_eq!(
            (stored(&db, op, "hidden"), stored(&db, op, "after")),
            (0, 1),
            "{}",
            op.name()
        );
    }
}

#[tokio::test]
async fn creates_after_the_database_file_is_deleted_are_refused() {
    // Every file of the database, or its WAL alone (where commits land first).
    for deleted in [&["", "-wal", "-shm"][..], &["-wal"]] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let (fx, token) = tenant(&db);
        let server = started(&db);
        all_succeed(&server, &token.secret, &fx, "before").await;
        for suffix in deleted {
            std::fs::remove_file(format!("{}{suffix}", db.display())).unwrap();
        }
        // Twice: the first meets the cached token, the second may need the store.
        all_unavailable(&server, &token.secret, &fx, "deleted").await;
        all_unavailable(&server, &token.secret, &fx, "deleted-again").await;
        let log = server.log();
        assert!(
            log.contains("ERROR") && log.contains("was deleted"),
            "{log}"
        );
        drop(server);
        if deleted.contains(&"") {
            assert!(!db.exists(), "no empty database was started at the path");
        } else {
            // What the refused creates made went nowhere a restart would read.
            for op in &OPERATIONS {
                assert_eq!(stored(&db, op, "deleted"), 0, "{}", op.name());
            }
        }
    }
}

#[tokio::test]
async fn creates_after_the_database_file_is_replaced_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let (fx, token) = tenant(&db);
    let server = started(&db);
    all_succeed(&server, &token.secret, &fx, "before").await;
    // Another database takes the path (a restored copy, say), as a new file.
    let copy = dir.path().join("copy.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
        .unwrap();
    let replacement = std::fs::read(&copy).unwrap();
    std::fs::rename(&copy, &db).unwrap();
    all_unavailable(&server, &token.secret, &fx, "replaced").await;
    assert!(
        std::fs::read(&db).unwrap() == replacement,
        "the server wrote nothing into the file that replaced its database"
    );
    let log = server.log();
    assert!(
        log.contains("ERROR") && log.contains("was replaced"),
        "{log}"
    );
}

/// A file that cannot be opened for writing, even by root, until dropped.
struct Unwritable {
    path: PathBuf,
    chattr: bool,
    mode: u32,
}

impl Unwritable {
    /// `chattr +i`, or else (not root) read-only permissions; None if neither
    /// makes the file (or directory: no new file in it) unwritable here. `chattr_only`: permissions do not stop
    /// writes through a descriptor already open, so they do not count.
    fn make(path: &Path, chattr_only: bool) -> Option<Unwritable> {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(path).unwrap().permissions().mode();
        let chattr = Command::new("chattr")
            .arg("+i")
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !chattr {
            if chattr_only {
                return None;
            }
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
        let guard = Unwritable {
            path: path.to_owned(),
            chattr,
            mode,
        };
        let writable = if path.is_dir() {
            let probe = path.join("probe");
            let created = std::fs::File::create(&probe).is_ok();
            let _ = std::fs::remove_file(probe);
            created
        } else {
            std::fs::OpenOptions::new().write(true).open(path).is_ok()
        };
        (!writable).then_some(guard)
    }
}

impl Drop for Unwritable {
    fn drop(&mut self) {
        use std::os::unix::fs::PermissionsExt as _;
        if self.chattr {
            let _ = Command::new("chattr").arg("-i").arg(&self.path).status();
        }
        let _ = std::fs::set_permissions(&self.path, std::fs::Permissions::from_mode(self.mode));
    }
}

#[test]
fn serve_refuses_a_database_it_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    tenant(&db);
    let Some(unwritable) = Unwritable::make(&db, false) else {
        eprintln!("skipped: neither chattr +i nor permissions make a file unwritable here");
        return;
    };
    let Err((status, log)) = serve(&db) else {
        panic!("crm serve started on a database it cannot write");
    };
    assert!(!status.success());
    let expected = format!("the database file {} is not writable", db.display());
    assert!(log.contains(&expected), "{log}");
    assert!(!log.contains("listening"), "{log}");

    drop(unwritable);

    // A directory that takes no new files: SQLite could not make the WAL there.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let locked_db = locked.join("crm.db");
    tenant(&locked_db);
    for file in &sqlite_files(&locked_db)[1..] {
        let _ = std::fs::remove_file(file);
    }
    let unwritable = Unwritable::make(&locked, false).expect("as the file above");
    let Err((status, log)) = serve(&locked_db) else {
        panic!("crm serve started in a directory it cannot write");
    };
    drop(unwritable);
    assert!(!status.success());
    let expected = format!(
        "the directory {} of the database file {} is not writable",
        locked.display(),
        locked_db.display()
    );
    assert!(log.contains(&expected), "{log}");

    // A directory where the database should be.
    let dir_db = dir.path().join("dir.db");
    std::fs::create_dir(&dir_db).unwrap();
    let Err((status, log)) = serve(&dir_db) else {
        panic!("crm serve started on a directory");
    };
    assert!(!status.success());
    let expected = format!(
        "the database file {} is not a regular file",
        dir_db.display()
    );
    assert!(log.contains(&expected), "{log}");
}

#[tokio::test]
async fn writes_failing_while_running_answer_503_and_recover() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let (fx, token) = tenant(&db);
    let server = started(&db);
    all_succeed(&server, &token.secret, &fx, "before").await;
    // Commits append to the WAL: an immutable WAL fails them (EPERM, SQLite's
    // SQLITE_IOERR), and a connection opened meanwhile gets it read-only
    // (SQLITE_READONLY).
    let wal = sqlite_files(&db).remove(1);
    let Some(unwritable) = Unwritable::make(&wal, true) else {
        eprintln!("skipped: chattr +i is not available here");
        return;
    };
    all_unavailable(&server, &token.secret, &fx, "blocked").await;
    drop(unwritable);
    all_recover(&server, &token.secret, &fx, "after", &db).await;
    for op in &OPERATIONS {
        assert_eq!(stored(&db, op, "before"), 1, "{}", op.name());
        assert_eq!(stored(&db, op, "blocked"), 0, "{}", op.name());
    }
    let log = server.log();
    assert!(
        log.contains("ERROR") && log.contains("cannot take writes"),
        "{log}"
    );
    assert!(log.contains("takes writes again"), "{log}");
}

/// A small tmpfs mounted on a new directory, unmounted when dropped.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Tmpfs(dir))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.0.path()).status();
    }
}

#[tokio::test]
async fn a_full_filesystem_answers_503_and_recovers() {
    let Some(tmpfs) = Tmpfs::mount("4m") else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let db = tmpfs.0.path().join("crm.db");
    let (fx, token) = tenant(&db);
    let server = started(&db);
    all_succeed(&server, &token.secret, &fx, "before").await;
    let filler = tmpfs.0.path().join("filler");
    let mut file = std::fs::File::create(&filler).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    while file.write_all(&chunk).is_ok() {}
    drop(file);
    all_unavailable(&server, &token.secret, &fx, "full").await;
    std::fs::remove_file(&filler).unwrap();
    all_recover(&server, &token.secret, &fx, "after", &db).await;
    for op in &OPERATIONS {
        assert_eq!(stored(&db, op, "before"), 1, "{}", op.name());
        assert_eq!(stored(&db, op, "full"), 0, "{}", op.name());
    }
    let log = server.log();
    assert!(log.contains("ERROR") && log.contains("full"), "{log}");
    drop(server);
}

#[test]
fn servers_starting_together_on_a_new_database_all_start() {
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/server/migrations"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "sql")
        })
        .count() as i64;
    for trial in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        let starts: Vec<_> = (0..6)
            .map(|_| {
                let db = db.clone();
                std::thread::spawn(move || serve(&db))
            })
            .collect();
        let servers: Vec<Server> = starts
            .into_iter()
            .map(|s| {
                s.join().unwrap().unwrap_or_else(|(status, log)| {
                    panic!("trial {trial}: a server exited ({status}): {log}")
                })
            })
            .collect();
        let conn = rusqlite::Connection::open(&db).unwrap();
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, migrations, "trial {trial}");
        let workspaces: i64 = conn
            .query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0))
            .unwrap();
        assert_eq!(workspaces, 1, "trial {trial}: one default workspace");
        let printed = servers
            .into_iter()
            .map(Server::stdout)
            .filter(|out| out.iter().any(|l| l.trim().starts_with("crm_")))
            .count();
        assert_eq!(printed, 1, "trial {trial}: one server printed the token");
    }
}

/// Sends `op` with `token` to `server` until it is refused: a request sent 1 s
/// or more after `since` must be. The refusal's status and body; what the
/// refused request would have made is not stored.
async fn refused_within_a_second(
    server: &Server,
    op: &Operation,
    token: &str,
    fx: &Fixtures,
    since: Instant,
    db: &Path,
) -> (u16, Value) {
    let mut n = 0;
    loop {
        let suffix = format!("refused-{}-{n}", server.child.id());
        let sent = since.elapsed();
        let (status, body) = create(&server.url, op, token, fx, &suffix).await;
        if status != op.success {
            assert_eq!(stored(db, op, &suffix), 0, "{}", op.name());
            return (status, body);
        }
        assert!(
            sent < Duration::from_secs(1),
            "{}: a request sent 1 s later was still accepted",
            op.name()
        );
        n += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused_by_every_server_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let (fx, revoked) = tenant(&db);
    let expired = new_token(&db, fx.workspace_id, "to expire");
    let kept = new_token(&db, fx.workspace_id, "kept");
    let servers = [started(&db), started(&db)];
    // Each server now has each token cached.
    for server in &servers {
        for token in [&revoked, &expired, &kept] {
            all_succeed(
                server,
                &token.secret,
                &fx,
                &format!("{}-{}", server.child.id(), token.id),
            )
            .await;
        }
    }

    // Expiry moved into the past by hand, from another connection.
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?1",
            [expired.id],
        )
        .unwrap();
    let since = Instant::now();
    for server in &servers {
        for op in &OPERATIONS {
            let (status, body) =
                refused_within_a_second(server, op, &expired.secret, &fx, since, &db).await;
            check_refused(
                op,
                status,
                &body,
                "Authorization: the bearer token expired at 2000-01-01T00:00:00.000Z",
            );
        }
        all_succeed(
            server,
            &kept.secret,
            &fx,
            &format!("kept-{}", server.child.id()),
        )
        .await;
        // Cached afresh, just before it is revoked.
        all_succeed(
            server,
            &revoked.secret,
            &fx,
            &format!("fresh-{}", server.child.id()),
        )
        .await;
    }

    // Revoked by the command line, another process.
    let out = admin(&db, &["token", "revoke", "--id", &revoked.id.to_string()]);
    let since = Instant::now();
    assert_eq!(out["revoked"]["tokenId"], revoked.id);
    assert!(out["revoked"]["revokedAt"].is_string(), "{out}");
    for server in &servers {
        for op in &OPERATIONS {
            let (status, body) =
                refused_within_a_second(server, op, &revoked.secret, &fx, since, &db).await;
            check_refused(
                op,
                status,
                &body,
                "Authorization: the bearer token is not valid",
            );
        }
    }

    // The list shows what happened, and no secret or hash.
    let list = admin(
        &db,
        &["token", "list", "--workspace", &fx.workspace_id.to_string()],
    );
    let tokens = list["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 3, "{list}");
    for token in tokens {
        let mut keys: Vec<&str> = token
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "createdAt",
                "expiresAt",
                "label",
                "revokedAt",
                "scopes",
                "tokenId",
                "workspace"
            ]
        );
        let revoked_at = &token["revokedAt"];
        assert_eq!(
            revoked_at.is_string(),
            token["tokenId"] == revoked.id,
            "{token}"
        );
    }
    for secret in [&revoked.secret, &expired.secret, &kept.secret] {
        assert!(!list.to_string().contains(secret.as_str()));
    }
}

fn check_refused(op: &Operation, status: u16, body: &Value, expected: &str) {
    // MaiaScore documents 403 for a request without a valid token.
    let unauthenticated = if op.family == Family::MaiaScore {
        403
    } else {
        401
    };
    let message = if op.family == Family::MaiaScore {
        format!("this operation requires authentication: {expected}")
    } else {
        expected.to_owned()
    };
    assert_eq!(
        (status, body.clone()),
        op.refusal(unauthenticated, &message),
        "{}",
        op.name()
    );
}

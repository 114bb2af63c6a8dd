//! PostgreSQL for the tests: a fresh database for each caller, and throwaway
//! clusters a test may stop, start and restart.
//!
//! [`database_url`] gives a new, empty database on every call (so tests stay
//! independent and run in parallel):
//! - on the server named by `CRM_TEST_POSTGRES_URL` (any database of it that the
//!   role may connect to; the role needs CREATEDB), as `crm_test_<pid>_<n>`. A
//!   database is dropped by a later run once the process that made it is gone
//!   (a test process has no hook at exit);
//! - or else on a cluster of this test process's own, made once with the
//!   installed `initdb` and `pg_ctl` (PostgreSQL's `bin` directory under
//!   `/usr/lib/postgresql/*`, or `CRM_TEST_PG_BIN`) in a temporary directory,
//!   reached only through its Unix socket there, and stopped and deleted when the
//!   test process ends, however it ends (a watchdog process waits for the end of
//!   a pipe the test process holds). `initdb` refuses to run as root: as root the
//!   cluster is made and run as the `postgres` user.
//!
//! Without either, the caller gets None and a loud "SKIPPED" on stderr; with
//! `CRM_REQUIRE_POSTGRES=1` (which `.ci/run` sets) that is a failure instead.
//!
//! A test that must stop or restart PostgreSQL makes a [`Cluster`] of its own
//! ([`Cluster::start`]), even where `CRM_TEST_POSTGRES_URL` is set: the shared
//! server is not the test's to stop.
//!
//! Test clusters run with `fsync=off`: they are thrown away, and an immediate
//! shutdown (what a crash test does to the database) loses nothing with it; only
//! a crash of the machine would.

#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

/// A fresh, empty database's URL, or None (said loudly on stderr) when no
/// PostgreSQL is available; under `CRM_REQUIRE_POSTGRES=1` that panics instead.
pub fn database_url() -> Option<String> {
    static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
    let server = SERVER.get_or_init(|| match std::env::var("CRM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            sweep_leftovers(&url);
            Ok(Server::Given(url))
        }
        _ => Cluster::start().map(Server::Own),
    });
    match server {
        Ok(server) => Some(server.create_database()),
        Err(why) => {
            skip(why);
            None
        }
    }
}

/// Says loudly that the calling test did not run, or fails it where PostgreSQL
/// is required.
pub fn skip(why: &str) {
    let test = std::thread::current()
        .name()
        .unwrap_or("a PostgreSQL test")
        .to_owned();
    if required() {
        panic!("{test}: PostgreSQL is required (CRM_REQUIRE_POSTGRES=1) but {why}");
    }
    eprintln!(
        "\n*** SKIPPED {test}: no PostgreSQL: {why}. Set CRM_TEST_POSTGRES_URL, or install \
         PostgreSQL (initdb, pg_ctl); CRM_REQUIRE_POSTGRES=1 makes this a failure. ***\n"
    );
}

pub fn required() -> bool {
    std::env::var("CRM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
}

enum Server {
    Given(String),
    Own(Cluster),
}

static DATABASES: AtomicUsize = AtomicUsize::new(0);

impl Server {
    fn create_database(&self) -> String {
        match self {
            Server::Given(url) => {
                let name = format!(
                    "crm_test_{}_{}",
                    std::process::id(),
                    DATABASES.fetch_add(1, Ordering::Relaxed)
                );
                execute(url, &format!("CREATE DATABASE {name}"));
                with_database(url, &name)
            }
            Server::Own(cluster) => cluster.create_database(),
        }
    }
}

/// `url` naming the database `name` instead of its own.
pub fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, after) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let query = after.find('?').map_or("", |i| &after[i..]);
    format!("{scheme}://{authority}/{name}{query}")
}

/// Drops the `crm_test_<pid>_<n>` databases of test processes that have ended.
fn sweep_leftovers(url: &str) {
    let names = block_on(async {
        let client = connect(url).await;
        client
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE 'crm\\_test\\_%'",
                &[],
            )
            .await
            .map(|rows| {
                rows.iter()
                    .map(|r| r.get::<_, String>(0))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    });
    for name in names {
        let pid = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = try_execute(url, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// Runs `f` to completion on a runtime of its own, in a thread of its own, so
/// that sync and async tests alike may call it.
pub fn block_on<F: std::future::Future + Send>(f: F) -> F::Output
where
    F::Output: Send,
{
    std::thread::scope(|s| {
        s.spawn(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f)
        })
        .join()
        .unwrap()
    })
}

/// A connection to `url` (its task spawned on the current runtime).
pub async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {url}: {e:?}"));
    tokio::spawn(connection);
    client
}

fn try_execute(url: &str, sql: &str) -> Result<(), tokio_postgres::Error> {
    block_on(async { connect(url).await.batch_execute(sql).await })
}

/// Runs `sql` on `url`; panics with the server's message if it fails.
pub fn execute(url: &str, sql: &str) {
    try_execute(url, sql).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
}

/// The one integer `sql` selects with `params`, read on `url`.
pub fn query_i64(
    url: &str,
    sql: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> i64 {
    block_on(async {
        connect(url)
            .await
            .query_one(sql, params)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e:?}"))
            .get(0)
    })
}

/// A PostgreSQL cluster of the test's own, in a temporary directory, listening
/// only on a Unix socket there. Stopped and deleted when dropped, and in any
/// case when the test process ends.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    /// Run its commands as this user (root may not run PostgreSQL).
    as_user: Option<&'static str>,
    /// Held open for the watchdog: when it closes, the cluster goes.
    watchdog: Mutex<Option<(Child, ChildStdin)>>,
}

impl Cluster {
    /// Makes and starts a new cluster, or says why it cannot.
    pub fn start() -> Result<Cluster, String> {
        static CLUSTERS: AtomicUsize = AtomicUsize::new(0);
        let bin = pg_bin().ok_or("no PostgreSQL bin directory (initdb, pg_ctl) found")?;
        let as_user = is_root().then_some("postgres");
        let dir = std::env::temp_dir().join(format!(
            "crm-pg-{}-{}",
            std::process::id(),
            CLUSTERS.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if let Some(user) = as_user {
            let chown = Command::new("chown")
                .args([user, &dir.display().to_string()])
                .output()
                .map_err(|e| format!("chown: {e}"))?;
            if !chown.status.success() {
                return Err(format!(
                    "chown {user} {}: {}",
                    dir.display(),
                    String::from_utf8_lossy(&chown.stderr)
                ));
            }
        }
        let cluster = Cluster {
            watchdog: Mutex::new(None),
            dir,
            bin,
            as_user,
        };
        cluster.arm_watchdog()?;
        let data = cluster.data().display().to_string();
        cluster.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        )?;
        std::fs::OpenOptions::new()
            .append(true)
            .open(cluster.data().join("postgresql.conf"))
            .and_then(|mut conf| {
                writeln!(
                    conf,
                    "listen_addresses = ''\nunix_socket_directories = '{}'\nport = 5432\n\
                     fsync = off\nmax_connections = 300\nshared_buffers = 32MB",
                    cluster.dir.display()
                )
            })
            .map_err(|e| format!("postgresql.conf: {e}"))?;
        cluster.start_again()?;
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A watchdog that stops the cluster and deletes its directory once the test
    /// process's end of a pipe closes (whatever ends the process).
    fn arm_watchdog(&self) -> Result<(), String> {
        let pg_ctl = self.command("pg_ctl");
        let script = format!(
            "trap '' INT TERM HUP; cat >/dev/null; {} -D '{}' stop -m immediate >/dev/null 2>&1; \
             rm -rf '{}'",
            pg_ctl,
            self.data().display(),
            self.dir.display()
        );
        let mut child = Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("sh: {e}"))?;
        let stdin = child.stdin.take().expect("piped");
        *self.watchdog.lock().unwrap() = Some((child, stdin));
        Ok(())
    }

    /// A shell command line running PostgreSQL's `tool`, as the cluster's user.
    fn command(&self, tool: &str) -> String {
        let path = self.bin.join(tool).display().to_string();
        match self.as_user {
            Some(user) => format!("runuser -u {user} -- '{path}'"),
            None => format!("'{path}'"),
        }
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(tool);
        let mut command = match self.as_user {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&path);
                c
            }
            None => Command::new(&path),
        };
        let out = command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("{tool}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{tool} {args:?} failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let data = self.data().display().to_string();
        let log = self.dir.join("log").display().to_string();
        let mut all = vec!["-D", &data, "-l", &log, "-w", "-t", "60"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }

    /// Starts it (again), and waits until it takes connections.
    pub fn start_again(&self) -> Result<(), String> {
        self.pg_ctl(&["start"])
    }

    /// Stops it: connections are closed, new ones refused.
    pub fn stop(&self) -> Result<(), String> {
        self.pg_ctl(&["stop", "-m", "fast"])
    }

    /// Stops it as a crash would (`-m immediate`: no checkpoint, recovery from
    /// the WAL at the next start) and starts it again.
    pub fn restart_immediate(&self) -> Result<(), String> {
        self.pg_ctl(&["restart", "-m", "immediate"])
    }

    /// Stalls it without closing anything, as a hung machine or network would:
    /// SIGSTOP to the postmaster and each of its processes. [`Cluster::resume`]
    /// undoes it.
    pub fn pause(&self) {
        self.signal("STOP");
    }

    pub fn resume(&self) {
        self.signal("CONT");
    }

    /// Sends `signal` to the postmaster and its children, by their pids.
    fn signal(&self, signal: &str) {
        let pid_file = std::fs::read_to_string(self.data().join("postmaster.pid")).unwrap();
        let postmaster = pid_file.lines().next().unwrap().trim().to_owned();
        let children =
            std::fs::read_to_string(format!("/proc/{postmaster}/task/{postmaster}/children"))
                .unwrap_or_default();
        let mut pids = vec![postmaster];
        pids.extend(children.split_whitespace().map(str::to_owned));
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .args(&pids)
            .status()
            .unwrap();
        assert!(status.success(), "kill -{signal} {pids:?}");
    }

    /// The URL of database `name` on it.
    pub fn url(&self, name: &str) -> String {
        // The socket directory as the URL's host, percent-encoded.
        let host = self.dir.display().to_string().replace('/', "%2F");
        format!("postgres://postgres@{host}/{name}")
    }

    /// A new, empty database on it.
    pub fn create_database(&self) -> String {
        let name = format!("crm_{}", DATABASES.fetch_add(1, Ordering::Relaxed));
        execute(&self.url("postgres"), &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Closing the pipe ends the watchdog's wait: it stops and deletes the
        // cluster. Waited for, so that a test's cluster is gone when it ends.
        if let Some((mut child, stdin)) = self.watchdog.lock().unwrap().take() {
            drop(stdin);
            let _ = child.wait();
        }
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `CRM_TEST_PG_BIN`, or the newest `/usr/lib/postgresql/<version>/bin` with
/// `initdb` and `pg_ctl`.
fn pg_bin() -> Option<PathBuf> {
    if let Ok(bin) = std::env::var("CRM_TEST_PG_BIN") {
        return Some(PathBuf::from(bin));
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").exists() && bin.join("pg_ctl").exists()).then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

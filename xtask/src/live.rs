//! A live `crm serve` for the checks that call it from outside (Schemathesis, the
//! clients' smoke tests): the debug binary on a fresh database of either store and
//! a free loopback port, its printed token, and the records the documents'
//! examples name, made with `crm admin`.

use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the server on every way out.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds the debug `crm` binary; its path.
pub fn build_crm(root: &Path) -> anyhow::Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--bin", "crm"])
        .current_dir(root)
        .status()?;
    anyhow::ensure!(status.success(), "building crm failed");
    Ok(crate::target_dir(root).join("debug/crm"))
}

/// The store a live server runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Store {
    /// A new SQLite file in the server's scratch directory.
    Sqlite,
    /// A new database on `CRM_TEST_POSTGRES_URL`'s server, or on a throwaway
    /// cluster (`tests/support/postgres.rs`).
    Postgres,
}

impl Store {
    /// A fresh, empty database's `--db` argument; Ok(None) (said loudly) when
    /// PostgreSQL is not to be had, which `CRM_REQUIRE_POSTGRES=1` makes an error.
    fn fresh_database(self, dir: &Path) -> anyhow::Result<Option<String>> {
        match self {
            Store::Sqlite => Ok(Some(dir.join("crm.db").to_string_lossy().into_owned())),
            Store::Postgres => {
                use crate::postgres::support;
                // The support module panics where PostgreSQL is required and
                // absent; here that is an error of the run, with its reason.
                std::panic::catch_unwind(support::database_url).map_err(|panic| {
                    let why = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    anyhow::anyhow!("no PostgreSQL database: {why}")
                })
            }
        }
    }
}

/// Runs `crm admin` and returns what it printed (JSON).
fn crm_admin(crm: &Path, db: &str, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let out = Command::new(crm)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "crm admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// A server on a fresh, seeded database, and its token.
pub struct Live {
    _server: Server,
    dir: tempfile::TempDir,
    /// The server's `--db`: a SQLite path or a `postgres://` URL.
    db: String,
    pub store: Store,
    pub port: u16,
    pub token: String,
    /// The workspace the first start made: BigChange's `Customer-Id`.
    pub workspace_id: i64,
    /// The seeded organization's uuid (a SalesMap lead's `organizationId`).
    pub organization: String,
    /// The seeded organization's integer id (BigChange's `contactId`).
    pub contact_id: i64,
}

impl Live {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The server's `--db`: a SQLite path or a `postgres://` URL.
    pub fn db(&self) -> &str {
        &self.db
    }

    /// A scratch directory that lives as long as the server.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Starts `crm serve` on a new database of `store` (Ok(None) when that store is
/// PostgreSQL and none is to be had, said on stderr) and seeds the records the documents'
/// examples name: the organization `Acme Inc` (`contactId` 1) and the custom
/// fields `cf_favorite_color` (text), `cf_budget` and `bc_budget` (numbers;
/// BigChange's `definitionId` 7 is the last).
pub fn start(crm: &Path, store: Store) -> anyhow::Result<Option<Live>> {
    let dir = tempfile::tempdir()?;
    let Some(db) = store.fresh_database(dir.path())? else {
        return Ok(None);
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();

    let mut child = Command::new(crm)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting crm serve")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let server = Server(child);
    let mut token = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line.trim().starts_with("crm_") {
            token = Some(line.trim().to_owned());
        }
        if line.starts_with("Try: curl") {
            break;
        }
    }
    let token = token.context("crm serve printed no token")?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }

    let organization = crm_admin(
        crm,
        &db,
        &["organization", "--workspace", "1", "--name", "Acme Inc"],
    )?;
    let contact_id = organization["organization"]["id"]
        .as_i64()
        .context("crm admin organization printed no id")?;
    let organization = organization["organization"]["uuid"]
        .as_str()
        .context("crm admin organization printed no uuid")?
        .to_owned();
    for (name, key, kind) in [
        ("좋아하는 색", "cf_favorite_color", "text"),
        ("예산", "cf_budget", "number"),
        ("Budget", "bc_budget", "number"),
    ] {
        crm_admin(
            crm,
            &db,
            &[
                "field",
                "--workspace",
                "1",
                "--entity",
                "person",
                "--name",
                name,
                "--key",
                key,
                "--type",
                kind,
            ],
        )?;
    }
    Ok(Some(Live {
        _server: server,
        dir,
        db,
        store,
        port,
        token,
        workspace_id: 1,
        organization,
        contact_id,
    }))
}

//! A real server on an ephemeral loopback port, on a fresh database of the
//! backend a test is run against, with a workspace and token made through the
//! same admin code the CLI runs; and `each_backend!`, which runs one test
//! function against every store. Also included by `cli/tests/cli.rs` (`#[path]`),
//! which drives `crm-cli` against it (on SQLite: the shell does not see the store).
//!
//! A test about the service is written once, as `async fn name(backend: Backend)`
//! followed by `each_backend!(name);`: that makes the tests `name::sqlite` and
//! `name::postgres`. Without a PostgreSQL to test on, `name::postgres` says so on
//! stderr and passes; with `CRM_REQUIRE_POSTGRES=1` (CI) it fails instead.
//!
//! SQLite-only, because they are about SQLite itself (its files, its WAL, its
//! migrations), not about what the service does with a store:
//! - `tests/migrations.rs`, and the upgrade tests in `canonical.rs`,
//!   `maiascore.rs`, `standard_fields.rs` and `idempotency.rs` (a key an older
//!   version left unanswered): they start from SQLite databases of earlier schema
//!   versions (checked-in dumps, or rows as an older binary left them, with
//!   `PRAGMA user_version`); PostgreSQL's schema has no older version;
//! - `tests/durability.rs`: `--durability` and `--commit`, the WAL's fsyncs traced
//!   with strace, a failing COMMIT forced by a SQLite trigger;
//! - `tests/edges_store.rs`: the database file deleted, replaced, made immutable or
//!   filled under the server, six servers starting on one new file (PostgreSQL's
//!   own faults and servers sharing a database: `tests/postgres.rs`,
//!   `tests/multi_server.rs`);
//! - `tests/crash.rs` is written for both stores but not with `each_backend!`: a
//!   PostgreSQL crash has a second kind (the database restarted in immediate
//!   mode), and SQLite's rounds add its integrity checks;
//! - what is the same whatever the store, run once (on SQLite): the binary's
//!   flags that never reach the store (an invalid value, an address in use, the
//!   environment's `CRM_BIND`/`CRM_DB`, `--request-timeout-secs`,
//!   `--max-inflight-body-bytes`, `--shutdown-grace-secs`), the log's queue,
//!   idle sockets (`serve_flags.rs`, `operations.rs`, `body_budget.rs`'s real
//!   binary and start-up refusal), the pages of `/docs` (`docs_served.rs`, and
//!   `docs_browser.rs`, whose try-it create is one more SalesMap create in a
//!   browser), and `crm-cli` (`cli/tests/cli.rs`).

#![allow(dead_code)]

pub mod db;
#[path = "../support/postgres.rs"]
pub mod postgres;

pub use db::TestDb;

use crm::cli::{admin, AdminCommand, Database, NewTokenArgs, OpenedStore, TokenCommand};
use crm_server::store::AdminStore;
use serde_json::Value;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

/// The store a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// Whether this backend can be tested here. PostgreSQL needs a server;
    /// without one this says so on stderr (past the harness's capture, so a
    /// passing run shows it) and the caller skips, unless `CRM_REQUIRE_POSTGRES=1`
    /// makes it a failure.
    pub fn available(self, test: &str) -> bool {
        match self {
            Backend::Sqlite => true,
            Backend::Postgres => postgres_available(test),
        }
    }
}

/// Runs `async fn $name(backend: Backend)` as one test per backend:
/// `$name::sqlite` and `$name::postgres`, each under `#[tokio::test]` or the
/// test attribute given first (`each_backend!(#[tokio::test(flavor =
/// "multi_thread")] $name)`).
#[allow(unused_macros)]
macro_rules! each_backend {
    ($name:ident) => {
        $crate::common::each_backend!(
            #[tokio::test]
            $name
        );
    };
    (#[$test:meta] $name:ident) => {
        mod $name {
            #[$test]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }

            #[$test]
            async fn postgres() {
                let backend = $crate::common::Backend::Postgres;
                if backend.available(concat!(module_path!(), "::postgres")) {
                    super::$name(backend).await
                }
            }
        }
    };
}
#[allow(unused_imports)]
pub(crate) use each_backend;

/// A fresh, empty database of a backend: where a server's data lives.
pub enum TestDatabase {
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
    },
}

impl TestDatabase {
    pub fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                TestDatabase::Sqlite {
                    path: dir.path().join("crm.db"),
                    _dir: dir,
                }
            }
            Backend::Postgres => TestDatabase::Postgres {
                url: postgres_database(),
            },
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            TestDatabase::Sqlite { .. } => Backend::Sqlite,
            TestDatabase::Postgres { .. } => Backend::Postgres,
        }
    }

    /// What `crm serve --db` and `crm admin --db` take: the file, or the URL.
    pub fn arg(&self) -> &OsStr {
        match self {
            TestDatabase::Sqlite { path, .. } => path.as_os_str(),
            TestDatabase::Postgres { url } => OsStr::new(url),
        }
    }

    /// The SQLite file; only tests about SQLite itself ask for it.
    pub fn sqlite_path(&self) -> &Path {
        match self {
            TestDatabase::Sqlite { path, .. } => path,
            TestDatabase::Postgres { .. } => panic!("a SQLite-only test runs on PostgreSQL"),
        }
    }

    /// A new connection to it, to read what was stored.
    pub fn connect(&self) -> TestDb {
        match self {
            TestDatabase::Sqlite { path, .. } => TestDb::sqlite(path),
            TestDatabase::Postgres { url } => TestDb::postgres(url),
        }
    }

    /// The store a server runs on, opened as `crm serve --db` opens it.
    pub async fn open(&self) -> Arc<dyn OpenedStore> {
        Database::from(self.arg().to_owned())
            .open(Default::default())
            .await
            .unwrap()
    }

    /// Breaks the store under a running server (for the 500 paths): a table
    /// the next write needs disappears.
    pub fn sabotage(&self, table: &str) {
        match self {
            TestDatabase::Sqlite { path, .. } => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; DROP TABLE {table};"))
                    .unwrap();
            }
            TestDatabase::Postgres { .. } => {
                // The foreign keys that name it go with it; the tables keep their rows.
                self.connect()
                    .execute(&format!("DROP TABLE {table} CASCADE"), &[]);
            }
        }
    }
}

/// Whether PostgreSQL tests can run here (see [`Backend::available`]): asked
/// once per test process, which costs one database; `postgres::database_url`
/// itself fails under `CRM_REQUIRE_POSTGRES=1`.
fn postgres_available(test: &str) -> bool {
    use std::io::Write as _;
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    let available = *AVAILABLE.get_or_init(|| postgres::database_url().is_some());
    if !available {
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED {test}: no PostgreSQL to test on (tests/support/postgres.rs: \
             CRM_TEST_POSTGRES_URL, or initdb and pg_ctl); it ran on SQLite only"
        );
    }
    available
}

/// A fresh PostgreSQL database's URL.
fn postgres_database() -> String {
    postgres::database_url().expect("PostgreSQL was available for this test")
}

pub struct TestServer {
    pub url: String,
    pub database: TestDatabase,
    store: Arc<dyn OpenedStore>,
    db: OnceLock<TestDb>,
    server: Option<dropshot::HttpServer<crm_server::app::ServerContext>>,
}

/// A workspace with its token.
pub struct Tenant {
    pub workspace_id: i64,
    pub workspace_uuid: String,
    pub token: String,
}

/// The configuration tests start with: the defaults, on an ephemeral port.
pub fn test_config() -> crm_server::ServerConfig {
    crm_server::ServerConfig {
        bind: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    }
}

impl TestServer {
    /// On SQLite, for the tests about SQLite or the binary.
    pub async fn start() -> TestServer {
        Self::start_on(Backend::Sqlite).await
    }

    pub async fn start_on(backend: Backend) -> TestServer {
        Self::start_with(backend, test_config()).await
    }

    pub async fn start_with(backend: Backend, config: crm_server::ServerConfig) -> TestServer {
        let database = TestDatabase::new(backend);
        let store = database.open().await;
        let server = crm_server::serve(config, store.clone(), crm::SPECS).unwrap();
        TestServer {
            url: format!("http://{}", server.local_addr()),
            database,
            store,
            db: OnceLock::new(),
            server: Some(server),
        }
    }

    pub fn backend(&self) -> Backend {
        self.database.backend()
    }

    /// The store's admin interface, as `crm admin` uses it.
    pub fn admin_store(&self) -> &dyn AdminStore {
        self.store.as_ref()
    }

    pub async fn admin(&self, command: AdminCommand) -> Value {
        admin(self.admin_store(), command).await.unwrap()
    }

    pub async fn tenant(&self, name: &str) -> Tenant {
        let ws = self
            .admin(AdminCommand::Workspace { name: name.into() })
            .await;
        let workspace_id = ws["workspace"]["id"].as_i64().unwrap();
        let token = self
            .admin(AdminCommand::from(TokenCommand::Create(NewTokenArgs {
                workspace: workspace_id.to_string(),
                label: format!("{name}-token"),
                scopes: vec![],
                all_scopes: true,
                expires_in_secs: None,
            })))
            .await;
        Tenant {
            workspace_id,
            workspace_uuid: ws["workspace"]["uuid"].as_str().unwrap().to_owned(),
            token: token["token"].as_str().unwrap().to_owned(),
        }
    }

    pub async fn organization(&self, t: &Tenant, name: &str) -> String {
        let out = self
            .admin(AdminCommand::Organization {
                workspace: t.workspace_id.to_string(),
                name: name.into(),
            })
            .await;
        out["organization"]["uuid"].as_str().unwrap().to_owned()
    }

    /// A new organization's integer id: BigChange's `contactId`.
    pub async fn contact(&self, t: &Tenant, name: &str) -> i64 {
        let out = self
            .admin(AdminCommand::Organization {
                workspace: t.workspace_id.to_string(),
                name: name.into(),
            })
            .await;
        out["organization"]["id"].as_i64().unwrap()
    }

    /// What `crm_testkit`'s operations need for this tenant: a new organization
    /// named `name`, by its integer id (BigChange's `contactId`) and its uuid (a
    /// SalesMap lead's `organizationId`).
    pub async fn fixtures(&self, t: &Tenant, name: &str) -> crm_testkit::Fixtures {
        let out = self
            .admin(AdminCommand::Organization {
                workspace: t.workspace_id.to_string(),
                name: name.into(),
            })
            .await;
        crm_testkit::Fixtures {
            workspace_id: t.workspace_id,
            contact_id: out["organization"]["id"].as_i64().unwrap(),
            organization_uuid: out["organization"]["uuid"].as_str().unwrap().to_owned(),
        }
    }

    /// A pipeline's uuid and its stages' uuids, in order.
    pub async fn pipeline(&self, t: &Tenant, name: &str, stages: &[&str]) -> (String, Vec<String>) {
        let out = self
            .admin(AdminCommand::Pipeline {
                workspace: t.workspace_id.to_string(),
                name: name.into(),
                stages: stages.iter().map(|s| s.to_string()).collect(),
            })
            .await;
        let stages = out["pipeline"]["stages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["uuid"].as_str().unwrap().to_owned())
            .collect();
        (out["pipeline"]["uuid"].as_str().unwrap().to_owned(), stages)
    }

    pub async fn field(
        &self,
        t: &Tenant,
        entity: &str,
        name: &str,
        key: &str,
        ty: &str,
        options: &[&str],
    ) -> i64 {
        let out = self
            .admin(AdminCommand::Field {
                workspace: t.workspace_id.to_string(),
                entity: entity.into(),
                name: name.into(),
                key: key.into(),
                field_type: ty.into(),
                options: options.iter().map(|s| s.to_string()).collect(),
            })
            .await;
        out["field"]["id"].as_i64().unwrap()
    }

    /// What the running server's handlers share (its store, metrics, body budget).
    pub fn context(&self) -> &crm_server::ServerContext {
        self.server.as_ref().expect("running").app_private()
    }

    /// A separate connection to the database: what was really stored.
    pub fn db(&self) -> &TestDb {
        self.db.get_or_init(|| self.database.connect())
    }

    /// The SQLite file, for the tests about SQLite itself.
    pub fn db_path(&self) -> &Path {
        self.database.sqlite_path()
    }

    /// Breaks the store under the running server (for the 500 paths): a table the
    /// next write needs disappears.
    pub fn sabotage(&self, table: &str) {
        self.database.sabotage(table);
    }

    pub fn count(&self, table: &str) -> i64 {
        self.db().count(table)
    }

    /// How many rows hold the record `op` makes with `suffix`.
    pub fn stored(&self, op: &crm_testkit::Operation, suffix: &str) -> i64 {
        self.db().stored(op, suffix)
    }

    /// A raw POST, for what the generated client cannot send.
    pub async fn post_raw(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        self.post_with_headers(path, token, content_type, &[], body)
            .await
    }

    /// A raw POST with extra headers.
    pub async fn post_with_headers(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", self.url))
            .header("content-type", content_type)
            .body(body);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("response is not JSON ({e}): {text}"));
        (status, body)
    }

    /// A create of `op` with `body` as JSON, its headers for `fixtures`, and
    /// `extra` headers (an `Idempotency-Key`, say).
    pub async fn create(
        &self,
        op: &crm_testkit::Operation,
        token: Option<&str>,
        fixtures: &crm_testkit::Fixtures,
        extra: &[(&str, &str)],
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> (u16, Value) {
        let needed = (op.headers)(fixtures);
        let mut headers: Vec<(&str, &str)> = needed.iter().map(|(n, v)| (*n, v.as_str())).collect();
        headers.extend_from_slice(extra);
        assert_eq!(op.method, "POST", "{}: only POST is sent here", op.name());
        self.post_with_headers(op.path, token, content_type, &headers, body)
            .await
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        self.post_raw(path, token, "application/json", body.to_string())
            .await
    }

    /// The same database under a new store and server, as after a restart (on
    /// another port).
    pub async fn restart(mut self) -> TestServer {
        if let Some(s) = self.server.take() {
            s.close().await.unwrap();
        }
        // The old store (a SQLite writer thread, a PostgreSQL pool) stops once
        // its last handle is gone.
        self.store = self.database.open().await;
        let server = crm_server::serve(test_config(), self.store.clone(), crm::SPECS).unwrap();
        self.url = format!("http://{}", server.local_addr());
        self.server = Some(server);
        self
    }

    pub async fn stop(mut self) {
        if let Some(s) = self.server.take() {
            s.close().await.unwrap();
        }
    }
}

/// `base` with the fields of `patch` set over it.
pub fn patched(base: &Value, patch: Value) -> Value {
    let mut out = base.clone();
    for (k, v) in patch.as_object().expect("patch is an object") {
        out[k] = v.clone();
    }
    out
}

/// Runs `attempt(i)` for each `i` in `0..n`, each on its own task, all released
/// at once by a barrier: on a multi-threaded runtime the requests truly race (not
/// only interleave at await points, as one task polling them all would). The
/// results in the order of `i`.
pub async fn race<T, F>(n: usize, attempt: impl Fn(usize) -> F) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (barrier, attempt) = (barrier.clone(), attempt(i));
            tokio::spawn(async move {
                barrier.wait().await;
                attempt.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for task in tasks {
        results.push(task.await.expect("a racing request panicked"));
    }
    results
}

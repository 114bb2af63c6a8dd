//! A real server on an ephemeral loopback port, on a fresh SQLite file, with a
//! workspace and token made through the same admin code the CLI runs. Also
//! included by `cli/tests/cli.rs` (`#[path]`), which drives `crm-cli` against it.

#![allow(dead_code)]

use crm::cli::{admin, AdminCommand, NewTokenArgs, TokenCommand};
use crm_server::store::{AdminStore, Durability, SqliteStore};
use serde_json::Value;
use std::path::PathBuf;
use std::sync::Arc;

pub struct TestServer {
    pub url: String,
    pub db_path: PathBuf,
    pub store: Arc<SqliteStore>,
    server: Option<dropshot::HttpServer<crm_server::app::ServerContext>>,
    _dir: tempfile::TempDir,
}

/// A workspace with its token.
pub struct Tenant {
    pub workspace_id: i64,
    pub workspace_uuid: String,
    pub token: String,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(crm_server::ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        })
        .await
    }

    pub async fn start_with(config: crm_server::ServerConfig) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("crm.db");
        let store = Arc::new(SqliteStore::open(&db_path, Durability::Full).unwrap());
        let server = crm_server::serve(config, store.clone(), crm::SPECS).unwrap();
        TestServer {
            url: format!("http://{}", server.local_addr()),
            db_path,
            store,
            server: Some(server),
            _dir: dir,
        }
    }

    pub async fn admin(&self, command: AdminCommand) -> Value {
        admin(self.store.as_ref() as &dyn AdminStore, command)
            .await
            .unwrap()
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

    /// A separate connection to the database file: what was really stored.
    pub fn db(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            &self.db_path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap()
    }

    /// Breaks the store under the running server (for the 500 paths): a table the
    /// next write needs disappears.
    pub fn sabotage(&self, table: &str) {
        let conn = rusqlite::Connection::open(&self.db_path).unwrap();
        conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; DROP TABLE {table};"))
            .unwrap();
    }

    pub fn count(&self, table: &str) -> i64 {
        self.db()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
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
        let config = crm_server::ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            ..Default::default()
        };
        // The old store's writer stops once its last handle is gone.
        self.store = Arc::new(SqliteStore::open(&self.db_path, Durability::Full).unwrap());
        let server = crm_server::serve(config, self.store.clone(), crm::SPECS).unwrap();
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

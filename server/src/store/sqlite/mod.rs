//! SQLite behind [`Store`] and [`AdminStore`]: opening (WAL, foreign keys on,
//! migrations), the read pool, the caches, and trait impls that hand each call to
//! the module that knows its SQL.
//!
//! - `writer.rs`: the one writing connection and group commit; schema-agnostic.
//! - `records.rs`: people, leads, customers, organizations.
//! - `admin.rs`: workspaces, tokens, pipelines, field definitions.
//! - `idempotency.rs`: keys, claimed and answered inside the create's savepoint.
//! - `rekey.rs`: recomputes stored e-mail and name keys (migration 0005).
//! - `standard_fields.rs`: gives every workspace the standard people fields
//!   (migration 0007).
//! - `file.rs`: the database file: opening it, refusing one that cannot be
//!   written, noticing it deleted or replaced.

mod admin;
mod file;
mod idempotency;
mod records;
/// Migration 0005's Rust step, which `migrations.rs` runs.
pub(super) mod rekey;
mod standard_fields;
mod writer;

/// Migration 0007's Rust step, which `migrations.rs` runs.
pub(super) use standard_fields::add_standard_fields;
pub use writer::CommitMode;

use super::cache::Caches;
use super::migrations::migrate;
use super::*;
use anyhow::Context as _;
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use writer::Writer;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if file::is_unavailable(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Internal(e.into())
        }
    }
}

/// How far a commit must reach before a create is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// `synchronous=FULL`: every acknowledged create survives power loss.
    Full,
    /// `synchronous=NORMAL`: survives a killed process, not a power loss.
    Normal,
}

impl Durability {
    fn pragma(self) -> &'static str {
        match self {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        }
    }
}

pub struct SqliteStore {
    path: PathBuf,
    durability: Durability,
    writer: Writer,
    readers: Arc<Mutex<Vec<Connection>>>,
    caches: Caches,
}

impl SqliteStore {
    /// Opens (creating if needed) and migrates the database, and starts the writer
    /// with group commit.
    pub fn open(path: impl AsRef<Path>, durability: Durability) -> anyhow::Result<Self> {
        Self::open_with(path, durability, CommitMode::Group)
    }

    pub fn open_with(
        path: impl AsRef<Path>,
        durability: Durability,
        commit: CommitMode,
    ) -> anyhow::Result<Self> {
        let path = path.as_ref().to_path_buf();
        // Refused here, naming the file, rather than served with every write
        // failing until a restart.
        file::ensure_writable(&path)?;
        let mut conn = file::connect(&path, durability, true)
            .with_context(|| format!("opening the database {}", path.display()))?;
        file::ensure_read_write(&conn, &path)?;
        let mode = file::wal_mode(&conn)
            .with_context(|| format!("putting the database {} in WAL mode", path.display()))?;
        anyhow::ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "{} could not be put in WAL mode (got {mode})",
            path.display()
        );
        migrate(&mut conn).with_context(|| format!("migrating the database {}", path.display()))?;
        let db_file = file::DbFile::new(&path, durability)?;
        Ok(SqliteStore {
            path,
            durability,
            writer: Writer::start(conn, db_file, commit)?,
            readers: Arc::new(Mutex::new(Vec::new())),
            caches: Caches::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in the writer's current batch; see [`Writer::write`].
    async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        self.writer.write(f).await
    }

    /// Runs `f` on a pooled read connection, off the async threads. In WAL mode a
    /// reader never waits for the writer.
    async fn read<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<R> + Send + 'static,
    {
        let pool = self.readers.clone();
        let path = self.path.clone();
        let durability = self.durability;
        tokio::task::spawn_blocking(move || {
            let pooled = pool.lock().ok().and_then(|mut p| p.pop());
            let conn = match pooled {
                Some(c) => c,
                None => file::connect(&path, durability, false)?,
            };
            let result = f(&conn).map_err(StoreError::from);
            // A connection that met an unwritable or vanished database is not
            // kept: the next read starts afresh (and fails if the file is gone).
            if !matches!(result, Err(StoreError::Unavailable(_))) {
                if let Ok(mut p) = pool.lock() {
                    p.push(conn);
                }
            }
            result
        })
        .await
        .map_err(|e| StoreError::Internal(e.into()))?
    }
}

#[async_trait]
impl Store for SqliteStore {
    async fn token_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<TokenRecord>> {
        let read = self.read(move |conn| admin::token_by_hash(conn, &hash));
        self.caches.token(hash, read).await
    }

    async fn field_definitions(
        &self,
        workspace_id: i64,
        entity: Entity,
        fresh: bool,
    ) -> StoreResult<Arc<Vec<FieldDefinition>>> {
        let read = self.read(move |conn| admin::field_definitions(conn, workspace_id, entity));
        self.caches
            .definitions(workspace_id, entity, fresh, read)
            .await
    }

    async fn organization(
        &self,
        workspace_id: i64,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordId>> {
        let owned = key.clone();
        let read =
            self.read(move |conn| records::lookup(conn, "organizations", workspace_id, &owned));
        self.caches.organization(workspace_id, key, read).await
    }

    async fn organization_details(
        &self,
        workspace_id: i64,
        id: i64,
    ) -> StoreResult<Option<OrganizationDetails>> {
        self.read(move |conn| records::organization_details(conn, workspace_id, id))
            .await
    }

    async fn person(&self, workspace_id: i64, key: &RecordKey) -> StoreResult<Option<RecordId>> {
        let key = key.clone();
        self.read(move |conn| records::lookup(conn, "people", workspace_id, &key))
            .await
    }

    async fn pipeline(&self, workspace_id: i64, uuid: &str) -> StoreResult<Option<PipelineRecord>> {
        let uuid = uuid.to_owned();
        self.read(move |conn| admin::pipeline(conn, workspace_id, uuid))
            .await
    }

    async fn create_person(
        &self,
        person: NewPerson,
        guard: Option<IdempotentWrite<PersonRecord>>,
    ) -> StoreResult<PersonRecord> {
        let email_norm = crate::canonical::stored_email_key(person.email.as_deref());
        self.write(move |conn| {
            idempotency::create_under(conn, person.workspace_id, guard, |conn| {
                records::create_person(conn, person, email_norm)
            })
        })
        .await
    }

    async fn create_lead(
        &self,
        lead: NewLead,
        guard: Option<IdempotentWrite<LeadRecord>>,
    ) -> StoreResult<LeadRecord> {
        self.write(move |conn| {
            idempotency::create_under(conn, lead.workspace_id, guard, |conn| {
                records::create_lead(conn, lead)
            })
        })
        .await
    }

    async fn create_customer(
        &self,
        customer: NewCustomer,
        guard: Option<IdempotentWrite<CustomerRecord>>,
    ) -> StoreResult<CustomerRecord> {
        self.write(move |conn| {
            idempotency::create_under(conn, customer.workspace_id, guard, |conn| {
                records::create_customer(conn, customer)
            })
        })
        .await
    }

    async fn idempotency_record(
        &self,
        workspace_id: i64,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let key = key.to_owned();
        self.read(move |conn| idempotency::lookup(conn, workspace_id, &key))
            .await
    }

    async fn purge_idempotency(&self, before: Timestamp) -> StoreResult<usize> {
        self.write(move |conn| Ok(idempotency::purge(conn, before)?))
            .await
    }

    fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }
}

#[async_trait]
impl AdminStore for SqliteStore {
    async fn create_first_workspace(&self, name: &str) -> StoreResult<Option<WorkspaceRecord>> {
        let name = name.to_owned();
        // In the writer's transaction, which holds the database's write lock from
        // its start: the count and the insert cannot interleave with another
        // process's.
        self.write(move |conn| match admin::workspace_count(conn)? {
            0 => admin::create_workspace(conn, name).map(Some),
            _ => Ok(None),
        })
        .await
    }

    async fn workspace(&self, id_or_uuid: &str) -> StoreResult<Option<WorkspaceRecord>> {
        let key = id_or_uuid.to_owned();
        self.read(move |conn| admin::workspace(conn, &key)).await
    }

    async fn create_workspace(&self, name: &str) -> StoreResult<WorkspaceRecord> {
        let name = name.to_owned();
        self.write(move |conn| admin::create_workspace(conn, name))
            .await
    }

    async fn create_token(&self, token: NewToken) -> StoreResult<i64> {
        self.write(move |conn| admin::create_token(conn, token))
            .await
    }

    async fn tokens(&self, workspace_id: i64) -> StoreResult<Vec<TokenInfo>> {
        self.read(move |conn| admin::tokens(conn, workspace_id))
            .await
    }

    async fn revoke_token(&self, token_id: i64) -> StoreResult<Option<TokenInfo>> {
        self.write(move |conn| admin::revoke_token(conn, token_id))
            .await
    }

    async fn create_organization(
        &self,
        workspace_id: i64,
        name: &str,
    ) -> StoreResult<OrganizationRecord> {
        let name = name.to_owned();
        self.write(move |conn| records::create_organization(conn, workspace_id, name))
            .await
    }

    async fn create_pipeline(
        &self,
        workspace_id: i64,
        name: &str,
        stages: &[String],
    ) -> StoreResult<PipelineRecord> {
        let (name, stages) = (name.to_owned(), stages.to_vec());
        self.write(move |conn| admin::create_pipeline(conn, workspace_id, name, stages))
            .await
    }

    async fn create_field_definition(
        &self,
        def: NewFieldDefinition,
    ) -> StoreResult<FieldDefinition> {
        let (workspace_id, entity) = (def.workspace_id, def.entity);
        let created = self
            .write(move |conn| admin::create_field_definition(conn, def))
            .await;
        self.caches.definition_added(workspace_id, entity);
        created
    }
}

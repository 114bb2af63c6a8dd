//! The store interface, and its two implementations: SQLite (`sqlite/`, the
//! embedded default) and PostgreSQL (`postgres/`, for any number of stateless
//! servers on one database).
//!
//! Handlers never see SQL: they call the domain, which calls [`Store`]; `crm admin`
//! and the first-run bootstrap call [`AdminStore`]. This file holds the interface
//! only, with no type of either database in it. The data types are in `model.rs`,
//! re-exported here; the caches both backends share, in `cache.rs`.

mod cache;
mod migrations;
mod model;
mod postgres;
mod sqlite;

pub use model::*;
pub use postgres::{PostgresOptions, PostgresStore};
pub use sqlite::{CommitMode, Durability, SqliteStore};

use crate::time::Timestamp;
use async_trait::async_trait;

/// Everything that went wrong below the domain. Conflicts the domain must report
/// precisely are their own variants; anything else is `Internal` and never shown
/// to a caller.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A person of the workspace already has this e-mail (compared by
    /// [`crate::canonical::email_key`]).
    #[error("duplicate e-mail (existing person {})", existing.uuid)]
    DuplicateEmail { existing: RecordId },
    /// An organization of the workspace already has this name (compared by
    /// [`crate::canonical::name_key`]).
    #[error("an organization named {name:?} already exists in this workspace")]
    DuplicateOrganizationName { name: String },
    /// The idempotency key was already claimed (and has not expired);
    /// `same_request` tells whether by a request with the same fingerprint, and
    /// `answer` is then the body recorded for it, for the retry to replay.
    #[error("the idempotency key is already used (by the same request: {same_request})")]
    IdempotencyKeyUsed {
        same_request: bool,
        answer: Option<String>,
    },
    /// The database cannot take writes now: it is read-only, full, failing I/O, or
    /// its file was deleted or replaced under the server. Nothing was stored; the
    /// same request may succeed later. The text is for the log, never the caller.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    #[error("store: {0:#}")]
    Internal(anyhow::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A create guarded by an idempotency key: the store claims the key, makes the record and records the
/// answer a retry will replay, all in the create's own savepoint.
pub struct IdempotentWrite<R> {
    pub key: String,
    pub fingerprint: [u8; 32],
    /// Claims older than this have expired and no longer count.
    pub not_before: Timestamp,
    /// Renders the answer (the success body, as JSON) from the created record, inside the transaction.
    // Spelled out rather than aliased: this is the signature callers write against.
    #[allow(clippy::type_complexity)]
    pub answer: Box<dyn FnOnce(&R) -> anyhow::Result<String> + Send>,
}

impl<R: 'static> IdempotentWrite<R> {
    /// The same write for a store record type R2, given how to make R from it (the domain adds what it knows).
    pub fn map<R2>(self, f: impl FnOnce(&R2) -> R + Send + 'static) -> IdempotentWrite<R2> {
        let answer = self.answer;
        IdempotentWrite {
            key: self.key,
            fingerprint: self.fingerprint,
            not_before: self.not_before,
            answer: Box::new(move |record: &R2| answer(&f(record))),
        }
    }
}

impl<R> std::fmt::Debug for IdempotentWrite<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdempotentWrite")
            .field("key", &self.key)
            .field("not_before", &self.not_before)
            .finish_non_exhaustive()
    }
}

/// A key whose create committed, with the answer recorded in the same transaction.
#[derive(Clone, Debug)]
pub struct IdempotencyRecord {
    pub fingerprint: [u8; 32],
    /// The success body the first request answered.
    pub response: String,
    pub created_at: Timestamp,
}

/// The request path's persistence. Lookups are scoped by workspace: a record of
/// another workspace is indistinguishable from one that does not exist.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    async fn token_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<TokenRecord>>;
    /// The workspace's definitions for `entity`; `fresh` bypasses any cache (the
    /// domain asks for it before calling a field unknown).
    async fn field_definitions(
        &self,
        workspace_id: i64,
        entity: Entity,
        fresh: bool,
    ) -> StoreResult<std::sync::Arc<Vec<FieldDefinition>>>;
    async fn organization(
        &self,
        workspace_id: i64,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordId>>;
    async fn organization_details(
        &self,
        workspace_id: i64,
        id: i64,
    ) -> StoreResult<Option<OrganizationDetails>>;
    async fn person(&self, workspace_id: i64, key: &RecordKey) -> StoreResult<Option<RecordId>>;
    async fn pipeline(&self, workspace_id: i64, uuid: &str) -> StoreResult<Option<PipelineRecord>>;

    /// Creates the person; with `idempotency`, the key, the person and the answer
    /// are committed together or not at all.
    async fn create_person(
        &self,
        person: NewPerson,
        idempotency: Option<IdempotentWrite<PersonRecord>>,
    ) -> StoreResult<PersonRecord>;
    async fn create_lead(
        &self,
        lead: NewLead,
        idempotency: Option<IdempotentWrite<LeadRecord>>,
    ) -> StoreResult<LeadRecord>;
    async fn create_customer(
        &self,
        customer: NewCustomer,
        idempotency: Option<IdempotentWrite<CustomerRecord>>,
    ) -> StoreResult<CustomerRecord>;

    /// The key's record, if a create under it committed (expired or not: the
    /// caller compares `created_at`).
    async fn idempotency_record(
        &self,
        workspace_id: i64,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// Forgets keys claimed before `before`; returns how many.
    async fn purge_idempotency(&self, before: Timestamp) -> StoreResult<usize>;

    /// (transactions committed, writes they carried) since the store opened.
    fn writer_stats(&self) -> WriterStats;
}

/// What `crm admin` and the first-run bootstrap use: a workspace's configuration.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    /// Creates the workspace (as `create_workspace`) only if the database has none
    /// yet, in one transaction: of several servers starting on a new database, one
    /// makes it and the others get None.
    async fn create_first_workspace(&self, name: &str) -> StoreResult<Option<WorkspaceRecord>>;
    /// A workspace by integer id or uuid.
    async fn workspace(&self, id_or_uuid: &str) -> StoreResult<Option<WorkspaceRecord>>;
    /// Creates the workspace with its standard data fields.
    async fn create_workspace(&self, name: &str) -> StoreResult<WorkspaceRecord>;
    async fn create_token(&self, token: NewToken) -> StoreResult<i64>;
    /// The workspace's tokens, oldest first (never their hashes).
    async fn tokens(&self, workspace_id: i64) -> StoreResult<Vec<TokenInfo>>;
    /// Revokes the token (again is a no-op); None if there is no such token.
    async fn revoke_token(&self, token_id: i64) -> StoreResult<Option<TokenInfo>>;
    async fn create_organization(
        &self,
        workspace_id: i64,
        name: &str,
    ) -> StoreResult<OrganizationRecord>;
    async fn create_pipeline(
        &self,
        workspace_id: i64,
        name: &str,
        stages: &[String],
    ) -> StoreResult<PipelineRecord>;
    async fn create_field_definition(
        &self,
        def: NewFieldDefinition,
    ) -> StoreResult<FieldDefinition>;
}

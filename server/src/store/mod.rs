//! The store interface, and its SQLite implementation.
//!
//! Handlers never see SQL: they call the domain, which calls [`Store`]; `crm admin`
//! and the first-run bootstrap call [`AdminStore`]. This file holds the interface
//! only, with no SQLite type in it, so that a second backend (PostgreSQL, for
//! stateless servers on a shared database) implements the same traits. The data
//! types are in `model.rs`, re-exported here.

mod migrations;
mod model;
mod sqlite;

pub use model::*;
pub use sqlite::{CommitMode, Durability, SqliteStore};

use crate::time::Timestamp;
use async_trait::async_trait;

/// Everything that went wrong below the domain. Conflicts the domain must report
/// precisely are their own variants; anything else is `Internal` and never shown
/// to a caller.
#[derive(Debug)]
pub enum StoreError {
    /// A person of the workspace already has this e-mail (compared trimmed and
    /// case-insensitively).
    DuplicateEmail {
        existing: RecordId,
    },
    /// An organization of the workspace already has this name (case-insensitive).
    DuplicateOrganizationName {
        name: String,
    },
    /// A customer of the workspace already has this reference id.
    DuplicateReferenceId {
        existing: RecordId,
    },
    /// The idempotency key was already claimed (and has not expired);
    /// `same_request` tells whether by a request with the same fingerprint.
    IdempotencyKeyUsed {
        same_request: bool,
    },
    Internal(anyhow::Error),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::DuplicateEmail { existing } => {
                write!(f, "duplicate e-mail (existing person {})", existing.uuid)
            }
            StoreError::DuplicateOrganizationName { name } => {
                write!(
                    f,
                    "an organization named {name:?} already exists in this workspace"
                )
            }
            StoreError::DuplicateReferenceId { existing } => {
                write!(f, "the reference id is used by customer {}", existing.uuid)
            }
            StoreError::IdempotencyKeyUsed { same_request } => write!(
                f,
                "the idempotency key is already used (by the same request: {same_request})"
            ),
            StoreError::Internal(e) => write!(f, "store: {e:#}"),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A create guarded by an idempotency key: the store claims the key in the same
/// transaction as the create, or refuses the create if the key is taken.
#[derive(Clone, Debug)]
pub struct IdempotencyClaim {
    pub key: String,
    pub fingerprint: [u8; 32],
    /// Claims older than this have expired and no longer count.
    pub not_before: Timestamp,
}

/// What the store knows of a claimed key.
#[derive(Clone, Debug)]
pub struct IdempotencyRecord {
    pub fingerprint: [u8; 32],
    /// The success body, once the first request was answered.
    pub response: Option<String>,
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

    async fn create_person(&self, person: NewPerson) -> StoreResult<PersonRecord>;
    async fn create_lead(&self, lead: NewLead) -> StoreResult<LeadRecord>;
    async fn create_customer(&self, customer: NewCustomer) -> StoreResult<CustomerRecord>;

    /// Records the answer to the request that claimed `key`.
    async fn complete_idempotency(
        &self,
        workspace_id: i64,
        key: &str,
        response: String,
    ) -> StoreResult<()>;
    async fn idempotency_record(
        &self,
        workspace_id: i64,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>>;
    /// Forgets keys claimed before `before`; returns how many.
    async fn purge_idempotency(&self, before: Timestamp) -> StoreResult<usize>;

    /// (transactions committed, writes they carried) since the store opened.
    fn writer_stats(&self) -> (u64, u64);
}

/// What `crm admin` and the first-run bootstrap use: a workspace's configuration.
#[async_trait]
pub trait AdminStore: Send + Sync + 'static {
    async fn workspace_count(&self) -> StoreResult<i64>;
    /// A workspace by integer id or uuid.
    async fn workspace(&self, id_or_uuid: &str) -> StoreResult<Option<WorkspaceRecord>>;
    /// Creates the workspace with its standard data fields.
    async fn create_workspace(&self, name: &str) -> StoreResult<WorkspaceRecord>;
    async fn create_token(&self, token: NewToken) -> StoreResult<i64>;
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

//! PostgreSQL behind [`Store`] and [`AdminStore`], so that any number of stateless
//! `crm serve` processes share one database: opening (the pool and its timeouts,
//! migrations under a lock), the caches every backend shares, and trait impls that
//! hand each call to the module that knows its SQL.
//!
//! - `records.rs`: people, leads, customers, organizations.
//! - `admin.rs`: workspaces, tokens, pipelines, field definitions.
//! - `idempotency.rs`: keys, claimed and answered in the create's transaction.
//! - `migrate.rs`: the versioned schema, from `server/migrations/postgres/`.
//! - `connect.rs`: the pool and the session settings every connection gets.
//! - `error.rs`: which failures mean "unavailable" (503), not "wrong" (500).
//!
//! Each create is one transaction on a pooled connection, acknowledged only after
//! its COMMIT returned (`synchronous_commit = on`, so the commit is flushed to
//! the WAL first). Concurrent creates on many connections share WAL flushes:
//! PostgreSQL's own group commit. Every call is bounded by the request timeout
//! (`--request-timeout-secs`): waiting for a connection, connecting, and each
//! statement (`statement_timeout`), and the whole call on the client's side, so a
//! database that is down, restarting or stalled is answered 503, never a hang.

mod admin;
mod connect;
mod error;
mod idempotency;
mod migrate;
mod records;

use super::cache::Caches;
use super::*;
use anyhow::Context as _;
pub use connect::PostgresOptions;
use deadpool_postgres::Pool;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

/// Writes committed and failed, for `/metrics` (each write is its own commit).
#[derive(Default)]
struct Stats {
    commits: AtomicU64,
    failed: AtomicU64,
}

pub struct PostgresStore {
    pool: Pool,
    timeout: Duration,
    caches: Caches,
    stats: Stats,
    /// The URL without its password, for logs and errors.
    described: String,
}

impl PostgresStore {
    /// Connects to the database at `url` (`postgres://user:password@host/db`, or
    /// with the socket directory as the host, percent-encoded) and migrates it.
    /// Fails, naming the database (never its password), if it cannot be reached.
    pub async fn open(url: &str, options: PostgresOptions) -> anyhow::Result<Self> {
        let (pool, described) = connect::pool(url, &options)?;
        let mut client = pool
            .get()
            .await
            .map_err(|e| anyhow::anyhow!("{}", error::from_pool(e)))
            .with_context(|| format!("connecting to the database {described}"))?;
        migrate::migrate(&mut client)
            .await
            .with_context(|| format!("migrating the database {described}"))?;
        Ok(PostgresStore {
            pool,
            timeout: options.timeout,
            caches: Caches::default(),
            stats: Stats::default(),
            described,
        })
    }

    /// The database, as logs name it (no password).
    pub fn described(&self) -> &str {
        &self.described
    }

    /// `work`, or Unavailable once it has taken longer than the timeout.
    async fn bounded<T>(&self, work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        tokio::time::timeout(self.timeout, work)
            .await
            .unwrap_or_else(|_| {
                Err(StoreError::Unavailable(format!(
                    "the database did not answer within {} s",
                    self.timeout.as_secs_f64()
                )))
            })
    }

    /// A pooled connection; the pool replaces one the database closed.
    async fn lease(&self) -> StoreResult<Lease> {
        let client = self.pool.get().await.map_err(error::from_pool)?;
        Ok(Lease {
            client: Some(client),
        })
    }

    /// A write transaction's outcome, counted.
    async fn write<T>(&self, work: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        let result = self.bounded(work).await;
        match &result {
            Ok(_) => self.stats.commits.fetch_add(1, Relaxed),
            Err(StoreError::Unavailable(_) | StoreError::Internal(_)) => {
                self.stats.failed.fetch_add(1, Relaxed)
            }
            Err(_) => 0,
        };
        result
    }
}

/// A pooled connection lent to one call. A call that did not finish (its
/// timeout dropped it mid-statement, or it panicked) leaves the connection in a
/// state nobody knows: a statement still running, a transaction still open. Such
/// a connection is closed rather than returned to the pool, and the database ends
/// whatever it was doing when it sees it gone.
struct Lease {
    client: Option<deadpool_postgres::Client>,
}

impl Lease {
    fn client(&mut self) -> &mut deadpool_postgres::Client {
        self.client.as_mut().expect("leased until finished")
    }

    /// The call finished, with whatever result: the connection goes back.
    fn finished(mut self) {
        self.client.take();
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            drop(deadpool_postgres::Object::take(client));
        }
    }
}

/// Runs `$body` (an expression over the transaction `$tx`, which may use `?`) in
/// one transaction on a leased connection, bounded and counted by
/// [`PostgresStore::write`], and commits it; an error rolls it all back.
macro_rules! transaction {
    ($store:expr, |$tx:ident| $body:expr) => {
        $store.write(async {
            let mut lease = $store.lease().await?;
            let result = async {
                let $tx = lease.client().transaction().await?;
                let out = $body;
                $tx.commit().await?;
                Ok(out)
            }
            .await;
            lease.finished();
            result
        })
    };
}

/// Runs `$body` (an expression over the connection `$c`) on a leased
/// connection, bounded by the timeout.
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {
        $store.bounded(async {
            let mut lease = $store.lease().await?;
            let result = async {
                let $c = &*lease.client();
                $body
            }
            .await;
            lease.finished();
            result
        })
    };
}

#[async_trait]
impl Store for PostgresStore {
    async fn token_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<TokenRecord>> {
        let read = read!(self, |c| admin::token_by_hash(c, &hash).await);
        self.caches.token(hash, read).await
    }

    async fn field_definitions(
        &self,
        workspace_id: i64,
        entity: Entity,
        fresh: bool,
    ) -> StoreResult<Arc<Vec<FieldDefinition>>> {
        let read = read!(self, |c| admin::field_definitions(c, workspace_id, entity)
            .await);
        self.caches
            .definitions(workspace_id, entity, fresh, read)
            .await
    }

    async fn organization(
        &self,
        workspace_id: i64,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordId>> {
        let read = read!(self, |c| records::lookup(
            c,
            "organizations",
            workspace_id,
            key
        )
        .await);
        self.caches.organization(workspace_id, key, read).await
    }

    async fn organization_details(
        &self,
        workspace_id: i64,
        id: i64,
    ) -> StoreResult<Option<OrganizationDetails>> {
        read!(self, |c| records::organization_details(c, workspace_id, id)
            .await)
        .await
    }

    async fn person(&self, workspace_id: i64, key: &RecordKey) -> StoreResult<Option<RecordId>> {
        read!(self, |c| records::lookup(c, "people", workspace_id, key)
            .await)
        .await
    }

    async fn pipeline(&self, workspace_id: i64, uuid: &str) -> StoreResult<Option<PipelineRecord>> {
        read!(self, |c| admin::pipeline(c, workspace_id, uuid).await).await
    }

    async fn create_person(
        &self,
        person: NewPerson,
        guard: Option<IdempotentWrite<PersonRecord>>,
    ) -> StoreResult<PersonRecord> {
        let email_norm = crate::canonical::stored_email_key(person.email.as_deref());
        let ws = person.workspace_id;
        transaction!(self, |tx| {
            let create = records::create_person(&tx, person, email_norm);
            idempotency::create_under(&tx, ws, guard, create).await?
        })
        .await
    }

    async fn create_lead(
        &self,
        lead: NewLead,
        guard: Option<IdempotentWrite<LeadRecord>>,
    ) -> StoreResult<LeadRecord> {
        let ws = lead.workspace_id;
        transaction!(self, |tx| {
            let create = records::create_lead(&tx, lead);
            idempotency::create_under(&tx, ws, guard, create).await?
        })
        .await
    }

    async fn create_customer(
        &self,
        customer: NewCustomer,
        guard: Option<IdempotentWrite<CustomerRecord>>,
    ) -> StoreResult<CustomerRecord> {
        let ws = customer.workspace_id;
        transaction!(self, |tx| {
            let create = records::create_customer(&tx, customer);
            idempotency::create_under(&tx, ws, guard, create).await?
        })
        .await
    }

    async fn idempotency_record(
        &self,
        workspace_id: i64,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        read!(self, |c| idempotency::lookup(c, workspace_id, key).await).await
    }

    async fn purge_idempotency(&self, before: Timestamp) -> StoreResult<usize> {
        read!(self, |c| idempotency::purge(c, before).await).await
    }

    fn writer_stats(&self) -> WriterStats {
        let commits = self.stats.commits.load(Relaxed);
        let failed = self.stats.failed.load(Relaxed);
        WriterStats {
            commits,
            writes: commits,
            // Every commit carries one write.
            batch_sizes: BATCH_SIZE_BOUNDS.iter().map(|&b| (b, commits)).collect(),
            failed_batches: failed,
            failed_writes: failed,
        }
    }
}

#[async_trait]
impl AdminStore for PostgresStore {
    async fn create_first_workspace(&self, name: &str) -> StoreResult<Option<WorkspaceRecord>> {
        let name = name.to_owned();
        transaction!(self, |tx| {
            admin::lock_workspaces(&tx).await?;
            match admin::workspace_count(&tx).await? {
                0 => Some(admin::create_workspace(&tx, name).await?),
                _ => None,
            }
        })
        .await
    }

    async fn workspace(&self, id_or_uuid: &str) -> StoreResult<Option<WorkspaceRecord>> {
        read!(self, |c| admin::workspace(c, id_or_uuid).await).await
    }

    async fn create_workspace(&self, name: &str) -> StoreResult<WorkspaceRecord> {
        let name = name.to_owned();
        transaction!(self, |tx| {
            admin::lock_workspaces(&tx).await?;
            admin::create_workspace(&tx, name).await?
        })
        .await
    }

    async fn create_token(&self, token: NewToken) -> StoreResult<i64> {
        transaction!(self, |tx| admin::create_token(&tx, token).await?).await
    }

    async fn tokens(&self, workspace_id: i64) -> StoreResult<Vec<TokenInfo>> {
        read!(self, |c| admin::tokens(c, workspace_id).await).await
    }

    async fn revoke_token(&self, token_id: i64) -> StoreResult<Option<TokenInfo>> {
        transaction!(self, |tx| admin::revoke_token(&tx, token_id).await?).await
    }

    async fn create_organization(
        &self,
        workspace_id: i64,
        name: &str,
    ) -> StoreResult<OrganizationRecord> {
        let name = name.to_owned();
        transaction!(self, |tx| {
            records::create_organization(&tx, workspace_id, name).await?
        })
        .await
    }

    async fn create_pipeline(
        &self,
        workspace_id: i64,
        name: &str,
        stages: &[String],
    ) -> StoreResult<PipelineRecord> {
        let (name, stages) = (name.to_owned(), stages.to_vec());
        transaction!(self, |tx| {
            admin::create_pipeline(&tx, workspace_id, name, stages).await?
        })
        .await
    }

    async fn create_field_definition(
        &self,
        def: NewFieldDefinition,
    ) -> StoreResult<FieldDefinition> {
        let (workspace_id, entity) = (def.workspace_id, def.entity);
        let created = transaction!(self, |tx| {
            admin::create_field_definition(&tx, def).await?
        })
        .await;
        self.caches.definition_added(workspace_id, entity);
        created
    }
}

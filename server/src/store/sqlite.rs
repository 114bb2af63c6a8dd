//! SQLite behind [`Store`]: WAL, foreign keys on, one writer thread that commits
//! concurrent writes together (group commit), and a pool of read connections that
//! never wait for it.

use super::migrations::migrate;
use super::*;
use anyhow::Context as _;
use rusqlite::{params, Connection, ErrorCode, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use tokio::sync::oneshot;

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

/// How the writer groups writes into transactions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommitMode {
    /// Concurrent writes share one transaction and one fsync (group commit).
    Group,
    /// One transaction per write: the baseline group commit is measured against.
    PerRequest,
}

impl CommitMode {
    /// The most writes one transaction carries. Large enough that batching absorbs
    /// bursts, small enough that one commit never holds replies for long.
    fn max_batch(self) -> usize {
        match self {
            CommitMode::Group => 256,
            CommitMode::PerRequest => 1,
        }
    }
}

/// A write, run by the writer thread inside its own savepoint. It returns what to
/// do once the batch's commit is known: reply to its caller.
type Job = Box<dyn FnOnce(&Connection) -> Box<dyn FnOnce(bool) + Send> + Send>;

/// What the writer has done since start: how well group commit batches.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub commits: std::sync::atomic::AtomicU64,
    pub writes: std::sync::atomic::AtomicU64,
}

pub struct SqliteStore {
    path: PathBuf,
    stats: Arc<WriterStats>,
    durability: Durability,
    writer: Mutex<Option<mpsc::Sender<Job>>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// Tokens by hash. A token never changes once issued (expiry is checked at
    /// each use), so a hit needs no query; unknown hashes are not cached.
    tokens: std::sync::RwLock<std::collections::HashMap<[u8; 32], TokenRecord>>,
    /// Field definitions by (workspace, entity). Definitions are only ever added,
    /// and the domain asks for a fresh list before calling a field unknown, so a
    /// definition added by another process is seen at its first use.
    /// Organizations found by (workspace, uuid or id). Organizations are never deleted,
    /// so a found one stays found; misses are not cached.
    organizations: std::sync::RwLock<std::collections::HashMap<(i64, String), RecordId>>,
    definitions:
        std::sync::RwLock<std::collections::HashMap<DefinitionsKey, Arc<Vec<FieldDefinition>>>>,
}

/// (workspace, entity).
type DefinitionsKey = (i64, &'static str);

/// Bounds the caches: past this many entries one is emptied and refills.
const CACHE_LIMIT: usize = 10_000;

fn open(path: &Path, durability: Durability) -> anyhow::Result<Connection> {
    let conn = Connection::open(path)
        .with_context(|| format!("opening the database {}", path.display()))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "synchronous", durability.pragma())?;
    Ok(conn)
}

fn internal(e: impl Into<anyhow::Error>) -> StoreError {
    StoreError::Internal(e.into())
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
        let mut conn = open(&path, durability)?;
        let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        anyhow::ensure!(
            mode.eq_ignore_ascii_case("wal"),
            "{} could not be put in WAL mode (got {mode})",
            path.display()
        );
        migrate(&mut conn).context("migrating the database")?;

        let (tx, rx) = mpsc::channel::<Job>();
        let stats = Arc::new(WriterStats::default());
        let writer_stats = stats.clone();
        std::thread::Builder::new()
            .name("crm-sqlite-writer".into())
            .spawn(move || writer_loop(conn, rx, commit.max_batch(), &writer_stats))?;
        Ok(SqliteStore {
            path,
            stats,
            durability,
            writer: Mutex::new(Some(tx)),
            readers: Arc::new(Mutex::new(Vec::new())),
            tokens: Default::default(),
            organizations: Default::default(),
            definitions: Default::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` inside its own savepoint in the writer's current batch, and answers
    /// once the batch is durable. An error in `f` rolls back `f` alone.
    async fn write<R, F>(&self, f: F) -> StoreResult<R>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<R> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move |conn| {
            let result = run_in_savepoint(conn, f);
            Box::new(move |committed| {
                let result = match result {
                    Ok(_) if !committed => Err(internal(anyhow::anyhow!(
                        "the transaction carrying this write failed to commit"
                    ))),
                    other => other,
                };
                let _ = reply.send(result);
            })
        });
        let sender = self
            .writer
            .lock()
            .map_err(|_| internal(anyhow::anyhow!("writer lock poisoned")))?
            .clone()
            .ok_or_else(|| internal(anyhow::anyhow!("the store is closed")))?;
        sender
            .send(job)
            .map_err(|_| internal(anyhow::anyhow!("the writer thread has stopped")))?;
        answer
            .await
            .map_err(|_| internal(anyhow::anyhow!("the writer thread dropped a write")))?
    }

    /// Runs `f` on a pooled read connection, off the async threads.
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
                None => open(&path, durability).map_err(StoreError::Internal)?,
            };
            let result = f(&conn).map_err(StoreError::from);
            if let Ok(mut p) = pool.lock() {
                p.push(conn);
            }
            result
        })
        .await
        .map_err(internal)?
    }
}

fn run_in_savepoint<R>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> StoreResult<R>,
) -> StoreResult<R> {
    // Prepared once per connection: these run for every write.
    let run = |sql: &str| {
        conn.prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(|_| ())
    };
    run("SAVEPOINT job")?;
    let result = f(conn);
    let end = if result.is_ok() {
        run("RELEASE job")
    } else {
        run("ROLLBACK TO job").and_then(|()| run("RELEASE job"))
    };
    match (result, end) {
        (Ok(r), Ok(())) => Ok(r),
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

fn writer_loop(conn: Connection, jobs: mpsc::Receiver<Job>, max_batch: usize, stats: &WriterStats) {
    while let Ok(first) = jobs.recv() {
        let mut batch = Vec::with_capacity(16);
        batch.push(first);
        while batch.len() < max_batch {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "could not begin a write transaction");
            // Each job still runs (autocommit), so none is lost or silently dropped.
            let finishers: Vec<_> = batch.into_iter().map(|job| job(&conn)).collect();
            finishers.into_iter().for_each(|f| f(true));
            continue;
        }
        let writes = batch.len() as u64;
        let finishers: Vec<_> = batch.into_iter().map(|job| job(&conn)).collect();
        let committed = match conn.execute_batch("COMMIT") {
            Ok(()) => {
                use std::sync::atomic::Ordering::Relaxed;
                stats.commits.fetch_add(1, Relaxed);
                stats.writes.fetch_add(writes, Relaxed);
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "group commit failed; rolling back the batch");
                let _ = conn.execute_batch("ROLLBACK");
                false
            }
        };
        finishers.into_iter().for_each(|f| f(committed));
    }
}

fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation
        && (f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
            || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY))
}

fn normalize(s: &str) -> String {
    s.trim().to_lowercase()
}

fn insert_custom_values(
    conn: &Connection,
    record_id: i64,
    custom: &CustomValues,
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO field_values (definition_id, record_id, value) VALUES (?1, ?2, ?3)",
    )?;
    for (definition_id, value) in custom {
        stmt.execute(params![definition_id, record_id, value.to_string()])?;
    }
    Ok(())
}

/// Claims an idempotency key inside the create's savepoint: the key and the record
/// are committed together or not at all.
fn claim_idempotency(
    conn: &Connection,
    workspace_id: i64,
    claim: &Option<IdempotencyClaim>,
) -> StoreResult<()> {
    let Some(claim) = claim else { return Ok(()) };
    let not_before = claim.not_before.to_rfc3339_millis();
    let existing: Option<(Vec<u8>, String)> = conn
        .prepare_cached(
            "SELECT fingerprint, created_at FROM idempotency_keys WHERE workspace_id = ?1 AND key = ?2",
        )?
        .query_row(params![workspace_id, claim.key], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match existing {
        Some((fingerprint, created_at)) if created_at >= not_before => {
            return Err(StoreError::IdempotencyKeyUsed {
                same_request: fingerprint == claim.fingerprint,
            })
        }
        Some(_) => {
            conn.prepare_cached(
                "DELETE FROM idempotency_keys WHERE workspace_id = ?1 AND key = ?2",
            )?
            .execute(params![workspace_id, claim.key])?;
        }
        None => {}
    }
    conn.prepare_cached(
        "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, created_at)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        workspace_id,
        claim.key,
        &claim.fingerprint[..],
        Timestamp::now().to_rfc3339_millis()
    ])?;
    Ok(())
}

/// A record of `table` in the workspace, by uuid or integer id. `table` is one of
/// our own table names, never input.
fn lookup(
    conn: &Connection,
    table: &'static str,
    workspace_id: i64,
    key: &RecordKey,
) -> rusqlite::Result<Option<RecordId>> {
    match key {
        RecordKey::Uuid(uuid) => conn
            .prepare_cached(&format!(
                "SELECT id FROM {table} WHERE uuid = ?1 AND workspace_id = ?2"
            ))?
            .query_row(params![uuid, workspace_id], |r| r.get(0))
            .optional()
            .map(|id| {
                id.map(|id| RecordId {
                    id,
                    uuid: uuid.clone(),
                })
            }),
        RecordKey::Id(id) => conn
            .prepare_cached(&format!(
                "SELECT uuid FROM {table} WHERE id = ?1 AND workspace_id = ?2"
            ))?
            .query_row(params![id, workspace_id], |r| r.get(0))
            .optional()
            .map(|uuid| uuid.map(|uuid| RecordId { id: *id, uuid })),
    }
}

/// The workspace's organization named `name` (case-insensitive), created if
/// missing. Runs inside the writer, so it cannot race another create.
fn find_or_create_organization(
    conn: &Connection,
    workspace_id: i64,
    name: &str,
    now: &str,
) -> rusqlite::Result<RecordId> {
    let norm = normalize(name);
    conn.prepare_cached(
        "INSERT INTO organizations (uuid, workspace_id, name, name_norm, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (workspace_id, name_norm) DO NOTHING",
    )?
    .execute(params![new_uuid(), workspace_id, name.trim(), norm, now])?;
    conn.prepare_cached(
        "SELECT id, uuid FROM organizations WHERE workspace_id = ?1 AND name_norm = ?2",
    )?
    .query_row(params![workspace_id, norm], |r| {
        Ok(RecordId {
            id: r.get(0)?,
            uuid: r.get(1)?,
        })
    })
}

/// A record's custom field values, by field key.
fn custom_values(
    conn: &Connection,
    entity: Entity,
    record_id: i64,
) -> rusqlite::Result<Vec<(String, serde_json::Value)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT d.key, v.value FROM field_values v
         JOIN field_definitions d ON d.id = v.definition_id
         WHERE v.record_id = ?1 AND d.entity = ?2 ORDER BY d.id",
    )?;
    let rows = stmt.query_map(params![record_id, entity.as_str()], |r| {
        let key: String = r.get(0)?;
        let value: String = r.get(1)?;
        let value = serde_json::from_str(&value).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(1, rusqlite::types::Type::Text, e.into())
        })?;
        Ok((key, value))
    })?;
    rows.collect()
}

fn field_definition_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<FieldDefinition> {
    let entity: String = row.get(2)?;
    let field_type: String = row.get(5)?;
    let options: Option<String> = row.get(6)?;
    let builtin: Option<String> = row.get(7)?;
    let bad = |what: &str, v: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unknown {what} {v:?} in field_definitions").into(),
        )
    };
    Ok(FieldDefinition {
        id: RecordId {
            id: row.get(0)?,
            uuid: row.get(1)?,
        },
        entity: Entity::parse(&entity).ok_or_else(|| bad("entity", &entity))?,
        name: row.get(3)?,
        key: row.get(4)?,
        field_type: FieldType::parse(&field_type).ok_or_else(|| bad("type", &field_type))?,
        options: match options {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(6, rusqlite::types::Type::Text, e.into())
            })?,
            None => Vec::new(),
        },
        builtin: match builtin {
            Some(b) => Some(Builtin::parse(&b).ok_or_else(|| bad("builtin", &b))?),
            None => None,
        },
    })
}

const FIELD_DEFINITION_COLUMNS: &str =
    "id, uuid, entity, name, key, type, options, builtin FROM field_definitions";

fn insert_field_definition(
    conn: &Connection,
    def: &NewFieldDefinition,
    builtin: Option<Builtin>,
    now: &str,
) -> rusqlite::Result<FieldDefinition> {
    let uuid = new_uuid();
    let options = if def.options.is_empty() {
        None
    } else {
        Some(serde_json::Value::from(def.options.clone()).to_string())
    };
    conn.execute(
        "INSERT INTO field_definitions
           (uuid, workspace_id, entity, name, key, type, options, builtin, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            uuid,
            def.workspace_id,
            def.entity.as_str(),
            def.name,
            def.key,
            def.field_type.as_str(),
            options,
            builtin.map(Builtin::as_str),
            now
        ],
    )?;
    Ok(FieldDefinition {
        id: RecordId {
            id: conn.last_insert_rowid(),
            uuid,
        },
        entity: def.entity,
        name: def.name.clone(),
        key: def.key.clone(),
        field_type: def.field_type,
        options: def.options.clone(),
        builtin,
    })
}

#[async_trait]
impl Store for SqliteStore {
    async fn token_by_hash(&self, hash: [u8; 32]) -> StoreResult<Option<TokenRecord>> {
        if let Some(hit) = self.tokens.read().ok().and_then(|t| t.get(&hash).cloned()) {
            return Ok(Some(hit));
        }
        let found = self
            .read(move |conn| {
                conn.prepare_cached(
                    "SELECT t.id, t.label, t.scopes, t.expires_at, w.id, w.uuid
                 FROM tokens t JOIN workspaces w ON w.id = t.workspace_id
                 WHERE t.token_hash = ?1",
                )?
                .query_row([&hash[..]], |r| {
                    let scopes: String = r.get(2)?;
                    let expires: Option<String> = r.get(3)?;
                    Ok(TokenRecord {
                        token_id: r.get(0)?,
                        label: r.get(1)?,
                        scopes: scopes.split_whitespace().map(str::to_owned).collect(),
                        expires_at: expires.as_deref().and_then(Timestamp::parse),
                        workspace: RecordId {
                            id: r.get(4)?,
                            uuid: r.get(5)?,
                        },
                    })
                })
                .optional()
            })
            .await?;
        if let (Some(token), Ok(mut cache)) = (&found, self.tokens.write()) {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(hash, token.clone());
        }
        Ok(found)
    }

    async fn field_definitions(
        &self,
        workspace_id: i64,
        entity: Entity,
        fresh: bool,
    ) -> StoreResult<Arc<Vec<FieldDefinition>>> {
        let key = (workspace_id, entity.as_str());
        if !fresh {
            if let Some(hit) = self
                .definitions
                .read()
                .ok()
                .and_then(|d| d.get(&key).cloned())
            {
                return Ok(hit);
            }
        }
        let definitions: Arc<Vec<FieldDefinition>> = Arc::new(self.read(move |conn| {
            let sql = format!(
                "SELECT {FIELD_DEFINITION_COLUMNS} WHERE workspace_id = ?1 AND entity = ?2 ORDER BY id"
            );
            let mut stmt = conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![workspace_id, entity.as_str()],
                field_definition_from_row,
            )?;
            rows.collect()
        })
        .await?);
        if let Ok(mut cache) = self.definitions.write() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(key, definitions.clone());
        }
        Ok(definitions)
    }

    async fn organization(
        &self,
        workspace_id: i64,
        key: &RecordKey,
    ) -> StoreResult<Option<RecordId>> {
        let cache_key = (workspace_id, key.to_string());
        if let Some(hit) = self
            .organizations
            .read()
            .ok()
            .and_then(|o| o.get(&cache_key).cloned())
        {
            return Ok(Some(hit));
        }
        let key = key.clone();
        let found = self
            .read(move |conn| lookup(conn, "organizations", workspace_id, &key))
            .await?;
        if let (Some(org), Ok(mut cache)) = (&found, self.organizations.write()) {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(cache_key, org.clone());
        }
        Ok(found)
    }

    async fn organization_details(
        &self,
        workspace_id: i64,
        id: i64,
    ) -> StoreResult<Option<OrganizationDetails>> {
        self.read(move |conn| {
            let Some((uuid, name, industry, website)) = conn
                .prepare_cached(
                    "SELECT uuid, name, industry, website FROM organizations
                     WHERE id = ?1 AND workspace_id = ?2",
                )?
                .query_row(params![id, workspace_id], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .optional()?
            else {
                return Ok(None);
            };
            let custom = custom_values(conn, Entity::Organization, id)?;
            Ok(Some(OrganizationDetails {
                id: RecordId { id, uuid },
                name,
                industry,
                website,
                custom,
            }))
        })
        .await
    }

    async fn person(&self, workspace_id: i64, key: &RecordKey) -> StoreResult<Option<RecordId>> {
        let key = key.clone();
        self.read(move |conn| lookup(conn, "people", workspace_id, &key))
            .await
    }

    async fn pipeline(&self, workspace_id: i64, uuid: &str) -> StoreResult<Option<PipelineRecord>> {
        let uuid = uuid.to_owned();
        self.read(move |conn| {
            let Some((id, name)) = conn
                .prepare_cached(
                    "SELECT id, name FROM pipelines WHERE uuid = ?1 AND workspace_id = ?2",
                )?
                .query_row(params![uuid, workspace_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
            else {
                return Ok(None);
            };
            let mut stmt = conn.prepare_cached(
                "SELECT id, uuid, name, position FROM pipeline_stages
                 WHERE pipeline_id = ?1 ORDER BY position",
            )?;
            let stages = stmt
                .query_map([id], |r| {
                    Ok(StageRecord {
                        id: RecordId {
                            id: r.get(0)?,
                            uuid: r.get(1)?,
                        },
                        name: r.get(2)?,
                        position: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Some(PipelineRecord {
                id: RecordId { id, uuid },
                name,
                stages,
            }))
        })
        .await
    }

    async fn create_person(&self, p: NewPerson) -> StoreResult<PersonRecord> {
        self.write(move |conn| {
            claim_idempotency(conn, p.workspace_id, &p.idempotency)?;
            let uuid = new_uuid();
            let now = Timestamp::now();
            let now_s = now.to_rfc3339_millis();
            let organization = match &p.organization {
                None => None,
                Some(OrganizationTarget::Existing(id)) => Some(id.clone()),
                Some(OrganizationTarget::Named(name)) => {
                    Some(find_or_create_organization(conn, p.workspace_id, name, &now_s)?)
                }
            };
            let email_norm = p.email.as_deref().map(normalize).filter(|e| !e.is_empty());
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO people (uuid, workspace_id, organization_id, name, first_name,
                         last_name, email, email_norm, phone, mobile, landline, extension, title,
                         position, department, address, memo, is_opted_out, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                             ?16, ?17, ?18, ?19, ?19)",
                )?
                .execute(params![
                    uuid,
                    p.workspace_id,
                    organization.as_ref().map(|o| o.id),
                    p.name,
                    p.first_name,
                    p.last_name,
                    p.email,
                    email_norm,
                    p.phone,
                    p.mobile,
                    p.landline,
                    p.extension,
                    p.title,
                    p.position,
                    p.department,
                    p.address,
                    p.memo,
                    p.is_opted_out,
                    now_s
                ]);
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) && email_norm.is_some() => {
                    let existing = conn
                        .prepare_cached(
                            "SELECT id, uuid FROM people WHERE workspace_id = ?1 AND email_norm = ?2",
                        )?
                        .query_row(params![p.workspace_id, email_norm], |r| {
                            Ok(RecordId {
                                id: r.get(0)?,
                                uuid: r.get(1)?,
                            })
                        })?;
                    return Err(StoreError::DuplicateEmail { existing });
                }
                Err(e) => return Err(e.into()),
            }
            let id = conn.last_insert_rowid();
            insert_custom_values(conn, id, &p.custom)?;
            Ok(PersonRecord {
                id: RecordId { id, uuid },
                name: p.name,
                organization,
                created_at: now,
                updated_at: now,
            })
        })
        .await
    }

    async fn create_lead(&self, l: NewLead) -> StoreResult<LeadRecord> {
        self.write(move |conn| {
            claim_idempotency(conn, l.workspace_id, &l.idempotency)?;
            let uuid = new_uuid();
            let now = Timestamp::now();
            let now_s = now.to_rfc3339_millis();
            let id_of = |r: &Option<RecordId>| r.as_ref().map(|r| r.id);
            conn.prepare_cached(
                "INSERT INTO leads (uuid, workspace_id, name, person_id, organization_id,
                                    pipeline_id, stage_id, memo, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            )?
            .execute(params![
                uuid,
                l.workspace_id,
                l.name,
                id_of(&l.person),
                id_of(&l.organization),
                id_of(&l.pipeline),
                id_of(&l.stage),
                l.memo,
                now_s
            ])?;
            let id = conn.last_insert_rowid();
            insert_custom_values(conn, id, &l.custom)?;
            Ok(LeadRecord {
                id: RecordId { id, uuid },
                name: l.name,
                created_at: now,
                person: l.person,
                organization: l.organization,
                pipeline: l.pipeline,
                stage: l.stage,
            })
        })
        .await
    }

    async fn create_customer(&self, c: NewCustomer) -> StoreResult<CustomerRecord> {
        self.write(move |conn| {
            claim_idempotency(conn, c.workspace_id, &c.idempotency)?;
            let uuid = new_uuid();
            let now = Timestamp::now();
            let now_s = now.to_rfc3339_millis();
            let inserted = conn
                .prepare_cached(
                    "INSERT INTO customers (uuid, workspace_id, vendor_uuid, reference_id,
                         date_of_birth, address_street, address_neighborhood, address_city,
                         address_state, address_country, gender, marital_status, published_at,
                         created_by, updated_by, created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14,
                             ?13, ?13)",
                )?
                .execute(params![
                    uuid,
                    c.workspace_id,
                    c.vendor_uuid,
                    c.reference_id,
                    c.date_of_birth,
                    c.address_street,
                    c.address_neighborhood,
                    c.address_city,
                    c.address_state,
                    c.address_country,
                    c.gender,
                    c.marital_status,
                    now_s,
                    c.created_by
                ]);
            match inserted {
                Ok(_) => {}
                Err(e) if is_unique_violation(&e) && c.reference_id.is_some() => {
                    let existing = conn
                        .prepare_cached(
                            "SELECT id, uuid FROM customers WHERE workspace_id = ?1 AND reference_id = ?2",
                        )?
                        .query_row(params![c.workspace_id, c.reference_id], |r| {
                            Ok(RecordId {
                                id: r.get(0)?,
                                uuid: r.get(1)?,
                            })
                        })?;
                    return Err(StoreError::DuplicateReferenceId { existing });
                }
                Err(e) => return Err(e.into()),
            }
            Ok(CustomerRecord {
                id: RecordId {
                    id: conn.last_insert_rowid(),
                    uuid,
                },
                customer: c,
                published_at: now,
            })
        })
        .await
    }

    async fn workspace_count(&self) -> StoreResult<i64> {
        self.read(|conn| conn.query_row("SELECT count(*) FROM workspaces", [], |r| r.get(0)))
            .await
    }

    async fn workspace(&self, id_or_uuid: &str) -> StoreResult<Option<WorkspaceRecord>> {
        let key = id_or_uuid.to_owned();
        self.read(move |conn| {
            conn.query_row(
                "SELECT id, uuid, name FROM workspaces WHERE uuid = ?1 OR CAST(id AS TEXT) = ?1",
                [key],
                |r| {
                    let id: i64 = r.get(0)?;
                    Ok(WorkspaceRecord {
                        id: RecordId {
                            id,
                            uuid: r.get(1)?,
                        },
                        name: r.get(2)?,
                        customer_id: id,
                    })
                },
            )
            .optional()
        })
        .await
    }

    async fn create_workspace(&self, name: &str) -> StoreResult<WorkspaceRecord> {
        let name = name.to_owned();
        self.write(move |conn| {
            let uuid = new_uuid();
            let now = Timestamp::now().to_rfc3339_millis();
            conn.execute(
                "INSERT INTO workspaces (uuid, name, created_at) VALUES (?1, ?2, ?3)",
                params![uuid, name, now],
            )?;
            let id = conn.last_insert_rowid();
            for (field_name, key, field_type, builtin) in STANDARD_PERSON_FIELDS {
                let def = NewFieldDefinition {
                    workspace_id: id,
                    entity: Entity::Person,
                    name: (*field_name).to_owned(),
                    key: (*key).to_owned(),
                    field_type: *field_type,
                    options: Vec::new(),
                };
                insert_field_definition(conn, &def, *builtin, &now)?;
            }
            Ok(WorkspaceRecord {
                id: RecordId { id, uuid },
                name,
                customer_id: id,
            })
        })
        .await
    }

    async fn create_token(&self, t: NewToken) -> StoreResult<i64> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO tokens (workspace_id, token_hash, label, scopes, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    t.workspace_id,
                    &t.secret_hash[..],
                    t.label,
                    t.scopes.join(" "),
                    Timestamp::now().to_rfc3339_millis(),
                    t.expires_at.map(|e| e.to_rfc3339_millis())
                ],
            )?;
            Ok(conn.last_insert_rowid())
        })
        .await
    }

    async fn create_organization(
        &self,
        workspace_id: i64,
        name: &str,
    ) -> StoreResult<OrganizationRecord> {
        let name = name.to_owned();
        self.write(move |conn| {
            let uuid = new_uuid();
            let now = Timestamp::now().to_rfc3339_millis();
            conn.execute(
                "INSERT INTO organizations (uuid, workspace_id, name, name_norm, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![uuid, workspace_id, name, normalize(&name), now],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::DuplicateOrganizationName { name: name.clone() }
                } else {
                    e.into()
                }
            })?;
            Ok(OrganizationRecord {
                id: RecordId {
                    id: conn.last_insert_rowid(),
                    uuid,
                },
                name,
            })
        })
        .await
    }

    async fn create_pipeline(
        &self,
        workspace_id: i64,
        name: &str,
        stages: &[String],
    ) -> StoreResult<PipelineRecord> {
        let name = name.to_owned();
        let stage_names = stages.to_vec();
        self.write(move |conn| {
            let uuid = new_uuid();
            let now = Timestamp::now().to_rfc3339_millis();
            conn.execute(
                "INSERT INTO pipelines (uuid, workspace_id, name, created_at) VALUES (?1, ?2, ?3, ?4)",
                params![uuid, workspace_id, name, now],
            )?;
            let pipeline_id = conn.last_insert_rowid();
            let mut stages = Vec::with_capacity(stage_names.len());
            for (position, stage_name) in stage_names.into_iter().enumerate() {
                let stage_uuid = new_uuid();
                conn.execute(
                    "INSERT INTO pipeline_stages (uuid, pipeline_id, position, name)
                     VALUES (?1, ?2, ?3, ?4)",
                    params![stage_uuid, pipeline_id, position as i64, stage_name],
                )?;
                stages.push(StageRecord {
                    id: RecordId {
                        id: conn.last_insert_rowid(),
                        uuid: stage_uuid,
                    },
                    name: stage_name,
                    position: position as i64,
                });
            }
            Ok(PipelineRecord {
                id: RecordId {
                    id: pipeline_id,
                    uuid,
                },
                name,
                stages,
            })
        })
        .await
    }

    async fn complete_idempotency(
        &self,
        workspace_id: i64,
        key: &str,
        response: String,
    ) -> StoreResult<()> {
        let key = key.to_owned();
        self.write(move |conn| {
            conn.prepare_cached(
                "UPDATE idempotency_keys SET response = ?3 WHERE workspace_id = ?1 AND key = ?2",
            )?
            .execute(params![workspace_id, key, response])?;
            Ok(())
        })
        .await
    }

    async fn idempotency_record(
        &self,
        workspace_id: i64,
        key: &str,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        let key = key.to_owned();
        self.read(move |conn| {
            conn.prepare_cached(
                "SELECT fingerprint, response, created_at FROM idempotency_keys
                 WHERE workspace_id = ?1 AND key = ?2",
            )?
            .query_row(params![workspace_id, key], |r| {
                let fingerprint: Vec<u8> = r.get(0)?;
                let created_at: String = r.get(2)?;
                Ok(IdempotencyRecord {
                    fingerprint: fingerprint.try_into().unwrap_or([0; 32]),
                    response: r.get(1)?,
                    created_at: Timestamp::parse(&created_at).unwrap_or(Timestamp::now()),
                })
            })
            .optional()
        })
        .await
    }

    async fn purge_idempotency(&self, before: Timestamp) -> StoreResult<usize> {
        self.write(move |conn| {
            Ok(conn
                .prepare_cached("DELETE FROM idempotency_keys WHERE created_at < ?1")?
                .execute([before.to_rfc3339_millis()])?)
        })
        .await
    }

    fn writer_stats(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (
            self.stats.commits.load(Relaxed),
            self.stats.writes.load(Relaxed),
        )
    }

    async fn create_field_definition(
        &self,
        def: NewFieldDefinition,
    ) -> StoreResult<FieldDefinition> {
        if let Ok(mut cache) = self.definitions.write() {
            cache.remove(&(def.workspace_id, def.entity.as_str()));
        }
        self.write(move |conn| {
            let now = Timestamp::now().to_rfc3339_millis();
            insert_field_definition(conn, &def, None, &now).map_err(|e| {
                if is_unique_violation(&e) {
                    internal(anyhow::anyhow!(
                        "a {} field named {:?} or keyed {:?} already exists in this workspace",
                        def.entity.as_str(),
                        def.name,
                        def.key
                    ))
                } else {
                    e.into()
                }
            })
        })
        .await
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        // Closing the channel ends the writer thread once queued writes are done.
        if let Ok(mut w) = self.writer.lock() {
            w.take();
        }
    }
}

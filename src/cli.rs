//! `crm serve` and `crm admin …`. Admin commands print one JSON object with the new
//! ids (every id form each family uses), so scripts and tests can read them; its
//! keys are camelCase, like the APIs'.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use crm_server::auth;
use crm_server::store::{
    AdminStore, CommitMode, Durability, Entity, FieldType, NewFieldDefinition, NewToken,
    PostgresOptions, PostgresStore, SqliteStore, Store, WorkspaceRecord,
};
use crm_server::time::Timestamp;
use serde_json::json;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(name = "crm", version, about = "A spec-first CRM intake service")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Start the HTTP server. On an empty database, creates a default workspace
    /// and prints a token for it once.
    Serve(crate::serve::ServeArgs),
    /// Create workspaces, tokens, organizations, pipelines and data fields.
    Admin(AdminArgs),
}

#[derive(Args, Debug)]
pub struct DbArg {
    /// The database: a SQLite file (a path, or sqlite://PATH; created if
    /// missing), or a PostgreSQL database (postgres://USER[:PASSWORD]@HOST[:PORT]/DB,
    /// or postgresql://…; the database must exist).
    #[arg(long, env = "CRM_DB", default_value = "crm.db", global = true,
          value_parser = clap::builder::TypedValueParser::map(clap::builder::OsStringValueParser::new(), Database::from))]
    pub db: Database,
}

/// Which store `--db` names.
#[derive(Clone, Debug)]
pub enum Database {
    Sqlite(PathBuf),
    /// The URL as given (with its password, if any: never print it).
    Postgres(String),
}

impl From<OsString> for Database {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; `sqlite://PATH` is
    /// the file PATH; anything else is a file path, as `--db` always was (a path
    /// need not be UTF-8).
    fn from(raw: OsString) -> Self {
        match raw.to_str() {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url.to_owned())
            }
            Some(url) if url.starts_with("sqlite://") => {
                Database::Sqlite(PathBuf::from(&url["sqlite://".len()..]))
            }
            _ => Database::Sqlite(PathBuf::from(raw)),
        }
    }
}

/// What both traits of one store give: the request path and the admin path.
pub trait OpenedStore: Store + AdminStore {
    /// The database, as logs name it (a PostgreSQL URL without its password).
    fn described(&self) -> String;
}

impl OpenedStore for SqliteStore {
    fn described(&self) -> String {
        self.path().display().to_string()
    }
}

impl OpenedStore for PostgresStore {
    fn described(&self) -> String {
        PostgresStore::described(self).to_owned()
    }
}

/// How a store is opened besides where: what `crm serve`'s flags set (`crm admin`
/// takes the defaults).
pub struct StoreSettings {
    pub durability: Durability,
    /// SQLite only: PostgreSQL always commits each create on its own and lets
    /// concurrent commits share a WAL flush.
    pub commit: CommitMode,
    /// PostgreSQL: bounds connecting, waiting for a pooled connection, each
    /// statement and each store call.
    pub timeout: std::time::Duration,
    /// PostgreSQL: connections per process.
    pub pool_size: usize,
}

impl Default for StoreSettings {
    fn default() -> Self {
        let postgres = PostgresOptions::default();
        StoreSettings {
            durability: Durability::Full,
            commit: CommitMode::Group,
            timeout: postgres.timeout,
            pool_size: postgres.pool_size,
        }
    }
}

impl Database {
    /// Opens (and migrates) the store `--db` names.
    pub async fn open(&self, settings: StoreSettings) -> anyhow::Result<Arc<dyn OpenedStore>> {
        Ok(match self {
            Database::Sqlite(path) => Arc::new(SqliteStore::open_with(
                path,
                settings.durability,
                settings.commit,
            )?),
            Database::Postgres(url) => {
                let options = PostgresOptions {
                    timeout: settings.timeout,
                    pool_size: settings.pool_size,
                    durability: settings.durability,
                };
                Arc::new(PostgresStore::open(url, options).await?)
            }
        })
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DurabilityArg {
    /// Every acknowledged create survives a power loss (synchronous=FULL).
    Full,
    /// Faster; an acknowledged create survives a killed process but may be lost
    /// on power loss (synchronous=NORMAL).
    Normal,
}

impl From<DurabilityArg> for Durability {
    fn from(d: DurabilityArg) -> Self {
        match d {
            DurabilityArg::Full => Durability::Full,
            DurabilityArg::Normal => Durability::Normal,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CommitArg {
    /// Concurrent creates share one transaction and one fsync (group commit).
    Group,
    /// One transaction per create: slower; kept as the baseline for benchmarks.
    PerRequest,
}

impl From<CommitArg> for CommitMode {
    fn from(c: CommitArg) -> Self {
        match c {
            CommitArg::Group => CommitMode::Group,
            CommitArg::PerRequest => CommitMode::PerRequest,
        }
    }
}

#[derive(Args, Debug)]
pub struct AdminArgs {
    #[command(flatten)]
    pub db: DbArg,
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Create a workspace, with the standard data fields (이메일, 전화, 포지션, 최근 연락일).
    Workspace {
        #[arg(long)]
        name: String,
    },
    /// Create (`token create`, or `token` alone as before), list or revoke bearer
    /// tokens.
    Token(TokenArgs),
    /// Create an organization (a SalesMap 회사, an Introzy company, a BigChange contact).
    Organization {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
    },
    /// Create a pipeline with its stages, in order (the first is the default stage).
    Pipeline {
        #[arg(long)]
        workspace: String,
        #[arg(long)]
        name: String,
        /// A stage name (repeatable, in order).
        #[arg(long = "stage")]
        stages: Vec<String>,
    },
    /// Define a data field (custom field).
    Field {
        #[arg(long)]
        workspace: String,
        /// What the field belongs to.
        #[arg(long, value_parser = ["person", "lead", "organization"])]
        entity: String,
        /// The SalesMap name, for example 예산.
        #[arg(long)]
        name: String,
        /// The key, for example cf_budget (Introzy's customFields use it).
        #[arg(long)]
        key: String,
        #[arg(long = "type", value_parser = ["text", "number", "boolean", "date", "select"])]
        field_type: String,
        /// An allowed value of a select field (repeatable).
        #[arg(long = "option")]
        options: Vec<String>,
    },
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TokenArgs {
    #[command(subcommand)]
    pub command: Option<TokenCommand>,
    /// `crm admin token --workspace …` without a subcommand creates a token, as it
    /// did before `create` existed.
    #[command(flatten)]
    pub create: Option<NewTokenArgs>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a bearer token for a workspace. The secret is printed once.
    Create(NewTokenArgs),
    /// The workspace's tokens: ids, labels, scopes, expiry and revocation, never
    /// a secret.
    List {
        /// The workspace's id or uuid.
        #[arg(long)]
        workspace: String,
    },
    /// Revoke a token: every server on the database refuses it within a second.
    Revoke {
        /// The token's id (`tokenId`, as `create` and `list` print it).
        #[arg(long)]
        id: i64,
    },
}

#[derive(Args, Debug)]
pub struct NewTokenArgs {
    /// The workspace's id or uuid.
    #[arg(long)]
    pub workspace: String,
    #[arg(long, default_value = "api")]
    pub label: String,
    /// A scope to grant (repeatable). Known: contacts:persons:write.
    #[arg(long = "scope")]
    pub scopes: Vec<String>,
    /// Grant every known scope.
    #[arg(long, conflicts_with = "scopes")]
    pub all_scopes: bool,
    /// Expire the token after this many seconds.
    #[arg(long)]
    pub expires_in_secs: Option<i64>,
}

impl From<TokenCommand> for AdminCommand {
    fn from(command: TokenCommand) -> Self {
        AdminCommand::Token(TokenArgs {
            command: Some(command),
            create: None,
        })
    }
}

pub async fn run(cli: Cli, logs: crate::serve::Logs) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => crate::serve::serve(args, logs).await,
        Command::Admin(args) => {
            let store = args.db.db.open(StoreSettings::default()).await?;
            let out = admin(store.as_ref(), args.command).await?;
            println!("{}", serde_json::to_string_pretty(&out)?);
            Ok(())
        }
    }
}

pub(crate) fn store_err(e: crm_server::store::StoreError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

async fn workspace(store: &dyn AdminStore, key: &str) -> anyhow::Result<WorkspaceRecord> {
    store
        .workspace(key)
        .await
        .map_err(store_err)?
        .with_context(|| format!("--workspace: no workspace with id or uuid {key:?}"))
}

pub(crate) async fn issue_token(
    store: &dyn AdminStore,
    ws: &WorkspaceRecord,
    label: &str,
    scopes: Vec<String>,
    expires_in_secs: Option<i64>,
) -> anyhow::Result<serde_json::Value> {
    for scope in &scopes {
        anyhow::ensure!(
            auth::SCOPES.contains(&scope.as_str()),
            "--scope: unknown scope {scope:?}; known scopes: {}",
            auth::SCOPES.join(", ")
        );
    }
    let secret = auth::new_secret();
    let expires_at =
        expires_in_secs.map(|s| Timestamp(Timestamp::now().0 + chrono::Duration::seconds(s)));
    let token_id = store
        .create_token(NewToken {
            workspace_id: ws.id.id,
            label: label.to_owned(),
            secret_hash: auth::hash_token(&secret),
            scopes: scopes.clone(),
            expires_at,
        })
        .await
        .map_err(store_err)?;
    Ok(json!({
        "token": secret,
        "tokenId": token_id,
        "label": label,
        "scopes": scopes,
        "expiresAt": expires_at.map(|e| e.to_rfc3339_millis()),
        "workspace": ws,
    }))
}

async fn token(store: &dyn AdminStore, args: TokenArgs) -> anyhow::Result<serde_json::Value> {
    let command = match (args.command, args.create) {
        (Some(command), _) => command,
        (None, Some(create)) => TokenCommand::Create(create),
        (None, None) => anyhow::bail!(
            "token: give --workspace to create one, or a subcommand (create, list, revoke)"
        ),
    };
    Ok(match command {
        TokenCommand::Create(new) => {
            let ws = workspace(store, &new.workspace).await?;
            let scopes = if new.all_scopes {
                auth::SCOPES.iter().map(|s| s.to_string()).collect()
            } else {
                new.scopes
            };
            issue_token(store, &ws, &new.label, scopes, new.expires_in_secs).await?
        }
        TokenCommand::List { workspace: key } => {
            let ws = workspace(store, &key).await?;
            let tokens = store.tokens(ws.id.id).await.map_err(store_err)?;
            json!({ "workspace": ws, "tokens": tokens })
        }
        TokenCommand::Revoke { id } => {
            let token = store
                .revoke_token(id)
                .await
                .map_err(store_err)?
                .with_context(|| format!("--id: no token with id {id}"))?;
            json!({ "revoked": token })
        }
    })
}

/// Runs one admin command and returns what it prints.
pub async fn admin(
    store: &dyn AdminStore,
    command: AdminCommand,
) -> anyhow::Result<serde_json::Value> {
    Ok(match command {
        AdminCommand::Workspace { name } => {
            json!({ "workspace": store.create_workspace(&name).await.map_err(store_err)? })
        }
        AdminCommand::Token(args) => token(store, args).await?,
        AdminCommand::Organization {
            workspace: key,
            name,
        } => {
            let ws = workspace(store, &key).await?;
            anyhow::ensure!(!name.trim().is_empty(), "--name must not be empty");
            json!({ "organization": store.create_organization(ws.id.id, &name).await.map_err(store_err)? })
        }
        AdminCommand::Pipeline {
            workspace: key,
            name,
            stages,
        } => {
            let ws = workspace(store, &key).await?;
            anyhow::ensure!(!name.trim().is_empty(), "--name must not be empty");
            json!({ "pipeline": store.create_pipeline(ws.id.id, &name, &stages).await.map_err(store_err)? })
        }
        AdminCommand::Field {
            workspace: key,
            entity,
            name,
            key: field_key,
            field_type,
            options,
        } => {
            let ws = workspace(store, &key).await?;
            let field_type = FieldType::parse(&field_type).context("--type")?;
            anyhow::ensure!(
                (field_type == FieldType::Select) != options.is_empty(),
                "--option is required for a select field, and only for one"
            );
            anyhow::ensure!(!name.trim().is_empty(), "--name must not be empty");
            anyhow::ensure!(!field_key.trim().is_empty(), "--key must not be empty");
            let def = store
                .create_field_definition(NewFieldDefinition {
                    workspace_id: ws.id.id,
                    entity: Entity::parse(&entity).context("--entity")?,
                    name,
                    key: field_key,
                    field_type,
                    options,
                })
                .await
                .map_err(store_err)?;
            json!({ "field": def })
        }
    })
}

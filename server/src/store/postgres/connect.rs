//! How the PostgreSQL store connects: the pool, its timeouts, and the session
//! settings every connection starts with (durability, statement and idle
//! timeouts), all from [`PostgresOptions`]; and how a database is named in logs
//! and errors, never with its password.

use super::Durability;
use anyhow::Context as _;
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use std::time::Duration;
use tokio_postgres::NoTls;

/// How a [`PostgresStore`] connects.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// Bounds every store call: a connection, each statement, the whole call.
    pub timeout: Duration,
    /// Connections per server process. The database's `max_connections` (100 by
    /// default) must cover every server's pool.
    pub pool_size: usize,
    /// `Full`: `synchronous_commit = on`. `Normal`: `off`, which survives a killed
    /// `crm` but not a crash of PostgreSQL or its machine.
    pub durability: Durability,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            timeout: Duration::from_secs(30),
            pool_size: 16,
            durability: Durability::Full,
        }
    }
}

/// `postgres://user@host:port/db`, never the password.
fn describe(config: &tokio_postgres::Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(host, port)| match host {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{port}"),
            tokio_postgres::config::Host::Unix(p) => format!("{}:{port}", p.display()),
        })
        .collect();
    format!(
        "postgres://{}@{}/{}",
        config.get_user().unwrap_or(""),
        hosts.join(","),
        config.get_dbname().unwrap_or("")
    )
}

/// The pool for `url` (no connection is made yet), and the database's
/// description for logs.
pub fn pool(url: &str, options: &PostgresOptions) -> anyhow::Result<(Pool, String)> {
    let mut config: tokio_postgres::Config = url
        .parse()
        .context("--db: not a valid PostgreSQL URL (postgres://user@host/database)")?;
    let described = describe(&config);
    let ms = options.timeout.as_millis();
    let synchronous_commit = match options.durability {
        Durability::Full => "on",
        Durability::Normal => "off",
    };
    // Session settings ride on the startup packet, so that every pooled
    // connection has them from its first statement. A transaction left idle
    // (a server stalled mid-create) is ended by the database, releasing its
    // locks and keys for the other servers. These are PostgreSQL's settings: a
    // compatible database that lacks one of them refuses the connection at start
    // (an unknown setting in the startup packet is fatal), which is where a port
    // to CockroachDB or YugabyteDB would begin.
    let ours = format!(
        "-c synchronous_commit={synchronous_commit} -c statement_timeout={ms} \
             -c idle_in_transaction_session_timeout={ms}"
    );
    let options_line = match config.get_options() {
        Some(given) => format!("{given} {ours}"),
        None => ours,
    };
    config
        .options(options_line)
        .application_name("crm")
        .connect_timeout(options.timeout)
        .tcp_user_timeout(options.timeout)
        .keepalives(true)
        .keepalives_idle(Duration::from_secs(10));
    let manager = Manager::from_config(
        config,
        NoTls,
        ManagerConfig {
            recycling_method: RecyclingMethod::Fast,
        },
    );
    let pool = Pool::builder(manager)
        .max_size(options.pool_size)
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(options.timeout))
        .create_timeout(Some(options.timeout))
        .recycle_timeout(Some(options.timeout))
        .build()
        .context("building the database pool")?;
    Ok((pool, described))
}

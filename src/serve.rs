//! `crm serve`: open the store, bootstrap an empty database, serve the API (and,
//! when asked, `/metrics` on its own address), and shut down gracefully on SIGTERM
//! or SIGINT: stop accepting, finish in-flight requests, close idle connections,
//! exit within `--shutdown-grace-secs`.

use crate::cli::{self, CommitArg, DbArg, DurabilityArg, StoreSettings};
use clap::builder::RangedU64ValueParser;
use clap::Args;
use crm_server::auth;
use crm_server::metrics::DroppedLines;
use std::net::SocketAddr;
use std::time::Duration;

/// What the process's logging offers the server.
pub struct Logs {
    /// Lines dropped because the log's reader stalled (logging never blocks a
    /// request).
    pub dropped: DroppedLines,
}

/// The longest `--idempotency-ttl-secs`: the server's bound, 100 years.
const MAX_IDEMPOTENCY_TTL_SECS: u64 = crm_server::pipeline::idempotency::MAX_TTL.as_secs();

// Numbers take `allow_negative_numbers` so that `-1` is refused as a value of its
// flag ("invalid value '-1' for '--max-body-bytes'") rather than as an unknown
// argument; zero is refused where it cannot work.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub db: DbArg,
    /// The address to listen on.
    #[arg(long, env = "CRM_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// How durable a create is before it is acknowledged.
    #[arg(long, value_enum, default_value = "full")]
    pub durability: DurabilityArg,
    /// How creates are grouped into transactions (SQLite; PostgreSQL commits
    /// each create on its own and shares WAL flushes between concurrent commits).
    #[arg(long, value_enum, default_value = "group")]
    pub commit: CommitArg,
    /// PostgreSQL: database connections this process keeps (at least 1). Every
    /// server's pool must fit in the database's max_connections.
    #[arg(long, default_value_t = 16, allow_negative_numbers = true,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub db_pool_size: usize,
    /// The largest request body accepted, in bytes (at least 1).
    #[arg(long, default_value_t = 1024 * 1024, allow_negative_numbers = true,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_body_bytes: usize,
    /// Request body bytes buffered at once, across every request; past it a new
    /// body gets 503 with Retry-After. At least --max-body-bytes.
    #[arg(long, default_value_t = 64 * 1024 * 1024, allow_negative_numbers = true,
          value_parser = RangedU64ValueParser::<usize>::new().range(1..))]
    pub max_inflight_body_bytes: usize,
    /// How long a request body may take to arrive, in seconds (408 past it; at
    /// least 1). A request head is bounded by hyper's own 30 s timer, which also
    /// closes keep-alive connections idle that long. With PostgreSQL it also
    /// bounds connecting, waiting for a connection, and each store call (503 past
    /// it).
    #[arg(long, default_value_t = 30, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout_secs: u64,
    /// How long an Idempotency-Key is remembered, in seconds (1 to 100 years).
    #[arg(long, default_value_t = 24 * 60 * 60, allow_negative_numbers = true,
          value_parser = clap::value_parser!(u64).range(1..=MAX_IDEMPOTENCY_TTL_SECS))]
    pub idempotency_ttl_secs: u64,
    /// On SIGTERM or SIGINT, how long in-flight requests may take to finish
    /// before the process exits anyway, in seconds (0: at once).
    #[arg(long, default_value_t = 10, allow_negative_numbers = true)]
    pub shutdown_grace_secs: u64,
    /// Serve Prometheus metrics at `/metrics` on this address (off by default;
    /// never on the public listener).
    #[arg(long, env = "CRM_METRICS_BIND")]
    pub metrics_bind: Option<SocketAddr>,
}

pub async fn serve(args: ServeArgs, logs: Logs) -> anyhow::Result<()> {
    // Checked before anything is opened or printed.
    anyhow::ensure!(
        args.max_inflight_body_bytes >= args.max_body_bytes,
        "--max-inflight-body-bytes ({}) must be at least --max-body-bytes ({}): a body that large could never be read",
        args.max_inflight_body_bytes,
        args.max_body_bytes
    );
    let open_files = raise_open_files_limit();
    let store = args
        .db
        .db
        .open(StoreSettings {
            durability: args.durability.into(),
            commit: args.commit.into(),
            timeout: Duration::from_secs(args.request_timeout_secs),
            pool_size: args.db_pool_size,
        })
        .await?;
    let mut signals = ShutdownSignals::install()?;
    // Listening before the first start's token is issued: a start that fails on
    // its address leaves no workspace behind and prints no token.
    let server = crm_server::serve(
        crm_server::ServerConfig {
            bind: args.bind,
            request_body_max_bytes: args.max_body_bytes,
            max_inflight_body_bytes: args.max_inflight_body_bytes,
            request_timeout: Duration::from_secs(args.request_timeout_secs),
            idempotency_ttl: Duration::from_secs(args.idempotency_ttl_secs),
            dropped_log_lines: Some(logs.dropped.clone()),
        },
        store.clone(),
        crate::SPECS,
    )
    .map_err(|e| name_flag(e, "--bind", args.bind))?;
    let metrics = match args.metrics_bind {
        Some(bind) => Some(
            crm_server::metrics::serve(bind, server.app_private().metrics.clone())
                .map_err(|e| name_flag(e, "--metrics-bind", bind))?,
        ),
        None => None,
    };
    let address = server.local_addr();
    // One transaction decides whether this is the first start: of several servers
    // starting on a new database, one creates the workspace and prints its token.
    if let Some(ws) = store
        .create_first_workspace("default")
        .await
        .map_err(cli::store_err)?
    {
        let token = cli::issue_token(
            store.as_ref(),
            &ws,
            "default",
            auth::SCOPES.iter().map(|s| s.to_string()).collect(),
            None,
        )
        .await?;
        println!(
            "Created the default workspace (id {}, uuid {}).\n\
             Its bearer token, shown only this once:\n\n    {}\n\n\
             Try: curl -s http://{}/v2/people -H 'Authorization: Bearer {}' \
             -H 'Content-Type: application/json' -d '{{\"name\": \"홍길동\"}}'\n",
            ws.id.id,
            ws.id.uuid,
            token["token"].as_str().unwrap_or_default(),
            address,
            token["token"].as_str().unwrap_or_default(),
        );
    }
    tracing::info!(
        address = %address,
        db = %store.described(),
        durability = ?args.durability,
        open_files,
        "crm is listening"
    );
    if let Some(metrics) = &metrics {
        tracing::info!(address = %metrics.local_addr(), "metrics at /metrics");
    }
    spawn_dropped_lines_report(logs.dropped);
    let signal = tokio::select! {
        r = server.wait_for_shutdown() => return r.map_err(|e| anyhow::anyhow!("server: {e}")),
        s = signals.first() => s,
    };
    let grace = Duration::from_secs(args.shutdown_grace_secs);
    tracing::info!(
        signal,
        grace_secs = grace.as_secs(),
        "shutting down: finishing in-flight requests"
    );
    if let Some(metrics) = metrics {
        // Nothing is in flight there worth waiting for.
        let _ = metrics.close().await;
    }
    match tokio::time::timeout(grace, server.close()).await {
        Ok(closed) => {
            closed.map_err(|e| anyhow::anyhow!("shutting down: {e}"))?;
            tracing::info!("stopped");
            Ok(())
        }
        Err(_) => anyhow::bail!(
            "shutting down: requests still in flight after {} s (--shutdown-grace-secs); exiting anyway",
            grace.as_secs()
        ),
    }
}

/// A listener that could not start, named by the flag that chose its address.
/// Only socket errors are the address's fault; anything else is passed on as is.
fn name_flag(e: anyhow::Error, flag: &str, address: SocketAddr) -> anyhow::Error {
    if e.chain().any(|cause| cause.is::<std::io::Error>()) {
        e.context(format!("{flag} {address}: cannot listen"))
    } else {
        e
    }
}

/// Installed once the database is open (a signal during a migration still ends
/// the process at once: each migration is one transaction) and before the server
/// says it is listening: a signal sent as soon as it has said so would otherwise
/// end it the default way, without a graceful shutdown.
struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// The first SIGTERM or SIGINT, by name.
    async fn first(&mut self) -> &'static str {
        tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        }
    }
}

/// Says how many log lines were dropped, once the count has grown: when the log's
/// reader catches up, this line reaches it.
fn spawn_dropped_lines_report(dropped: DroppedLines) {
    tokio::spawn(async move {
        let mut reported = 0;
        let mut ticks = tokio::time::interval(Duration::from_secs(1));
        loop {
            ticks.tick().await;
            let now = dropped();
            if now > reported {
                tracing::warn!(
                    dropped = now - reported,
                    total = now,
                    "log lines dropped: the log's reader did not keep up"
                );
                reported = now;
            }
        }
    });
}

/// Every connection holds a descriptor, and the usual soft limit (1,024) is spent
/// by a thousand idle clients long before the hard limit, after which nobody can
/// connect. Raise the soft limit to the hard one, as Go's runtime and nginx do:
/// the hard limit is the operator's decision, the soft one only a default.
/// Returns the limit now in force.
fn raise_open_files_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!(error = %e, "could not raise the open-files limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft)
        }
    }
}

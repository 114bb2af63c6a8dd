//! `cargo xtask bench`: how many creates per second the release server sustains,
//! at what latency, and how close that is to what bounds it.
//!
//! The server runs in its own process on a fresh database (`--durability full`),
//! driven from this process by a load generator: N tasks, each owning one
//! keep-alive HTTP/1.1 connection and sending creates back-to-back, for each
//! create operation (`crm_testkit::OPERATIONS`) at 1, 16, 64 and 256 connections. Measured in the same run, so the
//! ratios compare like with like on whatever machine runs it:
//!
//! - a no-op dropshot handler in its own process: the HTTP + JSON ceiling;
//! - raw rusqlite inserts at the same durability, 1 and 1,000 rows per
//!   transaction: the storage ceiling, and what batching buys;
//! - the disk's fsync rate: what bounds commits/s at `synchronous=FULL`;
//! - the server with one transaction per request (what group commit buys), after
//!   preloading 1M people (whether creates slow down as the indexes grow), and with
//!   request logs off (what logging costs).
//!
//! A debug load generator would measure itself, so from a debug build the bench
//! builds the release xtask and hands over to it.

mod load;
pub mod noop;
mod report;
mod server;
mod storage;

use anyhow::Context as _;
use crm_testkit::{Fixtures, OPERATIONS};
use load::{Load, Target};
use report::{Key, Report, Row, Variant};
use server::{Commit, CrmConfig};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Options {
    /// Measured seconds per point (default 5; 1 with `quick`).
    pub seconds: Option<u64>,
    /// 1 s per point, 1 and 64 connections only: a smoke check.
    pub quick: bool,
    /// People rows inserted before the preloaded measurement.
    pub preload_rows: u64,
    /// The release binaries are already built (set when handing over to them).
    pub skip_build: bool,
}

/// What one run measures, from the options.
struct Plan {
    measure: Duration,
    warmup: Duration,
    connections: Vec<usize>,
    storage: Duration,
    preload_rows: u64,
}

impl Plan {
    fn new(options: &Options) -> Plan {
        let default_seconds = if options.quick { 1 } else { 5 };
        Plan {
            measure: Duration::from_secs(options.seconds.unwrap_or(default_seconds).max(1)),
            warmup: Duration::from_secs(1),
            connections: if options.quick {
                vec![1, 64]
            } else {
                vec![1, 16, 64, 256]
            },
            storage: Duration::from_secs(if options.quick { 1 } else { 2 }),
            preload_rows: options.preload_rows,
        }
    }
}

/// Runs the bench and writes the report; `Ok(false)` when a request failed.
pub fn run(root: &Path, options: Options) -> anyhow::Result<bool> {
    let target_dir = crate::target_dir(root);
    if cfg!(debug_assertions) && !options.skip_build {
        return hand_over_to_release(root, &target_dir, &options);
    }
    if !options.skip_build {
        cargo_build_release(root, &["--bin", "crm"])?;
    }
    let crm = target_dir.join("release/crm");
    anyhow::ensure!(crm.is_file(), "{} is missing", crm.display());

    let plan = Plan::new(&options);
    let tmp = tempfile::Builder::new()
        .prefix("crm-bench-")
        .tempdir()
        .context("creating a temporary directory")?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let load_before = load_average();
    let started = Instant::now();
    let mut bench = Bench {
        plan: &plan,
        crm: &crm,
        dir: tmp.path(),
        runtime: &runtime,
        rows: Vec::new(),
    };
    bench.storage_baselines()?;
    bench.noop_baseline()?;
    bench.operations()?;
    bench.per_request_commit()?;
    bench.logging_pair()?;

    let report = Report {
        rows: bench.rows,
        preload_rows: plan.preload_rows,
    };
    let context = format!(
        "{} CPUs; load average {} before, {} after; {:.0} s in all. Each point: {} s \
         measured after {} s of warm-up; the load generator (this process, release \
         build) shares the machine with the server. Server: `crm serve --durability full`, \
         group commit, `RUST_LOG=info` (stderr to a file), a fresh database per operation.",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load_before,
        load_average(),
        started.elapsed().as_secs_f64(),
        plan.measure.as_secs(),
        plan.warmup.as_secs(),
    );
    let markdown = report.markdown(&context);
    println!("\n{markdown}");
    let out = target_dir.join("bench/report.md");
    std::fs::create_dir_all(out.parent().expect("has a parent"))?;
    std::fs::write(&out, &markdown).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {}", out.display());
    let errors = report.errors();
    if errors > 0 {
        eprintln!("error: {errors} requests failed (see the report)");
    }
    Ok(errors == 0)
}

struct Bench<'a> {
    plan: &'a Plan,
    crm: &'a Path,
    dir: &'a Path,
    runtime: &'a tokio::runtime::Runtime,
    rows: Vec<Row>,
}

impl Bench<'_> {
    /// First, while nothing else runs.
    fn storage_baselines(&mut self) -> anyhow::Result<()> {
        let duration = self.plan.storage;
        eprintln!("baseline: disk, 4 KiB write + fsync");
        let fsync = storage::fsync_rate(self.dir, duration)?;
        self.rows.push(Row::storage(
            "baseline: disk, 4 KiB write + fsync",
            &fsync,
            false,
        ));
        for (per_transaction, label) in [
            (1, "baseline: SQLite WAL FULL, 1 row/transaction"),
            (1000, "baseline: SQLite WAL FULL, 1,000 rows/transaction"),
        ] {
            eprintln!("{label}");
            let measured = storage::sqlite_inserts(self.dir, per_transaction, duration)?;
            self.rows.push(Row::storage(label, &measured, true));
        }
        Ok(())
    }

    fn noop_baseline(&mut self) -> anyhow::Result<()> {
        let server = server::start_noop(self.dir)?;
        let target = Arc::new(Target::new(server.addr, "crm_noop", no_fixtures(), None)?);
        for &connections in &self.plan.connections.clone() {
            self.measure(&target, Load::Noop, Variant::Main, connections)?;
        }
        Ok(())
    }

    /// Each create operation on its own fresh database; SalesMap people's is then
    /// preloaded.
    fn operations(&mut self) -> anyhow::Result<()> {
        for op in &OPERATIONS {
            let load = Load::Create(op);
            let db = self.fresh_db(op.operation_id)?;
            let config = self.config(&db, Commit::Group, "info", "crm.log");
            let (server, token) = server::start_crm_fresh(&config)?;
            // BigChange's contact, a lead's organization.
            let fixtures = server::create_fixtures(self.crm, &db)?;
            let target = Arc::new(Target::new(server.addr, &token, fixtures, server.metrics)?);
            for &connections in &self.plan.connections.clone() {
                self.measure(&target, load, Variant::Main, connections)?;
            }
            if load == Load::salesmap_people() {
                drop(server);
                self.preloaded(&db, &token)?;
            }
        }
        Ok(())
    }

    /// SalesMap at 64 connections once the database holds `preload_rows` more
    /// people, inserted while the server is stopped.
    fn preloaded(&mut self, db: &Path, token: &str) -> anyhow::Result<()> {
        eprintln!(
            "preloading {} people",
            report::thousands(self.plan.preload_rows as f64)
        );
        let took = storage::preload_people(db, self.plan.preload_rows)?;
        eprintln!("  took {:.1} s", took.as_secs_f64());
        let config = self.config(db, Commit::Group, "info", "crm-preloaded.log");
        let server = server::restart_crm(&config)?;
        let target = Arc::new(Target::new(
            server.addr,
            token,
            no_fixtures(),
            server.metrics,
        )?);
        self.measure(&target, Load::salesmap_people(), Variant::Preloaded, 64)
    }

    fn per_request_commit(&mut self) -> anyhow::Result<()> {
        let db = self.fresh_db("per-request")?;
        let config = self.config(&db, Commit::PerRequest, "info", "crm.log");
        let (server, token) = server::start_crm_fresh(&config)?;
        let target = Arc::new(Target::new(
            server.addr,
            &token,
            no_fixtures(),
            server.metrics,
        )?);
        self.measure(
            &target,
            Load::salesmap_people(),
            Variant::PerRequestCommit,
            64,
        )
    }

    /// Both sides of the logging cost measured back to back on fresh servers, so the
    /// difference is the logging and not the database's size or the machine's mood.
    fn logging_pair(&mut self) -> anyhow::Result<()> {
        for (rust_log, variant) in [("warn", Variant::LogsWarn), ("info", Variant::LogsInfo)] {
            let db = self.fresh_db(&format!("logs-{rust_log}"))?;
            let config = self.config(&db, Commit::Group, rust_log, "crm.log");
            let (server, token) = server::start_crm_fresh(&config)?;
            let target = Arc::new(Target::new(
                server.addr,
                &token,
                no_fixtures(),
                server.metrics,
            )?);
            self.measure(&target, Load::salesmap_people(), variant, 64)?;
        }
        Ok(())
    }

    fn measure(
        &mut self,
        target: &Arc<Target>,
        load: Load,
        variant: Variant,
        connections: usize,
    ) -> anyhow::Result<()> {
        let name = load.name();
        let label = match variant {
            Variant::Main if load == Load::Noop => format!("baseline: {name}"),
            Variant::Main => name,
            Variant::PerRequestCommit => format!("{name}, `--commit per-request`"),
            Variant::Preloaded => format!(
                "{name}, {} rows preloaded",
                report::thousands(self.plan.preload_rows as f64)
            ),
            Variant::LogsInfo => format!("{name}, `RUST_LOG=info` (logging pair)"),
            Variant::LogsWarn => format!("{name}, `RUST_LOG=warn` (logging pair)"),
        };
        let plural = if connections == 1 { "" } else { "s" };
        eprintln!("{label}, {connections} connection{plural}");
        let outcome = self
            .runtime
            .block_on(load::run(
                target.clone(),
                load,
                connections,
                self.plan.warmup,
                self.plan.measure,
            ))
            .with_context(|| format!("{label}, {connections} connection{plural}"))?;
        eprintln!(
            "  {} creates/s, {} errors",
            report::thousands(outcome.rate()),
            outcome.errors
        );
        let key = Key {
            load,
            variant,
            connections,
        };
        self.rows.push(Row::load(key, label, &outcome));
        Ok(())
    }

    fn fresh_db(&self, name: &str) -> anyhow::Result<PathBuf> {
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir)?;
        Ok(dir.join("crm.db"))
    }

    fn config<'c>(
        &'c self,
        db: &'c Path,
        commit: Commit,
        rust_log: &'c str,
        log_name: &'c str,
    ) -> CrmConfig<'c> {
        CrmConfig {
            bin: self.crm,
            db,
            commit,
            rust_log,
            log_name,
        }
    }
}

/// Builds the release crm and xtask, then runs the release xtask's bench.
fn hand_over_to_release(root: &Path, target_dir: &Path, options: &Options) -> anyhow::Result<bool> {
    cargo_build_release(root, &["--bin", "crm"])?;
    cargo_build_release(root, &["-p", "xtask"])?;
    let xtask = target_dir.join("release/xtask");
    let mut command = Command::new(&xtask);
    command.args([
        "bench",
        "--skip-build",
        "--preload",
        &options.preload_rows.to_string(),
    ]);
    if let Some(seconds) = options.seconds {
        command.args(["--seconds", &seconds.to_string()]);
    }
    if options.quick {
        command.arg("--quick");
    }
    let status = command
        .status()
        .with_context(|| format!("running {}", xtask.display()))?;
    Ok(status.success())
}

fn cargo_build_release(root: &Path, args: &[&str]) -> anyhow::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("cargo build --release {}", args.join(" "));
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--release"])
        .args(args)
        .status()
        .context("running cargo build")?;
    anyhow::ensure!(
        status.success(),
        "cargo build --release {} failed",
        args.join(" ")
    );
    Ok(())
}

/// What SalesMap people and the no-op handler need of fixtures: nothing but the
/// workspace the server creates on an empty database.
fn no_fixtures() -> Fixtures {
    Fixtures {
        workspace_id: 1,
        contact_id: 0,
        organization_uuid: String::new(),
    }
}

/// The 1-minute load average, to tell a busy machine from a slow server.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

//! Project chores, as `cargo xtask <command>`:
//!
//! - `generate [--check] [--lang rust|typescript|python]`: regenerate every client
//!   from `openapi/*.yaml` (see `xtask/src/generate/`), or fail naming each stale
//!   file with a diff;
//! - `test-clients [--lang rust|typescript|python]`: each language's generated
//!   client against a live server (see `xtask/src/clients.rs`);
//! - `contract`: compare each YAML document with what the server emits;
//! - `breaking [--base GITREF] [--format json] [--release]`: the breaking-change
//!   gate, every document against its released snapshot (`openapi/released/`) or
//!   a git ref (see `xtask/src/breaking/`);
//! - `openapi NAME`: print the document the server emits for a family;
//! - `bench [--quick] [--seconds N] [--store-rounds N] [--stores-only]`: benchmark
//!   the release server's creates against its baselines, SQLite beside PostgreSQL
//!   (see `xtask/src/bench.rs`);
//! - `schemathesis [--st PATH] [--seed N] [--max-examples N] [--store sqlite|postgres]`:
//!   Schemathesis against every document and a live server on each store, with the
//!   fixed seed and a new one
//!   (see `schemathesis.toml`, `schemathesis_hooks.py`);
//! - `crash [--rounds N]`: the crash tests (`tests/crash.rs`: SIGKILL on SQLite and
//!   PostgreSQL, PostgreSQL restarted in immediate mode);
//! - `lint`: Redocly CLI over every `openapi/*.yaml` (see `redocly.yaml`).
//! - `mutants [--group G] [--list] [--shard k/n]`: mutation testing with
//!   cargo-mutants (see `xtask/src/mutants.rs`).

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Regenerate every client (Rust, TypeScript, Python) from openapi/*.yaml.
    Generate {
        /// Change nothing; exit 1 naming each stale file, with a diff.
        #[arg(long)]
        check: bool,
        /// Only these languages (all by default).
        #[arg(long = "lang", value_enum)]
        langs: Vec<xtask::generate::Lang>,
    },
    /// Each language's generated client (Rust as a new cargo project, TypeScript,
    /// Python) against a live server; then the rows they made, in the database.
    TestClients {
        /// Only these languages (all by default).
        #[arg(long = "lang", value_enum)]
        langs: Vec<xtask::generate::Lang>,
    },
    /// Diff every YAML document against the server's emitted document.
    Contract,
    /// Compare every document in openapi/ with its released snapshot (openapi/released/)
    /// or a git ref; exit 1 on a breaking change unless info.version raised its major.
    Breaking {
        /// Compare with the documents at this git ref instead of the released snapshots.
        #[arg(long, value_name = "GITREF", conflicts_with = "release")]
        base: Option<String>,
        /// How to print the findings.
        #[arg(long, value_enum, default_value_t = xtask::breaking::Format::Text)]
        format: xtask::breaking::Format,
        /// Record the current documents in openapi/released/ (refused when a changed
        /// document did not raise its version, or broke clients without a new major).
        #[arg(long)]
        release: bool,
        /// The project root (tests point it at a copy).
        #[arg(long, hide = true)]
        root: Option<std::path::PathBuf>,
    },
    /// Print the server's emitted document for one family (salesmap, ...).
    Openapi { name: String },
    /// Benchmark the release server: creates/s and latency per create operation, against a
    /// no-op handler, raw SQLite and the disk; SQLite beside PostgreSQL (1 and 2 servers) and
    /// pgbench. Writes target/bench/report.md.
    Bench {
        /// Measured seconds per point (default 5, or 1 with --quick).
        #[arg(long)]
        seconds: Option<u64>,
        /// A smoke check: 1 s per point, 1 and 64 connections only.
        #[arg(long)]
        quick: bool,
        /// People rows to preload for the large-database measurement.
        #[arg(long, default_value_t = 1_000_000)]
        preload: u64,
        /// The release binaries are already built (the debug xtask hands over
        /// to the release one with it).
        #[arg(long, hide = true)]
        skip_build: bool,
        /// Interleaved rounds of the store comparison (SQLite, PostgreSQL with 1
        /// and 2 servers, pgbench); default 2, or 1 with --quick.
        #[arg(long)]
        store_rounds: Option<u32>,
        /// Run the store comparison alone. PostgreSQL comes from
        /// CRM_BENCH_POSTGRES_URL, or a throwaway cluster made with initdb.
        #[arg(long)]
        stores_only: bool,
    },
    /// Run Schemathesis against every document in openapi/ and a live server.
    Schemathesis {
        /// The Schemathesis executable.
        #[arg(long, default_value = "st")]
        st: String,
        /// Examples per operation and phase.
        #[arg(long, default_value_t = 100)]
        max_examples: u32,
        /// Run this seed alone (to replay a failure a run printed).
        #[arg(long)]
        seed: Option<u64>,
        /// How many new random seeds to run after the fixed one.
        #[arg(long, default_value_t = 1)]
        random_seeds: u32,
        /// The stores to run against (repeat or comma-separate); both by default.
        #[arg(long = "store", value_enum, value_delimiter = ',', default_values = ["sqlite", "postgres"])]
        stores: Vec<xtask::live::Store>,
    },
    /// Lint every document in openapi/ with Redocly CLI (pinned in xtask/lint/):
    /// 0 errors and 0 warnings.
    Lint,
    /// Kill the server with SIGKILL (SQLite, PostgreSQL) or restart PostgreSQL in immediate
    /// mode mid-load, and check every acknowledged create.
    Crash {
        /// How many kill-and-restart rounds.
        #[arg(long, default_value_t = 5)]
        rounds: u32,
    },
    /// Mutation testing (cargo-mutants 27) over domain, auth, idempotency, body parsing
    /// and store; fails on a survivor missing from .cargo/mutants-accepted.txt.
    Mutants {
        /// Run only these groups (body, auth, idempotency, domain, store).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// List the mutants per group without testing them.
        #[arg(long)]
        list: bool,
        /// Run the k-th of n shards of each group, as `k/n` (k from 0).
        #[arg(long)]
        shard: Option<String>,
        /// Skip the unmutated run of each group's tests.
        #[arg(long)]
        skip_baseline: bool,
        /// Seconds a mutant's tests may take before it counts as a timeout.
        #[arg(long, default_value_t = 90)]
        timeout: u64,
        /// More arguments for cargo-mutants, after `--`.
        #[arg(last = true)]
        extra: Vec<String>,
    },
    /// The bench's no-op dropshot server (started by `bench`, not by hand).
    #[command(hide = true)]
    BenchNoopServer {
        #[arg(long)]
        bind: std::net::SocketAddr,
    },
}

/// The languages asked for, or all of them.
fn all_if_empty(langs: Vec<xtask::generate::Lang>) -> Vec<xtask::generate::Lang> {
    if langs.is_empty() {
        xtask::generate::Lang::ALL.to_vec()
    } else {
        langs
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = xtask::project_root();
    let result = match cli.command {
        Cmd::Generate { check, langs } => xtask::generate::run(&root, check, &all_if_empty(langs)),
        Cmd::TestClients { langs } => xtask::clients::run(&root, &all_if_empty(langs)),
        Cmd::Contract => xtask::contract::run(&root),
        Cmd::Lint => xtask::lint::run(&root),
        Cmd::Breaking {
            base,
            format,
            release,
            root: other_root,
        } => xtask::breaking::run(
            other_root.as_deref().unwrap_or(&root),
            &xtask::breaking::Options {
                base: base.map_or(xtask::breaking::Base::Released, xtask::breaking::Base::Git),
                format,
                release,
            },
        ),
        Cmd::Openapi { name } if name == "raw" => {
            crm_api::contract::dropshot_document().and_then(|doc| {
                println!("{}", serde_json::to_string_pretty(&doc)?);
                Ok(true)
            })
        }
        Cmd::Openapi { name } => crm_api::contract::emitted_document(&name).and_then(|doc| {
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(true)
        }),
        Cmd::Bench {
            seconds,
            quick,
            preload,
            skip_build,
            store_rounds,
            stores_only,
        } => xtask::bench::run(
            &root,
            xtask::bench::Options {
                seconds,
                quick,
                preload_rows: preload,
                skip_build,
                store_rounds,
                stores_only,
            },
        ),
        Cmd::BenchNoopServer { bind } => xtask::bench::noop::serve(bind).map(|()| true),
        Cmd::Schemathesis {
            st,
            max_examples,
            seed,
            random_seeds,
            stores,
        } => xtask::schemathesis::run(
            &root,
            xtask::schemathesis::Options {
                st,
                max_examples,
                seed,
                random_seeds,
                stores,
            },
        ),
        Cmd::Mutants {
            groups,
            list,
            shard,
            skip_baseline,
            timeout,
            extra,
        } => xtask::mutants::run(
            &root,
            xtask::mutants::Options {
                groups,
                list,
                shard,
                skip_baseline,
                timeout_secs: timeout,
                extra,
            },
        ),
        Cmd::Crash { rounds } => std::process::Command::new(env!("CARGO"))
            .args(["test", "--test", "crash", "--", "--nocapture"])
            .env("CRM_CRASH_ROUNDS", rounds.to_string())
            .current_dir(&root)
            .status()
            .map(|s| s.success())
            .map_err(Into::into),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

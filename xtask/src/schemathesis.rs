//! `cargo xtask schemathesis`: Schemathesis against every document in `openapi/`,
//! with a live server on a fresh database and a real token. Its configuration,
//! with the reason for every tuned or excluded check, is `schemathesis.toml`.
//!
//! The workspace is seeded so the documents' examples name real records: the
//! first organization (`contactId` 1; the workspace, BigChange's `Customer-Id`,
//! is 1 too, which the hooks send with every valid request), and the custom fields the examples use
//! (`cf_favorite_color`, `cf_budget`, and BigChange's `definitionId` 7).
//!
//! Every store given runs the whole set (both by default, as `.ci/run` does): a
//! server on a fresh SQLite file, and one on a fresh PostgreSQL database
//! (`CRM_TEST_POSTGRES_URL`'s server, or a throwaway cluster; skipped loudly when
//! neither is to be had, a failure under `CRM_REQUIRE_POSTGRES=1`).
//!
//! Each run uses the fixed seed (the same inputs every time) and a new random one
//! (new inputs every run), each printed: `--seed N` replays one alone. The checks
//! `schemathesis_hooks.py` adds (loaded through `SCHEMATHESIS_HOOKS`) decide
//! which refusals of a valid request a documented rule explains.

use crate::live::{self, Store};
use anyhow::Context as _;
use std::path::Path;
use std::process::Command;

pub struct Options {
    /// The `st` executable.
    pub st: String,
    pub max_examples: u32,
    /// Run this seed alone (to replay a failure); otherwise [`FIXED_SEED`] and
    /// `random_seeds` new ones.
    pub seed: Option<u64>,
    pub random_seeds: u32,
    /// The stores to run against, one after the other.
    pub stores: Vec<Store>,
}

/// The seed every run starts with: the same inputs each time.
pub const FIXED_SEED: u64 = 1;

/// A new seed: Hypothesis takes any integer; a short one is easier to copy.
fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish() % 1_000_000_000
}

/// Returns Ok(false) when Schemathesis reports a failure for any document and seed.
pub fn run(root: &Path, options: Options) -> anyhow::Result<bool> {
    let crm = live::build_crm(root)?;
    let seeds: Vec<u64> = match options.seed {
        Some(seed) => vec![seed],
        None => std::iter::once(FIXED_SEED)
            .chain((0..options.random_seeds).map(|_| random_seed()))
            .collect(),
    };
    println!(
        "== schemathesis: seeds {seeds:?} ({FIXED_SEED} is fixed, the others new), {} examples per operation; \
         replay a failure with `cargo xtask schemathesis --seed N`",
        options.max_examples
    );

    let mut passed = true;
    let mut summary = Vec::new();
    for &store in &options.stores {
        for &seed in &seeds {
            for (name, path) in crate::documents(root)? {
                let what = format!("{store:?}, openapi/{name}.yaml, seed {seed}");
                println!("== schemathesis: {what}");
                let Some(live) = live::start(&crm, store)? else {
                    summary.push(format!("{what}: SKIPPED (no PostgreSQL)"));
                    continue;
                };
                let status = Command::new(&options.st)
                    .arg("--config-file")
                    .arg(root.join("schemathesis.toml"))
                    .arg("run")
                    .arg(&path)
                    .args(["--url", &live.url()])
                    .args(["--header", &format!("Authorization: Bearer {}", live.token)])
                    .args(["--max-examples", &options.max_examples.to_string()])
                    .args(["--seed", &seed.to_string()])
                    .env("SCHEMATHESIS_HOOKS", root.join("schemathesis_hooks.py"))
                    .env("CRM_SCHEMATHESIS_ORGANIZATION", &live.organization)
                    .current_dir(root)
                    .status()
                    .with_context(|| {
                        format!("running {} (install schemathesis with pip)", options.st)
                    })?;
                drop(live);
                summary.push(format!(
                    "{what}: {}",
                    if status.success() {
                        "ok".to_owned()
                    } else {
                        format!(
                            "FAILED (replay: cargo xtask schemathesis --store {} --seed {seed})",
                            format!("{store:?}").to_lowercase()
                        )
                    }
                ));
                passed &= status.success();
            }
        }
    }
    println!("\n{}", summary.join("\n"));
    Ok(passed)
}

//! `cargo xtask schemathesis`: Schemathesis against every document in `openapi/`,
//! with a live server on a fresh database and a real token. Its configuration,
//! with the reason for every tuned or excluded check, is `schemathesis.toml`.
//!
//! The workspace is seeded so the documents' examples name real records: the
//! first organization (`contactId` 1; the workspace, BigChange's `Customer-Id`,
//! is 1 too, which the hooks send with every valid request), and the custom fields the examples use
//! (`cf_favorite_color`, `cf_budget`, and BigChange's `definitionId` 7).
//!
//! Each run uses the fixed seed (the same inputs every time) and a new random one
//! (new inputs every run), each printed: `--seed N` replays one alone. The checks
//! `schemathesis_hooks.py` adds (loaded through `SCHEMATHESIS_HOOKS`) decide
//! which refusals of a valid request a documented rule explains.

use anyhow::Context as _;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the server on every way out.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Options {
    /// The `st` executable.
    pub st: String,
    pub max_examples: u32,
    /// Run this seed alone (to replay a failure); otherwise [`FIXED_SEED`] and
    /// `random_seeds` new ones.
    pub seed: Option<u64>,
    pub random_seeds: u32,
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

/// Runs `crm admin` and returns what it printed (JSON).
fn crm_admin(crm: &Path, db: &Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
    let out = Command::new(crm)
        .arg("admin")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "crm admin {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// A server on a fresh, seeded database, and its token.
struct Live {
    _server: Server,
    _dir: tempfile::TempDir,
    port: u16,
    token: String,
    /// The seeded organization's uuid, for the hooks to name in valid leads.
    organization: String,
}

/// Starts `crm serve` on a new database and seeds the records the documents'
/// examples name. Each document of each seed gets its own, so a seed replays alone
/// exactly as it ran (nothing left by an earlier document or seed).
fn start(crm: &Path) -> anyhow::Result<Live> {
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("crm.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();

    let mut child = Command::new(crm)
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--db"])
        .arg(&db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting crm serve")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let server = Server(child);
    let mut token = None;
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line.trim().starts_with("crm_") {
            token = Some(line.trim().to_owned());
        }
        if line.starts_with("Try: curl") {
            break;
        }
    }
    let token = token.context("crm serve printed no token")?;
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }

    // Ids 1 (the contact) and 5, 6, 7 (after the four standard fields) are what the
    // documents' examples use.
    let organization = crm_admin(
        crm,
        &db,
        &["organization", "--workspace", "1", "--name", "Acme Inc"],
    )?;
    let organization = organization["organization"]["uuid"]
        .as_str()
        .context("crm admin organization printed no uuid")?
        .to_owned();
    for (name, key, kind) in [
        ("좋아하는 색", "cf_favorite_color", "text"),
        ("예산", "cf_budget", "number"),
        ("Budget", "bc_budget", "number"),
    ] {
        crm_admin(
            crm,
            &db,
            &[
                "field",
                "--workspace",
                "1",
                "--entity",
                "person",
                "--name",
                name,
                "--key",
                key,
                "--type",
                kind,
            ],
        )?;
    }
    Ok(Live {
        _server: server,
        _dir: dir,
        port,
        token,
        organization,
    })
}

/// Returns Ok(false) when Schemathesis reports a failure for any document and seed.
pub fn run(root: &Path, options: Options) -> anyhow::Result<bool> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--bin", "crm"])
        .current_dir(root)
        .status()?;
    anyhow::ensure!(status.success(), "building crm failed");
    let crm = root.join("target/debug/crm");
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
    for &seed in &seeds {
        for (name, path) in crate::documents(root)? {
            println!("== schemathesis: openapi/{name}.yaml, seed {seed}");
            let live = start(&crm)?;
            let status = Command::new(&options.st)
                .arg("--config-file")
                .arg(root.join("schemathesis.toml"))
                .arg("run")
                .arg(&path)
                .args(["--url", &format!("http://127.0.0.1:{}", live.port)])
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
                "openapi/{name}.yaml, seed {seed}: {}",
                if status.success() {
                    "ok".to_owned()
                } else {
                    format!("FAILED (replay: cargo xtask schemathesis --seed {seed})")
                }
            ));
            passed &= status.success();
        }
    }
    println!("\n{}", summary.join("\n"));
    Ok(passed)
}

//! `cargo xtask schemathesis`: Schemathesis against every document in `openapi/`,
//! with a live server on a fresh database and a real token. Its configuration,
//! with the reason for every tuned or excluded check, is `schemathesis.toml`.
//!
//! The workspace is seeded so the documents' examples name real records: the
//! first organization (`contactId` 1), and the custom fields the examples use
//! (`cf_favorite_color`, `cf_budget`, and BigChange's `definitionId` 7).

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
}

fn crm_admin(crm: &Path, db: &Path, args: &[&str]) -> anyhow::Result<()> {
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
    Ok(())
}

/// Returns Ok(false) when Schemathesis reports a failure for any document.
pub fn run(root: &Path, options: Options) -> anyhow::Result<bool> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--bin", "crm"])
        .current_dir(root)
        .status()?;
    anyhow::ensure!(status.success(), "building crm failed");
    let crm = root.join("target/debug/crm");
    let dir = tempfile::tempdir()?;
    let db = dir.path().join("crm.db");
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();

    let mut child = Command::new(&crm)
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
    crm_admin(
        &crm,
        &db,
        &["organization", "--workspace", "1", "--name", "Acme Inc"],
    )?;
    for (name, key, kind) in [
        ("좋아하는 색", "cf_favorite_color", "text"),
        ("예산", "cf_budget", "number"),
        ("Budget", "bc_budget", "number"),
    ] {
        crm_admin(
            &crm,
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

    let mut passed = true;
    let mut summary = Vec::new();
    for (name, path) in crate::documents(root)? {
        println!("== schemathesis: openapi/{name}.yaml");
        let status = Command::new(&options.st)
            .arg("--config-file")
            .arg(root.join("schemathesis.toml"))
            .arg("run")
            .arg(&path)
            .args(["--url", &format!("http://127.0.0.1:{port}")])
            .args(["--header", &format!("Authorization: Bearer {token}")])
            .args(["--header", "Customer-Id: 1"])
            .args(["--max-examples", &options.max_examples.to_string()])
            .args(["--seed", "1"])
            .current_dir(root)
            .status()
            .with_context(|| format!("running {} (install schemathesis with pip)", options.st))?;
        summary.push(format!(
            "openapi/{name}.yaml: {}",
            if status.success() { "ok" } else { "FAILED" }
        ));
        passed &= status.success();
    }
    drop(server);
    println!("\n{}", summary.join("\n"));
    Ok(passed)
}

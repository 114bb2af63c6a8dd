//! The xtask library: what `cargo xtask` runs, also callable from tests.

pub mod bench;
pub mod breaking;
pub mod clients;
pub mod contract;
pub mod generate;
pub mod lint;
pub mod live;
pub mod mutants;
pub mod openapi_diff;
pub mod postgres;
pub mod schemathesis;

use anyhow::Context as _;
use std::path::{Path, PathBuf};

pub fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Where cargo builds: `CARGO_TARGET_DIR` (relative to the root) or `target/`.
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Not an OpenAPI document: the contract check's reviewed list of gaps.
pub const KNOWN_GAPS_FILE: &str = "known-gaps.yaml";

/// The hand-written documents, as (family name, path), sorted.
pub fn documents(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let dir = root.join("openapi");
    let mut docs = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let Some(file) = path.file_name().and_then(|f| f.to_str()) else {
            continue;
        };
        if let Some(name) = file.strip_suffix(".yaml") {
            if file != KNOWN_GAPS_FILE {
                docs.push((name.to_owned(), path));
            }
        }
    }
    docs.sort();
    Ok(docs)
}

/// A pinned npm tool's executable, `<dir>/node_modules/.bin/<bin>`, installed
/// with `npm ci` in `dir` (its `package-lock.json`) when missing.
pub fn npm_tool(root: &Path, dir: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let dir_path = root.join(dir);
    let tool = dir_path.join("node_modules/.bin").join(bin);
    if !tool.exists() {
        println!("installing {bin}: npm ci in {dir}");
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir_path)
            .status()
            .context("running npm (Node.js and npm are needed)")?;
        anyhow::ensure!(status.success(), "npm ci in {dir} failed");
    }
    Ok(tool)
}

/// A YAML document as JSON, for comparison.
pub fn read_yaml(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

//! The TypeScript that `cargo xtask generate` writes: openapi-typescript's types,
//! one module per document, `clients/typescript/src/generated/<name>.ts`, read by
//! openapi-fetch at run time. The generator is pinned by
//! `clients/typescript/package-lock.json` and installed with `npm ci` when missing.

use super::{run_tool, Generated};
use anyhow::Context as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The TypeScript project, under the project root.
pub const DIR: &str = "clients/typescript";
const GENERATED: &str = "clients/typescript/src/generated";

pub fn generate(root: &Path) -> anyhow::Result<Generated> {
    let tool = crate::npm_tool(root, DIR, "openapi-typescript")?;
    let scratch = tempfile::tempdir()?;
    let mut out = Generated {
        owned_dirs: vec![PathBuf::from(GENERATED)],
        ..Generated::default()
    };
    for (name, path) in crate::documents(root)? {
        let target = scratch.path().join(format!("{name}.ts"));
        run_tool(
            Command::new(&tool)
                .arg(&path)
                .arg("--output")
                .arg(&target)
                .current_dir(root),
            &format!("openapi-typescript on openapi/{name}.yaml"),
        )?;
        let code = std::fs::read_to_string(&target)
            .with_context(|| format!("reading what openapi-typescript wrote for {name}"))?;
        out.files
            .insert(PathBuf::from(format!("{GENERATED}/{name}.ts")), code);
    }
    Ok(out)
}

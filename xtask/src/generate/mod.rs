//! `cargo xtask generate [--check] [--lang L]...`: every client generated from
//! `openapi/*.yaml`, in every language, checked in.
//!
//! Each language's generator produces files in memory (or in a temporary
//! directory, read back); one step compares them with the checked-in tree and
//! either writes them or, with `--check`, names every stale, missing or extra file
//! with a diff. A generator owns whole directories (a Python package, the
//! TypeScript `generated/` folder): a file left in one that it no longer produces
//! is stale too.

pub mod python;
pub mod rust;
pub mod typescript;

use anyhow::Context as _;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A language whose client `cargo xtask generate` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// progenitor: `client/`, `cli/`, `client-mock/` (no tool to install).
    Rust,
    /// openapi-typescript, pinned in `clients/typescript/package-lock.json`.
    Typescript,
    /// openapi-python-client, pinned in `clients/python/requirements.txt`.
    Python,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Rust, Lang::Typescript, Lang::Python];

    fn generate(self, root: &Path) -> anyhow::Result<Generated> {
        match self {
            Lang::Rust => rust::generate(root),
            Lang::Typescript => typescript::generate(root),
            Lang::Python => python::generate(root),
        }
    }
}

/// What one language's generator produced.
#[derive(Debug, Default)]
pub struct Generated {
    /// File contents by path relative to the project root.
    pub files: BTreeMap<PathBuf, String>,
    /// Directories (relative) the generator owns whole: any other file in them is stale.
    pub owned_dirs: Vec<PathBuf>,
    /// What was projected away or skipped, to print.
    pub notes: Vec<String>,
    /// What is wrong beside the files (a missing `pub mod` line): fails the run.
    pub problems: Vec<String>,
}

/// How a checked-in file differs from what the generator produces.
#[derive(Debug, PartialEq, Eq)]
pub enum Difference {
    /// Checked in, with other contents: the unified diff.
    Stale { path: PathBuf, diff: String },
    /// Generated, not checked in.
    Missing { path: PathBuf },
    /// Checked in inside an owned directory, no longer generated.
    Extra { path: PathBuf },
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Difference::Stale { path, diff } => {
                write!(f, "{} is stale:\n{diff}", path.display())
            }
            Difference::Missing { path } => {
                write!(
                    f,
                    "{} is missing (generated, not checked in)",
                    path.display()
                )
            }
            Difference::Extra { path } => write!(
                f,
                "{} is no longer generated (left in a generated directory)",
                path.display()
            ),
        }
    }
}

/// Every difference between `generated` and the tree under `root`.
pub fn compare(root: &Path, generated: &Generated) -> anyhow::Result<Vec<Difference>> {
    let mut differences = Vec::new();
    for (path, code) in &generated.files {
        match std::fs::read_to_string(root.join(path)) {
            Ok(current) if current == *code => {}
            Ok(current) => differences.push(Difference::Stale {
                path: path.clone(),
                diff: similar::TextDiff::from_lines(&current, code)
                    .unified_diff()
                    .context_radius(3)
                    .header(&format!("{} (checked in)", path.display()), "generated")
                    .to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                differences.push(Difference::Missing { path: path.clone() })
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    for dir in &generated.owned_dirs {
        for path in files_under(root, dir)? {
            if !generated.files.contains_key(&path) {
                differences.push(Difference::Extra { path });
            }
        }
    }
    Ok(differences)
}

/// The files under `root/dir`, relative to `root`, sorted.
fn files_under(root: &Path, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut stack = vec![root.join(dir)];
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", d.display())),
        };
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path.strip_prefix(root)?.to_path_buf());
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Writes what differs: stale and missing files, and removes extra ones.
fn apply(root: &Path, generated: &Generated, differences: &[Difference]) -> anyhow::Result<()> {
    for difference in differences {
        match difference {
            Difference::Stale { path, .. } | Difference::Missing { path } => {
                let target = root.join(path);
                if let Some(parent) = target.parent() {
                    std::fs::create_dir_all(parent)?;
                }
                std::fs::write(&target, &generated.files[path])
                    .with_context(|| format!("writing {}", target.display()))?;
                println!("wrote {}", path.display());
            }
            Difference::Extra { path } => {
                std::fs::remove_file(root.join(path))
                    .with_context(|| format!("removing {}", path.display()))?;
                println!("removed {}", path.display());
            }
        }
    }
    Ok(())
}

/// Generates `langs`; with `check`, changes nothing and returns Ok(false) when a
/// checked-in file is stale (each one named, with its diff, on stderr).
pub fn run(root: &Path, check: bool, langs: &[Lang]) -> anyhow::Result<bool> {
    let mut fresh = true;
    for &lang in langs {
        let generated = lang.generate(root)?;
        for note in &generated.notes {
            println!("{note}");
        }
        for problem in &generated.problems {
            eprintln!("{problem}");
            fresh = false;
        }
        let differences = compare(root, &generated)?;
        println!(
            "{lang:?}: {} files generated, {} differ from the checked-in ones",
            generated.files.len(),
            differences.len()
        );
        if differences.is_empty() {
            continue;
        }
        if check {
            fresh = false;
            for difference in &differences {
                eprintln!("{difference}");
            }
        } else {
            apply(root, &generated, &differences)?;
        }
    }
    if !fresh {
        eprintln!(
            "\nThe generated clients are stale: run `cargo xtask generate` and commit the result."
        );
    }
    Ok(fresh)
}

/// Runs `command`, failing with its output when it fails.
fn run_tool(command: &mut std::process::Command, what: &str) -> anyhow::Result<()> {
    let out = command
        .output()
        .with_context(|| format!("running {what}"))?;
    anyhow::ensure!(
        out.status.success(),
        "{what} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

//! The architecture's invariants that a test can check (ARCHITECTURE.md lists them
//! all): module docs on every hand-written file, the imports each layer may not
//! make, and the size a server file may grow to.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap().display().to_string()
}

/// The hand-written Rust of the project (what `cargo xtask generate` writes excepted).
fn hand_written(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "api/src",
        "server/src",
        "src",
        "tests",
        "xtask/src",
        "xtask/tests",
        "testkit",
    ] {
        let dir = root.join(dir);
        if dir.is_dir() {
            files.extend(rust_files(&dir));
        }
    }
    for dir in ["client/examples", "cli/tests", "client-mock/tests"] {
        files.extend(rust_files(&root.join(dir)));
    }
    for file in [
        "client/src/lib.rs",
        "cli/src/lib.rs",
        "cli/src/main.rs",
        "client-mock/src/lib.rs",
        "build.rs",
        "server/build.rs",
    ] {
        files.push(root.join(file));
    }
    files
}

#[test]
fn every_file_says_what_it_is_for() {
    let root = xtask::project_root();
    let missing: Vec<String> = hand_written(&root)
        .into_iter()
        .filter(|p| !p.components().any(|c| c.as_os_str() == "target"))
        .filter(|p| {
            let text = std::fs::read_to_string(p).unwrap();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            // build.rs and integration tests may open with a plain comment.
            !(first.starts_with("//!") || first.starts_with("// "))
        })
        .map(|p| relative(&root, &p))
        .collect();
    assert!(
        missing.is_empty(),
        "these files have no module doc (`//!`) saying what they are for: {missing:?}"
    );
}

/// (files under this directory, may not mention this, because)
const FORBIDDEN: &[(&str, &str, &str)] = &[
    (
        "api/src",
        "crm_server",
        "the API crate knows nothing of the server",
    ),
    (
        "api/src",
        "rusqlite",
        "the API crate knows nothing of storage",
    ),
    (
        "server/src/domain",
        "dropshot",
        "the domain knows nothing of HTTP",
    ),
    (
        "server/src/domain",
        "crm_api",
        "the domain knows nothing of wire types",
    ),
    (
        "server/src/domain",
        "rusqlite",
        "the domain sees storage through the Store trait",
    ),
    (
        "server/src/domain",
        "postgres",
        "the domain sees storage through the Store trait",
    ),
    (
        "server/src/domain",
        "crate::pipeline",
        "the domain does not call back into the pipeline",
    ),
    (
        "server/src/store",
        "dropshot",
        "the store knows nothing of HTTP",
    ),
    (
        "server/src/store",
        "crm_api::",
        "the store knows nothing of wire types",
    ),
    (
        "server/src/store",
        "crate::domain",
        "the store is below the domain",
    ),
    (
        "server/src/auth.rs",
        "dropshot",
        "authentication knows nothing of dropshot",
    ),
    (
        "server/src/families",
        "rusqlite",
        "families see storage through the Store trait",
    ),
    (
        "server/src/families",
        "postgres",
        "families see storage through the Store trait",
    ),
    (
        "server/src/families",
        "crate::app",
        "families do not depend on the wiring (no module cycle)",
    ),
    (
        "server/src/families",
        "crate::families",
        "a family never uses another family",
    ),
    (
        "server/src/families",
        "super::",
        "a family never uses another family",
    ),
    (
        "server/src/pipeline",
        "crate::families",
        "the pipeline is generic over families",
    ),
    (
        "server/src/pipeline",
        "crate::app",
        "the pipeline does not depend on the wiring",
    ),
    (
        "server/src/pipeline",
        "rusqlite",
        "the pipeline sees storage through the Store trait",
    ),
    (
        "server/src/pipeline",
        "postgres",
        "the pipeline sees storage through the Store trait",
    ),
];

#[test]
fn layers_import_only_what_they_may() {
    let root = xtask::project_root();
    let mut broken = Vec::new();
    for (under, word, why) in FORBIDDEN {
        let base = root.join(under);
        let files = if base.is_dir() {
            rust_files(&base)
        } else {
            vec![base.clone()]
        };
        assert!(
            !files.is_empty(),
            "{under} has no Rust files: fix this test"
        );
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if code.contains(word) {
                    broken.push(format!(
                        "{}:{}: mentions `{word}`: {why}",
                        relative(&root, &file),
                        n + 1
                    ));
                }
            }
        }
    }
    // The store's traits must be implementable by another database.
    let traits = std::fs::read_to_string(root.join("server/src/store/mod.rs")).unwrap();
    for backend in ["rusqlite", "tokio_postgres", "deadpool"] {
        if traits.contains(backend) {
            broken.push(format!(
                "server/src/store/mod.rs: mentions {backend}: the Store traits are backend-free"
            ));
        }
    }
    let api_manifest = std::fs::read_to_string(root.join("api/Cargo.toml")).unwrap();
    for dep in ["crm-server", "rusqlite", "postgres"] {
        if api_manifest.contains(dep) {
            broken.push(format!("api/Cargo.toml depends on {dep}"));
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

/// Past this a server file mixes concerns; split it by concern.
const MAX_SERVER_FILE_LINES: usize = 400;

#[test]
fn no_server_file_is_too_long() {
    let root = xtask::project_root();
    let long: Vec<String> = rust_files(&root.join("server/src"))
        .into_iter()
        .filter_map(|p| {
            let lines = std::fs::read_to_string(&p).unwrap().lines().count();
            (lines > MAX_SERVER_FILE_LINES)
                .then(|| format!("{} ({lines} lines)", relative(&root, &p)))
        })
        .collect();
    assert!(
        long.is_empty(),
        "server files over {MAX_SERVER_FILE_LINES} lines: {long:?}"
    );
}

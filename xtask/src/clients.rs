//! `cargo xtask test-clients [--lang rust|typescript|python]`: each language's
//! generated client against a live `crm serve` (a fresh database each), every
//! operation, then every row its tests say they made, read back from the database.
//!
//! - Rust: `client/examples/five_calls.rs` as a new cargo project outside the
//!   workspace, with `crm-client` by path and `default-features = false`: it must
//!   build with nothing else but tokio, without rustls, aws-lc-sys or schemars in
//!   its tree (`cargo tree`), and make all five calls.
//! - TypeScript: `npm test` in `clients/typescript` (tsc, then `node --test`).
//! - Python: the four packages `pip install`ed into `clients/python/.venv`, then
//!   pytest over `clients/python/tests`.
//!
//! The tests append one JSON line per record they expect stored to the file
//! `CRM_RECORDS` names: `{"operation", "table", "key": {column: value}, "expect":
//! {column: value}}`. A language passes when its tests pass, every line matches
//! exactly one row with those values, and every operation of
//! `crm_testkit::OPERATIONS` made a record.

use crate::generate::{python, typescript, Lang};
use crate::live::{self, Live, Store};
use anyhow::Context as _;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Crates a calling service that turned TLS off must not build.
const NOT_IN_A_PLAIN_HTTP_TREE: &[&str] = &["rustls", "aws-lc-sys", "aws-lc-rs", "schemars"];

/// Returns Ok(false) when a language's tests or its stored rows fail.
pub fn run(root: &Path, langs: &[Lang]) -> anyhow::Result<bool> {
    let crm = live::build_crm(root)?;
    let mut passed = true;
    let mut summary = Vec::new();
    for &lang in langs {
        println!("== {lang:?} client against a live server");
        // The clients speak HTTP; which store is behind the server is not theirs
        // to test, and SQLite's rows are read back without a database server.
        let live = live::start(&crm, Store::Sqlite)?.context("a SQLite server always starts")?;
        let records = live.dir().join("records.jsonl");
        let started = Instant::now();
        let outcome = match lang {
            Lang::Rust => rust(root, &live, &records),
            Lang::Typescript => typescript(root, &live, &records),
            Lang::Python => python(root, &live, &records),
        }
        .and_then(|tests_passed| {
            let problems = check_records(Path::new(live.db()), &records)?;
            for problem in &problems {
                eprintln!("{lang:?}: {problem}");
            }
            Ok(tests_passed && problems.is_empty())
        });
        let verdict = match outcome {
            Ok(true) => "ok".to_owned(),
            Ok(false) => "FAILED".to_owned(),
            Err(e) => format!("FAILED: {e:#}"),
        };
        passed &= verdict == "ok";
        summary.push(format!(
            "{lang:?}: {verdict} ({:.0} s)",
            started.elapsed().as_secs_f64()
        ));
    }
    println!("\n{}", summary.join("\n"));
    Ok(passed)
}

/// What every language's tests read: the server, its token and seeded records.
fn live_env(live: &Live, records: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("CRM_URL", live.url()),
        ("CRM_TOKEN", live.token.clone()),
        ("CRM_ORGANIZATION_UUID", live.organization.clone()),
        ("CRM_CONTACT_ID", live.contact_id.to_string()),
        ("CRM_CUSTOMER_ID", live.workspace_id.to_string()),
        ("CRM_RECORDS", records.display().to_string()),
    ]
}

fn status(command: &mut Command, what: &str) -> anyhow::Result<bool> {
    Ok(command
        .status()
        .with_context(|| format!("running {what}"))?
        .success())
}

/// The Rust client as a new calling service finds it: a cargo project of its own.
fn rust(root: &Path, live: &Live, records: &Path) -> anyhow::Result<bool> {
    let project = live.dir().join("calling-service");
    std::fs::create_dir_all(project.join("src"))?;
    std::fs::write(
        project.join("Cargo.toml"),
        format!(
            "[package]\nname = \"calling-service\"\nversion = \"0.1.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\ncrm-client = {{ path = {:?}, default-features = false }}\n\
             tokio = {{ version = \"1\", features = [\"macros\", \"rt\"] }}\n\n\
             # A workspace of its own, as a service's repository is.\n[workspace]\n",
            root.join("client").display().to_string()
        ),
    )?;
    std::fs::copy(
        root.join("client/examples/five_calls.rs"),
        project.join("src/main.rs"),
    )?;
    // The workspace's versions, so the build reuses what the workspace built.
    std::fs::copy(root.join("Cargo.lock"), project.join("Cargo.lock"))?;
    let cargo = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO"));
        command
            .args(args)
            .current_dir(&project)
            .env("CARGO_TARGET_DIR", crate::target_dir(root));
        command
    };
    let tree = cargo(&["tree", "--prefix", "none", "--edges", "normal,build"])
        .output()
        .context("running cargo tree")?;
    anyhow::ensure!(
        tree.status.success(),
        "cargo tree in the calling service failed:\n{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8_lossy(&tree.stdout);
    let mut crates: Vec<&str> = tree.lines().filter_map(|l| l.split(' ').next()).collect();
    crates.sort_unstable();
    crates.dedup();
    let forbidden: Vec<&&str> = crates
        .iter()
        .filter(|c| NOT_IN_A_PLAIN_HTTP_TREE.contains(c))
        .collect();
    println!(
        "calling service (crm-client, default-features = false): {} crates, none of {NOT_IN_A_PLAIN_HTTP_TREE:?}",
        crates.len()
    );
    anyhow::ensure!(
        forbidden.is_empty(),
        "crm-client without default features still builds {forbidden:?}"
    );
    let mut run = cargo(&["run", "--quiet"]);
    run.envs(live_env(live, records));
    status(&mut run, "the calling service (cargo run)")
}

/// The TypeScript clients' `npm test`: type-checked by tsc, run by `node --test`.
fn typescript(root: &Path, live: &Live, records: &Path) -> anyhow::Result<bool> {
    crate::npm_tool(root, typescript::DIR, "tsc")?;
    status(
        Command::new("npm")
            .args(["test", "--silent"])
            .current_dir(root.join(typescript::DIR))
            .envs(live_env(live, records)),
        "npm test",
    )
}

/// The Python packages, installed as a caller would, and pytest.
fn python(root: &Path, live: &Live, records: &Path) -> anyhow::Result<bool> {
    let venv = python::venv(root)?;
    let mut install = Command::new(venv.join("bin/pip"));
    install.args(["install", "--quiet", "--disable-pip-version-check"]);
    for (name, _) in crate::documents(root)? {
        install.arg(root.join(python::package_dir(&name)));
    }
    anyhow::ensure!(
        status(&mut install, "pip install of the generated packages")?,
        "pip install of the generated packages failed"
    );
    status(
        Command::new(venv.join("bin/python"))
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(root.join(python::DIR).join("tests"))
            .current_dir(root)
            .envs(live_env(live, records)),
        "pytest",
    )
}

/// One row a client's test expects stored.
#[derive(Debug, Deserialize)]
struct Expected {
    operation: String,
    table: String,
    key: BTreeMap<String, String>,
    expect: BTreeMap<String, Option<String>>,
}

/// Tables and columns a line may name: the records the creates store.
fn identifier(name: &str) -> anyhow::Result<&str> {
    anyhow::ensure!(
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "not a column or table name: {name:?}"
    );
    Ok(name)
}

/// What differs between the rows the tests expect and the database.
fn check_records(db: &Path, records: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(records).unwrap_or_default();
    let db = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let mut problems = Vec::new();
    let mut made = std::collections::BTreeSet::new();
    for line in text.lines() {
        let expected: Expected =
            serde_json::from_str(line).with_context(|| format!("a record line: {line}"))?;
        let tables = crm_testkit::tables();
        anyhow::ensure!(
            tables.contains(&expected.table.as_str()),
            "{}: no create stores into {:?}",
            expected.operation,
            expected.table
        );
        let mut keys = expected.key.iter();
        let (Some((key_column, key)), None) = (keys.next(), keys.next()) else {
            anyhow::bail!("{}: `key` names one column", expected.operation);
        };
        anyhow::ensure!(
            !expected.expect.is_empty(),
            "{}: `expect` names no column",
            expected.operation
        );
        let columns = expected
            .expect
            .keys()
            .map(|c| identifier(c))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let sql = format!(
            "SELECT {} FROM {} WHERE {} = ?1",
            columns.join(", "),
            identifier(&expected.table)?,
            identifier(key_column)?
        );
        let rows: Vec<Vec<Option<String>>> = db
            .prepare(&sql)?
            .query_map([key], |row| {
                (0..columns.len())
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                            rusqlite::types::Value::Null => None,
                            rusqlite::types::Value::Integer(n) => Some(n.to_string()),
                            rusqlite::types::Value::Real(x) => Some(x.to_string()),
                            rusqlite::types::Value::Text(t) => Some(t),
                            rusqlite::types::Value::Blob(b) => Some(format!("{b:?}")),
                        })
                    })
                    .collect()
            })?
            .collect::<Result<_, _>>()?;
        let wanted: Vec<Option<String>> = expected.expect.values().cloned().collect();
        match rows.as_slice() {
            [row] if *row == wanted => {
                made.insert(expected.operation.clone());
            }
            [row] => problems.push(format!(
                "{}: {} {key_column}={key} holds {columns:?} = {row:?}, expected {wanted:?}",
                expected.operation, expected.table
            )),
            _ => problems.push(format!(
                "{}: {} rows in {} with {key_column}={key}, expected 1",
                expected.operation,
                rows.len(),
                expected.table
            )),
        }
    }
    for op in &crm_testkit::OPERATIONS {
        if !made.contains(op.operation_id) {
            problems.push(format!(
                "{}: none of the tests' records of it was found as expected",
                op.operation_id
            ));
        }
    }
    Ok(problems)
}

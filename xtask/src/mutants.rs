//! `cargo xtask mutants`: mutation testing (cargo-mutants 27) over the modules whose
//! tests must fail when the code is wrong: domain, auth, idempotency, body parsing
//! and the store. The scope, timeouts and copy rules are in `.cargo/mutants.toml`;
//! the survivors we accept, one per line with its reason, in
//! `.cargo/mutants-accepted.txt`.
//!
//! The whole suite takes minutes, so each mutant runs only its group's tests: the
//! unit tests of the mutated crates plus the integration tests that drive that
//! module through a real server. Groups run one after another, in place (the tree
//! is mutated and restored by cargo-mutants), so every mutant is an incremental
//! build of the workspace's already-built `target/`, never a cold copy.
//!
//! cargo-mutants 27.1 lists a struct-field deletion ("delete field x from struct
//! ...") in every group whatever `--examine-re` says, so such a mutant is also
//! tested against other groups' tests; only its own group judges it.
//!
//! The run fails when a mutant is missed (its tests pass) and is not in the
//! accepted list. A mutant that times out made its tests hang, not pass: it counts
//! as caught in the score, and is reported apart. Accepted entries are matched
//! without their line and column, so unrelated edits above a mutant do not
//! invalidate its entry.

use anyhow::Context as _;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// A module group: which files' mutants (cargo-mutants names a mutant by its file's
/// path first) and which tests run against each of them.
pub struct Group {
    pub name: &'static str,
    /// The group's files: paths, or directories ending in `/`.
    pub files: &'static [&'static str],
    /// Files under `files` that belong to another group.
    pub except: &'static [&'static str],
    /// Packages whose tests run (`--test-package`).
    pub test_packages: &'static [&'static str],
    /// Integration test targets (`--test NAME`) of those packages; their `--lib`
    /// unit tests always run.
    pub tests: &'static [&'static str],
    /// The store the integration tests run on (each runs as `name::sqlite` and
    /// `name::postgres`).
    pub backend: Backend,
}

/// Which of a test's two variants judges a group's mutants. Body parsing, auth,
/// the domain rules and the SQLite store run the same code whichever store is
/// behind them, so their mutants are judged on SQLite alone: running the
/// PostgreSQL variants too would double every mutant's time and test nothing
/// new. The PostgreSQL store's mutants are judged on PostgreSQL alone.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// libtest arguments that leave out the other store's variant.
    fn test_args(self) -> [&'static str; 2] {
        match self {
            Backend::Sqlite => ["--", "--skip=::postgres"],
            Backend::Postgres => ["--", "--skip=::sqlite"],
        }
    }

    /// Makes a skipped PostgreSQL test fail, so that no mutant survives by a skip.
    fn require(self, cmd: &mut Command) {
        if self == Backend::Postgres {
            cmd.env("CRM_REQUIRE_POSTGRES", "1");
        }
    }
}

pub const GROUPS: &[Group] = &[
    Group {
        name: "body",
        files: &["api/src/body/"],
        except: &[],
        test_packages: &["crm-api", "crm"],
        tests: &[
            "hostile",
            "edges_body",
            "body_budget",
            "maiascore",
            "operations",
            // `--request-timeout-secs` reaches the body reader only through the binary.
            "serve_flags",
        ],
        backend: Backend::Sqlite,
    },
    Group {
        name: "auth",
        files: &["server/src/auth.rs"],
        except: &[],
        test_packages: &["crm-server", "crm"],
        // BigChange is the one family whose operation needs a scope (403); hostile
        // sends the malformed and expired tokens.
        tests: &[
            "operations",
            "pipeline",
            "request_log",
            "bigchange",
            "hostile",
        ],
        backend: Backend::Sqlite,
    },
    Group {
        name: "idempotency",
        files: &[
            "server/src/pipeline/idempotency.rs",
            "server/src/store/sqlite/idempotency.rs",
        ],
        except: &[],
        test_packages: &["crm-server", "crm"],
        tests: &["idempotency", "store_idempotency"],
        backend: Backend::Sqlite,
    },
    Group {
        name: "domain",
        files: &["server/src/domain/"],
        except: &[],
        test_packages: &["crm-server", "crm"],
        tests: &[
            "salesmap",
            "introzy",
            "bigchange",
            "maiascore",
            "numbers",
            "canonical",
            "standard_fields",
            // A field defined after the definitions were cached (`resolve_in`).
            "fields_cache",
        ],
        backend: Backend::Sqlite,
    },
    Group {
        name: "store",
        files: &["server/src/store/"],
        except: &[
            "server/src/store/sqlite/idempotency.rs",
            "server/src/store/postgres/",
        ],
        test_packages: &["crm-server", "crm"],
        tests: &[
            "edges_store",
            "migrations",
            // `--durability`'s pragma and the writer's commit counters, traced
            // from outside with strace.
            "durability",
            "fields_cache",
            "standard_fields",
            "store_idempotency",
            "salesmap",
            "maiascore",
        ],
        backend: Backend::Sqlite,
    },
    Group {
        name: "store-postgres",
        files: &["server/src/store/postgres/"],
        except: &[],
        test_packages: &["crm-server", "crm"],
        tests: &[
            "postgres",
            "multi_server",
            // The store's commit counters, as /metrics shows them.
            "operations",
            // Which database errors are a 503 (`error.rs`): the database stopped,
            // stalled and restarted under load.
            "postgres_faults",
            "fields_cache",
            "standard_fields",
            "store_idempotency",
            "idempotency",
            "salesmap",
            "maiascore",
        ],
        backend: Backend::Postgres,
    },
];

pub const ACCEPTED_FILE: &str = ".cargo/mutants-accepted.txt";

pub struct Options {
    /// Group names to run; empty runs every group.
    pub groups: Vec<String>,
    /// Only list the mutants (`cargo mutants --list`) and count them per group.
    pub list: bool,
    /// `k/n`: run the k-th of n shards of every group (for CI).
    pub shard: Option<String>,
    /// Skip the unmutated baseline run (the tree is known to pass its tests).
    pub skip_baseline: bool,
    /// Seconds a mutant's tests may take before it counts as a timeout.
    pub timeout_secs: u64,
    /// Extra arguments for cargo-mutants (e.g. `--timeout 60`).
    pub extra: Vec<String>,
}

/// The regex for the names of `file`'s mutants (a directory's, for `dir/`).
fn name_re(file: &str) -> String {
    let escaped = file.replace('.', r"\.");
    if file.ends_with('/') {
        format!("^{escaped}")
    } else {
        format!("^{escaped}:")
    }
}

impl Group {
    /// Whether a mutant (by name) is in one of the group's files.
    pub fn owns(&self, mutant: &str) -> bool {
        let path = mutant.split(':').next().unwrap_or_default();
        let within = |f: &&str| path == *f || (f.ends_with('/') && path.starts_with(*f));
        self.files.iter().any(within) && !self.except.iter().any(within)
    }
}

/// A mutant's name without its `:line:col`, the key of the accepted list.
pub fn without_position(name: &str) -> String {
    let mut parts = name.splitn(4, ':');
    let (Some(path), Some(line), Some(col), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return name.trim().to_owned();
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if numeric(line) && numeric(col) {
        format!("{path}:{rest}").trim().to_owned()
    } else {
        name.trim().to_owned()
    }
}

/// The accepted survivors: `<mutant name, with or without line:col>  # <reason>`.
/// A line without a reason is an error: every survivor needs one.
pub fn accepted(root: &Path) -> anyhow::Result<BTreeSet<String>> {
    let path = root.join(ACCEPTED_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut set = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((name, reason)) = line.rsplit_once(" # ") else {
            anyhow::bail!("{ACCEPTED_FILE}:{}: no ` # reason`", n + 1);
        };
        anyhow::ensure!(
            !reason.trim().is_empty(),
            "{ACCEPTED_FILE}:{}: empty reason",
            n + 1
        );
        set.insert(without_position(name));
    }
    Ok(set)
}

fn lines(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The group's tests on the unmutated tree: they must pass before a mutant is judged.
fn baseline(root: &Path, group: &Group) -> anyhow::Result<()> {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root).arg("test");
    for package in group.test_packages {
        cmd.args(["--package", package]);
    }
    cmd.arg("--lib");
    for test in group.tests {
        cmd.arg(format!("--test={test}"));
    }
    cmd.args(group.backend.test_args());
    group.backend.require(&mut cmd);
    let status = cmd.status()?;
    anyhow::ensure!(
        status.success(),
        "the unmutated tree fails the {} group's tests",
        group.name
    );
    Ok(())
}

fn cargo_mutants(root: &Path, group: &Group, options: &Options) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(root)
        .args(["mutants", "--workspace", "--in-place", "--no-shuffle"]);
    for file in group.files {
        cmd.args(["--examine-re", &name_re(file)]);
    }
    for file in group.except {
        cmd.args(["--exclude-re", &name_re(file)]);
    }
    for package in group.test_packages {
        cmd.args(["--test-package", package]);
    }
    cmd.args(&options.extra);
    group.backend.require(&mut cmd);
    cmd
}

/// Runs the groups; Ok(false) when a survivor is not in the accepted list.
pub fn run(root: &Path, options: Options) -> anyhow::Result<bool> {
    let accepted = accepted(root)?;
    let groups: Vec<&Group> = GROUPS
        .iter()
        .filter(|g| options.groups.is_empty() || options.groups.iter().any(|n| n == g.name))
        .collect();
    anyhow::ensure!(
        !groups.is_empty(),
        "no group named {:?}; groups: {}",
        options.groups,
        GROUPS.iter().map(|g| g.name).collect::<Vec<_>>().join(", ")
    );
    let mut ok = true;
    let mut total = [0usize; 5];
    for group in groups {
        if options.list {
            let out = cargo_mutants(root, group, &options)
                .arg("--list")
                .output()?;
            anyhow::ensure!(
                out.status.success(),
                "cargo mutants --list: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let n = String::from_utf8_lossy(&out.stdout).lines().count();
            println!("{:<12} {n} mutants", group.name);
            total[0] += n;
            continue;
        }
        if group.backend == Backend::Postgres {
            // A PostgreSQL variant with no server skips and passes: every mutant
            // would survive. Refuse to run rather than report that.
            anyhow::ensure!(
                std::env::var_os("CRM_TEST_POSTGRES_URL").is_some(),
                "the {} group needs CRM_TEST_POSTGRES_URL (a server the tests may create databases on)",
                group.name
            );
        }
        let out_dir = root.join("target/mutants").join(group.name);
        std::fs::create_dir_all(&out_dir)?;
        let mut cmd = cargo_mutants(root, group, &options);
        cmd.arg("--output").arg(&out_dir);
        if let Some(shard) = &options.shard {
            cmd.args(["--shard", shard]);
        }
        // cargo-mutants' own baseline builds the mutated packages with these test
        // targets, which live in another package (`crm`), and fails; the
        // unmutated run is ours, with exactly the group's tests.
        if !options.skip_baseline {
            baseline(root, group)?;
        }
        cmd.args(["--baseline=skip", "--build-timeout=900"])
            .arg(format!("--timeout={}", options.timeout_secs));
        // Targets go to every cargo call, not only to `cargo test`: cargo-mutants'
        // build step (`cargo test --no-run`) gets no test arguments, and would
        // otherwise link every integration test of the package for each mutant.
        cmd.arg("--cargo-arg=--lib");
        for test in group.tests {
            cmd.arg(format!("--cargo-arg=--test={test}"));
        }
        for arg in group.backend.test_args() {
            cmd.arg(format!("--cargo-test-arg={arg}"));
        }
        let started = std::time::Instant::now();
        let status = cmd
            .status()
            .context("running cargo mutants (is it installed?)")?;
        // 0: all caught; 2: some missed; 3: some timed out. Anything else is a
        // failure of the run itself (usage, or the unmutated tree failing).
        anyhow::ensure!(
            matches!(status.code(), Some(0 | 2 | 3)),
            "cargo mutants for {} failed: {status}",
            group.name
        );
        let results = out_dir.join("mutants.out");
        // cargo-mutants 27.1 lets struct-field deletions of any file through
        // `--examine-re`: each group counts and judges only its own files' mutants.
        let count = |f: &str| -> Vec<String> {
            lines(&results.join(f))
                .into_iter()
                .filter(|m| group.owns(m))
                .collect()
        };
        let (caught, missed, timeout, unviable) = (
            count("caught.txt"),
            count("missed.txt"),
            count("timeout.txt"),
            count("unviable.txt"),
        );
        let viable = caught.len() + missed.len() + timeout.len();
        println!(
            "{}: {viable} viable, {} caught, {} missed, {} timeouts, {} unviable, {:.1} min",
            group.name,
            caught.len(),
            missed.len(),
            timeout.len(),
            unviable.len(),
            started.elapsed().as_secs_f64() / 60.0
        );
        for (sum, n) in total.iter_mut().zip([
            caught.len(),
            missed.len(),
            timeout.len(),
            unviable.len(),
            viable,
        ]) {
            *sum += n;
        }
        for survivor in &missed {
            if accepted.contains(&without_position(survivor)) {
                println!("  accepted: {survivor}");
            } else {
                println!("  SURVIVOR: {survivor}");
                ok = false;
            }
        }
    }
    if options.list {
        println!("{:<12} {} mutants", "total", total[0]);
    } else if total[4] > 0 {
        println!(
            "total: {} viable, {} caught, {} missed, {} timeouts, {} unviable; score {:.1}% (caught or timed out)",
            total[4],
            total[0],
            total[1],
            total[2],
            total[3],
            100.0 * (total[0] + total[2]) as f64 / total[4] as f64
        );
    }
    Ok(ok)
}

#[cfg(test)]
mod tests {
    use super::without_position;

    #[test]
    fn groups_own_their_files_only() {
        let store = super::GROUPS.iter().find(|g| g.name == "store").unwrap();
        assert!(store.owns("server/src/store/sqlite/cache.rs:34:13: delete field"));
        assert!(!store.owns("server/src/store/sqlite/idempotency.rs:1:1: x"));
        assert!(!store.owns("api/src/body/budget.rs:43:13: delete field"));
        let auth = super::GROUPS.iter().find(|g| g.name == "auth").unwrap();
        assert!(auth.owns("server/src/auth.rs:44:9: replace"));
        assert_eq!(
            super::name_re("server/src/auth.rs"),
            r"^server/src/auth\.rs:"
        );
    }

    #[test]
    fn position_is_dropped_from_names() {
        assert_eq!(
            without_position("api/src/body/form.rs:23:5: replace f -> bool with true"),
            "api/src/body/form.rs: replace f -> bool with true"
        );
        assert_eq!(
            without_position("api/src/body/form.rs: replace f -> bool with true"),
            "api/src/body/form.rs: replace f -> bool with true"
        );
    }
}

//! `cargo xtask lint`: every `openapi/*.yaml` document through Redocly CLI, with
//! the project's `redocly.yaml` (its rules, and the reason for each rule turned
//! off). A document passes with 0 errors, 0 warnings and nothing ignored: an
//! ignore file (`.redocly.lint-ignore.yaml`) would hide a problem, so an ignored
//! problem fails too.
//!
//! The CLI is pinned by `xtask/lint/package.json` and its lockfile; `.ci/run`
//! installs it with `npm ci`, and this command does the same when it is missing.

use anyhow::Context as _;
use serde::Deserialize;
use std::path::Path;
use std::process::Command;

/// Where the pinned CLI is installed, under the project root.
const TOOL_DIR: &str = "xtask/lint";
const CONFIG: &str = "redocly.yaml";

#[derive(Debug, Deserialize)]
struct Report {
    totals: Totals,
    problems: Vec<Problem>,
}

#[derive(Debug, Deserialize)]
struct Totals {
    errors: u64,
    warnings: u64,
    ignored: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Problem {
    rule_id: String,
    severity: String,
    message: String,
    #[serde(default)]
    location: Vec<Location>,
}

#[derive(Debug, Deserialize)]
struct Location {
    pointer: Option<String>,
    start: Option<Position>,
}

#[derive(Debug, Deserialize)]
struct Position {
    line: u64,
    col: u64,
}

/// Lints one document; the problems found, as printable lines.
fn lint(root: &Path, redocly: &Path, document: &Path) -> anyhow::Result<Vec<String>> {
    let relative = document.strip_prefix(root).unwrap_or(document);
    let out = Command::new(redocly)
        .arg("lint")
        .arg("--config")
        .arg(root.join(CONFIG))
        .args(["--format", "json"])
        .arg(relative)
        .current_dir(root)
        // No usage data and no update check: CI reaches only package registries.
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .output()
        .with_context(|| format!("running {}", redocly.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Report = serde_json::from_str(&stdout).with_context(|| {
        format!(
            "Redocly printed no report for {} (exit {}):\n{}",
            relative.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let mut lines: Vec<String> = report
        .problems
        .iter()
        .map(|p| {
            let at = p.location.first();
            let position = at
                .and_then(|l| l.start.as_ref())
                .map(|s| format!(":{}:{}", s.line, s.col))
                .unwrap_or_default();
            let pointer = at.and_then(|l| l.pointer.as_deref()).unwrap_or("");
            format!(
                "{}{position} {} ({}) at {pointer}: {}",
                relative.display(),
                p.rule_id,
                p.severity,
                p.message
            )
        })
        .collect();
    let Totals {
        errors,
        warnings,
        ignored,
    } = report.totals;
    if ignored > 0 {
        lines.push(format!(
            "{}: {ignored} problems hidden by an ignore file; fix them, or turn the rule off in {CONFIG} with its reason",
            relative.display()
        ));
    }
    if lines.is_empty() && (errors > 0 || warnings > 0 || !out.status.success()) {
        lines.push(format!(
            "{}: Redocly reports {errors} errors and {warnings} warnings (exit {})",
            relative.display(),
            out.status
        ));
    }
    Ok(lines)
}

/// Lints every document and prints the outcome. Ok(false) on any problem.
pub fn run(root: &Path) -> anyhow::Result<bool> {
    let redocly = crate::npm_tool(root, TOOL_DIR, "redocly")?;
    let mut passed = true;
    for (name, path) in crate::documents(root)? {
        let problems = lint(root, &redocly, &path)?;
        if problems.is_empty() {
            println!("openapi/{name}.yaml: ok (0 errors, 0 warnings)");
        } else {
            passed = false;
            println!("openapi/{name}.yaml: FAIL ({} problems)", problems.len());
            for p in problems {
                println!("  {p}");
            }
        }
    }
    if !passed {
        println!(
            "\nThe lint failed. Fix the document; a rule that cannot apply is turned off in\n\
             {CONFIG} with a one-line reason."
        );
    }
    Ok(passed)
}

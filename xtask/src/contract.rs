//! `cargo xtask contract`: a semantic diff between each hand-written YAML document
//! and the document the server emits (dropshot's output completed with the facts
//! declared beside the handlers; see `crm_api::contract`).
//!
//! The comparison is the semantic walk of `openapi_diff` (operations, parameters,
//! security, request and response media types and schemas, `$ref`s resolved,
//! `required` as a set, prose ignored), each difference worded "in YAML, in server".
//!
//! Why not Oxide's `drift`: it panics (`assert!`/`todo!`) when the media types of a
//! body differ, compares `required` in order, and reports "string schema changed"
//! without saying what changed. This check must name the exact difference.

use crate::openapi_diff;
use anyhow::Context as _;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::fmt;
use std::path::Path;

/// One semantic difference between the YAML and the server.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// `POST /v2/people`, or `document` for document-level differences.
    pub operation: String,
    /// Where, in request terms: `request.fieldList.items.stringValue`.
    pub path: String,
    /// What: `maxLength 255 in YAML, none in server`.
    pub message: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.operation, self.path, self.message)
    }
}

/// A reviewed difference that the server cannot express, with its reason.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownGap {
    pub document: String,
    pub operation: String,
    pub path: String,
    pub message: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct KnownGapsFile {
    gaps: Vec<KnownGap>,
}

pub fn load_known_gaps(root: &Path) -> anyhow::Result<Vec<KnownGap>> {
    let path = root.join("openapi").join(crate::KNOWN_GAPS_FILE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let file: KnownGapsFile =
        serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    for gap in &file.gaps {
        anyhow::ensure!(
            !gap.reason.trim().is_empty(),
            "{}: the gap `{} {}: {}` has no reason",
            path.display(),
            gap.operation,
            gap.path,
            gap.message
        );
    }
    Ok(file.gaps)
}

/// The outcome for one document.
#[derive(Debug, Default)]
pub struct Report {
    /// Differences not covered by a known gap: each fails the check.
    pub unexpected: Vec<Difference>,
    /// Differences covered by a known gap, with its reason.
    pub known: Vec<(Difference, String)>,
    /// Known gaps that match no difference any more: each fails the check.
    pub stale_gaps: Vec<KnownGap>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.unexpected.is_empty() && self.stale_gaps.is_empty()
    }
}

/// Compares `yaml` (the contract) with `server` and sorts the differences by the
/// known gaps of `document`.
pub fn check(document: &str, yaml: &Value, server: &Value, gaps: &[KnownGap]) -> Report {
    let mut report = Report::default();
    let gaps: Vec<&KnownGap> = gaps.iter().filter(|g| g.document == document).collect();
    let mut used = vec![false; gaps.len()];
    for d in compare(yaml, server) {
        let hit = gaps
            .iter()
            .position(|g| g.operation == d.operation && g.path == d.path && g.message == d.message);
        match hit {
            Some(i) => {
                used[i] = true;
                report.known.push((d, gaps[i].reason.clone()));
            }
            None => report.unexpected.push(d),
        }
    }
    report.stale_gaps = gaps
        .iter()
        .zip(used)
        .filter(|(_, used)| !used)
        .map(|(g, _)| (*g).clone())
        .collect();
    report
}

/// Runs the check over every document and prints the report. Ok(false) on failure.
pub fn run(root: &Path) -> anyhow::Result<bool> {
    let gaps = load_known_gaps(root)?;
    let mut passed = true;
    let families: BTreeSet<&str> = crm_api::contract::document_names().collect();
    let documents = crate::documents(root)?;
    for (name, _) in &documents {
        if !families.contains(name.as_str()) {
            println!("openapi/{name}.yaml: FAIL: no family of the server declares a document named {name:?}");
            passed = false;
        }
    }
    for family in &families {
        if !documents.iter().any(|(n, _)| n == family) {
            println!(
                "openapi/{family}.yaml: FAIL: the server's {family} family has no YAML document"
            );
            passed = false;
        }
    }
    for (name, path) in documents {
        if !families.contains(name.as_str()) {
            continue;
        }
        let yaml = crate::read_yaml(&path)?;
        let server = crm_api::contract::emitted_document(&name)?;
        let report = check(&name, &yaml, &server, &gaps);
        print_report(&name, &report);
        passed &= report.passed();
    }
    if !passed {
        println!(
            "\nThe contract check failed. Make the YAML and the server agree: change the wire types\n\
             in server/src/api/ (or their declared facts), or the YAML (then run `cargo xtask generate`).\n\
             A difference dropshot cannot express goes in openapi/known-gaps.yaml with its reason."
        );
    }
    Ok(passed)
}

fn print_report(name: &str, report: &Report) {
    let verdict = if report.passed() { "ok" } else { "FAIL" };
    println!(
        "openapi/{name}.yaml: {verdict} ({} unexpected differences, {} known gaps, {} stale gaps)",
        report.unexpected.len(),
        report.known.len(),
        report.stale_gaps.len()
    );
    for d in &report.unexpected {
        println!("  {d}");
    }
    for (d, reason) in &report.known {
        println!("  known gap: {d}\n    because: {reason}");
    }
    for g in &report.stale_gaps {
        println!(
            "  stale known gap (no such difference any more; remove it from openapi/{}): {} {}: {}",
            crate::KNOWN_GAPS_FILE,
            g.operation,
            g.path,
            g.message
        );
    }
}

/// Every semantic difference between two OpenAPI documents, `yaml` first.
pub fn compare(yaml: &Value, server: &Value) -> Vec<Difference> {
    // Response headers are left out: dropshot emits none, and the one the server
    // sends (`Retry-After` on a 503) travels on the success path.
    let options = openapi_diff::Options::default();
    let mut out: Vec<Difference> = openapi_diff::walk(yaml, server, options)
        .into_iter()
        .map(|change| Difference {
            operation: change.operation,
            path: change.path,
            message: change.kind.describe("YAML", "server"),
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

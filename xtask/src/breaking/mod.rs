//! `cargo xtask breaking`: the breaking-change gate. Every `openapi/*.yaml` document
//! is compared with its baseline by the semantic walk the contract check uses
//! (`openapi_diff`), and each difference is classified by the rules of
//! [`rules::RULES`]: one line per finding, with the rule id, the operation
//! (method, path, operationId), where in request terms, and the JSON pointer in the
//! document to edit.
//!
//! The baseline is the released snapshot of each document, `openapi/released/`
//! (checked in, so a clean clone has it), or the same file at a git ref
//! (`--base REF`). A breaking change fails the gate unless the document's
//! `info.version` raised its major number: then it is reported and accepted.
//! `--release` records the current documents as released, refusing a changed
//! document whose version was not raised or whose breaking change was not
//! announced by a major one.

pub mod rules;

use crate::openapi_diff::{self, Change};
use anyhow::{bail, Context as _};
use rules::{Rule, Severity};
use serde::Serialize;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the released snapshots live, under the project root.
pub const RELEASED_DIR: &str = "openapi/released";

/// What the documents are compared with.
#[derive(Clone, Debug)]
pub enum Base {
    /// The checked-in snapshots in `openapi/released/`.
    Released,
    /// The documents at a git ref (`git show REF:openapi/<file>`).
    Git(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
}

pub struct Options {
    pub base: Base,
    pub format: Format,
    /// Record the current documents as released instead of checking them.
    pub release: bool,
}

/// The operation a finding is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationRef {
    pub method: String,
    pub path: String,
    /// As the baseline names it (the client method callers have); the current
    /// document's for an operation the baseline lacks.
    pub operation_id: Option<String>,
}

/// One classified difference.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub severity: Severity,
    pub rule: &'static str,
    /// `send` (requests) or `read` (responses).
    pub direction: openapi_diff::Direction,
    pub operation: OperationRef,
    /// Where, in request terms: `request.fieldList.items.name`.
    pub path: String,
    /// What differs: `optional in baseline, required in current`.
    pub message: String,
    /// Why it breaks clients (the rule's reason).
    pub why: &'static str,
    /// JSON pointer in the current document (absent for what it no longer has).
    pub current: Option<String>,
    /// JSON pointer in the baseline (absent for what it did not have).
    pub baseline: Option<String>,
}

impl Finding {
    fn new(change: &Change<'_>, rule: &'static Rule, old: &Value, new: &Value) -> Self {
        let (method, path) = change
            .operation
            .split_once(' ')
            .unwrap_or(("", &change.operation));
        let operation_id = [old, new].into_iter().find_map(|doc| {
            let op = doc.get("paths")?.get(path)?.get(method.to_lowercase())?;
            op.get("operationId")?.as_str().map(str::to_owned)
        });
        Finding {
            severity: rule.severity,
            rule: rule.id,
            direction: change.direction,
            operation: OperationRef {
                method: method.to_owned(),
                path: path.to_owned(),
                operation_id,
            },
            path: change.path.clone(),
            message: change.kind.describe("baseline", "current"),
            why: rule.why,
            current: change.new_at.clone(),
            baseline: change.old_at.clone(),
        }
    }

    /// `POST /v2/people (salesmap_create_people)`.
    pub fn operation_label(&self) -> String {
        let op = &self.operation;
        match &op.operation_id {
            Some(id) => format!("{} {} ({id})", op.method, op.path),
            None => format!("{} {}", op.method, op.path),
        }
    }

    /// The finding's line without the document names:
    /// `request-… POST /v2/people (salesmap_create_people) request.x: …; why`.
    pub fn line(&self) -> String {
        let mut line = format!("{} {}", self.rule, self.operation_label());
        if !self.path.is_empty() {
            write!(line, " {}", self.path).unwrap();
        }
        write!(line, ": {}; {}", self.message, self.why).unwrap();
        line
    }
}

/// Every finding between `old` (the baseline) and `new`, breaking ones first, and
/// how many differences no rule names (compatible).
pub fn findings(old: &Value, new: &Value) -> (Vec<Finding>, usize) {
    let options = openapi_diff::Options {
        response_headers: true,
    };
    let mut out = Vec::new();
    let mut compatible = 0;
    for change in openapi_diff::walk(old, new, options) {
        match rules::classify(&change, new) {
            Some(rule) => out.push(Finding::new(&change, rule, old, new)),
            None => compatible += 1,
        }
    }
    out.sort();
    out.dedup();
    (out, compatible)
}

/// The gate's verdict on one document.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DocumentReport {
    /// `openapi/salesmap.yaml`.
    pub document: String,
    /// `openapi/released/salesmap.yaml`, `main:openapi/salesmap.yaml`; none for a
    /// document the baseline does not have.
    pub baseline: Option<String>,
    pub base_version: Option<String>,
    /// None when the document was removed.
    pub version: Option<String>,
    /// The version raised the major number, so breaking changes are accepted.
    pub major_raised: bool,
    pub passed: bool,
    pub findings: Vec<Finding>,
    /// Differences no rule names.
    pub compatible_changes: usize,
}

impl DocumentReport {
    pub fn breaking(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Breaking)
            .count()
    }

    fn warnings(&self) -> usize {
        self.findings.len() - self.breaking()
    }
}

/// A document's `info.version` as semver, naming the document when it is not one.
pub fn version(label: &str, doc: &Value) -> anyhow::Result<semver::Version> {
    let text = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .with_context(|| format!("{label}: info.version is missing"))?;
    semver::Version::parse(text).with_context(|| {
        format!("{label}: info.version `{text}` is not a semantic version (MAJOR.MINOR.PATCH)")
    })
}

/// Compares one document with its baseline. `old` None: a document the baseline
/// lacks (nothing to break); `new` None: a removed document (everything breaks).
pub fn compare_document(
    document: &str,
    baseline: Option<(&str, &Value)>,
    new: Option<&Value>,
) -> anyhow::Result<DocumentReport> {
    let empty = Value::Object(Default::default());
    let new_version = new.map(|doc| version(document, doc)).transpose()?;
    let Some((base_label, old)) = baseline else {
        return Ok(DocumentReport {
            document: document.to_owned(),
            baseline: None,
            base_version: None,
            version: new_version.map(|v| v.to_string()),
            major_raised: false,
            passed: true,
            findings: Vec::new(),
            compatible_changes: 0,
        });
    };
    let old_version = version(base_label, old)?;
    let major_raised = new_version
        .as_ref()
        .is_some_and(|v| v.major > old_version.major);
    let (findings, compatible_changes) = findings(old, new.unwrap_or(&empty));
    let mut report = DocumentReport {
        document: document.to_owned(),
        baseline: Some(base_label.to_owned()),
        base_version: Some(old_version.to_string()),
        version: new_version.map(|v| v.to_string()),
        major_raised,
        passed: false,
        findings,
        compatible_changes,
    };
    report.passed = report.breaking() == 0 || major_raised;
    Ok(report)
}

/// A baseline document: its label and its text.
struct Baseline {
    label: String,
    text: String,
}

/// The baseline of each document name the base has.
fn baselines(root: &Path, base: &Base, release: bool) -> anyhow::Result<Vec<(String, Baseline)>> {
    let mut out = Vec::new();
    match base {
        Base::Released => {
            let dir = root.join(RELEASED_DIR);
            if !dir.is_dir() {
                // The first release creates it; the gate has nothing to compare with.
                if release {
                    return Ok(out);
                }
                bail!(
                    "{RELEASED_DIR}/ is missing: it holds the released documents the gate \
                     compares with; create it with `cargo xtask breaking --release`"
                );
            }
            for (name, path) in yaml_files(&dir)? {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                let label = format!("{RELEASED_DIR}/{name}.yaml");
                out.push((name, Baseline { label, text }));
            }
        }
        Base::Git(reference) => {
            let listing = git(root, &["ls-tree", "--name-only", reference, "openapi/"])?;
            for file in listing.lines() {
                let Some(name) = file
                    .strip_prefix("openapi/")
                    .and_then(|f| f.strip_suffix(".yaml"))
                else {
                    continue;
                };
                if format!("{name}.yaml") == crate::KNOWN_GAPS_FILE {
                    continue;
                }
                let text = git(root, &["show", &format!("{reference}:{file}")])?;
                let label = format!("{reference}:{file}");
                out.push((name.to_owned(), Baseline { label, text }));
            }
        }
    }
    Ok(out)
}

fn git(root: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(root)
        .output()
        .context("running git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout).context("git's output is not UTF-8")
}

/// The `*.yaml` files of a directory, as (stem, path), sorted.
fn yaml_files(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        let stem = path
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_suffix(".yaml"));
        if let Some(stem) = stem {
            files.push((stem.to_owned(), path.clone()));
        }
    }
    files.sort();
    Ok(files)
}

fn parse(label: &str, text: &str) -> anyhow::Result<Value> {
    serde_yaml::from_str(text).with_context(|| format!("parsing {label}"))
}

/// One document's inputs: the current text and the baseline, either may be absent.
struct Pair {
    name: String,
    current: Option<(PathBuf, String)>,
    baseline: Option<Baseline>,
}

fn pairs(root: &Path, base: &Base, release: bool) -> anyhow::Result<Vec<Pair>> {
    let mut baselines = baselines(root, base, release)?;
    let mut pairs = Vec::new();
    for (name, path) in crate::documents(root)? {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let baseline = baselines
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| baselines.remove(i).1);
        pairs.push(Pair {
            name,
            current: Some((path, text)),
            baseline,
        });
    }
    for (name, baseline) in baselines {
        pairs.push(Pair {
            name,
            current: None,
            baseline: Some(baseline),
        });
    }
    Ok(pairs)
}

fn report_pair(pair: &Pair) -> anyhow::Result<DocumentReport> {
    let document = format!("openapi/{}.yaml", pair.name);
    let new = match &pair.current {
        Some((_, text)) => Some(parse(&document, text)?),
        None => None,
    };
    let old = match &pair.baseline {
        Some(b) => Some((b.label.as_str(), parse(&b.label, &b.text)?)),
        None => None,
    };
    compare_document(&document, old.as_ref().map(|(l, v)| (*l, v)), new.as_ref())
}

/// Every document's report against `base`.
pub fn check(root: &Path, base: &Base) -> anyhow::Result<Vec<DocumentReport>> {
    pairs(root, base, false)?.iter().map(report_pair).collect()
}

/// Runs the gate (or the release) and prints the report. Ok(false) on failure.
pub fn run(root: &Path, options: &Options) -> anyhow::Result<bool> {
    let pairs = pairs(root, &options.base, options.release)?;
    let reports = pairs
        .iter()
        .map(report_pair)
        .collect::<anyhow::Result<Vec<_>>>()?;
    if options.release {
        return release(root, &pairs, &reports);
    }
    let released = matches!(options.base, Base::Released);
    print!("{}", render(&reports, options.format, released));
    Ok(reports.iter().all(|r| r.passed))
}

/// The whole report: JSON (`{"passed": …, "documents": […]}`), or text, one
/// verdict line per document, one line per finding, and what to do on failure.
pub fn render(reports: &[DocumentReport], format: Format, released_base: bool) -> String {
    let passed = reports.iter().all(|r| r.passed);
    match format {
        Format::Json => {
            let out = serde_json::json!({ "passed": passed, "documents": reports });
            serde_json::to_string_pretty(&out).expect("plain data serializes") + "\n"
        }
        Format::Text => {
            let mut out: String = reports
                .iter()
                .map(|r| text_report(r, released_base))
                .collect();
            if !passed {
                out.push_str(
                    "\nThe breaking-change gate failed: an old client of these documents would \
                     fail. Undo the change, or make\nit compatible (a new property optional, a \
                     limit relaxed), or raise the major number of info.version\nto announce it. \
                     Then `cargo xtask breaking --release` records the released documents.\n",
                );
            }
            out
        }
    }
}

/// The text report of one document: a verdict line, then one line per finding.
pub fn text_report(report: &DocumentReport, released_base: bool) -> String {
    let mut out = String::new();
    let doc = &report.document;
    let Some(baseline) = &report.baseline else {
        let hint = if released_base {
            " (`cargo xtask breaking --release` records it)"
        } else {
            ""
        };
        writeln!(out, "{doc}: ok: new, no baseline to compare with{hint}").unwrap();
        return out;
    };
    let base_version = report.base_version.as_deref().unwrap_or("?");
    let counts = format!(
        "against {baseline} (breaking {}, warnings {}, compatible {})",
        report.breaking(),
        report.warnings(),
        report.compatible_changes
    );
    let verdict = match (&report.version, report.passed, report.major_raised) {
        (None, _, _) => format!("FAIL: removed; {baseline} is its release {base_version}"),
        (Some(v), true, true) if report.breaking() > 0 => {
            format!("ok {counts}: accepted, info.version {base_version} -> {v} raises the major")
        }
        (Some(v), true, _) if v != base_version && released_base => format!(
            "ok {counts}: {v} is not released yet (`cargo xtask breaking --release` records it)"
        ),
        (Some(_), true, _) => format!("ok {counts}"),
        (Some(v), false, _) => {
            let next = semver::Version::parse(base_version)
                .map(|b| format!("{}.0.0", b.major + 1))
                .unwrap_or_else(|_| "the next major".into());
            format!(
                "FAIL {counts}: info.version {v} keeps the major of {base_version}; undo the \
                 breaking change or raise it to {next}"
            )
        }
    };
    writeln!(out, "{doc}: {verdict}").unwrap();
    for f in &report.findings {
        let severity = match (f.severity, report.passed) {
            (Severity::Warning, _) => "warning",
            (Severity::Breaking, true) => "accepted",
            (Severity::Breaking, false) => "BREAKING",
        };
        let at = match (&f.current, &f.baseline) {
            (Some(p), _) => format!("{doc}#{p}"),
            (None, Some(p)) => format!("{baseline}#{p}"),
            (None, None) => doc.clone(),
        };
        writeln!(out, "  {severity} {} [{at}]", f.line()).unwrap();
    }
    out
}

/// Records every current document as released, after checking each changed one:
/// its version raised, and its breaking changes announced by the major.
fn release(root: &Path, pairs: &[Pair], reports: &[DocumentReport]) -> anyhow::Result<bool> {
    let mut refusals = Vec::new();
    let mut writes = Vec::new();
    for (pair, report) in pairs.iter().zip(reports) {
        let doc = &report.document;
        let Some((_, text)) = &pair.current else {
            refusals.push(format!(
                "{doc} is gone but was released: removing a released API breaks its clients; \
                 if that is meant, delete {RELEASED_DIR}/{}.yaml in the same change",
                pair.name
            ));
            continue;
        };
        let target = root.join(RELEASED_DIR).join(format!("{}.yaml", pair.name));
        match &pair.baseline {
            Some(b) if b.text == *text => continue,
            None => {}
            Some(_) => {
                let (old, new) = (
                    report.base_version.as_deref().unwrap_or_default(),
                    report.version.as_deref().unwrap_or_default(),
                );
                if semver::Version::parse(new)? <= semver::Version::parse(old)? {
                    refusals.push(format!(
                        "{doc} changed since its release {old}, but info.version is {new}: raise \
                         it (the patch for prose, the minor for additions, the major for \
                         breaking changes)"
                    ));
                    continue;
                }
                if !report.passed {
                    refusals.push(format!(
                        "{doc} has {} breaking changes and info.version {new} keeps the major \
                         of {old}:\n{}",
                        report.breaking(),
                        text_report(report, true)
                    ));
                    continue;
                }
            }
        }
        writes.push((target, text, report));
    }
    if !refusals.is_empty() {
        println!("Nothing was released:");
        for r in refusals {
            println!("  {r}");
        }
        return Ok(false);
    }
    std::fs::create_dir_all(root.join(RELEASED_DIR))?;
    for (target, text, report) in &writes {
        std::fs::write(target, text).with_context(|| format!("writing {}", target.display()))?;
        println!(
            "{}: released as {} in {RELEASED_DIR}/",
            report.document,
            report.version.as_deref().unwrap_or_default()
        );
    }
    if writes.is_empty() {
        println!("Every document is as released; nothing to do.");
    }
    Ok(true)
}

//! `cargo xtask contract`: a semantic diff between each hand-written YAML document
//! and the document the server emits (dropshot's output completed with the facts
//! declared beside the handlers; see `crm_api::contract`).
//!
//! Compared per operation: path, method, operationId, parameters, security (with the
//! `x-required-scopes` extension), request
//! media types and schemas, response statuses, media types and schemas. Schemas are
//! compared with `$ref`s resolved and `required` as a set: type, format, lengths,
//! pattern, bounds, enum, nullable, items, properties and additionalProperties.
//! Prose (descriptions, summaries, examples, tags) is not compared.
//!
//! Why not Oxide's `drift`: it panics (`assert!`/`todo!`) when the media types of a
//! body differ, compares `required` in order, and reports "string schema changed"
//! without saying what changed. This check must name the exact difference.

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
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

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every semantic difference between two OpenAPI documents, `yaml` first.
pub fn compare(yaml: &Value, server: &Value) -> Vec<Difference> {
    let mut cx = Compare {
        yaml,
        server,
        out: Vec::new(),
        operation: String::new(),
        visiting: BTreeSet::new(),
    };
    let yaml_ops = operations(yaml);
    let server_ops = operations(server);
    for (key, _) in yaml_ops
        .iter()
        .filter(|(k, _)| !server_ops.contains_key(*k))
    {
        cx.operation = key.clone();
        cx.diff("", "operation in YAML, not in server".into());
    }
    for (key, _) in server_ops
        .iter()
        .filter(|(k, _)| !yaml_ops.contains_key(*k))
    {
        cx.operation = key.clone();
        cx.diff("", "operation in server, not in YAML".into());
    }
    for (key, (y_item, y_op)) in &yaml_ops {
        if let Some((s_item, s_op)) = server_ops.get(key) {
            cx.operation = key.clone();
            cx.operation_pair(y_item, y_op, s_item, s_op);
        }
    }
    cx.out.sort();
    cx.out.dedup();
    cx.out
}

/// `METHOD /path` → (path item, operation).
fn operations(doc: &Value) -> BTreeMap<String, (&Value, &Value)> {
    let mut ops = BTreeMap::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    ops.insert(format!("{} {path}", method.to_uppercase()), (item, op));
                }
            }
        }
    }
    ops
}

struct Compare<'a> {
    yaml: &'a Value,
    server: &'a Value,
    out: Vec<Difference>,
    operation: String,
    /// `$ref` pairs being compared, so recursive schemas terminate.
    visiting: BTreeSet<(String, String)>,
}

fn show(v: Option<&Value>) -> String {
    match v {
        None => "none".into(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
    }
}

fn join(path: &str, part: &str) -> String {
    if path.is_empty() {
        part.to_owned()
    } else {
        format!("{path}.{part}")
    }
}

impl<'a> Compare<'a> {
    fn diff(&mut self, path: &str, message: String) {
        self.out.push(Difference {
            operation: self.operation.clone(),
            path: path.to_owned(),
            message,
        });
    }

    fn differs(&mut self, path: &str, what: &str, y: Option<&Value>, s: Option<&Value>) {
        if y != s {
            self.diff(
                path,
                format!("{what} {} in YAML, {} in server", show(y), show(s)),
            );
        }
    }

    fn operation_pair(
        &mut self,
        y_item: &'a Value,
        y_op: &'a Value,
        s_item: &'a Value,
        s_op: &'a Value,
    ) {
        self.differs(
            "operationId",
            "operationId",
            y_op.get("operationId"),
            s_op.get("operationId"),
        );
        self.parameters(y_item, y_op, s_item, s_op);
        self.security(y_op, s_op);
        self.request_body(y_op, s_op);
        self.responses(y_op, s_op);
    }

    fn parameters(
        &mut self,
        y_item: &'a Value,
        y_op: &'a Value,
        s_item: &'a Value,
        s_op: &'a Value,
    ) {
        let collect =
            |doc: &'a Value, item: &'a Value, op: &'a Value| -> BTreeMap<String, &'a Value> {
                let mut params = BTreeMap::new();
                for list in [item.get("parameters"), op.get("parameters")]
                    .into_iter()
                    .flatten()
                {
                    for p in list.as_array().into_iter().flatten() {
                        let p = resolve(doc, p);
                        let key = format!("{}.{}", show(p.get("in")), show(p.get("name")));
                        params.insert(key, p);
                    }
                }
                params
            };
        let yp = collect(self.yaml, y_item, y_op);
        let sp = collect(self.server, s_item, s_op);
        for key in yp.keys().chain(sp.keys()).collect::<BTreeSet<_>>() {
            let path = format!("parameter.{key}");
            match (yp.get(key), sp.get(key)) {
                (Some(_), None) => self.diff(&path, "parameter in YAML, not in server".into()),
                (None, Some(_)) => self.diff(&path, "parameter in server, not in YAML".into()),
                (Some(y), Some(s)) => {
                    let req = |p: &Value| p.get("required").cloned().unwrap_or(Value::Bool(false));
                    self.differs(&path, "required", Some(&req(y)), Some(&req(s)));
                    if let (Some(ys), Some(ss)) = (y.get("schema"), s.get("schema")) {
                        self.schema(&path, ys, ss);
                    }
                }
                (None, None) => {}
            }
        }
    }

    /// Effective security: the operation's, or the document's default.
    fn security(&mut self, y_op: &'a Value, s_op: &'a Value) {
        let effective = |doc: &Value, op: &Value| -> Value {
            let sec = op.get("security").or_else(|| doc.get("security")).cloned();
            normalize_security(sec.unwrap_or(Value::Array(vec![])))
        };
        let (y, s) = (effective(self.yaml, y_op), effective(self.server, s_op));
        self.differs("security", "security", Some(&y), Some(&s));
        let scopes = |op: &Value| {
            let set: BTreeSet<String> = op
                .get("x-required-scopes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect();
            Value::from(set.into_iter().collect::<Vec<_>>())
        };
        self.differs(
            "x-required-scopes",
            "scopes",
            Some(&scopes(y_op)),
            Some(&scopes(s_op)),
        );
        // The schemes each requirement names must be defined alike.
        for requirement in y.as_array().into_iter().flatten() {
            for scheme in requirement.as_object().into_iter().flat_map(|o| o.keys()) {
                let def = |doc: &'a Value| {
                    doc.pointer(&format!("/components/securitySchemes/{scheme}"))
                        .map(|s| strip_prose(s.clone()))
                };
                let (yd, sd) = (def(self.yaml), def(self.server));
                self.differs(
                    &format!("securitySchemes.{scheme}"),
                    "scheme",
                    yd.as_ref(),
                    sd.as_ref(),
                );
            }
        }
    }

    fn request_body(&mut self, y_op: &'a Value, s_op: &'a Value) {
        let yb = y_op.get("requestBody").map(|b| resolve(self.yaml, b));
        let sb = s_op.get("requestBody").map(|b| resolve(self.server, b));
        match (yb, sb) {
            (None, None) => {}
            (Some(_), None) => self.diff("request", "request body in YAML, none in server".into()),
            (None, Some(_)) => self.diff("request", "request body in server, none in YAML".into()),
            (Some(y), Some(s)) => {
                let req = |b: &Value| b.get("required").cloned().unwrap_or(Value::Bool(false));
                self.differs("request", "required", Some(&req(y)), Some(&req(s)));
                self.content("request", y.get("content"), s.get("content"));
            }
        }
    }

    fn responses(&mut self, y_op: &'a Value, s_op: &'a Value) {
        let yr = y_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let sr = s_op
            .get("responses")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        for status in yr.keys().chain(sr.keys()).collect::<BTreeSet<_>>() {
            let path = format!("response.{status}");
            match (yr.get(status), sr.get(status)) {
                (Some(_), None) => {
                    self.diff(&path, format!("status {status} in YAML, not in server"))
                }
                (None, Some(_)) => {
                    self.diff(&path, format!("status {status} in server, not in YAML"))
                }
                (Some(y), Some(s)) => {
                    let (y, s) = (resolve(self.yaml, y), resolve(self.server, s));
                    self.content(&path, y.get("content"), s.get("content"));
                }
                (None, None) => {}
            }
        }
    }

    /// Media types as sets; with one media type on each side the path stays plain,
    /// with several it names the type: `request[application/xml]`.
    fn content(&mut self, path: &str, y: Option<&'a Value>, s: Option<&'a Value>) {
        let y = y.and_then(Value::as_object).unwrap_or(&EMPTY);
        let s = s.and_then(Value::as_object).unwrap_or(&EMPTY);
        let types: BTreeSet<&String> = y.keys().chain(s.keys()).collect();
        let single = types.len() == 1;
        for media in types {
            let at = if single {
                path.to_owned()
            } else {
                format!("{path}[{media}]")
            };
            match (y.get(media), s.get(media)) {
                (Some(_), None) => {
                    self.diff(path, format!("media type {media} in YAML, not in server"))
                }
                (None, Some(_)) => {
                    self.diff(path, format!("media type {media} in server, not in YAML"))
                }
                (Some(ym), Some(sm)) => match (ym.get("schema"), sm.get("schema")) {
                    (Some(ys), Some(ss)) => self.schema(&at, ys, ss),
                    (Some(_), None) => self.diff(&at, "schema in YAML, none in server".into()),
                    (None, Some(_)) => self.diff(&at, "schema in server, none in YAML".into()),
                    (None, None) => {}
                },
                (None, None) => {}
            }
        }
    }

    fn schema(&mut self, path: &str, y: &'a Value, s: &'a Value) {
        let key = (ref_of(y), ref_of(s));
        if let (Some(yr), Some(sr)) = &key {
            if !self.visiting.insert((yr.clone(), sr.clone())) {
                return;
            }
        }
        let (y, y_nullable) = unwrap_schema(self.yaml, y);
        let (s, s_nullable) = unwrap_schema(self.server, s);
        self.differs(
            path,
            "nullable",
            Some(&Value::Bool(y_nullable)),
            Some(&Value::Bool(s_nullable)),
        );

        for keyword in [
            "type",
            "format",
            "minLength",
            "maxLength",
            "pattern",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
            "minItems",
            "maxItems",
            "uniqueItems",
            "minProperties",
            "maxProperties",
        ] {
            self.differs(path, keyword, y.get(keyword), s.get(keyword));
        }
        let as_set = |v: Option<&Value>| -> Option<Value> {
            v.and_then(Value::as_array).map(|a| {
                let set: BTreeMap<String, &Value> = a.iter().map(|x| (x.to_string(), x)).collect();
                Value::Array(set.into_values().cloned().collect())
            })
        };
        self.differs(
            path,
            "enum",
            as_set(y.get("enum")).as_ref(),
            as_set(s.get("enum")).as_ref(),
        );

        let yreq = as_set(y.get("required")).unwrap_or(Value::Array(vec![]));
        let sreq = as_set(s.get("required")).unwrap_or(Value::Array(vec![]));
        for name in set_of(&yreq).difference(&set_of(&sreq)) {
            self.diff(
                &join(path, name),
                "required in YAML, optional in server".into(),
            );
        }
        for name in set_of(&sreq).difference(&set_of(&yreq)) {
            self.diff(
                &join(path, name),
                "optional in YAML, required in server".into(),
            );
        }

        let yp = y
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        let sp = s
            .get("properties")
            .and_then(Value::as_object)
            .unwrap_or(&EMPTY);
        for name in yp.keys().chain(sp.keys()).collect::<BTreeSet<_>>() {
            let at = join(path, name);
            match (yp.get(name), sp.get(name)) {
                (Some(_), None) => self.diff(&at, "property in YAML, not in server".into()),
                (None, Some(_)) => self.diff(&at, "property in server, not in YAML".into()),
                (Some(ys), Some(ss)) => self.schema(&at, ys, ss),
                (None, None) => {}
            }
        }

        match (y.get("items"), s.get("items")) {
            (Some(yi), Some(si)) => self.schema(&join(path, "items"), yi, si),
            (yi, si) => self.differs(
                path,
                "items",
                yi.map(|_| &Value::Bool(true)),
                si.map(|_| &Value::Bool(true)),
            ),
        }

        // Absent additionalProperties means any, like `true`.
        let additional = |v: Option<&'a Value>| match v {
            None | Some(Value::Bool(true)) => None,
            Some(other) => Some(other),
        };
        match (
            additional(y.get("additionalProperties")),
            additional(s.get("additionalProperties")),
        ) {
            (None, None) => {}
            (Some(Value::Bool(false)), Some(Value::Bool(false))) => {}
            (Some(ya), Some(sa)) if ya.is_object() && sa.is_object() => {
                self.schema(&join(path, "additionalProperties"), ya, sa)
            }
            (ya, sa) => self.diff(
                path,
                format!(
                    "additionalProperties {} in YAML, {} in server",
                    describe_additional(ya),
                    describe_additional(sa)
                ),
            ),
        }

        for combinator in ["oneOf", "anyOf", "allOf"] {
            let ya = y.get(combinator).and_then(Value::as_array);
            let sa = s.get(combinator).and_then(Value::as_array);
            match (ya, sa) {
                (None, None) => {}
                (Some(ya), Some(sa)) if ya.len() == sa.len() => {
                    for (i, (yi, si)) in ya.iter().zip(sa).enumerate() {
                        self.schema(&join(path, &format!("{combinator}[{i}]")), yi, si);
                    }
                }
                (ya, sa) => self.diff(
                    path,
                    format!(
                        "{combinator} with {} schemas in YAML, {} in server",
                        ya.map_or(0, Vec::len),
                        sa.map_or(0, Vec::len)
                    ),
                ),
            }
        }

        if let (Some(yr), Some(sr)) = key {
            self.visiting.remove(&(yr, sr));
        }
    }
}

fn describe_additional(v: Option<&Value>) -> String {
    match v {
        None => "allowed".into(),
        Some(Value::Bool(false)) => "forbidden".into(),
        Some(_) => "a schema".into(),
    }
}

fn set_of(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_str())
        .map(str::to_owned)
        .collect()
}

fn ref_of(v: &Value) -> Option<String> {
    v.get("$ref").and_then(Value::as_str).map(str::to_owned)
}

/// Follows `$ref`s (to any depth) within `doc`.
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..32 {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => match r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(target) => v = target,
                None => return v,
            },
            None => return v,
        }
    }
    v
}

/// Resolves a schema (through `$ref`s and single-schema `allOf` wrappers). Returns
/// the schema and whether it is nullable, as OpenAPI 3.0.3 reads `nullable`: only
/// beside `type`, in the same schema object (`{allOf: [X], nullable: true}` is not
/// nullable, however schemars meant it; the server's document inlines X instead).
fn unwrap_schema<'a>(doc: &'a Value, v: &'a Value) -> (&'a Value, bool) {
    let counts = |s: &Value| {
        s.get("nullable").and_then(Value::as_bool).unwrap_or(false) && s.get("type").is_some()
    };
    let mut nullable = counts(v);
    let mut v = resolve(doc, v);
    loop {
        nullable |= counts(v);
        match v.get("allOf").and_then(Value::as_array) {
            Some(all)
                if all.len() == 1 && v.get("properties").is_none() && v.get("type").is_none() =>
            {
                v = resolve(doc, &all[0]);
            }
            _ => return (v, nullable),
        }
    }
}

fn normalize_security(v: Value) -> Value {
    let mut reqs: Vec<Value> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|req| {
            let mut m: BTreeMap<String, Value> = BTreeMap::new();
            for (k, scopes) in req.as_object().into_iter().flatten() {
                let set: BTreeSet<String> = scopes
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect();
                m.insert(k.clone(), Value::from(set.into_iter().collect::<Vec<_>>()));
            }
            Value::Object(m.into_iter().collect())
        })
        .collect();
    reqs.sort_by_key(|v| v.to_string());
    Value::Array(reqs)
}

fn strip_prose(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("description");
    }
    v
}

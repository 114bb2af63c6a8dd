//! Coverage of the operations table, in the style of omicron's
//! `unauthorized_coverage.rs`: every operation of every `openapi/*.yaml` must be in
//! `crm_testkit::OPERATIONS`, and every entry of the table must be in the document
//! of its family, with the same method, path, success status, request media types
//! and required headers. A new endpoint therefore fails here until the table (and
//! with it every test and the bench that loop over it) knows it.

use crm_testkit::{Family, Fixtures, OPERATIONS};
use serde_yaml::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Not an OpenAPI document: the contract check's reviewed list of gaps.
const KNOWN_GAPS: &str = "known-gaps.yaml";

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation as a document declares it.
#[derive(Debug)]
struct Declared {
    file: String,
    method: String,
    path: String,
    operation_id: String,
    /// The 2xx statuses of its responses.
    successes: BTreeSet<u16>,
    media_types: BTreeSet<String>,
    /// Required header parameters, lower case.
    required_headers: BTreeSet<String>,
}

fn openapi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("testkit lives in the workspace")
        .join("openapi")
}

/// Follows a local `$ref` (`#/components/parameters/X`).
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let mut target = doc;
            for part in reference.trim_start_matches("#/").split('/') {
                target = &target[part];
            }
            resolve(doc, target)
        }
        None => value,
    }
}

fn declared() -> Vec<Declared> {
    let dir = openapi_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        if file == KNOWN_GAPS {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: Value = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("openapi/{file} is not YAML: {e}"));
        let paths = doc["paths"]
            .as_mapping()
            .unwrap_or_else(|| panic!("openapi/{file} has no paths"));
        for (route, item) in paths {
            let route = route.as_str().unwrap();
            let path_parameters = item["parameters"]
                .as_sequence()
                .cloned()
                .unwrap_or_default();
            for method in METHODS {
                let Some(op) = item.get(method) else { continue };
                let operation_id = op["operationId"].as_str().unwrap_or_else(|| {
                    panic!("openapi/{file}: {method} {route} has no operationId")
                });
                let successes = op["responses"]
                    .as_mapping()
                    .into_iter()
                    .flatten()
                    .filter_map(|(status, _)| match status {
                        Value::String(s) => s.parse::<u16>().ok(),
                        Value::Number(n) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
                        _ => None,
                    })
                    .filter(|s| (200..300).contains(s))
                    .collect();
                let body = resolve(&doc, &op["requestBody"]);
                let media_types = body["content"]
                    .as_mapping()
                    .into_iter()
                    .flatten()
                    .map(|(media, _)| media.as_str().unwrap().to_owned())
                    .collect();
                let parameters = op["parameters"].as_sequence().cloned().unwrap_or_default();
                let required_headers = path_parameters
                    .iter()
                    .chain(&parameters)
                    .map(|p| resolve(&doc, p))
                    .filter(|p| p["in"] == "header" && p["required"] == true)
                    .map(|p| p["name"].as_str().unwrap().to_ascii_lowercase())
                    .collect();
                out.push(Declared {
                    file: file.clone(),
                    method: method.to_ascii_uppercase(),
                    path: route.to_owned(),
                    operation_id: operation_id.to_owned(),
                    successes,
                    media_types,
                    required_headers,
                });
            }
        }
    }
    out
}

#[test]
fn every_documented_operation_is_in_the_table_and_nothing_else_is() {
    let declared = declared();
    assert!(
        !declared.is_empty(),
        "no operations found under {}",
        openapi_dir().display()
    );
    let fixtures = Fixtures {
        workspace_id: 1,
        contact_id: 1,
        organization_uuid: "00000000-0000-0000-0000-000000000000".into(),
    };
    let mut problems = Vec::new();
    for d in &declared {
        let matching: Vec<_> = OPERATIONS
            .iter()
            .filter(|op| op.operation_id == d.operation_id)
            .collect();
        let [op] = matching[..] else {
            problems.push(format!(
                "openapi/{}: {} {} ({}) is {} in crm_testkit::OPERATIONS \
                 (testkit/src/lib.rs); every test that loops over the table and the \
                 bench would miss it",
                d.file,
                d.method,
                d.path,
                d.operation_id,
                if matching.is_empty() {
                    "missing"
                } else {
                    "listed more than once"
                },
            ));
            continue;
        };
        let mut differs = |what: &str, table: String, document: String| {
            if table != document {
                problems.push(format!(
                    "{}: {what}: {table} in the table, {document} in openapi/{}",
                    d.operation_id, d.file
                ));
            }
        };
        differs("document", op.family.document().into(), d.file.clone());
        differs("method", op.method.into(), d.method.clone());
        differs("path", op.path.into(), d.path.clone());
        differs(
            "success status",
            format!("{:?}", BTreeSet::from([op.success])),
            format!("{:?}", d.successes),
        );
        let table_media: BTreeSet<String> = op.media_types.iter().map(|m| m.to_string()).collect();
        differs(
            "request media types",
            format!("{table_media:?}"),
            format!("{:?}", d.media_types),
        );
        let table_headers: BTreeSet<String> = (op.headers)(&fixtures)
            .into_iter()
            .map(|(name, _)| name.to_ascii_lowercase())
            .collect();
        differs(
            "required headers",
            format!("{table_headers:?}"),
            format!("{:?}", d.required_headers),
        );
        if op.media_types.first() != Some(&"application/json") {
            problems.push(format!(
                "{}: the table's first media type must be application/json (the bodies are JSON)",
                d.operation_id
            ));
        }
    }
    for op in &OPERATIONS {
        if !declared.iter().any(|d| d.operation_id == op.operation_id) {
            problems.push(format!(
                "crm_testkit::OPERATIONS has {}, which no openapi/*.yaml declares \
                 (the table says openapi/{})",
                op.name(),
                op.family.document()
            ));
        }
    }
    for family in Family::ALL {
        if !declared.iter().any(|d| d.file == family.document()) {
            problems.push(format!(
                "{}'s document openapi/{} declares no operation",
                family.name(),
                family.document()
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "the operations table and openapi/ disagree:\n  {}",
        problems.join("\n  ")
    );
}

#[test]
fn bodies_are_unique_per_suffix_and_store_the_suffix() {
    let fixtures = Fixtures {
        workspace_id: 7,
        contact_id: 8,
        organization_uuid: "org".into(),
    };
    for op in &OPERATIONS {
        let (a, b) = ((op.body)("a", &fixtures), (op.body)("b", &fixtures));
        assert_ne!(a, b, "{}: the suffix changes the body", op.name());
        let stored = (op.stored)("a");
        assert!(
            a.to_string().contains(&stored.value),
            "{}: the body {a} carries the stored unique value {:?}",
            op.name(),
            stored.value
        );
        assert_ne!(stored, (op.stored)("b"), "{}", op.name());
    }
}

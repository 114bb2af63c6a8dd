//! The reference pages in a real browser: Debian's chromium, driven by
//! `tests/browser/docs.mjs` (playwright-core, pinned in `tests/browser/`), against
//! the real `crm serve`.
//!
//! - Every family's page at `/docs/<family>` shows its document's title, version
//!   and every operation of its YAML (method, path, operationId, summary: read
//!   from `openapi/*.yaml`, not listed here), having loaded `/openapi/<file>`.
//! - "Try it out" on SalesMap's `POST /v2/people`, authorized with a token from
//!   `crm admin`, creates the person: the page shows the 201 and its body, and the
//!   database holds the row.
//! - In both, the browser asks nothing of any other origin, and no console error,
//!   page error or Content-Security-Policy violation happens.
//!
//! Screenshots go to `target/browser/` (`home.png`, `index.png`,
//! `docs-<family>.png`, `try-it-salesmap.png`). In CI (`CI` set) or with
//! `CRM_REQUIRE_BROWSER=1` a missing chromium, node or `npm ci --prefix
//! tests/browser` fails the tests; elsewhere they skip, saying so loudly.

#[path = "support/crm_process.rs"]
mod crm_process;

use crm_process::{tenant, Crm};
use crm_testkit::OPERATIONS;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where the screenshots go: `target/browser/`.
fn shots() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("browser")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into())
}

/// Whether the browser must run: in CI (`CI` set) or when asked.
fn required() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false")
        || std::env::var("CRM_REQUIRE_BROWSER").is_ok_and(|v| v == "1")
}

/// True when chromium, node and the driver are here. When not: panics if the
/// browser is required, else says so on stderr, loudly, and the caller skips.
fn available(test: &str) -> bool {
    let node = Command::new("node").arg("--version").output();
    let why = if !chromium().is_file() {
        format!(
            "no chromium at {} (`apt-get install chromium`, as .ci/run does, or set CHROMIUM)",
            chromium().display()
        )
    } else if !node.is_ok_and(|o| o.status.success()) {
        "node cannot be run".to_owned()
    } else if !root()
        .join("tests/browser/node_modules/playwright-core/package.json")
        .is_file()
    {
        "playwright-core is not installed (`npm ci --prefix tests/browser`, as .ci/run does)"
            .to_owned()
    } else {
        return true;
    };
    assert!(
        !required(),
        "{test}: {why}. The browser is required here (CI or CRM_REQUIRE_BROWSER=1)"
    );
    // Past the test harness's capture, so that a passing run still shows it.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED {test}: {why}.\n*** The docs pages are NOT checked in a browser on \
         this machine; CI installs chromium and fails without it.\n"
    );
    false
}

/// `node tests/browser/docs.mjs MODE ARGS`: what it reports, after checking that
/// the browser asked only `crm` for anything and met no error.
fn drive(mode: &str, args: &Value, crm: &Crm) -> Value {
    let out = Command::new("node")
        .arg(root().join("tests/browser/docs.mjs"))
        .arg(mode)
        .arg(args.to_string())
        .env("CHROMIUM", chromium())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "docs.mjs {mode} failed ({}): {}\nthe server's log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        crm.stderr()
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "docs.mjs {mode}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let elsewhere: Vec<&str> = report["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .filter(|r| {
            !r.split_once(' ')
                .unwrap()
                .1
                .starts_with(&format!("{}/", crm.url))
        })
        .collect();
    assert!(
        elsewhere.is_empty(),
        "the page asked another origin: {elsewhere:?}"
    );
    assert_eq!(report["problems"], json!([]), "{mode}");
    report
}

/// What a family's page must show: its document's title, version and operations.
fn expected(yaml: &str) -> Value {
    let doc: Value = serde_yaml::from_str(yaml).unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            operations.push(json!({
                "method": method.to_uppercase(),
                "path": path,
                "operationId": op["operationId"],
                "summary": op["summary"],
            }));
        }
    }
    json!({"title": doc["info"]["title"], "version": doc["info"]["version"], "operations": operations})
}

/// A page's report with its operations in one order (the YAML's map is read
/// sorted; Swagger UI shows them by tag), so that two can be compared.
fn by_operation_id(mut page: Value) -> Value {
    if let Some(ops) = page["operations"].as_array_mut() {
        ops.sort_by_key(|op| op["operationId"].to_string());
    }
    page
}

/// Every family's document, by family name: what its page must show. The
/// documents the binary embeds and serves, which are `openapi/*.yaml` byte for byte
/// (`tests/openapi_served.rs`).
fn families() -> BTreeMap<String, Value> {
    crm::SPECS
        .iter()
        .map(|(file, yaml)| (file.trim_end_matches(".yaml").to_owned(), expected(yaml)))
        .collect()
}

#[test]
fn every_family_page_shows_every_operation_of_its_document() {
    if !available("every_family_page_shows_every_operation_of_its_document") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let crm = Crm::start(dir.path().join("crm.db"), &[], &[]).unwrap();
    let families = families();
    assert!(families.len() >= 4, "the four families: {families:?}");
    let names: Vec<&String> = families.keys().collect();
    let report = drive(
        "pages",
        &json!({"url": crm.url, "families": names, "shots": shots()}),
        &crm,
    );

    for (family, want) in &families {
        assert_eq!(
            by_operation_id(report["shown"][family].clone()),
            by_operation_id(want.clone()),
            "/docs/{family}"
        );
        let loaded = format!("GET {}/openapi/{family}.yaml", crm.url);
        assert!(
            report["requests"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| *r == loaded),
            "/docs/{family} rendered without loading /openapi/{family}.yaml: {}",
            report["requests"]
        );
        assert!(shots().join(format!("docs-{family}.png")).is_file());
    }
    assert_eq!(
        report["shown"].as_object().unwrap().len(),
        families.len(),
        "{}",
        report["shown"]
    );
    crm.stop();
}

#[test]
fn try_it_creates_a_salesmap_person_that_is_stored() {
    if !available("try_it_creates_a_salesmap_person_that_is_stored") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    let crm = Crm::start(&db, &[], &[]).unwrap();
    let ours = tenant(&db, "브라우저");
    let op = OPERATIONS
        .iter()
        .find(|op| op.operation_id == "salesmap_create_people")
        .unwrap();
    let body = (op.body)("browser", &ours.fixtures);
    let report = drive(
        "try-it",
        &json!({
            "url": crm.url,
            "family": "salesmap",
            "operationId": op.operation_id,
            "token": ours.token,
            "body": serde_json::to_string_pretty(&body).unwrap(),
            "shot": shots().join("try-it-salesmap.png"),
        }),
        &crm,
    );

    // What the page sent: the operation, to this server, with the token and body.
    assert_eq!(
        report["calls"],
        json!([format!("{} {}{}", op.method, crm.url, op.path)]),
        "the page showed {} {}",
        report["status"],
        report["body"]
    );
    let request = &report["request"];
    assert_eq!(request["method"], op.method);
    assert_eq!(request["url"], format!("{}{}", crm.url, op.path));
    assert_eq!(
        request["headers"]["authorization"],
        format!("Bearer {}", ours.token)
    );
    assert_eq!(request["headers"]["content-type"], "application/json");
    let sent: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
    assert_eq!(sent, body);

    // What the page shows: the 201 and the created person.
    assert_eq!(report["status"], op.success.to_string(), "{report}");
    let shown: Value = serde_json::from_str(report["body"].as_str().unwrap()).unwrap();
    let id = shown
        .pointer(op.id_pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no id in {shown}"));
    let person = &shown["data"]["people"];
    assert_eq!(shown["success"], true, "{shown}");
    assert_eq!(person["name"], body["name"], "{shown}");

    // What the database holds: that person, once, in the token's workspace.
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let row: (String, i64, String, String, String) = conn
        .query_row(
            "SELECT uuid, workspace_id, name, email, created_at FROM people WHERE uuid = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .unwrap_or_else(|e| panic!("person {id} is not stored: {e}"));
    assert_eq!(
        row,
        (
            id.to_owned(),
            ours.fixtures.workspace_id,
            "고객 browser".to_owned(),
            "salesmap-browser@example.test".to_owned(),
            person["createdAt"].as_str().unwrap().to_owned(),
        )
    );
    assert_eq!(crm_process::stored(&db, op, "browser"), 1);
    let people: i64 = conn
        .query_row("SELECT count(*) FROM people", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        people, 1,
        "the try-it made one person, and nothing else did"
    );
    assert!(shots().join("try-it-salesmap.png").is_file());
    crm.stop();
}

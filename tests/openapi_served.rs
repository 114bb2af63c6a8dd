//! `GET /openapi/<file>` on the real binary: every document in `openapi/` is
//! served byte for byte as YAML, and nothing else is: an unknown name, another
//! spelling of a document's name, `known-gaps.yaml` (a list, not a document) or a
//! path out of the directory is 404 in the same shape as any unknown path.

mod common;
#[path = "support/crm_process.rs"]
mod crm_process;

use common::{each_backend, Backend, TestDatabase};
use crm_process::Crm;
use serde_json::Value;

/// Every `openapi/*.yaml` file but the contract check's list of gaps, by name.
fn documents() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let mut documents: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !p.ends_with("known-gaps.yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    documents.sort();
    documents
}

/// A GET's status, content type, `x-request-id` and body.
async fn get(url: &str) -> (u16, String, String, Vec<u8>) {
    let response = reqwest::get(url).await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, request_id) = (header("content-type"), header("x-request-id"));
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap().to_vec();
    (status, content_type, request_id, body)
}

/// A 404's body without its request id (checked against the header), as JSON.
fn not_found_shape(
    what: &str,
    status: u16,
    content_type: &str,
    request_id: &str,
    body: &[u8],
) -> Value {
    assert_eq!(status, 404, "{what}: {}", String::from_utf8_lossy(body));
    assert_eq!(content_type, "application/json", "{what}");
    let mut body: Value = serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {}", String::from_utf8_lossy(body)));
    assert_eq!(
        body["request_id"], request_id,
        "{what}: the body names its request"
    );
    body.as_object_mut().unwrap().remove("request_id");
    body
}

async fn every_document_is_served_byte_for_byte_and_nothing_else(backend: Backend) {
    let db = TestDatabase::new(backend);
    let crm = Crm::start(db.arg(), &[], &[]).unwrap();
    let documents = documents();
    assert!(
        documents.len() >= 4,
        "the four families' documents: {documents:?}"
    );
    let names: Vec<&str> = documents.iter().map(|(n, _)| n.as_str()).collect();
    let mut embedded: Vec<&str> = crm::SPECS.iter().map(|(n, _)| *n).collect();
    embedded.sort_unstable();
    assert_eq!(
        embedded, names,
        "the binary embeds every document, and only them"
    );

    for (name, bytes) in &documents {
        let (status, content_type, _, body) = get(&format!("{}/openapi/{name}", crm.url)).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(content_type, "application/yaml; charset=utf-8", "{name}");
        assert!(
            body == *bytes,
            "{name}: the served bytes differ from the file's"
        );
    }

    // What any unknown path gets from the router.
    let (status, content_type, request_id, body) = get(&format!("{}/no/such/path", crm.url)).await;
    let expected = not_found_shape("/no/such/path", status, &content_type, &request_id, &body);
    assert_eq!(expected, serde_json::json!({"message": "Not Found"}));
    let unknown = [
        "nothing.yaml",
        "known-gaps.yaml",
        "SALESMAP.YAML",
        "salesmap.yml",
        "salesmap",
        "salesmap.yaml.bak",
        " salesmap.yaml",
        "salesmap.yaml%00",
        "..%2fCargo.toml",
        "%2e%2e%2fCargo.toml",
        "..%2f..%2fetc%2fpasswd",
        "",
        "salesmap.yaml/more",
    ];
    for name in unknown {
        let path = format!("/openapi/{name}");
        let (status, content_type, request_id, body) = get(&format!("{}{path}", crm.url)).await;
        let shape = not_found_shape(&path, status, &content_type, &request_id, &body);
        assert_eq!(shape, expected, "{path}");
    }
    crm.stop();
}
each_backend!(every_document_is_served_byte_for_byte_and_nothing_else);

//! House-keeping checks that run with `cargo test`: drift fails the ordinary run.

#[test]
fn checked_in_client_is_fresh() {
    let root = xtask::project_root();
    assert!(
        xtask::generate::run(&root, true, &[xtask::generate::Lang::Rust]).unwrap(),
        "client/src is stale against openapi/: run `cargo xtask generate` and commit the result"
    );
}

#[test]
fn progenitor_panics_become_errors_naming_the_operation() {
    let mut doc = xtask::read_yaml(&xtask::project_root().join("openapi/salesmap.yaml")).unwrap();
    // Two request media types: progenitor panics on this shape.
    let content = doc
        .pointer_mut("/paths/~1v2~1lead/post/requestBody/content")
        .unwrap()
        .as_object_mut()
        .unwrap();
    let json = content["application/json"].clone();
    content.insert("application/x-www-form-urlencoded".into(), json);
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc).unwrap();
    let err = xtask::generate::rust::generate_tokens(&spec)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("POST /v2/lead (operationId salesmap_create_lead)"),
        "the error should name the operation: {err}"
    );
    assert!(
        !err.contains("/v2/people"),
        "only the failing operation is named: {err}"
    );
}

#[test]
fn several_request_media_types_and_a_default_beside_success_are_projected_and_said() {
    let path = xtask::project_root().join("openapi/maiascore.yaml");
    let (code, notes) = xtask::generate::rust::generate_document("maiascore", &path).unwrap();
    assert_eq!(
        notes,
        [
            "POST /customers: the client leaves out the `default` response (progenitor would \
          read it as a success too); a status the document does not list comes back as \
          unexpected",
            "POST /customers: the client sends application/json only (progenitor takes one \
          request media type; the server also accepts application/xml, \
          application/x-www-form-urlencoded)"
        ]
    );
    assert!(code.contains("pub fn maiascore_create_customer"));
}

#[test]
fn a_stale_missing_or_extra_generated_file_is_named_whatever_its_language() {
    use std::path::PathBuf;
    use xtask::generate::{compare, Difference, Generated};
    let root = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = root.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("clients/typescript/src/generated/salesmap.ts", "old\n");
    write("clients/python/crm-salesmap-client/left_over.py", "x\n");
    write("clients/python/crm-salesmap-client/same.py", "same\n");
    let generated = Generated {
        files: [
            ("clients/typescript/src/generated/salesmap.ts", "new\n"),
            ("clients/python/crm-salesmap-client/same.py", "same\n"),
            ("client/src/salesmap.rs", "// code\n"),
        ]
        .into_iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_owned()))
        .collect(),
        owned_dirs: vec![PathBuf::from("clients/python/crm-salesmap-client")],
        ..Generated::default()
    };

    let differences = compare(root.path(), &generated).unwrap();

    let shown: Vec<String> = differences.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        shown,
        [
            "client/src/salesmap.rs is missing (generated, not checked in)",
            "clients/typescript/src/generated/salesmap.ts is stale:\n\
             --- clients/typescript/src/generated/salesmap.ts (checked in)\n\
             +++ generated\n\
             @@ -1 +1 @@\n\
             -old\n\
             +new\n",
            "clients/python/crm-salesmap-client/left_over.py is no longer generated \
             (left in a generated directory)",
        ]
    );
    assert!(matches!(differences[0], Difference::Missing { .. }));
}

//! The contract check passes on the real documents, and catches each kind of drift:
//! every test here mutates a copy of the YAML and expects the exact report line.

use serde_json::{json, Value};
use xtask::contract;

fn yaml(name: &str) -> Value {
    xtask::read_yaml(&xtask::project_root().join(format!("openapi/{name}.yaml"))).unwrap()
}

fn server(name: &str) -> Value {
    crm_api::contract::emitted_document(name).unwrap()
}

/// The report lines for the salesmap document after `mutate`.
fn salesmap_after(mutate: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut doc = yaml("salesmap");
    mutate(&mut doc);
    contract::compare(&doc, &server("salesmap"))
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn assert_reports(lines: &[String], expected: &str) {
    assert!(
        lines.iter().any(|l| l == expected),
        "expected the report line\n  {expected}\ngot:\n  {}",
        lines.join("\n  ")
    );
}

#[test]
fn every_document_passes_the_contract_check() {
    let root = xtask::project_root();
    assert!(
        contract::run(&root).unwrap(),
        "`cargo xtask contract` fails; run it to see the differences"
    );
}

#[test]
fn unmutated_salesmap_has_no_differences() {
    assert_eq!(salesmap_after(|_| {}), Vec::<String>::new());
}

#[test]
fn catches_a_dropped_property() {
    let lines = salesmap_after(|d| {
        d.pointer_mut("/components/schemas/CreatePeopleRequest/properties")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("memo");
    });
    assert_reports(
        &lines,
        "POST /v2/people request.memo: property in server, not in YAML",
    );
}

#[test]
fn catches_a_changed_max_length() {
    let lines = salesmap_after(|d| {
        d.pointer_mut("/components/schemas/FieldValue/properties/stringValue")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("maxLength".into(), json!(255));
    });
    assert_reports(
        &lines,
        "POST /v2/people request.fieldList.items.stringValue: maxLength 255 in YAML, none in server",
    );
    // The schema is shared: the lead operation reports it too.
    assert_reports(
        &lines,
        "POST /v2/lead request.fieldList.items.stringValue: maxLength 255 in YAML, none in server",
    );
}

#[test]
fn catches_a_changed_min_length() {
    let lines = salesmap_after(|d| {
        *d.pointer_mut("/components/schemas/CreateLeadRequest/properties/name/minLength")
            .unwrap() = json!(2);
    });
    assert_reports(
        &lines,
        "POST /v2/lead request.name: minLength 2 in YAML, 1 in server",
    );
}

#[test]
fn catches_a_changed_status_code() {
    let lines = salesmap_after(|d| {
        let responses = d
            .pointer_mut("/paths/~1v2~1people/post/responses")
            .unwrap()
            .as_object_mut()
            .unwrap();
        let created = responses.remove("201").unwrap();
        responses.insert("200".into(), created);
    });
    assert_reports(
        &lines,
        "POST /v2/people response.200: status 200 in YAML, not in server",
    );
    assert_reports(
        &lines,
        "POST /v2/people response.201: status 201 in server, not in YAML",
    );
}

#[test]
fn catches_a_dropped_error_status() {
    let lines = salesmap_after(|d| {
        d.pointer_mut("/paths/~1v2~1lead/post/responses")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove("404");
    });
    assert_reports(
        &lines,
        "POST /v2/lead response.404: status 404 in server, not in YAML",
    );
}

#[test]
fn catches_a_field_made_required() {
    let lines = salesmap_after(|d| {
        d.pointer_mut("/components/schemas/CreatePeopleRequest/required")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .push(json!("memo"));
    });
    assert_reports(
        &lines,
        "POST /v2/people request.memo: required in YAML, optional in server",
    );
}

#[test]
fn required_is_compared_as_a_set() {
    let lines = salesmap_after(|d| {
        *d.pointer_mut("/components/schemas/PeopleSummary/required")
            .unwrap() = json!(["createdAt", "name", "id"]);
    });
    assert_eq!(lines, Vec::<String>::new());
}

#[test]
fn catches_a_renamed_operation_id() {
    let lines = salesmap_after(|d| {
        *d.pointer_mut("/paths/~1v2~1lead/post/operationId").unwrap() = json!("createLead");
    });
    assert_reports(
        &lines,
        "POST /v2/lead operationId: operationId createLead in YAML, salesmap_create_lead in server",
    );
}

#[test]
fn catches_a_changed_type_nullable_and_format() {
    let lines = salesmap_after(|d| {
        let p = d
            .pointer_mut("/components/schemas/FieldValue/properties/numberValue")
            .unwrap()
            .as_object_mut()
            .unwrap();
        p.insert("type".into(), json!("integer"));
        p.insert("format".into(), json!("int64"));
        p.remove("nullable");
    });
    assert_reports(
        &lines,
        "POST /v2/people request.fieldList.items.numberValue: type integer in YAML, number in server",
    );
    assert_reports(
        &lines,
        "POST /v2/people request.fieldList.items.numberValue: format int64 in YAML, double in server",
    );
    assert_reports(
        &lines,
        "POST /v2/people request.fieldList.items.numberValue: nullable false in YAML, true in server",
    );
}

#[test]
fn catches_response_schema_drift_through_refs() {
    let lines = salesmap_after(|d| {
        d.pointer_mut("/components/schemas/PeopleSummary/properties")
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert("email".into(), json!({"type": "string"}));
    });
    assert_reports(
        &lines,
        "POST /v2/people response.201.data.people.email: property in YAML, not in server",
    );
}

#[test]
fn catches_security_and_media_type_drift() {
    let lines = salesmap_after(|d| {
        let op = d
            .pointer_mut("/paths/~1v2~1people/post")
            .unwrap()
            .as_object_mut()
            .unwrap();
        op.insert("security".into(), json!([]));
        let content = op["requestBody"]["content"].as_object_mut().unwrap();
        let json_body = content.remove("application/json").unwrap();
        content.insert("application/xml".into(), json_body);
    });
    assert_reports(
        &lines,
        r#"POST /v2/people security: security [] in YAML, [{"bearerAuth":[]}] in server"#,
    );
    assert_reports(
        &lines,
        "POST /v2/people request: media type application/xml in YAML, not in server",
    );
}

#[test]
fn catches_an_enum_change_and_additional_properties() {
    let lines = salesmap_after(|d| {
        let p = d
            .pointer_mut("/components/schemas/CreateLeadRequest")
            .unwrap()
            .as_object_mut()
            .unwrap();
        p.insert("additionalProperties".into(), json!(false));
        *d.pointer_mut("/components/schemas/CreateLeadRequest/properties/memo")
            .unwrap() = json!({"type": "string", "nullable": true, "enum": ["a", "b"]});
    });
    assert_reports(
        &lines,
        "POST /v2/lead request: additionalProperties forbidden in YAML, allowed in server",
    );
    assert_reports(
        &lines,
        r#"POST /v2/lead request.memo: enum ["a","b"] in YAML, none in server"#,
    );
}

#[test]
fn stale_known_gaps_fail_the_check() {
    let gap = contract::KnownGap {
        document: "salesmap".into(),
        operation: "POST /v2/people".into(),
        path: "request.memo".into(),
        message: "maxLength 10 in YAML, none in server".into(),
        reason: "made up for this test".into(),
    };
    let report = contract::check("salesmap", &yaml("salesmap"), &server("salesmap"), &[gap]);
    assert!(!report.passed());
    assert_eq!(report.stale_gaps.len(), 1);
}

#[test]
fn a_known_gap_covers_exactly_its_difference() {
    let mut doc = yaml("salesmap");
    *doc.pointer_mut("/components/schemas/CreatePeopleRequest/properties/memo")
        .unwrap() = json!({"type": "string", "nullable": true, "maxLength": 10});
    let gap = contract::KnownGap {
        document: "salesmap".into(),
        operation: "POST /v2/people".into(),
        path: "request.memo".into(),
        message: "maxLength 10 in YAML, none in server".into(),
        reason: "made up for this test".into(),
    };
    let report = contract::check("salesmap", &doc, &server("salesmap"), &[gap]);
    assert!(report.passed(), "{report:?}");
    assert_eq!(report.known.len(), 1);
}

fn bigchange_after(mutate: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut doc = yaml("bigchange");
    mutate(&mut doc);
    contract::compare(&doc, &server("bigchange"))
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn unmutated_introzy_and_bigchange_have_no_differences() {
    assert_eq!(bigchange_after(|_| {}), Vec::<String>::new());
    assert_eq!(
        contract::compare(&yaml("introzy"), &server("introzy")),
        Vec::<contract::Difference>::new()
    );
}

#[test]
fn catches_header_parameter_drift() {
    let lines = bigchange_after(|d| {
        let param = d
            .pointer_mut("/paths/~1v1~1contacts~1persons/post/parameters")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .find(|p| p["name"] == "Customer-Id")
            .unwrap();
        param["required"] = json!(false);
        param["schema"]["format"] = json!("int32");
    });
    assert_reports(
        &lines,
        "POST /v1/contacts/persons parameter.header.Customer-Id: required false in YAML, true in server",
    );
    assert_reports(
        &lines,
        "POST /v1/contacts/persons parameter.header.Customer-Id: format int32 in YAML, int64 in server",
    );
    let dropped = bigchange_after(|d| {
        d.pointer_mut("/paths/~1v1~1contacts~1persons/post/parameters")
            .unwrap()
            .as_array_mut()
            .unwrap()
            .retain(|p| p["name"] != "Customer-Id");
    });
    assert_reports(
        &dropped,
        "POST /v1/contacts/persons parameter.header.Customer-Id: parameter in server, not in YAML",
    );
}

#[test]
fn catches_problem_media_type_and_scope_drift() {
    let lines = bigchange_after(|d| {
        let op = d
            .pointer_mut("/paths/~1v1~1contacts~1persons/post")
            .unwrap();
        op["x-required-scopes"] = json!(["contacts:persons:read"]);
        let content = op["responses"]["422"]["content"].as_object_mut().unwrap();
        let problem = content.remove("application/problem+json").unwrap();
        content.insert("application/json".into(), problem);
    });
    assert_reports(
        &lines,
        r#"POST /v1/contacts/persons x-required-scopes: scopes ["contacts:persons:read"] in YAML, ["contacts:persons:write"] in server"#,
    );
    assert_reports(
        &lines,
        "POST /v1/contacts/persons response.422: media type application/json in YAML, not in server",
    );
    assert_reports(
        &lines,
        "POST /v1/contacts/persons response.422: media type application/problem+json in server, not in YAML",
    );
}

#[test]
fn maiascore_media_types_are_declared_and_other_drift_still_fails() {
    let mut doc = yaml("maiascore");
    assert_eq!(
        contract::compare(&doc, &server("maiascore")),
        Vec::<contract::Difference>::new()
    );
    let content = doc
        .pointer_mut("/paths/~1customers/post/requestBody/content")
        .unwrap()
        .as_object_mut()
        .unwrap();
    content.remove("application/xml");
    *doc.pointer_mut("/components/schemas/CustomerInput/properties/gender/type")
        .unwrap() = json!("integer");
    let lines: Vec<String> = contract::compare(&doc, &server("maiascore"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_reports(
        &lines,
        "POST /customers request: media type application/xml in server, not in YAML",
    );
    assert_reports(
        &lines,
        "POST /customers request[application/json].gender: type integer in YAML, string in server",
    );
}

#[test]
fn catches_the_default_response_and_a_404_dropped() {
    let mut doc = yaml("maiascore");
    let responses = doc
        .pointer_mut("/paths/~1customers/post/responses")
        .unwrap()
        .as_object_mut()
        .unwrap();
    responses.remove("default");
    responses.remove("404");
    let lines: Vec<String> = contract::compare(&doc, &server("maiascore"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_reports(
        &lines,
        "POST /customers response.default: status default in server, not in YAML",
    );
    assert_reports(
        &lines,
        "POST /customers response.404: status 404 in server, not in YAML",
    );
}

/// `{allOf: [$ref], nullable: true}` is not nullable by OpenAPI 3.0.3 (`nullable`
/// counts only beside `type`): the check reads it so, and reports the YAML that
/// writes a nullable reference that way.
#[test]
fn a_nullable_without_a_type_beside_it_is_not_nullable() {
    let mut doc = yaml("introzy");
    *doc.pointer_mut("/components/schemas/Person/properties/company")
        .unwrap() = json!({
        "allOf": [{"$ref": "#/components/schemas/Company"}],
        "nullable": true
    });
    doc.pointer_mut("/components/schemas")
        .unwrap()
        .as_object_mut()
        .unwrap()
        .insert(
            "Company".into(),
            server("introzy")
                .pointer("/components/schemas/Company")
                .cloned()
                .unwrap(),
        );
    let lines: Vec<String> = contract::compare(&doc, &server("introzy"))
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        lines,
        ["POST /api/people response.201.data.company: nullable false in YAML, true in server"]
    );
}

/// Every schema of every emitted document that says `nullable: true` has a `type`
/// beside it, so that it means what it says (schemars' nullable references are
/// inlined: `crm_api::contract::inline_nullable_refs`).
#[test]
fn every_emitted_nullable_has_a_type_beside_it() {
    fn walk(v: &Value, at: &str, bad: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if o.get("nullable") == Some(&json!(true)) && !o.contains_key("type") {
                    bad.push(at.to_owned());
                }
                for (k, child) in o {
                    walk(child, &format!("{at}/{k}"), bad);
                }
            }
            Value::Array(a) => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, &format!("{at}/{i}"), bad);
                }
            }
            _ => {}
        }
    }
    let mut bad = Vec::new();
    for name in crm_api::contract::document_names() {
        walk(&server(name), name, &mut bad);
    }
    assert_eq!(bad, Vec::<String>::new());
    // And dropshot's own output does have them: the step is what removes them.
    let mut raw = Vec::new();
    walk(
        &crm_api::contract::dropshot_document().unwrap(),
        "raw",
        &mut raw,
    );
    assert!(
        !raw.is_empty(),
        "schemars no longer writes allOf + nullable"
    );
}

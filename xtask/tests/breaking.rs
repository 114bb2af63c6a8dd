//! The breaking-change gate: one case per rule of `xtask::breaking::rules::RULES`,
//! each an edit to a copy of a real document in `openapi/` with the exact findings
//! it must give (rule, operation, path); edits that must give none; the major-version
//! rule; the JSON format; the command itself on a copy of the project, against the
//! released snapshots and against a git ref; and `--release`.

use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use xtask::breaking::{self, rules::RULES, Base, Format};

fn document(name: &str) -> Value {
    xtask::read_yaml(&xtask::project_root().join(format!("openapi/{name}.yaml"))).unwrap()
}

/// The object at `pointer`.
fn at<'v>(doc: &'v mut Value, pointer: &str) -> &'v mut Map<String, Value> {
    doc.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}"))
        .as_object_mut()
        .unwrap_or_else(|| panic!("{pointer} is not an object"))
}

fn push_required(doc: &mut Value, schema: &str, name: &str) {
    at(doc, schema)
        .get_mut("required")
        .unwrap()
        .as_array_mut()
        .unwrap()
        .push(json!(name));
}

/// (rule, operation, path) of every finding.
fn findings(old: &Value, new: &Value) -> Vec<(String, String, String)> {
    let found = breaking::findings(old, new).0;
    for f in &found {
        let rule = breaking::rules::by_id(f.rule);
        assert_eq!(f.direction, rule.direction, "{} in RULES", f.rule);
    }
    let mut out: Vec<_> = found
        .iter()
        .map(|f| (f.rule.to_owned(), f.operation_label(), f.path.clone()))
        .collect();
    out.sort();
    out
}

/// An edit of a copy of a real document (the baseline copy too, where the rule
/// needs a baseline the real document is not) and the findings it must give.
struct Case {
    rule: &'static str,
    document: &'static str,
    edit: fn(old: &mut Value, new: &mut Value),
    expected: &'static [(&'static str, &'static str, &'static str)],
}

const PEOPLE: &str = "POST /v2/people (salesmap_create_people)";
const LEAD: &str = "POST /v2/lead (salesmap_create_lead)";
const PERSON: &str = "POST /v1/contacts/persons (bigchange_create_person)";
const INTROZY: &str = "POST /api/people (introzy_create_person)";
const CUSTOMER: &str = "POST /customers (maiascore_create_customer)";

const PEOPLE_REQUEST: &str = "/components/schemas/CreatePeopleRequest";
const LEAD_REQUEST: &str = "/components/schemas/CreateLeadRequest";
const LEAD_SUMMARY: &str = "/components/schemas/LeadSummary";
const PERSON_MODEL: &str = "/components/schemas/CreatePersonModel";
const CUSTOM_FIELD: &str = "/components/schemas/CustomFieldValueModel";
const INTROZY_REQUEST: &str = "/components/schemas/CreatePersonRequest";
const BIGCHANGE_OP: &str = "/paths/~1v1~1contacts~1persons/post";

fn cases() -> Vec<Case> {
    vec![
        Case {
            rule: "path-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/paths").remove("/v2/lead");
            },
            expected: &[("path-removed", LEAD, "")],
        },
        Case {
            rule: "operation-removed",
            document: "salesmap",
            edit: |_, d| {
                let item = at(d, "/paths/~1v2~1lead");
                let op = item.remove("post").unwrap();
                item.insert("put".into(), op);
            },
            expected: &[("operation-removed", LEAD, "")],
        },
        Case {
            rule: "operation-id-changed",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/paths/~1v2~1lead/post").insert("operationId".into(), json!("createLead"));
            },
            expected: &[("operation-id-changed", LEAD, "operationId")],
        },
        Case {
            rule: "request-parameter-added-required",
            document: "salesmap",
            edit: |_, d| {
                d.pointer_mut("/paths/~1v2~1people/post/parameters")
                    .unwrap()
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"name": "X-Team", "in": "header", "required": true,
                        "description": "The team.", "schema": {"type": "string"}}));
            },
            expected: &[(
                "request-parameter-added-required",
                PEOPLE,
                "parameter.header.X-Team",
            )],
        },
        Case {
            rule: "request-parameter-became-required",
            document: "bigchange",
            edit: |_, d| {
                at(d, "/components/parameters/IdempotencyKey")
                    .insert("required".into(), json!(true));
            },
            expected: &[(
                "request-parameter-became-required",
                PERSON,
                "parameter.header.Idempotency-Key",
            )],
        },
        Case {
            rule: "request-parameter-removed",
            document: "bigchange",
            edit: |_, d| {
                d.pointer_mut(&format!("{BIGCHANGE_OP}/parameters"))
                    .unwrap()
                    .as_array_mut()
                    .unwrap()
                    .retain(|p| p["name"] != "Customer-Id");
            },
            expected: &[(
                "request-parameter-removed",
                PERSON,
                "parameter.header.Customer-Id",
            )],
        },
        Case {
            rule: "request-security-added",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/components/securitySchemes").insert(
                    "apiKey".into(),
                    json!({"type": "apiKey", "in": "header", "name": "X-Api-Key"}),
                );
                at(d, "/paths/~1v2~1people/post")
                    .insert("security".into(), json!([{"bearerAuth": [], "apiKey": []}]));
            },
            expected: &[("request-security-added", PEOPLE, "security")],
        },
        Case {
            rule: "request-scope-added",
            document: "bigchange",
            edit: |_, d| {
                at(d, BIGCHANGE_OP).insert(
                    "x-required-scopes".into(),
                    json!(["contacts:persons:write", "contacts:admin"]),
                );
            },
            expected: &[("request-scope-added", PERSON, "x-required-scopes")],
        },
        Case {
            rule: "request-security-scheme-changed",
            document: "introzy",
            edit: |_, d| {
                at(d, "/components/securitySchemes/bearerAuth")
                    .insert("scheme".into(), json!("basic"));
            },
            expected: &[(
                "request-security-scheme-changed",
                INTROZY,
                "securitySchemes.bearerAuth",
            )],
        },
        Case {
            rule: "request-body-became-required",
            document: "introzy",
            edit: |old, _| {
                at(old, "/paths/~1api~1people/post/requestBody")
                    .insert("required".into(), json!(false));
            },
            expected: &[("request-body-became-required", INTROZY, "request")],
        },
        Case {
            rule: "request-body-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/paths/~1v2~1lead/post").remove("requestBody");
            },
            expected: &[("request-body-removed", LEAD, "request")],
        },
        Case {
            rule: "request-media-type-removed",
            document: "maiascore",
            edit: |_, d| {
                at(d, "/paths/~1customers/post/requestBody/content").remove("application/xml");
            },
            expected: &[("request-media-type-removed", CUSTOMER, "request")],
        },
        Case {
            rule: "request-property-added-required",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{PEOPLE_REQUEST}/properties"))
                    .insert("nickname".into(), json!({"type": "string"}));
                push_required(d, PEOPLE_REQUEST, "nickname");
            },
            expected: &[(
                "request-property-added-required",
                PEOPLE,
                "request.nickname",
            )],
        },
        Case {
            rule: "request-property-became-required",
            document: "salesmap",
            edit: |_, d| push_required(d, PEOPLE_REQUEST, "memo"),
            expected: &[("request-property-became-required", PEOPLE, "request.memo")],
        },
        Case {
            rule: "request-property-removed-refused",
            document: "salesmap",
            edit: |old, d| {
                at(old, LEAD_REQUEST).insert("additionalProperties".into(), json!(false));
                at(d, LEAD_REQUEST).insert("additionalProperties".into(), json!(false));
                at(d, &format!("{LEAD_REQUEST}/properties")).remove("memo");
            },
            expected: &[("request-property-removed-refused", LEAD, "request.memo")],
        },
        Case {
            rule: "request-property-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{LEAD_REQUEST}/properties")).remove("memo");
            },
            expected: &[("request-property-removed", LEAD, "request.memo")],
        },
        Case {
            rule: "request-additional-properties-restricted",
            document: "introzy",
            edit: |_, d| {
                at(d, &format!("{INTROZY_REQUEST}/properties/customFields"))
                    .insert("additionalProperties".into(), json!({"type": "string"}));
            },
            expected: &[(
                "request-additional-properties-restricted",
                INTROZY,
                "request.customFields",
            )],
        },
        Case {
            rule: "request-type-changed",
            document: "bigchange",
            edit: |_, d| {
                at(d, &format!("{CUSTOM_FIELD}/properties/value"))
                    .insert("type".into(), json!("integer"));
            },
            expected: &[(
                "request-type-changed",
                PERSON,
                "request.customFields.items.value",
            )],
        },
        Case {
            rule: "request-format-changed",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{LEAD_REQUEST}/properties/peopleId"))
                    .insert("format".into(), json!("uuid"));
            },
            expected: &[("request-format-changed", LEAD, "request.peopleId")],
        },
        Case {
            rule: "request-nullable-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{PEOPLE_REQUEST}/properties/memo")).remove("nullable");
            },
            expected: &[("request-nullable-removed", PEOPLE, "request.memo")],
        },
        Case {
            rule: "request-enum-added",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{LEAD_REQUEST}/properties/memo"))
                    .insert("enum".into(), json!(["hot", "cold", null]));
            },
            expected: &[("request-enum-added", LEAD, "request.memo")],
        },
        Case {
            rule: "request-enum-value-removed",
            document: "salesmap",
            edit: |old, d| {
                at(old, &format!("{LEAD_REQUEST}/properties/memo"))
                    .insert("enum".into(), json!(["hot", "warm", "cold"]));
                at(d, &format!("{LEAD_REQUEST}/properties/memo"))
                    .insert("enum".into(), json!(["cold", "hot"]));
            },
            expected: &[("request-enum-value-removed", LEAD, "request.memo")],
        },
        Case {
            rule: "request-pattern-changed",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{PEOPLE_REQUEST}/properties/name"))
                    .insert("pattern".into(), json!("^[A-Z]"));
            },
            expected: &[("request-pattern-changed", PEOPLE, "request.name")],
        },
        Case {
            rule: "request-max-length-lowered",
            document: "introzy",
            edit: |_, d| {
                at(d, &format!("{INTROZY_REQUEST}/properties/firstName"))
                    .insert("maxLength".into(), json!(50));
            },
            expected: &[("request-max-length-lowered", INTROZY, "request.firstName")],
        },
        Case {
            rule: "request-min-length-raised",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{LEAD_REQUEST}/properties/name"))
                    .insert("minLength".into(), json!(2));
            },
            expected: &[("request-min-length-raised", LEAD, "request.name")],
        },
        Case {
            rule: "request-maximum-lowered",
            document: "bigchange",
            edit: |_, d| {
                at(d, &format!("{CUSTOM_FIELD}/properties/definitionId"))
                    .insert("maximum".into(), json!(1000));
            },
            expected: &[(
                "request-maximum-lowered",
                PERSON,
                "request.customFields.items.definitionId",
            )],
        },
        Case {
            rule: "request-minimum-raised",
            document: "bigchange",
            edit: |_, d| {
                at(d, &format!("{PERSON_MODEL}/properties/contactId"))
                    .insert("minimum".into(), json!(1));
            },
            expected: &[("request-minimum-raised", PERSON, "request.contactId")],
        },
        Case {
            rule: "request-bound-made-exclusive",
            document: "bigchange",
            edit: |old, d| {
                at(old, &format!("{PERSON_MODEL}/properties/contactId"))
                    .insert("minimum".into(), json!(0));
                let id = at(d, &format!("{PERSON_MODEL}/properties/contactId"));
                id.insert("minimum".into(), json!(0));
                id.insert("exclusiveMinimum".into(), json!(true));
            },
            expected: &[("request-bound-made-exclusive", PERSON, "request.contactId")],
        },
        Case {
            rule: "request-multiple-of-changed",
            document: "bigchange",
            edit: |_, d| {
                at(d, &format!("{PERSON_MODEL}/properties/contactId"))
                    .insert("multipleOf".into(), json!(2));
            },
            expected: &[("request-multiple-of-changed", PERSON, "request.contactId")],
        },
        Case {
            rule: "request-max-items-lowered",
            document: "bigchange",
            edit: |_, d| {
                at(d, &format!("{PERSON_MODEL}/properties/customFields"))
                    .insert("maxItems".into(), json!(10));
            },
            expected: &[("request-max-items-lowered", PERSON, "request.customFields")],
        },
        Case {
            rule: "request-min-items-raised",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{PEOPLE_REQUEST}/properties/fieldList"))
                    .insert("minItems".into(), json!(1));
            },
            expected: &[("request-min-items-raised", PEOPLE, "request.fieldList")],
        },
        Case {
            rule: "request-unique-items-added",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{PEOPLE_REQUEST}/properties/fieldList"))
                    .insert("uniqueItems".into(), json!(true));
            },
            expected: &[("request-unique-items-added", PEOPLE, "request.fieldList")],
        },
        Case {
            rule: "request-max-properties-lowered",
            document: "introzy",
            edit: |_, d| {
                at(d, &format!("{INTROZY_REQUEST}/properties/customFields"))
                    .insert("maxProperties".into(), json!(20));
            },
            expected: &[(
                "request-max-properties-lowered",
                INTROZY,
                "request.customFields",
            )],
        },
        Case {
            rule: "request-min-properties-raised",
            document: "introzy",
            edit: |_, d| {
                at(d, &format!("{INTROZY_REQUEST}/properties/customFields"))
                    .insert("minProperties".into(), json!(1));
            },
            expected: &[(
                "request-min-properties-raised",
                INTROZY,
                "request.customFields",
            )],
        },
        Case {
            rule: "request-composition-narrowed",
            document: "bigchange",
            edit: |old, d| {
                let value = format!("{CUSTOM_FIELD}/properties/value");
                *old.pointer_mut(&value).unwrap() =
                    json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
                *d.pointer_mut(&value).unwrap() = json!({"oneOf": [{"type": "string"}]});
            },
            expected: &[(
                "request-composition-narrowed",
                PERSON,
                "request.customFields.items.value",
            )],
        },
        Case {
            rule: "response-success-status-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/paths/~1v2~1people/post/responses").remove("201");
            },
            expected: &[("response-success-status-removed", PEOPLE, "response.201")],
        },
        Case {
            rule: "response-error-status-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/paths/~1v2~1lead/post/responses").remove("404");
            },
            expected: &[("response-error-status-removed", LEAD, "response.404")],
        },
        Case {
            rule: "response-success-status-added",
            document: "salesmap",
            edit: |_, d| {
                let responses = at(d, "/paths/~1v2~1people/post/responses");
                let created = responses["201"].clone();
                responses.insert("200".into(), created);
            },
            expected: &[("response-success-status-added", PEOPLE, "response.200")],
        },
        Case {
            rule: "response-header-removed",
            document: "bigchange",
            edit: |_, d| {
                at(d, &format!("{BIGCHANGE_OP}/responses/503/headers")).remove("Retry-After");
            },
            expected: &[(
                "response-header-removed",
                PERSON,
                "response.503.header.Retry-After",
            )],
        },
        Case {
            rule: "response-header-became-optional",
            document: "bigchange",
            edit: |old, _| {
                at(
                    old,
                    &format!("{BIGCHANGE_OP}/responses/503/headers/Retry-After"),
                )
                .insert("required".into(), json!(true));
            },
            expected: &[(
                "response-header-became-optional",
                PERSON,
                "response.503.header.Retry-After",
            )],
        },
        Case {
            rule: "response-media-type-removed",
            document: "bigchange",
            edit: |_, d| {
                let content = at(d, &format!("{BIGCHANGE_OP}/responses/422/content"));
                let problem = content.remove("application/problem+json").unwrap();
                content.insert("application/json".into(), problem);
            },
            // A media type changed: the old one removed, a new one added.
            expected: &[
                ("response-media-type-added", PERSON, "response.422"),
                ("response-media-type-removed", PERSON, "response.422"),
            ],
        },
        Case {
            rule: "response-media-type-added",
            document: "maiascore",
            edit: |_, d| {
                let content = at(d, "/paths/~1customers/post/responses/200/content");
                let json_body = content["application/json"].clone();
                content.insert("application/xml".into(), json_body);
            },
            expected: &[("response-media-type-added", CUSTOMER, "response.200")],
        },
        Case {
            rule: "response-property-removed",
            document: "salesmap",
            edit: |_, d| {
                at(d, "/components/schemas/PeopleSummary/properties").remove("createdAt");
                at(d, "/components/schemas/PeopleSummary")
                    .insert("required".into(), json!(["id", "name"]));
            },
            expected: &[(
                "response-property-removed",
                PEOPLE,
                "response.201.data.people.createdAt",
            )],
        },
        Case {
            rule: "response-property-became-optional",
            document: "salesmap",
            edit: |_, d| {
                at(d, LEAD_SUMMARY).insert("required".into(), json!(["id", "name"]));
            },
            expected: &[(
                "response-property-became-optional",
                LEAD,
                "response.201.data.lead.createdAt",
            )],
        },
        Case {
            rule: "response-became-nullable",
            document: "salesmap",
            edit: |_, d| {
                at(d, &format!("{LEAD_SUMMARY}/properties/name"))
                    .insert("nullable".into(), json!(true));
            },
            expected: &[(
                "response-became-nullable",
                LEAD,
                "response.201.data.lead.name",
            )],
        },
        Case {
            rule: "response-type-changed",
            document: "maiascore",
            edit: |_, d| {
                at(d, "/components/schemas/Customer/properties/id")
                    .insert("type".into(), json!("integer"));
            },
            expected: &[("response-type-changed", CUSTOMER, "response.200.id")],
        },
        Case {
            rule: "response-format-changed",
            document: "introzy",
            edit: |_, d| {
                at(d, "/components/schemas/Person/properties/createdAt").remove("format");
            },
            expected: &[(
                "response-format-changed",
                INTROZY,
                "response.201.data.createdAt",
            )],
        },
        Case {
            rule: "response-composition-widened",
            document: "maiascore",
            edit: |old, d| {
                let gender = "/components/schemas/Customer/properties/gender";
                *old.pointer_mut(gender).unwrap() = json!({"oneOf": [{"type": "string"}]});
                *d.pointer_mut(gender).unwrap() =
                    json!({"oneOf": [{"type": "string"}, {"type": "integer"}]});
            },
            expected: &[(
                "response-composition-widened",
                CUSTOMER,
                "response.200.gender",
            )],
        },
        Case {
            rule: "response-enum-value-added",
            document: "maiascore",
            edit: |old, d| {
                let gender = "/components/schemas/Customer/properties/gender";
                at(old, gender).insert("enum".into(), json!(["male", "female", null]));
                at(d, gender).insert("enum".into(), json!(["male", "female", "other", null]));
            },
            expected: &[("response-enum-value-added", CUSTOMER, "response.200.gender")],
        },
        Case {
            rule: "response-constraint-relaxed",
            document: "salesmap",
            edit: |old, _| {
                at(old, &format!("{LEAD_SUMMARY}/properties/name"))
                    .insert("maxLength".into(), json!(100));
            },
            expected: &[(
                "response-constraint-relaxed",
                LEAD,
                "response.201.data.lead.name",
            )],
        },
    ]
}

#[test]
fn every_rule_reports_its_edit_exactly() {
    let mut failures = Vec::new();
    for case in cases() {
        let mut old = document(case.document);
        let mut new = old.clone();
        (case.edit)(&mut old, &mut new);
        let got = findings(&old, &new);
        let mut expected: Vec<(String, String, String)> = case
            .expected
            .iter()
            .map(|(r, o, p)| (r.to_string(), o.to_string(), p.to_string()))
            .collect();
        expected.sort();
        if got != expected {
            failures.push(format!(
                "{} on {}: expected {expected:?}\n    got {got:?}",
                case.rule, case.document
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_case_and_every_case_a_rule() {
    let table: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
    assert_eq!(table.len(), RULES.len(), "a rule id is listed twice");
    let covered: BTreeSet<&str> = cases().iter().map(|c| c.rule).collect();
    let untested: Vec<_> = table.difference(&covered).collect();
    let unknown: Vec<_> = covered.difference(&table).collect();
    assert!(untested.is_empty(), "rules without a case: {untested:?}");
    assert!(unknown.is_empty(), "cases of no rule: {unknown:?}");
    for case in cases() {
        assert!(
            case.expected.iter().any(|(rule, _, _)| *rule == case.rule),
            "the case of {} does not expect its own rule",
            case.rule
        );
    }
}

#[test]
fn harmless_edits_are_not_findings() {
    type Edit = (&'static str, &'static str, fn(&mut Value));
    let edits: &[Edit] = &[
        ("a new optional request property", "salesmap", |d| {
            at(d, &format!("{PEOPLE_REQUEST}/properties")).insert(
                "nickname".into(),
                json!({"type": "string", "nullable": true}),
            );
        }),
        ("a new response property", "salesmap", |d| {
            at(d, "/components/schemas/PeopleSummary/properties")
                .insert("email".into(), json!({"type": "string"}));
            push_required(d, "/components/schemas/PeopleSummary", "email");
        }),
        ("descriptions", "salesmap", |d| {
            at(d, "/paths/~1v2~1people/post").insert("description".into(), json!("Other words."));
            at(d, &format!("{PEOPLE_REQUEST}/properties/memo"))
                .insert("description".into(), json!("Other words."));
        }),
        ("an example", "salesmap", |d| {
            at(
                d,
                "/paths/~1v2~1people/post/requestBody/content/application~1json",
            )
            .insert("example".into(), json!({"name": "김철수"}));
        }),
        ("a request limit relaxed", "introzy", |d| {
            at(d, &format!("{INTROZY_REQUEST}/properties/firstName"))
                .insert("maxLength".into(), json!(200));
            at(d, &format!("{INTROZY_REQUEST}/properties/firstName")).remove("pattern");
        }),
        (
            "a request property made optional and nullable",
            "bigchange",
            |d| {
                at(d, PERSON_MODEL).insert("required".into(), json!(["contactId", "forename"]));
                at(d, &format!("{PERSON_MODEL}/properties/surname"))
                    .insert("nullable".into(), json!(true));
            },
        ),
        (
            "a new operation, a new error status, a response property made required",
            "salesmap",
            |d| {
                let lead = d.pointer("/paths/~1v2~1lead/post").cloned().unwrap();
                let mut copy = lead.clone();
                copy["operationId"] = json!("salesmap_create_deal");
                at(d, "/paths").insert("/v2/deal".into(), json!({"post": copy}));
                let responses = at(d, "/paths/~1v2~1people/post/responses");
                let bad = responses["400"].clone();
                responses.insert("409".into(), bad);
                push_required(d, LEAD_SUMMARY, "peopleId");
            },
        ),
        (
            "security dropped, a response header added",
            "bigchange",
            |d| {
                at(d, BIGCHANGE_OP).insert("x-required-scopes".into(), json!([]));
                at(d, &format!("{BIGCHANGE_OP}/responses/201")).insert(
                "headers".into(),
                json!({"Location": {"description": "The person.", "schema": {"type": "string"}}}),
            );
            },
        ),
    ];
    for (what, name, edit) in edits {
        let old = document(name);
        let mut new = old.clone();
        edit(&mut new);
        let (found, compatible) = breaking::findings(&old, &new);
        let lines: Vec<String> = found.iter().map(|f| f.line()).collect();
        assert_eq!(lines, Vec::<String>::new(), "{what} on {name}");
        let prose_only = matches!(*what, "descriptions" | "an example");
        assert_eq!(
            compatible == 0,
            prose_only,
            "{what}: {compatible} compatible changes (prose is not compared)"
        );
    }
}

/// The breaking edit the README shows: a new required request property.
fn nickname_required(doc: &mut Value) {
    at(doc, &format!("{PEOPLE_REQUEST}/properties")).insert(
        "nickname".into(),
        json!({"description": "How the customer likes to be called.", "type": "string"}),
    );
    push_required(doc, PEOPLE_REQUEST, "nickname");
}

const NICKNAME_LINE: &str = "  BREAKING request-property-added-required POST /v2/people \
(salesmap_create_people) request.nickname: optional in baseline, required in current; old \
requests do not send it [openapi/salesmap.yaml#/components/schemas/CreatePeopleRequest/required]";

#[test]
fn a_finding_names_the_rule_the_operation_and_where_to_edit() {
    let old = document("salesmap");
    let mut new = old.clone();
    nickname_required(&mut new);
    let report = breaking::compare_document(
        "openapi/salesmap.yaml",
        Some(("openapi/released/salesmap.yaml", &old)),
        Some(&new),
    )
    .unwrap();
    let text = breaking::text_report(&report, true);
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "openapi/salesmap.yaml: FAIL against openapi/released/salesmap.yaml (breaking 1, \
             warnings 0, compatible 1): info.version 2.0.0 keeps the major of 2.0.0; undo the \
             breaking change or raise it to 3.0.0",
            NICKNAME_LINE,
        ]
    );
}

#[test]
fn a_raised_major_accepts_breaking_changes_and_a_minor_does_not() {
    let old = document("salesmap");
    let mut new = old.clone();
    nickname_required(&mut new);
    let verdict = |version: &str| {
        let mut new = new.clone();
        new["info"]["version"] = json!(version);
        breaking::compare_document("openapi/salesmap.yaml", Some(("base", &old)), Some(&new))
            .unwrap()
    };
    for version in ["2.0.0", "2.1.0", "2.0.1"] {
        let report = verdict(version);
        assert!(!report.passed && !report.major_raised, "{version}");
        assert_eq!(report.breaking(), 1, "{version}");
    }
    let accepted = verdict("3.0.0");
    assert!(accepted.passed && accepted.major_raised);
    assert_eq!(accepted.breaking(), 1, "still reported");
    let text = breaking::text_report(&accepted, true);
    assert!(
        text.starts_with(
            "openapi/salesmap.yaml: ok against base (breaking 1, warnings 0, compatible 1): \
             accepted, info.version 2.0.0 -> 3.0.0 raises the major\n  accepted \
             request-property-added-required POST /v2/people (salesmap_create_people) \
             request.nickname:"
        ),
        "{text}"
    );
    let mut bad = new.clone();
    bad["info"]["version"] = json!("3");
    let err = breaking::compare_document("openapi/salesmap.yaml", Some(("base", &old)), Some(&bad))
        .unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "openapi/salesmap.yaml: info.version `3` is not a semantic version (MAJOR.MINOR.PATCH): \
         unexpected end of input while parsing major version number"
    );
}

#[test]
fn json_lists_every_finding_for_other_tools() {
    let old = document("bigchange");
    let mut new = old.clone();
    at(&mut new, &format!("{BIGCHANGE_OP}/responses")).remove("413");
    let title = "/components/schemas/ProblemDetails/properties/title";
    at(&mut new, title).insert("nullable".into(), json!(true));
    let report = breaking::compare_document(
        "openapi/bigchange.yaml",
        Some(("openapi/released/bigchange.yaml", &old)),
        Some(&new),
    )
    .unwrap();
    let rendered = breaking::render(&[report], Format::Json, true);
    let value: Value = serde_json::from_str(&rendered).unwrap();
    assert_eq!(value["passed"], json!(false));
    let doc = &value["documents"][0];
    assert_eq!(doc["document"], "openapi/bigchange.yaml");
    assert_eq!(doc["baseline"], "openapi/released/bigchange.yaml");
    assert_eq!(doc["baseVersion"], "1.0.0");
    assert_eq!(doc["version"], "1.0.0");
    assert_eq!(doc["majorRaised"], false);
    assert_eq!(doc["passed"], false);
    let findings = doc["findings"].as_array().unwrap();
    // ProblemDetails is every error's body: each error status reports it.
    assert_eq!(findings.len(), 9, "{findings:#?}");
    assert_eq!(
        findings[0],
        json!({
            "severity": "breaking",
            "rule": "response-became-nullable",
            "direction": "read",
            "operation": {"method": "POST", "path": "/v1/contacts/persons",
                          "operationId": "bigchange_create_person"},
            "path": "response.400.title",
            "message": "nullable false in baseline, true in current",
            "why": "clients do not expect null",
            "current": "/components/schemas/ProblemDetails/properties/title/nullable",
            "baseline": "/components/schemas/ProblemDetails/properties/title",
        })
    );
    let removed: Vec<&Value> = findings
        .iter()
        .filter(|f| f["rule"] == "response-error-status-removed")
        .collect();
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0]["path"], "response.413");
    assert_eq!(
        removed[0]["baseline"],
        "/paths/~1v1~1contacts~1persons/post/responses/413"
    );
}

// The command itself, on copies of the project.

fn copy_documents(to: &Path) {
    let from = xtask::project_root().join("openapi");
    std::fs::create_dir_all(to.join("openapi")).unwrap();
    for entry in std::fs::read_dir(&from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join("openapi").join(path.file_name().unwrap())).unwrap();
        }
    }
}

fn write_yaml(path: &Path, doc: &Value) {
    std::fs::write(path, serde_yaml::to_string(doc).unwrap()).unwrap();
}

/// `cargo xtask breaking ARGS --root ROOT`: (exit code, stdout).
fn gate(root: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("breaking")
        .args(args)
        .arg("--root")
        .arg(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "stderr: {stderr}");
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

#[test]
fn the_checked_in_documents_pass_the_gate_against_their_releases() {
    let reports = breaking::check(&xtask::project_root(), &Base::Released).unwrap();
    let names: Vec<&str> = reports.iter().map(|r| r.document.as_str()).collect();
    assert_eq!(
        names,
        [
            "openapi/bigchange.yaml",
            "openapi/introzy.yaml",
            "openapi/maiascore.yaml",
            "openapi/salesmap.yaml"
        ],
        "every document has a released snapshot"
    );
    let failing: Vec<String> = reports
        .iter()
        .filter(|r| !r.passed || r.baseline.is_none())
        .map(|r| breaking::text_report(r, true))
        .collect();
    assert!(
        failing.is_empty(),
        "`cargo xtask breaking` fails:\n{}",
        failing.concat()
    );
}

#[test]
fn the_command_fails_on_a_breaking_edit_and_prints_its_line() {
    let dir = tempfile::tempdir().unwrap();
    copy_documents(dir.path());
    // Released: the documents as they are.
    let (code, out) = gate(dir.path(), &["--release"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out.lines().count(), 4, "{out}");
    let (code, out) = gate(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "openapi/salesmap.yaml: ok against openapi/released/salesmap.yaml (breaking 0, \
             warnings 0, compatible 0)\n"
        ),
        "{out}"
    );

    let current = dir.path().join("openapi/salesmap.yaml");
    let mut doc = xtask::read_yaml(&current).unwrap();
    nickname_required(&mut doc);
    write_yaml(&current, &doc);
    let (code, out) = gate(dir.path(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.lines().any(|l| l == NICKNAME_LINE), "{out}");
    assert!(out.contains("The breaking-change gate failed"), "{out}");

    let (code, out) = gate(dir.path(), &["--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let value: Value = serde_json::from_str(&out).unwrap();
    let salesmap = &value["documents"][3];
    assert_eq!(
        salesmap["findings"][0]["rule"],
        "request-property-added-required"
    );
    assert_eq!(salesmap["findings"][0]["path"], "request.nickname");

    // Not released while it breaks clients under the same major.
    let (code, out) = gate(dir.path(), &["--release"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("Nothing was released:\n"), "{out}");

    doc["info"]["version"] = json!("3.0.0");
    write_yaml(&current, &doc);
    let (code, out) = gate(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("accepted, info.version 2.0.0 -> 3.0.0 raises the major"),
        "{out}"
    );
    let (code, out) = gate(dir.path(), &["--release"]);
    assert_eq!(
        (code, out.as_str()),
        (
            0,
            "openapi/salesmap.yaml: released as 3.0.0 in openapi/released/\n"
        )
    );
    assert_eq!(
        std::fs::read_to_string(&current).unwrap(),
        std::fs::read_to_string(dir.path().join("openapi/released/salesmap.yaml")).unwrap()
    );
    let (code, out) = gate(dir.path(), &[]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(
            "openapi/salesmap.yaml: ok against openapi/released/salesmap.yaml (breaking 0,"
        ),
        "{out}"
    );
}

#[test]
fn release_wants_a_raised_version_for_any_change() {
    let dir = tempfile::tempdir().unwrap();
    copy_documents(dir.path());
    assert_eq!(gate(dir.path(), &["--release"]).0, 0);
    let current = dir.path().join("openapi/introzy.yaml");
    let mut doc = xtask::read_yaml(&current).unwrap();
    at(&mut doc, "/info").insert("description".into(), json!("Reworded."));
    write_yaml(&current, &doc);
    let (code, out) = gate(dir.path(), &["--release"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "Nothing was released:\n  openapi/introzy.yaml changed since its release 1.0.0, but \
         info.version is 1.0.0: raise it (the patch for prose, the minor for additions, the \
         major for breaking changes)\n"
    );
    doc["info"]["version"] = json!("1.0.1");
    write_yaml(&current, &doc);
    assert_eq!(
        gate(dir.path(), &["--release"]),
        (
            0,
            "openapi/introzy.yaml: released as 1.0.1 in openapi/released/\n".to_owned()
        )
    );
    // A removed document is refused, and the gate fails on its operations.
    std::fs::remove_file(&current).unwrap();
    let (code, out) = gate(dir.path(), &[]);
    assert_eq!(code, 1);
    assert!(
        out.contains(
            "openapi/introzy.yaml: FAIL: removed; openapi/released/introzy.yaml is its release \
             1.0.1\n  BREAKING path-removed POST /api/people (introzy_create_person): operation \
             in baseline, not in current; every call to this path fails \
             [openapi/released/introzy.yaml#/paths/~1api~1people/post]\n"
        ),
        "{out}"
    );
    let (code, out) = gate(dir.path(), &["--release"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("openapi/introzy.yaml is gone but was released"),
        "{out}"
    );
}

#[test]
fn base_compares_with_the_documents_at_a_git_ref() {
    let dir = tempfile::tempdir().unwrap();
    copy_documents(dir.path());
    let git = |args: &[&str]| {
        let status = Command::new("git")
            .args(["-c", "user.name=gate", "-c", "user.email=gate@example.com"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "git {args:?}: {status:?}");
    };
    git(&["init", "--quiet"]);
    git(&["add", "openapi"]);
    git(&["commit", "--quiet", "-m", "documents"]);
    let current = dir.path().join("openapi/bigchange.yaml");
    let mut doc = xtask::read_yaml(&current).unwrap();
    at(&mut doc, &format!("{BIGCHANGE_OP}/parameters/1")).insert("required".into(), json!(false));
    at(&mut doc, &format!("{PERSON_MODEL}/properties/title")).remove("nullable");
    write_yaml(&current, &doc);
    git(&["commit", "--quiet", "-am", "title not nullable"]);

    let (code, out) = gate(dir.path(), &["--base", "HEAD~1"]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<&str> = out.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(
        lines,
        [
            "  BREAKING request-nullable-removed POST /v1/contacts/persons \
          (bigchange_create_person) request.title: nullable true in baseline, false in current; \
          old requests may send null \
          [openapi/bigchange.yaml#/components/schemas/CreatePersonModel/properties/title]"
        ]
    );
    assert!(
        out.contains("openapi/bigchange.yaml: FAIL against HEAD~1:openapi/bigchange.yaml ("),
        "{out}"
    );
    assert_eq!(gate(dir.path(), &["--base", "HEAD"]).0, 0);
    let err = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["breaking", "--base", "no-such-ref", "--root"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(err.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&err.stderr)
            .starts_with("error: git ls-tree --name-only no-such-ref openapi/ failed: "),
        "{err:?}"
    );
}

// Number fields hold the number the request gave, digit for digit, or refuse it
// naming the field: through a real server, for every operation that sets a number
// field (SalesMap's `numberValue` for people and leads, Introzy's and BigChange's
// custom fields), reading the stored `field_values` row.

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_testkit::{Family, Fixtures, Operation, OPERATIONS};
use serde_json::{json, Value};

/// Stands for the number in a body, replaced in its text: a `serde_json::Value`
/// would round the very numbers under test.
const NUMBER: &str = "@@number@@";

/// The number field definitions of a tenant (person and lead), all named 예산.
struct Budget {
    person: i64,
    lead: i64,
}

/// `op`'s valid body, as text, with `literal` as the value of its number field,
/// and where that field is in the request (as errors name it); `None` for the
/// operations that set no number field.
fn with_number(
    op: &Operation,
    suffix: &str,
    fx: &Fixtures,
    budget: &Budget,
    literal: &str,
) -> Option<(String, String)> {
    let mut body = (op.body)(suffix, fx);
    let path = match op.operation_id {
        "salesmap_create_people" | "salesmap_create_lead" => {
            let mut list = body["fieldList"].as_array().cloned().unwrap_or_default();
            list.push(json!({"name": "예산", "numberValue": NUMBER}));
            let path = format!("fieldList[{}] (예산)", list.len() - 1);
            body["fieldList"] = Value::Array(list);
            path
        }
        "introzy_create_person" => {
            body["customFields"] = json!({"cf_budget": NUMBER});
            "customFields.cf_budget".to_owned()
        }
        "bigchange_create_person" => {
            // BigChange sends every custom value as a string.
            body["customFields"] = json!([{"definitionId": budget.person, "value": NUMBER}]);
            "customFields[0]".to_owned()
        }
        _ => return None,
    };
    let quoted = format!("\"{NUMBER}\"");
    let text = if op.family == Family::BigChange {
        body.to_string().replace(NUMBER, literal)
    } else {
        body.to_string().replace(&quoted, literal)
    };
    Some((text, path))
}

fn number_operations() -> Vec<&'static Operation> {
    let fx = Fixtures {
        workspace_id: 0,
        contact_id: 0,
        organization_uuid: String::new(),
    };
    let none = Budget { person: 0, lead: 0 };
    let ops: Vec<&Operation> = OPERATIONS
        .iter()
        .filter(|op| with_number(op, "", &fx, &none, "1").is_some())
        .collect();
    let ids: Vec<&str> = ops.iter().map(|op| op.operation_id).collect();
    assert_eq!(
        ids,
        [
            "salesmap_create_people",
            "salesmap_create_lead",
            "introzy_create_person",
            "bigchange_create_person"
        ]
    );
    ops
}

async fn setup(server: &TestServer) -> (Tenant, Fixtures, Budget) {
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let budget = Budget {
        person: server
            .field(&t, "person", "예산", "cf_budget", "number", &[])
            .await,
        lead: server
            .field(&t, "lead", "예산", "cf_lead_budget", "number", &[])
            .await,
    };
    (t, fx, budget)
}

/// The stored value of the number field of the record `op` made.
fn stored(server: &TestServer, op: &Operation, budget: &Budget, id: &str) -> String {
    let table = (op.stored)("").table;
    let definition = if table == "leads" {
        budget.lead
    } else {
        budget.person
    };
    server.db().value(
        &format!(
            "SELECT v.value FROM field_values v JOIN {table} r ON r.id = v.record_id
                 WHERE r.uuid = ?1 AND v.definition_id = ?2"
        ),
        &[&id, &definition],
    )
}

async fn numbers_are_stored_and_echoed_exactly(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let (t, fx, budget) = setup(&server).await;
    // (given, stored): integers stay integers, decimals keep their value.
    let cases = [
        ("9007199254740993", "9007199254740993"),
        ("50000", "50000"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("18446744073709551615", "18446744073709551615"),
        ("50000.5", "50000.5"),
        ("0.1", "0.1"),
        ("1.50", "1.5"),
    ];
    for op in number_operations() {
        for (i, (given, expected)) in cases.iter().enumerate() {
            let (body, _) =
                with_number(op, &format!("{}-{i}", op.operation_id), &fx, &budget, given).unwrap();
            let (status, answer) = server
                .create(op, Some(&t.token), &fx, &[], "application/json", body)
                .await;
            assert_eq!(status, op.success, "{} {given}: {answer}", op.name());
            let id = op.created_id(&answer).unwrap();
            assert_eq!(
                stored(&server, op, &budget, id),
                *expected,
                "{} {given}",
                op.name()
            );
            if op.family == Family::Introzy {
                // The answer echoes the stored number (50000, not 50000.0).
                assert_eq!(
                    answer["data"]["customFields"]["cf_budget"].to_string(),
                    *expected,
                    "{given}"
                );
            }
        }
    }
    server.stop().await;
}
each_backend!(numbers_are_stored_and_echoed_exactly);

async fn numbers_that_cannot_be_held_exactly_are_refused_naming_the_field(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let (t, fx, budget) = setup(&server).await;
    let integers = "cannot be stored exactly: integers are held from -9223372036854775808 to 18446744073709551615";
    let decimals = "cannot be stored exactly: decimals are held to 15 significant digits, between about 1e-308 and 1e308";
    let cases = [
        ("99999999999999999999", integers),
        ("-9223372036854775809", integers),
        ("9007199254740993.0", decimals),
        ("0.10000000000000000001", decimals),
        ("1e400", decimals),
    ];
    let before: i64 = ["people", "leads", "field_values"]
        .iter()
        .map(|t| server.count(t))
        .sum();
    for op in number_operations() {
        for (i, (given, why)) in cases.iter().enumerate() {
            let (body, path) =
                with_number(op, &format!("{}-{i}", op.operation_id), &fx, &budget, given).unwrap();
            let got = server
                .create(op, Some(&t.token), &fx, &[], "application/json", body)
                .await;
            let message = format!("field '예산' is a number field; {given} {why}");
            let expected = match op.family {
                Family::BigChange => (
                    422,
                    json!({
                        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                        "title": "One or more validation errors occurred.",
                        "status": 422,
                        "detail": format!("{path}: {message}"),
                        "instance": op.path,
                        "errors": {path.as_str(): [message]}
                    }),
                ),
                _ => (
                    400,
                    json!({"success": false, "message": format!("{path}: {message}")}),
                ),
            };
            assert_eq!(got, expected, "{} {given}", op.name());
        }
    }
    let after: i64 = ["people", "leads", "field_values"]
        .iter()
        .map(|t| server.count(t))
        .sum();
    assert_eq!(after, before, "a refused create stores nothing");
    server.stop().await;
}
each_backend!(numbers_that_cannot_be_held_exactly_are_refused_naming_the_field);

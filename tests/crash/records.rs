//! The crash test's records (`tests/crash.rs`): the full body each create of the
//! load sends (every field its operation takes, its links, its custom values), the
//! record that body must leave in the database, and that record read back from the
//! database whole (SQLite or PostgreSQL, through `tests/common/db.rs`), so that a record stored
//! without a column, a link or a custom value fails the test like a missing one.

use super::db::{Cell, TestDb};
use crm_testkit::{Fixtures, Operation};
use rusqlite::Connection;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// The name of the organization every SalesMap create and BigChange person links
/// (the fixtures' organization).
pub const CONTACT: &str = "Crash Contact";

/// Custom fields the load's persons fill: (name, key, type, options). The fifth
/// value is the standard `최근 연락일` (a date every workspace has).
pub const PERSON_FIELDS: [(&str, &str, &str, &[&str]); 4] = [
    ("예산", "cf_budget", "number", &[]),
    ("등급", "cf_tier", "select", &["gold", "silver", "bronze"]),
    ("동의", "cf_consent", "boolean", &[]),
    ("메모 필드", "cf_note", "text", &[]),
];
const LAST_CONTACTED: (&str, &str) = ("최근 연락일", "last_contacted_at");

/// Custom fields the load's leads fill.
pub const LEAD_FIELDS: [(&str, &str, &str, &[&str]); 3] = [
    ("금액", "cf_amount", "number", &[]),
    ("출처", "cf_source", "text", &[]),
    ("마감일", "cf_due", "date", &[]),
];

/// What the load's bodies refer to, made before the load.
pub struct Setup {
    pub fx: Fixtures,
    /// Person custom field definition ids by key (BigChange names them by id),
    /// the standard `last_contacted_at` included.
    pub person_fields: BTreeMap<String, i64>,
    pub pipeline: String,
    pub stages: Vec<String>,
    /// A person every lead names (`peopleId`), beside the fixtures' organization.
    pub person: String,
}

/// The custom values the `n`-th create gives a person: by key, as stored.
fn person_values(n: u64, suffix: &str) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        // A number with a fraction, which must come back exactly.
        (
            "예산",
            "cf_budget",
            serde_json::from_str(&format!("{}.25", n * 10)).unwrap(),
        ),
        (
            "등급",
            "cf_tier",
            json!(["gold", "silver", "bronze"][n as usize % 3]),
        ),
        ("동의", "cf_consent", json!(n.is_multiple_of(2))),
        (
            "메모 필드",
            "cf_note",
            json!(format!("메모 {suffix} — ünï")),
        ),
        (
            LAST_CONTACTED.0,
            LAST_CONTACTED.1,
            json!(format!("2026-0{}-1{}", 1 + n % 9, n % 10)),
        ),
    ]
}

fn lead_values(n: u64, suffix: &str) -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("금액", "cf_amount", json!(n * 1000)),
        ("출처", "cf_source", json!(format!("출처 {suffix}"))),
        (
            "마감일",
            "cf_due",
            json!(format!("2027-1{}-0{}", n % 3, 1 + n % 9)),
        ),
    ]
}

/// SalesMap's typed value key for a stored value.
fn salesmap_field(name: &str, value: &Value) -> Value {
    let key = match value {
        Value::Number(_) => "numberValue",
        Value::Bool(_) => "booleanValue",
        Value::String(s) if s.starts_with("202") => "dateValue",
        _ => "stringValue",
    };
    json!({"name": name, key: value})
}

fn custom(values: &[(&str, &str, Value)]) -> Value {
    Value::Object(
        values
            .iter()
            .map(|(_, key, value)| ((*key).to_owned(), value.clone()))
            .collect(),
    )
}

/// The text of a value as BigChange sends every custom value.
fn lexical(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A MaiaScore customer's fields, as the request names them.
fn customer_fields(n: u64, suffix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("uuid", format!("vendor-{suffix}")),
        ("addressStreet", format!("Rua das Flores, {n}")),
        ("addressNeighborhood", "Centro".into()),
        ("addressCity", "São Paulo".into()),
        ("addressState", "SP".into()),
        ("addressCountry", "Brasil".into()),
        ("gender", ["male", "female", "other"][n as usize % 3].into()),
        (
            "maritalStatus",
            ["single", "married", "divorced", "widowed", "separated"][n as usize % 5].into(),
        ),
    ]
}

/// The `n`-th create's body: `op`'s valid body for `suffix` (which keeps its
/// unique value where `Operation::stored` finds it), with every field the
/// operation takes set.
pub fn body(op: &Operation, n: u64, suffix: &str, setup: &Setup) -> Value {
    let mut body = (op.body)(suffix, &setup.fx);
    match op.operation_id {
        "salesmap_create_people" => {
            let email = body["fieldList"][0].clone();
            let mut list = vec![
                email,
                json!({"name": "전화", "stringValue": format!("010-{n}")}),
                json!({"name": "포지션", "stringValue": format!("팀장 {suffix}")}),
            ];
            for (name, _, value) in person_values(n, suffix) {
                list.push(salesmap_field(name, &value));
            }
            body["fieldList"] = Value::Array(list);
            body["memo"] = json!(format!("memo {suffix}"));
            body["organizationId"] = json!(setup.fx.organization_uuid);
        }
        "salesmap_create_lead" => {
            let list = lead_values(n, suffix)
                .iter()
                .map(|(name, _, value)| salesmap_field(name, value))
                .collect();
            body["fieldList"] = Value::Array(list);
            body["memo"] = json!(format!("lead memo {suffix}"));
            body["peopleId"] = json!(setup.person);
            body["pipelineId"] = json!(setup.pipeline);
            body["pipelineStageId"] = json!(setup.stages[n as usize % setup.stages.len()]);
        }
        // Introzy links or creates the company by name: a few shared names keep
        // that write under concurrency too.
        "introzy_create_person" => {
            body["phoneNumber"] = json!(format!("+82 10 {n}"));
            body["address"] = json!(format!("서울 {suffix}"));
            body["companyName"] = json!(format!("Co {}", n % 7));
            body["customFields"] = custom(&person_values(n, suffix));
        }
        "bigchange_create_person" => {
            for (field, value) in [
                ("title", "Dr".to_owned()),
                ("mobile", format!("07700 {n}")),
                ("landline", format!("0161 {n}")),
                ("extension", format!("{}", n % 1000)),
                ("position", format!("Engineer {suffix}")),
                ("department", "Field Service".to_owned()),
            ] {
                body[field] = json!(value);
            }
            body["isOptedOut"] = json!(n % 2 == 1);
            body["customFields"] = person_values(n, suffix)
                .iter()
                .map(|(_, key, value)| {
                    json!({"definitionId": setup.person_fields[*key], "value": lexical(value)})
                })
                .collect();
        }
        "maiascore_create_customer" => {
            for (field, value) in customer_fields(n, suffix) {
                body[field] = json!(value);
            }
        }
        other => panic!("the crash test has no full body for {other}"),
    }
    body
}

/// The `n`-th create's body as `content_type` (MaiaScore takes three).
pub fn encode(body: &Value, content_type: &str) -> String {
    match content_type {
        "application/json" => body.to_string(),
        "application/x-www-form-urlencoded" => serde_urlencoded::to_string(body).unwrap(),
        "application/xml" => {
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<item>");
            for (name, value) in body.as_object().unwrap() {
                let text = value.as_str().expect("MaiaScore's values are strings");
                assert!(!text.contains(['<', '&']), "{text}");
                xml.push_str(&format!("<{name}>{text}</{name}>"));
            }
            xml + "</item>"
        }
        other => panic!("no encoding for {other}"),
    }
}

/// The record the `n`-th create must leave, in [`read_back`]'s form.
pub fn expected(op: &Operation, n: u64, suffix: &str, body: &Value) -> Value {
    let text = |field: &str| body[field].clone();
    match op.operation_id {
        "salesmap_create_people" => person(
            json!({
                "name": text("name"),
                "email": body["fieldList"][0]["stringValue"],
                "phone": format!("010-{n}"),
                "position": format!("팀장 {suffix}"),
                "memo": text("memo"),
                "organization": CONTACT,
            }),
            custom(&person_values(n, suffix)),
        ),
        "salesmap_create_lead" => json!({
            "name": text("name"),
            "memo": text("memo"),
            "person": text("peopleId"),
            "organization": CONTACT,
            "organization_workspace": 1,
            "person_workspace": 1,
            "pipeline": text("pipelineId"),
            "pipeline_workspace": 1,
            "stage": text("pipelineStageId"),
            "stage_in_pipeline": 1,
            "workspace": 1,
            "custom": custom(&lead_values(n, suffix)),
        }),
        "introzy_create_person" => person(
            json!({
                "name": format!("{} {}", body["firstName"].as_str().unwrap(), body["lastName"].as_str().unwrap()),
                "first_name": text("firstName"),
                "last_name": text("lastName"),
                "email": text("email"),
                "phone": text("phoneNumber"),
                "address": text("address"),
                "organization": text("companyName"),
            }),
            text("customFields"),
        ),
        "bigchange_create_person" => person(
            json!({
                "name": format!("{} {}", body["forename"].as_str().unwrap(), body["surname"].as_str().unwrap()),
                "first_name": text("forename"),
                "last_name": text("surname"),
                "email": text("email"),
                "title": text("title"),
                "mobile": text("mobile"),
                "landline": text("landline"),
                "extension": text("extension"),
                "position": text("position"),
                "department": text("department"),
                "is_opted_out": body["isOptedOut"].as_bool().unwrap() as i64,
                "organization": CONTACT,
            }),
            custom(&person_values(n, suffix)),
        ),
        "maiascore_create_customer" => json!({
            "vendor_uuid": text("uuid"),
            "reference_id": text("referenceId"),
            "date_of_birth": text("dateOfBirth"),
            "address_street": text("addressStreet"),
            "address_neighborhood": text("addressNeighborhood"),
            "address_city": text("addressCity"),
            "address_state": text("addressState"),
            "address_country": text("addressCountry"),
            "gender": text("gender"),
            "marital_status": text("maritalStatus"),
            "workspace": 1,
        }),
        other => panic!("the crash test has no expected record for {other}"),
    }
}

/// A person: `given` over every column unset, with its custom values.
fn person(given: Value, custom: Value) -> Value {
    let mut record: Map<String, Value> = PERSON_COLUMNS
        .iter()
        .map(|c| ((*c).to_owned(), Value::Null))
        .collect();
    for flag in PERSON_FLAGS {
        record.insert(flag.to_owned(), json!(0));
    }
    record.insert("workspace".into(), json!(1));
    for (k, v) in given.as_object().unwrap() {
        assert!(record.contains_key(k), "no person column {k}");
        record.insert(k.clone(), v.clone());
    }
    let linked = if record["organization"].is_null() {
        Value::Null
    } else {
        json!(1)
    };
    record.insert("organization_workspace".into(), linked);
    record.insert("custom".into(), custom);
    Value::Object(record)
}

const PERSON_COLUMNS: [&str; 14] = [
    "name",
    "first_name",
    "last_name",
    "email",
    "phone",
    "position",
    "memo",
    "title",
    "mobile",
    "landline",
    "extension",
    "department",
    "address",
    "organization",
];
const PERSON_FLAGS: [&str; 4] = [
    "is_opted_out",
    "is_connector",
    "is_solution_provider",
    "is_full_user",
];

/// A record's columns as [`read_back`] selects them: (name, expression), the
/// first its integer id.
const PERSON_SELECT: &[(&str, &str)] = &[
    ("_id", "p.id"),
    ("workspace", "p.workspace_id"),
    ("organization", "o.name"),
    ("organization_workspace", "o.workspace_id"),
    ("name", "p.name"),
    ("first_name", "p.first_name"),
    ("last_name", "p.last_name"),
    ("email", "p.email"),
    ("phone", "p.phone"),
    ("position", "p.position"),
    ("memo", "p.memo"),
    ("title", "p.title"),
    ("mobile", "p.mobile"),
    ("landline", "p.landline"),
    ("extension", "p.extension"),
    ("department", "p.department"),
    ("address", "p.address"),
    ("is_opted_out", "p.is_opted_out"),
    ("is_connector", "p.is_connector"),
    ("is_solution_provider", "p.is_solution_provider"),
    ("is_full_user", "p.is_full_user"),
];
const PERSON_FROM: &str = "people p LEFT JOIN organizations o ON o.id = p.organization_id
                           WHERE p.uuid = ?1";

const LEAD_SELECT: &[(&str, &str)] = &[
    ("_id", "l.id"),
    ("workspace", "l.workspace_id"),
    ("organization", "o.name"),
    ("organization_workspace", "o.workspace_id"),
    ("name", "l.name"),
    ("memo", "l.memo"),
    ("person", "p.uuid"),
    ("person_workspace", "p.workspace_id"),
    ("pipeline", "pl.uuid"),
    ("pipeline_workspace", "pl.workspace_id"),
    ("stage", "s.uuid"),
    (
        "stage_in_pipeline",
        "s.pipeline_id IS NOT DISTINCT FROM l.pipeline_id",
    ),
];
const LEAD_FROM: &str = "leads l
                         LEFT JOIN organizations o ON o.id = l.organization_id
                         LEFT JOIN people p ON p.id = l.person_id
                         LEFT JOIN pipelines pl ON pl.id = l.pipeline_id
                         LEFT JOIN pipeline_stages s ON s.id = l.stage_id
                         WHERE l.uuid = ?1";

const CUSTOMER_SELECT: &[(&str, &str)] = &[
    ("_id", "id"),
    ("workspace", "workspace_id"),
    ("vendor_uuid", "vendor_uuid"),
    ("reference_id", "reference_id"),
    ("date_of_birth", "date_of_birth"),
    ("address_street", "address_street"),
    ("address_neighborhood", "address_neighborhood"),
    ("address_city", "address_city"),
    ("address_state", "address_state"),
    ("address_country", "address_country"),
    ("gender", "gender"),
    ("marital_status", "marital_status"),
];
const CUSTOMER_FROM: &str = "customers WHERE uuid = ?1";

/// The record `uuid` of `op`'s table as stored, in [`expected`]'s form (each
/// column named by its alias), or `None` when there is none.
pub fn read_back(db: &TestDb, op: &Operation, uuid: &str) -> Option<Value> {
    let (entity, select, from) = match (op.stored)("").table {
        "people" => (Some("person"), PERSON_SELECT, PERSON_FROM),
        "leads" => (Some("lead"), LEAD_SELECT, LEAD_FROM),
        "customers" => (None, CUSTOMER_SELECT, CUSTOMER_FROM),
        other => panic!("no read-back for table {other}"),
    };
    let columns: Vec<&str> = select.iter().map(|(_, expr)| *expr).collect();
    let sql = format!("SELECT {} FROM {from}", columns.join(", "));
    let row = db.query_opt(&sql, &[&uuid], |r| r.0.iter().map(json).collect::<Vec<_>>())?;
    let mut record: Map<String, Value> = select
        .iter()
        .map(|(name, _)| (*name).to_owned())
        .zip(row)
        .collect();
    let id = record.remove("_id").unwrap().as_i64().unwrap();
    if let Some(entity) = entity {
        record.insert("custom".into(), custom_values(db, entity, id));
    }
    Some(Value::Object(record))
}

/// A stored value as JSON: both stores keep what the crash test reads as
/// integers, text or NULL.
fn json(cell: &Cell) -> Value {
    match cell {
        Cell::Null => Value::Null,
        Cell::Int(i) => json!(i),
        Cell::Text(s) => json!(s),
        other => panic!("a crash-test column holds {other:?}"),
    }
}

/// The custom values stored for record `id` of `entity`, by field key.
fn custom_values(db: &TestDb, entity: &str, id: i64) -> Value {
    let sql = "SELECT d.key, v.value FROM field_values v
               JOIN field_definitions d ON d.id = v.definition_id
               WHERE v.record_id = ?1 AND d.entity = ?2";
    let values = db.query(sql, &[&id, &entity], |r| {
        let value: String = r.get(1);
        (r.get(0), serde_json::from_str(&value).unwrap())
    });
    Value::Object(values.into_iter().collect())
}

/// The answer recorded for `key` in the default workspace: `None` when the key is
/// not there, `Some(None)` when it is claimed without an answer.
pub fn recorded_answer(db: &TestDb, key: &str) -> Option<Option<Value>> {
    let sql = "SELECT response FROM idempotency_keys WHERE workspace_id = 1 AND key = ?1";
    db.query_opt(sql, &[&key], |r| {
        r.get::<Option<String>>(0)
            .map(|text| serde_json::from_str(&text).unwrap())
    })
}

/// Custom values whose record is gone: a write that left part of itself behind.
pub fn orphan_values(db: &TestDb) -> i64 {
    db.value(
        "SELECT count(*) FROM field_values v JOIN field_definitions d ON d.id = v.definition_id
         WHERE NOT EXISTS (SELECT 1 FROM people WHERE id = v.record_id AND d.entity = 'person')
           AND NOT EXISTS (SELECT 1 FROM leads WHERE id = v.record_id AND d.entity = 'lead')
           AND NOT EXISTS (SELECT 1 FROM organizations
                           WHERE id = v.record_id AND d.entity = 'organization')",
        &[],
    )
}

/// The uuids of `table`'s rows.
pub fn uuids(db: &TestDb, table: &str) -> BTreeSet<String> {
    let sql = format!("SELECT uuid FROM {table}");
    db.query(&sql, &[], |r| r.get(0)).into_iter().collect()
}

/// `PRAGMA foreign_key_check`'s rows: each a (table, rowid, parent) that breaks a
/// foreign key. SQLite only: PostgreSQL enforces its foreign keys on every
/// statement.
pub fn foreign_key_violations(conn: &Connection) -> Vec<String> {
    let mut statement = conn.prepare("PRAGMA foreign_key_check").unwrap();
    statement
        .query_map([], |r| {
            Ok(format!(
                "{} row {:?} -> {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// The names of every organization.
pub fn organization_names(db: &TestDb) -> BTreeSet<String> {
    db.query("SELECT name FROM organizations", &[], |r| r.get(0))
        .into_iter()
        .collect()
}

/// Where `stored` differs from `expected` (two records in [`read_back`]'s form),
/// member by member, custom values included.
pub fn differences(stored: &Value, expected: &Value) -> Vec<String> {
    let (Some(stored), Some(expected)) = (stored.as_object(), expected.as_object()) else {
        return vec![format!("stored {stored}, expected {expected}")];
    };
    let keys: BTreeSet<&String> = stored.keys().chain(expected.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let (s, e) = (
            stored.get(key).unwrap_or(&Value::Null),
            expected.get(key).unwrap_or(&Value::Null),
        );
        match (s, e) {
            (Value::Object(_), Value::Object(_)) => {
                out.extend(differences(s, e).into_iter().map(|d| format!("{key}.{d}")))
            }
            _ if s != e || stored.contains_key(key) != expected.contains_key(key) => {
                let shown = |map: &Map<String, Value>, v: &Value| {
                    if map.contains_key(key) {
                        v.to_string()
                    } else {
                        "(absent)".into()
                    }
                };
                out.push(format!(
                    "{key}: stored {}, sent {}",
                    shown(stored, s),
                    shown(expected, e)
                ))
            }
            _ => {}
        }
    }
    out
}

//! A data field defined by another process while servers run with the
//! workspace's definitions cached: until it is defined, every operation that
//! takes custom fields refuses it as unknown, in the family's envelope; once
//! `crm admin field` has returned, the very next create that names it succeeds
//! on every server and stores its value. That is the store's promise
//! (`SqliteStore::definitions`: the domain asks for a fresh list before calling a
//! field unknown), so the first attempt must succeed: no polling.
//!
//! MaiaScore's customer has no custom fields; the four other operations do.

mod common;
#[path = "support/crm_process.rs"]
mod crm_process;

use common::{each_backend, Backend, TestDatabase, TestDb};
use crm_process::{admin, send, tenant, Crm};
use crm_testkit::{operation, Family, Fixtures, Operation};
use serde_json::{json, Value};
use std::ffi::OsStr;

/// A field `op` can name, and how it names it.
struct Field {
    /// A person field, or a lead field (SalesMap's lead).
    entity: &'static str,
    name: &'static str,
    key: &'static str,
}

const PERSON: Field = Field {
    entity: "person",
    name: "관심도",
    key: "cf_interest",
};
const LEAD: Field = Field {
    entity: "lead",
    name: "출처",
    key: "cf_source",
};

/// Defines `field` in the workspace with `crm admin field`; its definition id.
fn define(db: &OsStr, workspace: i64, field: &Field) -> i64 {
    let out = admin(
        db,
        &[
            "field",
            "--workspace",
            &workspace.to_string(),
            "--entity",
            field.entity,
            "--name",
            field.name,
            "--key",
            field.key,
            "--type",
            "text",
        ],
    );
    out["field"]["id"].as_i64().unwrap()
}

/// The operations that take custom fields, each with the field it names.
fn operations() -> [(&'static Operation, &'static Field); 4] {
    [
        (operation("salesmap_create_people"), &PERSON),
        (operation("salesmap_create_lead"), &LEAD),
        (operation("introzy_create_person"), &PERSON),
        (operation("bigchange_create_person"), &PERSON),
    ]
}

/// `op`'s valid body for `suffix`, naming `field` (BigChange by its definition
/// id) with `value`; and where the request names it, as errors say.
fn with_field(
    op: &Operation,
    fx: &Fixtures,
    suffix: &str,
    field: &Field,
    definition_id: i64,
    value: &str,
) -> (Value, String) {
    let mut body = (op.body)(suffix, fx);
    let at = match op.operation_id {
        "salesmap_create_people" | "salesmap_create_lead" => {
            let list = body["fieldList"].as_array().cloned().unwrap_or_default();
            let index = list.len();
            let mut list = list;
            list.push(json!({"name": field.name, "stringValue": value}));
            body["fieldList"] = Value::Array(list);
            format!("fieldList[{index}] ({})", field.name)
        }
        "introzy_create_person" => {
            body["customFields"] = json!({ field.key: value });
            format!("customFields.{}", field.key)
        }
        "bigchange_create_person" => {
            body["customFields"] = json!([{"definitionId": definition_id, "value": value}]);
            "customFields[0]".to_owned()
        }
        other => panic!("{other} takes no custom fields"),
    };
    (body, at)
}

/// What `op` answers for a field the workspace does not define.
fn assert_unknown(op: &Operation, status: u16, body: &Value, at: &str, field: &Field, id: i64) {
    let message = match op.family {
        Family::BigChange => format!(
            "unknown field definition {id}: no such data field is defined in this workspace"
        ),
        Family::SalesMap => format!(
            "unknown field '{}': no such data field is defined in this workspace",
            field.name
        ),
        _ => format!(
            "unknown field '{}': no such data field is defined in this workspace",
            field.key
        ),
    };
    if op.family == Family::BigChange {
        assert_eq!(status, 422, "{}: {body}", op.name());
        op.error_message(status, body).unwrap();
        assert_eq!(body["errors"], json!({ at: [message] }), "{}", op.name());
    } else {
        assert_eq!(status, 400, "{}: {body}", op.name());
        assert_eq!(
            op.error_message(status, body).unwrap(),
            format!("{at}: {message}"),
            "{}",
            op.name()
        );
    }
}

/// The value stored for definition `definition` on the record `op` made with
/// `suffix`, if any.
fn stored_value(db: &TestDb, op: &Operation, suffix: &str, definition: i64) -> Option<String> {
    let stored = (op.stored)(suffix);
    db.query_opt(
        &format!(
            "SELECT v.value FROM field_values v JOIN {t} r ON r.id = v.record_id
             WHERE v.definition_id = ?1 AND r.{c} = ?2",
            t = stored.table,
            c = stored.column
        ),
        &[&definition, &stored.value],
        |r| r.get(0),
    )
}

async fn a_field_defined_by_another_process_is_known_at_its_first_use(backend: Backend) {
    let database = TestDatabase::new(backend);
    let db = database.arg();
    let t = tenant(db, "fields");
    let fx = &t.fixtures;
    let ws = fx.workspace_id;
    // Fields defined before the servers start, for them to cache.
    let cached = Field {
        entity: "person",
        name: "예전",
        key: "cf_before",
    };
    let cached_lead = Field {
        entity: "lead",
        name: "예전 리드",
        key: "cf_before_lead",
    };
    let cached_ids = [define(db, ws, &cached), define(db, ws, &cached_lead)];
    let servers = [
        Crm::start(db, &[], &[]).unwrap(),
        Crm::start(db, &[], &[]).unwrap(),
    ];
    let read = database.connect();
    // The id the next definition will get (ids grow by one: SQLite's rowids, and
    // PostgreSQL's identity, where no insert into the table has failed).
    let next: i64 = read.value("SELECT max(id) + 1 FROM field_definitions", &[]);

    for (n, server) in servers.iter().enumerate() {
        for (op, field) in operations() {
            let (before, id) = if field.entity == "lead" {
                (&cached_lead, cached_ids[1])
            } else {
                (&cached, cached_ids[0])
            };
            // Each server caches the workspace's definitions.
            let suffix = format!("cache-{n}");
            let (body, _) = with_field(op, fx, &suffix, before, id, "x");
            let (status, answer) = send(
                &server.url,
                op,
                &t.token,
                fx,
                &[],
                "application/json",
                body.to_string(),
            )
            .await;
            assert_eq!(status, op.success, "{}: {answer}", op.name());
            assert_eq!(
                stored_value(&read, op, &suffix, id).as_deref(),
                Some("\"x\"")
            );
            // The field to come is unknown; the list read afresh for it is cached
            // too, without it.
            let id = if field.entity == "lead" {
                next + 1
            } else {
                next
            };
            let suffix = format!("unknown-{n}");
            let (body, at) = with_field(op, fx, &suffix, field, id, "y");
            let (status, answer) = send(
                &server.url,
                op,
                &t.token,
                fx,
                &[],
                "application/json",
                body.to_string(),
            )
            .await;
            assert_unknown(op, status, &answer, &at, field, id);
            assert_eq!(read.stored(op, &suffix), 0, "{}", op.name());
        }
    }

    // Another process defines them.
    assert_eq!(define(db, ws, &PERSON), next);
    assert_eq!(define(db, ws, &LEAD), next + 1);

    for (n, server) in servers.iter().enumerate() {
        for (op, field) in operations() {
            let id = if field.entity == "lead" {
                next + 1
            } else {
                next
            };
            let suffix = format!("known-{n}");
            let (body, _) = with_field(op, fx, &suffix, field, id, "z");
            let (status, answer) = send(
                &server.url,
                op,
                &t.token,
                fx,
                &[],
                "application/json",
                body.to_string(),
            )
            .await;
            assert_eq!(
                status,
                op.success,
                "{}: the field defined a moment ago is unknown to server {n}: {answer}",
                op.name()
            );
            assert_eq!(
                stored_value(&read, op, &suffix, id).as_deref(),
                Some("\"z\""),
                "{}",
                op.name()
            );
        }
    }
    for server in servers {
        server.stop();
    }
}
each_backend!(a_field_defined_by_another_process_is_known_at_its_first_use);

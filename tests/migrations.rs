//! Upgrades: a database made by every earlier schema version (the checked-in
//! fixtures of `tests/fixtures/`, see `tests/support/schema_fixtures.rs`) is
//! migrated by the real `crm serve` at start, keeps every row (only the keys
//! migration 0005 recomputes change), and is then used through the API and read
//! back through the store row by row: its tokens authenticate (or are refused as
//! expired or lacking a scope), its e-mails and company names are duplicates in
//! any spelling, its organizations, people, pipelines and field definitions are
//! found by uuid and by id, its idempotency keys replay what they answered. A
//! database newer than the binary is refused at start, untouched.

#[path = "support/crm_process.rs"]
mod crm_process;
#[path = "support/schema_fixtures.rs"]
mod schema_fixtures;

use crm_process::{send, Crm};
use crm_server::store::{AdminStore as _, Durability, Entity, RecordKey, SqliteStore, Store as _};
use crm_testkit::{operation, Family, Fixtures, Operation, OPERATIONS};
use rusqlite::types::Value as Sql;
use schema_fixtures::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

#[test]
fn the_fixtures_are_what_the_generator_makes() {
    let current = migrations().len() as i64;
    assert_eq!(
        *VERSIONS.end(),
        current - 1,
        "a fixture for every version before the current one ({current}): extend \
         tests/support/schema_fixtures.rs for the new version and regenerate"
    );
    let bless = std::env::var_os("CRM_BLESS_FIXTURES").is_some();
    for version in VERSIONS {
        let made = generate(version);
        let path = path(version);
        if bless {
            std::fs::write(&path, &made).unwrap();
            continue;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            checked_in == made,
            "{} is not what tests/support/schema_fixtures.rs makes (a released migration \
             was edited, or the generator changed): regenerate with \
             CRM_BLESS_FIXTURES=1 cargo test --test migrations, and review the diff",
            path.display()
        );
    }
}

/// Every table's columns and rows, in key order.
type Snapshot = BTreeMap<String, (Vec<String>, Vec<Vec<Sql>>)>;

fn snapshot(db: &Path) -> Snapshot {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .unwrap();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let order: Vec<String> = (1..=columns.len()).map(|i| i.to_string()).collect();
            let rows = conn
                .prepare(&format!(
                    "SELECT * FROM \"{table}\" ORDER BY {}",
                    order.join(", ")
                ))
                .unwrap()
                .query_map([], |r| {
                    (0..columns.len()).map(|i| r.get::<_, Sql>(i)).collect()
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            (table, (columns, rows))
        })
        .collect()
}

fn pragma(db: &Path, sql: &str) -> Vec<String> {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap()
        .prepare(sql)
        .unwrap()
        .query_map([], |r| r.get::<_, Sql>(0))
        .unwrap()
        .map(|v| format!("{:?}", v.unwrap()))
        .collect()
}

/// Keys by row id.
type Keys = Vec<(i64, Option<String>)>;

/// Every row of `before` is in `after`, every value the same but the keys
/// migration 0005 recomputes; columns added since are at their defaults and
/// tables added since are empty.
fn assert_rows_kept(version: i64, before: &Snapshot, after: &Snapshot) {
    let recomputed: BTreeMap<(&str, &str), Keys> = BTreeMap::from([
        (("people", "email_norm"), email_keys(version.max(5))),
        (("organizations", "name_norm"), name_keys(version.max(5))),
    ]);
    for (table, (after_columns, after_rows)) in after {
        let Some((columns, rows)) = before.get(table) else {
            assert!(
                after_rows.is_empty(),
                "v{version}: the new table {table} has rows"
            );
            continue;
        };
        let added = rows_added_by_later_migrations(
            version,
            table,
            after_columns,
            &after_rows[rows.len().min(after_rows.len())..],
        );
        assert_eq!(
            after_rows.len(),
            rows.len() + added,
            "v{version}: rows of {table}"
        );
        for (row, after_row) in rows.iter().zip(after_rows) {
            for (i, column) in after_columns.iter().enumerate() {
                let value = &after_row[i];
                let Some(j) = columns.iter().position(|c| c == column) else {
                    assert!(
                        matches!(value, Sql::Null | Sql::Integer(0)),
                        "v{version}: {table}.{column}, added since, holds {value:?}"
                    );
                    continue;
                };
                let expected = match recomputed.get(&(table.as_str(), column.as_str())) {
                    Some(keys) => {
                        let id = match row[0] {
                            Sql::Integer(id) => id,
                            ref other => panic!("{table}: id {other:?}"),
                        };
                        let key = keys.iter().find(|(i, _)| *i == id).unwrap().1.clone();
                        key.map_or(Sql::Null, Sql::Text)
                    }
                    None => row[j].clone(),
                };
                assert_eq!(
                    *value, expected,
                    "v{version}: {table}.{column} of {:?}",
                    row[0]
                );
            }
        }
    }
    for table in before.keys() {
        assert!(
            after.contains_key(table),
            "v{version}: table {table} is gone"
        );
    }
}

/// How many of `tail` (the rows after those the fixture had, in id order) a later
/// migration adds on purpose, checked to be exactly those: migration 0007 gives
/// every workspace SalesMap's standard people fields 이름 and 소속 기업 (no fixture
/// workspace has a field of either name or key).
fn rows_added_by_later_migrations(
    version: i64,
    table: &str,
    columns: &[String],
    tail: &[Vec<Sql>],
) -> usize {
    if table != "field_definitions" || version >= 7 {
        assert!(
            tail.is_empty(),
            "v{version}: rows added to {table}: {tail:?}"
        );
        return 0;
    }
    let column = |name: &str| columns.iter().position(|c| c == name).unwrap();
    let (workspace, entity, name, key, builtin) = (
        column("workspace_id"),
        column("entity"),
        column("name"),
        column("key"),
        column("builtin"),
    );
    let text = |v: &Sql| match v {
        Sql::Text(t) => t.clone(),
        other => format!("{other:?}"),
    };
    let got: Vec<String> = tail
        .iter()
        .map(|r| {
            format!(
                "{:?} {} {} {} {}",
                r[workspace],
                text(&r[entity]),
                text(&r[name]),
                text(&r[key]),
                text(&r[builtin])
            )
        })
        .collect();
    let expected: Vec<String> = [1, 2]
        .iter()
        .flat_map(|w| {
            [
                format!("Integer({w}) person 이름 name name"),
                format!("Integer({w}) person 소속 기업 organization organization"),
            ]
        })
        .collect();
    assert_eq!(got, expected, "field definitions migration 0007 adds");
    expected.len()
}

fn token(label: &str) -> &'static str {
    TOKENS.iter().find(|t| t.label == label).unwrap().secret
}

/// `op`'s refusal of a token, as its family says it.
fn assert_unauthenticated(op: &Operation, got: &(u16, Value), message: &str) {
    if op.family == Family::MaiaScore {
        let message = format!(
            "{}: Authorization: {message}",
            crm_api::maiascore::AUTH_REQUIRED
        );
        assert_refused(op, got, 403, "", &message);
    } else {
        assert_refused(op, got, 401, "Authorization", message);
    }
}

/// `op`'s answer refusing `field` with `message`, in its family's shape.
fn assert_refused(op: &Operation, got: &(u16, Value), status: u16, field: &str, message: &str) {
    let (got_status, body) = got;
    if op.family == Family::BigChange && status == 400 {
        assert_eq!(*got_status, 422, "{}: {body}", op.name());
        op.error_message(422, body).unwrap();
        assert_eq!(body["errors"], json!({ field: [message] }), "{}", op.name());
    } else {
        assert_eq!(*got_status, status, "{}: {body}", op.name());
        let full = if field.is_empty() {
            message.to_owned()
        } else {
            format!("{field}: {message}")
        };
        assert_eq!(
            op.error_message(status, body).unwrap(),
            full,
            "{}",
            op.name()
        );
    }
}

/// `op`'s duplicate-e-mail answer naming `existing` (the operations that take an
/// e-mail).
fn assert_duplicate(op: &Operation, got: &(u16, Value), existing: &str) {
    let (status, body) = got;
    match op.family {
        Family::SalesMap => {
            assert_eq!(*status, 400, "{body}");
            assert_eq!(body["reason"], "동일한 이메일을 가진 고객이 존재합니다.");
            assert_eq!(body["data"]["id"], existing, "{body}");
        }
        Family::Introzy => {
            assert_eq!(*status, 409, "{body}");
            assert_eq!(body["existingId"], existing, "{body}");
        }
        Family::BigChange => {
            assert_eq!(*status, 422, "{body}");
            let message = format!("a person with this e-mail already exists ({existing})");
            assert_eq!(body["errors"], json!({"email": [message]}), "{body}");
        }
        Family::MaiaScore => unreachable!(),
    }
    op.error_message(*status, body).unwrap();
}

fn with_email(op: &Operation, fx: &Fixtures, suffix: &str, email: &str) -> Value {
    let mut body = (op.body)(suffix, fx);
    match op.family {
        Family::SalesMap => body["fieldList"] = json!([{"name": "이메일", "stringValue": email}]),
        _ => body["email"] = json!(email),
    }
    body
}

async fn post(
    url: &str,
    op: &Operation,
    token: &str,
    fx: &Fixtures,
    key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let headers: Vec<(&str, &str)> = key.map(|k| ("Idempotency-Key", k)).into_iter().collect();
    send(
        url,
        op,
        token,
        fx,
        &headers,
        "application/json",
        body.to_string(),
    )
    .await
}

/// Uses the migrated database through the API: what it holds must count.
async fn use_it(version: i64, crm: &Crm, db: &Path) {
    let url = crm.url.as_str();
    let fx = Fixtures {
        workspace_id: 1,
        contact_id: 1,
        organization_uuid: uuid(ORGANIZATION, 1),
    };
    let ws2 = Fixtures {
        workspace_id: 2,
        contact_id: 5,
        organization_uuid: uuid(ORGANIZATION, 5),
    };
    let integration = token("integration");
    // Its tokens authenticate, as they are.
    for op in &OPERATIONS {
        let suffix = format!("migrated-v{version}");
        let got = post(url, op, integration, &fx, None, &(op.body)(&suffix, &fx)).await;
        assert_eq!(got.0, op.success, "v{version} {}: {got:?}", op.name());
        assert_eq!(crm_process::stored(db, op, &suffix), 1);
        let got = post(
            url,
            op,
            token("expired"),
            &fx,
            None,
            &(op.body)("expired", &fx),
        )
        .await;
        assert_unauthenticated(
            op,
            &got,
            "the bearer token expired at 2026-11-26T00:00:00.000Z",
        );
        let got = post(
            url,
            op,
            token("no scopes"),
            &fx,
            None,
            &(op.body)(&format!("{suffix}-no-scopes"), &fx),
        )
        .await;
        if op.family == Family::BigChange {
            assert_refused(
                op,
                &got,
                403,
                "Authorization",
                "the token lacks the scope 'contacts:persons:write'",
            );
        } else {
            assert_eq!(got.0, op.success, "v{version} {}: {got:?}", op.name());
        }
    }
    // Its e-mails are duplicates in any spelling, per workspace; of two that only
    // now share a key, the older answers for it.
    let mut spellings = vec![
        ("HONG@example.com", 1),
        ("cafe\u{301}@EXAMPLE.com", 2),
        ("x@xn--bcher-kva.de", 4),
    ];
    if version >= 2 {
        spellings.push(("Jane@INTRO.example", 8));
    }
    for op in [
        "salesmap_create_people",
        "introzy_create_person",
        "bigchange_create_person",
    ]
    .map(operation)
    {
        for (email, holder) in &spellings {
            let got = post(
                url,
                op,
                integration,
                &fx,
                None,
                &with_email(op, &fx, "dup", email),
            )
            .await;
            assert_duplicate(op, &got, &uuid(PERSON, *holder));
        }
        let got = post(
            url,
            op,
            token("other team"),
            &ws2,
            None,
            &with_email(op, &ws2, "dup", "hong@example.com"),
        )
        .await;
        assert_duplicate(op, &got, &uuid(PERSON, 7));
    }
    // Its company names link, in any spelling.
    let introzy = operation("introzy_create_person");
    for (name, org) in [(" acme CORP", 1), ("ORGA", 3)] {
        let mut body = (introzy.body)(&format!("company-{org}"), &fx);
        body["companyName"] = json!(name);
        let got = post(url, introzy, integration, &fx, None, &body).await;
        assert_eq!(got.0, 201, "{got:?}");
        assert_eq!(
            got.1["data"]["companyId"],
            uuid(ORGANIZATION, org),
            "{name}"
        );
    }
    // Its people, organizations, pipeline and fields are found by uuid and by id.
    let lead = operation("salesmap_create_lead");
    let body = json!({"name": "새 리드", "peopleId": uuid(PERSON, 1), "organizationId": uuid(ORGANIZATION, 1),
                      "pipelineId": uuid(PIPELINE, 1), "pipelineStageId": uuid(STAGE, 2),
                      "fieldList": [{"name": "출처", "stringValue": "전화"}]});
    let got = post(url, lead, integration, &fx, None, &body).await;
    assert_eq!(got.0, 201, "{got:?}");
    let summary = &got.1["data"]["lead"];
    assert_eq!(
        [
            &summary["peopleId"],
            &summary["organizationId"],
            &summary["pipelineId"],
            &summary["pipelineStageId"]
        ],
        [
            &json!(uuid(PERSON, 1)),
            &json!(uuid(ORGANIZATION, 1)),
            &json!(uuid(PIPELINE, 1)),
            &json!(uuid(STAGE, 2))
        ]
    );
    let people = operation("salesmap_create_people");
    let body = json!({"name": "필드", "organizationId": uuid(ORGANIZATION, 2),
                      "fieldList": [{"name": "예산", "numberValue": 1}, {"name": "VIP", "booleanValue": true},
                                    {"name": "등급", "stringValue": "A"}]});
    assert_eq!(
        post(url, people, integration, &fx, None, &body).await.0,
        201
    );
    let mut body = (introzy.body)("fields", &fx);
    body["customFields"] = json!({"cf_budget": 2, "cf_grade": "C"});
    assert_eq!(
        post(url, introzy, integration, &fx, None, &body).await.0,
        201
    );
    let bigchange = operation("bigchange_create_person");
    let mut body = (bigchange.body)("fields", &fx);
    body["customFields"] = json!([{"definitionId": 9, "value": "3"}]);
    assert_eq!(
        post(url, bigchange, integration, &fx, None, &body).await.0,
        201
    );
    // Another workspace's rows stay out of reach.
    body["customFields"] = json!([{"definitionId": 14, "value": "3"}]);
    let got = post(url, bigchange, integration, &fx, None, &body).await;
    assert_refused(
        bigchange,
        &got,
        400,
        "customFields[0]",
        "unknown field definition 14: no such data field is defined in this workspace",
    );
    let got = post(
        url,
        bigchange,
        integration,
        &ws2,
        None,
        &(bigchange.body)("theirs", &ws2),
    )
    .await;
    assert_eq!(got.0, 403, "acting for another customer: {got:?}");
    bigchange.error_message(403, &got.1).unwrap();
    let mut body = (bigchange.body)("their-contact", &fx);
    body["contactId"] = json!(5);
    let got = post(url, bigchange, integration, &fx, None, &body).await;
    assert_refused(
        bigchange,
        &got,
        400,
        "contactId",
        "no contact with id '5' in this workspace",
    );
    let maia = operation("maiascore_create_customer");
    if version >= 3 {
        let got = post(
            url,
            maia,
            integration,
            &fx,
            None,
            &json!({"referenceId": "ref-1"}),
        )
        .await;
        // Migration 0008 dropped the uniqueness MaiaScore never documented: a
        // reference id a migrated customer holds makes a second customer.
        assert_eq!(got.0, maia.success, "{}: {}", maia.name(), got.1);
        assert_eq!(got.1["referenceId"], "ref-1");
        assert_ne!(maia.created_id(&got.1), Some(uuid(CUSTOMER, 1).as_str()));
        let customers: i64 = rusqlite::Connection::open(db)
            .unwrap()
            .query_row(
                "SELECT count(*) FROM customers WHERE reference_id = 'ref-1'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(customers, 2, "v{version}: customers with ref-1");
    }
    // Its idempotency keys replay what they answered, and stay taken.
    if version >= 4 {
        for key in KEYS {
            let op = operation(key.operation);
            let request: Value = serde_json::from_str(key.request).unwrap();
            let got = post(url, op, integration, &fx, Some(key.key), &request).await;
            if key.answered {
                let answer: Value = serde_json::from_str(&answer(key)).unwrap();
                assert_eq!(got, (op.success, answer), "{}: replays", key.key);
                let other = (op.body)("other", &fx);
                let got = post(url, op, integration, &fx, Some(key.key), &other).await;
                assert_refused(
                    op,
                    &got,
                    400,
                    "Idempotency-Key",
                    "already used with a different request",
                );
            } else {
                assert_refused(
                    op,
                    &got,
                    400,
                    "Idempotency-Key",
                    "already used by a request whose answer was not recorded; use another key",
                );
            }
        }
    }
}

/// Reads every fixture row back through the store.
async fn read_back(version: i64, db: &Path) {
    let store = SqliteStore::open(db, Durability::Full).unwrap();
    for t in TOKENS {
        let found = store
            .token_by_hash(crm_server::auth::hash_token(t.secret))
            .await
            .unwrap();
        let found = found.unwrap_or_else(|| panic!("v{version}: token {}", t.label));
        assert_eq!(
            (found.token_id, found.label.as_str(), found.workspace.id),
            (t.id, t.label, t.workspace)
        );
        assert_eq!(found.workspace.uuid, uuid(WORKSPACE, t.workspace));
        let scopes: Vec<&str> = t.scopes.split_whitespace().collect();
        assert_eq!(found.scopes, scopes, "v{version}: {}", t.label);
        assert_eq!(
            found.expires_at.map(|e| e.to_rfc3339_millis()).as_deref(),
            t.expires_at
        );
        let listed = store.tokens(t.workspace).await.unwrap();
        let info = listed.iter().find(|i| i.token_id == t.id).unwrap();
        assert_eq!(
            (
                info.revoked_at.is_none(),
                info.created_at.map(|c| c.to_rfc3339_millis())
            ),
            (true, Some(WRITTEN_AT.into()))
        );
    }
    for p in PEOPLE.iter().filter(|p| p.since <= version) {
        let id = crm_server::store::RecordId {
            id: p.id,
            uuid: uuid(PERSON, p.id),
        };
        for key in [RecordKey::Uuid(id.uuid.clone()), RecordKey::Id(p.id)] {
            assert_eq!(
                store.person(p.workspace, &key).await.unwrap(),
                Some(id.clone()),
                "v{version}: person {key}"
            );
            assert_eq!(
                store.person(3 - p.workspace, &key).await.unwrap(),
                None,
                "v{version}: person {key}, other workspace"
            );
        }
    }
    for o in ORGANIZATIONS {
        let id = crm_server::store::RecordId {
            id: o.id,
            uuid: uuid(ORGANIZATION, o.id),
        };
        for key in [RecordKey::Uuid(id.uuid.clone()), RecordKey::Id(o.id)] {
            assert_eq!(
                store.organization(o.workspace, &key).await.unwrap(),
                Some(id.clone()),
                "v{version}: organization {key}"
            );
            assert_eq!(
                store.organization(3 - o.workspace, &key).await.unwrap(),
                None
            );
        }
        let details = store
            .organization_details(o.workspace, o.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                details.name.as_str(),
                details.industry.as_deref(),
                details.website.as_deref()
            ),
            (o.name, o.industry, o.website)
        );
        let custom: Vec<(String, Value)> = VALUES
            .iter()
            .filter(|(d, r, _, _)| {
                *r == o.id
                    && DEFINITIONS
                        .iter()
                        .any(|def| def.id == *d && def.entity == "organization")
            })
            .map(|(d, _, v, _)| {
                (
                    DEFINITIONS[*d as usize - 1].key.to_owned(),
                    serde_json::from_str(v).unwrap(),
                )
            })
            .collect();
        assert_eq!(details.custom, custom, "v{version}: organization {}", o.id);
    }
    let pipeline = store
        .pipeline(1, &uuid(PIPELINE, 1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pipeline.name, PIPELINE_NAME);
    let stages: Vec<(String, &str, i64)> = pipeline
        .stages
        .iter()
        .map(|s| (s.id.uuid.clone(), s.name.as_str(), s.position))
        .collect();
    let expected: Vec<(String, &str, i64)> = STAGES
        .iter()
        .enumerate()
        .map(|(i, n)| (uuid(STAGE, i as i64 + 1), *n, i as i64))
        .collect();
    assert_eq!(stages, expected);
    assert!(store
        .pipeline(2, &uuid(PIPELINE, 1))
        .await
        .unwrap()
        .is_none());
    for workspace in [1, 2] {
        for entity in [Entity::Person, Entity::Lead, Entity::Organization] {
            let found = store
                .field_definitions(workspace, entity, true)
                .await
                .unwrap();
            let mut found: Vec<Value> = found
                .iter()
                .map(|d| serde_json::to_value(d).unwrap())
                .collect();
            // Migration 0007's standard fields, made during the migration: their
            // ids and uuids are new, the rest is SalesMap's standard field.
            let mut added = Vec::new();
            found.retain(|d| {
                let standard = matches!(d["builtin"].as_str(), Some("name" | "organization"));
                if standard {
                    added.push(json!({"entity": d["entity"], "name": d["name"], "key": d["key"],
                                      "type": d["type"], "options": d["options"], "builtin": d["builtin"]}));
                }
                !standard
            });
            let standard_added: Vec<Value> = if entity == Entity::Person {
                vec![
                    json!({"entity": "person", "name": "이름", "key": "name", "type": "text", "options": [], "builtin": "name"}),
                    json!({"entity": "person", "name": "소속 기업", "key": "organization", "type": "text", "options": [], "builtin": "organization"}),
                ]
            } else {
                Vec::new()
            };
            assert_eq!(
                added, standard_added,
                "v{version}: definitions of workspace {workspace}, {entity:?}, added by migration 0007"
            );
            let expected: Vec<Value> = DEFINITIONS
                .iter()
                .filter(|d| d.workspace == workspace && d.entity == entity.as_str())
                .map(|d| {
                    let options: Vec<String> = d.options.map(|o| serde_json::from_str(o).unwrap()).unwrap_or_default();
                    json!({"id": d.id, "uuid": uuid(DEFINITION, d.id), "entity": d.entity, "name": d.name,
                           "key": d.key, "type": d.field_type, "options": options, "builtin": d.builtin})
                })
                .collect();
            assert_eq!(
                found, expected,
                "v{version}: definitions of workspace {workspace}, {entity:?}"
            );
        }
    }
    if version >= 4 {
        for key in KEYS {
            let found = store.idempotency_record(1, key.key).await.unwrap();
            if key.answered {
                let found = found.unwrap_or_else(|| panic!("v{version}: key {}", key.key));
                assert_eq!(found.response, answer(key));
                assert_eq!(found.fingerprint, fingerprint(key));
                assert_eq!(found.created_at.to_rfc3339_millis(), WRITTEN_AT);
            } else {
                assert!(found.is_none(), "an unanswered key has nothing to replay");
            }
        }
    }
}

async fn migrates(version: i64) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    load(version, &db);
    assert_eq!(
        pragma(&db, "PRAGMA user_version"),
        [format!("Integer({version})")]
    );
    let before = snapshot(&db);
    let ttl = crm_server::pipeline::idempotency::MAX_TTL
        .as_secs()
        .to_string();
    let crm = Crm::start(&db, &["--idempotency-ttl-secs", &ttl], &[])
        .unwrap_or_else(|e| panic!("v{version} did not start: {e:?}"));
    assert_eq!(crm.printed_token(), None, "v{version}: not a new database");
    let current = migrations().len();
    assert_eq!(
        pragma(&db, "PRAGMA user_version"),
        [format!("Integer({current})")]
    );
    assert_eq!(pragma(&db, "PRAGMA integrity_check"), ["Text(\"ok\")"]);
    assert!(
        pragma(&db, "PRAGMA foreign_key_check").is_empty(),
        "v{version}: foreign keys"
    );
    assert_rows_kept(version, &before, &snapshot(&db));

    use_it(version, &crm, &db).await;
    let log = crm.stop();
    // Only the migrations it lacked ran: 0005 reports itself, and names both rows
    // of each pair that now share a key.
    assert_eq!(
        log.contains("migration 0005: e-mails and company names"),
        version < 5,
        "v{version}: {log}"
    );
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains(" WARN ")).collect();
    if version < 5 {
        assert_eq!(warnings.len(), 2, "v{version}: {log}");
        for (kept, set_aside) in [
            (uuid(PERSON, 2), uuid(PERSON, 3)),
            (uuid(ORGANIZATION, 3), uuid(ORGANIZATION, 4)),
        ] {
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains(&format!("kept_uuid={kept}"))
                        && w.contains(&format!("set_aside_uuid={set_aside}"))),
                "v{version}: no warning names {kept} and {set_aside}: {log}"
            );
        }
    } else {
        assert!(warnings.is_empty(), "v{version}: {log}");
    }
    assert!(!log.contains(" ERROR "), "v{version}: {log}");
    read_back(version, &db).await;
}

#[tokio::test]
async fn version_1_migrates_and_keeps_every_row() {
    migrates(1).await;
}

#[tokio::test]
async fn version_2_migrates_and_keeps_every_row() {
    migrates(2).await;
}

#[tokio::test]
async fn version_3_migrates_and_keeps_every_row() {
    migrates(3).await;
}

#[tokio::test]
async fn version_4_migrates_and_keeps_every_row() {
    migrates(4).await;
}

#[tokio::test]
async fn version_5_migrates_and_keeps_every_row() {
    migrates(5).await;
}

#[test]
fn a_database_newer_than_the_binary_is_refused_untouched() {
    let current = migrations().len() as i64;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    // The newest fixture, brought to the current version, then one past it.
    load(*VERSIONS.end(), &db);
    drop(SqliteStore::open(&db, Durability::Full).unwrap());
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", current + 1)
        .unwrap();
    let before = snapshot(&db);
    let expected = format!(
        "error: migrating the database {}: the database is at schema version {}, newer than this binary knows ({current})",
        db.display(),
        current + 1
    );
    let Err(exited) = Crm::start(&db, &[], &[]) else {
        panic!("crm serve started on a newer database");
    };
    assert_eq!(exited.status.code(), Some(1), "{exited:?}");
    assert!(
        exited.stderr.lines().any(|l| l == expected),
        "{}",
        exited.stderr
    );
    assert!(!exited.stderr.contains("listening"), "{}", exited.stderr);
    assert_eq!(exited.stdout, "");
    // `crm admin` alike.
    let out = std::process::Command::new(crm_process::CRM)
        .args(["admin", "--db"])
        .arg(&db)
        .args(["workspace", "--name", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .any(|l| l == expected),
        "{out:?}"
    );
    assert_eq!(
        pragma(&db, "PRAGMA user_version"),
        [format!("Integer({})", current + 1)]
    );
    assert_eq!(snapshot(&db), before, "nothing was written");
}

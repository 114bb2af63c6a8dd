//! Databases as every earlier schema version left them, for `tests/migrations.rs`.
//!
//! A fixture of version N is made by applying only the first N migrations of
//! `server/migrations/` to an empty database, then writing the rows below as the
//! binaries of that version wrote them: e-mail and company-name keys trimmed and
//! lower-cased before version 5 (`canonical.rs` came with 5), the Introzy and
//! BigChange person columns from version 2, MaiaScore customers from 3, idempotency
//! keys from 4 (with one left unanswered, as version 4 could leave a key when it
//! died between the create and the answer's second transaction). Then the database
//! is dumped as SQL, deterministically (fixed ids, uuids, timestamps and secrets;
//! rows in key order; invisible characters written as `char(N)`), and checked in
//! as `tests/fixtures/schema-vN.sql`: text a reviewer can read and diff, where a
//! binary SQLite file would depend on the SQLite version's page layout and show
//! nothing in a diff.
//!
//! The data is also what the test checks the migrated database against.

#![allow(dead_code)]

use rusqlite::types::ValueRef;
use rusqlite::Connection;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The versions fixtures exist for: every version before the current one.
pub const VERSIONS: std::ops::RangeInclusive<i64> = 1..=7;

/// When these rows were written.
pub const WRITTEN_AT: &str = "2026-11-25T09:00:00.000Z";

/// A fixed uuid (version 7 form) per kind of row and id.
pub fn uuid(kind: u8, id: i64) -> String {
    format!("01937a{kind:02x}-0000-7000-8000-{id:012x}")
}

pub const WORKSPACE: u8 = 1;
pub const ORGANIZATION: u8 = 2;
pub const PERSON: u8 = 3;
pub const PIPELINE: u8 = 4;
pub const STAGE: u8 = 5;
pub const LEAD: u8 = 6;
pub const DEFINITION: u8 = 7;
pub const CUSTOMER: u8 = 8;

pub struct Token {
    pub id: i64,
    pub workspace: i64,
    pub secret: &'static str,
    pub label: &'static str,
    pub scopes: &'static str,
    pub expires_at: Option<&'static str>,
}

pub const TOKENS: &[Token] = &[
    Token {
        id: 1,
        workspace: 1,
        secret: "crm_fixtureIntegrationToken0000000000000001",
        label: "integration",
        scopes: "contacts:persons:write",
        expires_at: None,
    },
    Token {
        id: 2,
        workspace: 1,
        secret: "crm_fixtureNoScopesToken00000000000000000002",
        label: "no scopes",
        scopes: "",
        expires_at: Some("2099-01-01T00:00:00.000Z"),
    },
    Token {
        id: 3,
        workspace: 1,
        secret: "crm_fixtureExpiredToken000000000000000000003",
        label: "expired",
        scopes: "contacts:persons:write",
        expires_at: Some("2026-11-26T00:00:00.000Z"),
    },
    Token {
        id: 4,
        workspace: 2,
        secret: "crm_fixtureOtherWorkspaceToken00000000000004",
        label: "other team",
        scopes: "contacts:persons:write",
        expires_at: None,
    },
];

pub struct Organization {
    pub id: i64,
    pub workspace: i64,
    pub name: &'static str,
    pub industry: Option<&'static str>,
    pub website: Option<&'static str>,
}

pub const ORGANIZATIONS: &[Organization] = &[
    Organization {
        id: 1,
        workspace: 1,
        name: "Acme Corp",
        industry: Some("제조"),
        website: Some("https://acme.example"),
    },
    Organization {
        id: 2,
        workspace: 1,
        name: "세일즈맵",
        industry: None,
        website: None,
    },
    Organization {
        id: 3,
        workspace: 1,
        name: "OrgA",
        industry: None,
        website: None,
    },
    // Distinct from OrgA while keys were only trimmed and lower-cased; the same
    // company under the canonical form (set aside by migration 0005).
    Organization {
        id: 4,
        workspace: 1,
        name: "OrgA\u{200b}",
        industry: None,
        website: None,
    },
    Organization {
        id: 5,
        workspace: 2,
        name: "Acme Corp",
        industry: None,
        website: None,
    },
];

pub struct Person {
    pub id: i64,
    pub workspace: i64,
    pub organization: Option<i64>,
    pub name: &'static str,
    pub email: Option<&'static str>,
    pub phone: Option<&'static str>,
    pub position: Option<&'static str>,
    /// Version 2's columns: first and last name, title, mobile, department,
    /// opted out. Only from version 2.
    pub details: Option<(
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        bool,
    )>,
    /// The first version whose binaries could have written it.
    pub since: i64,
}

pub const PEOPLE: &[Person] = &[
    Person {
        id: 1,
        workspace: 1,
        organization: Some(1),
        name: "홍길동",
        email: Some(" Hong@Example.com"),
        phone: Some("010-1234-5678"),
        position: Some("팀장"),
        details: None,
        since: 1,
    },
    Person {
        id: 2,
        workspace: 1,
        organization: None,
        name: "Café Owner",
        email: Some("Café@example.com"),
        phone: None,
        position: None,
        details: None,
        since: 1,
    },
    // The same address as person 2, its é decomposed: distinct under the old
    // keys, set aside by migration 0005.
    Person {
        id: 3,
        workspace: 1,
        organization: None,
        name: "Cafe Decomposed",
        email: Some("cafe\u{301}@example.com"),
        phone: None,
        position: None,
        details: None,
        since: 1,
    },
    Person {
        id: 4,
        workspace: 1,
        organization: Some(2),
        name: "Bücher",
        email: Some("x@bücher.de"),
        phone: None,
        position: None,
        details: None,
        since: 1,
    },
    Person {
        id: 5,
        workspace: 1,
        organization: None,
        name: "No E-mail",
        email: None,
        phone: Some("02-555-0100"),
        position: None,
        details: None,
        since: 1,
    },
    // SalesMap's 이메일 was not checked before version 5.
    Person {
        id: 6,
        workspace: 1,
        organization: None,
        name: "Legacy",
        email: Some("Not An Email At All"),
        phone: None,
        position: None,
        details: None,
        since: 1,
    },
    Person {
        id: 7,
        workspace: 2,
        organization: Some(5),
        name: "Other Hong",
        email: Some("hong@example.com"),
        phone: None,
        position: None,
        details: None,
        since: 1,
    },
    // An Introzy person, with version 2's columns.
    Person {
        id: 8,
        workspace: 1,
        organization: Some(1),
        name: "Jane Doe",
        email: Some("jane@intro.example"),
        phone: None,
        position: None,
        details: Some(("Jane", "Doe", "CTO", "+82-10-9999-0000", "R&D", true)),
        since: 2,
    },
    // Made by the request that idempotency key `fixture-people` guards.
    Person {
        id: 9,
        workspace: 1,
        organization: None,
        name: "재시도 고객",
        email: None,
        phone: None,
        position: None,
        details: None,
        since: 4,
    },
    // Made by the request whose key (`fixture-unanswered`) was left unanswered.
    Person {
        id: 10,
        workspace: 1,
        organization: None,
        name: "고아",
        email: None,
        phone: None,
        position: None,
        details: None,
        since: 4,
    },
];

pub struct Definition {
    pub id: i64,
    pub workspace: i64,
    pub entity: &'static str,
    pub name: &'static str,
    pub key: &'static str,
    pub field_type: &'static str,
    pub options: Option<&'static str>,
    pub builtin: Option<&'static str>,
}

/// Each workspace's standard fields (as `crm admin workspace` has always made
/// them), then custom ones.
pub const DEFINITIONS: &[Definition] = &[
    Definition {
        id: 1,
        workspace: 1,
        entity: "person",
        name: "이메일",
        key: "email",
        field_type: "text",
        options: None,
        builtin: Some("email"),
    },
    Definition {
        id: 2,
        workspace: 1,
        entity: "person",
        name: "전화",
        key: "phone",
        field_type: "text",
        options: None,
        builtin: Some("phone"),
    },
    Definition {
        id: 3,
        workspace: 1,
        entity: "person",
        name: "포지션",
        key: "position",
        field_type: "text",
        options: None,
        builtin: Some("position"),
    },
    Definition {
        id: 4,
        workspace: 1,
        entity: "person",
        name: "최근 연락일",
        key: "last_contacted_at",
        field_type: "date",
        options: None,
        builtin: None,
    },
    Definition {
        id: 5,
        workspace: 2,
        entity: "person",
        name: "이메일",
        key: "email",
        field_type: "text",
        options: None,
        builtin: Some("email"),
    },
    Definition {
        id: 6,
        workspace: 2,
        entity: "person",
        name: "전화",
        key: "phone",
        field_type: "text",
        options: None,
        builtin: Some("phone"),
    },
    Definition {
        id: 7,
        workspace: 2,
        entity: "person",
        name: "포지션",
        key: "position",
        field_type: "text",
        options: None,
        builtin: Some("position"),
    },
    Definition {
        id: 8,
        workspace: 2,
        entity: "person",
        name: "최근 연락일",
        key: "last_contacted_at",
        field_type: "date",
        options: None,
        builtin: None,
    },
    Definition {
        id: 9,
        workspace: 1,
        entity: "person",
        name: "예산",
        key: "cf_budget",
        field_type: "number",
        options: None,
        builtin: None,
    },
    Definition {
        id: 10,
        workspace: 1,
        entity: "person",
        name: "VIP",
        key: "cf_vip",
        field_type: "boolean",
        options: None,
        builtin: None,
    },
    Definition {
        id: 11,
        workspace: 1,
        entity: "person",
        name: "등급",
        key: "cf_grade",
        field_type: "select",
        options: Some(r#"["A","B","C"]"#),
        builtin: None,
    },
    Definition {
        id: 12,
        workspace: 1,
        entity: "lead",
        name: "출처",
        key: "cf_source",
        field_type: "text",
        options: None,
        builtin: None,
    },
    Definition {
        id: 13,
        workspace: 1,
        entity: "organization",
        name: "규모",
        key: "cf_size",
        field_type: "number",
        options: None,
        builtin: None,
    },
    Definition {
        id: 14,
        workspace: 2,
        entity: "person",
        name: "예산",
        key: "cf_budget",
        field_type: "number",
        options: None,
        builtin: None,
    },
];

/// (definition, record, value as JSON, the first version with the record).
pub const VALUES: &[(i64, i64, &str, i64)] = &[
    (4, 1, "\"2026-11-20\"", 1),
    (9, 1, "50000", 1),
    (10, 1, "true", 1),
    (11, 1, "\"B\"", 1),
    (9, 8, "1234.5", 2),
    (12, 1, "\"웹\"", 1),
    (13, 1, "250", 1),
    (14, 7, "7", 1),
];

/// Pipeline 1 of workspace 1, its stages in order.
pub const PIPELINE_NAME: &str = "영업";
pub const STAGES: &[&str] = &["발굴", "계약"];

pub struct Lead {
    pub id: i64,
    pub name: &'static str,
    pub person: Option<i64>,
    pub organization: Option<i64>,
    /// Pipeline 1's stage, by position.
    pub stage: Option<i64>,
    pub memo: Option<&'static str>,
}

pub const LEADS: &[Lead] = &[
    Lead {
        id: 1,
        name: "대형 계약",
        person: Some(1),
        organization: Some(1),
        stage: Some(1),
        memo: Some("첫 미팅"),
    },
    Lead {
        id: 2,
        name: "회사 리드",
        person: None,
        organization: Some(2),
        stage: None,
        memo: None,
    },
];

pub struct Customer {
    pub id: i64,
    pub vendor_uuid: Option<&'static str>,
    pub reference_id: Option<&'static str>,
    pub date_of_birth: Option<&'static str>,
    pub city: Option<&'static str>,
    pub gender: Option<&'static str>,
    pub marital_status: Option<&'static str>,
    pub since: i64,
}

pub const CUSTOMERS: &[Customer] = &[
    Customer {
        id: 1,
        vendor_uuid: Some("c-123"),
        reference_id: Some("ref-1"),
        date_of_birth: Some("1990-05-17"),
        city: Some("São Paulo"),
        gender: Some("female"),
        marital_status: Some("married"),
        since: 3,
    },
    Customer {
        id: 2,
        vendor_uuid: None,
        reference_id: None,
        date_of_birth: None,
        city: None,
        gender: None,
        marital_status: None,
        since: 3,
    },
    // Made by the request that idempotency key `fixture-customer` guards.
    Customer {
        id: 3,
        vendor_uuid: None,
        reference_id: Some("ref-retry"),
        date_of_birth: None,
        city: None,
        gender: Some("male"),
        marital_status: None,
        since: 4,
    },
];

/// An idempotency key of workspace 1: the operation, the request's JSON body, and
/// the record its answer names (None: left unanswered).
pub struct Key {
    pub key: &'static str,
    pub operation: &'static str,
    pub request: &'static str,
    pub answered: bool,
}

pub const KEYS: &[Key] = &[
    Key {
        key: "fixture-people",
        operation: "salesmap_create_people",
        request: r#"{"name": "재시도 고객"}"#,
        answered: true,
    },
    Key {
        key: "fixture-customer",
        operation: "maiascore_create_customer",
        request: r#"{"referenceId": "ref-retry", "gender": "male"}"#,
        answered: true,
    },
    Key {
        key: "fixture-unanswered",
        operation: "salesmap_create_people",
        request: r#"{"name": "고아"}"#,
        answered: false,
    },
];

/// The answer recorded for `key`, as the server renders it.
pub fn answer(key: &Key) -> String {
    use crm_api::time::Timestamp;
    let at = Timestamp::parse(WRITTEN_AT).unwrap();
    match key.operation {
        "salesmap_create_people" => {
            serde_json::to_string(&crm_api::salesmap::CreatePeopleResponse {
                success: true,
                data: crm_api::salesmap::CreatePeopleData {
                    people: crm_api::salesmap::PeopleSummary {
                        id: uuid(PERSON, 9),
                        name: "재시도 고객".into(),
                        created_at: at,
                    },
                },
            })
        }
        "maiascore_create_customer" => serde_json::to_string(&crm_api::maiascore::Customer {
            id: uuid(CUSTOMER, 3),
            uuid: None,
            reference_id: Some("ref-retry".into()),
            date_of_birth: None,
            address_street: None,
            address_neighborhood: None,
            address_city: None,
            address_state: None,
            address_country: None,
            gender: Some("male".into()),
            marital_status: None,
            published_at: at,
            created_by: "integration".into(),
            updated_by: "integration".into(),
        }),
        other => panic!("no answer for {other}"),
    }
    .unwrap()
}

/// The fingerprint the server computes for `key`'s request.
pub fn fingerprint(key: &Key) -> [u8; 32] {
    use crm_server::pipeline::idempotency::Idempotency;
    let found = match key.operation {
        "salesmap_create_people" => {
            let request: crm_api::salesmap::CreatePeopleRequest =
                serde_json::from_str(key.request).unwrap();
            Idempotency::from_header(Some(key.key), key.operation, &request)
        }
        "maiascore_create_customer" => {
            let request: crm_api::maiascore::CustomerInput =
                serde_json::from_str(key.request).unwrap();
            Idempotency::from_header(Some(key.key), key.operation, &request)
        }
        other => panic!("no request type for {other}"),
    };
    found.unwrap().unwrap().fingerprint
}

/// The key a version stored for an e-mail or a company name: trimmed and
/// lower-cased before version 5; from 5 on the canonical key, where a row that
/// meets an older row's key keeps a set-aside one (what migration 0005 does).
pub fn keys<'a>(
    version: i64,
    rows: impl Iterator<Item = (i64, i64, Option<&'a str>)>,
    canonical: fn(&str) -> String,
    empty_is_none: bool,
) -> Vec<(i64, Option<String>)> {
    let mut taken = std::collections::HashSet::new();
    rows.map(|(id, workspace, value)| {
        let key = value.map(|v| {
            if version < 5 {
                v.trim().to_lowercase()
            } else {
                canonical(v)
            }
        });
        let key = key.filter(|k| !(empty_is_none && k.is_empty()));
        let key = key.map(|k| {
            if version >= 5 && !taken.insert((workspace, k.clone())) {
                crm_server::canonical::set_aside(&k, id)
            } else {
                k
            }
        });
        (id, key)
    })
    .collect()
}

pub fn email_keys(version: i64) -> Vec<(i64, Option<String>)> {
    let people = PEOPLE.iter().filter(|p| p.since <= version);
    keys(
        version,
        people.map(|p| (p.id, p.workspace, p.email)),
        crm_server::canonical::email_key,
        true,
    )
}

pub fn name_keys(version: i64) -> Vec<(i64, Option<String>)> {
    let orgs = ORGANIZATIONS
        .iter()
        .map(|o| (o.id, o.workspace, Some(o.name)));
    keys(version, orgs, crm_server::canonical::name_key, false)
}

/// `server/migrations/*.sql`, in order.
pub fn migrations() -> Vec<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("server/migrations");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// Where version `version`'s fixture is checked in.
pub fn path(version: i64) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/schema-v{version}.sql"))
}

/// A database at `version` with the rows above, dumped as SQL.
pub fn generate(version: i64) -> String {
    let conn = Connection::open_in_memory().unwrap();
    // Migration 0005's Rust step only rewrites keys, and there are no rows yet.
    for sql in &migrations()[..version as usize] {
        conn.execute_batch(sql).unwrap();
    }
    if version >= 6 {
        // Migration 0006's Rust step (`store/migrations.rs`, `add_revoked_at`).
        conn.execute_batch("ALTER TABLE tokens ADD COLUMN revoked_at TEXT")
            .unwrap();
    }
    conn.pragma_update(None, "user_version", version).unwrap();
    insert(&conn, version);
    dump(&conn, version)
}

fn insert(conn: &Connection, version: i64) {
    use rusqlite::params;
    let at = WRITTEN_AT;
    for (id, name) in [(1, "영업팀"), (2, "다른 팀")] {
        conn.execute(
            "INSERT INTO workspaces (id, uuid, name, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![id, uuid(WORKSPACE, id), name, at],
        )
        .unwrap();
    }
    for t in TOKENS {
        conn.execute(
            "INSERT INTO tokens (id, workspace_id, token_hash, label, scopes, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![t.id, t.workspace, &crm_server::auth::hash_token(t.secret)[..], t.label, t.scopes, at, t.expires_at],
        )
        .unwrap();
    }
    let name_keys = name_keys(version);
    for (o, (_, key)) in ORGANIZATIONS.iter().zip(&name_keys) {
        conn.execute(
            "INSERT INTO organizations (id, uuid, workspace_id, name, name_norm, industry, website, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
            params![o.id, uuid(ORGANIZATION, o.id), o.workspace, o.name, key, o.industry, o.website, at],
        )
        .unwrap();
    }
    let email_keys = email_keys(version);
    let people = PEOPLE.iter().filter(|p| p.since <= version);
    for (p, (_, key)) in people.zip(&email_keys) {
        conn.execute(
            "INSERT INTO people (id, uuid, workspace_id, organization_id, name, email, email_norm, phone,
                                 position, memo, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL, ?10, ?10)",
            params![p.id, uuid(PERSON, p.id), p.workspace, p.organization, p.name, p.email, key, p.phone, p.position, at],
        )
        .unwrap();
        if let Some((first, last, title, mobile, department, opted_out)) = p.details {
            conn.execute(
                "UPDATE people SET first_name = ?2, last_name = ?3, title = ?4, mobile = ?5,
                                   department = ?6, is_opted_out = ?7 WHERE id = ?1",
                params![p.id, first, last, title, mobile, department, opted_out],
            )
            .unwrap();
        }
    }
    conn.execute(
        "INSERT INTO pipelines (id, uuid, workspace_id, name, created_at) VALUES (1, ?1, 1, ?2, ?3)",
        params![uuid(PIPELINE, 1), PIPELINE_NAME, at],
    )
    .unwrap();
    for (position, name) in STAGES.iter().enumerate() {
        let id = position as i64 + 1;
        conn.execute(
            "INSERT INTO pipeline_stages (id, uuid, pipeline_id, position, name) VALUES (?1, ?2, 1, ?3, ?4)",
            params![id, uuid(STAGE, id), position as i64, name],
        )
        .unwrap();
    }
    for d in DEFINITIONS {
        conn.execute(
            "INSERT INTO field_definitions (id, uuid, workspace_id, entity, name, key, type, options, builtin, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![d.id, uuid(DEFINITION, d.id), d.workspace, d.entity, d.name, d.key, d.field_type, d.options, d.builtin, at],
        )
        .unwrap();
    }
    if version >= 7 {
        // Migration 0007 gave every workspace SalesMap's standard people fields 이름
        // and 소속 기업 (`store/sqlite/standard_fields.rs`).
        let standard = [
            ("이름", "name", "name"),
            ("소속 기업", "organization", "organization"),
        ];
        for (workspace, offset) in [(1, 100), (2, 110)] {
            for (n, (name, key, builtin)) in standard.iter().enumerate() {
                let id = offset + n as i64;
                conn.execute(
                    "INSERT INTO field_definitions (id, uuid, workspace_id, entity, name, key, type, options, builtin, created_at)
                     VALUES (?1, ?2, ?3, 'person', ?4, ?5, 'text', NULL, ?6, ?7)",
                    params![id, uuid(DEFINITION, id), workspace, name, key, builtin, at],
                )
                .unwrap();
            }
        }
    }
    for l in LEADS {
        conn.execute(
            "INSERT INTO leads (id, uuid, workspace_id, name, person_id, organization_id, pipeline_id, stage_id,
                                memo, created_at, updated_at)
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
            params![l.id, uuid(LEAD, l.id), l.name, l.person, l.organization, l.stage.map(|_| 1), l.stage, l.memo, at],
        )
        .unwrap();
    }
    for (definition, record, value, _) in VALUES.iter().filter(|v| v.3 <= version) {
        conn.execute(
            "INSERT INTO field_values (definition_id, record_id, value) VALUES (?1, ?2, ?3)",
            params![definition, record, value],
        )
        .unwrap();
    }
    for c in CUSTOMERS.iter().filter(|c| c.since <= version) {
        conn.execute(
            "INSERT INTO customers (id, uuid, workspace_id, vendor_uuid, reference_id, date_of_birth,
                                    address_city, gender, marital_status, published_at, created_by,
                                    updated_by, created_at, updated_at)
             VALUES (?1, ?2, 1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'integration', 'integration', ?9, ?9)",
            params![
                c.id,
                uuid(CUSTOMER, c.id),
                c.vendor_uuid,
                c.reference_id,
                c.date_of_birth,
                c.city,
                c.gender,
                c.marital_status,
                at
            ],
        )
        .unwrap();
    }
    if version >= 4 {
        for k in KEYS {
            conn.execute(
                "INSERT INTO idempotency_keys (workspace_id, key, fingerprint, response, created_at)
                 VALUES (1, ?1, ?2, ?3, ?4)",
                params![k.key, &fingerprint(k)[..], k.answered.then(|| answer(k)), at],
            )
            .unwrap();
        }
    }
}

/// The schema in creation order, then every table's rows in key order.
fn dump(conn: &Connection, version: i64) -> String {
    let mut out = format!(
        "-- A database at schema version {version}: migrations 0001..{version:04} of server/migrations/\n\
         -- and rows as the binaries of that version wrote them. Generated by\n\
         -- tests/support/schema_fixtures.rs; regenerate with\n\
         --     CRM_BLESS_FIXTURES=1 cargo test --test migrations\n\
         -- (never by hand: tests/migrations.rs checks this file is what it makes).\n\
         BEGIN;\n"
    );
    let objects: Vec<(String, String, String)> = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (_, _, sql) in &objects {
        writeln!(out, "{sql};").unwrap();
    }
    for (kind, table, _) in &objects {
        if kind != "table" {
            continue;
        }
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
        let mut rows = conn
            .prepare(&format!(
                "SELECT * FROM \"{table}\" ORDER BY {}",
                order.join(", ")
            ))
            .unwrap();
        let mut rows = rows.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<String> = (0..columns.len())
                .map(|i| literal(row.get_ref(i).unwrap()))
                .collect();
            writeln!(
                out,
                "INSERT INTO \"{table}\" ({}) VALUES ({});",
                columns.join(", "),
                values.join(", ")
            )
            .unwrap();
        }
    }
    writeln!(out, "PRAGMA user_version = {version};\nCOMMIT;").unwrap();
    out
}

/// A value as an SQL literal; text with characters a reader cannot see (or that
/// change the one before them) spelled as `char(N)`.
fn literal(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => format!("{r:?}"),
        ValueRef::Blob(b) => format!(
            "X'{}'",
            b.iter().map(|x| format!("{x:02X}")).collect::<String>()
        ),
        ValueRef::Text(t) => {
            let text = std::str::from_utf8(t).unwrap();
            let mut parts = Vec::new();
            let mut plain = String::new();
            for c in text.chars() {
                if c == ' ' || c.is_ascii_graphic() || (!c.is_ascii() && c.is_alphanumeric()) {
                    plain.push(c);
                } else {
                    if !plain.is_empty() {
                        parts.push(format!("'{}'", plain.replace('\'', "''")));
                        plain.clear();
                    }
                    parts.push(format!("char({})", c as u32));
                }
            }
            if !plain.is_empty() || parts.is_empty() {
                parts.push(format!("'{}'", plain.replace('\'', "''")));
            }
            parts.join(" || ")
        }
    }
}

/// Loads a fixture into a new database file.
pub fn load(version: i64, db: &std::path::Path) {
    let sql = std::fs::read_to_string(path(version)).unwrap();
    Connection::open(db).unwrap().execute_batch(&sql).unwrap();
}

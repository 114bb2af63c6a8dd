//! SalesMap `POST /v2/people` and `POST /v2/lead` against a real server: through the
//! generated client where it can express the call, raw HTTP where it cannot. Every
//! test checks the response body and what was stored.

mod common;

use common::{each_backend, Backend, Tenant, TestServer};
use crm_client::salesmap::{types, Client};
use progenitor_client::Error as ClientError;
use serde_json::{json, Value};

const DUPLICATE_REASON: &str = "동일한 이메일을 가진 고객이 존재합니다.";

fn client(server: &TestServer, t: &Tenant) -> Client {
    Client::with_token(&server.url, &t.token).unwrap()
}

fn text_field(name: &str, value: &str) -> types::FieldValue {
    types::FieldValue::builder()
        .name(name)
        .string_value(Some(value.to_owned()))
        .try_into()
        .unwrap()
}

/// The error body and status the client got.
fn client_error<T: std::fmt::Debug>(
    r: Result<T, ClientError<types::Error>>,
) -> (u16, types::Error) {
    match r {
        Err(ClientError::ErrorResponse(resp)) => (resp.status().as_u16(), resp.into_inner()),
        other => panic!("expected an error response, got {other:?}"),
    }
}

fn assert_created_at(s: &str) {
    // UTC, milliseconds, Z: 2024-04-08T05:25:26.020Z
    assert_eq!(s.len(), 24, "{s}");
    assert!(s.ends_with('Z') && s.as_bytes()[19] == b'.', "{s}");
    chrono::DateTime::parse_from_rfc3339(s).unwrap();
}

async fn creates_a_person_with_korean_name_memo_and_standard_fields(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let org = server.organization(&t, "세일즈맵 주식회사").await;

    let resp = client(&server, &t)
        .salesmap_create_people()
        .body(
            types::CreatePeopleRequest::builder()
                .name("홍길동")
                .organization_id(Some(org.clone()))
                .memo(Some("첫 미팅에서 소개받음".to_owned()))
                .field_list(Some(vec![
                    text_field("이메일", " GilDong@Example.com "),
                    text_field("전화", "010-1234-5678"),
                    text_field("포지션", "팀장"),
                ])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201);
    let body = resp.into_inner();
    assert!(body.success);
    assert_eq!(body.data.people.name, "홍길동");
    let raw_created = serde_json::to_value(&body.data.people).unwrap();
    assert_created_at(raw_created["createdAt"].as_str().unwrap());

    let row: (String, String, String, String, String, String, String, i64) = server.db().query_row(
        "SELECT p.name, p.memo, p.email, p.email_norm, p.phone, p.position, p.created_at, w.id
             FROM people p JOIN workspaces w ON w.id = p.workspace_id
             JOIN organizations o ON o.id = p.organization_id
             WHERE p.uuid = ?1 AND o.uuid = ?2",
        &[&body.data.people.id, &org],
        |r| {
            (
                r.get(0),
                r.get(1),
                r.get(2),
                r.get(3),
                r.get(4),
                r.get(5),
                r.get(6),
                r.get(7),
            )
        },
    );
    assert_eq!(row.0, "홍길동");
    assert_eq!(row.1, "첫 미팅에서 소개받음");
    // Stored as given, trimmed; compared by its canonical key.
    assert_eq!(row.2, "GilDong@Example.com");
    assert_eq!(row.3, "gildong@example.com");
    assert_eq!(row.4, "010-1234-5678");
    assert_eq!(row.5, "팀장");
    assert_eq!(row.6, raw_created["createdAt"].as_str().unwrap());
    assert_eq!(row.7, t.workspace_id);
    server.stop().await;
}
each_backend!(creates_a_person_with_korean_name_memo_and_standard_fields);

async fn custom_fields_are_typed_by_their_definitions(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let budget = server
        .field(&t, "person", "예산", "cf_budget", "number", &[])
        .await;
    let vip = server
        .field(&t, "person", "VIP", "cf_vip", "boolean", &[])
        .await;
    let grade = server
        .field(&t, "person", "등급", "cf_grade", "select", &["A", "B"])
        .await;
    let c = client(&server, &t);

    let ok = c
        .salesmap_create_people()
        .body(
            types::CreatePeopleRequest::builder()
                .name("김철수")
                .field_list(Some(vec![
                    types::FieldValue::builder()
                        .name("예산")
                        .number_value(Some(50000.5))
                        .try_into()
                        .unwrap(),
                    types::FieldValue::builder()
                        .name("VIP")
                        .boolean_value(Some(true))
                        .try_into()
                        .unwrap(),
                    text_field("등급", "B"),
                    types::FieldValue::builder()
                        .name("최근 연락일")
                        .date_value(Some("2024-04-08".to_owned()))
                        .try_into()
                        .unwrap(),
                ])),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let stored: Vec<(i64, String)> = server.db().query(
        "SELECT v.definition_id, v.value FROM field_values v JOIN people p ON p.id = v.record_id
             WHERE p.uuid = ?1 ORDER BY v.definition_id",
        &[&ok.data.people.id],
        |r| (r.get(0), r.get(1)),
    );
    let last_contacted: i64 = server.db().value(
        "SELECT id FROM field_definitions WHERE key = 'last_contacted_at' AND workspace_id = ?1",
        &[&t.workspace_id],
    );
    let mut expected = vec![
        (budget, "50000.5".to_owned()),
        (vip, "true".to_owned()),
        (grade, "\"B\"".to_owned()),
        (last_contacted, "\"2024-04-08\"".to_owned()),
    ];
    expected.sort();
    assert_eq!(stored, expected);

    let people_before = server.count("people");
    let cases: Vec<(Vec<types::FieldValue>, &str)> = vec![
        (
            vec![text_field("없는필드", "x")],
            "fieldList[0] (없는필드): unknown field '없는필드': no such data field is defined in this workspace",
        ),
        (
            vec![text_field("예산", "많이")],
            "fieldList[0] (예산): field '예산' is a number field, but a text value was given",
        ),
        (
            vec![text_field("이메일", "a@b.c"), types::FieldValue::builder().name("VIP").number_value(Some(1.0)).try_into().unwrap()],
            "fieldList[1] (VIP): field 'VIP' is a boolean field, but a number value was given",
        ),
        (
            vec![text_field("등급", "Z")],
            "fieldList[0] (등급): field '등급' accepts one of [A, B]; got 'Z'",
        ),
        (
            vec![types::FieldValue::builder().name("최근 연락일").date_value(Some("2024-02-30".to_owned())).try_into().unwrap()],
            "fieldList[0] (최근 연락일): field '최근 연락일' is a date field; '2024-02-30' is not a date (YYYY-MM-DD or an RFC 3339 date-time)",
        ),
        (
            vec![types::FieldValue::builder().name("예산").number_value(Some(1.0)).string_value(Some("1".into())).try_into().unwrap()],
            "fieldList[0] (예산): give exactly one of stringValue, numberValue, booleanValue or dateValue (got 2)",
        ),
        (
            vec![text_field("전화", "1"), text_field("전화", "2")],
            "fieldList[1] (전화): field '전화' is given more than once",
        ),
    ];
    for (fields, message) in cases {
        let (status, err) = client_error(
            c.salesmap_create_people()
                .body(
                    types::CreatePeopleRequest::builder()
                        .name("실패")
                        .field_list(Some(fields)),
                )
                .send()
                .await,
        );
        assert_eq!(
            (status, err.success, err.message.as_str()),
            (400, false, message)
        );
        assert_eq!(err.reason, None);
    }
    assert_eq!(
        server.count("people"),
        people_before,
        "a refused create stores nothing"
    );
    server.stop().await;
}
each_backend!(custom_fields_are_typed_by_their_definitions);

async fn duplicate_email_is_refused_with_the_documented_body(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let c = client(&server, &t);
    let first = c
        .salesmap_create_people()
        .body(
            types::CreatePeopleRequest::builder()
                .name("홍길동")
                .field_list(Some(vec![text_field("이메일", "gildong@example.com")])),
        )
        .send()
        .await
        .unwrap()
        .into_inner();

    for variant in ["gildong@example.com", "  GILDONG@example.COM\t"] {
        let (status, body) = server
            .post_json(
                "/v2/people",
                Some(&t.token),
                &json!({"name": "홍길순", "fieldList": [{"name": "이메일", "stringValue": variant}]}),
            )
            .await;
        assert_eq!(status, 400);
        assert_eq!(
            body,
            json!({
                "success": false,
                "message": "Bad Request",
                "reason": DUPLICATE_REASON,
                "data": {"id": first.data.people.id, "name": "홍길순"}
            })
        );
    }
    assert_eq!(server.count("people"), 1);

    // Another workspace has its own people: the same e-mail is new there.
    let theirs = client(&server, &other)
        .salesmap_create_people()
        .body(
            types::CreatePeopleRequest::builder()
                .name("홍길동")
                .field_list(Some(vec![text_field("이메일", "gildong@example.com")])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status().as_u16(), 201);
    assert_eq!(server.count("people"), 2);
    server.stop().await;
}
each_backend!(duplicate_email_is_refused_with_the_documented_body);

/// Each request on its own task, released together (`common::race`), on four
/// worker threads; the 49 losers each get exactly SalesMap's duplicate answer.
async fn concurrent_duplicates_create_exactly_one_person(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let c = client(&server, &t);
    let results = common::race(50, |i| {
        let c = c.clone();
        async move {
            // The same address, spelled differently each time.
            let email = if i % 2 == 0 {
                "race@example.com".to_owned()
            } else {
                format!(" RACE@Example.com{}", " ".repeat(i % 3))
            };
            c.salesmap_create_people()
                .body(
                    types::CreatePeopleRequest::builder()
                        .name(format!("경쟁자 {i}"))
                        .field_list(Some(vec![text_field("이메일", &email)])),
                )
                .send()
                .await
        }
    })
    .await;
    let mut created = Vec::new();
    let mut refused = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Ok(ok) => created.push(ok.into_inner().data.people.id),
            Err(e) => {
                let (status, err) = client_error::<()>(Err(e));
                refused.push((i, status, serde_json::to_value(err).unwrap()));
            }
        }
    }
    assert_eq!(created.len(), 1, "exactly one create succeeds: {refused:?}");
    assert_eq!(refused.len(), 49);
    for (i, status, err) in refused {
        assert_eq!(
            (status, err),
            (
                400,
                json!({
                    "success": false,
                    "message": "Bad Request",
                    "reason": DUPLICATE_REASON,
                    "data": {"id": created[0], "name": format!("경쟁자 {i}")}
                })
            ),
            "request {i}"
        );
    }
    let rows: i64 = server.db().value(
        "SELECT count(*) FROM people WHERE email_norm = 'race@example.com'",
        &[],
    );
    assert_eq!(rows, 1);
    server.stop().await;
}
each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    concurrent_duplicates_create_exactly_one_person
);

async fn references_are_scoped_to_the_workspace(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let foreign_org = server.organization(&other, "남의 회사").await;
    let missing = "01900000-0000-7000-8000-000000000000";

    let mut messages = Vec::new();
    for id in [&foreign_org, &missing.to_owned()] {
        let (status, body) = server
            .post_json(
                "/v2/people",
                Some(&t.token),
                &json!({"name": "홍길동", "organizationId": id}),
            )
            .await;
        let message = format!("organizationId: no organization with id '{id}' in this workspace");
        assert_eq!(
            (status, &body),
            (404, &json!({"success": false, "message": message}))
        );
        messages.push(
            body["message"]
                .as_str()
                .unwrap()
                .replace(id.as_str(), "<id>"),
        );
    }
    assert_eq!(
        messages[0],
        "organizationId: no organization with id '<id>' in this workspace"
    );
    assert_eq!(
        messages[0], messages[1],
        "another workspace's id is answered like a missing one"
    );
    assert_eq!(server.count("people"), 0);
    server.stop().await;
}
each_backend!(references_are_scoped_to_the_workspace);

async fn creates_leads_with_pipelines_and_stages(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let c = client(&server, &t);
    let org = server.organization(&t, "세일즈맵").await;
    let person = c
        .salesmap_create_people()
        .body(types::CreatePeopleRequest::builder().name("홍길동"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .people
        .id;
    let (pipeline, stages) = server
        .pipeline(&t, "신규 영업", &["발굴", "제안", "계약"])
        .await;
    let source = server
        .field(&t, "lead", "유입 경로", "cf_source", "text", &[])
        .await;

    // Pipeline without a stage: the first stage.
    let lead = c
        .salesmap_create_lead()
        .body(
            types::CreateLeadRequest::builder()
                .name("리드 명")
                .people_id(Some(person.clone()))
                .organization_id(Some(org.clone()))
                .pipeline_id(Some(pipeline.clone()))
                .memo(Some("메모".to_owned()))
                .field_list(Some(vec![text_field("유입 경로", "웹사이트")])),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(lead.status().as_u16(), 201);
    let lead = lead.into_inner();
    assert!(lead.success);
    let l = &lead.data.lead;
    assert_eq!(l.name, "리드 명");
    assert_eq!(l.people_id.as_deref(), Some(person.as_str()));
    assert_eq!(l.organization_id.as_deref(), Some(org.as_str()));
    assert_eq!(l.pipeline_id.as_deref(), Some(pipeline.as_str()));
    assert_eq!(l.pipeline_stage_id.as_deref(), Some(stages[0].as_str()));
    let stored: (String, String, String, String, String, String) = server.db().query_row(
        "SELECT l.name, l.memo, p.uuid, o.uuid, s.uuid, v.value FROM leads l
             JOIN people p ON p.id = l.person_id JOIN organizations o ON o.id = l.organization_id
             JOIN pipeline_stages s ON s.id = l.stage_id
             JOIN field_values v ON v.record_id = l.id AND v.definition_id = ?2
             WHERE l.uuid = ?1",
        &[&l.id, &source],
        |r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)),
    );
    assert_eq!(
        stored,
        (
            "리드 명".into(),
            "메모".into(),
            person.clone(),
            org.clone(),
            stages[0].clone(),
            "\"웹사이트\"".into()
        )
    );

    // An explicit stage of the pipeline; an organization alone is enough.
    let second = c
        .salesmap_create_lead()
        .body(
            types::CreateLeadRequest::builder()
                .name("두번째")
                .organization_id(Some(org.clone()))
                .pipeline_id(Some(pipeline.clone()))
                .pipeline_stage_id(Some(stages[2].clone())),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        second.data.lead.pipeline_stage_id.as_deref(),
        Some(stages[2].as_str())
    );
    assert_eq!(second.data.lead.people_id, None);
    assert_eq!(server.count("leads"), 2);
    server.stop().await;
}
each_backend!(creates_leads_with_pipelines_and_stages);

async fn lead_rules_are_enforced(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let other = server.tenant("other").await;
    let org = server.organization(&t, "세일즈맵").await;
    let (pipeline, _) = server.pipeline(&t, "A", &["1", "2"]).await;
    let (_, other_stages) = server.pipeline(&t, "B", &["x"]).await;
    let (foreign_pipeline, _) = server.pipeline(&other, "C", &["y"]).await;
    let foreign_person = client(&server, &other)
        .salesmap_create_people()
        .body(types::CreatePeopleRequest::builder().name("남"))
        .send()
        .await
        .unwrap()
        .into_inner()
        .data
        .people
        .id;

    let cases = [
        (json!({"name": "x"}), 400, "peopleId: peopleId or organizationId is required (at least one of them)".to_owned()),
        (json!({"name": "x", "peopleId": "", "organizationId": null}), 400, "peopleId: peopleId or organizationId is required (at least one of them)".to_owned()),
        (json!({"name": "  ", "organizationId": org}), 400, "name: must not be empty".to_owned()),
        (json!({"name": "x", "peopleId": foreign_person}), 404, format!("peopleId: no person with id '{foreign_person}' in this workspace")),
        (json!({"name": "x", "organizationId": org, "pipelineId": foreign_pipeline}), 404, format!("pipelineId: no pipeline with id '{foreign_pipeline}' in this workspace")),
        (json!({"name": "x", "organizationId": org, "pipelineId": pipeline, "pipelineStageId": other_stages[0]}), 400, format!("pipelineStageId: '{}' is not a stage of pipeline '{pipeline}'", other_stages[0])),
        (json!({"name": "x", "organizationId": org, "pipelineStageId": other_stages[0]}), 400, "pipelineStageId: a stage can only be given together with its pipelineId".to_owned()),
        (json!({"name": "x", "organizationId": org, "fieldList": [{"name": "이메일", "stringValue": "a@b.c"}]}), 400, "fieldList[0] (이메일): unknown field '이메일': no such data field is defined in this workspace".to_owned()),
    ];
    for (body, status, message) in cases {
        let (got_status, got) = server.post_json("/v2/lead", Some(&t.token), &body).await;
        assert_eq!(
            (got_status, got),
            (status, json!({"success": false, "message": message})),
            "for {body}"
        );
    }
    assert_eq!(server.count("leads"), 0);
    server.stop().await;
}
each_backend!(lead_rules_are_enforced);

async fn malformed_requests_get_salesmap_errors_and_store_nothing(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let expired = server
        .admin(crm::cli::AdminCommand::from(
            crm::cli::TokenCommand::Create(crm::cli::NewTokenArgs {
                workspace: t.workspace_id.to_string(),
                label: "old".into(),
                scopes: vec![],
                all_scopes: false,
                expires_in_secs: Some(-60),
            }),
        ))
        .await;
    let expired_at = format!(
        "Authorization: the bearer token expired at {}",
        expired["expiresAt"].as_str().unwrap()
    );
    let expired = expired["token"].as_str().unwrap().to_owned();

    // (path, token, content type, body, status, message)
    type Case<'a> = (&'a str, Option<&'a str>, &'a str, &'a str, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("/v2/people", Some(&t.token), "application/json", "{\"name\": ", 400, "unable to parse JSON body: name: EOF while parsing a value at line 1 column 9"),
        ("/v2/people", Some(&t.token), "application/json", "{\"name\": 123}", 400, "unable to parse JSON body: name: invalid type: integer `123`, expected a string at line 1 column 12"),
        ("/v2/people", Some(&t.token), "application/json", "{\"memo\": \"x\"}", 400, "unable to parse JSON body: missing field `name` at line 1 column 13"),
        ("/v2/lead", Some(&t.token), "application/json", "{\"name\": \"x\", \"fieldList\": \"nope\"}", 400, "unable to parse JSON body: fieldList: invalid type: string \"nope\", expected a sequence at line 1 column 33"),
        ("/v2/people", Some(&t.token), "text/plain", "{\"name\": \"x\"}", 415, "Content-Type: text/plain is not supported; send application/json"),
        ("/v2/people", None, "application/json", "{\"name\": \"x\"}", 401, "Authorization: a bearer token is required"),
        ("/v2/lead", Some("not-a-real-token"), "application/json", "{\"name\": \"x\"}", 401, "Authorization: the bearer token is not valid"),
        ("/v2/people", Some(&expired), "application/json", "{\"name\": \"x\"}", 401, &expired_at),
        ("/v2/people", Some(&t.token), "application/json", "{\"name\": \"\"}", 400, "name: must not be empty"),
    ];
    for (path, token, content_type, body, status, message) in cases {
        let (got_status, got) = server
            .post_raw(path, token, content_type, body.to_owned())
            .await;
        assert_eq!(
            (got_status, got),
            (status, json!({"success": false, "message": message})),
            "{path} {body}"
        );
    }
    // A malformed Authorization header, which reqwest's bearer helper would not send.
    let resp = reqwest::Client::new()
        .post(format!("{}/v2/people", server.url))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        body,
        json!({"success": false, "message": "Authorization: expected the form 'Bearer <token>'"})
    );

    assert_eq!(server.count("people") + server.count("leads"), 0);
    server.stop().await;
}
each_backend!(malformed_requests_get_salesmap_errors_and_store_nothing);

async fn serves_the_hand_written_documents_unchanged(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let resp = reqwest::get(format!("{}/openapi/salesmap.yaml", server.url))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/yaml; charset=utf-8"
    );
    let served = resp.text().await.unwrap();
    let on_disk = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/openapi/salesmap.yaml"
    ))
    .unwrap();
    assert_eq!(served, on_disk);
    let missing = reqwest::get(format!("{}/openapi/nope.yaml", server.url))
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    server.stop().await;
}
each_backend!(serves_the_hand_written_documents_unchanged);

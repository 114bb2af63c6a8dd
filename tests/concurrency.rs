//! 100 concurrent creates with one e-mail (or reference id) make exactly one
//! record, in every family that dedupes; the others are refused in the family's
//! own format. (Introzy's 100-way e-mail and company races are in tests/introzy.rs.)

mod common;

use common::TestServer;
use serde_json::{json, Value};

async fn race(
    server: &TestServer,
    path: &str,
    headers: &[(&str, String)],
    token: &str,
    body: impl Fn(usize) -> Value,
) -> Vec<(u16, Value)> {
    let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    futures::future::join_all((0..100).map(|i| {
        let body = body(i).to_string();
        let headers = headers.clone();
        async move {
            server
                .post_with_headers(path, Some(token), "application/json", &headers, body)
                .await
        }
    }))
    .await
}

fn statuses(answers: &[(u16, Value)]) -> (usize, usize) {
    let ok = answers
        .iter()
        .filter(|(s, _)| *s == 200 || *s == 201)
        .count();
    (ok, answers.len() - ok)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_email_or_reference_makes_one_record_in_every_family() {
    let server = TestServer::start().await;
    let t = server.tenant("acme").await;
    let contact = server.contact(&t, "C").await;

    let salesmap = race(&server, "/v2/people", &[], &t.token, |i| {
        json!({"name": format!("동시 {i}"), "fieldList": [{"name": "이메일", "stringValue": if i % 2 == 0 { "same@one.test" } else { " SAME@one.test" }}]})
    })
    .await;
    assert_eq!(statuses(&salesmap), (1, 99));
    assert!(salesmap
        .iter()
        .filter(|(s, _)| *s == 400)
        .all(|(_, b)| b["reason"] == "동일한 이메일을 가진 고객이 존재합니다."));

    let bigchange = race(&server, "/v1/contacts/persons", &[("Customer-Id", t.workspace_id.to_string())], &t.token, |i| {
        json!({"contactId": contact, "forename": "B", "surname": format!("{i}"), "email": "same@two.test"})
    })
    .await;
    assert_eq!(statuses(&bigchange), (1, 99));
    assert!(bigchange
        .iter()
        .filter(|(s, _)| *s == 422)
        .all(|(_, b)| b["errors"]["email"].is_array()));

    let maiascore = race(
        &server,
        "/customers",
        &[],
        &t.token,
        |_| json!({"referenceId": "same-ref"}),
    )
    .await;
    assert_eq!(statuses(&maiascore), (1, 99));
    assert!(maiascore
        .iter()
        .filter(|(s, _)| *s == 400)
        .all(|(_, b)| b["message"]
            .as_str()
            .unwrap()
            .starts_with("referenceId: already used")));

    let count = |sql: &str| -> i64 { server.db().query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        count("SELECT count(*) FROM people WHERE email_norm = 'same@one.test'"),
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM people WHERE email_norm = 'same@two.test'"),
        1
    );
    assert_eq!(
        count("SELECT count(*) FROM customers WHERE reference_id = 'same-ref'"),
        1
    );
    assert_eq!(server.count("people"), 2);
    server.stop().await;
}

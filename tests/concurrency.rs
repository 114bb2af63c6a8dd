//! 100 concurrent creates with one e-mail make exactly one record, in every
//! operation that dedupes; every other request is refused in the family's own
//! format, and each refusal is checked whole: its status and its body, which names
//! the one record that was made. (Introzy's 100-way e-mail and company races are in
//! tests/introzy.rs; a SalesMap lead has no unique value to race on.) MaiaScore's
//! `referenceId` is not unique (its page states no such rule): 100 concurrent
//! creates with one make 100 customers.
//!
//! The runtime has four worker threads and each request its own task, released
//! together by a barrier (`common::race`): the requests truly run at once, on
//! both sides, not only interleave at await points.

mod common;

use common::{each_backend, Backend, TestServer};
use crm_testkit::{operation, Fixtures, Operation};
use serde_json::{json, Value};
use std::sync::Arc;

/// 100 concurrent creates of `op`, the `i`-th with `body(i)`; the answers in the
/// order of `i`.
async fn race(
    server: &Arc<TestServer>,
    op: &'static Operation,
    fx: &Fixtures,
    token: &str,
    body: impl Fn(usize) -> Value,
) -> Vec<(u16, Value)> {
    common::race(100, |i| {
        let (server, fx, token) = (server.clone(), fx.clone(), token.to_owned());
        let body = body(i).to_string();
        async move {
            server
                .create(op, Some(&token), &fx, &[], "application/json", body)
                .await
        }
    })
    .await
}

/// The index of the one success, with its record's id; panics unless exactly one
/// request of the 100 succeeded, with `op`'s success status.
fn winner(op: &Operation, answers: &[(u16, Value)]) -> (usize, String) {
    let won: Vec<usize> = (0..answers.len())
        .filter(|&i| answers[i].0 == op.success)
        .collect();
    let [i] = won[..] else {
        panic!(
            "{}: expected exactly one success, got {}: {answers:?}",
            op.name(),
            won.len()
        )
    };
    let id = op
        .created_id(&answers[i].1)
        .unwrap_or_else(|| panic!("{}: no id in {}", op.name(), answers[i].1));
    (i, id.to_owned())
}

/// Every answer but the winner's is exactly `refusal(i)`: 99 of them.
fn assert_losers(
    op: &Operation,
    answers: &[(u16, Value)],
    winner: usize,
    refusal: impl Fn(usize) -> (u16, Value),
) {
    let mut losers = 0;
    for (i, answer) in answers.iter().enumerate() {
        if i == winner {
            continue;
        }
        losers += 1;
        assert_eq!(*answer, refusal(i), "{}: request {i}", op.name());
        op.error_message(answer.0, &answer.1)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    assert_eq!(losers, 99, "{}", op.name());
}

async fn one_email_makes_one_record_and_one_reference_id_a_hundred(backend: Backend) {
    let server = Arc::new(TestServer::start_on(backend).await);
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;

    let op = operation("salesmap_create_people");
    let salesmap = race(&server, op, &fx, &t.token, |i| {
        let mut body = (op.body)(&i.to_string(), &fx);
        body["name"] = json!(format!("동시 {i}"));
        body["fieldList"] = json!([{"name": "이메일", "stringValue": if i % 2 == 0 { "same@one.test" } else { " SAME@one.test" }}]);
        body
    })
    .await;
    let (won, id) = winner(op, &salesmap);
    assert_losers(op, &salesmap, won, |i| {
        (
            400,
            json!({
                "success": false,
                "message": "Bad Request",
                "reason": "동일한 이메일을 가진 고객이 존재합니다.",
                // The existing customer's id, and the name this request tried.
                "data": {"id": id, "name": format!("동시 {i}")}
            }),
        )
    });

    let op = operation("bigchange_create_person");
    let bigchange = race(&server, op, &fx, &t.token, |i| {
        let mut body = (op.body)(&i.to_string(), &fx);
        body["email"] = json!("same@two.test");
        body
    })
    .await;
    let (won, id) = winner(op, &bigchange);
    let message = format!("a person with this e-mail already exists ({id})");
    assert_losers(op, &bigchange, won, |_| {
        (
            422,
            json!({
                "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
                "title": "One or more validation errors occurred.",
                "status": 422,
                "detail": format!("email: {message}"),
                "instance": op.path,
                "errors": {"email": [message]}
            }),
        )
    });

    let op = operation("maiascore_create_customer");
    let maiascore = race(&server, op, &fx, &t.token, |i| {
        let mut body = (op.body)(&i.to_string(), &fx);
        body["referenceId"] = json!("same-ref");
        body
    })
    .await;
    let ids: std::collections::BTreeSet<&str> = maiascore
        .iter()
        .map(|(status, answer)| {
            assert_eq!(*status, op.success, "{answer}");
            assert_eq!(answer["referenceId"], "same-ref");
            op.created_id(answer).unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 100, "one customer each");

    let count = |sql: &str| -> i64 { server.db().value(sql, &[]) };
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
        100
    );
    assert_eq!(server.count("people"), 2);
    assert_eq!(server.count("customers"), 100);
    Arc::into_inner(server)
        .expect("every racing request is done")
        .stop()
        .await;
}
each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    one_email_makes_one_record_and_one_reference_id_a_hundred
);

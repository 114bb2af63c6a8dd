//! The edges of reading a request, for every create operation
//! (`crm_testkit::OPERATIONS`) and every media type it takes: XML that would lose
//! content (a second root, trailing content, attributes), form values that would
//! store a NUL or a replacement character, and headers the operation never
//! declared. Each case asserts the exact status and envelope, and the stored rows.
//! The bound on bodies buffered at once is `tests/body_budget.rs`.

mod common;

use common::{each_backend, Backend, TestServer};
use crm_testkit::{Fixtures, Operation, OPERATIONS};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

const JSON: &str = "application/json";
const XML: &str = "application/xml";
const FORM: &str = "application/x-www-form-urlencoded";

/// Rows in every table a create stores into.
fn stored(server: &TestServer) -> i64 {
    crm_testkit::tables().iter().map(|t| server.count(t)).sum()
}

/// A POST of `op` with its headers for `fx`, `extra` headers as raw bytes, and
/// `body`: the status, the response headers and the body as JSON.
async fn send(
    server: &TestServer,
    op: &Operation,
    fx: &Fixtures,
    token: &str,
    content_type: &str,
    extra: &[(&str, &[u8])],
    body: Vec<u8>,
) -> (u16, HeaderMap, Value) {
    let mut headers = HeaderMap::new();
    for (name, value) in (op.headers)(fx) {
        headers.append(name, HeaderValue::from_str(&value).unwrap());
    }
    for (name, value) in extra {
        headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
    }
    let resp = reqwest::Client::new()
        .post(format!("{}{}", server.url, op.path))
        .header("content-type", content_type)
        .header("authorization", format!("Bearer {token}"))
        .headers(headers)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: the answer is not JSON ({e}): {text}", op.name()));
    (status, headers, body)
}

/// Whether `got` is `op`'s whole error body for `status` with exactly `expected`
/// as its message; what differs, if not.
fn check_error(
    op: &Operation,
    got: (u16, &Value),
    status: u16,
    expected: &str,
    case: &str,
) -> Result<(), String> {
    let name = op.name();
    if got.0 != status {
        return Err(format!(
            "{name} {case}: status {} (not {status}): {}",
            got.0, got.1
        ));
    }
    // The whole body, member for member: the message and nothing else.
    let (_, whole) = op.refusal(status, expected);
    if *got.1 != whole {
        return Err(format!(
            "{name} {case}:\n  got      {}\n  expected {whole}",
            got.1
        ));
    }
    Ok(())
}

fn assert_error(op: &Operation, got: (u16, &Value), status: u16, expected: &str, case: &str) {
    if let Err(e) = check_error(op, got, status, expected, case) {
        panic!("{e}");
    }
}

/// Hostile bodies per media type: (body, the exact message of the 400).
fn hostile(media: &str) -> Vec<(Vec<u8>, String)> {
    let nest = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    match media {
        XML => vec![
            (
                b"<item><addressCity>a\0b</addressCity></item>".to_vec(),
                "body: contains a NUL character".into(),
            ),
            (
                b"<item><addressCity>a&#0;b</addressCity></item>".to_vec(),
                "body: addressCity: contains a NUL character".into(),
            ),
            (
                b"<item><addressCity>a&#x0;b</addressCity></item>".to_vec(),
                "body: addressCity: contains a NUL character".into(),
            ),
            (
                b"<item><addressCity>M\xfcller</addressCity></item>".to_vec(),
                "body: not valid UTF-8 (at byte 20)".into(),
            ),
            (
                // <item> and 16 more: 17 levels.
                format!("<item>{}</item>", nest(16)).into_bytes(),
                "unable to parse XML body: nested deeper than 16 elements".into(),
            ),
            (
                b"<item><referenceId>r1</referenceId></item><item><referenceId>r2</referenceId></item>"
                    .to_vec(),
                "unable to parse XML body: a second root element <item> (at byte 42); send one <item> per request"
                    .into(),
            ),
            (
                b"<item/><item/>".to_vec(),
                "unable to parse XML body: a second root element <item> (at byte 7); send one <item> per request"
                    .into(),
            ),
            (
                b"<item><referenceId>r1</referenceId></item>garbage".to_vec(),
                "unable to parse XML body: text after the root element (at byte 42); only whitespace and comments may follow it"
                    .into(),
            ),
            (
                b"<item><referenceId>r1</referenceId></item>\n<?pi x?>".to_vec(),
                "unable to parse XML body: a processing instruction after the root element (at byte 43); only whitespace and comments may follow it"
                    .into(),
            ),
            (
                b"<item><referenceId>r1</referenceId></item><![CDATA[x]]>".to_vec(),
                "unable to parse XML body: CDATA after the root element (at byte 42); only whitespace and comments may follow it"
                    .into(),
            ),
            (
                b"loose<item><referenceId>r1</referenceId></item>".to_vec(),
                "unable to parse XML body: text before the root element (at byte 0)".into(),
            ),
            (
                br#"<item referenceId="a" gender="female"/>"#.to_vec(),
                "unable to parse XML body: attribute 'referenceId' on <item> is not accepted; send fields as child elements"
                    .into(),
            ),
            (
                br#"<item><referenceId kind="x">r1</referenceId></item>"#.to_vec(),
                "unable to parse XML body: attribute 'kind' on <referenceId> is not accepted; send fields as child elements"
                    .into(),
            ),
            (
                br#"<item><referenceId xsi:nil="true"/></item>"#.to_vec(),
                "unable to parse XML body: attribute 'xsi:nil' on <referenceId> is not accepted; send fields as child elements"
                    .into(),
            ),
            (
                b"<item>loose<referenceId>r1</referenceId></item>".to_vec(),
                "unable to parse XML body: text directly inside <item> (at byte 6); send fields as child elements"
                    .into(),
            ),
        ],
        FORM => vec![
            (
                b"referenceId=f1&addressCity=a%00b".to_vec(),
                "body: addressCity: contains a NUL character".into(),
            ),
            (
                b"referenceId=f1&addressCity=%ff%fe".to_vec(),
                "body: addressCity: not valid UTF-8 (at byte 0)".into(),
            ),
            (
                b"referenceId=f1&addressCity=M%C3%BCller%ff".to_vec(),
                "body: addressCity: not valid UTF-8 (at byte 7)".into(),
            ),
            (
                b"referenceId=f1&a%ffb=x".to_vec(),
                "body: the name of form field 2: not valid UTF-8 (at byte 1)".into(),
            ),
            (
                b"referenceId=f1&a%00b=x".to_vec(),
                "body: the name of form field 2: contains a NUL character".into(),
            ),
            (
                b"referenceId=f1&addressCity=a\0b".to_vec(),
                "body: contains a NUL character".into(),
            ),
            (
                b"referenceId=f1&addressCity=M\xfcller".to_vec(),
                "body: not valid UTF-8 (at byte 28)".into(),
            ),
        ],
        _ => vec![],
    }
}

async fn xml_and_form_bodies_that_would_lose_or_corrupt_content_are_refused(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let (mut cases, mut failures) = (0, vec![]);
    for op in &OPERATIONS {
        for media in op.media_types {
            for (body, expected) in hostile(media) {
                let case = format!("{media} {:?}", String::from_utf8_lossy(&body));
                let (status, _, answer) = send(&server, op, &fx, &t.token, media, &[], body).await;
                failures.extend(check_error(op, (status, &answer), 400, &expected, &case).err());
                cases += 1;
            }
        }
    }
    assert!(
        cases >= 20,
        "the table reaches XML and form ({cases} cases)"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(stored(&server), 0, "nothing was stored");
    server.stop().await;
}
each_backend!(xml_and_form_bodies_that_would_lose_or_corrupt_content_are_refused);

/// The customer row a MaiaScore create stored, as the columns the tests set.
fn customer(server: &TestServer, reference: &str) -> Value {
    server.db().query_row(
        "SELECT reference_id, address_city, gender FROM customers WHERE reference_id = ?1",
        &[&reference],
        |r| {
            json!({
                "referenceId": r.get::<Option<String>>(0),
                "addressCity": r.get::<Option<String>>(1),
                "gender": r.get::<Option<String>>(2),
            })
        },
    )
}

async fn what_xml_and_form_may_carry_is_stored_exactly(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let op = crm_testkit::operation("maiascore_create_customer");
    let nest = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
    // (media type, body, reference id, the city stored)
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            XML,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- a customer -->\n\
             <item xmlns=\"urn:maiascore\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
             <referenceId>x-1</referenceId><addressCity>a &amp; b</addressCity><gender>female</gender></item>\n\
             <!-- end -->\n"
                .into(),
            "x-1",
            "a & b",
        ),
        // <item> and 15 more: 16 levels, the most accepted.
        (
            XML,
            format!("<item><referenceId>x-2</referenceId><addressCity>c</addressCity><gender>female</gender>{}</item>", nest(15)),
            "x-2",
            "c",
        ),
        (
            FORM,
            "referenceId=f-1&addressCity=M%C3%BCller+Stra%C3%9Fe&gender=female".into(),
            "f-1",
            "Müller Straße",
        ),
    ];
    for (media, body, reference, city) in cases {
        let (status, _, answer) =
            send(&server, op, &fx, &t.token, media, &[], body.into_bytes()).await;
        assert_eq!(status, 200, "{media} {reference}: {answer}");
        assert_eq!(answer["addressCity"], city, "{answer}");
        assert_eq!(
            customer(&server, reference),
            json!({"referenceId": reference, "addressCity": city, "gender": "female"})
        );
    }
    server.stop().await;
}
each_backend!(what_xml_and_form_may_carry_is_stored_exactly);

async fn an_unknown_field_is_treated_alike_in_json_xml_and_form(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let op = crm_testkit::operation("maiascore_create_customer");
    // JSON ignores a member `CustomerInput` does not have (serde's default, and
    // what MaiaScore's Strapi does); XML and form must do the same, not differ.
    let bodies = [
        (
            JSON,
            r#"{"referenceId": "u-json", "nickname": "z", "gender": "male"}"#.to_owned(),
            "u-json",
        ),
        (
            XML,
            "<item><referenceId>u-xml</referenceId><nickname>z</nickname><gender>male</gender></item>"
                .to_owned(),
            "u-xml",
        ),
        (
            FORM,
            "referenceId=u-form&nickname=z&gender=male".to_owned(),
            "u-form",
        ),
    ];
    for (media, body, reference) in bodies {
        let (status, _, answer) =
            send(&server, op, &fx, &t.token, media, &[], body.into_bytes()).await;
        assert_eq!(status, 200, "{media}: {answer}");
        assert_eq!(
            customer(&server, reference),
            json!({"referenceId": reference, "addressCity": null, "gender": "male"})
        );
    }
    server.stop().await;
}
each_backend!(an_unknown_field_is_treated_alike_in_json_xml_and_form);

async fn headers_an_operation_does_not_declare_are_never_decoded(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    for op in &OPERATIONS {
        let body = |s: &str| (op.body)(s, &fx).to_string().into_bytes();
        // Bytes that are not visible ASCII, in headers no operation reads.
        let unrelated: &[(&str, &[u8])] = &[("user-agent", b"M\xfcller"), ("x-note", b"\xff\xfe")];
        let (status, _, answer) =
            send(&server, op, &fx, &t.token, JSON, unrelated, body("ua")).await;
        assert_eq!(status, op.success, "{}: {answer}", op.name());
        assert_eq!(server.stored(op, "ua"), 1, "{}: stored once", op.name());

        // A header the operation declares is decoded, and its error names it.
        let before = stored(&server);
        for (extra, expected) in [
            (
                vec![("idempotency-key", &b"M\xfcller"[..])],
                "Idempotency-Key: not a valid header value (visible ASCII only)",
            ),
            (
                vec![
                    ("idempotency-key", &b"k-1"[..]),
                    ("idempotency-key", &b"k-2"[..]),
                ],
                "Idempotency-Key: sent more than once",
            ),
        ] {
            let (status, _, answer) =
                send(&server, op, &fx, &t.token, JSON, &extra, body("bad")).await;
            assert_error(op, (status, &answer), 400, expected, &format!("{extra:?}"));
        }
        assert_eq!(stored(&server), before, "{}: nothing stored", op.name());
    }
    // BigChange's own words for a `Customer-Id` it cannot read are kept.
    let big = crm_testkit::operation("bigchange_create_person");
    let resp = reqwest::Client::new()
        .post(format!("{}{}", server.url, big.path))
        .header("authorization", format!("Bearer {}", t.token))
        .header("content-type", JSON)
        .header("customer-id", HeaderValue::from_bytes(b"1\xff").unwrap())
        .body((big.body)("cid", &fx).to_string())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let answer: Value = resp.json().await.unwrap();
    assert_error(
        big,
        (status, &answer),
        400,
        "Customer-Id: the header is required and must be an integer (int64)",
        "Customer-Id: 1\\xff",
    );
    server.stop().await;
}
each_backend!(headers_an_operation_does_not_declare_are_never_decoded);

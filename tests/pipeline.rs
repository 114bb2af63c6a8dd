//! What the one create pipeline promises every operation alike: who is asking is
//! settled before anything about the request is said (an anonymous caller learns
//! nothing of validation), and scopes are checked as the operation declares them.

mod common;

use common::{each_backend, Backend, TestServer};
use crm_testkit::{Family, OPERATIONS};

/// A body no operation accepts: malformed JSON.
const MALFORMED: &str = "{\"name\": ";
/// The member a parse error of [`MALFORMED`] names.
const MALFORMED_FIELD: &str = "name";

async fn authentication_comes_before_the_body_in_every_operation(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fixtures = server.fixtures(&t, "Org").await;
    for op in &OPERATIONS {
        let headers = (op.headers)(&fixtures);
        let headers: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
        for (token, expected) in [
            (None, "Authorization: a bearer token is required"),
            (
                Some("crm_nope"),
                "Authorization: the bearer token is not valid",
            ),
        ] {
            let (status, body) = server
                .post_with_headers(op.path, token, "application/json", &headers, MALFORMED)
                .await;
            // MaiaScore documents 403 for a missing or invalid token, in its own
            // words first. The answer is about the token, not the body.
            let want = if op.family == Family::MaiaScore {
                op.refusal(
                    403,
                    &format!("this operation requires authentication: {expected}"),
                )
            } else {
                op.refusal(401, expected)
            };
            assert_eq!((status, body), want, "{} {token:?}", op.name());
        }
        // With a valid token the same body is refused for what it is.
        let (status, body) = server
            .post_with_headers(
                op.path,
                Some(&t.token),
                "application/json",
                &headers,
                MALFORMED,
            )
            .await;
        let message = format!(
            "unable to parse JSON body: {}: EOF while parsing a value at line 1 column 9",
            MALFORMED_FIELD
        );
        assert_eq!((status, body), op.refusal(400, &message), "{}", op.name());
    }
}
each_backend!(authentication_comes_before_the_body_in_every_operation);

/// A valid secret under another scheme is no bearer token: it is refused as
/// malformed, before the body, in every operation.
async fn a_valid_secret_under_another_scheme_is_refused(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fixtures = server.fixtures(&t, "Org").await;
    let expected = "Authorization: expected the form 'Bearer <token>'";
    for op in &OPERATIONS {
        for scheme in ["Basic", "Token"] {
            let authorization = format!("{scheme} {}", t.token);
            let mut headers = (op.headers)(&fixtures);
            headers.push(("authorization", authorization));
            let headers: Vec<(&str, &str)> =
                headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
            let (status, body) = server
                .post_with_headers(op.path, None, "application/json", &headers, MALFORMED)
                .await;
            let want = if op.family == Family::MaiaScore {
                op.refusal(
                    403,
                    &format!("this operation requires authentication: {expected}"),
                )
            } else {
                op.refusal(401, expected)
            };
            assert_eq!((status, body), want, "{} {scheme}", op.name());
        }
    }
}
each_backend!(a_valid_secret_under_another_scheme_is_refused);

async fn a_wrong_method_is_answered_in_the_family_envelope(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let client = reqwest::Client::new();
    for op in &OPERATIONS {
        for method in ["GET", "OPTIONS", "PUT", "PATCH", "DELETE", "TRACE"] {
            let answer = client
                .request(
                    method.parse().unwrap(),
                    format!("{}{}", server.url, op.path),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(answer.status(), 405, "{method} {}", op.path);
            let media = answer.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_owned();
            assert_eq!(answer.headers()["allow"], "POST");
            let body: serde_json::Value = answer.json().await.unwrap();
            let expected = format!("method {method} is not allowed on {}; use POST", op.path);
            assert_eq!(
                (405, body),
                op.refusal(405, &expected),
                "{method} {}",
                op.path
            );
            if op.path == "/v1/contacts/persons" {
                assert_eq!(media, "application/problem+json");
            } else {
                assert_eq!(media, "application/json");
            }
        }
    }
}
each_backend!(a_wrong_method_is_answered_in_the_family_envelope);

async fn a_body_that_does_not_arrive_in_time_is_answered_408(backend: Backend) {
    use std::io::{Read, Write};
    let server = TestServer::start_with(
        backend,
        crm_server::ServerConfig {
            bind: "127.0.0.1:0".parse().unwrap(),
            request_timeout: std::time::Duration::from_secs(1),
            ..Default::default()
        },
    )
    .await;
    let t = server.tenant("acme").await;
    let fixtures = server.fixtures(&t, "Org").await;
    let addr = server.url.trim_start_matches("http://").to_owned();
    for op in &OPERATIONS {
        let body = (op.body)("slow", &fixtures).to_string();
        let stored = (op.stored)("slow");
        let before = server.count(stored.table);
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n",
            op.path,
            t.token,
            body.len()
        );
        for (name, value) in (op.headers)(&fixtures) {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let addr = addr.clone();
        let answer = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream.write_all(head.as_bytes()).unwrap();
            // Half the body, then nothing.
            stream
                .write_all(&body.as_bytes()[..body.len() / 2])
                .unwrap();
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer);
            String::from_utf8_lossy(&answer).into_owned()
        })
        .await
        .unwrap();
        let (head, body) = answer
            .split_once("\r\n\r\n")
            .unwrap_or_else(|| panic!("{}: {answer}", op.name()));
        assert!(head.starts_with("HTTP/1.1 408"), "{}: {head}", op.name());
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            (408, body),
            op.refusal(408, "body: did not arrive within 1 s; send it at once"),
            "{}",
            op.name()
        );
        assert_eq!(server.count(stored.table), before, "{}: stored", op.name());
    }
}
each_backend!(a_body_that_does_not_arrive_in_time_is_answered_408);

//! What the one create pipeline promises every operation alike: who is asking is
//! settled before anything about the request is said (an anonymous caller learns
//! nothing of validation), and scopes are checked as the operation declares them.

mod common;

use common::TestServer;
use crm_testkit::OPERATIONS;

/// A body no operation accepts: malformed JSON.
const MALFORMED: &str = "{\"name\": ";

#[tokio::test]
async fn authentication_comes_before_the_body_in_every_operation() {
    let server = TestServer::start().await;
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
            // MaiaScore documents 403 for a missing or invalid token.
            let want = if op.path == "/customers" { 403 } else { 401 };
            assert_eq!(status, want, "{} {token:?}: {body}", op.name());
            let message = op.error_message(status, &body).unwrap();
            assert!(
                message.ends_with(expected),
                "{} {token:?}: the answer must be about the token, not the body: {message}",
                op.name()
            );
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
        assert_eq!(status, 400, "{}: {body}", op.name());
        let message = op.error_message(status, &body).unwrap();
        assert!(
            message.contains("unable to parse JSON body"),
            "{}: {message}",
            op.name()
        );
    }
}

#[tokio::test]
async fn a_wrong_method_is_answered_in_the_family_envelope() {
    let server = TestServer::start().await;
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
            assert_eq!(op.error_message(405, &body).unwrap(), expected, "{body}");
            if op.path == "/v1/contacts/persons" {
                assert_eq!(media, "application/problem+json");
                assert_eq!(body["title"], "Method Not Allowed");
            } else {
                assert_eq!(media, "application/json");
            }
        }
    }
}

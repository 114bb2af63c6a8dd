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

//! The request log of the real binary (its stderr) never holds a token, an
//! `Idempotency-Key`, a query string or anything of a body, whatever the request
//! and its answer: creates of every operation in every media type, replays, key
//! conflicts, no or unknown or malformed tokens (401/403), malformed and invalid
//! bodies (400/422), bodies over the limit (413), unknown media types (415),
//! wrong methods (405), a store that fails (500). And it did log each of those
//! requests, by its request id and status, so an empty log cannot pass.
//!
//! Run at the binary's default level (info) and at trace, where every library
//! speaks.

mod common;
#[path = "support/crm_process.rs"]
mod crm_process;

use common::{each_backend, Backend, TestDatabase};
use crm_process::{tenant, Crm};
use crm_testkit::{Family, Operation, OPERATIONS};

/// In every value a request carries: a body, a key, a query, a token.
const CANARY: &str = "zqxCanary7Lw";

/// One request to send, and the status it must get.
struct Request {
    what: String,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
    status: u16,
}

/// The statuses a family answers with where they differ.
fn invalid_status(op: &Operation) -> u16 {
    if op.family == Family::BigChange {
        422
    } else {
        400
    }
}

fn unauthenticated_status(op: &Operation) -> u16 {
    if op.family == Family::MaiaScore {
        403
    } else {
        401
    }
}

/// The requests for `op`: every kind of answer it gives.
fn requests(
    op: &'static Operation,
    fx: &crm_testkit::Fixtures,
    token: &str,
    round: &str,
) -> Vec<Request> {
    let suffix = |what: &str| format!("{CANARY}-{round}-{what}");
    let json = |what: &str| (op.body)(&suffix(what), fx).to_string().into_bytes();
    let key = format!("key-{CANARY}-{round}-{}", op.operation_id);
    let bearer = format!("Bearer {token}");
    let base = |what: &str, body: Vec<u8>, status: u16| {
        let mut headers: Vec<(&'static str, String)> = (op.headers)(fx);
        headers.push(("authorization", bearer.clone()));
        headers.push(("content-type", "application/json".into()));
        Request {
            what: format!("{} {what}", op.name()),
            method: op.method,
            path: op.path.to_owned(),
            headers,
            body,
            status,
        }
    };
    let with = |mut r: Request, name: &'static str, value: String| {
        r.headers.retain(|(n, _)| *n != name);
        r.headers.push((name, value));
        r
    };
    let mut out = vec![
        with(
            base("created with a key", json("keyed"), op.success),
            "idempotency-key",
            key.clone(),
        ),
        with(
            base("replayed", json("keyed"), op.success),
            "idempotency-key",
            key.clone(),
        ),
        with(
            base("key reused", json("other"), invalid_status(op)),
            "idempotency-key",
            key,
        ),
        {
            let mut r = base("with a query string", json("query"), op.success);
            r.path = format!("{}?access_token={CANARY}&q={CANARY}", op.path);
            r
        },
        {
            let mut r = base(
                "without a token",
                json("anonymous"),
                unauthenticated_status(op),
            );
            r.headers.retain(|(n, _)| *n != "authorization");
            r
        },
        with(
            base(
                "with an unknown token",
                json("unknown"),
                unauthenticated_status(op),
            ),
            "authorization",
            format!("Bearer crm_{CANARY}{round}unknown"),
        ),
        with(
            base(
                "with a malformed token",
                json("malformed"),
                unauthenticated_status(op),
            ),
            "authorization",
            format!("Basic {CANARY}"),
        ),
        base(
            "with malformed JSON",
            format!("{{\"name\": \"{}", suffix("truncated")).into_bytes(),
            400,
        ),
        base(
            "over the size limit",
            suffix("large").repeat(1024 * 1024 / 20).into_bytes(),
            413,
        ),
        with(
            base("in an unknown media type", json("csv"), 415),
            "content-type",
            "text/csv".into(),
        ),
        {
            let mut r = base("with a wrong method", Vec::new(), 405);
            r.method = "PUT";
            r.body = json("put");
            r
        },
    ];
    // A value the family refuses, or looks up in vain, naming it in the answer
    // (not in the log).
    let mut invalid = (op.body)(&suffix("invalid"), fx);
    let mut status = invalid_status(op);
    match op.family {
        Family::SalesMap if op.path == "/v2/lead" => {
            invalid["pipelineId"] = suffix("pipeline").into();
            status = 404;
        }
        Family::SalesMap => invalid["fieldList"][0]["stringValue"] = suffix("not an e-mail").into(),
        Family::Introzy | Family::BigChange => invalid["email"] = suffix("not an e-mail").into(),
        Family::MaiaScore => invalid["dateOfBirth"] = suffix("date").into(),
    }
    out.push(base(
        "with an invalid value",
        invalid.to_string().into_bytes(),
        status,
    ));
    if op.family == Family::MaiaScore {
        let xml = format!(
            "<item><referenceId>{}</referenceId><gender>male</gender></item>",
            suffix("xml")
        );
        out.push(with(
            base("as XML", xml.into_bytes(), op.success),
            "content-type",
            "application/xml".into(),
        ));
        let form = format!("referenceId={}&gender=female", suffix("form"));
        out.push(with(
            base("as a form", form.into_bytes(), op.success),
            "content-type",
            "application/x-www-form-urlencoded".into(),
        ));
    }
    out
}

/// Sends `request`; its request id (from `x-request-id`).
async fn send(url: &str, request: Request) -> (String, u16, String) {
    let mut builder = reqwest::Client::new().request(
        request.method.parse().unwrap(),
        format!("{url}{}", request.path),
    );
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    let response = builder.body(request.body).send().await.unwrap();
    let status = response.status().as_u16();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let answer = response.text().await.unwrap();
    assert_eq!(status, request.status, "{}: {answer}", request.what);
    (id, status, request.what)
}

async fn run(backend: Backend, level: Option<&str>) {
    let db = TestDatabase::new(backend);
    let t = tenant(db.arg(), "log");
    let env: Vec<(&str, &str)> = level.map(|l| ("RUST_LOG", l)).into_iter().collect();
    let crm = Crm::start(db.arg(), &[], &env).unwrap();
    let round = level.unwrap_or("default");
    let mut sent = Vec::new();
    for op in &OPERATIONS {
        for request in requests(op, &t.fixtures, &t.token, round) {
            sent.push(send(&crm.url, request).await);
        }
    }
    // Failures inside the store are logged with their cause: the tables creates
    // write go away under the running server.
    for table in ["field_values", "leads", "people", "customers"] {
        db.sabotage(table);
    }
    for op in &OPERATIONS {
        let mut request = requests(op, &t.fixtures, &t.token, &format!("{round}-broken"))
            .into_iter()
            .next()
            .unwrap();
        request.status = 500;
        request.what = format!("{} on a broken store", op.name());
        sent.push(send(&crm.url, request).await);
    }
    let log = crm.stop();

    // Every request was logged, once, with its status.
    for (id, status, what) in &sent {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" request ") && l.contains(&format!("request_id={id} ")))
            .collect();
        assert_eq!(lines.len(), 1, "{what}: {lines:?}\n{log}");
        assert!(
            lines[0].contains(&format!(" status={status} ")),
            "{what}: {}",
            lines[0]
        );
    }
    let cause = match backend {
        Backend::Sqlite => "no such table",
        Backend::Postgres => "does not exist",
    };
    assert!(
        log.contains("request failed") && log.contains(cause),
        "the store's failure is logged: {log}"
    );
    // Nothing a request carried.
    let secret = &t.token;
    for (what, needle) in [
        ("the token", secret.as_str()),
        (
            "the token's random part",
            &secret["crm_".len().."crm_".len() + 16],
        ),
        ("a value of a request", CANARY),
    ] {
        let found: Vec<&str> = log.lines().filter(|l| l.contains(needle)).collect();
        assert!(
            found.is_empty(),
            "{what} is in the log ({level:?}): {found:#?}"
        );
    }
}

async fn the_log_records_every_request_and_nothing_it_carried(backend: Backend) {
    run(backend, None).await;
}
each_backend!(the_log_records_every_request_and_nothing_it_carried);

async fn at_trace_level_too(backend: Backend) {
    run(backend, Some("trace")).await;
}
each_backend!(at_trace_level_too);

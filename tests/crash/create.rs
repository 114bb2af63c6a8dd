//! One create of a crash round's load (`tests/crash.rs`): everything needed to
//! send it again byte for byte, what one send got, and the check that it is
//! stored whole, exactly once, with its answer recorded under its key.

use super::db::TestDb;
use super::records::{self, Setup};
use crm_testkit::{Operation, OPERATIONS};
use serde_json::Value;

/// One create of the load, and the record it must leave.
#[derive(Clone)]
pub struct Create {
    pub n: u64,
    pub op: &'static Operation,
    /// Makes the body's unique values new (see `Operation::stored`).
    suffix: String,
    pub key: String,
    content_type: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
    expected: Value,
}

/// What one send got.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// The operation's success status, with the created record's id.
    Acked { id: String, answer: Value },
    /// A complete answer that is not a success with an id.
    Answered(u16, String),
    /// Sent, and no complete answer.
    Cut(String),
    /// The connection was refused.
    NotSent,
}

impl Create {
    /// The `n`-th create of round `round`: operation `n % 5`. MaiaScore's bodies
    /// go in turn as JSON, XML and form data.
    pub fn new(round: u32, n: u64, setup: &Setup) -> Create {
        let op = &OPERATIONS[(n % OPERATIONS.len() as u64) as usize];
        let suffix = format!("{round}-{n}");
        let body = records::body(op, n, &suffix, setup);
        let content_type = match op.operation_id {
            "maiascore_create_customer" => {
                op.media_types[(n / OPERATIONS.len() as u64) as usize % op.media_types.len()]
            }
            _ => "application/json",
        };
        Create {
            n,
            op,
            expected: records::expected(op, n, &suffix, &body),
            suffix,
            key: format!("crash-{round}-{n}"),
            content_type,
            headers: (op.headers)(&setup.fx),
            body: records::encode(&body, content_type),
        }
    }

    pub async fn send(&self, client: &reqwest::Client, base: &str, token: &str) -> Outcome {
        let mut request = client
            .post(format!("{base}{}", self.op.path))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", self.content_type)
            .header("Idempotency-Key", &self.key);
        for (name, value) in &self.headers {
            request = request.header(*name, value);
        }
        let response = match request.body(self.body.clone()).send().await {
            Ok(response) => response,
            // Nothing reached the server: it was already gone.
            Err(e) if e.is_connect() => return Outcome::NotSent,
            Err(e) => return Outcome::Cut(failure(&e)),
        };
        let status = response.status().as_u16();
        let text = match response.text().await {
            Ok(text) => text,
            // The status came, the body did not: not a complete answer.
            Err(e) => return Outcome::Cut(format!("{status}, then {}", failure(&e))),
        };
        let answer = serde_json::from_str::<Value>(&text).ok();
        let id = answer
            .as_ref()
            .and_then(|a| self.op.created_id(a).map(str::to_owned));
        match (id, answer) {
            (Some(id), Some(answer)) if status == self.op.success => Outcome::Acked { id, answer },
            _ => Outcome::Answered(status, text),
        }
    }

    /// The ids of the rows holding this create's unique value.
    pub fn stored_ids(&self, db: &TestDb) -> Vec<String> {
        let stored = (self.op.stored)(&self.suffix);
        let sql = format!(
            "SELECT uuid FROM {} WHERE {} = ?1",
            stored.table, stored.column
        );
        db.query(&sql, &[&stored.value], |r| r.get(0))
    }

    pub fn what(&self) -> String {
        format!("{} {}", self.key, self.op.name())
    }

    /// Failures unless record `id` is stored whole, exactly once, with `answer`
    /// recorded under its key.
    pub fn check_stored(&self, db: &TestDb, id: &str, answer: &Value) -> Vec<String> {
        let mut failures = Vec::new();
        let ids = self.stored_ids(db);
        if ids != [id] {
            failures.push(format!("answered {id}, stored {ids:?}"));
        }
        match records::read_back(db, self.op, id) {
            Some(record) if record == self.expected => {}
            Some(record) => failures.push(format!(
                "record {id} is not what was sent: {}",
                records::differences(&record, &self.expected).join("; ")
            )),
            None => failures.push(format!("record {id} is not stored")),
        }
        let recorded = records::recorded_answer(db, &self.key);
        if recorded.as_ref() != Some(&Some(answer.clone())) {
            failures.push(format!(
                "its key holds {recorded:?}, not its answer {answer}"
            ));
        }
        failures
            .into_iter()
            .map(|f| format!("{}: {f}", self.what()))
            .collect()
    }
}

pub fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Acked { id, answer } => format!("success, id {id}: {answer}"),
        Outcome::Answered(status, text) => format!("answer {status}: {text}"),
        Outcome::Cut(e) => format!("no complete answer: {e}"),
        Outcome::NotSent => "connection refused".into(),
    }
}

/// A transport failure, saying whether it was the client's timeout.
fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("timed out: {e}")
    } else {
        format!("{e:?}")
    }
}

//! Crash safety: the real `crm` binary takes concurrent creates from every family,
//! is killed with SIGKILL mid-load, and restarted. Every create it acknowledged
//! must be there, and `PRAGMA integrity_check` must say ok. Rounds alternate the
//! `full` and `normal` durabilities (a killed process loses nothing in either).
//!
//! `CRM_CRASH_ROUNDS` sets the number of rounds (default 5); `cargo xtask crash
//! --rounds N` runs this test with it.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CRM: &str = env!("CARGO_BIN_EXE_crm");

/// Kills the server when dropped, so a failing round leaves no process behind.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `crm serve`; returns it and the bootstrap token if it printed one.
fn start(db: &Path, port: u16, durability: &str) -> (Server, Option<String>) {
    let mut child = Command::new(CRM)
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--durability",
            durability,
            "--db",
        ])
        .arg(db)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(db.with_extension("stderr")).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut token = None;
    let fresh = !db.exists() || std::fs::metadata(db).map(|m| m.len() == 0).unwrap_or(true);
    if fresh {
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if line.trim().starts_with("crm_") {
                token = Some(line.trim().to_owned());
            }
            if line.starts_with("Try: curl") {
                break;
            }
        }
    }
    let server = Server(child);
    if fresh && token.is_none() {
        return (server, None);
    }
    // Ready when it accepts connections.
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, token);
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("crm serve did not start on port {port}");
}

/// One create of family `n % 4`; returns (table, uuid) once acknowledged.
async fn create(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    contact: i64,
    n: u64,
) -> Option<(&'static str, String)> {
    let auth = format!("Bearer {token}");
    let (table, resp) = match n % 4 {
        0 => ("people", client.post(format!("{base}/v2/people")).header("authorization", &auth)
            .json(&json!({"name": format!("충돌 {n}"), "fieldList": [{"name": "이메일", "stringValue": format!("sm-{n}@crash.test")}]}))
            .send().await),
        1 => ("people", client.post(format!("{base}/api/people")).header("authorization", &auth)
            .json(&json!({"email": format!("iz-{n}@crash.test"), "firstName": "Crash", "companyName": format!("Co {}", n % 7)}))
            .send().await),
        2 => ("people", client.post(format!("{base}/v1/contacts/persons")).header("authorization", &auth)
            .header("Customer-Id", "1")
            .json(&json!({"contactId": contact, "forename": "Crash", "surname": format!("{n}"), "email": format!("bc-{n}@crash.test")}))
            .send().await),
        _ => ("customers", client.post(format!("{base}/customers")).header("authorization", &auth)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("referenceId=ref-{n}&gender=female&dateOfBirth=1990-01-01"))
            .send().await),
    };
    let resp = resp.ok()?;
    if !resp.status().is_success() {
        if std::env::var("CRM_CRASH_DEBUG").is_ok() {
            eprintln!(
                "{n}: {} {}",
                resp.status(),
                resp.text().await.unwrap_or_default()
            );
        }
        return None;
    }
    let body: Value = resp.json().await.ok()?;
    let id = body["data"]["people"]["id"]
        .as_str()
        .or(body["data"]["id"].as_str())
        .or(body["id"].as_str())?;
    Some((table, id.to_owned()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_creates_survive_sigkill() {
    let rounds: u32 = std::env::var("CRM_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    for round in 0..rounds {
        let durability = if round % 2 == 0 { "full" } else { "normal" };
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("crm.db");
        // Another process can take a free port between our look and the bind:
        // try a few.
        let (mut port, mut started) = (0, None);
        for _ in 0..3 {
            port = free_port();
            let (server, token) = start(&db, port, durability);
            if token.is_some() {
                started = Some((server, token));
                break;
            }
            let _ = std::fs::remove_file(&db);
        }
        let (server, token) =
            started.unwrap_or((Server(Command::new("true").spawn().unwrap()), None));
        let token = token.unwrap_or_else(|| {
            panic!(
                "round {round}: a fresh database prints a token; the server said: {}",
                std::fs::read_to_string(db.with_extension("stderr")).unwrap_or_default()
            )
        });
        let org = Command::new(CRM)
            .args(["admin", "--db"])
            .arg(&db)
            .args([
                "organization",
                "--workspace",
                "1",
                "--name",
                "Crash Contact",
            ])
            .output()
            .unwrap();
        let contact = serde_json::from_slice::<Value>(&org.stdout).unwrap()["organization"]["id"]
            .as_i64()
            .unwrap();

        let base = format!("http://127.0.0.1:{port}");
        let acked = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Arc::new(AtomicU64::new(0));
        let workers: Vec<_> = (0..16)
            .map(|_| {
                let (acked, stop, counter, base, token) = (
                    acked.clone(),
                    stop.clone(),
                    counter.clone(),
                    base.clone(),
                    token.clone(),
                );
                tokio::spawn(async move {
                    let client = reqwest::Client::builder()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .unwrap();
                    // Bounded: the kill ends it long before this many requests.
                    for _ in 0..100_000 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        if let Some(done) = create(&client, &base, &token, contact, n).await {
                            acked.lock().unwrap().push(done);
                        }
                    }
                })
            })
            .collect();
        // Kill while creates are in flight: once the load is under way (however
        // fast this machine is), at a different moment each round.
        for _ in 0..2000 {
            if acked.lock().unwrap().len() >= 40 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        tokio::time::sleep(Duration::from_millis((u64::from(round) * 73) % 200)).await;
        drop(server); // SIGKILL
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 20,
            "round {round}: the load made too few creates ({})",
            acked.len()
        );

        // Restart on the same database; it must come back and serve.
        let (server, _) = start(&db, port, durability);
        let client = reqwest::Client::new();
        assert!(
            create(
                &client,
                &base,
                &token,
                contact,
                u64::MAX / 2 + u64::from(round)
            )
            .await
            .is_some(),
            "round {round}: the restarted server serves"
        );
        drop(server);

        let conn = rusqlite::Connection::open(&db).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "round {round}");
        let mut missing = Vec::new();
        for (table, uuid) in &acked {
            let found: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM {table} WHERE uuid = ?1"),
                    [uuid],
                    |r| r.get(0),
                )
                .unwrap();
            if found != 1 {
                missing.push((table, uuid));
            }
        }
        assert!(
            missing.is_empty(),
            "round {round} ({durability}): acknowledged creates lost: {missing:?}"
        );
        eprintln!("crash round {round} ({durability}): {} acknowledged creates, all present, integrity ok", acked.len());
    }
}

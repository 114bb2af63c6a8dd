//! The store's side of idempotency keys: the claim, the record and the answer a
//! retry replays are one write. Nothing of a create whose answer fails is stored;
//! an answered key survives a restart with its answer, so no retry ever waits.

mod common;

use common::{each_backend, Backend, TestDatabase, TestDb};
use crm_server::store::{
    CustomerRecord, IdempotentWrite, NewCustomer, NewPerson, OrganizationTarget, PersonRecord,
    StoreError,
};
use crm_server::time::Timestamp;

fn write<R>(
    key: &str,
    fingerprint: u8,
    answer: impl FnOnce(&R) -> anyhow::Result<String> + Send + 'static,
) -> IdempotentWrite<R> {
    IdempotentWrite {
        key: key.to_owned(),
        fingerprint: [fingerprint; 32],
        not_before: Timestamp(Timestamp::now().0 - chrono::Duration::hours(1)),
        answer: Box::new(answer),
    }
}

fn stored_answer(db: &TestDb, key: &str) -> Option<String> {
    db.value(
        "SELECT response FROM idempotency_keys WHERE key = ?1",
        &[&key],
    )
}

fn person(workspace_id: i64) -> NewPerson {
    NewPerson {
        workspace_id,
        name: "Kim".into(),
        email: Some("kim@example.com".into()),
        organization: Some(OrganizationTarget::Named("Made In The Write".into())),
        with_organization_details: true,
        ..Default::default()
    }
}

async fn a_create_whose_answer_fails_stores_nothing(backend: Backend) {
    let database = TestDatabase::new(backend);
    let store = database.open().await;
    let db = database.connect();
    let ws = store.create_workspace("acme").await.unwrap().id.id;

    let failing = write("k", 1, |_: &PersonRecord| anyhow::bail!("cannot render"));
    match store.create_person(person(ws), Some(failing)).await {
        Err(StoreError::Internal(e)) => assert_eq!(
            format!("{e:#}"),
            "rendering the idempotent answer: cannot render"
        ),
        other => panic!("expected the answer's error, got {other:?}"),
    }
    for table in ["people", "organizations", "idempotency_keys"] {
        assert_eq!(db.count(table), 0, "{table}: nothing of the request");
    }

    // The key stayed free: the same request, answerable now, goes through.
    let answering = write("k", 1, |p: &PersonRecord| {
        let company = p.organization_details.as_ref().map(|o| o.name.as_str());
        Ok(serde_json::json!({"id": p.id.uuid, "company": company}).to_string())
    });
    let created = store
        .create_person(person(ws), Some(answering))
        .await
        .unwrap();
    let details = created.organization_details.expect("read inside the write");
    assert_eq!(details.name, "Made In The Write");
    assert_eq!(Some(details.id), created.organization);
    assert_eq!(
        stored_answer(&db, "k").as_deref(),
        Some(
            serde_json::json!({"id": created.id.uuid, "company": "Made In The Write"})
                .to_string()
                .as_str()
        ),
        "answered by the time the create returns"
    );
}
each_backend!(a_create_whose_answer_fails_stores_nothing);

async fn an_answered_key_is_replayed_after_a_restart(backend: Backend) {
    let database = TestDatabase::new(backend);
    let customer = |ws| NewCustomer {
        workspace_id: ws,
        reference_id: Some("ref-1".into()),
        created_by: "test".into(),
        ..Default::default()
    };
    let render = |c: &CustomerRecord| Ok(format!("{{\"id\":\"{}\"}}", c.id.uuid));

    let store = database.open().await;
    let ws = store.create_workspace("acme").await.unwrap().id.id;
    let created = store
        .create_customer(customer(ws), Some(write("once", 7, render)))
        .await
        .unwrap();
    let body = format!("{{\"id\":\"{}\"}}", created.id.uuid);
    drop(store);

    let store = database.open().await;
    let record = store.idempotency_record(ws, "once").await.unwrap().unwrap();
    assert_eq!((record.fingerprint, &record.response), ([7; 32], &body));
    match store
        .create_customer(customer(ws), Some(write("once", 7, render)))
        .await
    {
        Err(StoreError::IdempotencyKeyUsed {
            same_request: true,
            answer: Some(answer),
        }) => assert_eq!(answer, body),
        other => panic!("expected the recorded answer, got {other:?}"),
    }
    match store
        .create_customer(customer(ws), Some(write("once", 8, render)))
        .await
    {
        Err(StoreError::IdempotencyKeyUsed {
            same_request: false,
            answer: None,
        }) => {}
        other => panic!("expected a refusal without the answer, got {other:?}"),
    }
    assert_eq!(database.connect().count("customers"), 1);
}
each_backend!(an_answered_key_is_replayed_after_a_restart);

/// The server's periodic purge forgets keys claimed before the cut-off, and only
/// those: the records they made stay, and a key newer than the cut-off still replays.
async fn purging_forgets_exactly_the_keys_claimed_before_the_cutoff(backend: Backend) {
    let database = TestDatabase::new(backend);
    let store = database.open().await;
    let db = database.connect();
    let ws = store.create_workspace("acme").await.unwrap().id.id;
    let customer = |reference: &str| NewCustomer {
        workspace_id: ws,
        reference_id: Some(reference.into()),
        created_by: "test".into(),
        ..Default::default()
    };
    let render = |c: &CustomerRecord| Ok(c.id.uuid.clone());
    for key in ["old-1", "old-2", "new"] {
        store
            .create_customer(customer(key), Some(write(key, 1, render)))
            .await
            .unwrap();
    }
    let two_hours_ago = Timestamp(Timestamp::now().0 - chrono::Duration::hours(2));
    db.execute(
        "UPDATE idempotency_keys SET created_at = ?1 WHERE key LIKE 'old-%'",
        &[&two_hours_ago.to_rfc3339_millis()],
    );

    let cutoff = Timestamp(Timestamp::now().0 - chrono::Duration::hours(1));
    assert_eq!(store.purge_idempotency(cutoff).await.unwrap(), 2);
    let keys: Vec<String> = db.query("SELECT key FROM idempotency_keys ORDER BY key", &[], |r| {
        r.get(0)
    });
    assert_eq!(keys, ["new"]);
    assert_eq!(
        db.count("customers"),
        3,
        "purging forgets keys, not records"
    );
    assert!(store
        .idempotency_record(ws, "old-1")
        .await
        .unwrap()
        .is_none());
    assert!(store.idempotency_record(ws, "new").await.unwrap().is_some());
    // Nothing more to forget.
    assert_eq!(store.purge_idempotency(cutoff).await.unwrap(), 0);
}
each_backend!(purging_forgets_exactly_the_keys_claimed_before_the_cutoff);

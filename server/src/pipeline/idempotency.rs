//! Idempotency keys, for every create of every family: the same key with the same
//! request answers what the first request answered and creates nothing; with
//! another request it is refused; concurrent requests with one key execute once.
//!
//! The key is claimed by the store in the same transaction as the create, so a
//! retry can never make a second record. The first request's answer is recorded
//! just after; a concurrent duplicate waits for it.

use super::Failure;
use crate::domain::DomainError;
use crate::store::{IdempotencyClaim, Store};
use crate::time::Timestamp;
use crm_api::headers::IDEMPOTENCY_KEY as HEADER;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::time::Duration;

const MAX_KEY_LENGTH: usize = 255;

/// How long a duplicate waits for the first request's answer before giving up.
const WAIT_FOR_FIRST: Duration = Duration::from_secs(10);

/// A request's key and what identifies the request.
#[derive(Clone, Debug)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: [u8; 32],
}

impl Idempotency {
    /// The key from the header, if any, with the fingerprint of `operation` and
    /// the parsed `request` (so the same data sent as JSON or XML is the same
    /// request).
    pub fn from_header(
        key: Option<&str>,
        operation: &str,
        request: &impl Serialize,
    ) -> Result<Option<Self>, DomainError> {
        let Some(key) = key else { return Ok(None) };
        if key.is_empty()
            || key.len() > MAX_KEY_LENGTH
            || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        {
            return Err(DomainError::invalid(
                HEADER,
                format!("must be 1 to {MAX_KEY_LENGTH} visible ASCII characters"),
            ));
        }
        let body = serde_json::to_vec(request).map_err(|e| DomainError::Internal(e.into()))?;
        let mut hash = Sha256::new();
        hash.update(operation.as_bytes());
        hash.update([0]);
        hash.update(&body);
        Ok(Some(Idempotency {
            key: key.to_owned(),
            fingerprint: hash.finalize().into(),
        }))
    }

    fn claim(&self, ttl: Duration) -> IdempotencyClaim {
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(1));
        IdempotencyClaim {
            key: self.key.clone(),
            fingerprint: self.fingerprint,
            not_before: Timestamp(Timestamp::now().0 - ttl),
        }
    }
}

/// Runs `create` under `key`. `create` gets the claim to hand to the store with
/// its record, and returns the success body, which is what a retry replays.
pub async fn guarded<T, F, Fut>(
    store: &dyn Store,
    workspace_id: i64,
    key: Option<Idempotency>,
    ttl: Duration,
    create: F,
) -> Result<T, Failure>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(Option<IdempotencyClaim>) -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let Some(key) = key else {
        return create(None).await;
    };
    let claim = key.claim(ttl);
    // A key already used is answered before any other check, so a retry gets the
    // first answer even where the request would now fail (the e-mail it created
    // is taken, say). The claim inside the create settles races with this read.
    if let Some(record) = store
        .idempotency_record(workspace_id, &key.key)
        .await
        .map_err(DomainError::from)?
    {
        if record.created_at >= claim.not_before {
            if record.fingerprint != key.fingerprint {
                return Err(refused());
            }
            return replay(store, workspace_id, &key).await;
        }
    }
    match create(Some(claim)).await {
        Ok(answer) => {
            let body =
                serde_json::to_string(&answer).map_err(|e| DomainError::Internal(e.into()))?;
            if let Err(e) = store
                .complete_idempotency(workspace_id, &key.key, body)
                .await
            {
                // The record is committed; only a later retry's replay is lost.
                tracing::error!(error = %e, "could not record an idempotent answer");
            }
            Ok(answer)
        }
        Err(Failure::Domain(DomainError::IdempotencyKeyUsed {
            same_request: false,
        })) => Err(refused()),
        Err(Failure::Domain(DomainError::IdempotencyKeyUsed { same_request: true })) => {
            replay(store, workspace_id, &key).await
        }
        Err(e) => Err(e),
    }
}

fn refused() -> Failure {
    DomainError::invalid(HEADER, "already used with a different request").into()
}

/// The first request's answer, waiting for it while that request is in flight.
async fn replay<T: DeserializeOwned>(
    store: &dyn Store,
    workspace_id: i64,
    key: &Idempotency,
) -> Result<T, Failure> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(record) = store
            .idempotency_record(workspace_id, &key.key)
            .await
            .map_err(DomainError::from)?
        {
            if let Some(body) = record.response {
                return serde_json::from_str(&body)
                    .map_err(|e| DomainError::Internal(e.into()).into());
            }
        }
        if started.elapsed() > WAIT_FOR_FIRST {
            return Err(DomainError::invalid(
                HEADER,
                "a request with this key is still being processed; retry later",
            )
            .into());
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

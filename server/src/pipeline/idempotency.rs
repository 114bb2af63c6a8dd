//! Idempotency keys, for every create of every family: the same key with the same
//! request answers what the first request answered and creates nothing; with
//! another request it is refused; concurrent requests with one key execute once.
//!
//! The store claims the key, makes the record and records the answer in one
//! savepoint ([`IdempotentWrite`]), so a key is either free or carries its answer:
//! a retry replays it at once, and no crash between the create and its answer can
//! leave a key claimed and unanswered.

use super::limits::Pattern;
use super::Failure;
use crate::domain::DomainError;
use crate::store::{IdempotentWrite, Store};
use crate::time::Timestamp;
use crm_api::headers::IDEMPOTENCY_KEY as HEADER;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const MAX_KEY_LENGTH: usize = 255;

/// The longest a key may be remembered: 100 years. Its expiry is a timestamp that
/// far back, and timestamps end (a TTL of 10^15 s panicked every keyed create).
pub const MAX_TTL: Duration = Duration::from_secs(36_525 * 24 * 60 * 60);

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
        // The documents declare the key's `pattern`; this is the same string.
        static PATTERN: OnceLock<Pattern> = OnceLock::new();
        let pattern = PATTERN.get_or_init(|| Pattern::new(crm_api::pattern::IDEMPOTENCY_KEY));
        if key.len() > MAX_KEY_LENGTH || !pattern.matches(key) {
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

    /// Claims made before this have expired.
    fn not_before(ttl: Duration) -> Timestamp {
        let ttl = chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::days(1));
        Timestamp(Timestamp::now().0 - ttl)
    }
}

/// Where and how long keys are kept, and what to tell when a key is replayed.
pub struct Guard<'a> {
    pub store: &'a dyn Store,
    pub workspace_id: i64,
    pub ttl: Duration,
    pub replayed: &'a (dyn Fn() + Send + Sync),
}

/// Runs `create` under `key`. `create` gets the write to hand to the store with
/// its record; `render` makes the success body from the record, both inside the
/// store's transaction (what a retry replays) and for this answer.
pub async fn guarded<R, T, F, Fut>(
    guard: Guard<'_>,
    key: Option<Idempotency>,
    render: impl Fn(&R) -> T + Send + Sync + 'static,
    create: F,
) -> Result<T, Failure>
where
    R: 'static,
    T: Serialize + DeserializeOwned,
    F: FnOnce(Option<IdempotentWrite<R>>) -> Fut,
    Fut: Future<Output = Result<R, Failure>>,
{
    let Some(key) = key else {
        return create(None).await.map(|record| render(&record));
    };
    let not_before = Idempotency::not_before(guard.ttl);
    // A key already used is answered before any other check, so a retry gets the
    // first answer even where the request would now fail (the e-mail it created
    // is taken, say). The claim inside the create settles races with this read.
    let recorded = guard
        .store
        .idempotency_record(guard.workspace_id, &key.key)
        .await;
    if let Some(record) = recorded.map_err(DomainError::from)? {
        if record.created_at >= not_before {
            if record.fingerprint != key.fingerprint {
                return Err(refused());
            }
            return replay(&guard, &record.response);
        }
    }
    let render = Arc::new(render);
    let in_store = render.clone();
    let write = IdempotentWrite {
        key: key.key,
        fingerprint: key.fingerprint,
        not_before,
        answer: Box::new(move |record: &R| Ok(serde_json::to_string(&in_store(record))?)),
    };
    match create(Some(write)).await {
        Ok(record) => Ok(render(&record)),
        Err(Failure::Domain(DomainError::IdempotencyKeyUsed {
            same_request,
            answer,
        })) => match (same_request, answer) {
            (false, _) => Err(refused()),
            (true, Some(body)) => replay(&guard, &body),
            // Only a key claimed by a version that recorded answers separately.
            (true, None) => Err(Failure::invalid(
                HEADER,
                "already used by a request whose answer was not recorded; use another key",
            )),
        },
        Err(e) => Err(e),
    }
}

fn refused() -> Failure {
    Failure::invalid(HEADER, "already used with a different request")
}

/// The first request's answer.
fn replay<T: DeserializeOwned>(guard: &Guard<'_>, body: &str) -> Result<T, Failure> {
    (guard.replayed)();
    serde_json::from_str(body).map_err(|e| DomainError::Internal(e.into()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted(key: &str) -> bool {
        Idempotency::from_header(Some(key), "op", &()).is_ok()
    }

    /// The declared pattern takes what the server took before it was declared: a
    /// value as HTTP hands it over (no spaces around it), 1 to 255 bytes of
    /// visible ASCII and inner spaces.
    #[test]
    fn the_key_pattern_is_the_visible_ascii_rule() {
        let rule = |key: &str| {
            !key.is_empty()
                && key.len() <= MAX_KEY_LENGTH
                && key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
        };
        let chars: Vec<char> = (0u32..0x80)
            .chain([0x85, 0xA0, 0xFF, 0x3000, 0xFEFF, 0x1F600])
            .filter_map(char::from_u32)
            .collect();
        for a in &chars {
            for b in &chars {
                let key = format!("{a}{b}");
                let key = key.trim_matches([' ', '\t']);
                assert_eq!(accepted(key), rule(key), "{key:?}");
            }
        }
        assert!(accepted(&"k".repeat(255)));
        assert!(!accepted(&"k".repeat(256)));
        assert!(accepted("a b"));
        assert!(!accepted("a\tb"));
    }

    /// The README promises keys may be kept up to 100 years (`--idempotency-ttl-secs`
    /// is bounded by `MAX_TTL`): claims older than that, and only those, are expired.
    #[test]
    fn the_longest_ttl_is_a_hundred_years_and_still_a_timestamp() {
        use chrono::Datelike;
        // `now` after the expiry, so the difference is the TTL plus a moment.
        let oldest = Idempotency::not_before(MAX_TTL).0;
        let day = Idempotency::not_before(Duration::from_secs(86_400)).0;
        let now = Timestamp::now().0;
        assert_eq!(
            (now - oldest).num_days(),
            36_525,
            "100 years of 365.25 days"
        );
        assert!((99..=100).contains(&(now.year() - oldest.year())));
        assert_eq!((now - day).num_seconds(), 86_400);
    }
}

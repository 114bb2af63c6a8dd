//! Every way a create can fail, and the one mapping from a failure to a family's
//! envelope. What differs between families is said by their [`ErrorEnvelope`]
//! implementations in `crm-api`; what a failure *means* is decided here, once.

use crate::auth::AuthError;
use crate::domain::{DomainError, DUPLICATE_EMAIL};
use crate::store::StoreError;
use crm_api::envelope::{public_message, ErrorEnvelope, INTERNAL_MESSAGE};
use dropshot::{ErrorStatusCode, HttpError};
use std::collections::BTreeMap;

/// Messages by field, in the request's own terms.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// An input dropshot or our extractors refused (malformed JSON, a wrong content
    /// type, a missing header).
    #[error("{0}")]
    Http(HttpError),
    #[error(transparent)]
    Auth(AuthError),
    /// The request is well-formed but breaks rules, by field.
    #[error("invalid fields: {0:?}")]
    Invalid(FieldErrors),
    /// The family refuses the request with its own status and words (BigChange's
    /// `Customer-Id` acting for another customer).
    #[error("{1}")]
    Refused(ErrorStatusCode, String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl Failure {
    /// The headers the answer must carry (`Retry-After` when the server is busy).
    pub fn response_headers(&self) -> http::HeaderMap {
        match self {
            Failure::Http(e) => e.headers.as_deref().cloned().unwrap_or_default(),
            _ => http::HeaderMap::new(),
        }
    }

    /// One invalid field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::Invalid(BTreeMap::from([(field.into(), vec![message.into()])]))
    }
}

/// What a caller is told, with 503, when the database cannot take writes.
pub const UNAVAILABLE_MESSAGE: &str =
    "the service cannot store records right now; nothing was stored; retry later";

/// 503: the database is read-only, full, failing, or its file is gone. The cause
/// is logged as an error; the caller only learns that a retry may succeed.
fn unavailable<E: ErrorEnvelope>(why: &str) -> E {
    tracing::error!(error = %why, "request refused: the database cannot take writes");
    E::with_message(
        ErrorStatusCode::SERVICE_UNAVAILABLE,
        UNAVAILABLE_MESSAGE.to_owned(),
    )
}

fn internal<E: ErrorEnvelope>() -> E {
    E::with_message(
        ErrorStatusCode::INTERNAL_SERVER_ERROR,
        INTERNAL_MESSAGE.to_owned(),
    )
}

/// The failure in the family's envelope. Internal details are logged, never sent.
pub fn envelope<E: ErrorEnvelope>(failure: Failure) -> E {
    match failure {
        Failure::Http(e) => {
            if e.status_code.is_server_error() {
                tracing::error!(error = %e.internal_message, "request failed inside dropshot");
            }
            E::with_message(e.status_code, public_message(e))
        }
        Failure::Auth(AuthError::Store(StoreError::Unavailable(why))) => unavailable(&why),
        Failure::Auth(AuthError::Store(e)) => {
            tracing::error!(error = %e, "authentication failed in the store");
            internal()
        }
        Failure::Auth(e) => {
            let status = if e.is_forbidden() {
                ErrorStatusCode::FORBIDDEN
            } else {
                E::UNAUTHENTICATED
            };
            E::unauthenticated(status, e.to_string())
        }
        Failure::Invalid(errors) => E::invalid(errors),
        Failure::Refused(status, message) => E::with_message(status, message),
        Failure::Domain(e) => domain::<E>(e),
    }
}

fn domain<E: ErrorEnvelope>(e: DomainError) -> E {
    match e {
        DomainError::Invalid { field, message } => {
            E::invalid(BTreeMap::from([(field, vec![message])]))
        }
        DomainError::NotFound { field, message } => E::not_found(&field, &message),
        DomainError::DuplicateEmail {
            existing,
            attempted_name,
        } => E::duplicate_email(
            &existing.uuid,
            &attempted_name,
            &format!("{DUPLICATE_EMAIL} ({})", existing.uuid),
        ),
        // `guarded` resolves a used key; reaching here means a store answered it
        // outside of one.
        e @ DomainError::IdempotencyKeyUsed { .. } => {
            tracing::warn!(error = %e, "an idempotency conflict reached the error mapping");
            E::invalid(BTreeMap::from([(
                crm_api::headers::IDEMPOTENCY_KEY.to_owned(),
                vec!["already used".to_owned()],
            )]))
        }
        DomainError::Unavailable(why) => unavailable(&why),
        DomainError::Internal(err) => {
            tracing::error!(error = %format!("{err:#}"), "request failed");
            internal()
        }
    }
}

//! The shared domain: what a create means, whichever vendor's wire format asked for
//! it. Families translate their requests into these operations and translate
//! [`DomainError`] into their own envelopes.

pub mod customers;
pub mod fields;
pub mod leads;
pub mod number;
pub mod people;
pub mod standard;
pub mod validate;

use crate::store::{RecordId, StoreError};

/// Duplicate e-mails are reported in these words by every family that does not
/// have its own (SalesMap and Introzy do).
pub const DUPLICATE_EMAIL: &str = "a person with this e-mail already exists";

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The input is wrong; `field` names it in the request's own terms.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// An id in the request names no record of the caller's workspace.
    #[error("{field}: {message}")]
    NotFound { field: String, message: String },
    /// A person of the workspace already has this e-mail; `attempted_name` is the
    /// name of the person the request asked for (SalesMap echoes it).
    #[error("email: {DUPLICATE_EMAIL} ({})", existing.uuid)]
    DuplicateEmail {
        existing: RecordId,
        attempted_name: String,
    },
    /// The idempotency key was claimed before; resolved by
    /// [`crate::pipeline::idempotency::guarded`], never shown as such. `answer` is
    /// the body recorded for the same request.
    #[error("Idempotency-Key: already used")]
    IdempotencyKeyUsed {
        same_request: bool,
        answer: Option<String>,
    },
    /// The database cannot take writes now; nothing was stored. Logged; callers
    /// are told to retry, never why.
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
    /// Never shown to callers beyond "internal error"; logged.
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn not_found(field: &str, what: &str, id: &str) -> Self {
        DomainError::NotFound {
            field: field.to_owned(),
            message: format!("no {what} with id '{id}' in this workspace"),
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            // Callers that know the attempted name add it (`people::create_person`).
            StoreError::DuplicateEmail { existing } => DomainError::DuplicateEmail {
                existing,
                attempted_name: String::new(),
            },
            e @ StoreError::DuplicateOrganizationName { .. } => {
                DomainError::invalid("name", e.to_string())
            }
            StoreError::IdempotencyKeyUsed {
                same_request,
                answer,
            } => DomainError::IdempotencyKeyUsed {
                same_request,
                answer,
            },
            StoreError::Unavailable(why) => DomainError::Unavailable(why),
            StoreError::Internal(e) => DomainError::Internal(e),
        }
    }
}

/// An optional id as clients send it: absent, null and "" all mean "none" (vendor
/// examples send `""` for an unset id).
pub fn optional_id(id: Option<String>) -> Option<String> {
    id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

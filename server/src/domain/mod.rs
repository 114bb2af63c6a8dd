//! The shared domain: what a create means, whichever vendor's wire format asked for
//! it. Families translate their requests into these operations and translate
//! [`DomainError`] into their own envelopes.

pub mod customers;
pub mod fields;
pub mod leads;
pub mod people;
pub mod validate;

use crate::store::{RecordId, StoreError};

#[derive(Debug)]
pub enum DomainError {
    /// The input is wrong; `field` names it in the request's own terms.
    Invalid { field: String, message: String },
    /// An id in the request names no record of the caller's workspace.
    NotFound { field: String, message: String },
    /// A person of the workspace already has this e-mail.
    DuplicateEmail { existing: RecordId },
    /// The idempotency key was claimed before; resolved by
    /// [`crate::idempotency::guarded`], never shown as such. `answer` is the body
    /// recorded for the same request.
    IdempotencyKeyUsed {
        same_request: bool,
        answer: Option<String>,
    },
    /// Never shown to callers beyond "internal error"; logged.
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

impl std::fmt::Display for DomainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DomainError::Invalid { field, message } | DomainError::NotFound { field, message } => {
                write!(f, "{field}: {message}")
            }
            DomainError::DuplicateEmail { existing } => write!(
                f,
                "email: a person with this e-mail already exists ({})",
                existing.uuid
            ),
            DomainError::IdempotencyKeyUsed { .. } => {
                write!(f, "Idempotency-Key: already used")
            }
            DomainError::Internal(e) => write!(f, "internal error: {e:#}"),
        }
    }
}

impl From<StoreError> for DomainError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::DuplicateEmail { existing } => DomainError::DuplicateEmail { existing },
            e @ StoreError::DuplicateOrganizationName { .. } => {
                DomainError::invalid("name", e.to_string())
            }
            StoreError::DuplicateReferenceId { existing } => DomainError::invalid(
                "referenceId",
                format!("already used by customer {}", existing.uuid),
            ),
            StoreError::IdempotencyKeyUsed {
                same_request,
                answer,
            } => DomainError::IdempotencyKeyUsed {
                same_request,
                answer,
            },
            StoreError::Internal(e) => DomainError::Internal(e),
        }
    }
}

/// An optional id as clients send it: absent, null and "" all mean "none" (vendor
/// examples send `""` for an unset id).
pub fn optional_id(id: Option<String>) -> Option<String> {
    id.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

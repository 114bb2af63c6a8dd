//! What every family's error type shares: a status, a message for the caller, and
//! dropshot's own errors (bad JSON, wrong content type) in the family's shape.

use crate::auth::AuthError;
use crate::domain::DomainError;
use crate::store::RecordId;
use dropshot::{ErrorStatusCode, HttpError};

/// A family error built from a status and a caller-facing message, with the
/// statuses the family documents for each kind of domain failure.
pub trait ErrorEnvelope: Sized {
    /// Invalid input (400, or 422 for BigChange).
    const INVALID: ErrorStatusCode = ErrorStatusCode::BAD_REQUEST;
    /// An id in the request names no record of the workspace.
    const NOT_FOUND: ErrorStatusCode = ErrorStatusCode::NOT_FOUND;
    /// A missing, malformed, unknown or expired token.
    const UNAUTHENTICATED: ErrorStatusCode = ErrorStatusCode::UNAUTHORIZED;

    fn with_message(status: ErrorStatusCode, message: String) -> Self;

    /// A person of the workspace already has the e-mail.
    fn duplicate_email(existing: &RecordId) -> Self;
}

/// The status and caller-facing message for a failed authentication.
/// `unauthenticated` is the status for a token that identifies no one.
pub fn auth_failure(e: AuthError, unauthenticated: ErrorStatusCode) -> (ErrorStatusCode, String) {
    match e {
        AuthError::Store(ref inner) => {
            tracing::error!(error = %inner, "authentication failed in the store");
            (
                ErrorStatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL_MESSAGE.to_owned(),
            )
        }
        e if e.is_forbidden() => (ErrorStatusCode::FORBIDDEN, e.to_string()),
        e => (unauthenticated, e.to_string()),
    }
}

/// A domain failure in a family's envelope.
pub fn domain_failure<E: ErrorEnvelope>(e: DomainError) -> E {
    match e {
        DomainError::Invalid { .. } | DomainError::IdempotencyKeyUsed { .. } => {
            E::with_message(E::INVALID, e.to_string())
        }
        DomainError::NotFound { .. } => E::with_message(E::NOT_FOUND, e.to_string()),
        DomainError::DuplicateEmail { existing } => E::duplicate_email(&existing),
        DomainError::Internal(err) => {
            tracing::error!(error = %format!("{err:#}"), "request failed");
            E::with_message(
                ErrorStatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL_MESSAGE.to_owned(),
            )
        }
    }
}

/// The message a caller may see: dropshot's own for client errors, nothing of the
/// internals for server errors.
pub fn public_message(e: HttpError) -> String {
    if e.status_code.is_server_error() {
        tracing::error!(error = %e.internal_message, "request failed inside dropshot");
        INTERNAL_MESSAGE.to_owned()
    } else {
        e.external_message
    }
}

pub const INTERNAL_MESSAGE: &str = "internal server error";

/// Implements `Display`, `HttpResponseError`, and `From` dropshot's, auth and domain
/// errors, for a family error type with `status` and `message` fields and an
/// [`ErrorEnvelope`] implementation.
macro_rules! error_envelope {
    ($ty:ty) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.message)
            }
        }

        impl dropshot::HttpResponseError for $ty {
            fn status_code(&self) -> dropshot::ErrorStatusCode {
                self.status
            }
        }

        impl From<dropshot::HttpError> for $ty {
            fn from(e: dropshot::HttpError) -> Self {
                let status = e.status_code;
                <$ty as $crate::api::envelope::ErrorEnvelope>::with_message(
                    status,
                    $crate::api::envelope::public_message(e),
                )
            }
        }

        impl From<$crate::auth::AuthError> for $ty {
            fn from(e: $crate::auth::AuthError) -> Self {
                let (status, message) = $crate::api::envelope::auth_failure(
                    e,
                    <$ty as $crate::api::envelope::ErrorEnvelope>::UNAUTHENTICATED,
                );
                <$ty as $crate::api::envelope::ErrorEnvelope>::with_message(status, message)
            }
        }

        impl From<$crate::domain::DomainError> for $ty {
            fn from(e: $crate::domain::DomainError) -> Self {
                $crate::api::envelope::domain_failure(e)
            }
        }
    };
}
pub(crate) use error_envelope;

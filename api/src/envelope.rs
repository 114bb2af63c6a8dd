//! What every family's error type shares: the [`ErrorEnvelope`] trait, through
//! which the server maps every failure (dropshot's, authentication's, the domain's)
//! to the family's own shape, in one place (`crm_server::pipeline::failure`).
//!
//! A family implements only `with_message` and the hooks where its vendor's page
//! says something else than the defaults.

use dropshot::{ErrorStatusCode, HttpError};
use std::collections::BTreeMap;

/// A family's error body, built from a status and a caller-facing message.
pub trait ErrorEnvelope: serde::Serialize + Sized + Send + 'static {
    /// Invalid input.
    const INVALID: ErrorStatusCode = ErrorStatusCode::BAD_REQUEST;
    /// An id in the request names no record of the workspace.
    const NOT_FOUND: ErrorStatusCode = ErrorStatusCode::NOT_FOUND;
    /// A missing, malformed, unknown or expired token.
    const UNAUTHENTICATED: ErrorStatusCode = ErrorStatusCode::UNAUTHORIZED;

    fn with_message(status: ErrorStatusCode, message: String) -> Self;

    /// Invalid fields, each with its messages (in the request's own terms). The
    /// default reports the first, as `field: message`.
    fn invalid(errors: BTreeMap<String, Vec<String>>) -> Self {
        let first = errors
            .iter()
            .find_map(|(field, messages)| Some(format!("{field}: {}", messages.first()?)))
            .unwrap_or_else(|| "the request is not valid".to_owned());
        Self::with_message(Self::INVALID, first)
    }

    /// An id in the request names no record of the workspace.
    fn not_found(field: &str, message: &str) -> Self {
        Self::with_message(Self::NOT_FOUND, format!("{field}: {message}"))
    }

    /// A person of the workspace already has the e-mail. `message` is the domain's
    /// words for it; `attempted_name` the name of the person the request asked for.
    fn duplicate_email(existing_uuid: &str, attempted_name: &str, message: &str) -> Self {
        let _ = (existing_uuid, attempted_name);
        Self::invalid(BTreeMap::from([(
            "email".to_owned(),
            vec![message.to_owned()],
        )]))
    }

    /// The token is missing or identifies no one (`status` is `UNAUTHENTICATED`), or
    /// lacks a scope (403).
    fn unauthenticated(status: ErrorStatusCode, message: String) -> Self {
        Self::with_message(status, message)
    }

    /// Where the failure happened: the request path (problem details' `instance`).
    fn at(self, _path: &str) -> Self {
        self
    }
}

/// The message a caller may see: the error's own for client errors and for 503
/// (which says why to come back later), nothing of the internals for other server
/// errors.
pub fn public_message(e: HttpError) -> String {
    if e.status_code.is_server_error() && e.status_code != ErrorStatusCode::SERVICE_UNAVAILABLE {
        INTERNAL_MESSAGE.to_owned()
    } else {
        e.external_message
    }
}

pub const INTERNAL_MESSAGE: &str = "internal server error";

/// Implements `Display`, `HttpResponseError` and `From<HttpError>` (what dropshot
/// needs of an endpoint's error type) for a family error type with `status` and
/// `message` fields and an [`ErrorEnvelope`] implementation.
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
                <$ty as $crate::envelope::ErrorEnvelope>::with_message(
                    status,
                    $crate::envelope::public_message(e),
                )
            }
        }
    };
}
pub(crate) use error_envelope;

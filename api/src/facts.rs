//! What an `#[endpoint]` cannot say about an operation, declared once beside its
//! wire types and added to the emitted document by [`crate::contract`].
//!
//! Every fact has a default ([`OperationFacts::new`]), so adding a fact touches no
//! family that does not need it.

use crate::body::JSON;

/// The security scheme every family declares: crm issues bearer tokens.
pub const BEARER: &str = "bearerAuth";

/// What the server declares for one operation, beyond what dropshot emits.
#[derive(Clone, Copy, Debug)]
pub struct OperationFacts {
    /// The operationId: the `CrmApi` method's name.
    pub operation_id: &'static str,
    /// The explicit error statuses the operation answers with. Dropshot emits only
    /// the `4XX`/`5XX` ranges; these replace them, with the same error body.
    pub error_statuses: &'static [u16],
    /// Whether the operation also declares a `default` response (any other status)
    /// with the same error body, as a vendor's page may.
    pub default_error: bool,
    /// The media type of the error body.
    pub error_media_type: &'static str,
    /// Security requirements: (scheme name, scopes).
    pub security: &'static [(&'static str, &'static [&'static str])],
    /// The token scopes the operation requires, emitted as `x-required-scopes`
    /// (OpenAPI 3.0 lets only OAuth2 schemes list scopes; ours are bearer tokens).
    /// The server checks them before anything else of the request.
    pub required_scopes: &'static [&'static str],
    /// The request body's media types, when the handler reads more than the one
    /// dropshot declares (each gets the emitted body schema). Empty: as emitted.
    pub request_media_types: &'static [&'static str],
}

impl OperationFacts {
    /// An operation with the defaults: a bearer token, JSON errors, no scopes, the
    /// request media type dropshot emits, and no explicit error statuses.
    pub const fn new(operation_id: &'static str) -> Self {
        OperationFacts {
            operation_id,
            error_statuses: &[],
            default_error: false,
            error_media_type: JSON,
            security: &[(BEARER, &[])],
            required_scopes: &[],
            request_media_types: &[],
        }
    }

    pub const fn error_statuses(self, error_statuses: &'static [u16]) -> Self {
        OperationFacts {
            error_statuses,
            ..self
        }
    }

    pub const fn default_error(self) -> Self {
        OperationFacts {
            default_error: true,
            ..self
        }
    }

    pub const fn error_media_type(self, error_media_type: &'static str) -> Self {
        OperationFacts {
            error_media_type,
            ..self
        }
    }

    pub const fn required_scopes(self, required_scopes: &'static [&'static str]) -> Self {
        OperationFacts {
            required_scopes,
            ..self
        }
    }

    pub const fn request_media_types(self, request_media_types: &'static [&'static str]) -> Self {
        OperationFacts {
            request_media_types,
            ..self
        }
    }
}

/// What a family's document declares once, beside its operations.
#[derive(Clone, Copy, Debug)]
pub struct DocumentFacts {
    /// The tag of its operations, and its file name in `openapi/` without `.yaml`.
    pub name: &'static str,
    /// `components.securitySchemes`, as JSON.
    pub security_schemes: &'static str,
    pub operations: &'static [&'static OperationFacts],
}

impl DocumentFacts {
    /// A document whose operations use the bearer scheme (every family's today).
    pub const fn bearer(
        name: &'static str,
        operations: &'static [&'static OperationFacts],
    ) -> Self {
        DocumentFacts {
            name,
            security_schemes: r#"{"bearerAuth": {"type": "http", "scheme": "bearer"}}"#,
            operations,
        }
    }
}

/// The facts of an operation, by operationId.
pub fn operation(operation_id: &str) -> Option<&'static OperationFacts> {
    crate::DOCUMENTS
        .iter()
        .flat_map(|d| d.operations.iter().copied())
        .find(|o| o.operation_id == operation_id)
}

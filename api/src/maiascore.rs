//! MaiaScore's wire types (`openapi/maiascore.yaml`): `POST /customers`, one body
//! in three formats, success 200 with Strapi-style metadata, errors `{code, message}`.

use crate::body::{FORM, JSON, XML};
use crate::envelope::ErrorEnvelope;
use crate::facts::{DocumentFacts, OperationFacts};
use crate::headers::IdempotencyKeyHeader;
use crate::operation::{Ok200, Operation};
use crate::time::Timestamp;
use dropshot::ErrorStatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const CREATE_CUSTOMER: OperationFacts = OperationFacts::new("maiascore_create_customer")
    // MaiaScore documents 404 and a `default` error; crm answers 404 for a path
    // under `/customers/` that names nothing.
    .error_statuses(&[400, 403, 404, 408, 413, 415, 500, 503])
    .default_error()
    // `MultiFormatBody` reads all three; dropshot can declare only one.
    .request_media_types(&[JSON, XML, FORM]);

pub const DOCUMENT: DocumentFacts = DocumentFacts::bearer("maiascore", &[&CREATE_CUSTOMER]);

/// MaiaScore's words for a missing or invalid token.
pub const AUTH_REQUIRED: &str = "this operation requires authentication";

/// `POST /customers`, from JSON, XML or form data.
pub enum CreateCustomer {}

impl Operation for CreateCustomer {
    const FACTS: &'static OperationFacts = &CREATE_CUSTOMER;
    type Headers = IdempotencyKeyHeader;
    type Body = CustomerInput;
    type Output = Customer;
    type Error = MaiaError;
    type Answer = Ok200;
}

/// A customer, as JSON, as XML (`<item>…</item>`) or as form fields.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CustomerInput {
    pub uuid: Option<String>,
    pub reference_id: Option<String>,
    /// A calendar date, not in the future.
    #[schemars(with = "Option<chrono::NaiveDate>")]
    pub date_of_birth: Option<String>,
    pub address_street: Option<String>,
    pub address_neighborhood: Option<String>,
    pub address_city: Option<String>,
    pub address_state: Option<String>,
    pub address_country: Option<String>,
    /// As the client names it (`male`, say); MaiaScore lists no values.
    pub gender: Option<String>,
    /// As the client names it (`single`, say); MaiaScore lists no values.
    pub marital_status: Option<String>,
}

/// The stored customer.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub id: String,
    pub uuid: Option<String>,
    pub reference_id: Option<String>,
    #[schemars(with = "Option<chrono::NaiveDate>")]
    pub date_of_birth: Option<String>,
    pub address_street: Option<String>,
    pub address_neighborhood: Option<String>,
    pub address_city: Option<String>,
    pub address_state: Option<String>,
    pub address_country: Option<String>,
    pub gender: Option<String>,
    pub marital_status: Option<String>,
    #[serde(rename = "published_at")]
    pub published_at: Timestamp,
    /// The identity behind the token that created the record.
    #[serde(rename = "created_by")]
    pub created_by: String,
    #[serde(rename = "updated_by")]
    pub updated_by: String,
}

/// MaiaScore's error body.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct MaiaError {
    #[serde(skip)]
    pub status: ErrorStatusCode,
    /// The HTTP status.
    pub code: i32,
    pub message: String,
}

impl ErrorEnvelope for MaiaError {
    const NOT_FOUND: ErrorStatusCode = ErrorStatusCode::BAD_REQUEST;
    /// MaiaScore documents 403 "this operation requires authentication".
    const UNAUTHENTICATED: ErrorStatusCode = ErrorStatusCode::FORBIDDEN;

    fn with_message(status: ErrorStatusCode, message: String) -> Self {
        MaiaError {
            status,
            code: i32::from(status.as_u16()),
            message,
        }
    }

    fn unauthenticated(status: ErrorStatusCode, message: String) -> Self {
        Self::with_message(status, format!("{AUTH_REQUIRED}: {message}"))
    }
}

crate::envelope::error_envelope!(MaiaError);

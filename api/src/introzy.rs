//! Introzy's wire types (`openapi/introzy.yaml`): `POST /api/people`.

use crate::envelope::ErrorEnvelope;
use crate::facts::{DocumentFacts, OperationFacts};
use crate::headers::IdempotencyKeyHeader;
use crate::number::JsonLiteral;
use crate::operation::{Created201, Operation};
use crate::time::Timestamp;
use dropshot::ErrorStatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

pub const CREATE_PERSON: OperationFacts = OperationFacts::new("introzy_create_person")
    .error_statuses(&[400, 401, 404, 408, 409, 413, 415, 500, 503]);

pub const DOCUMENT: DocumentFacts = DocumentFacts::bearer("introzy", &[&CREATE_PERSON]);

/// What Introzy answers with a created person.
pub const CREATED_MESSAGE: &str = "Person created successfully";

/// `POST /api/people`.
pub enum CreatePerson {}

impl Operation for CreatePerson {
    const FACTS: &'static OperationFacts = &CREATE_PERSON;
    type Headers = IdempotencyKeyHeader;
    type Body = CreatePersonRequest;
    type Output = CreatePersonResponse;
    type Error = IntrozyError;
    type Answer = Created201;
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePersonRequest {
    #[schemars(email)]
    pub email: String,
    #[schemars(length(min = 1, max = 100), regex = "crate::pattern::NON_BLANK")]
    pub first_name: String,
    #[schemars(length(max = 100))]
    pub last_name: Option<String>,
    #[schemars(length(max = 50))]
    pub phone_number: Option<String>,
    #[schemars(length(max = 500))]
    pub address: Option<String>,
    /// Link to existing company. An empty string means no company, like null
    /// (Introzy's own example sends `""`).
    // A string on the wire, so that "" is read.
    #[schemars(with = "Option<uuid::Uuid>")]
    pub company_id: Option<String>,
    /// Auto-create company with this name (ignored if companyId provided).
    #[schemars(length(max = 200))]
    pub company_name: Option<String>,
    /// Custom field values keyed by field key (e.g. cf_favorite_color); a string,
    /// number, boolean or null. Only custom fields of the workspace: any other key
    /// is refused (400).
    pub custom_fields: Option<BTreeMap<String, JsonLiteral>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Company {
    #[schemars(with = "uuid::Uuid")]
    pub id: String,
    pub name: String,
    pub industry: Option<String>,
    pub website: Option<String>,
    /// The company's custom field values, by field key.
    pub custom_fields: Map<String, Value>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Person {
    #[schemars(with = "uuid::Uuid")]
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: Option<String>,
    pub phone_number: Option<String>,
    pub address: Option<String>,
    /// Always null; crm does not geocode.
    pub latitude: Option<f64>,
    /// Always null; crm does not geocode.
    pub longitude: Option<f64>,
    #[schemars(with = "Option<uuid::Uuid>")]
    pub company_id: Option<String>,
    pub is_connector: bool,
    pub is_solution_provider: bool,
    pub is_full_user: bool,
    /// The person's custom field values, by field key.
    pub custom_fields: Map<String, Value>,
    /// The linked company, embedded.
    pub company: Option<Company>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreatePersonResponse {
    /// Always `true`.
    pub success: bool,
    pub data: Person,
    /// Always `Person created successfully`.
    pub message: String,
}

/// Introzy's error envelope: `{"success": false, "message": ...}`, plus
/// `existingId` on a 409.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "Error")]
pub struct IntrozyError {
    #[serde(skip)]
    pub status: ErrorStatusCode,
    pub success: bool,
    pub message: String,
    // Absent rather than null when unset (see SalesmapError).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "uuid::Uuid")]
    pub existing_id: Option<String>,
}

impl ErrorEnvelope for IntrozyError {
    fn with_message(status: ErrorStatusCode, message: String) -> Self {
        IntrozyError::new(status, message)
    }

    /// As HubSpot answers a duplicate contact: 409 with the existing id.
    fn duplicate_email(existing_uuid: &str, _attempted_name: &str, _message: &str) -> Self {
        IntrozyError {
            existing_id: Some(existing_uuid.to_owned()),
            ..IntrozyError::new(
                ErrorStatusCode::CONFLICT,
                format!("Person already exists. Existing ID: {existing_uuid}"),
            )
        }
    }
}

impl IntrozyError {
    pub fn new(status: ErrorStatusCode, message: impl Into<String>) -> Self {
        IntrozyError {
            status,
            success: false,
            message: message.into(),
            existing_id: None,
        }
    }
}

crate::envelope::error_envelope!(IntrozyError);

//! SalesMap's wire types (`openapi/salesmap.yaml`): `POST /v2/people` and
//! `POST /v2/lead`, with the `{success, data, message, reason}` envelope.

use crate::envelope::ErrorEnvelope;
use crate::facts::{DocumentFacts, OperationFacts};
use crate::headers::IdempotencyKeyHeader;
use crate::number::NumberLiteral;
use crate::operation::{Created201, Operation};
use crate::time::Timestamp;
use dropshot::ErrorStatusCode;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const CREATE_PEOPLE: OperationFacts =
    OperationFacts::new("salesmap_create_people").error_statuses(ERRORS);
pub const CREATE_LEAD: OperationFacts =
    OperationFacts::new("salesmap_create_lead").error_statuses(ERRORS);
const ERRORS: &[u16] = &[400, 401, 404, 408, 413, 415, 500, 503];

pub const DOCUMENT: DocumentFacts =
    DocumentFacts::bearer("salesmap", &[&CREATE_PEOPLE, &CREATE_LEAD]);

/// The reason SalesMap gives for a duplicate e-mail; clients match on this text.
pub const DUPLICATE_EMAIL_REASON: &str = "동일한 이메일을 가진 고객이 존재합니다.";

/// 고객 생성: `POST /v2/people`.
pub enum CreatePeople {}

impl Operation for CreatePeople {
    const FACTS: &'static OperationFacts = &CREATE_PEOPLE;
    type Headers = IdempotencyKeyHeader;
    type Body = CreatePeopleRequest;
    type Output = CreatePeopleResponse;
    type Error = SalesmapError;
    type Answer = Created201;
}

/// 리드 생성: `POST /v2/lead`.
pub enum CreateLead {}

impl Operation for CreateLead {
    const FACTS: &'static OperationFacts = &CREATE_LEAD;
    type Headers = IdempotencyKeyHeader;
    type Body = CreateLeadRequest;
    type Output = CreateLeadResponse;
    type Error = SalesmapError;
    type Answer = Created201;
}

/// One data field (데이터필드): its name and one value key chosen by its type. A
/// customer's standard fields (이름, 소속 기업, 전화, 이메일, 최근 연락일, 포지션)
/// are data fields too.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FieldValue {
    /// The data field's name, for example `이메일`.
    pub name: String,
    /// The value of a text or single-select field.
    pub string_value: Option<String>,
    /// The value of a number field.
    pub number_value: Option<NumberLiteral>,
    /// The value of a True/False field.
    pub boolean_value: Option<bool>,
    /// The value of a date field, `YYYY-MM-DD` or an RFC 3339 date-time.
    pub date_value: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreatePeopleRequest {
    /// 생성하려는 고객의 이름 (the customer's name).
    #[schemars(length(min = 1), regex = "crate::pattern::NON_BLANK")]
    pub name: String,
    /// 고객와 연결된 회사의 Id.
    pub organization_id: Option<String>,
    /// 고객 생성 시 작성할 메모.
    pub memo: Option<String>,
    /// 생성할 고객의 데이터필드, standard fields included.
    pub field_list: Option<Vec<FieldValue>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateLeadRequest {
    /// 생성하려는 리드의 이름 (the lead's name).
    #[schemars(length(min = 1), regex = "crate::pattern::NON_BLANK")]
    pub name: String,
    /// 리드와 연결된 고객의 Id. At least one of `peopleId` or `organizationId` is required.
    pub people_id: Option<String>,
    /// 리드와 연결된 회사의 Id. At least one of `peopleId` or `organizationId` is required.
    pub organization_id: Option<String>,
    /// 리드 생성 시 작성할 메모.
    pub memo: Option<String>,
    /// 리드가 소속 될 pipeline의 Id.
    pub pipeline_id: Option<String>,
    /// 리드가 소속 된 pipeline의 StageId.
    pub pipeline_stage_id: Option<String>,
    /// 생성할 리드의 데이터필드.
    pub field_list: Option<Vec<FieldValue>>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PeopleSummary {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreatePeopleData {
    pub people: PeopleSummary,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreatePeopleResponse {
    /// Always `true`.
    pub success: bool,
    pub data: CreatePeopleData,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct LeadSummary {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub people_id: Option<String>,
    pub organization_id: Option<String>,
    pub pipeline_id: Option<String>,
    pub pipeline_stage_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateLeadData {
    pub lead: LeadSummary,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct CreateLeadResponse {
    /// Always `true`.
    pub success: bool,
    pub data: CreateLeadData,
}

/// The existing customer with the same e-mail, and the name that was attempted.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
pub struct DuplicatePeople {
    pub id: String,
    pub name: String,
}

/// SalesMap's error envelope: `{"success": false, "message": ...}`, plus `reason`
/// and `data` for a duplicate e-mail.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct SalesmapError {
    #[serde(skip)]
    pub status: ErrorStatusCode,
    pub success: bool,
    pub message: String,
    // Absent rather than null when unset: `with` keeps the schema non-nullable and
    // `default` keeps it optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DuplicatePeople")]
    pub data: Option<DuplicatePeople>,
}

impl ErrorEnvelope for SalesmapError {
    fn with_message(status: ErrorStatusCode, message: String) -> Self {
        SalesmapError::new(status, message)
    }

    /// As SalesMap answers it: 400 "Bad Request", the reason clients match on, and
    /// the existing customer's id with the name that was attempted.
    fn duplicate_email(existing_uuid: &str, attempted_name: &str, _message: &str) -> Self {
        SalesmapError {
            reason: Some(DUPLICATE_EMAIL_REASON.to_owned()),
            data: Some(DuplicatePeople {
                id: existing_uuid.to_owned(),
                name: attempted_name.to_owned(),
            }),
            ..SalesmapError::new(ErrorStatusCode::BAD_REQUEST, "Bad Request")
        }
    }
}

impl SalesmapError {
    pub fn new(status: ErrorStatusCode, message: impl Into<String>) -> Self {
        SalesmapError {
            status,
            success: false,
            message: message.into(),
            reason: None,
            data: None,
        }
    }
}

crate::envelope::error_envelope!(SalesmapError);

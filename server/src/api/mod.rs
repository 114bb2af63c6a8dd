//! The API: one dropshot trait for every vendor family, plus each family's wire
//! types. The OpenAPI document dropshot emits from this trait is what the contract
//! check compares with the hand-written YAML in `openapi/`.
//!
//! Each endpoint is tagged with its family; the tag names its YAML document
//! (`salesmap` → `openapi/salesmap.yaml`). Every input is taken leniently
//! ([`crate::extract`]): the handler answers (and logs) every request, even one
//! dropshot would have refused.

pub mod bigchange;
pub mod envelope;
pub mod introzy;
pub mod maiascore;
pub mod salesmap;

use crate::body::{JsonBody, MultiFormatBody};
use crate::extract::{Lenient, LenientShared};
use crate::idempotency::IdempotencyKeyHeader;
use dropshot::{
    Body, Header, HttpError, HttpResponseCreated, HttpResponseOk, Path, RequestContext,
};
use schemars::JsonSchema;
use serde::Deserialize;

#[dropshot::api_description]
pub trait CrmApi {
    type Context;

    /// 고객 생성: create a SalesMap customer.
    #[endpoint {
        method = POST,
        path = "/v2/people",
        tags = ["salesmap"],
    }]
    async fn salesmap_create_people(
        rqctx: RequestContext<Self::Context>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<salesmap::CreatePeopleRequest>>,
    ) -> Result<HttpResponseCreated<salesmap::CreatePeopleResponse>, salesmap::SalesmapError>;

    /// 리드 생성: create a SalesMap lead.
    #[endpoint {
        method = POST,
        path = "/v2/lead",
        tags = ["salesmap"],
    }]
    async fn salesmap_create_lead(
        rqctx: RequestContext<Self::Context>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<salesmap::CreateLeadRequest>>,
    ) -> Result<HttpResponseCreated<salesmap::CreateLeadResponse>, salesmap::SalesmapError>;

    /// Introzy: create a person.
    #[endpoint {
        method = POST,
        path = "/api/people",
        tags = ["introzy"],
    }]
    async fn introzy_create_person(
        rqctx: RequestContext<Self::Context>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<introzy::CreatePersonRequest>>,
    ) -> Result<HttpResponseCreated<introzy::CreatePersonResponse>, introzy::IntrozyError>;

    /// BigChange: create a person (scope `contacts:persons:write`).
    ///
    /// Inputs are taken leniently so that every failure answers as problem details.
    #[endpoint {
        method = POST,
        path = "/v1/contacts/persons",
        tags = ["bigchange"],
    }]
    async fn bigchange_create_person(
        rqctx: RequestContext<Self::Context>,
        headers: LenientShared<Header<bigchange::PersonHeaders>>,
        body: Lenient<JsonBody<bigchange::CreatePersonModel>>,
    ) -> Result<
        bigchange::ProblemOr<HttpResponseCreated<bigchange::CreatedRecord>>,
        bigchange::Problem,
    >;

    /// MaiaScore: create a customer, from JSON, XML or form data.
    #[endpoint {
        method = POST,
        path = "/customers",
        tags = ["maiascore"],
    }]
    async fn maiascore_create_customer(
        rqctx: RequestContext<Self::Context>,
        idempotency: LenientShared<Header<IdempotencyKeyHeader>>,
        body: Lenient<MultiFormatBody<maiascore::CustomerInput>>,
    ) -> Result<HttpResponseOk<maiascore::Customer>, maiascore::MaiaError>;

    /// The store's writer statistics (commits, and the writes they carried), for
    /// benchmarks and operators.
    #[endpoint {
        method = GET,
        path = "/internal/stats",
        unpublished = true,
    }]
    async fn internal_stats(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<HttpResponseOk<Stats>, HttpError>;

    /// The hand-written OpenAPI documents, served exactly as they are in `openapi/`.
    #[endpoint {
        method = GET,
        path = "/openapi/{document}",
        unpublished = true,
    }]
    async fn openapi_document(
        rqctx: RequestContext<Self::Context>,
        path: Path<DocumentPath>,
    ) -> Result<http::Response<Body>, HttpError>;
}

#[derive(serde::Serialize, JsonSchema)]
pub struct Stats {
    /// Transactions committed since the server started.
    pub commits: u64,
    /// Writes (creates) those transactions carried.
    pub writes: u64,
}

#[derive(Deserialize, JsonSchema)]
pub struct DocumentPath {
    /// A file name in `openapi/`, for example `salesmap.yaml`.
    pub document: String,
}

/// What a `#[endpoint]` cannot say about an operation, declared beside its wire
/// types and added to the emitted document by [`crate::contract`].
#[derive(Clone, Copy, Debug)]
pub struct OperationFacts {
    pub operation_id: &'static str,
    /// The explicit error statuses the operation answers with. Dropshot emits only
    /// the `4XX`/`5XX` ranges; these replace them, with the same error body.
    pub error_statuses: &'static [u16],
    /// The media type of the error body.
    pub error_media_type: &'static str,
    /// Security requirements: (scheme name, scopes).
    pub security: &'static [(&'static str, &'static [&'static str])],
    /// The token scopes the operation requires, emitted as `x-required-scopes`
    /// (OpenAPI 3.0 lets only OAuth2 schemes list scopes; ours are bearer tokens).
    pub required_scopes: &'static [&'static str],
    /// The request body's media types, when the handler reads more than the one
    /// dropshot declares (each gets the emitted body schema). Empty: as emitted.
    pub request_media_types: &'static [&'static str],
}

/// What a family's document declares once, beside its operations.
#[derive(Clone, Copy, Debug)]
pub struct DocumentFacts {
    /// The tag of its operations, and its file name in `openapi/` without `.yaml`.
    pub name: &'static str,
    /// `components.securitySchemes`, as JSON.
    pub security_schemes: &'static str,
    pub operations: &'static [OperationFacts],
}

/// Every family's document.
pub const DOCUMENTS: &[DocumentFacts] = &[
    salesmap::DOCUMENT,
    introzy::DOCUMENT,
    bigchange::DOCUMENT,
    maiascore::DOCUMENT,
];

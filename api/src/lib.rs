//! The crm HTTP API: one dropshot trait ([`CrmApi`]) for every vendor family, each
//! family's wire types and declared facts, and the body extractors. It knows
//! nothing of the domain or the store, so the OpenAPI document is emitted from this
//! crate alone ([`contract`]), and the server (`crm-server`) implements the trait.
//!
//! Each endpoint is tagged with its family; the tag names its YAML document
//! (`salesmap` → `openapi/salesmap.yaml`). Every input is taken leniently
//! ([`extract`]): the server answers (and logs) every request itself, even one
//! dropshot would have refused.

pub mod bigchange;
pub mod body;
pub mod contract;
pub mod envelope;
pub mod extract;
pub mod facts;
pub mod headers;
pub mod introzy;
pub mod maiascore;
pub mod number;
pub mod operation;
pub mod pattern;
pub mod required;
pub mod salesmap;
pub mod time;

pub use facts::{DocumentFacts, OperationFacts};

use body::{JsonBody, MultiFormatBody};
use dropshot::{Body, HttpError, HttpResponseCreated, Path, RequestContext};
use extract::{Lenient, LenientShared};
use headers::{Headers, IdempotencyKeyHeader};
use operation::{CreatedOr, OkOr};
use schemars::JsonSchema;
use serde::Deserialize;

/// Every family's document: with the `pub mod` line, the tag in `tag_config` and the
/// endpoints in [`CrmApi`], this is where a family is registered.
pub const DOCUMENTS: &[DocumentFacts] = &[
    salesmap::DOCUMENT,
    introzy::DOCUMENT,
    bigchange::DOCUMENT,
    maiascore::DOCUMENT,
];

#[dropshot::api_description {
    // One tag per published endpoint: the tag names the family's document.
    tag_config = {
        tags = {
            "salesmap" = { description = "SalesMap: people and leads (openapi/salesmap.yaml)" },
            "introzy" = { description = "Introzy: people (openapi/introzy.yaml)" },
            "bigchange" = { description = "BigChange contacts: persons (openapi/bigchange.yaml)" },
            "maiascore" = { description = "MaiaScore: customers (openapi/maiascore.yaml)" },
        },
        policy = dropshot::EndpointTagPolicy::ExactlyOne,
        allow_other_tags = false,
    }
}]
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
        idempotency: LenientShared<Headers<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<salesmap::CreatePeopleRequest>>,
    ) -> Result<
        CreatedOr<salesmap::CreatePeopleResponse, salesmap::SalesmapError>,
        salesmap::SalesmapError,
    >;

    /// 리드 생성: create a SalesMap lead.
    #[endpoint {
        method = POST,
        path = "/v2/lead",
        tags = ["salesmap"],
    }]
    async fn salesmap_create_lead(
        rqctx: RequestContext<Self::Context>,
        idempotency: LenientShared<Headers<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<salesmap::CreateLeadRequest>>,
    ) -> Result<
        CreatedOr<salesmap::CreateLeadResponse, salesmap::SalesmapError>,
        salesmap::SalesmapError,
    >;

    /// Introzy: create a person.
    #[endpoint {
        method = POST,
        path = "/api/people",
        tags = ["introzy"],
    }]
    async fn introzy_create_person(
        rqctx: RequestContext<Self::Context>,
        idempotency: LenientShared<Headers<IdempotencyKeyHeader>>,
        body: Lenient<JsonBody<introzy::CreatePersonRequest>>,
    ) -> Result<
        CreatedOr<introzy::CreatePersonResponse, introzy::IntrozyError>,
        introzy::IntrozyError,
    >;

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
        headers: LenientShared<Headers<bigchange::PersonHeaders>>,
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
        idempotency: LenientShared<Headers<IdempotencyKeyHeader>>,
        body: Lenient<MultiFormatBody<maiascore::CustomerInput>>,
    ) -> Result<OkOr<maiascore::Customer, maiascore::MaiaError>, maiascore::MaiaError>;

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

    /// What this server is, with links to the reference and the documents.
    #[endpoint {
        method = GET,
        path = "/",
        unpublished = true,
    }]
    async fn home_page(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<http::Response<Body>, HttpError>;

    /// The reference's index: every family, its version and operations.
    #[endpoint {
        method = GET,
        path = "/docs",
        unpublished = true,
    }]
    async fn docs_index(
        rqctx: RequestContext<Self::Context>,
    ) -> Result<http::Response<Body>, HttpError>;

    /// A family's interactive reference, rendered in the browser from the document
    /// served at `/openapi/<family>.yaml`.
    #[endpoint {
        method = GET,
        path = "/docs/{family}",
        unpublished = true,
    }]
    async fn docs_family(
        rqctx: RequestContext<Self::Context>,
        path: Path<FamilyPath>,
    ) -> Result<http::Response<Body>, HttpError>;

    /// The files the pages load (Swagger UI, embedded in the binary).
    #[endpoint {
        method = GET,
        path = "/assets/{file}",
        unpublished = true,
    }]
    async fn docs_asset(
        rqctx: RequestContext<Self::Context>,
        path: Path<AssetPath>,
    ) -> Result<http::Response<Body>, HttpError>;
}

#[derive(Deserialize, JsonSchema)]
pub struct DocumentPath {
    /// A file name in `openapi/`, for example `salesmap.yaml`.
    pub document: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct FamilyPath {
    /// A family's name: its document's file name without `.yaml`.
    pub family: String,
}

#[derive(Deserialize, JsonSchema)]
pub struct AssetPath {
    /// A file the pages load, for example `swagger-ui-bundle.js`.
    pub file: String,
}

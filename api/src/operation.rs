//! One create operation as the wire sees it: its declared facts, its headers, body,
//! success body and error envelope, and how its answer becomes a dropshot response.
//! The server's create pipeline is generic over this trait; each family declares one
//! type per operation (`salesmap::CreatePeople`, ...).

use crate::bigchange::{Problem, ProblemDetails, ProblemOr};
use crate::envelope::ErrorEnvelope;
use crate::facts::OperationFacts;
use crate::headers::CreateHeaders;
use dropshot::{HttpResponse, HttpResponseCreated, HttpResponseError, HttpResponseOk};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;

pub trait Operation: Send + Sync + 'static {
    /// The operationId and what the document declares beside the endpoint.
    const FACTS: &'static OperationFacts;
    type Headers: CreateHeaders + Send + Sync + 'static;
    type Body: Serialize + JsonSchema + Send + Sync + 'static;
    /// The success body (what an idempotent retry replays).
    type Output: Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static;
    type Error: ErrorEnvelope;
    /// The success status and how failures travel.
    type Answer: Answer<Self::Output, Self::Error>;
}

/// How an operation's result becomes the endpoint's response.
pub trait Answer<O, E> {
    type Response: HttpResponse + Send + Sync + 'static;
    type Error: HttpResponseError + Send + Sync + 'static;
    fn answer(result: Result<O, E>) -> Result<Self::Response, Self::Error>;
}

/// 201 with the body; errors as the family's JSON error type.
pub enum Created201 {}

impl<O, E> Answer<O, E> for Created201
where
    O: Serialize + JsonSchema + Send + Sync + 'static,
    E: HttpResponseError + Send + Sync + 'static,
{
    type Response = HttpResponseCreated<O>;
    type Error = E;
    fn answer(result: Result<O, E>) -> Result<Self::Response, E> {
        result.map(HttpResponseCreated)
    }
}

/// 200 with the body (MaiaScore answers a create with 200).
pub enum Ok200 {}

impl<O, E> Answer<O, E> for Ok200
where
    O: Serialize + JsonSchema + Send + Sync + 'static,
    E: HttpResponseError + Send + Sync + 'static,
{
    type Response = HttpResponseOk<O>;
    type Error = E;
    fn answer(result: Result<O, E>) -> Result<Self::Response, E> {
        result.map(HttpResponseOk)
    }
}

/// 201 with the body; every problem as `application/problem+json` with its own
/// status (dropshot sends error types as `application/json`, so problems travel on
/// the success path: see [`ProblemOr`]).
pub enum ProblemCreated201 {}

impl<O> Answer<O, ProblemDetails> for ProblemCreated201
where
    O: Serialize + JsonSchema + Send + Sync + 'static,
{
    type Response = ProblemOr<HttpResponseCreated<O>>;
    type Error = Problem;
    fn answer(result: Result<O, ProblemDetails>) -> Result<Self::Response, Problem> {
        Ok(match result {
            Ok(o) => ProblemOr::Ok(HttpResponseCreated(o)),
            Err(p) => ProblemOr::Problem(p),
        })
    }
}

/// What an extractor carries: the pipeline takes headers and bodies through
/// whichever extractor an endpoint declares.
pub trait Extracted {
    type Inner;
    fn into_inner(self) -> Self::Inner;
}

impl<T> Extracted for crate::headers::Headers<T> {
    type Inner = T;
    fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Extracted for crate::body::JsonBody<T> {
    type Inner = T;
    fn into_inner(self) -> T {
        self.0
    }
}

impl<T> Extracted for crate::body::MultiFormatBody<T> {
    type Inner = T;
    fn into_inner(self) -> T {
        self.value
    }
}

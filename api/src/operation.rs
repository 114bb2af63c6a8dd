//! One create operation as the wire sees it: its declared facts, its headers, body,
//! success body and error envelope, and how its answer becomes a dropshot response.
//! The server's create pipeline is generic over this trait; each family declares one
//! type per operation (`salesmap::CreatePeople`, ...).

use crate::bigchange::{Problem, ProblemDetails, ProblemOr};
use crate::envelope::ErrorEnvelope;
use crate::facts::OperationFacts;
use crate::headers::CreateHeaders;
use dropshot::{
    ApiEndpointResponse, Body, HttpError, HttpResponse, HttpResponseCreated, HttpResponseError,
    HttpResponseOk,
};
use http::{HeaderMap, StatusCode};
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
    fn answer(result: Result<O, Refusal<E>>) -> Result<Self::Response, Self::Error>;
}

/// A failure in the family's envelope, with the response headers it needs
/// (`Retry-After` on a 503).
pub struct Refusal<E> {
    pub error: E,
    pub headers: HeaderMap,
}

/// A success response `R`, or an error `E` that carries headers. Dropshot builds an
/// endpoint's error type into a response through `HttpResponseContent`, which can
/// add no header (only its own `HttpError` carries headers), so an error with
/// headers travels here, on the success path. The emitted document shows `R`; the
/// error statuses are declared in the family's facts.
pub enum OrRefusal<R, E> {
    Ok(R),
    Refused(E, HeaderMap),
}

/// 201 with the body, or the family's error with its headers.
pub type CreatedOr<O, E> = OrRefusal<HttpResponseCreated<O>, E>;
/// 200 with the body, or the family's error with its headers.
pub type OkOr<O, E> = OrRefusal<HttpResponseOk<O>, E>;

impl<R: HttpResponse, E: HttpResponseError> HttpResponse for OrRefusal<R, E> {
    fn to_result(self) -> Result<http::Response<Body>, HttpError> {
        match self {
            OrRefusal::Ok(r) => r.to_result(),
            OrRefusal::Refused(e, headers) => {
                let status = e.status_code().as_status();
                let mut response = e.to_response(http::Response::builder().status(status))?;
                response.headers_mut().extend(headers);
                Ok(response)
            }
        }
    }

    fn response_metadata() -> ApiEndpointResponse {
        R::response_metadata()
    }

    fn status_code(&self) -> StatusCode {
        match self {
            OrRefusal::Ok(r) => r.status_code(),
            OrRefusal::Refused(e, _) => e.status_code().as_status(),
        }
    }
}

/// `response(body)` on success; an error without headers goes out through
/// dropshot's error path, one with headers through [`OrRefusal`].
fn or_refusal<O, R, E>(
    result: Result<O, Refusal<E>>,
    response: fn(O) -> R,
) -> Result<OrRefusal<R, E>, E> {
    match result {
        Ok(o) => Ok(OrRefusal::Ok(response(o))),
        Err(r) if r.headers.is_empty() => Err(r.error),
        Err(r) => Ok(OrRefusal::Refused(r.error, r.headers)),
    }
}

/// 201 with the body; errors as the family's JSON error type.
pub enum Created201 {}

impl<O, E> Answer<O, E> for Created201
where
    O: Serialize + JsonSchema + Send + Sync + 'static,
    E: HttpResponseError + Send + Sync + 'static,
{
    type Response = CreatedOr<O, E>;
    type Error = E;
    fn answer(result: Result<O, Refusal<E>>) -> Result<Self::Response, E> {
        or_refusal(result, HttpResponseCreated)
    }
}

/// 200 with the body (MaiaScore answers a create with 200).
pub enum Ok200 {}

impl<O, E> Answer<O, E> for Ok200
where
    O: Serialize + JsonSchema + Send + Sync + 'static,
    E: HttpResponseError + Send + Sync + 'static,
{
    type Response = OkOr<O, E>;
    type Error = E;
    fn answer(result: Result<O, Refusal<E>>) -> Result<Self::Response, E> {
        or_refusal(result, HttpResponseOk)
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
    fn answer(result: Result<O, Refusal<ProblemDetails>>) -> Result<Self::Response, Problem> {
        Ok(match result {
            Ok(o) => ProblemOr::Ok(HttpResponseCreated(o)),
            Err(r) => ProblemOr::Problem(Box::new(r.error), r.headers),
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

//! The one create pipeline. Every create of every family runs through [`create`]:
//! log → authenticate (the operation's declared scopes) → the operation's headers
//! and [`Create::admit`] → the body → the idempotency key (a used key is answered
//! here, before any other check) → validation (the wire type's declared limits,
//! [`limits`], then [`Create::validate`]) → [`Create::create`] (wire → domain →
//! store) → [`Create::render`] (domain → wire). Failures of every step reach the
//! family's envelope through one mapping ([`failure`]).
//!
//! A family writes only what is its own: one [`Create`] impl per operation.

pub mod failure;
pub mod idempotency;
pub mod limits;

use crate::auth::{self, Principal};
use crate::context::ServerContext;
use crate::domain::DomainError;
use crate::request_log::logged;
use crate::store::IdempotentWrite;
use crm_api::envelope::ErrorEnvelope;
use crm_api::extract::{Lenient, LenientShared};
use crm_api::headers::CreateHeaders;
use crm_api::operation::{Answer, Extracted, Operation, Refusal};
use dropshot::{ErrorStatusCode, HttpError, RequestContext};
pub use failure::{Failure, FieldErrors};
use http::HeaderMap;
use idempotency::Idempotency;
use std::future::Future;
use std::sync::Arc;

/// The wire body, headers and success body of an operation.
pub type Body<Op> = <Op as Operation>::Body;
pub type Headers<Op> = <Op as Operation>::Headers;
pub type Output<Op> = <Op as Operation>::Output;
type ApiError<Op> = <Op as Operation>::Error;
type AnswerOf<Op> = <Op as Operation>::Answer;
/// The endpoint's response and error types, as the `CrmApi` trait declares them.
pub type Response<Op> = <AnswerOf<Op> as Answer<Output<Op>, ApiError<Op>>>::Response;
pub type WireError<Op> = <AnswerOf<Op> as Answer<Output<Op>, ApiError<Op>>>::Error;

/// The [`Call`] of an operation.
pub type CallOf<'a, Op> = Call<'a, Body<Op>, <Op as Create>::Created>;

/// One create, as the family's [`Create::create`] sees it.
pub struct Call<'a, B, C> {
    pub store: &'a dyn crate::store::Store,
    pub who: &'a Principal,
    pub body: &'a B,
    /// The idempotency key to hand to the store with the record: the store writes
    /// the answer (rendered from the record) in the create's own savepoint.
    pub claim: Option<IdempotentWrite<C>>,
}

/// What a family supplies for one create operation: implemented on the
/// operation's wire side (its `crm-api` type), which says the rest.
pub trait Create: Operation {
    /// What the domain made, to render the answer from.
    type Created: Send + 'static;
    /// The operation's method (every create is a `POST`).
    const METHOD: http::Method = http::Method::POST;

    /// The operation's headers could not be read (`raw` is the request's).
    fn header_failure(_raw: &HeaderMap, e: HttpError) -> Failure {
        Failure::Http(e)
    }

    /// Checks the headers against the caller, before the body is looked at.
    fn admit(_who: &Principal, _headers: &Headers<Self>) -> Result<(), Failure> {
        Ok(())
    }

    /// The family's own rules beyond the limits its wire type declares, by field.
    /// A field that fails here is not checked against its declared limits.
    fn validate(_body: &Body<Self>, _errors: &mut FieldErrors) {}

    /// Wire → domain → store.
    fn create(
        call: CallOf<'_, Self>,
    ) -> impl Future<Output = Result<Self::Created, DomainError>> + Send;

    /// Domain → wire: the success body. A pure function of its inputs: it renders
    /// both the answer and, inside the store's transaction, what a retry replays.
    fn render(created: &Self::Created, body: &Body<Self>) -> Output<Self>;
}

/// Records a failed check (from [`crate::domain::validate`]) under its field.
pub fn record(errors: &mut FieldErrors, check: Result<(), DomainError>) {
    if let Err(DomainError::Invalid { field, message }) = check {
        errors.entry(field).or_default().push(message);
    }
}

/// Runs the create `Op` for one request: what every create endpoint calls.
pub async fn create<Op, H, B>(
    rqctx: RequestContext<ServerContext>,
    headers: LenientShared<H>,
    body: Lenient<B>,
) -> Result<Response<Op>, WireError<Op>>
where
    Op: Create,
    H: Extracted<Inner = Headers<Op>> + Send,
    B: Extracted<Inner = Body<Op>> + Send,
{
    logged(&rqctx, async {
        let result = run::<Op>(
            &rqctx,
            headers.0.map(H::into_inner),
            body.0.map(B::into_inner),
        )
        .await
        .map_err(|f| {
            let path = rqctx.request.uri().path();
            let headers = f.response_headers();
            Refusal {
                error: failure::envelope::<ApiError<Op>>(f).at(path),
                headers,
            }
        });
        AnswerOf::<Op>::answer(result)
    })
    .await
}

/// Answers a method the operation's path does not take, in the family's envelope
/// (dropshot's router would answer in its own shape). Registered, unpublished, for
/// every other method on every create's path.
pub async fn method_not_allowed<Op: Create>(
    rqctx: RequestContext<ServerContext>,
) -> Result<http::Response<dropshot::Body>, HttpError> {
    logged(&rqctx, async {
        let path = rqctx.request.uri().path();
        let message = format!(
            "method {} is not allowed on {path}; use {}",
            rqctx.request.method(),
            Op::METHOD
        );
        // A 405 names what is allowed (`Allow`), which an error type cannot carry.
        let method = Op::METHOD;
        let allow = (http::header::ALLOW, method.as_str());
        refusal::<Op>(
            path,
            ErrorStatusCode::METHOD_NOT_ALLOWED,
            message,
            Some(allow),
        )
    })
    .await
}

/// Answers a path below `own`, the operation's path (`/customers/123` below
/// `/customers`), which names nothing: 404 in the family's envelope. Registered,
/// unpublished, for every method, for the families whose page documents a 404
/// (dropshot's router would answer in its own shape).
pub async fn not_found<Op: Create>(
    rqctx: RequestContext<ServerContext>,
    own: &str,
) -> Result<http::Response<dropshot::Body>, HttpError> {
    logged(&rqctx, async {
        let path = rqctx.request.uri().path();
        let message = format!(
            "no resource at {path}; the one operation under {own} is {} {own}",
            Op::METHOD
        );
        refusal::<Op>(path, ErrorStatusCode::NOT_FOUND, message, None)
    })
    .await
}

/// A refusal built here rather than returned as the error type: with its own status,
/// the family's error media type, and `header` when there is one.
fn refusal<Op: Create>(
    path: &str,
    status: ErrorStatusCode,
    message: String,
    header: Option<(http::header::HeaderName, &str)>,
) -> Result<http::Response<dropshot::Body>, HttpError> {
    let error = failure::envelope::<ApiError<Op>>(Failure::Refused(status, message)).at(path);
    let body =
        serde_json::to_vec(&error).map_err(|e| HttpError::for_internal_error(e.to_string()))?;
    let mut response = http::Response::builder()
        .status(status.as_u16())
        .header(http::header::CONTENT_TYPE, Op::FACTS.error_media_type);
    if let Some((name, value)) = header {
        response = response.header(name, value);
    }
    response
        .body(dropshot::Body::from(body))
        .map_err(|e| HttpError::for_internal_error(e.to_string()))
}

async fn run<Op: Create>(
    rqctx: &RequestContext<ServerContext>,
    headers: Result<Headers<Op>, HttpError>,
    body: Result<Body<Op>, HttpError>,
) -> Result<Output<Op>, Failure> {
    let ctx = rqctx.context();
    let store = ctx.store.as_ref();
    let facts = Op::FACTS;
    let raw = rqctx.request.headers();
    // Who is asking comes first: an anonymous caller learns nothing of validation.
    let who = auth::authenticate(store, raw, facts.required_scopes)
        .await
        .map_err(Failure::Auth)?;
    let headers = headers.map_err(|e| Op::header_failure(raw, e))?;
    Op::admit(&who, &headers)?;
    let body = body.map_err(Failure::Http)?;
    let key = Idempotency::from_header(headers.idempotency_key(), facts.operation_id, &body)?;
    let body = Arc::new(body);
    let rendered = body.clone();
    let render = move |created: &Op::Created| Op::render(created, &rendered);
    let ttl = ctx.idempotency_ttl;
    let replayed = || ctx.metrics.replay(facts.operation_id);
    let guard = idempotency::Guard {
        store,
        workspace_id: who.workspace.id,
        ttl,
        replayed: &replayed,
    };
    idempotency::guarded(guard, key, render, |claim| async {
        let mut errors = FieldErrors::new();
        Op::validate(body.as_ref(), &mut errors);
        limits::check(body.as_ref(), &mut errors);
        if !errors.is_empty() {
            return Err(Failure::Invalid(errors));
        }
        let call = Call {
            store,
            who: &who,
            body: body.as_ref(),
            claim,
        };
        Ok(Op::create(call).await?)
    })
    .await
}

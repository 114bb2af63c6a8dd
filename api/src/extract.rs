//! Extractors that hand their failure to the handler instead of answering for it.
//!
//! Dropshot answers an extractor failure (malformed JSON, a missing header) with
//! the endpoint's error type, and always as `application/json`. A family whose
//! errors have their own media type (BigChange's `application/problem+json`) takes
//! its inputs through these, and answers every failure itself. The emitted
//! document is unchanged: the metadata is the wrapped extractor's.

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, SharedExtractor,
};

/// An exclusive extractor (a body) whose failure is kept for the handler.
pub struct Lenient<X>(pub Result<X, HttpError>);

#[async_trait]
impl<X: ExclusiveExtractor + 'static> ExclusiveExtractor for Lenient<X> {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        Ok(Lenient(X::from_request(rqctx, request).await))
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        X::metadata(body_content_type)
    }
}

/// A shared extractor (a header, a query) whose failure is kept for the handler.
pub struct LenientShared<X>(pub Result<X, HttpError>);

#[async_trait]
impl<X: SharedExtractor + 'static> SharedExtractor for LenientShared<X> {
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        Ok(LenientShared(X::from_request(rqctx).await))
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        X::metadata(body_content_type)
    }
}

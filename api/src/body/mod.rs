//! Request bodies: JSON ([`JsonBody`]), and one body in several formats
//! ([`MultiFormatBody`]: JSON, XML `<item>…</item>` and form-urlencoded, all read
//! into the same type).
//!
//! Dropshot takes one content type per endpoint; these extractors read the raw body
//! and dispatch on `Content-Type`. Their metadata is `TypedBody<T>`'s (JSON), so the
//! emitted document has the body's schema; the other media types are declared in
//! the family's facts. Every body is read within the server's [`budget`] of bytes
//! buffered at once, and every text in it goes through one check ([`text`]),
//! whatever its format. Every failure names what was wrong, as an `HttpError` the
//! family turns into its own envelope.

pub mod budget;
mod form;
mod json;
pub mod text;
mod xml;

use async_trait::async_trait;
use budget::Reservation;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, StreamingBody, TypedBody,
};
use futures::StreamExt as _;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

pub const JSON: &str = "application/json";
pub const XML: &str = "application/xml";
pub const FORM: &str = "application/x-www-form-urlencoded";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyFormat {
    Json,
    Xml,
    Form,
}

pub struct MultiFormatBody<T> {
    pub value: T,
    pub format: BodyFormat,
}

fn bad_request(message: String) -> HttpError {
    HttpError::for_bad_request(None, message)
}

fn unsupported(message: String) -> HttpError {
    HttpError::for_client_error(
        None,
        dropshot::ClientErrorStatusCode::UNSUPPORTED_MEDIA_TYPE,
        message,
    )
}

/// The media type of a `Content-Type` value, lower-cased, without parameters.
fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Reads `bytes` as `T` according to `content_type`.
pub fn parse<T: DeserializeOwned>(
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<MultiFormatBody<T>, HttpError> {
    let supported = format!("one of {JSON}, {XML}, {FORM}");
    let Some(content_type) = content_type else {
        return Err(unsupported(format!(
            "Content-Type: required; send {supported}"
        )));
    };
    let media = media_type(content_type);
    let format = match media.as_str() {
        m if is_json(m) => BodyFormat::Json,
        XML | "text/xml" => BodyFormat::Xml,
        // Clients copy the vendor's own example, which sends JSON labelled as a form.
        FORM if looks_like_json(bytes) => BodyFormat::Json,
        FORM => BodyFormat::Form,
        _ => {
            return Err(unsupported(format!(
                "Content-Type: {media} is not supported; send {supported}"
            )))
        }
    };
    let body = text::checked(bytes).map_err(|e| text::refused(None, e))?;
    let value = match format {
        BodyFormat::Json => json::parse(body)?,
        BodyFormat::Xml => xml::parse(body)?,
        BodyFormat::Form => form::parse(bytes)?,
    };
    Ok(MultiFormatBody { value, format })
}

/// `application/json`, or a structured-syntax `application/…+json` type.
fn is_json(media: &str) -> bool {
    media == JSON || (media.starts_with("application/") && media.ends_with("+json"))
}

fn looks_like_json(bytes: &[u8]) -> bool {
    bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

/// `field: message`, or the message alone for an error at the root.
fn describe<E: std::fmt::Display>(e: &serde_path_to_error::Error<E>) -> String {
    let path = e.path().to_string();
    // serde_path_to_error writes "." for the root and "?" where it lost the path.
    if path == "." || path == "?" {
        e.inner().to_string()
    } else {
        format!("{path}: {}", e.inner())
    }
}

fn too_large(limit: usize) -> HttpError {
    HttpError::for_client_error(
        None,
        dropshot::ClientErrorStatusCode::PAYLOAD_TOO_LARGE,
        format!("body: larger than the limit of {limit} bytes"),
    )
}

/// A body read whole, and the budget it holds until the extractor is done.
struct Read<'a> {
    content_type: Option<String>,
    bytes: bytes::Bytes,
    _reserved: Reservation<'a>,
}

/// The Content-Type and raw body: refused with 413 past the server's limit, and
/// with 503 (unread) when the bodies being read already hold the server's budget.
async fn read_body<Context: ServerContext>(
    rqctx: &RequestContext<Context>,
    request: hyper::Request<dropshot::Body>,
) -> Result<Read<'_>, HttpError> {
    let limit = rqctx.request_body_max_bytes();
    let headers = request.headers();
    let declared = headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large(limit));
    }
    let content_type = headers
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| bad_request("Content-Type: not a valid header value".into()))?;
    let budget = budget::of(rqctx.context()).ok_or_else(|| {
        HttpError::for_internal_error(
            "the server context lends no body budget (crm_api::body::budget::provide)".into(),
        )
    })?;
    let declared = declared.unwrap_or(0);
    let mut reserved = budget.reserve(declared).ok_or_else(|| budget.refusal())?;
    let stream = StreamingBody::from_request(rqctx, request)
        .await?
        .into_stream();
    let read = async {
        let mut stream = std::pin::pin!(stream);
        let mut buffer = bytes::BytesMut::with_capacity(declared);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| {
                // A body without Content-Length that runs past the limit: dropshot says 400.
                if e.external_message
                    .starts_with("request body exceeded maximum size")
                {
                    too_large(limit)
                } else {
                    e
                }
            })?;
            if !reserved.cover(buffer.len() + chunk.len()) {
                return Err(budget.refusal());
            }
            buffer.extend_from_slice(&chunk);
        }
        Ok(buffer)
    };
    // Dropshot reads bodies with no deadline; a body that trickles in is cut here.
    let buffer = tokio::time::timeout(budget.read_timeout(), read)
        .await
        .map_err(|_| budget.timed_out())??;
    Ok(Read {
        content_type,
        bytes: buffer.freeze(),
        _reserved: reserved,
    })
}

/// A JSON body, for endpoints that take only JSON: like `TypedBody<T>`, with 415 for
/// another content type, 413 past the size limit, and NUL characters refused.
pub struct JsonBody<T>(pub T);

#[async_trait]
impl<T> ExclusiveExtractor for JsonBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let read = read_body(rqctx, request).await?;
        match read.content_type.as_deref().map(media_type).as_deref() {
            Some(m) if is_json(m) => {}
            Some(other) => {
                return Err(unsupported(format!(
                    "Content-Type: {other} is not supported; send {JSON}"
                )))
            }
            None => return Err(unsupported(format!("Content-Type: required; send {JSON}"))),
        }
        let body = text::checked(&read.bytes).map_err(|e| text::refused(None, e))?;
        json::parse(body).map(JsonBody)
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        TypedBody::<T>::metadata(ApiEndpointBodyContentType::Json)
    }
}

#[async_trait]
impl<T> ExclusiveExtractor for MultiFormatBody<T>
where
    T: JsonSchema + DeserializeOwned + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
        request: hyper::Request<dropshot::Body>,
    ) -> Result<Self, HttpError> {
        let read = read_body(rqctx, request).await?;
        parse(read.content_type.as_deref(), &read.bytes)
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        TypedBody::<T>::metadata(ApiEndpointBodyContentType::Json)
    }
}

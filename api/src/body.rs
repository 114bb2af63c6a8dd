//! One request body in several formats: JSON, XML (`<item>…</item>`) and
//! form-urlencoded, all read into the same type.
//!
//! Dropshot takes one content type per endpoint; this extractor reads the raw body
//! and dispatches on `Content-Type`. Its metadata is `TypedBody<T>`'s (JSON), so the
//! emitted document has the body's schema; the other media types are declared in
//! the family's facts. Every failure names what was wrong, as an `HttpError` the
//! family turns into its own envelope.

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExclusiveExtractor, ExtractorMetadata, HttpError, RequestContext,
    ServerContext, TypedBody, UntypedBody,
};
use quick_xml::events::Event;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

pub const JSON: &str = "application/json";
pub const XML: &str = "application/xml";
pub const FORM: &str = "application/x-www-form-urlencoded";

/// XML documents nest no deeper than this: the bodies are flat records, and a deep
/// document is refused before it costs anything.
const MAX_XML_DEPTH: usize = 16;

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
        JSON => BodyFormat::Json,
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
    let text = body_text(bytes)?;
    let value = match format {
        BodyFormat::Json => parse_json(text)?,
        BodyFormat::Xml => parse_xml(text)?,
        BodyFormat::Form => {
            let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(bytes));
            serde_path_to_error::deserialize(de)
                .map_err(|e| bad_request(format!("unable to parse form body: {}", describe(&e))))?
        }
    };
    Ok(MultiFormatBody { value, format })
}

/// JSON documents nest no deeper than this. Our bodies nest a few levels; serde_json
/// would skip deeper unknown fields without a limit.
const MAX_JSON_DEPTH: usize = 32;

/// Whether `text` nests arrays and objects deeper than `MAX_JSON_DEPTH` (brackets
/// inside strings do not count).
fn too_deep(text: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The body as JSON: nesting is bounded, numbers a field's type cannot hold are
/// refused, and errors name the field.
fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T, HttpError> {
    if too_deep(text) {
        return Err(bad_request(format!(
            "unable to parse JSON body: nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| bad_request(format!("unable to parse JSON body: {}", describe(&e))))?;
    de.end()
        .map_err(|e| bad_request(format!("unable to parse JSON body: {e}")))?;
    Ok(value)
}

/// A `\u0000` escape in a JSON text (not one whose backslash is itself escaped):
/// no field of ours holds a NUL, and SQLite and most consumers mishandle one.
fn has_escaped_nul(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find("u0000").map(|p| p + from) {
        let backslashes = bytes[..pos]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            return true;
        }
        from = pos + 5;
    }
    false
}

/// `application/json`, or a structured-syntax `application/…+json` type.
fn is_json(media: &str) -> bool {
    media == JSON || (media.starts_with("application/") && media.ends_with("+json"))
}

/// The body as text: UTF-8, with no NUL character (raw, or escaped in JSON).
fn body_text(bytes: &[u8]) -> Result<&str, HttpError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        bad_request(format!(
            "body: not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    if text.contains('\0') || has_escaped_nul(text) {
        return Err(bad_request("body: contains a NUL character".into()));
    }
    Ok(text)
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

/// Checks the document's shape (root `<item>`, no DTD, bounded depth) with a
/// streaming reader before deserializing: no DTD is ever read, so no entity is
/// ever expanded.
fn parse_xml<T: DeserializeOwned>(text: &str) -> Result<T, HttpError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut depth = 0usize;
    let mut root: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::DocType(_)) => {
                return Err(bad_request(
                    "unable to parse XML body: a DTD (<!DOCTYPE>) is not accepted".into(),
                ))
            }
            Ok(Event::Start(e)) => {
                depth += 1;
                if depth > MAX_XML_DEPTH {
                    return Err(bad_request(format!(
                        "unable to parse XML body: nested deeper than {MAX_XML_DEPTH} elements"
                    )));
                }
                if root.is_none() {
                    root = Some(e.name().as_ref().to_owned());
                }
            }
            Ok(Event::Empty(e)) if root.is_none() => {
                root = Some(e.name().as_ref().to_owned());
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Eof) if depth > 0 => {
                return Err(bad_request(
                    "unable to parse XML body: the document ends before its elements are closed"
                        .into(),
                ))
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(bad_request(format!(
                    "unable to parse XML body: {e} (at byte {})",
                    reader.error_position()
                )))
            }
        }
    }
    match root.as_deref() {
        Some("item") => {}
        Some(other) => {
            return Err(bad_request(format!(
                "unable to parse XML body: the root element must be <item>, not <{other}>"
            )))
        }
        None => {
            return Err(bad_request(
                "unable to parse XML body: no root element".into(),
            ))
        }
    }
    let mut de = quick_xml::de::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de)
        .map_err(|e| bad_request(format!("unable to parse XML body: {}", describe(&e))))
}

fn too_large(limit: usize) -> HttpError {
    HttpError::for_client_error(
        None,
        dropshot::ClientErrorStatusCode::PAYLOAD_TOO_LARGE,
        format!("body: larger than the limit of {limit} bytes"),
    )
}

/// The Content-Type and raw body, refused with 413 past the server's limit.
async fn read_body<Context: ServerContext>(
    rqctx: &RequestContext<Context>,
    request: hyper::Request<dropshot::Body>,
) -> Result<(Option<String>, bytes::Bytes), HttpError> {
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
    let body = UntypedBody::from_request(rqctx, request)
        .await
        .map_err(|e| {
            // A body without Content-Length that runs past the limit: dropshot says 400.
            if e.external_message
                .starts_with("request body exceeded maximum size")
            {
                too_large(limit)
            } else {
                e
            }
        })?;
    Ok((content_type, bytes::Bytes::copy_from_slice(body.as_bytes())))
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
        let (content_type, bytes) = read_body(rqctx, request).await?;
        match content_type.as_deref().map(media_type).as_deref() {
            Some(m) if is_json(m) => {}
            Some(other) => {
                return Err(unsupported(format!(
                    "Content-Type: {other} is not supported; send {JSON}"
                )))
            }
            None => return Err(unsupported(format!("Content-Type: required; send {JSON}"))),
        }
        parse_json(body_text(&bytes)?).map(JsonBody)
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
        let (content_type, bytes) = read_body(rqctx, request).await?;
        parse(content_type.as_deref(), &bytes)
    }

    fn metadata(_: ApiEndpointBodyContentType) -> ExtractorMetadata {
        TypedBody::<T>::metadata(ApiEndpointBodyContentType::Json)
    }
}

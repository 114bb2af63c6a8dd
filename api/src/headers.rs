//! Request headers: the ones more than one family declares, and [`Headers`], the
//! extractor every create takes them through.

use async_trait::async_trait;
use dropshot::{
    ApiEndpointBodyContentType, ExtractorMetadata, HttpError, RequestContext, ServerContext,
    SharedExtractor,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The `Idempotency-Key` request header, as every create declares it.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct IdempotencyKeyHeader {
    /// A client-chosen key (1 to 255 visible ASCII characters). A retry with the same
    /// key and the same request answers what the first answered and creates nothing;
    /// the same key with another request is refused. Keys are kept per workspace for
    /// 24 hours by default.
    #[serde(rename = "Idempotency-Key")]
    #[schemars(length(min = 1, max = 255), regex = "crate::pattern::IDEMPOTENCY_KEY")]
    pub idempotency_key: Option<String>,
}

/// The headers of a create: what the pipeline needs from whatever header type an
/// operation declares.
pub trait CreateHeaders {
    fn idempotency_key(&self) -> Option<&str>;
}

impl CreateHeaders for IdempotencyKeyHeader {
    fn idempotency_key(&self) -> Option<&str> {
        self.idempotency_key.as_deref()
    }
}

/// The headers `T` declares (the properties of its JSON Schema), read from the
/// request. It emits what `dropshot::Header<T>` emits, but decodes only the
/// headers `T` names: dropshot's decodes every header of the request, so one
/// header no operation reads (a `User-Agent` with a byte that is not visible
/// ASCII) failed every create. Its errors name the header.
#[derive(Debug)]
pub struct Headers<T>(pub T);

#[async_trait]
impl<T> SharedExtractor for Headers<T>
where
    T: DeserializeOwned + JsonSchema + Send + Sync + 'static,
{
    async fn from_request<Context: ServerContext>(
        rqctx: &RequestContext<Context>,
    ) -> Result<Self, HttpError> {
        read(rqctx.request.headers()).map(Headers)
    }

    fn metadata(body_content_type: ApiEndpointBodyContentType) -> ExtractorMetadata {
        <dropshot::Header<T> as SharedExtractor>::metadata(body_content_type)
    }
}

fn refused(name: &str, what: impl std::fmt::Display) -> HttpError {
    HttpError::for_bad_request(None, format!("{name}: {what}"))
}

/// Reads `T` from the headers it declares. Each is decoded as visible ASCII, sent
/// at most once, and present if required; then `T` is deserialized from them as
/// from a query string, so that a number is read from its text.
fn read<T: DeserializeOwned + JsonSchema + 'static>(
    headers: &http::HeaderMap,
) -> Result<T, HttpError> {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, required) in declared::<T>().iter() {
        let mut values = headers.get_all(name.as_str()).iter();
        match (values.next(), values.next()) {
            (None, _) if *required => return Err(refused(name, "the header is required")),
            (None, _) => {}
            (Some(_), Some(_)) => return Err(refused(name, "sent more than once")),
            (Some(value), None) => {
                let value = value
                    .to_str()
                    .map_err(|_| refused(name, "not a valid header value (visible ASCII only)"))?;
                query.append_pair(name, value);
            }
        }
    }
    let query = query.finish();
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        refused(&path, e.inner())
    })
}

/// Each header `T` declares, and whether it is required: the properties of its
/// JSON Schema, worked out once per type.
fn declared<T: JsonSchema + 'static>() -> Arc<[(String, bool)]> {
    type Declared = RwLock<HashMap<TypeId, Arc<[(String, bool)]>>>;
    static DECLARED: OnceLock<Declared> = OnceLock::new();
    let cache = DECLARED.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(found) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return found.clone();
    }
    let schema = schemars::gen::SchemaGenerator::default().into_root_schema_for::<T>();
    let object = schema.schema.object.unwrap_or_default();
    let names: Arc<[(String, bool)]> = object
        .properties
        .keys()
        .map(|name| (name.clone(), object.required.contains(name)))
        .collect();
    cache
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, names.clone());
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, JsonSchema, PartialEq)]
    struct Declared {
        #[serde(rename = "Customer-Id")]
        customer_id: i64,
        #[serde(rename = "Idempotency-Key")]
        key: Option<String>,
    }

    fn headers(pairs: &[(&str, &[u8])]) -> http::HeaderMap {
        let mut map = http::HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_bytes(value).unwrap(),
            );
        }
        map
    }

    fn message(pairs: &[(&str, &[u8])]) -> String {
        read::<Declared>(&headers(pairs))
            .unwrap_err()
            .external_message
    }

    #[test]
    fn reads_only_the_declared_headers() {
        let read = read::<Declared>(&headers(&[
            ("customer-id", b"42"),
            ("user-agent", b"M\xfcller"),
        ]));
        assert_eq!(
            read.unwrap(),
            Declared {
                customer_id: 42,
                key: None
            }
        );
        assert_eq!(message(&[]), "Customer-Id: the header is required");
        assert_eq!(
            message(&[("customer-id", b"x")]),
            "Customer-Id: invalid digit found in string"
        );
        assert_eq!(
            message(&[("customer-id", b"1"), ("idempotency-key", b"\xff")]),
            "Idempotency-Key: not a valid header value (visible ASCII only)"
        );
        assert_eq!(
            message(&[("customer-id", b"1"), ("customer-id", b"2")]),
            "Customer-Id: sent more than once"
        );
    }
}

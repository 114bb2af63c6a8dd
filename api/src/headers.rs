//! Request headers more than one family declares.

use schemars::JsonSchema;
use serde::Deserialize;

pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// The `Idempotency-Key` request header, as every create declares it.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct IdempotencyKeyHeader {
    /// A client-chosen key (1 to 255 visible ASCII characters). A retry with the same
    /// key and the same request answers what the first answered and creates nothing;
    /// the same key with another request is refused. Keys are kept per workspace for
    /// 24 hours by default.
    #[serde(rename = "Idempotency-Key")]
    #[schemars(length(min = 1, max = 255))]
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

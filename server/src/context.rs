//! What every handler shares: the store, the embedded documents (and the pages
//! rendered from them) and settings.

use crate::docs::Site;
use crate::metrics::Metrics;
use crate::store::Store;
use crm_api::body::budget::{BodyBudget, BodyBudgetContext};
use std::sync::Arc;
use std::time::Duration;

/// The hand-written OpenAPI documents, by file name, embedded by the root build
/// script.
pub type Specs = &'static [(&'static str, &'static str)];

pub struct ServerContext {
    pub store: Arc<dyn Store>,
    pub specs: Specs,
    /// The pages of `/`, `/docs` and `/docs/<family>`, rendered from `specs`.
    pub docs: Arc<Site>,
    /// How long an idempotency key is remembered.
    pub idempotency_ttl: Duration,
    pub metrics: Arc<Metrics>,
    /// Request body bytes that may be buffered at once.
    pub body_budget: Arc<BodyBudget>,
}

impl BodyBudgetContext for ServerContext {
    fn body_budget(&self) -> &BodyBudget {
        &self.body_budget
    }
}

//! The crm server: implements the API of `crm-api` ([`crm_api::CrmApi`]) on one
//! shared domain and store.
//!
//! Request flow: dropshot router → [`app`] (one line per endpoint) → [`pipeline`]
//! (log, authenticate, admit, idempotency, validate) → the operation's family
//! module in [`families`] (wire → [`domain`] → [`store`] → wire) → the family's own
//! response or error envelope ([`pipeline::failure`]). See ARCHITECTURE.md.

pub mod app;
pub mod auth;
pub mod canonical;
pub mod context;
pub mod docs;
pub mod domain;
mod families;
pub mod metrics;
pub mod pipeline;
pub mod request_log;
mod router_log;
pub mod store;

pub use app::{serve, ServerConfig};
pub use context::{ServerContext, Specs};
/// Timestamps are wire types; the domain and store use the same one.
pub use crm_api::time;

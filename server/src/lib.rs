//! The crm server: one dropshot API ([`api::CrmApi`]) implementing several CRM vendors'
//! create endpoints on one shared domain and store.
//!
//! Request flow: dropshot router → [`families`] handler → [`auth`] (token → workspace)
//! → [`domain`] operation (validation, custom fields, references) → [`store`] →
//! the family's own response or error envelope. See ARCHITECTURE.md.

pub mod api;
pub mod app;
pub mod auth;
pub mod body;
pub mod contract;
pub mod domain;
pub mod extract;
mod families;
pub mod idempotency;
pub mod request_log;
pub mod store;
pub mod time;

pub use app::{serve, ServerConfig, Specs};

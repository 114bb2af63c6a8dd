//! The `crm` application: the command line around [`crm_server`], and the
//! OpenAPI documents embedded at build time.

pub mod cli;
pub mod log_queue;
pub mod serve;

include!(concat!(env!("OUT_DIR"), "/specs.rs"));

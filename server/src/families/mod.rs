//! One module per vendor family, one [`crate::pipeline::Create`] impl per
//! operation: the family's own rules, wire → domain, and domain → wire. Everything
//! the families share (auth, idempotency, limits, error mapping) is the pipeline's.

pub mod bigchange;
pub mod introzy;
pub mod maiascore;
pub mod salesmap;

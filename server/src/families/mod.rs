//! One thin layer per vendor family: translate the wire request into a domain
//! operation, and the result or error into the family's envelope.

pub mod bigchange;
pub mod introzy;
pub mod maiascore;
pub mod salesmap;

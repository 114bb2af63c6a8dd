//! The crm client.

pub mod salesmap;

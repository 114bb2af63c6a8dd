//! PostgreSQL for the xtasks that run `crm serve` on it (the bench, Schemathesis):
//! the tests' own mechanism (`tests/support/postgres.rs`), mounted once here so that
//! the xtasks and the tests make databases and clusters the same way.

#[path = "../../tests/support/postgres.rs"]
pub mod support;

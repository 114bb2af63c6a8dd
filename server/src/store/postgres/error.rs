//! Which PostgreSQL failures mean "the database cannot take this now" (answered
//! 503 by the pipeline, in the family's envelope) rather than "this write is wrong" (a
//! 500): a connection refused, closed or timed out, a server starting up, shutting
//! down or out of connections, a read-only (standby) server, a full disk, a
//! statement cancelled by `statement_timeout`, a transaction that lost a
//! serialization race. The cause goes to the log, never to the caller.

use crate::store::StoreError;
use deadpool_postgres::PoolError;
use tokio_postgres::error::SqlState;

/// SQLSTATE classes that are about the server's state, not the statement:
/// 08 connection exception, 53 insufficient resources, 57 operator intervention
/// (admin shutdown, crash shutdown, cannot connect now, query cancelled), 58
/// system error (I/O), 40 transaction rollback (serialization failure, deadlock:
/// the same request may succeed when retried).
const UNAVAILABLE_CLASSES: &[&str] = &["08", "40", "53", "57", "58"];

pub fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(code) => {
            *code == SqlState::READ_ONLY_SQL_TRANSACTION
                || UNAVAILABLE_CLASSES
                    .iter()
                    .any(|class| code.code().starts_with(class))
        }
        // No SQLSTATE: the connection itself failed (refused, reset, timed out),
        // which shows as an I/O error somewhere in the chain.
        None => {
            let mut source = std::error::Error::source(e);
            while let Some(cause) = source {
                if cause.is::<std::io::Error>() {
                    return true;
                }
                source = cause.source();
            }
            false
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(describe(&e))
        } else {
            StoreError::Internal(anyhow::Error::new(e))
        }
    }
}

/// The error with its server message: tokio-postgres' own `Display` says only
/// "db error" for an error the server reported.
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{e}: {} ({})", db.message(), db.code().code()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// A pooled connection could not be had: the pool's timeouts and a failed
/// connect are the database being unavailable.
pub fn from_pool(e: PoolError) -> StoreError {
    match e {
        PoolError::Backend(e) => e.into(),
        PoolError::Timeout(_) => {
            StoreError::Unavailable(format!("no database connection could be had in time: {e}"))
        }
        other => StoreError::Internal(anyhow::anyhow!("database pool: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_timeout_is_unavailable() {
        let e = from_pool(PoolError::Timeout(deadpool_postgres::TimeoutType::Wait));
        assert!(matches!(e, StoreError::Unavailable(_)), "{e:?}");
        let e = from_pool(PoolError::Closed);
        assert!(matches!(e, StoreError::Internal(_)), "{e:?}");
    }
}

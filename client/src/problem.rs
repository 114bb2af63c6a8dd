//! Reading an RFC 7807 problem (`application/problem+json`) from an error.
//!
//! Progenitor types only `application/json` responses: BigChange's errors reach the
//! caller as `Error::ErrorResponse` with a raw byte stream. This reads it into the
//! `ProblemDetails` type generated from the document.

use crate::bigchange::types::ProblemDetails;
use futures::TryStreamExt as _;
use progenitor_client::{ByteStream, Error};

/// Why no problem could be read.
#[derive(Debug)]
pub enum ProblemReadError {
    /// The error was not an HTTP error response (a connection failure, an
    /// undocumented status, an invalid request): it is handed back unchanged.
    NotAProblem(Error<ByteStream>),
    /// The body could not be read, or is not problem details.
    Body { status: u16, message: String },
}

impl std::fmt::Display for ProblemReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProblemReadError::NotAProblem(e) => write!(f, "not a problem response: {e}"),
            ProblemReadError::Body { status, message } => {
                write!(f, "the {status} response is not problem details: {message}")
            }
        }
    }
}

impl std::error::Error for ProblemReadError {}

/// The problem details of a documented error response.
///
/// ```no_run
/// # async fn demo(client: crm_client::bigchange::Client) {
/// use crm_client::problem::problem_details;
/// match client.bigchange_create_person().customer_id(1).send().await {
///     Ok(created) => println!("created {}", created.id),
///     Err(e) => {
///         let problem = problem_details(e).await.unwrap();
///         println!("{} {}: {:?}", problem.status, problem.detail, problem.errors);
///     }
/// }
/// # }
/// ```
pub async fn problem_details(error: Error<ByteStream>) -> Result<ProblemDetails, ProblemReadError> {
    let response = match error {
        Error::ErrorResponse(response) => response,
        other => return Err(ProblemReadError::NotAProblem(other)),
    };
    let status = response.status().as_u16();
    let chunks: Vec<_> = response
        .into_inner()
        .into_inner()
        .try_collect()
        .await
        .map_err(|e| ProblemReadError::Body {
            status,
            message: e.to_string(),
        })?;
    let body = chunks.concat();
    serde_json::from_slice(&body).map_err(|e| ProblemReadError::Body {
        status,
        message: format!("{e}: {}", String::from_utf8_lossy(&body)),
    })
}

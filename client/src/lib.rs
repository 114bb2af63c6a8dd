//! The crm client: one progenitor-generated module per OpenAPI document, plus what
//! progenitor cannot do on its own.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use crm_client::salesmap::{types, Client};
//! let client = Client::with_token("http://127.0.0.1:8080", "crm_...")?;
//! let created = client
//!     .salesmap_create_people()
//!     .body(types::CreatePeopleRequest::builder().name("홍길동"))
//!     .send()
//!     .await?;
//! println!("{}", created.data.people.id);
//! # Ok(()) }
//! ```

// Generated code is formatted by prettyplease in `cargo xtask generate`; rustfmt
// must not reformat it, or `cargo xtask generate --check` would see it as stale.
#[rustfmt::skip]
pub mod bigchange;
#[rustfmt::skip]
pub mod introzy;
#[rustfmt::skip]
pub mod maiascore;
#[rustfmt::skip]
pub mod salesmap;

pub mod problem;

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use std::time::Duration;

/// An HTTP client that sends `Authorization: Bearer <token>` on every request.
/// Progenitor ignores security schemes, so the token travels as a default header.
pub fn bearer_http_client(token: &str) -> Result<reqwest::Client, BearerError> {
    let mut value =
        HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| BearerError::InvalidToken)?;
    value.set_sensitive(true);
    let mut headers = HeaderMap::new();
    headers.insert(AUTHORIZATION, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .connect_timeout(Duration::from_secs(15))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(BearerError::Client)
}

#[derive(Debug)]
pub enum BearerError {
    /// The token has characters an HTTP header cannot carry.
    InvalidToken,
    Client(reqwest::Error),
}

impl std::fmt::Display for BearerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BearerError::InvalidToken => f.write_str("the token cannot be sent in an HTTP header"),
            BearerError::Client(e) => write!(f, "building the HTTP client: {e}"),
        }
    }
}

impl std::error::Error for BearerError {}

impl bigchange::Client {
    /// A BigChange client for `baseurl` that authenticates with `token` (which must
    /// carry the scope `contacts:persons:write`).
    pub fn with_token(baseurl: &str, token: &str) -> Result<Self, BearerError> {
        Ok(Self::new_with_client(baseurl, bearer_http_client(token)?))
    }
}

impl introzy::Client {
    /// An Introzy client for `baseurl` that authenticates with `token`.
    pub fn with_token(baseurl: &str, token: &str) -> Result<Self, BearerError> {
        Ok(Self::new_with_client(baseurl, bearer_http_client(token)?))
    }
}

impl maiascore::Client {
    /// A MaiaScore client for `baseurl` that authenticates with `token`. It sends
    /// JSON; the server also takes XML and form bodies, which progenitor cannot send.
    pub fn with_token(baseurl: &str, token: &str) -> Result<Self, BearerError> {
        Ok(Self::new_with_client(baseurl, bearer_http_client(token)?))
    }
}

impl salesmap::Client {
    /// A SalesMap client for `baseurl` that authenticates with `token`.
    pub fn with_token(baseurl: &str, token: &str) -> Result<Self, BearerError> {
        Ok(Self::new_with_client(baseurl, bearer_http_client(token)?))
    }
}

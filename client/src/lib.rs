//! The crm client: one progenitor-generated module per OpenAPI document, plus what
//! progenitor cannot do on its own.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use crm_client::salesmap::{types, Client};
//! let client = Client::with_token("http://127.0.0.1:8080", "crm_...")?;
//! let created = client
//!     .salesmap_create_people()
//!     .body(
//!         types::CreatePeopleRequest::builder()
//!             .name("홍길동")
//!             .field_list(vec![types::FieldValue::text("이메일", "gildong@example.com")]),
//!     )
//!     .send()
//!     .await?;
//! println!("{}", created.data.people.id);
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every `send()` returns `Result<ResponseValue<T>, Error<E>>`. Two types are
//! called `Error` and they are not the same:
//!
//! - `crm_client::Error` (also `crm_client::<family>::Error`, the same type) is
//!   progenitor's: what went wrong with the call. A documented error status is
//!   `Error::ErrorResponse(response)`, with `response.status()` and the body,
//!   `response.into_inner()`, of type `E`; an undocumented status is
//!   `Error::UnexpectedResponse`, a connection failure `Error::CommunicationError`,
//!   a value the document refuses (an `Idempotency-Key` that is not visible ASCII,
//!   a name too long) `Error::InvalidRequest`, before anything is sent.
//! - `crm_client::<family>::types::Error` is the family's error envelope (`E`):
//!   SalesMap's and Introzy's `{success, message, ...}`, MaiaScore's
//!   `{code, message}`. BigChange has no `types::Error`: its errors are RFC 7807
//!   `application/problem+json`, and `E` is `bigchange::types::ProblemDetails`
//!   (`cargo xtask generate` hands progenitor, which types only
//!   `application/json`, the problem's media type as JSON).
//!
//! ```no_run
//! # async fn demo(client: crm_client::salesmap::Client) {
//! use crm_client::salesmap::types;
//! match client.salesmap_create_people().body(types::CreatePeopleRequest::builder()).send().await {
//!     Ok(created) => println!("created {}", created.data.people.id),
//!     Err(crm_client::Error::ErrorResponse(response)) => {
//!         let status = response.status();
//!         let envelope: types::Error = response.into_inner();
//!         println!("{status}: {}", envelope.message);
//!     }
//!     Err(other) => println!("the call failed: {other}"),
//! }
//! # }
//! ```
//!
//! # What a caller needs besides this crate
//!
//! Nothing: the crates the generated types are made of are re-exported,
//! [`serde_json`] (Introzy's and BigChange's `customFields`), [`chrono`]
//! (MaiaScore's `dateOfBirth`, the `createdAt` of answers) and [`uuid`] (ids).
//! TLS (`https://` servers) is the default feature `rustls`; a caller that talks
//! plain `http://`, or brings its own `reqwest::Client` through
//! `Client::new_with_client`, can build without it (`default-features = false`),
//! and so without rustls and aws-lc-sys. `client/examples/five_calls.rs` makes
//! every operation's call; `cargo xtask test-clients --lang rust` builds it as a
//! new cargo project outside the workspace, without default features, against a
//! live server.

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

pub use chrono;
pub use progenitor_client::{ByteStream, Error, ResponseValue};
pub use serde_json;
pub use uuid;

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

/// A SalesMap `fieldList` item, without a builder per item.
impl salesmap::types::FieldValue {
    fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            boolean_value: None,
            date_value: None,
            number_value: None,
            string_value: None,
        }
    }

    /// A text or single-select field: `FieldValue::text("이메일", "a@example.com")`.
    pub fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            string_value: Some(value.into()),
            ..Self::named(name)
        }
    }

    /// A number field.
    pub fn number(name: impl Into<String>, value: f64) -> Self {
        Self {
            number_value: Some(value),
            ..Self::named(name)
        }
    }

    /// A True/False field.
    pub fn boolean(name: impl Into<String>, value: bool) -> Self {
        Self {
            boolean_value: Some(value),
            ..Self::named(name)
        }
    }

    /// A date field, `YYYY-MM-DD` (or an RFC 3339 date-time).
    pub fn date(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            date_value: Some(value.into()),
            ..Self::named(name)
        }
    }
}

//! Bearer tokens: every token belongs to one workspace and carries scopes. Written
//! once; each family turns an [`AuthError`] into its own envelope.

use crate::store::{RecordId, Store, StoreError};
use crate::time::Timestamp;
use base64::Engine as _;
use http::HeaderMap;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// Every scope a token can carry. BigChange's create-person needs
/// `contacts:persons:write`; the other families need only a valid token.
pub const SCOPES: &[&str] = &["contacts:persons:write"];

/// Who is calling: the workspace every record of the request belongs to.
#[derive(Clone, Debug)]
pub struct Principal {
    pub workspace: RecordId,
    pub token_id: i64,
    /// The token's label: the identity shown as a record's creator.
    pub label: String,
    pub scopes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Authorization: a bearer token is required")]
    Missing,
    #[error("Authorization: expected the form 'Bearer <token>'")]
    Malformed,
    #[error("Authorization: the bearer token is not valid")]
    Unknown,
    #[error("Authorization: the bearer token expired at {}", .0.to_rfc3339_millis())]
    Expired(Timestamp),
    #[error("Authorization: the token lacks the scope '{0}'")]
    MissingScope(&'static str),
    #[error("authentication failed: {0}")]
    Store(StoreError),
}

impl AuthError {
    /// 401 for "who are you", 403 for "not allowed".
    pub fn is_forbidden(&self) -> bool {
        matches!(self, AuthError::MissingScope(_))
    }
}

pub fn hash_token(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// A new secret: 256 random bits, URL-safe, with a prefix that makes leaked tokens
/// easy to recognise.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "crm_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Resolves the request's bearer token to its workspace, and checks `scopes`.
pub async fn authenticate(
    store: &dyn Store,
    headers: &HeaderMap,
    scopes: &'static [&'static str],
) -> Result<Principal, AuthError> {
    let value = headers
        .get(http::header::AUTHORIZATION)
        .ok_or(AuthError::Missing)?;
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    let (scheme, secret) = value.split_once(' ').ok_or(AuthError::Malformed)?;
    let secret = secret.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || secret.is_empty() {
        return Err(AuthError::Malformed);
    }
    let token = store
        .token_by_hash(hash_token(secret))
        .await
        .map_err(AuthError::Store)?
        .ok_or(AuthError::Unknown)?;
    crate::request_log::note_workspace(token.workspace.id);
    if let Some(expires_at) = token.expires_at {
        if expires_at <= Timestamp::now() {
            return Err(AuthError::Expired(expires_at));
        }
    }
    if let Some(missing) = scopes
        .iter()
        .find(|&&scope| !token.scopes.iter().any(|s| s == scope))
    {
        return Err(AuthError::MissingScope(missing));
    }
    Ok(Principal {
        workspace: token.workspace,
        token_id: token.token_id,
        label: token.label,
        scopes: token.scopes,
    })
}

//! The one check every text of a request body goes through, whatever its format:
//! the body as a whole, and each value once decoded (a JSON string's escapes, an
//! XML character reference, a form field's percent-encoding). A text is UTF-8 with
//! no NUL character: no field of ours holds a NUL, SQLite and most consumers
//! mishandle one, and a lossy decoder would store U+FFFD where the client sent
//! something else.

use dropshot::HttpError;

/// Why a text was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("not valid UTF-8 (at byte {0})")]
    NotUtf8(usize),
    #[error("contains a NUL character")]
    Nul,
}

/// `bytes` as text: UTF-8 without a NUL character.
pub fn checked(bytes: &[u8]) -> Result<&str, TextError> {
    let text = std::str::from_utf8(bytes).map_err(|e| TextError::NotUtf8(e.valid_up_to()))?;
    check(text)?;
    Ok(text)
}

/// Refuses a NUL character in text that is already UTF-8.
pub fn check(text: &str) -> Result<(), TextError> {
    if text.contains('\0') {
        Err(TextError::Nul)
    } else {
        Ok(())
    }
}

/// The 400 for a refused text: `body: <what>`, or `body: <field>: <what>` for one
/// decoded value.
pub fn refused(field: Option<&str>, e: TextError) -> HttpError {
    let message = match field {
        Some(field) => format!("body: {field}: {e}"),
        None => format!("body: {e}"),
    };
    HttpError::for_bad_request(None, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_without_nul_passes() {
        assert_eq!(checked("São Paulo".as_bytes()), Ok("São Paulo"));
        assert_eq!(checked(b"a\0b"), Err(TextError::Nul));
        assert_eq!(checked(b"ab\xff"), Err(TextError::NotUtf8(2)));
        assert_eq!(
            refused(Some("addressCity"), TextError::Nul).external_message,
            "body: addressCity: contains a NUL character"
        );
    }
}

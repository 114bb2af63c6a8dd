//! JSON bodies: bounded nesting, `\u0000` escapes refused like raw NULs, numbers a
//! field's type cannot hold refused, and errors that name the field.

use super::{bad_request, describe, text};
use dropshot::HttpError;
use serde::de::DeserializeOwned;

/// JSON documents nest no deeper than this. Our bodies nest a few levels; serde_json
/// would skip deeper unknown fields without a limit.
const MAX_JSON_DEPTH: usize = 32;

/// Whether `text` nests arrays and objects deeper than `MAX_JSON_DEPTH` (brackets
/// inside strings do not count).
fn too_deep(text: &str) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// A `\u0000` escape in a JSON text (not one whose backslash is itself escaped):
/// the NUL a decoded string would hold.
fn has_escaped_nul(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(pos) = text[from..].find("u0000").map(|p| p + from) {
        let backslashes = bytes[..pos]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            return true;
        }
        from = pos + 5;
    }
    false
}

/// The body (already through [`text::checked`]) as JSON.
pub(super) fn parse<T: DeserializeOwned>(body: &str) -> Result<T, HttpError> {
    if has_escaped_nul(body) {
        return Err(text::refused(None, text::TextError::Nul));
    }
    if too_deep(body) {
        return Err(bad_request(format!(
            "unable to parse JSON body: nested deeper than {MAX_JSON_DEPTH} levels"
        )));
    }
    let mut de = serde_json::Deserializer::from_str(body);
    let value = serde_path_to_error::deserialize(&mut de)
        .map_err(|e| bad_request(format!("unable to parse JSON body: {}", describe(&e))))?;
    de.end()
        .map_err(|e| bad_request(format!("unable to parse JSON body: {e}")))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize, inside: &str) -> String {
        format!("{}{inside}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn depth_is_bounded_at_exactly_the_limit() {
        assert!(!too_deep(&nested(MAX_JSON_DEPTH, "")));
        assert!(too_deep(&nested(MAX_JSON_DEPTH + 1, "")));
        // Closing brackets lower the depth: siblings do not add up.
        let siblings = format!("[{}]", nested(MAX_JSON_DEPTH - 1, "").repeat(3));
        assert!(!too_deep(&siblings));
        // A stray closing bracket does not make room for more nesting.
        assert!(too_deep(&format!("]]{}", nested(MAX_JSON_DEPTH + 1, ""))));
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let deep_in_string = format!("\"{}\"", "[".repeat(MAX_JSON_DEPTH + 1));
        assert!(!too_deep(&nested(1, &deep_in_string)));
        // An escaped quote does not end the string; an escaped backslash does not
        // escape the quote after it.
        let escaped_quote = format!("\"\\\"{}\"", "{".repeat(MAX_JSON_DEPTH + 1));
        assert!(!too_deep(&escaped_quote));
        let after_backslash = format!("\"\\\\\"{}", nested(MAX_JSON_DEPTH + 1, ""));
        assert!(too_deep(&after_backslash));
    }

    #[test]
    fn only_an_unescaped_backslash_makes_a_nul_escape() {
        assert!(has_escaped_nul(r#"{"a":"\u0000"}"#));
        assert!(has_escaped_nul(r#"{"a":"\\\u0000"}"#));
        // `\\u0000` is a backslash followed by the text "u0000".
        assert!(!has_escaped_nul(r#"{"a":"\\u0000"}"#));
        assert!(!has_escaped_nul(r#"{"a":"u0000"}"#));
        // A later escape is found after an innocent one.
        assert!(has_escaped_nul(r#"{"a":"\\u0000 u0000 \u0000"}"#));
    }

    #[test]
    fn parse_names_the_failure() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            n: u8,
        }
        let e = parse::<Body>(r#"{"n":1} x"#).unwrap_err();
        assert!(e
            .external_message
            .starts_with("unable to parse JSON body: "));
        let e = parse::<Body>(r#"{"n":"\u0000"}"#).unwrap_err();
        assert_eq!(e.external_message, "body: contains a NUL character");
        assert!(parse::<Body>(r#"{"n":1}"#).is_ok());
    }
}

//! JSON bodies: bounded nesting, `\u0000` escapes refused like raw NULs (naming
//! the member that holds one, as XML and form errors do), numbers a field's type
//! cannot hold refused, and errors that name the field.

use super::{bad_request, describe, text};
use dropshot::HttpError;
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

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

/// Where the first decoded text holding a NUL is, in document order:
/// `fieldList[0].stringValue`, or `the name of member 2 of customFields` for a
/// member name. `None` for a NUL at the root, or when the document does not parse
/// (its error is then about the NUL, not the syntax).
fn nul_path(body: &str) -> Option<String> {
    let mut de = serde_json::Deserializer::from_str(body);
    NulPath {
        path: String::new(),
    }
    .deserialize(&mut de)
    .ok()
    .flatten()
    .filter(|path| !path.is_empty())
}

/// Walks one JSON value at `path`, in document order (a `Value` would sort its
/// members), and returns the path of the first text holding a NUL. serde_json's
/// own recursion limit bounds the walk.
struct NulPath {
    path: String,
}

impl NulPath {
    fn member(&self, name: &str) -> NulPath {
        let path = if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        };
        NulPath { path }
    }
}

impl<'de> DeserializeSeed<'de> for NulPath {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NulPath {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.contains('\0').then_some(self.path))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut i = 0;
        loop {
            let element = NulPath {
                path: format!("{}[{i}]", self.path),
            };
            // Every element is read, even after a find: serde_json checks the
            // document's end.
            match seq.next_element_seed(element)? {
                Some(hit) => found = found.or(hit),
                None => return Ok(found),
            }
            i += 1;
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut i = 1;
        while let Some(name) = map.next_key::<String>()? {
            if found.is_none() && name.contains('\0') {
                found = Some(if self.path.is_empty() {
                    format!("the name of member {i}")
                } else {
                    format!("the name of member {i} of {}", self.path)
                });
            }
            if found.is_some() {
                map.next_value::<IgnoredAny>()?;
            } else {
                found = map.next_value_seed(self.member(&name))?;
            }
            i += 1;
        }
        Ok(found)
    }
}

/// The body (already through [`text::checked`]) as JSON.
pub(super) fn parse<T: DeserializeOwned>(body: &str) -> Result<T, HttpError> {
    if has_escaped_nul(body) {
        let field = nul_path(body);
        return Err(text::refused(field.as_deref(), text::TextError::Nul));
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

    #[test]
    fn an_escaped_nul_is_refused_naming_where_it_is() {
        let message = |body: &str| {
            parse::<serde_json::Value>(body)
                .map(|_| String::new())
                .unwrap_or_else(|e| e.external_message)
        };
        assert_eq!(
            message(r#"{"b": "ok", "a": "x\u0000"}"#),
            "body: a: contains a NUL character"
        );
        assert_eq!(
            message(r#"{"z": "\u0000", "a": "\u0000"}"#),
            "body: z: contains a NUL character",
            "the first in document order"
        );
        assert_eq!(
            message(r#"{"fieldList": [{"name": "n"}, {"stringValue": "a\u0000"}]}"#),
            "body: fieldList[1].stringValue: contains a NUL character"
        );
        assert_eq!(
            message(r#"{"a": 1, "cf\u0000": 2}"#),
            "body: the name of member 2: contains a NUL character"
        );
        assert_eq!(
            message(r#"{"customFields": {"k\u0000": [1]}}"#),
            "body: the name of member 1 of customFields: contains a NUL character"
        );
        assert_eq!(
            message(r#""\u0000""#),
            "body: contains a NUL character",
            "at the root there is no field to name"
        );
        assert_eq!(
            message(r#"{"a": "\u0000""#),
            "body: contains a NUL character",
            "a document that does not parse"
        );
        assert_eq!(
            message(r#"{"a": "\\u0000"}"#),
            "",
            "an escaped backslash, not a NUL"
        );
    }

    #[test]
    fn a_parse_error_names_its_field_and_none_at_the_root() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Person {
            name: String,
        }
        let message = |body: &str| parse::<Person>(body).unwrap_err().external_message;
        assert_eq!(
            message(r#"{"name": 5}"#),
            "unable to parse JSON body: name: invalid type: integer `5`, expected a string at line 1 column 10"
        );
        assert_eq!(
            message(r#""John""#),
            "unable to parse JSON body: invalid type: string \"John\", expected struct Person at line 1 column 6",
            "the root is no field: no path before the message"
        );
    }

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
        assert_eq!(e.external_message, "body: n: contains a NUL character");
        assert!(parse::<Body>(r#"{"n":1}"#).is_ok());
    }
}

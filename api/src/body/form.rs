//! Form bodies (`application/x-www-form-urlencoded`). Each field's name and value
//! is percent-decoded strictly and goes through the same text check as JSON and
//! XML: `form_urlencoded::parse` alone decodes lossily, storing U+FFFD for bytes
//! that are not UTF-8 and a NUL for `%00`.

use super::{bad_request, describe, text};
use dropshot::HttpError;
use serde::de::DeserializeOwned;

/// The body (already through [`text::checked`]) as form fields.
pub(super) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, HttpError> {
    for (i, (name, value)) in pairs(body).enumerate() {
        let name = text::checked(&name)
            .map_err(|e| text::refused(Some(&format!("the name of form field {}", i + 1)), e))?;
        text::checked(&value).map_err(|e| text::refused(Some(name), e))?;
    }
    // Every name and value decodes to exact text, so the lossy parser's output is
    // what the client sent.
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(body));
    serde_path_to_error::deserialize(de)
        .map_err(|e| bad_request(format!("unable to parse form body: {}", describe(&e))))
}

/// The decoded bytes of each `name=value` pair, split and decoded as
/// `form_urlencoded::parse` does (empty pairs skipped, `+` is a space).
fn pairs(body: &[u8]) -> impl Iterator<Item = (Vec<u8>, Vec<u8>)> + '_ {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            (decode(name), decode(value))
        })
}

fn decode(raw: &[u8]) -> Vec<u8> {
    let spaced: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&spaced).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_decode_like_form_urlencoded() {
        let body = b"a=M%C3%BCller+Str&&b&c=%zz%2";
        let ours: Vec<(Vec<u8>, Vec<u8>)> = pairs(body).collect();
        let theirs: Vec<(Vec<u8>, Vec<u8>)> = form_urlencoded::parse(body)
            .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
            .collect();
        assert_eq!(ours, theirs);
    }
}

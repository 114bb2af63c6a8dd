//! XML bodies: one `<item>` whose fields are child elements. The document's shape
//! is checked with a streaming reader before it is deserialized, so that nothing a
//! client sent is silently dropped: a second root element, content after the root,
//! text directly inside `<item>` and attributes (other than namespace declarations)
//! are refused, as is a DTD (no entity is ever expanded). A character reference
//! goes through the same text check as every other value.
//!
//! XML has no null: an empty field element (`<gender></gender>`, `<gender/>`, or
//! one holding only whitespace, comments or other empty elements) is null, as an
//! absent one is. Such elements are dropped before deserializing, so no type ever
//! sees them (an enum would otherwise be handed quick-xml's name for the missing
//! text, `$text`, and put it in its message).

use super::{bad_request, describe, text};
use dropshot::HttpError;
use quick_xml::escape::{EscapeError, ParseCharRefError};
use quick_xml::events::{BytesStart, Event};
use serde::de::DeserializeOwned;

/// XML documents nest no deeper than this: the bodies are flat records, and a deep
/// document is refused before it costs anything.
const MAX_XML_DEPTH: usize = 16;

const ROOT: &str = "item";

fn refused(message: impl std::fmt::Display) -> HttpError {
    bad_request(format!("unable to parse XML body: {message}"))
}

/// The body (already through [`text::checked`]) as XML.
pub(super) fn parse<T: DeserializeOwned>(body: &str) -> Result<T, HttpError> {
    let empty = check_shape(body)?;
    let body = without(body, &empty);
    let mut de = quick_xml::de::Deserializer::from_str(&body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| refused(describe(&e)))
}

/// `body` without the byte ranges `drop` (sorted by start; a range inside an
/// earlier one goes with it).
fn without<'a>(body: &'a str, drop: &[std::ops::Range<usize>]) -> std::borrow::Cow<'a, str> {
    if drop.is_empty() {
        return body.into();
    }
    let mut kept = String::with_capacity(body.len());
    let mut from = 0;
    for range in drop {
        if range.start < from {
            continue;
        }
        kept.push_str(&body[from..range.start]);
        from = range.end;
    }
    kept.push_str(&body[from..]);
    kept.into()
}

/// An element open inside the root: where its start tag begins, and whether it
/// holds anything (text, or an element that is not empty).
struct Field {
    start: usize,
    filled: bool,
}

/// What the reader has seen of the root element.
#[derive(PartialEq, Eq)]
enum Root {
    NotYet,
    Open,
    Closed,
}

/// Walks the document once, refusing whatever deserializing would drop or expand.
/// Returns the byte ranges of the empty elements inside the root, in order.
fn check_shape(body: &str) -> Result<Vec<std::ops::Range<usize>>, HttpError> {
    let mut reader = quick_xml::Reader::from_str(body);
    // The open elements, the root first: the path that names a field.
    let mut open: Vec<String> = Vec::new();
    // The open elements below the root.
    let mut fields: Vec<Field> = Vec::new();
    let mut empty = Vec::new();
    let mut root = Root::NotYet;
    loop {
        let at = reader.buffer_position();
        // Where the event read below ends (the reader's offsets are u64).
        let offset = |p: u64| usize::try_from(p).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| refused(format_args!("{e} (at byte {})", reader.error_position())))?;
        match event {
            Event::DocType(_) => return Err(refused("a DTD (<!DOCTYPE>) is not accepted")),
            Event::Start(e) | Event::Empty(e) if root == Root::Closed => {
                return Err(refused(format_args!(
                    "a second root element <{}> (at byte {at}); send one <{ROOT}> per request",
                    e.name().as_ref()
                )))
            }
            Event::Start(e) => {
                element(&e, open.len())?;
                if !open.is_empty() {
                    fields.push(Field {
                        start: offset(at),
                        filled: false,
                    });
                }
                open.push(e.name().as_ref().to_owned());
                root = Root::Open;
            }
            Event::Empty(e) => {
                element(&e, open.len())?;
                if open.is_empty() {
                    root = Root::Closed;
                } else {
                    empty.push(offset(at)..offset(reader.buffer_position()));
                }
            }
            Event::End(_) => {
                open.pop();
                if open.is_empty() {
                    root = Root::Closed;
                } else if let Some(field) = fields.pop() {
                    if field.filled {
                        filled(&mut fields);
                    } else {
                        empty.push(field.start..offset(reader.buffer_position()));
                    }
                }
            }
            Event::Text(t) if t.trim_ascii().is_empty() => {}
            Event::Text(_) => {
                content("text", at, &open, &root)?;
                filled(&mut fields);
            }
            Event::CData(_) => {
                content("CDATA", at, &open, &root)?;
                filled(&mut fields);
            }
            Event::GeneralRef(r) => {
                content("text", at, &open, &root)?;
                filled(&mut fields);
                // `&#0;` would decode to a NUL: the same refusal as a NUL sent raw.
                if let Err(quick_xml::Error::Escape(EscapeError::InvalidCharRef(
                    ParseCharRefError::IllegalCharacter(0),
                ))) = r.resolve_char_ref()
                {
                    let field = open[1..].join(".");
                    return Err(text::refused(Some(&field), text::TextError::Nul));
                }
            }
            Event::PI(_) if root == Root::Closed => {
                return Err(after_root("a processing instruction", at))
            }
            Event::Eof if !open.is_empty() => {
                return Err(refused("the document ends before its elements are closed"))
            }
            Event::Eof if root == Root::NotYet => return Err(refused("no root element")),
            Event::Eof => {
                empty.sort_by_key(|r| r.start);
                return Ok(empty);
            }
            // The XML declaration, comments, and processing instructions before
            // the root carry no field.
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
}

/// The innermost open field holds something.
fn filled(fields: &mut [Field]) {
    if let Some(field) = fields.last_mut() {
        field.filled = true;
    }
}

fn after_root(what: &str, at: u64) -> HttpError {
    refused(format_args!(
        "{what} after the root element (at byte {at}); only whitespace and comments may follow it"
    ))
}

/// Refuses text (or CDATA, or a reference) where no field can hold it: outside the
/// root, or directly inside it.
fn content(what: &str, at: u64, open: &[String], root: &Root) -> Result<(), HttpError> {
    match (root, open.len()) {
        (Root::NotYet, _) => Err(refused(format_args!(
            "{what} before the root element (at byte {at})"
        ))),
        (Root::Closed, _) => Err(after_root(what, at)),
        (_, 1) => Err(refused(format_args!(
            "{what} directly inside <{ROOT}> (at byte {at}); send fields as child elements"
        ))),
        _ => Ok(()),
    }
}

/// Checks an element opened `depth` levels deep: the root's name, the nesting
/// bound, and no attribute but namespace declarations (deserializing would drop
/// attributes, or read them as fields of their own).
fn element(e: &BytesStart<'_>, depth: usize) -> Result<(), HttpError> {
    let name = e.name();
    let name = name.as_ref();
    if depth == 0 && name != ROOT {
        return Err(refused(format_args!(
            "the root element must be <{ROOT}>, not <{name}>"
        )));
    }
    if depth + 1 > MAX_XML_DEPTH {
        return Err(refused(format_args!(
            "nested deeper than {MAX_XML_DEPTH} elements"
        )));
    }
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| refused(format_args!("<{name}>: {err}")))?;
        if attribute.key.as_namespace_binding().is_none() {
            return Err(refused(format_args!(
                "attribute '{}' on <{name}> is not accepted; send fields as child elements",
                attribute.key.as_ref()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(body: &str) -> Result<usize, String> {
        check_shape(body)
            .map(|empty| empty.len())
            .map_err(|e| e.external_message)
    }

    /// The prolog may hold a declaration, comments and processing instructions
    /// (a stylesheet, say); after the root only whitespace and comments.
    #[test]
    fn a_processing_instruction_is_refused_only_after_the_root() {
        assert_eq!(
            shape("<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\n<item><name>a</name></item>"),
            Ok(0)
        );
        assert_eq!(
            shape("<item><name>a</name></item><?pi x?>"),
            Err("unable to parse XML body: a processing instruction after the root element (at byte 27); only whitespace and comments may follow it".to_owned())
        );
    }

    #[test]
    fn a_document_of_prolog_alone_has_no_root_element() {
        for body in [
            "",
            "<?xml version=\"1.0\"?>",
            "<?xml version=\"1.0\"?>\n<!-- none --><?pi x?>\n",
        ] {
            assert_eq!(
                shape(body),
                Err("unable to parse XML body: no root element".to_owned()),
                "{body:?}"
            );
        }
    }
}

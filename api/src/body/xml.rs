//! XML bodies: one `<item>` whose fields are child elements. The document's shape
//! is checked with a streaming reader before it is deserialized, so that nothing a
//! client sent is silently dropped: a second root element, content after the root,
//! text directly inside `<item>` and attributes (other than namespace declarations)
//! are refused, as is a DTD (no entity is ever expanded). A character reference
//! goes through the same text check as every other value.

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
    check_shape(body)?;
    let mut de = quick_xml::de::Deserializer::from_str(body);
    serde_path_to_error::deserialize(&mut de).map_err(|e| refused(describe(&e)))
}

/// What the reader has seen of the root element.
#[derive(PartialEq, Eq)]
enum Root {
    NotYet,
    Open,
    Closed,
}

/// Walks the document once, refusing whatever deserializing would drop or expand.
fn check_shape(body: &str) -> Result<(), HttpError> {
    let mut reader = quick_xml::Reader::from_str(body);
    // The open elements, the root first: the path that names a field.
    let mut open: Vec<String> = Vec::new();
    let mut root = Root::NotYet;
    loop {
        let at = reader.buffer_position();
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
                open.push(e.name().as_ref().to_owned());
                root = Root::Open;
            }
            Event::Empty(e) => {
                element(&e, open.len())?;
                if open.is_empty() {
                    root = Root::Closed;
                }
            }
            Event::End(_) => {
                open.pop();
                if open.is_empty() {
                    root = Root::Closed;
                }
            }
            Event::Text(t) if t.trim_ascii().is_empty() => {}
            Event::Text(_) => content("text", at, &open, &root)?,
            Event::CData(_) => content("CDATA", at, &open, &root)?,
            Event::GeneralRef(r) => {
                content("text", at, &open, &root)?;
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
            Event::Eof => return Ok(()),
            // The XML declaration, comments, and processing instructions before
            // the root carry no field.
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
        }
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

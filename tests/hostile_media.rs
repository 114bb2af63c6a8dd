//! Hostile bodies in every media type, through one table: every create operation
//! (`crm_testkit::OPERATIONS`) × every media type it takes (JSON; MaiaScore also
//! XML, form data, and JSON sent as form data, as MaiaScore's own example does) ×
//! every case of [`cases`]: a NUL in a text value (raw, and as the format's own
//! escape), bytes that are not UTF-8 (raw, and escaped), nesting past the limit
//! (and at it), a body past the size limit (and at it, with its length declared or
//! sent chunked). A refusal is asserted exactly: status, the family's envelope, the
//! message naming the field or what was wrong, and no row stored; an acceptance at
//! a limit stores exactly its one row.

mod common;

use common::{each_backend, Backend, TestServer};
use crm_testkit::{Fixtures, Operation, OPERATIONS};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `crm serve`'s default `--max-body-bytes`.
const LIMIT: usize = 1024 * 1024;
const JSON_DEPTH: usize = 32;
const XML_DEPTH: usize = 16;

/// Stands for the text value a case replaces, in a body written by [`encode`].
const MARK: &str = "HOSTILEVALUEHERE";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
    Form,
}

/// How a body is sent: its Content-Type, and the format the bytes are in.
#[derive(Clone, Copy, Debug)]
struct Medium {
    content_type: &'static str,
    format: Format,
}

/// The media an operation takes: each of its media types, and JSON labelled as
/// form data where it takes form data.
fn media(op: &Operation) -> Vec<Medium> {
    let mut out: Vec<Medium> = op
        .media_types
        .iter()
        .map(|&content_type| Medium {
            content_type,
            format: match content_type {
                "application/json" => Format::Json,
                "application/xml" => Format::Xml,
                "application/x-www-form-urlencoded" => Format::Form,
                other => panic!("{}: no encoder for {other}", op.name()),
            },
        })
        .collect();
    if let Some(form) = out.iter().find(|m| m.format == Format::Form) {
        out.push(Medium {
            content_type: form.content_type,
            format: Format::Json,
        });
    }
    out
}

/// A body's JSON object written in `format` (XML and form take flat objects).
fn encode(format: Format, body: &Value) -> Vec<u8> {
    let object = body.as_object().expect("bodies are objects");
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) => v.to_string(),
        other => panic!("{other}: XML and form bodies here are flat"),
    };
    match format {
        Format::Json => serde_json::to_vec(body).unwrap(),
        Format::Xml => {
            let mut xml = String::from("<item>");
            for (name, value) in object {
                let escaped = text(value).replace('&', "&amp;").replace('<', "&lt;");
                xml.push_str(&format!("<{name}>{escaped}</{name}>"));
            }
            xml.push_str("</item>");
            xml.into_bytes()
        }
        Format::Form => {
            let pairs: Vec<(String, String)> =
                object.iter().map(|(k, v)| (k.clone(), text(v))).collect();
            serde_urlencoded::to_string(pairs).unwrap().into_bytes()
        }
    }
}

/// The body member a case puts its hostile text in: the first (in the body's
/// order) whose value is text made from the suffix, an e-mail aside.
fn text_field(op: &Operation, fx: &Fixtures) -> String {
    let body = (op.body)("SUFFIX", fx);
    body.as_object()
        .unwrap()
        .iter()
        .find(|(_, v)| {
            v.as_str()
                .is_some_and(|s| s.contains("SUFFIX") && !s.contains('@'))
        })
        .map(|(k, _)| k.clone())
        .unwrap_or_else(|| panic!("{}: no text member made from the suffix", op.name()))
}

/// `op`'s valid body for `suffix` in `format`.
fn valid(op: &Operation, fx: &Fixtures, format: Format, suffix: &str) -> Vec<u8> {
    encode(format, &(op.body)(suffix, fx))
}

/// `op`'s valid body in `format` with the text member's value replaced by `raw`
/// bytes, and where they start.
fn with_value(op: &Operation, fx: &Fixtures, format: Format, raw: &[u8]) -> (Vec<u8>, usize) {
    let mut body = (op.body)("v", fx);
    body[text_field(op, fx)] = Value::from(MARK);
    let bytes = encode(format, &body);
    let at = bytes
        .windows(MARK.len())
        .position(|w| w == MARK.as_bytes())
        .expect("the mark is written as it is");
    let mut out = bytes[..at].to_vec();
    out.extend_from_slice(raw);
    out.extend_from_slice(&bytes[at + MARK.len()..]);
    (out, at)
}

/// `op`'s valid body for `suffix` in `format`, with an unknown member nested
/// `levels` deep (JSON arrays, XML elements).
fn nested(op: &Operation, fx: &Fixtures, format: Format, suffix: &str, levels: usize) -> Vec<u8> {
    let mut bytes = valid(op, fx, format, suffix);
    let (insert, at) = match format {
        Format::Json => (
            format!(r#""extra": {}{}, "#, "[".repeat(levels), "]".repeat(levels)),
            1,
        ),
        Format::Xml => (
            format!("{}{}", "<extra>".repeat(levels), "</extra>".repeat(levels)),
            "<item>".len(),
        ),
        Format::Form => unreachable!("form data has no nesting"),
    };
    bytes.splice(at..at, insert.into_bytes());
    bytes
}

/// `op`'s valid body for `suffix` in `format`, padded (with what the format
/// ignores) to exactly `size` bytes.
fn padded(op: &Operation, fx: &Fixtures, format: Format, suffix: &str, size: usize) -> Vec<u8> {
    let mut bytes = valid(op, fx, format, suffix);
    match format {
        Format::Json | Format::Xml => bytes.resize(size, b' '),
        Format::Form => {
            bytes.extend_from_slice(b"&pad=");
            bytes.resize(size, b'a');
        }
    }
    assert_eq!(bytes.len(), size);
    bytes
}

/// How a case's body travels.
#[derive(Clone, Copy, Debug)]
enum Transfer {
    /// With `Content-Length` (what clients send).
    Declared,
    /// `Transfer-Encoding: chunked`: the length is known only once read.
    Chunked,
}

enum Expect {
    Refused(u16, String),
    /// Accepted: the row of this suffix is stored.
    Stored(String),
}

struct Case {
    what: String,
    body: Vec<u8>,
    transfer: Transfer,
    expect: Expect,
}

fn refused(what: &str, (body, _): (Vec<u8>, usize), status: u16, message: String) -> Case {
    Case {
        what: what.into(),
        body,
        transfer: Transfer::Declared,
        expect: Expect::Refused(status, message),
    }
}

/// The table: every hostile case for `op` sent as `medium`.
fn cases(op: &Operation, fx: &Fixtures, medium: Medium, tag: &str) -> Vec<Case> {
    let format = medium.format;
    let field = text_field(op, fx);
    let value = |raw: &[u8]| with_value(op, fx, format, raw);
    let nul = |field: Option<&str>| match field {
        Some(field) => format!("body: {field}: contains a NUL character"),
        None => "body: contains a NUL character".to_owned(),
    };
    let at = |raw: &[u8]| value(raw).1;
    let mut cases = vec![
        refused("a raw NUL in a text value", value(b"a\0b"), 400, nul(None)),
        refused(
            "bytes that are not UTF-8 in a text value",
            value(b"M\xfcller"),
            400,
            format!("body: not valid UTF-8 (at byte {})", at(b"M\xfcller") + 1),
        ),
        refused(
            "an overlong NUL (0xC0 0x80) in a text value",
            value(b"\xc0\x80"),
            400,
            format!("body: not valid UTF-8 (at byte {})", at(b"\xc0\x80")),
        ),
    ];
    // The format's own escapes, each decoded value through the same text check.
    cases.extend(match format {
        Format::Json => vec![
            refused(
                "a NUL as a JSON escape",
                value(br"a\u0000b"),
                400,
                nul(Some(&field)),
            ),
            refused(
                "a lone surrogate as a JSON escape (no UTF-8 for it)",
                value(br"a\udc00b"),
                400,
                format!(
                    "unable to parse JSON body: {field}: lone leading surrogate in hex escape at line 1 column {}",
                    at(br"a\udc00b") + 7
                ),
            ),
        ],
        Format::Xml => vec![
            refused(
                "a NUL as an XML character reference",
                value(b"a&#0;b"),
                400,
                nul(Some(&field)),
            ),
            refused(
                "a surrogate as an XML character reference",
                value(b"a&#xD800;b"),
                400,
                format!(
                    "unable to parse XML body: {field}: invalid character reference: `55296` is not a valid codepoint"
                ),
            ),
        ],
        Format::Form => vec![
            refused(
                "a NUL percent-encoded",
                value(b"a%00b"),
                400,
                nul(Some(&field)),
            ),
            refused(
                "bytes that are not UTF-8, percent-encoded",
                value(b"M%C3%BCller%FF"),
                400,
                format!("body: {field}: not valid UTF-8 (at byte 7)"),
            ),
            refused(
                "a surrogate's UTF-8 bytes, percent-encoded",
                value(b"%ED%A0%80"),
                400,
                format!("body: {field}: not valid UTF-8 (at byte 0)"),
            ),
            refused(
                "an overlong NUL, percent-encoded",
                value(b"%C0%80"),
                400,
                format!("body: {field}: not valid UTF-8 (at byte 0)"),
            ),
        ],
    });
    // Nesting: form data has none.
    let limit = match format {
        Format::Json => Some((
            JSON_DEPTH,
            "unable to parse JSON body: nested deeper than 32 levels",
        )),
        Format::Xml => Some((
            XML_DEPTH,
            "unable to parse XML body: nested deeper than 16 elements",
        )),
        Format::Form => None,
    };
    if let Some((depth, message)) = limit {
        // The root is the first level.
        let suffix = format!("{tag}-deep");
        cases.push(Case {
            what: format!("nested {depth} levels, the most accepted"),
            body: nested(op, fx, format, &suffix, depth - 1),
            transfer: Transfer::Declared,
            expect: Expect::Stored(suffix),
        });
        cases.push(refused(
            &format!("nested {} levels", depth + 1),
            (nested(op, fx, format, &format!("{tag}-deeper"), depth), 0),
            400,
            message.into(),
        ));
    }
    for transfer in [Transfer::Declared, Transfer::Chunked] {
        // Lower case: e-mails are stored by their lower-cased key.
        let tag = format!("{tag}-{transfer:?}").to_lowercase();
        let suffix = format!("{tag}-limit");
        cases.push(Case {
            what: format!("a body of exactly {LIMIT} bytes, {transfer:?}"),
            body: padded(op, fx, format, &suffix, LIMIT),
            transfer,
            expect: Expect::Stored(suffix),
        });
        cases.push(Case {
            what: format!("a body of {} bytes, {transfer:?}", LIMIT + 1),
            body: padded(op, fx, format, &format!("{tag}-over"), LIMIT + 1),
            transfer,
            expect: Expect::Refused(413, format!("body: larger than the limit of {LIMIT} bytes")),
        });
    }
    cases
}

/// Rows in every table a create stores into.
fn stored(server: &TestServer) -> i64 {
    crm_testkit::tables().iter().map(|t| server.count(t)).sum()
}

/// A POST of `body` with `Transfer-Encoding: chunked`, over a raw socket (the
/// client sends a length whenever it knows one).
async fn post_chunked(
    server: &TestServer,
    op: &Operation,
    fx: &Fixtures,
    token: &str,
    content_type: &str,
    body: &[u8],
) -> (u16, Value) {
    let addr = server.url.trim_start_matches("http://");
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n",
        op.path
    )
    .into_bytes();
    for (name, value) in (op.headers)(fx) {
        request.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    request.extend_from_slice(b"\r\n");
    for chunk in body.chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // Written while the answer is read: a server that stops reading answers anyway.
    let write = tokio::spawn(async move {
        let _ = writer.write_all(&request).await;
        writer
    });
    let mut answer = Vec::new();
    reader.read_to_end(&mut answer).await.unwrap();
    drop(write.await);
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an answer head");
    let head = String::from_utf8_lossy(&answer[..split]).to_ascii_lowercase();
    let status = head[9..12].parse().unwrap();
    let mut payload = answer[split + 4..].to_vec();
    if head.contains("transfer-encoding: chunked") {
        payload = dechunk(&payload);
    }
    let text = String::from_utf8_lossy(&payload);
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: the answer is not JSON ({e}): {text}", op.name()));
    (status, json)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&data[..line]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[line + 2..line + 2 + size]);
        data = &data[line + 2 + size + 2..];
    }
}

async fn hostile_bodies_in_every_media_type_get_exact_errors_and_store_nothing(backend: Backend) {
    let server = TestServer::start_on(backend).await;
    let t = server.tenant("acme").await;
    let fx = server.fixtures(&t, "C").await;
    let (mut ran, mut failures) = (0, Vec::new());
    for op in &OPERATIONS {
        for (m, medium) in media(op).into_iter().enumerate() {
            let tag = format!("{}-{m}", op.operation_id);
            for case in cases(op, &fx, medium, &tag) {
                let label = format!(
                    "{} as {} ({:?}): {}",
                    op.name(),
                    medium.content_type,
                    medium.format,
                    case.what
                );
                let before = stored(&server);
                let (status, answer) = match case.transfer {
                    Transfer::Declared => {
                        server
                            .create(op, Some(&t.token), &fx, &[], medium.content_type, case.body)
                            .await
                    }
                    Transfer::Chunked => {
                        post_chunked(&server, op, &fx, &t.token, medium.content_type, &case.body)
                            .await
                    }
                };
                ran += 1;
                let after = stored(&server);
                let outcome = match case.expect {
                    Expect::Refused(expected, message) => {
                        let got = op.error_message(status, &answer);
                        if status != expected || got.as_deref() != Ok(message.as_str()) {
                            Err(format!(
                                "{label}:\n  got      {status} {got:?}\n  expected {expected} {message:?}"
                            ))
                        } else if after != before {
                            Err(format!(
                                "{label}: refused, yet {} rows stored",
                                after - before
                            ))
                        } else {
                            Ok(())
                        }
                    }
                    Expect::Stored(suffix) => {
                        if status != op.success {
                            Err(format!("{label}: {status} {answer}"))
                        } else if after != before + 1 || server.stored(op, &suffix) != 1 {
                            Err(format!("{label}: accepted, but not stored once"))
                        } else {
                            Ok(())
                        }
                    }
                };
                failures.extend(outcome.err());
            }
        }
    }
    // 5 operations, MaiaScore in 4 media; 10 or more cases in each.
    assert!(ran >= 8 * 10, "the table ran {ran} cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    server.stop().await;
}
each_backend!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    hostile_bodies_in_every_media_type_get_exact_errors_and_store_nothing
);

//! The four vendor families: the document each lives in, and the shape of its
//! error answers.

use serde_json::Value;

/// A vendor family: one document under `openapi/`, one error envelope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    SalesMap,
    Introzy,
    BigChange,
    MaiaScore,
}

impl Family {
    pub const ALL: [Family; 4] = [
        Family::SalesMap,
        Family::Introzy,
        Family::BigChange,
        Family::MaiaScore,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::SalesMap => "SalesMap",
            Family::Introzy => "Introzy",
            Family::BigChange => "BigChange",
            Family::MaiaScore => "MaiaScore",
        }
    }

    /// The family's document, a file name under `openapi/`.
    pub fn document(self) -> &'static str {
        match self {
            Family::SalesMap => "salesmap.yaml",
            Family::Introzy => "introzy.yaml",
            Family::BigChange => "bigchange.yaml",
            Family::MaiaScore => "maiascore.yaml",
        }
    }

    /// Checks that `body` is this family's error for `status`, answered on `path`,
    /// with no member the family does not define; returns its message.
    ///
    /// - SalesMap: `{success: false, message, reason?, data?}`;
    /// - Introzy: `{success: false, message, existingId?}`;
    /// - BigChange: RFC 7807 `{type, title, status, detail, instance, errors?}`,
    ///   `status` the answer's and `instance` the request path; the message is `detail`;
    /// - MaiaScore: `{code, message}`, `code` the answer's status.
    pub fn error_message(self, path: &str, status: u16, body: &Value) -> Result<String, String> {
        let object = body
            .as_object()
            .ok_or_else(|| format!("{} error is not an object: {body}", self.name()))?;
        let (allowed, message_member): (&[&str], &str) = match self {
            Family::SalesMap => (&["success", "message", "reason", "data"], "message"),
            Family::Introzy => (&["success", "message", "existingId"], "message"),
            Family::BigChange => (
                &["type", "title", "status", "detail", "instance", "errors"],
                "detail",
            ),
            Family::MaiaScore => (&["code", "message"], "message"),
        };
        if let Some(extra) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(format!(
                "{} error has a member {extra:?} the family does not define: {body}",
                self.name()
            ));
        }
        let expect = |member: &str, expected: Value| -> Result<(), String> {
            match body.get(member) {
                Some(v) if *v == expected => Ok(()),
                other => Err(format!(
                    "{} error: expected {member} = {expected}, got {other:?}: {body}",
                    self.name()
                )),
            }
        };
        match self {
            Family::SalesMap | Family::Introzy => expect("success", Value::Bool(false))?,
            Family::BigChange => {
                expect("status", status.into())?;
                expect("instance", path.into())?;
                for member in ["type", "title"] {
                    if !body[member].is_string() {
                        return Err(format!("BigChange problem without {member}: {body}"));
                    }
                }
            }
            Family::MaiaScore => expect("code", status.into())?,
        }
        body[message_member]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("{} error without {message_member}: {body}", self.name()))
    }
}

impl Family {
    /// The family's whole error body for a refusal that carries only a message (no
    /// per-field `errors`, no duplicate's members), answered with `status` on
    /// `path`: what a test compares an answer to, member for member.
    pub fn plain_error(self, path: &str, status: u16, message: &str) -> Value {
        match self {
            Family::SalesMap | Family::Introzy => {
                serde_json::json!({"success": false, "message": message})
            }
            Family::BigChange => {
                // RFC 9110's section and title for the status, as the problem's
                // `type` and `title`.
                let (section, title) = match status {
                    400 => ("15.5.1", "Bad Request"),
                    401 => ("15.5.2", "Unauthorized"),
                    403 => ("15.5.4", "Forbidden"),
                    404 => ("15.5.5", "Not Found"),
                    405 => ("15.5.6", "Method Not Allowed"),
                    408 => ("15.5.9", "Request Timeout"),
                    413 => ("15.5.14", "Content Too Large"),
                    415 => ("15.5.16", "Unsupported Media Type"),
                    422 => ("15.5.21", "One or more validation errors occurred."),
                    503 => ("15.6.4", "Service Unavailable"),
                    _ => ("15.6.1", "Internal Server Error"),
                };
                serde_json::json!({
                    "type": format!("https://tools.ietf.org/html/rfc9110#section-{section}"),
                    "title": title,
                    "status": status,
                    "detail": message,
                    "instance": path,
                })
            }
            Family::MaiaScore => serde_json::json!({"code": status, "message": message}),
        }
    }

    /// The family's whole answer to a request refused for one invalid `field`:
    /// BigChange's 422 with the field's messages, everyone else's 400 saying
    /// `field: message`.
    pub fn invalid(self, path: &str, field: &str, message: &str) -> (u16, Value) {
        let text = format!("{field}: {message}");
        match self {
            Family::BigChange => {
                let mut body = self.plain_error(path, 422, &text);
                body["errors"] = serde_json::json!({ field: [message] });
                (422, body)
            }
            _ => (400, self.plain_error(path, 400, &text)),
        }
    }
}

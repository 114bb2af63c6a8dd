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

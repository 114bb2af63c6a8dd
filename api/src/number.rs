//! JSON values as the request wrote them, for the fields whose numbers must arrive
//! whole. serde_json reads a number into an `i64`/`u64` when it is an integer that
//! fits, and into an `f64` otherwise, so `99999999999999999999` would arrive as
//! `1e20` and `0.10000000000000000001` as `0.1`, with nothing left to tell that
//! digits were lost. These types keep the literal (serde_json's `RawValue`); the
//! server decides what it holds exactly, and refuses the rest.
//!
//! serde_json's `arbitrary_precision` feature would carry every number as text
//! too, but it changes serde_json for every crate of the workspace (an untagged
//! enum with a number variant stops deserializing), so it is not used.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::de::{Error as _, Unexpected};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// Whether a JSON text (one value, as serde_json captured it) is a number.
fn is_number(raw: &RawValue) -> bool {
    raw.get()
        .starts_with(|c: char| c == '-' || c.is_ascii_digit())
}

/// Any JSON value, kept as written: a number in it keeps every digit. Its schema
/// is "any value", like `serde_json::Value`'s.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonLiteral(Box<RawValue>);

impl JsonLiteral {
    /// The number's literal, if the value is a number.
    pub fn number(&self) -> Option<&str> {
        is_number(&self.0).then(|| self.0.get())
    }

    /// The value, read (serde_json already parsed it once, so it parses).
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.0.get()).unwrap_or(Value::Null)
    }
}

impl JsonSchema for JsonLiteral {
    fn schema_name() -> String {
        Value::schema_name()
    }

    fn is_referenceable() -> bool {
        Value::is_referenceable()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        Value::json_schema(gen)
    }
}

/// A JSON number, kept as written. Its schema is `f64`'s (`type: number`,
/// `format: double`), what the documents declare.
#[derive(Clone, Debug, Serialize)]
#[serde(transparent)]
pub struct NumberLiteral(Box<RawValue>);

impl NumberLiteral {
    pub fn as_str(&self) -> &str {
        self.0.get()
    }
}

impl<'de> Deserialize<'de> for NumberLiteral {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        if is_number(&raw) {
            return Ok(NumberLiteral(raw));
        }
        let value: Value = serde_json::from_str(raw.get()).map_err(D::Error::custom)?;
        let unexpected = match &value {
            Value::Null => Unexpected::Unit,
            Value::Bool(b) => Unexpected::Bool(*b),
            Value::String(s) => Unexpected::Str(s),
            Value::Array(_) => Unexpected::Seq,
            // Numbers were taken above.
            Value::Object(_) | Value::Number(_) => Unexpected::Map,
        };
        Err(D::Error::invalid_type(unexpected, &"a number"))
    }
}

impl JsonSchema for NumberLiteral {
    fn schema_name() -> String {
        f64::schema_name()
    }

    fn is_referenceable() -> bool {
        f64::is_referenceable()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        f64::json_schema(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Body {
        n: Option<NumberLiteral>,
        any: Option<JsonLiteral>,
    }

    fn parse(text: &str) -> Result<Body, String> {
        let mut de = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| format!("{}: {}", e.path(), e.inner()))
    }

    #[test]
    fn numbers_keep_every_digit() {
        let body = parse(r#"{"n": 99999999999999999999, "any": 9007199254740993}"#).unwrap();
        assert_eq!(body.n.unwrap().as_str(), "99999999999999999999");
        assert_eq!(body.any.unwrap().number(), Some("9007199254740993"));
        let body = parse(r#"{"n": null, "any": "9"}"#).unwrap();
        assert!(body.n.is_none());
        let any = body.any.unwrap();
        assert_eq!((any.number(), any.to_value()), (None, Value::from("9")));
    }

    #[test]
    fn anything_else_is_named_like_serde_names_it() {
        assert_eq!(
            parse(r#"{"n": "abc"}"#).err().unwrap(),
            "n: invalid type: string \"abc\", expected a number at line 1 column 12"
        );
        assert_eq!(
            parse(r#"{"n": [1]}"#).err().unwrap(),
            "n: invalid type: sequence, expected a number at line 1 column 10"
        );
    }

    #[test]
    fn the_schema_is_the_one_the_documents_declare() {
        let schema = |s: Schema| serde_json::to_value(s).unwrap();
        let mut gen = SchemaGenerator::default();
        assert_eq!(
            schema(NumberLiteral::json_schema(&mut gen)),
            schema(f64::json_schema(&mut gen))
        );
        assert_eq!(
            schema(JsonLiteral::json_schema(&mut gen)),
            schema(Value::json_schema(&mut gen))
        );
    }
}

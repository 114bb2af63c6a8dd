//! [`Required<T>`]: a field the document requires, read so that its absence is a
//! validation failure of that field rather than a parse failure of the body.
//!
//! A family whose page reports validation by field (BigChange: 422 with `errors`)
//! declares its required fields with it: the schema lists them as required (their
//! `#[schemars]` limits apply as to `T`), the parser reads a missing one (or `null`)
//! as no value, and the server's declared-limits check refuses it by name
//! (`pipeline/limits.rs`: "is required"), with every other field error of the body
//! at once. A value of the wrong type still fails the parser: that body is not of
//! the model's shape.

use schemars::gen::SchemaGenerator;
use schemars::schema::Schema;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Required<T>(pub Option<T>);

impl<T> Required<T> {
    pub fn present(value: T) -> Self {
        Required(Some(value))
    }

    pub fn value(&self) -> Option<&T> {
        self.0.as_ref()
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Required<T> {
    /// Through `Option<T>`: serde hands a missing field to `deserialize_option`,
    /// which reads it as `None` (no `#[serde(default)]`, which would also mark the
    /// field optional in the schema).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Required)
    }
}

impl<T: Serialize> Serialize for Required<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

/// `T`'s schema: required, not nullable.
impl<T: JsonSchema> JsonSchema for Required<T> {
    fn is_referenceable() -> bool {
        T::is_referenceable()
    }

    fn schema_name() -> String {
        T::schema_name()
    }

    fn schema_id() -> std::borrow::Cow<'static, str> {
        T::schema_id()
    }

    fn json_schema(gen: &mut SchemaGenerator) -> Schema {
        T::json_schema(gen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, Serialize, JsonSchema)]
    struct Model {
        #[schemars(length(min = 1))]
        name: Required<String>,
        note: Option<String>,
    }

    #[test]
    fn missing_or_null_is_no_value_and_the_schema_still_requires_it() {
        let m: Model = serde_json::from_str("{}").unwrap();
        assert_eq!(m.name, Required(None));
        let m: Model = serde_json::from_str(r#"{"name": null}"#).unwrap();
        assert_eq!(m.name, Required(None));
        let m: Model = serde_json::from_str(r#"{"name": "a"}"#).unwrap();
        assert_eq!(m.name.value().map(String::as_str), Some("a"));
        assert!(serde_json::from_str::<Model>(r#"{"name": 5}"#).is_err());

        let schema = serde_json::to_value(schemars::schema_for!(Model)).unwrap();
        assert_eq!(schema["required"], serde_json::json!(["name"]));
        assert_eq!(
            schema["properties"]["name"],
            serde_json::json!({"type": "string", "minLength": 1})
        );
    }
}

//! Custom data fields, written once for every family: SalesMap's `fieldList`
//! (by name, typed value keys), Introzy's `customFields` (by key) and BigChange's
//! `customFields` (by definition id) all resolve here against the workspace's
//! definitions.

use super::number::Inexact;
use super::{validate, DomainError};
use crate::store::{Builtin, CustomValues, FieldDefinition, FieldType};
use serde_json::Value;

/// How a request names a field. By name (SalesMap's `fieldList`), a request may
/// set any data field, the standard ones (이름, 이메일, …) included, as SalesMap
/// documents; by key (Introzy) or definition id (BigChange) it sets custom fields
/// only: those families have request fields of their own for the standard ones
/// (`phoneNumber`, `email`), and a standard value set as a custom one would be
/// stored where the answer, which echoes custom fields, never shows it.
#[derive(Clone, Debug)]
pub enum FieldLocator {
    Name(String),
    Key(String),
    DefinitionId(i64),
}

/// A value as the request typed it.
#[derive(Clone, Debug)]
pub enum FieldValue {
    Text(String),
    /// A number as the request wrote it (its literal), so that no digit is lost
    /// before [`super::number::exact`] decides what it holds.
    Number(String),
    Boolean(bool),
    /// A date, typed as one by the request (SalesMap's `dateValue`).
    Date(String),
    /// A string from a loosely typed family (Introzy, BigChange): it may fill a
    /// text, select or date field.
    Untyped(String),
    /// Any value in its text form, read by the field's type (BigChange sends every
    /// custom value as a string): "50000" fills a number field, "true" a boolean.
    Lexical(String),
    /// Explicitly no value.
    Null,
}

impl FieldValue {
    fn kind(&self) -> &'static str {
        match self {
            FieldValue::Text(_) => "text",
            FieldValue::Number(_) => "number",
            FieldValue::Boolean(_) => "boolean",
            FieldValue::Date(_) => "date",
            FieldValue::Untyped(_) | FieldValue::Lexical(_) => "string",
            FieldValue::Null => "null",
        }
    }

    /// A loosely typed JSON value (Introzy, BigChange): strings may fill text,
    /// select and date fields.
    pub fn from_json(v: &Value) -> Option<Self> {
        match v {
            Value::String(s) => Some(FieldValue::Untyped(s.clone())),
            Value::Number(n) => Some(FieldValue::Number(n.to_string())),
            Value::Bool(b) => Some(FieldValue::Boolean(*b)),
            Value::Null => Some(FieldValue::Null),
            Value::Array(_) | Value::Object(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FieldInput {
    /// Where the field sits in the request, for error messages: `fieldList[2]`.
    pub path: String,
    pub locator: FieldLocator,
    pub value: FieldValue,
}

/// A standard field's value as given, with where it sits in the request.
#[derive(Clone, Debug)]
pub struct Given {
    pub path: String,
    pub value: String,
}

/// Resolved fields: the standard ones that live in the record itself, and the
/// rest ready to store.
#[derive(Debug, Default)]
pub struct ResolvedFields {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub position: Option<String>,
    /// 이름; the domain checks it against the request's own name.
    pub name: Option<Given>,
    /// 소속 기업: an organization's id or name, resolved by the domain.
    pub organization: Option<Given>,
    pub custom: CustomValues,
}

impl ResolvedFields {
    /// Whether any standard field was given: only a person has them.
    pub fn has_standard(&self) -> bool {
        self.email.is_some()
            || self.phone.is_some()
            || self.position.is_some()
            || self.name.is_some()
            || self.organization.is_some()
    }
}

fn describe(locator: &FieldLocator) -> String {
    match locator {
        FieldLocator::Name(n) => format!("'{n}'"),
        FieldLocator::Key(k) => format!("'{k}'"),
        FieldLocator::DefinitionId(id) => format!("definition {id}"),
    }
}

/// Resolves `inputs` against the workspace's definitions for `entity`. A cached
/// list is trusted only if it knows every field named; otherwise a fresh one is
/// read, so a field defined a moment ago (by `crm admin`) is never called unknown.
pub async fn resolve_in(
    store: &dyn crate::store::Store,
    workspace_id: i64,
    entity: crate::store::Entity,
    inputs: Vec<FieldInput>,
) -> Result<(ResolvedFields, std::sync::Arc<Vec<FieldDefinition>>), DomainError> {
    if inputs.is_empty() {
        return Ok((ResolvedFields::default(), Default::default()));
    }
    let mut definitions = store.field_definitions(workspace_id, entity, false).await?;
    if !inputs
        .iter()
        .all(|i| find(&definitions, &i.locator).is_some())
    {
        definitions = store.field_definitions(workspace_id, entity, true).await?;
    }
    Ok((resolve(&definitions, inputs)?, definitions))
}

fn find<'a>(
    definitions: &'a [FieldDefinition],
    locator: &FieldLocator,
) -> Option<&'a FieldDefinition> {
    definitions.iter().find(|d| match locator {
        FieldLocator::Name(n) => d.name == *n,
        FieldLocator::Key(k) => d.key == *k,
        FieldLocator::DefinitionId(id) => d.id.id == *id,
    })
}

/// Checks every input against `definitions` (the workspace's definitions for one
/// entity). Errors name the field by its place in the request and its name.
pub fn resolve(
    definitions: &[FieldDefinition],
    inputs: Vec<FieldInput>,
) -> Result<ResolvedFields, DomainError> {
    let mut out = ResolvedFields::default();
    let mut seen: Vec<i64> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let def = find(definitions, &input.locator).ok_or_else(|| {
            DomainError::invalid(
                &input.path,
                format!(
                    "unknown field {}: no such data field is defined in this workspace",
                    describe(&input.locator)
                ),
            )
        })?;
        if def.builtin.is_some() && !matches!(input.locator, FieldLocator::Name(_)) {
            return Err(DomainError::invalid(
                &input.path,
                format!(
                    "{} is the standard field '{}', not a custom field; only custom fields are set here",
                    describe(&input.locator),
                    def.name
                ),
            ));
        }
        if seen.contains(&def.id.id) {
            return Err(DomainError::invalid(
                &input.path,
                format!("field '{}' is given more than once", def.name),
            ));
        }
        seen.push(def.id.id);
        let value = check_value(def, &input)?;
        let Some(value) = value else { continue };
        match def.builtin {
            Some(Builtin::Email) => {
                let email = value.as_str().unwrap_or_default();
                // The duplicate rule reads this field: it is an address like every
                // family's `email`, or it is refused.
                validate::email(&input.path, email)?;
                out.email = Some(email.to_owned());
            }
            Some(Builtin::Phone) => out.phone = value.as_str().map(str::to_owned),
            Some(Builtin::Position) => out.position = value.as_str().map(str::to_owned),
            Some(Builtin::Name) => out.name = given(&input, &value),
            Some(Builtin::Organization) => out.organization = given(&input, &value),
            None => out.custom.push((def.id.id, value)),
        }
    }
    Ok(out)
}

fn given(input: &FieldInput, value: &Value) -> Option<Given> {
    value.as_str().map(|v| Given {
        path: input.path.clone(),
        value: v.to_owned(),
    })
}

/// The stored JSON value, or `None` for an explicit "no value".
fn check_value(def: &FieldDefinition, input: &FieldInput) -> Result<Option<Value>, DomainError> {
    let mismatch = || {
        DomainError::invalid(
            &input.path,
            format!(
                "field '{}' is a {} field, but a {} value was given",
                def.name,
                def.field_type.as_str(),
                input.value.kind()
            ),
        )
    };
    let value = match (&input.value, def.field_type) {
        (FieldValue::Null, _) => return Ok(None),
        (
            FieldValue::Text(s) | FieldValue::Untyped(s) | FieldValue::Lexical(s),
            FieldType::Text,
        ) => Value::from(s.as_str()),
        (
            FieldValue::Text(s) | FieldValue::Untyped(s) | FieldValue::Lexical(s),
            FieldType::Select,
        ) => {
            if !def.options.iter().any(|o| o == s) {
                return Err(DomainError::invalid(
                    &input.path,
                    format!(
                        "field '{}' accepts one of [{}]; got '{s}'",
                        def.name,
                        def.options.join(", ")
                    ),
                ));
            }
            Value::from(s.as_str())
        }
        (FieldValue::Number(n), FieldType::Number) => Value::Number(number(def, input, n, n)?),
        (FieldValue::Boolean(b), FieldType::Boolean) => Value::from(*b),
        (FieldValue::Lexical(s), FieldType::Number) => {
            Value::Number(number(def, input, s.trim(), s)?)
        }
        (FieldValue::Lexical(s), FieldType::Boolean) => {
            match s.trim().to_ascii_lowercase().as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => {
                    return Err(DomainError::invalid(
                        &input.path,
                        format!(
                            "field '{}' is a boolean field; '{s}' is not true or false",
                            def.name
                        ),
                    ))
                }
            }
        }
        (
            FieldValue::Date(s) | FieldValue::Untyped(s) | FieldValue::Lexical(s),
            FieldType::Date,
        ) => Value::from(check_date(def, input, s)?),
        _ => return Err(mismatch()),
    };
    Ok(Some(value))
}

/// `literal` held exactly (see [`super::number`]); `given` is the request's text.
fn number(
    def: &FieldDefinition,
    input: &FieldInput,
    literal: &str,
    given: &str,
) -> Result<serde_json::Number, DomainError> {
    super::number::exact(literal).map_err(|why| {
        let name = &def.name;
        let message = match why {
            Inexact::NotANumber => {
                format!("field '{name}' is a number field; '{given}' is not a number")
            }
            why => format!("field '{name}' is a number field; {literal} {why}"),
        };
        DomainError::invalid(&input.path, message)
    })
}

fn check_date(def: &FieldDefinition, input: &FieldInput, s: &str) -> Result<String, DomainError> {
    let ok = chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
        || chrono::DateTime::parse_from_rfc3339(s).is_ok();
    if ok {
        Ok(s.to_owned())
    } else {
        Err(DomainError::invalid(
            &input.path,
            format!(
                "field '{}' is a date field; '{s}' is not a date (YYYY-MM-DD or an RFC 3339 date-time)",
                def.name
            ),
        ))
    }
}

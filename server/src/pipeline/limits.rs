//! The limits a wire type declares (`#[schemars(length(..))]`, `email`, a uuid
//! format) are the ones the server enforces: read from the same JSON Schema that
//! the emitted document (and so the contract check) shows, so a limit lives in one
//! place. Dropshot emits these but enforces none of them.
//!
//! Checked: `required` (a required property without a value: only a
//! [`crm_api::required::Required`] field gets here without one, every other the
//! parser refuses), and `minLength`/`maxLength` (in characters), `pattern` (with an
//! ECMA-262 engine, JSON Schema's dialect: the patterns are `crm_api::pattern`'s),
//! `format: email` and `format: uuid` on the body's top-level string properties.
//! An empty string is "no id" for a uuid (vendors' examples send `""` for an unset
//! id). Other formats (dates) are the domain's business.

use super::FieldErrors;
use crate::domain::validate;
use crate::domain::DomainError;
use schemars::schema::{Schema, SchemaObject};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use std::any::TypeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock, RwLock};

#[derive(Debug)]
enum Format {
    Email,
    Uuid,
}

#[derive(Debug)]
struct Rule {
    field: String,
    required: bool,
    min_length: Option<u32>,
    max_length: Option<u32>,
    pattern: Option<Pattern>,
    format: Option<Format>,
}

/// A declared `pattern`, compiled.
#[derive(Debug)]
pub struct Pattern {
    source: String,
    regex: regress::Regex,
}

impl Pattern {
    /// Panics on a pattern that does not compile: patterns are constants of
    /// `crm_api::pattern`, and a unit test compiles each.
    pub fn new(source: &str) -> Pattern {
        let regex = regress::Regex::new(source)
            .unwrap_or_else(|e| panic!("the declared pattern {source:?} does not compile: {e}"));
        Pattern {
            source: source.to_owned(),
            regex,
        }
    }

    /// JSON Schema's reading: the pattern matches somewhere in `text`.
    pub fn matches(&self, text: &str) -> bool {
        self.regex.find(text).is_some()
    }

    /// What a field that does not match is told.
    fn mismatch(&self) -> String {
        if self.source == crm_api::pattern::NON_BLANK {
            // The words of `validate::non_empty`, which the families run first.
            "must not be empty".to_owned()
        } else {
            format!("must match the pattern {}", self.source)
        }
    }
}

/// Adds an error for each top-level property of `body` that breaks a declared
/// limit, unless the field already has one.
pub fn check<T: Serialize + JsonSchema + 'static>(body: &T, errors: &mut FieldErrors) {
    let rules = rules::<T>();
    if rules.is_empty() {
        return;
    }
    let value = match serde_json::to_value(body) {
        Ok(Value::Object(map)) => map,
        // Bodies are objects; anything else has no properties to limit.
        _ => return,
    };
    for rule in rules.iter() {
        if errors.contains_key(&rule.field) {
            continue;
        }
        match value.get(&rule.field) {
            None | Some(Value::Null) if rule.required => {
                let missing = DomainError::invalid(rule.field.as_str(), "is required");
                super::record(errors, Err(missing));
            }
            Some(Value::String(text)) => super::record(errors, apply(rule, text)),
            _ => {}
        }
    }
}

fn apply(rule: &Rule, text: &str) -> Result<(), DomainError> {
    if rule.min_length.is_some() || rule.max_length.is_some() {
        validate::length(
            &rule.field,
            text,
            rule.min_length.unwrap_or(0) as usize,
            rule.max_length.map_or(usize::MAX, |m| m as usize),
        )?;
    }
    if let Some(pattern) = &rule.pattern {
        if !pattern.matches(text) {
            return Err(DomainError::invalid(&rule.field, pattern.mismatch()));
        }
    }
    match rule.format {
        Some(Format::Email) => validate::email(&rule.field, text),
        Some(Format::Uuid) if text.trim().is_empty() => Ok(()),
        Some(Format::Uuid) => validate::uuid(&rule.field, text.trim()),
        None => Ok(()),
    }
}

/// The rules of `T`, compiled once per type from its schema.
fn rules<T: JsonSchema + 'static>() -> Arc<[Rule]> {
    static RULES: OnceLock<RwLock<HashMap<TypeId, Arc<[Rule]>>>> = OnceLock::new();
    let cache = RULES.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(hit) = cache.read().ok().and_then(|c| c.get(&id).cloned()) {
        return hit;
    }
    let root = schemars::gen::SchemaSettings::openapi3()
        .into_generator()
        .into_root_schema_for::<T>();
    let compiled: Arc<[Rule]> = compile(&root.schema).into();
    if let Ok(mut c) = cache.write() {
        c.insert(id, compiled.clone());
    }
    compiled
}

fn compile(schema: &SchemaObject) -> Vec<Rule> {
    let Some(object) = &schema.object else {
        return Vec::new();
    };
    object
        .properties
        .iter()
        .filter_map(|(field, property)| {
            let Schema::Object(p) = property else {
                return None;
            };
            let string = p.string.as_deref();
            let rule = Rule {
                field: field.clone(),
                required: object.required.contains(field),
                min_length: string.and_then(|s| s.min_length),
                max_length: string.and_then(|s| s.max_length),
                pattern: string.and_then(|s| s.pattern.as_deref()).map(Pattern::new),
                format: match p.format.as_deref() {
                    Some("email") => Some(Format::Email),
                    Some("uuid") => Some(Format::Uuid),
                    _ => None,
                },
            };
            let limited = rule.required
                || rule.min_length.is_some()
                || rule.max_length.is_some()
                || rule.pattern.is_some()
                || rule.format.is_some();
            limited.then_some(rule)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, JsonSchema)]
    #[serde(rename_all = "camelCase")]
    struct Sample {
        #[schemars(length(min = 1, max = 3))]
        first_name: String,
        #[schemars(email)]
        email: String,
        #[schemars(with = "Option<uuid::Uuid>")]
        company_id: Option<String>,
        #[schemars(regex = "crm_api::pattern::NON_BLANK")]
        nickname: String,
    }

    #[derive(Serialize, JsonSchema)]
    struct WithRequired {
        #[schemars(length(min = 1))]
        name: crm_api::required::Required<String>,
        count: crm_api::required::Required<i64>,
        plain: String,
    }

    #[test]
    fn a_required_field_without_a_value_is_refused_by_name() {
        use crm_api::required::Required;
        let mut errors = FieldErrors::new();
        let body = WithRequired {
            name: Required(None),
            count: Required(None),
            plain: String::new(),
        };
        check(&body, &mut errors);
        assert_eq!(
            errors,
            FieldErrors::from([
                ("count".to_owned(), vec!["is required".to_owned()]),
                ("name".to_owned(), vec!["is required".to_owned()]),
            ])
        );
        let mut errors = FieldErrors::new();
        let body = WithRequired {
            name: Required::present(String::new()),
            count: Required::present(1),
            plain: String::new(),
        };
        check(&body, &mut errors);
        assert_eq!(
            errors["name"],
            ["must be at least 1 character long (got 0)"]
        );
        assert_eq!(errors.len(), 1);
    }

    fn errors_of(sample: &Sample) -> FieldErrors {
        let mut errors = FieldErrors::new();
        check(sample, &mut errors);
        errors
    }

    #[test]
    fn declared_limits_are_enforced_by_field() {
        let ok = Sample {
            first_name: "홍길동".into(),
            email: "a@b.co".into(),
            company_id: Some(String::new()),
            nickname: " 길동 ".into(),
        };
        assert!(errors_of(&ok).is_empty());
        let bad = Sample {
            first_name: "홍길동!".into(),
            email: "nope".into(),
            company_id: Some("acme".into()),
            nickname: "\u{3000}\t".into(),
        };
        let errors = errors_of(&bad);
        assert_eq!(
            errors["firstName"],
            ["must be at most 3 characters long (got 4)"]
        );
        assert_eq!(errors["email"], ["'nope' is not a valid e-mail address"]);
        assert_eq!(errors["companyId"], ["'acme' is not a valid uuid"]);
        assert_eq!(errors["nickname"], ["must not be empty"]);
    }

    /// The pattern the documents declare for names is exactly the server's rule
    /// for a blank name (`validate::non_empty`, `str::trim`), character by
    /// character, over all of Unicode.
    #[test]
    fn non_blank_is_exactly_what_trim_keeps() {
        let pattern = Pattern::new(crm_api::pattern::NON_BLANK);
        let mut differ = Vec::new();
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let text = c.to_string();
            let blank = validate::non_empty("name", &text).is_err();
            if pattern.matches(&text) == blank {
                differ.push(format!("U+{:04X}", c as u32));
            }
        }
        assert!(differ.is_empty(), "pattern and trim differ on {differ:?}");
        assert!(pattern.matches(" \t a "));
        assert!(!pattern.matches(""));
    }

    #[test]
    fn a_field_the_family_refused_is_not_checked_again() {
        let mut errors = FieldErrors::from([("firstName".to_owned(), vec!["mine".to_owned()])]);
        let bad = Sample {
            first_name: String::new(),
            email: "a@b.co".into(),
            company_id: None,
            nickname: "n".into(),
        };
        check(&bad, &mut errors);
        assert_eq!(errors["firstName"], ["mine"]);
    }
}

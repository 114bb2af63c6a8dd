//! Every rule of the breaking-change gate, in one table ([`RULES`]), and the one
//! function that files a difference under a rule ([`classify`]).
//!
//! A difference is judged by the way its data flows. What clients *send* (the
//! operation, parameters, headers, security, request bodies) breaks them when a
//! request that was valid is refused now; what clients *read* (statuses, response
//! headers and bodies) breaks them when an answer no longer has the shape their
//! code reads. A difference no rule names is compatible: a new optional request
//! property, a new response property, a relaxed request constraint, a tightened
//! response one. Prose (descriptions, examples) is never compared.

use crate::openapi_diff::{Additional, Change, Direction, Kind, Side};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// How a rule's finding counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Fails the gate unless the document's `info.version` raised its major.
    Breaking,
    /// Reported, never fails: breaks only clients stricter than the document asks.
    Warning,
}

/// One rule: its id (what a finding line starts with), the way its data flows,
/// and why it breaks.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub direction: Direction,
    pub severity: Severity,
    pub why: &'static str,
}

const fn rule(
    id: &'static str,
    direction: Direction,
    severity: Severity,
    why: &'static str,
) -> Rule {
    Rule {
        id,
        direction,
        severity,
        why,
    }
}

use Direction::{Read, Send};
use Severity::{Breaking, Warning};

/// Every rule. `xtask/tests/breaking.rs` has a case for each, on a real document.
#[rustfmt::skip]
pub const RULES: &[Rule] = &[
    // What clients send: the operation itself.
    rule("path-removed",                             Send, Breaking, "every call to this path fails"),
    rule("operation-removed",                        Send, Breaking, "every call to this operation fails"),
    rule("operation-id-changed",                     Send, Breaking, "it renames the generated client's method"),
    // Parameters and headers.
    rule("request-parameter-added-required",         Send, Breaking, "old requests do not send it"),
    rule("request-parameter-became-required",        Send, Breaking, "old requests may leave it out"),
    rule("request-parameter-removed",                Send, Warning,  "old requests still send it; it is ignored now"),
    // Security.
    rule("request-security-added",                   Send, Breaking, "old requests lack the credentials it asks for"),
    rule("request-scope-added",                      Send, Breaking, "old tokens lack the scope"),
    rule("request-security-scheme-changed",          Send, Breaking, "old credentials are presented the old way"),
    // The request body and its media types.
    rule("request-body-became-required",             Send, Breaking, "old requests may send no body"),
    rule("request-body-removed",                     Send, Warning,  "old requests still send one; it is ignored now"),
    rule("request-media-type-removed",               Send, Breaking, "old requests in this media type are refused"),
    // Properties of request schemas.
    rule("request-property-added-required",          Send, Breaking, "old requests do not send it"),
    rule("request-property-became-required",         Send, Breaking, "old requests may leave it out"),
    rule("request-property-removed-refused",         Send, Breaking, "unknown properties are refused, and old requests send it"),
    rule("request-property-removed",                 Send, Warning,  "old requests still send it; it is ignored now"),
    rule("request-additional-properties-restricted", Send, Breaking, "old requests may send properties it refuses"),
    // Values in request schemas.
    rule("request-type-changed",                     Send, Breaking, "old values of the old type are refused"),
    rule("request-format-changed",                   Send, Breaking, "old values may not match the format"),
    rule("request-nullable-removed",                 Send, Breaking, "old requests may send null"),
    rule("request-enum-added",                       Send, Breaking, "old requests may send any value"),
    rule("request-enum-value-removed",               Send, Breaking, "old requests may send the value removed"),
    rule("request-pattern-changed",                  Send, Breaking, "old values may not match the pattern"),
    rule("request-max-length-lowered",               Send, Breaking, "longer old values are refused"),
    rule("request-min-length-raised",                Send, Breaking, "shorter old values are refused"),
    rule("request-maximum-lowered",                  Send, Breaking, "larger old values are refused"),
    rule("request-minimum-raised",                   Send, Breaking, "smaller old values are refused"),
    rule("request-bound-made-exclusive",             Send, Breaking, "an old value at the bound is refused"),
    rule("request-multiple-of-changed",              Send, Breaking, "old values may not be multiples of it"),
    rule("request-max-items-lowered",                Send, Breaking, "longer old arrays are refused"),
    rule("request-min-items-raised",                 Send, Breaking, "shorter old arrays are refused"),
    rule("request-unique-items-added",               Send, Breaking, "old arrays may repeat an item"),
    rule("request-max-properties-lowered",           Send, Breaking, "larger old objects are refused"),
    rule("request-min-properties-raised",            Send, Breaking, "smaller old objects are refused"),
    rule("request-composition-narrowed",             Send, Breaking, "old values may match none of what is left"),
    // What clients read: statuses and headers.
    rule("response-success-status-removed",          Read, Breaking, "clients wait for a success it no longer documents"),
    rule("response-error-status-removed",            Read, Breaking, "clients handle an error it no longer documents"),
    rule("response-success-status-added",            Read, Warning,  "clients may not expect this success"),
    rule("response-header-removed",                  Read, Breaking, "clients read it"),
    rule("response-header-became-optional",          Read, Breaking, "clients count on it"),
    rule("response-media-type-removed",              Read, Breaking, "clients parse this media type"),
    rule("response-media-type-added",                Read, Warning,  "clients may not parse this media type"),
    // Response bodies.
    rule("response-property-removed",                Read, Breaking, "clients read it"),
    rule("response-property-became-optional",        Read, Breaking, "clients count on it"),
    rule("response-became-nullable",                 Read, Breaking, "clients do not expect null"),
    rule("response-type-changed",                    Read, Breaking, "clients parse the old type"),
    rule("response-format-changed",                  Read, Breaking, "clients parse the old format"),
    rule("response-composition-widened",             Read, Breaking, "clients may get a shape they cannot read"),
    rule("response-enum-value-added",                Read, Warning,  "strict clients refuse a value they do not know"),
    rule("response-constraint-relaxed",              Read, Warning,  "strict clients check the old constraint"),
];

/// The rule of this id.
///
/// # Panics
/// When `id` is not in [`RULES`]: `classify` names only ids of the table (a test
/// checks every one).
pub fn by_id(id: &str) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no rule {id} in RULES"))
}

/// The rule `change` breaks, or `None` when it is compatible. `new` is the whole
/// current document (to tell a removed path from a removed method).
pub fn classify(change: &Change<'_>, new: &Value) -> Option<&'static Rule> {
    classify_id(change, new).map(by_id)
}

fn classify_id(change: &Change<'_>, new: &Value) -> Option<&'static str> {
    let send = change.direction == Send;
    let pick = |request: &'static str, response: &'static str| {
        if send {
            request
        } else {
            response
        }
    };
    match &change.kind {
        Kind::Operation(Side::Old) => Some(if path_exists(new, &change.operation) {
            "operation-removed"
        } else {
            "path-removed"
        }),
        Kind::Operation(Side::New) => None,
        Kind::OperationId { .. } => Some("operation-id-changed"),
        Kind::Parameter {
            side: Side::New,
            required,
        } => required.then_some("request-parameter-added-required"),
        Kind::Parameter {
            side: Side::Old, ..
        } => Some("request-parameter-removed"),
        Kind::ParameterRequired { old, new } => {
            (!old && *new).then_some("request-parameter-became-required")
        }
        Kind::Security { old, new } => security(old, new),
        Kind::Scopes { old, new } => new
            .iter()
            .any(|s| !old.contains(s))
            .then_some("request-scope-added"),
        Kind::SecurityScheme { old, .. } => {
            old.is_some().then_some("request-security-scheme-changed")
        }
        Kind::RequestBody {
            side: Side::New,
            required,
        } => required.then_some("request-body-became-required"),
        Kind::RequestBody {
            side: Side::Old, ..
        } => Some("request-body-removed"),
        Kind::BodyRequired { old, new } => (!old && *new).then_some("request-body-became-required"),
        Kind::Status {
            status,
            side: Side::Old,
        } => Some(if status.starts_with('2') {
            "response-success-status-removed"
        } else {
            "response-error-status-removed"
        }),
        Kind::Status {
            status,
            side: Side::New,
        } => status
            .starts_with('2')
            .then_some("response-success-status-added"),
        Kind::ResponseHeader {
            side: Side::Old, ..
        } => Some("response-header-removed"),
        Kind::ResponseHeader {
            side: Side::New, ..
        } => None,
        Kind::HeaderRequired { old, new } => {
            (*old && !new).then_some("response-header-became-optional")
        }
        Kind::MediaType {
            side: Side::Old, ..
        } => Some(pick(
            "request-media-type-removed",
            "response-media-type-removed",
        )),
        Kind::MediaType {
            side: Side::New, ..
        } => (!send).then_some("response-media-type-added"),
        // A schema where any body went (sent), or none where one was read.
        Kind::Schema(side) => (send == (*side == Side::New))
            .then_some(pick("request-type-changed", "response-type-changed")),
        Kind::Items { old, new } => (if send { !old && *new } else { *old && !new })
            .then_some(pick("request-type-changed", "response-type-changed")),
        Kind::Nullable { old, new } => match (send, old, new) {
            (true, true, false) => Some("request-nullable-removed"),
            (false, false, true) => Some("response-became-nullable"),
            _ => None,
        },
        Kind::Keyword { keyword, old, new } => keyword_rule(send, keyword, *old, *new),
        Kind::Enum { old, new } => enum_rule(send, old.as_ref(), new.as_ref()),
        Kind::Required {
            name,
            side: Side::New,
            old_schema,
            ..
        } if send => Some(if has_property(old_schema, name) {
            "request-property-became-required"
        } else {
            "request-property-added-required"
        }),
        // A response property removed is reported as removed, not as optional.
        Kind::Required {
            name,
            side: Side::Old,
            new_schema,
            ..
        } if !send && has_property(new_schema, name) => Some("response-property-became-optional"),
        Kind::Required { .. } => None,
        Kind::Property {
            side: Side::Old,
            new_schema,
            ..
        } => Some(match (send, Additional::of_schema(new_schema)) {
            (true, Additional::Forbidden) => "request-property-removed-refused",
            (true, _) => "request-property-removed",
            (false, _) => "response-property-removed",
        }),
        Kind::Property { .. } => None,
        Kind::AdditionalProperties { old, new } => {
            let rank = |a: &Additional| match a {
                Additional::Forbidden => 0,
                Additional::Schema => 1,
                Additional::Allowed => 2,
            };
            match send {
                true => {
                    (rank(new) < rank(old)).then_some("request-additional-properties-restricted")
                }
                false => (rank(new) > rank(old)).then_some("response-constraint-relaxed"),
            }
        }
        Kind::Combinator { keyword, old, new } => {
            // Absent oneOf/anyOf allows anything; absent allOf adds nothing.
            let narrower = if *keyword == "allOf" {
                new > old
            } else {
                *new != 0 && (*old == 0 || new < old)
            };
            match send {
                true => narrower.then_some("request-composition-narrowed"),
                false => (!narrower).then_some("response-composition-widened"),
            }
        }
    }
}

fn path_exists(doc: &Value, operation: &str) -> bool {
    let path = operation.split_once(' ').map_or(operation, |(_, p)| p);
    doc.get("paths").and_then(|p| p.get(path)).is_some()
}

fn has_property(schema: &Value, name: &str) -> bool {
    schema.get("properties").and_then(|p| p.get(name)).is_some()
}

/// Breaking when a client meeting some old requirement meets no new one: the
/// requirement needs a scheme it does not present (security added) or a scope its
/// token lacks (scope added). No requirement is one empty alternative (anonymous).
fn security(old: &Value, new: &Value) -> Option<&'static str> {
    type Requirement = BTreeMap<String, BTreeSet<String>>;
    let alternatives = |v: &Value| -> Vec<Requirement> {
        let list: Vec<Requirement> = v
            .as_array()
            .into_iter()
            .flatten()
            .map(|req| {
                req.as_object()
                    .into_iter()
                    .flatten()
                    .map(|(scheme, scopes)| {
                        let scopes = scopes.as_array().into_iter().flatten();
                        let scopes = scopes.filter_map(|s| s.as_str().map(str::to_owned));
                        (scheme.clone(), scopes.collect())
                    })
                    .collect()
            })
            .collect();
        if list.is_empty() {
            vec![Requirement::new()]
        } else {
            list
        }
    };
    let (old, new) = (alternatives(old), alternatives(new));
    let mut found = None;
    for held in &old {
        let met = |req: &Requirement| {
            req.iter()
                .all(|(scheme, scopes)| held.get(scheme).is_some_and(|s| scopes.is_subset(s)))
        };
        if !new.iter().any(met) {
            let schemes_held = new
                .iter()
                .any(|req| req.keys().all(|scheme| held.contains_key(scheme)));
            let id = if schemes_held {
                "request-scope-added"
            } else {
                "request-security-added"
            };
            // A missing scheme says more than a missing scope.
            if found != Some("request-security-added") {
                found = Some(id);
            }
        }
    }
    found
}

fn keyword_rule(
    send: bool,
    keyword: &str,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Option<&'static str> {
    // Sent values must stay accepted (the new schema holds the old one); read
    // values must stay readable (the old schema holds the new one).
    let (narrow, wide) = if send { (old, new) } else { (new, old) };
    let number = |v: Option<&Value>| v.and_then(Value::as_f64);
    let truth = |v: Option<&Value>| v.and_then(Value::as_bool).unwrap_or(false);
    let tightened = match keyword {
        "type" => !holds(wide, narrow, &[("integer", "number")]),
        "format" => !holds(wide, narrow, &[("int32", "int64"), ("float", "double")]),
        "maxLength" | "maximum" | "maxItems" | "maxProperties" => {
            let bound = |v| number(v).unwrap_or(f64::INFINITY);
            bound(wide) < bound(narrow)
        }
        "minLength" | "minimum" | "minItems" | "minProperties" => {
            let bound = |v| number(v).unwrap_or(f64::NEG_INFINITY);
            bound(wide) > bound(narrow)
        }
        "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" => truth(wide) && !truth(narrow),
        "multipleOf" => match (number(narrow), number(wide)) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(n), Some(w)) => (n / w).fract() != 0.0,
        },
        "pattern" => wide.is_some() && wide != narrow,
        _ => unreachable!("openapi_diff::KEYWORDS has no {keyword}"),
    };
    if !tightened {
        return None;
    }
    if !send {
        return Some(match keyword {
            "type" => "response-type-changed",
            "format" => "response-format-changed",
            _ => "response-constraint-relaxed",
        });
    }
    Some(match keyword {
        "type" => "request-type-changed",
        "format" => "request-format-changed",
        "maxLength" => "request-max-length-lowered",
        "minLength" => "request-min-length-raised",
        "maximum" => "request-maximum-lowered",
        "minimum" => "request-minimum-raised",
        "maxItems" => "request-max-items-lowered",
        "minItems" => "request-min-items-raised",
        "maxProperties" => "request-max-properties-lowered",
        "minProperties" => "request-min-properties-raised",
        "exclusiveMinimum" | "exclusiveMaximum" => "request-bound-made-exclusive",
        "uniqueItems" => "request-unique-items-added",
        "multipleOf" => "request-multiple-of-changed",
        "pattern" => "request-pattern-changed",
        _ => unreachable!("every keyword above is named"),
    })
}

/// Whether a `type` or `format` of `wide` takes every value of `narrow`: none takes
/// anything; `widens` lists (narrow, wide) pairs.
fn holds(wide: Option<&Value>, narrow: Option<&Value>, widens: &[(&str, &str)]) -> bool {
    match (wide, narrow) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(w), Some(n)) => {
            w == n
                || widens
                    .iter()
                    .any(|(from, to)| n.as_str() == Some(from) && w.as_str() == Some(to))
        }
    }
}

fn enum_rule(send: bool, old: Option<&Value>, new: Option<&Value>) -> Option<&'static str> {
    let values = |v: &Value| -> Vec<Value> { v.as_array().cloned().unwrap_or_default() };
    // Whether the `narrow` enum lets through a value the `wide` one does not.
    let escapes = |narrow: Option<&Value>, wide: Option<&Value>| match (narrow, wide) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(n), Some(w)) => {
            let w = values(w);
            values(n).iter().any(|v| !w.contains(v))
        }
    };
    if send {
        match (old, new) {
            (None, Some(_)) => Some("request-enum-added"),
            _ => escapes(old, new).then_some("request-enum-value-removed"),
        }
    } else {
        escapes(new, old).then_some("response-enum-value-added")
    }
}

//! The document the server emits for each family: dropshot's OpenAPI output for the
//! family's operations, completed with the facts dropshot cannot express (explicit
//! error statuses, security), which are declared beside the wire types in
//! [`crate::facts`]. The contract check (`cargo xtask contract`) compares this with
//! the hand-written YAML.
//!
//! One step corrects what schemars writes: an `Option` of a named type comes out as
//! `{allOf: [{$ref}], nullable: true}`, where OpenAPI 3.0.3 ignores `nullable` (it
//! counts only beside `type`), so a tool that follows the spec refuses `null` there.
//! [`inline_nullable_refs`] writes such a schema as the named type's own, inline,
//! with `nullable: true` beside its `type`, as the YAML does.

use crate::facts::{DocumentFacts, OperationFacts};
use crate::DOCUMENTS;
use serde_json::{json, Map, Value};

/// Dropshot's OpenAPI output for the whole API, as JSON.
pub fn dropshot_document() -> anyhow::Result<Value> {
    let description = crate::crm_api_mod::stub_api_description()
        .map_err(|e| anyhow::anyhow!("building the API description: {e}"))?;
    let openapi = description.openapi("crm", semver::Version::new(0, 0, 0));
    Ok(openapi.json()?)
}

pub fn document_names() -> impl Iterator<Item = &'static str> {
    DOCUMENTS.iter().map(|d| d.name)
}

/// The emitted document for one family (`salesmap`, ...), completed with its
/// declared facts.
pub fn emitted_document(name: &str) -> anyhow::Result<Value> {
    let facts = DOCUMENTS
        .iter()
        .find(|d| d.name == name)
        .ok_or_else(|| anyhow::anyhow!("no family document named {name:?}"))?;
    let mut doc = dropshot_document()?;
    complete(&mut doc, facts)?;
    inline_nullable_refs(&mut doc)?;
    Ok(doc)
}

/// Replaces every `{allOf: [{$ref: X}], nullable: true}` without a `type` by X's
/// schema, inline, nullable (an `enum` gains `null`, which 3.0.3 requires for null
/// to be one of its values), keeping the outer description.
pub fn inline_nullable_refs(doc: &mut Value) -> anyhow::Result<()> {
    let schemas = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or_else(|| json!({}));
    let mut inlining = Vec::new();
    inline_in(doc, &schemas, &mut inlining)
}

fn inline_in(v: &mut Value, schemas: &Value, inlining: &mut Vec<String>) -> anyhow::Result<()> {
    let Some(object) = v.as_object() else {
        if let Some(items) = v.as_array_mut() {
            for item in items {
                inline_in(item, schemas, inlining)?;
            }
        }
        return Ok(());
    };
    let Some(name) = nullable_ref(object) else {
        for child in v.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
            inline_in(child, schemas, inlining)?;
        }
        return Ok(());
    };
    anyhow::ensure!(
        !inlining.contains(&name),
        "{name} holds a nullable {name}: a recursive type cannot be inlined"
    );
    let mut schema = schemas
        .get(&name)
        .cloned()
        .ok_or_else(|| anyhow::anyhow!("a nullable reference to {name}, which is no schema"))?;
    let target = schema
        .as_object_mut()
        .filter(|s| s.contains_key("type"))
        .ok_or_else(|| anyhow::anyhow!("{name} has no `type`, so it cannot be made nullable"))?;
    target.insert("nullable".into(), Value::Bool(true));
    if let Some(values) = target.get_mut("enum").and_then(Value::as_array_mut) {
        if !values.contains(&Value::Null) {
            values.push(Value::Null);
        }
    }
    if let Some(description) = object.get("description") {
        target.insert("description".into(), description.clone());
    }
    inlining.push(name);
    inline_in(&mut schema, schemas, inlining)?;
    inlining.pop();
    *v = schema;
    Ok(())
}

/// X, when `schema` is schemars' nullable reference to it and nothing more.
fn nullable_ref(schema: &Map<String, Value>) -> Option<String> {
    if schema.get("nullable") != Some(&Value::Bool(true)) || schema.contains_key("type") {
        return None;
    }
    if schema
        .keys()
        .any(|k| !matches!(k.as_str(), "allOf" | "nullable" | "description"))
    {
        return None;
    }
    match schema.get("allOf")?.as_array()?.as_slice() {
        [only] => only
            .get("$ref")?
            .as_str()?
            .strip_prefix("#/components/schemas/")
            .map(str::to_owned),
        _ => None,
    }
}

fn complete(doc: &mut Value, facts: &DocumentFacts) -> anyhow::Result<()> {
    let components = doc.get("components").cloned().unwrap_or_else(|| json!({}));
    let paths = doc
        .get_mut("paths")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow::anyhow!("the emitted document has no paths"))?;
    // Keep only this family's operations.
    for item in paths.values_mut() {
        if let Some(item) = item.as_object_mut() {
            item.retain(|_, op| {
                op.get("tags")
                    .and_then(Value::as_array)
                    .is_some_and(|tags| tags.iter().any(|t| t == facts.name))
            });
        }
    }
    paths.retain(|_, item| item.as_object().is_some_and(|o| !o.is_empty()));

    // Every declared operation must exist: facts for a renamed or removed endpoint
    // would otherwise be silently ignored.
    for declared in facts.operations {
        let emitted = paths
            .values()
            .filter_map(Value::as_object)
            .flat_map(|item| item.values())
            .any(|op| op.get("operationId").and_then(Value::as_str) == Some(declared.operation_id));
        anyhow::ensure!(
            emitted,
            "the {} document declares facts for {}, which is no endpoint tagged {}",
            facts.name,
            declared.operation_id,
            facts.name
        );
    }

    for item in paths.values_mut() {
        for op in item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let op_facts = facts
                .operations
                .iter()
                .find(|f| f.operation_id == id)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "operation {id} has no OperationFacts in the {} document's declarations",
                        facts.name
                    )
                })?;
            apply(op, op_facts, &components)?;
        }
    }

    // The tag list names every family; this document has one.
    if let Some(tags) = doc.get_mut("tags").and_then(Value::as_array_mut) {
        tags.retain(|t| t.get("name").and_then(Value::as_str) == Some(facts.name));
    }
    let schemes: Value = serde_json::from_str(facts.security_schemes)?;
    let components = doc
        .as_object_mut()
        .expect("document is an object")
        .entry("components")
        .or_insert_with(|| json!({}));
    components
        .as_object_mut()
        .ok_or_else(|| anyhow::anyhow!("components is not an object"))?
        .insert("securitySchemes".into(), schemes);
    Ok(())
}

/// Replaces the `4XX`/`5XX` ranges with the declared statuses (each with the range's
/// body, under the declared media type) and adds security.
fn apply(op: &mut Value, facts: &OperationFacts, components: &Value) -> anyhow::Result<()> {
    let responses = op
        .get_mut("responses")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| anyhow::anyhow!("{} has no responses", facts.operation_id))?;
    let range_body = |r: &Map<String, Value>, range: &str| -> Option<Value> {
        let mut response = r.get(range)?;
        if let Some(target) = response.get("$ref").and_then(Value::as_str) {
            let name = target.strip_prefix("#/components/responses/")?;
            response = components.get("responses")?.get(name)?;
        }
        let content = response.get("content")?.as_object()?;
        content.values().next()?.get("schema").cloned()
    };
    let client = range_body(responses, "4XX");
    let server = range_body(responses, "5XX");
    responses.remove("4XX");
    responses.remove("5XX");
    if facts.default_error {
        let schema = client.clone().or_else(|| server.clone()).ok_or_else(|| {
            anyhow::anyhow!(
                "{} declares a default response, but dropshot emitted no error body",
                facts.operation_id
            )
        })?;
        responses.insert(
            "default".into(),
            json!({
                "description": "any other error",
                "content": { facts.error_media_type: { "schema": schema } },
            }),
        );
    }
    for status in facts.error_statuses {
        let schema = if *status >= 500 { &server } else { &client }
            .clone()
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{} declares status {status}, but dropshot emitted no error body for its range",
                    facts.operation_id
                )
            })?;
        responses.insert(
            status.to_string(),
            json!({
                "description": format!("error {status}"),
                "content": { facts.error_media_type: { "schema": schema } },
            }),
        );
    }
    let security: Vec<Value> = facts
        .security
        .iter()
        .map(|(scheme, scopes)| json!({ *scheme: scopes }))
        .collect();
    let op = op.as_object_mut().expect("operation is an object");
    op.insert("security".into(), Value::Array(security));
    if !facts.request_media_types.is_empty() {
        let content = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "{} declares request media types but has no body",
                    facts.operation_id
                )
            })?;
        let schema = content
            .values()
            .next()
            .and_then(|m| m.get("schema"))
            .cloned()
            .ok_or_else(|| anyhow::anyhow!("{} has no request body schema", facts.operation_id))?;
        content.clear();
        for media in facts.request_media_types {
            content.insert((*media).to_owned(), json!({ "schema": schema }));
        }
    }
    if !facts.required_scopes.is_empty() {
        op.insert("x-required-scopes".into(), json!(facts.required_scopes));
    }
    Ok(())
}

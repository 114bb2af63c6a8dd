//! The document the server emits for each family: dropshot's OpenAPI output for the
//! family's operations, completed with the facts dropshot cannot express (explicit
//! error statuses, security), which are declared beside the wire types in
//! [`crate::facts`]. The contract check (`cargo xtask contract`) compares this with
//! the hand-written YAML.

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
    Ok(doc)
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

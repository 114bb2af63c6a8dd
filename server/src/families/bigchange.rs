//! BigChange: create a person in the contacts API. Every failure is an RFC 7807
//! problem (`application/problem+json`); validation failures are 422 with
//! per-field messages.

use crate::api::bigchange::*;
use crate::api::envelope::{auth_failure, INTERNAL_MESSAGE};
use crate::app::ServerContext;
use crate::auth;
use crate::body::JsonBody;
use crate::domain::fields::{FieldInput, FieldLocator, FieldValue};
use crate::domain::people::{self, CreatePerson, CreatedPerson, OrganizationInput};
use crate::domain::{validate, DomainError};
use crate::idempotency::{self, Idempotency};
use crate::store::{NewPerson, RecordKey};
use dropshot::{ErrorStatusCode, Header, HttpError, HttpResponseCreated};
use http::HeaderMap;
use std::collections::BTreeMap;

type Answer = ProblemOr<HttpResponseCreated<CreatedRecord>>;

/// What the request was, for answers: the path is every problem's `instance`.
pub struct Request<'a> {
    pub ctx: &'a ServerContext,
    pub headers: &'a HeaderMap,
    pub path: &'a str,
}

fn problem(req: &Request<'_>, status: ErrorStatusCode, detail: impl Into<String>) -> Answer {
    ProblemOr::Problem(ProblemDetails::new(status, req.path, detail))
}

fn domain_problem(req: &Request<'_>, e: DomainError) -> Answer {
    let field_error = |field: String, message: String| {
        ProblemOr::Problem(ProblemDetails::validation(
            req.path,
            BTreeMap::from([(field, vec![message])]),
        ))
    };
    match e {
        DomainError::Invalid { field, message } | DomainError::NotFound { field, message } => {
            field_error(field, message)
        }
        e @ DomainError::IdempotencyKeyUsed { .. } => {
            field_error("Idempotency-Key".into(), e.to_string())
        }
        DomainError::DuplicateEmail { existing } => field_error(
            "email".into(),
            format!(
                "a person with this e-mail already exists ({})",
                existing.uuid
            ),
        ),
        DomainError::Internal(err) => {
            tracing::error!(error = %format!("{err:#}"), "bigchange request failed");
            problem(
                req,
                ErrorStatusCode::INTERNAL_SERVER_ERROR,
                INTERNAL_MESSAGE,
            )
        }
    }
}

/// The checks that produce 422: all of them at once, by field.
fn validate(body: &CreatePersonModel) -> BTreeMap<String, Vec<String>> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let checks = [
        validate::non_empty("forename", &body.forename),
        validate::non_empty("surname", &body.surname),
        validate::non_empty("email", &body.email)
            .and_then(|_| validate::email("email", &body.email)),
    ];
    for check in checks {
        if let Err(DomainError::Invalid { field, message }) = check {
            errors.entry(field).or_default().push(message);
        }
    }
    errors
}

fn custom_field_inputs(fields: Option<Vec<CustomFieldValueModel>>) -> Vec<FieldInput> {
    fields
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, f)| FieldInput {
            path: format!("customFields[{i}]"),
            locator: FieldLocator::DefinitionId(f.definition_id),
            value: f.value.map_or(FieldValue::Null, FieldValue::Lexical),
        })
        .collect()
}

pub async fn create_person(
    req: Request<'_>,
    headers: Result<Header<PersonHeaders>, HttpError>,
    body: Result<JsonBody<CreatePersonModel>, HttpError>,
) -> Answer {
    let store = req.ctx.store.as_ref();
    let who = match auth::authenticate(store, req.headers, Some(PERSONS_WRITE)).await {
        Ok(who) => who,
        Err(e) => {
            let (status, message) = auth_failure(e, ErrorStatusCode::UNAUTHORIZED);
            return problem(&req, status, message);
        }
    };
    let PersonHeaders {
        customer_id,
        idempotency_key,
    } = match headers {
        Ok(h) => h.into_inner(),
        Err(e) => {
            let customer_ok = req
                .headers
                .get("Customer-Id")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim().parse::<i64>().is_ok());
            let detail = if customer_ok {
                crate::api::envelope::public_message(e)
            } else {
                "Customer-Id: the header is required and must be an integer (int64)".to_owned()
            };
            return problem(&req, ErrorStatusCode::BAD_REQUEST, detail);
        }
    };
    // The customer id is the workspace's integer id.
    if customer_id != who.workspace.id {
        return problem(
            &req,
            ErrorStatusCode::FORBIDDEN,
            format!("Customer-Id: the token does not act for customer {customer_id}"),
        );
    }
    let body = match body {
        Ok(b) => b.0,
        Err(e) => {
            let status = e.status_code;
            return problem(&req, status, crate::api::envelope::public_message(e));
        }
    };
    let errors = validate(&body);
    if !errors.is_empty() {
        return ProblemOr::Problem(ProblemDetails::validation(req.path, errors));
    }

    let key = match Idempotency::from_header(idempotency_key, "bigchange_create_person", &body) {
        Ok(key) => key,
        Err(e) => return domain_problem(&req, e),
    };
    let name = format!("{} {}", body.forename.trim(), body.surname.trim());
    let fields = custom_field_inputs(body.custom_fields);
    let render = |created: &CreatedPerson| CreatedRecord {
        id: created.record.id.uuid.clone(),
    };
    let ttl = req.ctx.idempotency_ttl;
    let answer = idempotency::guarded(store, who.workspace.id, key, ttl, render, |write| {
        let request = CreatePerson {
            person: NewPerson {
                name,
                first_name: Some(body.forename),
                last_name: Some(body.surname),
                email: Some(body.email),
                title: body.title,
                mobile: body.mobile,
                landline: body.landline,
                extension: body.extension,
                position: body.position,
                department: body.department,
                is_opted_out: body.is_opted_out.unwrap_or(false),
                ..Default::default()
            },
            organization: Some(OrganizationInput::Existing {
                field: "contactId",
                noun: "contact",
                key: RecordKey::Id(body.contact_id),
            }),
            fields,
        };
        people::create_person(store, &who, request, write)
    })
    .await;
    match answer {
        Ok(created) => ProblemOr::Ok(HttpResponseCreated(created)),
        Err(e) => domain_problem(&req, e),
    }
}

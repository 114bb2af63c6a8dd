//! MaiaScore: `POST /customers`. The body arrives as JSON, XML or form data
//! (`MultiFormatBody` reads all three into one type); success is 200.

use crate::api::maiascore::*;
use crate::app::ServerContext;
use crate::auth;
use crate::domain::customers;
use crate::idempotency::{self, Idempotency};
use crate::store::{CustomerRecord, NewCustomer};
use dropshot::HttpResponseOk;
use http::HeaderMap;

/// MaiaScore's words for a missing or invalid token.
const AUTH_REQUIRED: &str = "this operation requires authentication";

pub async fn create_customer(
    ctx: &ServerContext,
    headers: &HeaderMap,
    idempotency_key: Option<String>,
    body: CustomerInput,
) -> Result<HttpResponseOk<Customer>, MaiaError> {
    let store = ctx.store.as_ref();
    let who = auth::authenticate(store, headers, None)
        .await
        .map_err(|e| {
            let mut err = MaiaError::from(e);
            if err.code == 403 {
                err.message = format!("{AUTH_REQUIRED}: {}", err.message);
            }
            err
        })?;
    let key = Idempotency::from_header(idempotency_key, "maiascore_create_customer", &body)?;
    let (gender, marital_status) = (body.gender, body.marital_status);
    let render = move |record: &CustomerRecord| {
        let c = &record.customer;
        Customer {
            id: record.id.uuid.clone(),
            uuid: c.vendor_uuid.clone(),
            reference_id: c.reference_id.clone(),
            date_of_birth: c.date_of_birth.clone(),
            address_street: c.address_street.clone(),
            address_neighborhood: c.address_neighborhood.clone(),
            address_city: c.address_city.clone(),
            address_state: c.address_state.clone(),
            address_country: c.address_country.clone(),
            gender,
            marital_status,
            published_at: record.published_at,
            updated_by: c.created_by.clone(),
            created_by: c.created_by.clone(),
        }
    };
    let ttl = ctx.idempotency_ttl;
    let answer = idempotency::guarded(store, who.workspace.id, key, ttl, render, |write| {
        let input = NewCustomer {
            vendor_uuid: body.uuid,
            reference_id: body.reference_id,
            date_of_birth: body.date_of_birth,
            address_street: body.address_street,
            address_neighborhood: body.address_neighborhood,
            address_city: body.address_city,
            address_state: body.address_state,
            address_country: body.address_country,
            gender: gender.map(|g| g.as_str().to_owned()),
            marital_status: marital_status.map(|m| m.as_str().to_owned()),
            ..Default::default()
        };
        customers::create_customer(store, &who, input, write)
    })
    .await?;
    Ok(HttpResponseOk(answer))
}

//! MaiaScore: `POST /customers`. The body arrives as JSON, XML or form data
//! (`MultiFormatBody` reads all three into one type); success is 200.

use crate::domain::{customers, DomainError};
use crate::pipeline::{CallOf, Create};
use crate::store::{CustomerRecord, NewCustomer};
use crm_api::maiascore::*;

impl Create for CreateCustomer {
    type Created = CustomerRecord;

    async fn create(call: CallOf<'_, Self>) -> Result<CustomerRecord, DomainError> {
        let body = call.body.clone();
        let input = NewCustomer {
            vendor_uuid: body.uuid,
            reference_id: body.reference_id,
            date_of_birth: body.date_of_birth,
            address_street: body.address_street,
            address_neighborhood: body.address_neighborhood,
            address_city: body.address_city,
            address_state: body.address_state,
            address_country: body.address_country,
            gender: body.gender,
            marital_status: body.marital_status,
            ..Default::default()
        };
        customers::create_customer(call.store, call.who, input, call.claim).await
    }

    fn render(record: &CustomerRecord, _: &CustomerInput) -> Customer {
        let c = record.customer.clone();
        Customer {
            id: record.id.uuid.clone(),
            uuid: c.vendor_uuid,
            reference_id: c.reference_id,
            date_of_birth: c.date_of_birth,
            address_street: c.address_street,
            address_neighborhood: c.address_neighborhood,
            address_city: c.address_city,
            address_state: c.address_state,
            address_country: c.address_country,
            gender: c.gender,
            marital_status: c.marital_status,
            published_at: record.published_at,
            updated_by: c.created_by.clone(),
            created_by: c.created_by,
        }
    }
}

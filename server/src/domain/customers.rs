//! Creating a MaiaScore customer.

use super::DomainError;
use crate::auth::Principal;
use crate::store::{CustomerRecord, IdempotentWrite, NewCustomer, Store};
use chrono::NaiveDate;

/// A real calendar date written `YYYY-MM-DD`, not after today (UTC).
pub fn date_of_birth(field: &str, value: &str) -> Result<(), DomainError> {
    let date = NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        // chrono accepts "2019-8-24"; the format is exactly ten characters.
        .filter(|d| d.format("%Y-%m-%d").to_string() == value)
        .ok_or_else(|| {
            DomainError::invalid(
                field,
                format!("'{value}' is not a real date written YYYY-MM-DD"),
            )
        })?;
    let today = chrono::Utc::now().date_naive();
    if date > today {
        return Err(DomainError::invalid(
            field,
            format!("'{value}' is in the future (today is {today})"),
        ));
    }
    Ok(())
}

pub async fn create_customer(
    store: &dyn Store,
    who: &Principal,
    mut customer: NewCustomer,
    idempotency: Option<IdempotentWrite<CustomerRecord>>,
) -> Result<CustomerRecord, DomainError> {
    if let Some(d) = &customer.date_of_birth {
        date_of_birth("dateOfBirth", d)?;
    }
    customer.workspace_id = who.workspace.id;
    customer.created_by = who.label.clone();
    Ok(store.create_customer(customer, idempotency).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert!(date_of_birth("d", "2019-08-24").is_ok());
        assert!(date_of_birth("d", "2024-02-29").is_ok());
        for bad in [
            "2019-02-30",
            "2023-02-29",
            "2019-8-24",
            "24/08/2019",
            "",
            "2019-08-24T00:00:00Z",
            "9999-01-01",
        ] {
            assert!(date_of_birth("d", bad).is_err(), "{bad}");
        }
    }
}

"""MaiaScore through its generated package, against a live server. The package
sends the body as form data: openapi-python-client skips the document's
`application/xml` and generates two branches for JSON and form data with one
model, of which the form branch is the one that takes effect."""

import datetime

import crm_maiascore_client
from conftest import RUN, expect_stored
from crm_maiascore_client.api.maiascore import maiascore_create_customer
from crm_maiascore_client.models import Customer, CustomerInput, Error


def test_create_customer_from_a_form_body(client_of):
    sent = []
    client = client_of(
        crm_maiascore_client,
        httpx_args={"event_hooks": {"request": [lambda request: sent.append(request.headers["content-type"])]}},
    )
    reference = f"{RUN}-customer"
    body = CustomerInput(reference_id=reference, date_of_birth=datetime.date(1990, 1, 31), gender="female")
    response = maiascore_create_customer.sync_detailed(client=client, body=body)
    assert sent == ["application/x-www-form-urlencoded"]
    assert response.status_code == 200
    assert isinstance(response.parsed, Customer)
    assert (response.parsed.reference_id, response.parsed.date_of_birth, response.parsed.gender) == (
        reference,
        datetime.date(1990, 1, 31),
        "female",
    )
    expect_stored(
        "maiascore_create_customer",
        "customers",
        {"uuid": response.parsed.id},
        {"reference_id": reference, "date_of_birth": "1990-01-31"},
    )


def test_a_documented_400(client_of):
    client = client_of(crm_maiascore_client)
    body = CustomerInput(reference_id=f"{RUN}-bad", date_of_birth=datetime.date(2999, 1, 1))
    response = maiascore_create_customer.sync_detailed(client=client, body=body)
    assert response.status_code == 400
    assert isinstance(response.parsed, Error)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert response.parsed.to_dict() == {
        "code": 400,
        "message": f"dateOfBirth: '2999-01-01' is in the future (today is {today})",
    }

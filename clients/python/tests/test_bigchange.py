"""BigChange through its generated package, against a live server: problem+json
errors come back as the generated `ProblemDetails`."""

import crm_bigchange_client
from conftest import CONTACT_ID, CUSTOMER_ID, RUN, expect_stored
from crm_bigchange_client.api.bigchange import bigchange_create_person
from crm_bigchange_client.models import CreatedRecord, CreatePersonModel, ProblemDetails


def create(client, email):
    body = CreatePersonModel(contact_id=CONTACT_ID, forename="Grace", surname=RUN, email=email)
    return bigchange_create_person.sync_detailed(client=client, body=body, customer_id=CUSTOMER_ID)


def test_create_person(client_of):
    client = client_of(crm_bigchange_client)
    email = f"{RUN}-bigchange@example.test"
    response = create(client, email)
    assert response.status_code == 201
    assert isinstance(response.parsed, CreatedRecord)
    expect_stored(
        "bigchange_create_person", "people", {"uuid": str(response.parsed.id)}, {"email": email, "name": f"Grace {RUN}"}
    )


def test_a_422_is_problem_details(client_of):
    response = create(client_of(crm_bigchange_client), "not an e-mail")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert isinstance(response.parsed, ProblemDetails)
    assert response.parsed.to_dict() == {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.21",
        "title": "One or more validation errors occurred.",
        "status": 422,
        "detail": "email: 'not an e-mail' is not a valid e-mail address",
        "instance": "/v1/contacts/persons",
        "errors": {"email": ["'not an e-mail' is not a valid e-mail address"]},
    }

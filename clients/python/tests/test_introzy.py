"""Introzy through its generated package, against a live server."""

import crm_introzy_client
from conftest import RUN, expect_stored
from crm_introzy_client.api.introzy import introzy_create_person
from crm_introzy_client.models import CreatePersonRequest, CreatePersonRequestCustomFieldsType0, Error


def test_create_person_then_the_same_email_is_a_409(client_of):
    client = client_of(crm_introzy_client)
    email = f"{RUN}-introzy@example.test"
    custom = CreatePersonRequestCustomFieldsType0.from_dict({"cf_favorite_color": "teal"})
    body = CreatePersonRequest(email=email, first_name="Ada", last_name=RUN, custom_fields=custom)
    created = introzy_create_person.sync_detailed(client=client, body=body)
    assert created.status_code == 201
    person = created.parsed.data
    assert (person.email, person.first_name, person.last_name) == (email, "Ada", RUN)
    assert person.custom_fields.to_dict() == {"cf_favorite_color": "teal"}
    expect_stored("introzy_create_person", "people", {"uuid": str(person.id)}, {"email": email, "name": f"Ada {RUN}"})

    again = introzy_create_person.sync_detailed(client=client, body=body)
    assert again.status_code == 409
    assert isinstance(again.parsed, Error)
    assert again.parsed.to_dict() == {
        "success": False,
        "message": f"Person already exists. Existing ID: {person.id}",
        "existingId": str(person.id),
    }

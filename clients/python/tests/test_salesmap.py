"""SalesMap through its generated package, against a live server."""

import crm_salesmap_client
import pytest
from conftest import ORGANIZATION_UUID, RUN, expect_stored
from crm_salesmap_client.api.salesmap import salesmap_create_lead, salesmap_create_people
from crm_salesmap_client.models import CreateLeadRequest, CreatePeopleRequest, Error, FieldValue


def test_create_people(client_of):
    client = client_of(crm_salesmap_client)
    email = f"{RUN}-people@example.test"
    body = CreatePeopleRequest(name=f"홍길동 {RUN}", field_list=[FieldValue(name="이메일", string_value=email)])
    response = salesmap_create_people.sync_detailed(client=client, body=body)
    assert response.status_code == 201
    people = response.parsed.data.people
    assert response.parsed.success is True
    assert people.name == f"홍길동 {RUN}"
    expect_stored("salesmap_create_people", "people", {"uuid": str(people.id)}, {"email": email, "name": body.name})


def test_create_people_documented_error(client_of):
    client = client_of(crm_salesmap_client)
    response = salesmap_create_people.sync_detailed(client=client, body=CreatePeopleRequest(name="  "))
    assert response.status_code == 400
    assert isinstance(response.parsed, Error)
    assert response.parsed.to_dict() == {"success": False, "message": "name: must not be empty"}


def test_create_lead(client_of):
    client = client_of(crm_salesmap_client)
    name = f"리드 {RUN}"
    response = salesmap_create_lead.sync_detailed(
        client=client, body=CreateLeadRequest(name=name, organization_id=ORGANIZATION_UUID)
    )
    assert response.status_code == 201
    lead = response.parsed.data.lead
    assert lead.name == name
    expect_stored("salesmap_create_lead", "leads", {"uuid": str(lead.id)}, {"name": name})


def test_a_non_ascii_idempotency_key_is_refused_before_sending(client_of):
    sent = []
    client = client_of(crm_salesmap_client, httpx_args={"event_hooks": {"request": [sent.append]}})
    # The package does not check the document's `pattern`; httpx refuses the value.
    with pytest.raises(UnicodeEncodeError):
        salesmap_create_people.sync_detailed(
            client=client, body=CreatePeopleRequest(name=f"키 {RUN}"), idempotency_key="Müller"
        )
    assert sent == []

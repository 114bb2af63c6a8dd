"""What the smoke tests share: the live server `cargo xtask test-clients` started
(its URL, a token, the records it seeded), a suffix that makes this run's values
new, and the log of records the tests expect stored, which the xtask checks in the
database afterwards."""

import json
import os
import time

import pytest


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the tests with `cargo xtask test-clients`")
    return value


URL = env("CRM_URL")
TOKEN = env("CRM_TOKEN")
# The seeded organization: its uuid (a SalesMap lead's organizationId) and its id
# (BigChange's contactId); the workspace's id is BigChange's Customer-Id.
ORGANIZATION_UUID = env("CRM_ORGANIZATION_UUID")
CONTACT_ID = int(env("CRM_CONTACT_ID"))
CUSTOMER_ID = int(env("CRM_CUSTOMER_ID"))
RUN = f"py{time.time_ns():x}"


def expect_stored(operation: str, table: str, key: dict, expect: dict) -> None:
    """Tells the xtask that `operation` stored, in `table`, the row `key` names
    with the values `expect`."""
    with open(env("CRM_RECORDS"), "a", encoding="utf-8") as log:
        log.write(json.dumps({"operation": operation, "table": table, "key": key, "expect": expect}) + "\n")


@pytest.fixture
def client_of():
    """An authenticated client of one family's package, closed after the test."""
    opened = []

    def make(module, **options):
        client = module.AuthenticatedClient(base_url=URL, token=TOKEN, raise_on_unexpected_status=True, **options)
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.get_httpx_client().close()

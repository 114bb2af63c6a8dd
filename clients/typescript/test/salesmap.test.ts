/** SalesMap through the generated types and openapi-fetch, against a live server. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { salesmapClient, type salesmap } from "../src/index.js";
import { expectStored, organizationUuid, run, token, url } from "./live.js";

const crm = salesmapClient(url, token);

test("salesmap_create_people: created, read through the generated types", async () => {
  const email = `${run}-people@example.test`;
  const body: salesmap.components["schemas"]["CreatePeopleRequest"] = {
    name: `홍길동 ${run}`,
    fieldList: [{ name: "이메일", stringValue: email }],
  };
  const { data, error, response } = await crm.POST("/v2/people", { body });
  assert.equal(response.status, 201);
  assert.equal(error, undefined);
  const people: salesmap.components["schemas"]["PeopleSummary"] = data!.data.people;
  assert.equal(data!.success, true);
  assert.equal(people.name, `홍길동 ${run}`);
  assert.match(people.id, /^[0-9a-f-]{36}$/);
  expectStored("salesmap_create_people", "people", { uuid: people.id }, { name: body.name, email });
});

test("salesmap_create_people: a documented 400 in SalesMap's envelope", async () => {
  const { data, error, response } = await crm.POST("/v2/people", {
    // @ts-expect-error `name` is required: the generated types refuse this body.
    body: { memo: "no name" },
  });
  assert.equal(response.status, 400);
  assert.equal(data, undefined);
  const envelope: salesmap.components["schemas"]["Error"] = error!;
  assert.deepEqual(envelope, {
    success: false,
    message: "unable to parse JSON body: missing field `name` at line 1 column 18",
  });
});

test("salesmap_create_lead: created for the seeded organization", async () => {
  const name = `리드 ${run}`;
  const { data, response } = await crm.POST("/v2/lead", {
    body: { name, organizationId: organizationUuid },
  });
  assert.equal(response.status, 201);
  assert.equal(data!.data.lead.name, name);
  expectStored("salesmap_create_lead", "leads", { uuid: data!.data.lead.id }, { name });
});

test("an Idempotency-Key that is not visible ASCII is refused, naming the header", async () => {
  const { error, response } = await crm.POST("/v2/people", {
    body: { name: `키 ${run}` },
    // fetch sends Latin-1 as is; the generated types do not check `pattern`.
    params: { header: { "Idempotency-Key": "Müller" } },
  });
  assert.equal(response.status, 400);
  assert.deepEqual(error, {
    success: false,
    message: "Idempotency-Key: not a valid header value (visible ASCII only)",
  });
});

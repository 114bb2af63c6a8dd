/**
 * MaiaScore through the generated types and openapi-fetch, against a live
 * server: JSON, a form body and XML (openapi-fetch serializes JSON only; the
 * other two go through a `bodySerializer` and their own `Content-Type`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { customerForm, customerXml, maiascoreClient, type maiascore } from "../src/index.js";
import { expectStored, run, token, url } from "./live.js";

const crm = maiascoreClient(url, token);
type CustomerInput = maiascore.components["schemas"]["CustomerInput"];

async function create(customer: CustomerInput, contentType: string, serialize: (c: CustomerInput) => unknown) {
  return crm.POST("/customers", {
    body: customer,
    bodySerializer: serialize as (body: unknown) => string,
    headers: { "Content-Type": contentType },
  });
}

for (const [media, serialize] of [
  ["application/json", (c: CustomerInput) => JSON.stringify(c)],
  ["application/x-www-form-urlencoded", customerForm],
  ["application/xml", customerXml],
] as const) {
  test(`maiascore_create_customer: created from ${media}`, async () => {
    const referenceId = `${run}-${media}`;
    const customer: CustomerInput = { referenceId, dateOfBirth: "1990-01-31", gender: "female" };
    const { data, response } = await create(customer, media, serialize);
    assert.equal(response.status, 200);
    const created: maiascore.components["schemas"]["Customer"] = data!;
    assert.equal(created.referenceId, referenceId);
    assert.equal(created.dateOfBirth, "1990-01-31");
    assert.equal(created.gender, "female");
    expectStored("maiascore_create_customer", "customers", { uuid: created.id! }, {
      reference_id: referenceId,
      date_of_birth: "1990-01-31",
    });
  });
}

test("maiascore_create_customer: a form body with a bad date is a documented 400", async () => {
  const { error, response } = await create(
    { referenceId: `${run}-bad`, dateOfBirth: "1990-02-30" },
    "application/x-www-form-urlencoded",
    customerForm,
  );
  assert.equal(response.status, 400);
  const envelope: maiascore.components["schemas"]["Error"] = error!;
  assert.deepEqual(envelope, {
    code: 400,
    message: "dateOfBirth: '1990-02-30' is not a real date written YYYY-MM-DD",
  });
});

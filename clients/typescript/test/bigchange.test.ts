/** BigChange through the generated types and openapi-fetch, against a live server. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { bigchangeClient, type bigchange } from "../src/index.js";
import { contactId, customerId, expectStored, run, token, url } from "./live.js";

const crm = bigchangeClient(url, token);
const params = { header: { "Customer-Id": customerId } };

test("bigchange_create_person: created", async () => {
  const email = `${run}-bigchange@example.test`;
  const { data, response } = await crm.POST("/v1/contacts/persons", {
    params,
    body: { contactId, forename: "Grace", surname: run, email },
  });
  assert.equal(response.status, 201);
  const created: bigchange.components["schemas"]["CreatedRecord"] = data!;
  expectStored("bigchange_create_person", "people", { uuid: created.id }, { email, name: `Grace ${run}` });
});

test("bigchange_create_person: a 422 problem+json read as ProblemDetails", async () => {
  const { data, error, response } = await crm.POST("/v1/contacts/persons", {
    params,
    body: { contactId, forename: "Grace", surname: run, email: "not an e-mail" },
  });
  assert.equal(response.status, 422);
  assert.equal(response.headers.get("content-type"), "application/problem+json");
  assert.equal(data, undefined);
  const problem: bigchange.components["schemas"]["ProblemDetails"] = error!;
  assert.deepEqual(problem, {
    type: "https://tools.ietf.org/html/rfc9110#section-15.5.21",
    title: "One or more validation errors occurred.",
    status: 422,
    detail: "email: 'not an e-mail' is not a valid e-mail address",
    instance: "/v1/contacts/persons",
    errors: { email: ["'not an e-mail' is not a valid e-mail address"] },
  });
});

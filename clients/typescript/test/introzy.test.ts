/** Introzy through the generated types and openapi-fetch, against a live server. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { introzyClient, type introzy } from "../src/index.js";
import { expectStored, run, token, url } from "./live.js";

const crm = introzyClient(url, token);

test("introzy_create_person: created, then the same e-mail is a documented 409", async () => {
  const email = `${run}-introzy@example.test`;
  const body: introzy.components["schemas"]["CreatePersonRequest"] = {
    email,
    firstName: "Ada",
    lastName: run,
  };
  const created = await crm.POST("/api/people", { body });
  assert.equal(created.response.status, 201);
  const person: introzy.components["schemas"]["Person"] = created.data!.data;
  assert.equal(person.email, email);
  assert.equal(person.firstName, "Ada");
  expectStored("introzy_create_person", "people", { uuid: person.id }, { email, name: `Ada ${run}` });

  const again = await crm.POST("/api/people", { body });
  assert.equal(again.response.status, 409);
  const envelope: introzy.components["schemas"]["Error"] = again.error!;
  assert.deepEqual(envelope, {
    success: false,
    message: `Person already exists. Existing ID: ${person.id}`,
    existingId: person.id,
  });
});

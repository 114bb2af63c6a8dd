/**
 * What the smoke tests share: the live server `cargo xtask test-clients` started
 * (its URL, a token, the records it seeded), a suffix that makes this run's
 * values new, and the log of records the tests expect stored, which the xtask
 * checks in the database afterwards.
 */
import { appendFileSync } from "node:fs";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`cargo xtask test-clients\``);
  return value;
}

export const url = env("CRM_URL");
export const token = env("CRM_TOKEN");
/** The seeded organization: its uuid (a SalesMap lead's organizationId), its id (BigChange's contactId). */
export const organizationUuid = env("CRM_ORGANIZATION_UUID");
export const contactId = Number(env("CRM_CONTACT_ID"));
/** The workspace's id: BigChange's Customer-Id. */
export const customerId = Number(env("CRM_CUSTOMER_ID"));
/** Makes this run's e-mails and names new. */
export const run = `ts${Date.now().toString(36)}`;

/** Tells the xtask that `operation` stored, in `table`, the row `key` names with the values `expect`. */
export function expectStored(
  operation: string,
  table: string,
  key: Record<string, string>,
  expect: Record<string, string | null>,
): void {
  appendFileSync(env("CRM_RECORDS"), JSON.stringify({ operation, table, key, expect }) + "\n");
}

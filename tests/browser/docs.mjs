// Drives Debian's chromium through playwright-core over crm's /docs pages for
// tests/docs_browser.rs, and prints what a person would see as one JSON object on
// stdout; the Rust test decides what is right (it reads the YAML and the database).
//
//   node docs.mjs pages  '{"url", "families": [...], "shots"}'
//   node docs.mjs try-it '{"url", "family", "operationId", "token", "body", "shot"}'
//
// `pages` opens /, /docs and every /docs/<family>, and reports each family page's
// title, version and rendered operations. `try-it` authorizes with the token, opens
// the operation, replaces the example body, executes it, and reports the status and
// body the page shows, with the request the page sent. Both report every request
// the browser made and every console error, page error and CSP violation, and write
// full-page screenshots. CHROMIUM names the browser (default /usr/bin/chromium).

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The flags the issue names; playwright-core adds its own, and `--user-data-dir`
// comes from launchPersistentContext, a fresh directory each run.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

// Past this a step has failed: a page that renders nothing must not hang the test.
const STEP_MS = 30_000;

async function withBrowser(run) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'crm-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: FLAGS,
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(STEP_MS);
  const seen = { requests: [], problems: [] };
  context.on('request', (r) => seen.requests.push(`${r.method()} ${r.url()}`));
  context.on('requestfailed', (r) =>
    seen.problems.push(`request failed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`),
  );
  const watch = async (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') seen.problems.push(`console error on ${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => seen.problems.push(`page error on ${page.url()}: ${e.message}`));
    // A blocked load or call shows up here, whatever the page does with the error.
    await page.addInitScript(() =>
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`),
      ),
    );
    return page;
  };
  try {
    const page = await watch(context.pages()[0] ?? (await context.newPage()));
    return { ...(await run(page)), ...seen };
  } catch (e) {
    // What the browser saw explains most failures (a blocked call, a 404).
    e.message += `\nrequests: ${JSON.stringify(seen.requests, null, 1)}`;
    e.message += `\nproblems: ${JSON.stringify(seen.problems, null, 1)}`;
    throw e;
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

// A family page once Swagger UI has rendered the document it loaded.
async function rendered(page, url) {
  const response = await page.goto(url);
  if (!response.ok()) throw new Error(`${url}: ${response.status()}`);
  await page.locator('#swagger-ui .information-container .title').waitFor();
  await page.locator('#swagger-ui .opblock').first().waitFor();
}

async function pages({ url, families, shots }) {
  return withBrowser(async (page) => {
    fs.mkdirSync(shots, { recursive: true });
    for (const [name, at] of [['home', '/'], ['index', '/docs']]) {
      const response = await page.goto(url + at);
      if (!response.ok()) throw new Error(`${at}: ${response.status()}`);
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    }
    const shown = {};
    for (const family of families) {
      await rendered(page, `${url}/docs/${family}`);
      shown[family] = await page.evaluate(() => {
        const text = (el, sel) => el.querySelector(sel)?.textContent.trim() ?? null;
        const info = document.querySelector('#swagger-ui .information-container');
        return {
          // The title's text includes its version badges.
          title: info.querySelector('.title').firstChild.textContent.trim(),
          version: text(info, '.title .version'),
          // What a person sees: an operation in the DOM but hidden does not count.
          operations: [...document.querySelectorAll('#swagger-ui .opblock')]
            .filter((op) => op.checkVisibility())
            .map((op) => ({
              method: text(op, '.opblock-summary-method'),
              path: op.querySelector('.opblock-summary-path')?.dataset.path ?? null,
              operationId: text(op, '.opblock-summary-operation-id'),
              summary: text(op, '.opblock-summary-description'),
            })),
        };
      });
      await page.screenshot({ path: path.join(shots, `docs-${family}.png`), fullPage: true });
    }
    return { shown };
  });
}

async function tryIt({ url, family, operationId, token, body, shot }) {
  return withBrowser(async (page) => {
    await rendered(page, `${url}/docs/${family}`);

    await page.locator('.auth-wrapper button.authorize').click();
    const modal = page.locator('.modal-ux');
    await modal.locator('input[type=text], input[type=password]').first().fill(token);
    await modal.locator('.auth-btn-wrapper button[type=submit]').click();
    await modal.locator('button.btn-done').click();

    const op = page.locator(`#operations-${family}-${operationId}`);
    await op.locator('.opblock-summary').first().click();
    await op.locator('button.try-out__btn').click();
    await op.locator('textarea.body-param__text').fill(body);

    const sent = [];
    page.on('request', (r) => r.method() !== 'GET' && sent.push(r));
    await op.locator('button.execute').click();
    // Swagger UI shows a row whether the call was answered or failed.
    const live = op.locator('.live-responses-table tbody');
    await live.locator('.response-col_status').first().waitFor();
    const status = (await live.locator('.response-col_status').first().textContent()).trim();
    // The body as shown, or what the page says instead (a failed call has none).
    const description = live.locator('.response-col_description').first();
    const pre = description.locator('pre');
    const shown = ((await pre.count()) ? await pre.first().textContent() : await description.textContent()).trim();
    await op.scrollIntoViewIfNeeded();
    fs.mkdirSync(path.dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    const request = sent.length === 1 ? sent[0] : null;
    return {
      status,
      body: shown,
      // The one call the page made, or null when it made none (or several).
      request: request && {
        method: request.method(),
        url: request.url(),
        headers: await request.allHeaders(),
        body: request.postData(),
      },
      calls: sent.map((r) => `${r.method()} ${r.url()}`),
    };
  });
}

const [mode, args] = process.argv.slice(2);
const run = { pages, 'try-it': tryIt }[mode];
if (!run || !args) {
  console.error('usage: node docs.mjs pages|try-it JSON');
  process.exit(2);
}
try {
  process.stdout.write(JSON.stringify(await run(JSON.parse(args))) + '\n');
} catch (e) {
  console.error(e.stack ?? String(e));
  process.exit(1);
}

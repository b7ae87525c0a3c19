// axe-core in Chromium on every page of a DoS lead's journey: the form, the form with its errors,
// check your answers, the request's page just sent, the outstanding requests, a page that does
// not exist, and the CSV upload. No serious or critical violation on any of them.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../../src/wiring/runtime.ts';
import { deletePrefix, testConfig, uniquePrefix } from '../support/ecat.ts';
import { buildTestServer } from '../support/web.ts';

const CHROMIUM = '/usr/bin/chromium';
const PASSWORD = 'axe-secret';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

// Needs Debian's Chromium (`apt-get install chromium`); playwright never downloads a browser here.
describe.skipIf(!existsSync(CHROMIUM))('accessibility (axe-core) of the journey', () => {
  const prefix = uniquePrefix('axe');
  let runtime: Runtime | undefined;
  let app: FastifyInstance | undefined;
  let browser: Browser | undefined;
  let base: string;

  beforeAll(async () => {
    runtime = await openRuntime(testConfig(prefix, { ADMIN_PASSWORD: PASSWORD }));
    app = await buildTestServer(runtime);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await runtime?.close();
    await deletePrefix(prefix);
  });

  /** The serious and critical violations on the page as it is now, one line each. */
  async function violations(page: Page): Promise<string[]> {
    // Evaluated through the debugging protocol, so our CSP (no inline script) does not stop it.
    await page.evaluate(AXE);
    const found = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as {
          axe: { run(context: unknown): Promise<{ violations: unknown[] }> };
        }
      ).axe;
      return (await axe.run((globalThis as unknown as { document: unknown }).document)).violations;
    });
    // One exception, for one rule on one element: nhsuk-frontend's radios script marks the radio
    // with a conditional reveal (Prod, revealing the TCC reference) aria-expanded, which axe calls
    // unsupported on a radio; NHS.UK and GOV.UK keep it on purpose after testing with screen
    // readers (alphagov/govuk-frontend#979, w3c/aria#1404). Every other rule counts there.
    const revealRadio = (v: Violation) =>
      v.id === 'aria-allowed-attr' &&
      v.nodes.every((node) => node.target.join(' ') === '#environment-2');
    return (found as Violation[])
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .filter((v) => !revealRadio(v))
      .map(
        (v) =>
          `${page.url()}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
  }

  it('finds no serious or critical violation on any page of the journey', async () => {
    const context = await browser!.newContext({
      httpCredentials: { username: 'admin', password: PASSWORD },
    });
    // The NHS.UK web font comes from assets.nhs.uk, out of reach here.
    await context.route('https://assets.nhs.uk/**', (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    const found: string[] = [];
    const visited: string[] = [];
    const check = async () => {
      visited.push(new URL(page.url()).pathname);
      found.push(...(await violations(page)));
    };

    await page.goto(`${base}/`);
    await check();
    await page.click('.nhsuk-button');
    await page.waitForSelector('.nhsuk-error-summary');
    await check();

    await page.fill('#dosServiceId', '6800000001');
    await page.check('#environment');
    await page.fill(
      '#endpoint',
      'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    );
    await page.fill('#odsCode', 'Y02494');
    await page.fill('[name="requester.name"]', 'Alex Morgan');
    await page.fill('[name="requester.email"]', 'alex.morgan@nhs.net');
    await page.click('.nhsuk-button');
    await page.waitForSelector('h1:has-text("Check your answers")');
    await check();
    await page.click('.nhsuk-button:has-text("Send request")');
    await page.waitForSelector('.nhsuk-panel');
    await check();

    for (const path of ['/requests', '/no-such-page']) {
      await page.goto(`${base}${path}`);
      await check();
    }
    const upload = await page.goto(`${base}/import`);
    if (upload?.ok()) await check();
    await context.close();

    expect(visited.length).toBeGreaterThanOrEqual(6);
    expect(found).toEqual([]);
  });
});

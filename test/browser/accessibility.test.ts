// axe-core in Chromium on every page of a DoS lead's journey: the form, the form with its errors,
// check your answers, the request's page just sent, the outstanding requests, a page that does
// not exist, and the CSV upload. No serious or critical violation on any of them.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { fillForm, HAS_CHROMIUM, useBrowser } from '../support/browser.ts';
import { useServer } from '../support/web.ts';
import { axeViolations, type Violation } from '../support/axe.ts';

const PASSWORD = 'axe-secret';
describe.skipIf(!HAS_CHROMIUM)('accessibility (axe-core) of the journey', () => {
  const web = useServer('axe', { ADMIN_PASSWORD: PASSWORD });
  const chromium = useBrowser(web);

  // One exception, for one rule on one element: nhsuk-frontend's radios script marks the radio
  // with a conditional reveal (Prod, revealing the TCC reference) aria-expanded, which axe calls
  // unsupported on a radio; NHS.UK and GOV.UK keep it on purpose after testing with screen
  // readers (alphagov/govuk-frontend#979, w3c/aria#1404). Every other rule counts there.
  const revealRadio = (v: Violation) =>
    v.id === 'aria-allowed-attr' &&
    v.nodes.every((node) => node.target.join(' ') === '#environment-2');
  const violations = (page: Page) => axeViolations(page, revealRadio);

  it('finds no serious or critical violation on any page of the journey', async () => {
    const context = await chromium.signedIn(PASSWORD);
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    const found: string[] = [];
    const visited: string[] = [];
    const check = async () => {
      visited.push(new URL(page.url()).pathname);
      found.push(...(await violations(page)));
    };

    await page.goto(`${chromium.base}/`);
    await check();
    await page.click('.nhsuk-button');
    await page.waitForSelector('.nhsuk-error-summary');
    await check();

    await fillForm(page, '6800000001');
    await page.click('.nhsuk-button');
    await page.waitForSelector('h1:has-text("Check your answers")');
    await check();
    await page.click('.nhsuk-button:has-text("Send request")');
    await page.waitForSelector('.nhsuk-panel');
    await check();

    for (const path of ['/requests', '/no-such-page']) {
      await page.goto(`${chromium.base}${path}`);
      await check();
    }
    const upload = await page.goto(`${chromium.base}/import`);
    if (upload?.ok()) await check();
    await context.close();

    expect(visited.length).toBeGreaterThanOrEqual(6);
    expect(found).toEqual([]);
  });
});

// The pages a link in the email opens, in Chromium with axe-core: the BaRS team's "Mark as
// configured" and what it leads to, the requester's status page (and with a mistake in its date
// form), and a refused link. No serious or critical violation; none needs the admin password.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createSignedLinks, LINK_PATHS } from '../../src/adapters/http/signed-links.ts';
import { submitRequest } from '../../src/use-cases/submit.ts';
import { ARTIFACTS, HAS_CHROMIUM, useBrowser } from '../support/browser.ts';
import { requestBody, testDatesIn } from '../support/ecat.ts';
import { useServer } from '../support/web.ts';
import { axeViolations } from '../support/axe.ts';

const violations = (page: Page) => axeViolations(page);

describe.skipIf(!HAS_CHROMIUM)('the link pages in Chromium (axe-core)', () => {
  const web = useServer('link-axe', { ADMIN_PASSWORD: 'never-sent-by-these-pages' });
  const chromium = useBrowser(web);

  it('finds no serious or critical violation on any page a link opens', async () => {
    const { runtime } = web;
    const accepted = await submitRequest(
      requestBody({ testDates: testDatesIn(40, runtime.foundation.now) }),
      runtime.intakeDeps('test'),
    );
    if (accepted.outcome !== 'accepted') throw new Error(JSON.stringify(accepted));
    const links = createSignedLinks(runtime.signer, {
      linkDays: runtime.config.people.linkDays,
      now: runtime.foundation.now,
    });
    const configure = LINK_PATHS.configure(links.issue(accepted.id, 'configure'));
    const status = LINK_PATHS.status(links.issue(accepted.id, 'status'));

    // A context with no credentials at all: the token is the only one these pages take.
    const context = await chromium.signedIn('not-the-password');
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    const found: string[] = [];
    const visited: string[] = [];
    const check = async (name: string) => {
      visited.push(name);
      found.push(...(await violations(page)));
      await page.screenshot({ path: `${ARTIFACTS}/link-${name}.png`, fullPage: true });
    };

    await page.goto(`${chromium.base}${status}`);
    await page.waitForSelector('h2:has-text("Change test dates")');
    await check('status');
    await page.fill('#testDates-from-day', '31');
    await page.fill('#testDates-from-month', '2');
    await page.fill('#testDates-from-year', '2027');
    await page.click('.nhsuk-button:has-text("Change test dates")');
    await page.waitForSelector('.nhsuk-error-summary');
    await check('status-error');

    await page.goto(`${chromium.base}${configure}`);
    await page.waitForSelector('h1:has-text("Mark as configured in INT")');
    await check('confirm');
    await page.click('.nhsuk-button:has-text("Mark as configured in INT")');
    await page.waitForSelector('.nhsuk-panel');
    await check('confirmed');

    await page.goto(`${chromium.base}${configure}`);
    await page.waitForSelector('h1:has-text("This link has already been used")');
    await check('used');
    await context.close();

    expect(visited).toHaveLength(5);
    expect(found).toEqual([]);
  });
});

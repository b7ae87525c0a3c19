// The pages in a real browser (Debian's Chromium through playwright-core): the form with and
// without JavaScript, the outstanding page, a request's page and the queue dashboard, behind the
// admin password. Screenshots go to test/artifacts/ for a person to look at.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { londonDate } from '../../src/domain/dates.ts';
import {
  ARTIFACTS,
  continueWithMistakes,
  fillForm,
  HAS_CHROMIUM,
  useBrowser,
} from '../support/browser.ts';
import { useServer } from '../support/web.ts';

const PASSWORD = 'browser-secret';
const NHS_BLUE = 'rgb(0, 94, 184)';

/** Continue, then "Send request" on the check page: the request's page with its panel. */
async function continueAndSend(page: Page): Promise<void> {
  await page.click('.nhsuk-button');
  await page.waitForSelector('h1:has-text("Check your answers")');
  await page.click('.nhsuk-button:has-text("Send request")');
  await page.waitForSelector('.nhsuk-panel');
}

describe.skipIf(!HAS_CHROMIUM)('the pages in Chromium', () => {
  const web = useServer('browser', { ADMIN_PASSWORD: PASSWORD });
  const chromium = useBrowser(web);
  const signedIn = (options?: Parameters<typeof chromium.signedIn>[1]) =>
    chromium.signedIn(PASSWORD, options);

  const fillGood = (page: Page, dosServiceId: string) =>
    fillForm(page, dosServiceId, {
      '[name="serviceName"]': 'Riverside Urgent Treatment Centre',
    });

  async function fillFirstTestDate(page: Page, day: string, month: string, year: string) {
    await page.fill('#testDates-from-day', day);
    await page.fill('#testDates-from-month', month);
    await page.fill('#testDates-from-year', year);
  }

  it('refuses a bad request with the error summary, keeps the input, accepts it corrected', async () => {
    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(`${chromium.base}/`);
    // NHS.UK styles applied: the header is NHS blue.
    // Evaluated in the page: written as text, since this file is typed for Node, not the DOM.
    const header = await page.evaluate(
      'getComputedStyle(document.querySelector(".nhsuk-header")).backgroundColor',
    );
    expect(header).toBe(NHS_BLUE);
    // The TCC reference is asked under Prod: NHS.UK's script hides it until Prod is chosen.
    expect(await page.isVisible('#tccReference')).toBe(false);
    await page.check('#environment-2');
    expect(await page.isVisible('#tccReference')).toBe(true);

    await fillGood(page, '20000724X9');
    expect(await page.isVisible('#tccReference')).toBe(false);
    await page.fill('#endpoint', 'http://example.com/fhir');
    await fillFirstTestDate(page, '31', '2', '2031');
    expect(await continueWithMistakes(page)).toEqual([
      'DoS Service ID must only include numbers, like 2000072489',
      'Endpoint URL must start with https://',
      'First test date must be a real date',
    ]);
    expect(await page.inputValue('#odsCode')).toBe('Y02494');
    expect(await page.inputValue('#testDates-from-day')).toBe('31');
    expect(await page.isChecked('#environment')).toBe(true);
    // NHS.UK frontend's script moves focus to the summary.
    expect(await page.evaluate('document.activeElement.className')).toContain(
      'nhsuk-error-summary',
    );
    await page.screenshot({ path: `${ARTIFACTS}/form-error.png`, fullPage: true });

    await page.fill('#dosServiceId', '2000072489');
    await page.fill(
      '#endpoint',
      'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    );
    // Next year's 2 March: always ahead, never more than 24 months away (no fixed year to expire).
    await fillFirstTestDate(page, '2', '3', String(new Date().getUTCFullYear() + 1));
    await continueAndSend(page);
    expect(await page.textContent('.nhsuk-panel')).toContain('Request sent');
    const details = await page.textContent('main');
    expect(details).toMatch(/req-[0-9a-f-]{36}/);
    expect(details).toMatch(/routine/i);
    expect(details).toContain('ASID:918999198993');
    await page.screenshot({ path: `${ARTIFACTS}/form-confirmation.png`, fullPage: true });
    await context.close();
  });

  it('works without JavaScript: submit, then find it overdue on the outstanding page', async () => {
    // Without JavaScript a full-page screenshot cannot measure the page: use a tall window.
    const context = await signedIn({
      javaScriptEnabled: false,
      viewport: { width: 1100, height: 1500 },
    });
    const page = await context.newPage();
    await page.goto(`${chromium.base}/`);
    // Without the script nothing is hidden: the TCC reference under Prod can still be filled in.
    expect(await page.isVisible('#tccReference')).toBe(true);
    await fillGood(page, '2000011147');
    const [year, month, day] = londonDate(new Date()).split('-');
    await fillFirstTestDate(page, day!, month!, year!);
    await continueAndSend(page);
    const id = /req-[0-9a-f-]{36}/.exec(page.url())?.[0];
    expect(id).toBeDefined();

    await page.click('text=outstanding requests');
    await page.waitForSelector('#outstanding');
    const row = page.locator(`tr[id="${id}"]`);
    // Testing starts today, but it was sent today: not overdue until tomorrow (CONTRACT.md).
    expect(await row.getAttribute('class')).not.toContain('ecat-overdue');
    expect(await row.textContent()).not.toContain('Overdue');
    await page.click('text=Sort by urgency');
    expect(await page.locator('tbody tr').first().getAttribute('data-urgency')).toBe('urgent');
    await page.screenshot({ path: `${ARTIFACTS}/outstanding.png`, fullPage: true });

    await row.locator('a').click();
    await page.waitForSelector('h2:has-text("History")');
    expect(await page.textContent('main')).toContain('accepted through form');
    await page.screenshot({ path: `${ARTIFACTS}/request.png`, fullPage: true });
    await page.click('text=See the email the BaRS team will get');
    await page.waitForSelector('#email-text');
    expect(await page.textContent('main')).toContain('This email has not been sent yet.');
    await context.close();
  });

  it('shows the queue dashboard to the admin only', async () => {
    // A browser without the password would show its own sign-in prompt; ask as a script would.
    const refused = await fetch(`${chromium.base}/admin/queues`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic/);

    const context = await signedIn();
    const page = await context.newPage();
    await page.goto(`${chromium.base}/admin/queues`);
    await page.waitForSelector('text=bars-configuration', { timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/dashboard.png`, fullPage: true });
    await context.close();
  });
});

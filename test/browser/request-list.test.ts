// The requests list in Chromium on a 375 px phone: no sideways scroll (the table becomes NHS.UK's
// responsive cards, the filters stack), the filter form and pagination work without JavaScript,
// and axe-core finds no serious or critical violation, on a phone and on a desktop.
import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, londonDate } from '../../src/domain/dates.ts';
import { ACTORS } from '../../src/domain/people/person.ts';
import type { RequestRecord } from '../../src/domain/request/record.ts';
import { ARTIFACTS, HAS_CHROMIUM, useBrowser } from '../support/browser.ts';
import { useServer } from '../support/web.ts';
import { axeViolations } from '../support/axe.ts';

const PASSWORD = 'list-secret';
const PHONE = { width: 375, height: 800 };

/** A request as the store files it: accepted `i` minutes apart, every third with test dates. */
function record(i: number): RequestRecord {
  const id = `req-${randomUUID()}`;
  const createdAt = new Date(Date.now() - (600 - i) * 60_000).toISOString();
  const from = i % 3 === 2 ? undefined : addDays(londonDate(new Date()), i % 3 === 0 ? -1 : 14);
  return {
    id,
    status: i % 4 === 3 ? 'sent' : 'queued',
    messageId: `<${id}@ecat.test>`,
    createdAt,
    updatedAt: createdAt,
    request: {
      dosServiceId: String(3300000001 + i),
      environment: i % 2 === 0 ? 'INT' : 'PROD',
      endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      odsCode: 'Y02494',
      // Long names, one a single unbroken word: what would push a phone's page sideways.
      serviceName:
        i === 0
          ? 'NorthamptonshireIntegratedUrgentTreatmentCentreAndMinorInjuriesUnit'
          : `Riverside Integrated Urgent Treatment Centre and Minor Injuries Unit ${i + 1}`,
      ...(from === undefined ? {} : { testDates: { from } }),
      ...(i % 2 === 0 ? {} : { tccReference: 'TCC-1' }),
      requester: { name: 'Alex Morgan', email: 'alex.morgan@nhs.net' },
    },
    urgency: { level: 'routine', workingDays: null, reason: 'no test dates were proposed' },
    careConnect: { status: 'careconnect', detail: 'ASID:918999198993' },
    warnings: [],
    ...(from === undefined ? {} : { earliestTestDate: from }),
    overdue: false,
    history: [
      {
        at: createdAt,
        status: 'queued',
        event: 'queued',
        reason: 'filed by the test',
        actor: ACTORS.cli,
      },
    ],
  };
}

describe.skipIf(!HAS_CHROMIUM)('the requests list in Chromium', () => {
  const web = useServer('request-list-browser', { ADMIN_PASSWORD: PASSWORD });
  const chromium = useBrowser(web);

  beforeAll(async () => {
    const results = await web.runtime.store.acceptMany(
      Array.from({ length: 30 }, (_, i) => ({ record: record(i) })),
    );
    expect(results.every((result) => result.ok)).toBe(true);
  });

  const violations = (page: Page) => axeViolations(page);

  const scrollWidth = (page: Page) =>
    page.evaluate(
      () =>
        (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
          .document.documentElement.scrollWidth,
    );

  it('reads on a 375 px phone with no sideways scroll, pages and filters included', async () => {
    const context = await chromium.signedIn(PASSWORD, { viewport: PHONE });
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    const found: string[] = [];

    await page.goto(`${chromium.base}/requests?sort=urgency`);
    expect(await page.locator('#outstanding tbody tr').count()).toBe(25);
    expect(await page.textContent('#showing')).toContain('Showing 1 to 25 of 30 requests');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    // Each cell says what it is: the column headings are hidden on a phone.
    expect(
      await page.isVisible('#outstanding tbody tr >> nth=0 >> .nhsuk-table__heading >> nth=0'),
    ).toBe(true);
    found.push(...(await violations(page)));
    await page.screenshot({ path: `${ARTIFACTS}/request-list-375.png`, fullPage: true });

    // The numbered pagination's next page keeps the order.
    await page.click('.nhsuk-pagination__next');
    await page.waitForURL(/page=2/);
    expect(new URL(page.url()).search).toBe('?sort=urgency&page=2');
    expect(await page.textContent('#showing')).toContain('Showing 26 to 30 of 30 requests');
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    found.push(...(await violations(page)));

    // The filter form, as a person uses it: a search and a filter, then Apply.
    await page.fill('#q', 'Riverside');
    await page.selectOption('#environment', 'PROD');
    await page.click('button:has-text("Apply filters")');
    await page.waitForURL(/environment=PROD/);
    expect(await page.inputValue('#environment')).toBe('PROD');
    expect(await page.inputValue('#q')).toBe('Riverside');
    const ids = await page.locator('#outstanding tbody tr td:first-child a').allTextContents();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => (Number(id) - 3300000001) % 2 === 1)).toBe(true);
    expect(await scrollWidth(page)).toBeLessThanOrEqual(PHONE.width);
    found.push(...(await violations(page)));
    await context.close();

    expect(found).toEqual([]);
  });

  it('finds no serious or critical violation on a desktop', async () => {
    const context = await chromium.signedIn(PASSWORD);
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    await page.goto(`${chromium.base}/requests?status=all&page=2`);
    expect(await page.isVisible('#outstanding thead')).toBe(true);
    const found = await violations(page);
    await page.screenshot({ path: `${ARTIFACTS}/request-list-desktop.png`, fullPage: true });
    await context.close();
    expect(found).toEqual([]);
  });
});

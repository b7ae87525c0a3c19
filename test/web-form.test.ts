import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continueWithMistakes, fillForm } from './support/browser.ts';
import { sendForm } from './support/journey.ts';
import { testDatesIn } from './support/ecat.ts';
import { csrfOf, useServer } from './support/web.ts';

const CHROMIUM = '/usr/bin/chromium';
const web = useServer('form');

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

describe('the form, without JavaScript', () => {
  it('shows every field of the request', async () => {
    const page = (await web.app.inject({ url: '/' })).body;
    for (const name of [
      'dosServiceId',
      'environment',
      'endpoint',
      'odsCode',
      'serviceName',
      'supplier',
      'testDates-from-day',
      'testDates-to-year',
      'tccReference',
      'requester.name',
      'requester.email',
      'requester.organisation',
      'requester.phone',
      'notes',
    ]) {
      expect(page).toContain(`name="${name}"`);
    }
    // The CareConnect reason is asked for only when DoS needs one (web-pages.test.ts).
    expect(page).not.toContain('name="careConnectWaiver"');
    expect(page).toContain('type="radio"');
  });

  it('refuses a post from another site, even with a token', async () => {
    const csrf = csrfOf((await web.app.inject({ url: '/' })).body);
    const response = await web.app.inject({
      method: 'POST',
      url: '/',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        host: 'localhost:3000',
      },
      payload: form({ dosServiceId: '1', _csrf: csrf }),
    });
    expect(response.statusCode).toBe(403);
  });

  it('refuses a post without a valid CSRF token', async () => {
    const response = await web.app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form({ dosServiceId: '1', _csrf: '123.forged' }),
    });
    expect(response.statusCode).toBe(403);
  });

  it('shows the error summary and keeps the input, then accepts a corrected request', async () => {
    const csrf = csrfOf((await web.app.inject({ url: '/' })).body);
    const fields = {
      _csrf: csrf,
      dosServiceId: '12ab',
      environment: 'INT',
      endpoint: 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
      odsCode: 'Y02494',
      'testDates-from-day': '30',
      'testDates-from-month': '2',
      'testDates-from-year': '2027',
      'requester.name': 'Alex <Morgan>',
      'requester.email': 'alex.morgan@nhs.net',
    };
    const refused = await web.app.inject({
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form(fields),
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('nhsuk-error-summary');
    expect(refused.body).toContain('href="#dosServiceId"');
    expect(refused.body).toContain('DoS Service ID must only include numbers, like 2000072489');
    expect(refused.body).toContain('href="#testDates-from-day"');
    expect(refused.body).toContain('First test date must be a real date');
    expect(refused.body).toContain('value="12ab"');
    expect(refused.body).toContain('Alex &lt;Morgan&gt;');

    const { continued, sent, id } = await sendForm(web.app, {
      ...fields,
      dosServiceId: '7000000001',
      'testDates-from-day': '1',
      'testDates-from-month': '3',
    });
    expect(continued.statusCode).toBe(303);
    expect(sent?.statusCode).toBe(303);
    const accepted = await web.app.inject({ url: sent!.headers.location! });
    expect(accepted.statusCode).toBe(200);
    expect(accepted.body).toContain('Request sent');
    expect(accepted.body).toContain(id!);
    expect(accepted.body).toContain('ASID:918999198993');
  });

  it('lists outstanding requests, sortable by urgency', async () => {
    const page = await web.app.inject({ url: '/requests?sort=urgency' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('7000000001');
    expect(page.body).toContain('Sort by age');
  });
});

// Needs Debian's Chromium (`apt-get install chromium`); without it this browser test cannot run.
describe.skipIf(!existsSync(CHROMIUM))('the form in a real browser', () => {
  let browser: Browser | undefined;
  let base: string;

  beforeAll(async () => {
    await web.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(web.app.server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    await mkdir('test/artifacts', { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the error summary for a bad submission and the confirmation for a good one', async () => {
    const page = await browser!.newPage();
    page.setDefaultTimeout(8000);
    await page.goto(`${base}/`);
    await fillForm(page, 'abc', { '#endpoint': 'http://example.com/fhir' });
    expect(await continueWithMistakes(page)).toEqual([
      'DoS Service ID must only include numbers, like 2000072489',
      'Endpoint URL must start with https://',
    ]);
    expect(await page.inputValue('#odsCode')).toBe('Y02494');
    await page.screenshot({ path: 'test/artifacts/form-error.png', fullPage: true });

    await page.fill('#dosServiceId', '7000000002');
    await page.fill(
      '#endpoint',
      'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    );
    // Testing in two working days: accepted, with the lead-time warning on the check page.
    const [year, month, day] = testDatesIn(2).from.split('-');
    await page.fill('#testDates-from-day', day!);
    await page.fill('#testDates-from-month', month!);
    await page.fill('#testDates-from-year', year!);
    await page.click('.nhsuk-button');
    await page.waitForSelector('h1:has-text("Check your answers")');
    expect(await page.textContent('main')).toContain(
      'we ask for at least 5 working days, and the BaRS team may not make it',
    );
    await page.screenshot({ path: 'test/artifacts/form-check.png', fullPage: true });
    const before = await web.runtime.store.count('all');
    await page.click('.nhsuk-button:has-text("Send request")');
    await page.waitForSelector('.nhsuk-panel');
    expect(await page.textContent('.nhsuk-panel')).toContain('Request sent');
    expect(await page.textContent('.nhsuk-panel')).toMatch(/ECAT-[0-9A-Z]{6}/);
    expect(page.url()).toMatch(/\/requests\/req-[0-9a-f-]+\?sent=1$/);
    await page.screenshot({ path: 'test/artifacts/form-confirmation.png', fullPage: true });
    // A refresh, and back to the check page: one request still.
    await page.reload();
    await page.goBack();
    await page.waitForLoadState();
    expect(await web.runtime.store.count('all')).toBe(before + 1);
    await page.close();
  });
});

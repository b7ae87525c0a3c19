// Plain HTTP on a LAN name works: the pages ask the browser to upgrade to HTTPS only when they came
// over HTTPS (directly, or by a proxy TRUST_PROXY believes). Chromium maps ecat.lan to loopback, so
// nothing leaves this machine. The queue dashboard gets a policy of its own and no external font.
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, fillForm, HAS_CHROMIUM } from '../support/browser.ts';
import { useServer } from '../support/web.ts';

const PASSWORD = 'lan-password';

describe('the Content-Security-Policy and HTTPS', () => {
  const trusted = useServer('https-trusted', { ADMIN_PASSWORD: PASSWORD, TRUST_PROXY: 'loopback' });
  const basic = {
    authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`,
  };
  const policy = async (headers: Record<string, string>, url = '/') =>
    String(
      (await trusted.app.inject({ url, headers: { ...basic, ...headers } })).headers[
        'content-security-policy'
      ],
    );

  it('asks to upgrade only what came over HTTPS', async () => {
    expect(await policy({})).not.toContain('upgrade-insecure-requests');
    expect(await policy({ 'x-forwarded-proto': 'https' })).toContain('upgrade-insecure-requests');
    expect(await policy({ 'x-forwarded-proto': 'https' }, '/admin/queues')).toContain(
      'upgrade-insecure-requests',
    );
  });

  it('gives the queue dashboard a policy of its own: scripts from here, no other site', async () => {
    const dashboard = await policy({}, '/admin/queues');
    expect(dashboard).toContain("script-src 'self'");
    expect(dashboard).not.toMatch(/googleapis|https:/);
  });
});

describe.skipIf(!HAS_CHROMIUM)('over plain HTTP on a LAN name, in Chromium', () => {
  const web = useServer('https-lan', { ADMIN_PASSWORD: PASSWORD });
  let browser: Browser;
  let port = '';
  beforeAll(async () => {
    port = new URL(await web.app.listen({ port: 0, host: '127.0.0.1' })).port;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--host-resolver-rules=MAP ecat.lan 127.0.0.1',
      ],
    });
  });
  afterAll(async () => {
    await browser.close();
  });

  it('loads the form styled and sends it; the dashboard asks no other site for anything', async () => {
    const context = await browser.newContext({
      httpCredentials: { username: 'admin', password: PASSWORD },
    });
    const elsewhere: string[] = [];
    await context.route('**/*', async (route) => {
      const host = new URL(route.request().url()).hostname;
      if (host === 'ecat.lan') return route.continue();
      elsewhere.push(route.request().url());
      return route.abort();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const base = `http://ecat.lan:${port}`;
    await page.goto(`${base}/`);
    // NHS.UK blue: the stylesheet came over plain HTTP.
    const header = await page.evaluate(
      'getComputedStyle(document.querySelector(".nhsuk-header")).backgroundColor',
    );
    expect(header).toBe('rgb(0, 94, 184)');

    await fillForm(page, '81000001');
    await page.click('.nhsuk-button');
    await page.waitForURL(/\/check\//);
    expect(new URL(page.url()).protocol).toBe('http:');

    await page.goto(`${base}/admin/queues`);
    await page.waitForSelector('text=bars-configuration', { timeout: 15_000 });
    // The NHS.UK font is the one other site the form's policy names; the dashboard asks none.
    expect(elsewhere.filter((url) => !url.startsWith('https://assets.nhs.uk/'))).toEqual([]);
    await context.close();
  });
});

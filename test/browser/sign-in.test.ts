// Sign-in in Chromium against a real OpenID provider on loopback (oidc-provider): people sign in
// on the provider's own pages, and each sees and does what their role allows.
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createPersonalTokens } from '../../src/adapters/redis/people.ts';
import { requestBody } from '../support/ecat.ts';
import { postRequest } from '../support/web.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, fillForm, HAS_CHROMIUM } from '../support/browser.ts';
import { person, signInThroughProvider, useSignIn } from '../support/people.ts';
import { axeViolations } from '../support/axe.ts';

const violations = (page: Page) => axeViolations(page);

describe.skipIf(!HAS_CHROMIUM)('sign-in by OpenID Connect in Chromium', () => {
  const web = useSignIn('sign-in-browser');
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });
  afterAll(async () => {
    await browser.close();
  });

  async function contextFor(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    await context.route('https://assets.nhs.uk/**', (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    return { context, page };
  }

  it('a requester submits and sees only their own; the BaRS team confirms; the history names both', async () => {
    // Bob's request, sent with his personal token.
    const tokens = createPersonalTokens(web.runtime.redis, web.prefix, () => new Date());
    const bobs = await tokens.create(
      { name: 'bob', person: person('bob'), roles: ['requester'] },
      3600_000,
    );
    const sent = await postRequest(web.app, requestBody({ dosServiceId: '61000002' }), {
      authorization: `Bearer ${bobs.secret}`,
    });
    expect(sent.statusCode).toBe(202);
    const bobsId = sent.json<{ id: string }>().id;
    const found: string[] = [];

    const ada = await contextFor();
    await signInThroughProvider(ada.page, web.base, 'ada', '/');
    // The form is filled in from who signed in.
    expect(await ada.page.inputValue('[name="requester.name"]')).toBe('Ada Lovelace');
    expect(await ada.page.inputValue('[name="requester.email"]')).toBe('ada.lovelace@nhs.net');
    await fillForm(ada.page, '61000001', {
      '[name="requester.name"]': 'Ada Lovelace',
      '[name="requester.email"]': 'ada.lovelace@nhs.net',
    });
    await ada.page.click('.nhsuk-button');
    await ada.page.waitForURL(/\/check\//);
    await ada.page.click('button:has-text("Send request")');
    await ada.page.waitForURL(/\/requests\/req-.*\?sent=1/);
    const adasId = /\/requests\/(req-[^?]+)/.exec(ada.page.url())?.[1] ?? '';

    await ada.page.goto(`${web.base}/requests?status=all`);
    const list = await ada.page.content();
    expect(list).toContain(adasId);
    expect(list).not.toContain(bobsId);
    found.push(...(await violations(ada.page)));
    const refused = await ada.page.goto(`${web.base}/requests/${bobsId}`);
    expect(refused?.status()).toBe(403);
    found.push(...(await violations(ada.page)));
    await ada.page.goto(`${web.base}/account/tokens`);
    found.push(...(await violations(ada.page)));

    const grace = await contextFor();
    await signInThroughProvider(grace.page, web.base, 'grace', `/requests/${adasId}`);
    found.push(...(await violations(grace.page)));
    await grace.page.click('button:has-text("Confirm configured")');
    await grace.page.waitForURL(new RegExp(`/requests/${adasId}`));
    const history = await grace.page.locator('main').textContent();
    expect(history).toContain('Ada Lovelace');
    expect(history).toContain('Grace Hopper');
    expect(history).toMatch(/Configured/);
    found.push(...(await violations(grace.page)));

    // Signing out ends the session: the cookie is gone, and its old value opens nothing.
    const before = (await grace.context.cookies(web.base)).find((c) => c.name === 'ecat_session');
    await grace.page.click('.nhsuk-header__account-button');
    await grace.page.waitForURL((url) => !url.pathname.startsWith('/requests'));
    const confirmLogout = grace.page.locator('button[value="yes"]');
    if (await confirmLogout.count()) await confirmLogout.first().click();
    await grace.page.waitForURL(`${web.base}/signed-out`);
    found.push(...(await violations(grace.page)));
    expect((await grace.context.cookies(web.base)).some((c) => c.name === 'ecat_session')).toBe(
      false,
    );
    const replayed = await fetch(`${web.base}/requests`, {
      headers: { cookie: `ecat_session=${before?.value ?? ''}`, accept: 'text/html' },
      redirect: 'manual',
    });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toMatch(/^\/sign-in/);

    expect(found).toEqual([]);
    await ada.context.close();
    await grace.context.close();
  });

  it('tells someone with no role that they have no access, and keeps no session', async () => {
    const { context, page } = await contextFor();
    await page.goto(`${web.base}/`);
    await page.fill('input[name="login"]', 'nora');
    await page.fill('input[name="password"]', 'any password');
    await page.click('button[type="submit"]');
    const consent = page.locator('button[type="submit"]', { hasText: /continue/i });
    if (await consent.count()) await consent.first().click();
    await page.waitForURL((url) => url.href.startsWith(web.base));
    expect(await page.locator('h1').textContent()).toContain('You do not have access');
    expect(await page.content()).toContain('nora@nhs.net');
    expect((await context.cookies(web.base)).some((c) => c.name === 'ecat_session')).toBe(false);
    expect(await violations(page)).toEqual([]);
    await context.close();
  });

  it('sends a browser without a session to the provider, and back to the page it asked for', async () => {
    const context = await browser.newContext();
    await context.route('https://assets.nhs.uk/**', (route) => route.abort());
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    await signInThroughProvider(page, web.base, 'ada', '/requests');
    expect(new URL(page.url()).pathname).toBe('/requests');
    expect(await page.locator('.nhsuk-header__account').textContent()).toContain('Ada Lovelace');
    await context.close();
  });
});

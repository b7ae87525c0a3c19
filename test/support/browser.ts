// Debian's Chromium through playwright-core for a describe block: launched once the block's
// server listens, closed after it. Playwright never downloads a browser here.
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import type { WebFixture } from './web.ts';

export const CHROMIUM = '/usr/bin/chromium';
/** Without it (`apt-get install chromium`) the browser tests cannot run, and say so. */
export const HAS_CHROMIUM = existsSync(CHROMIUM);
export const ARTIFACTS = 'test/artifacts';

export interface BrowserFixture {
  /** The server's address, e.g. http://127.0.0.1:41234, once beforeAll has run. */
  readonly base: string;
  /** A context signed in as the admin; the NHS.UK web font (out of reach here) fails at once. */
  signedIn(
    password: string,
    options?: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number } },
  ): Promise<BrowserContext>;
}

export function useBrowser(web: WebFixture): BrowserFixture {
  let browser: Browser | undefined;
  const fixture = {
    base: '',
    async signedIn(password: string, options = {}) {
      if (!browser) throw new Error('the browser starts in beforeAll: use it inside a test');
      const context = await browser.newContext({
        httpCredentials: { username: 'admin', password },
        viewport: { width: 1100, height: 900 },
        ...options,
      });
      // Fail the font at once so the fallback shows, instead of blank text while it waits.
      await context.route('https://assets.nhs.uk/**', (route) => route.abort());
      return context;
    },
  };
  beforeAll(async () => {
    fixture.base = await web.app.listen({ port: 0, host: '127.0.0.1' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    await mkdir(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return fixture;
}

/**
 * Fills the form with a valid request for this service (CareConnect-configured in the snapshot
 * for ODS Y02494) as a person types it; `overrides` change any field by its control's id.
 */
export async function fillForm(
  page: Page,
  dosServiceId: string,
  overrides: Record<string, string> = {},
): Promise<void> {
  const fields: Record<string, string> = {
    '#dosServiceId': dosServiceId,
    '#endpoint': 'https://BaRS-INT-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
    '#odsCode': 'Y02494',
    '[name="requester.name"]': 'Alex Morgan',
    '[name="requester.email"]': 'alex.morgan@nhs.net',
    ...overrides,
  };
  await page.check('#environment');
  for (const [selector, value] of Object.entries(fields)) await page.fill(selector, value);
}

/** Continues with answers that have mistakes: the error summary's messages, as a person reads them. */
export async function continueWithMistakes(page: Page): Promise<string[]> {
  await page.click('.nhsuk-button');
  await page.waitForSelector('.nhsuk-error-summary');
  const summary = await page.locator('.nhsuk-error-summary__list li').allTextContents();
  return summary.map((text) => text.trim());
}

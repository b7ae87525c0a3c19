// The API's page, /docs, in a real browser (Debian's Chromium through playwright-core): Swagger UI
// renders every operation of the document under our Content-Security-Policy, with nothing asked of
// any other server. A screenshot goes to test/artifacts/ for a person to look at.
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../src/adapters/http/openapi.ts';
import { ARTIFACTS, HAS_CHROMIUM, useBrowser } from '../support/browser.ts';
import { useServer } from '../support/web.ts';

const PASSWORD = 'docs-browser-secret';

/** Each operation of the document as Swagger UI labels it: `GET /api/requests/{id}`. */
function documentedOperations(): string[] {
  const paths = openApiDocument().paths as Record<string, Record<string, unknown>>;
  return Object.entries(paths)
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort();
}

describe.skipIf(!HAS_CHROMIUM)('/docs in Chromium', () => {
  const web = useServer('browser-docs', { ADMIN_PASSWORD: PASSWORD, API_TOKEN: 'docs-token' });
  const chromium = useBrowser(web);

  it('lists every operation of the API, with no CSP violation and nothing from elsewhere', async () => {
    const context = await chromium.signedIn(PASSWORD, { viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const console: string[] = [];
    const elsewhere: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        console.push(`${message.type()}: ${message.text()}`);
      }
    });
    page.on('pageerror', (error) => console.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      if (!request.url().startsWith(`${chromium.base}/`) && !request.url().startsWith('data:')) {
        elsewhere.push(request.url());
      }
    });

    await page.goto(`${chromium.base}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 15_000 });
    const operations: string[] = [];
    for (const block of await page.locator('.opblock').all()) {
      const method = await block.locator('.opblock-summary-method').textContent();
      const path = await block.locator('.opblock-summary-path').getAttribute('data-path');
      operations.push(`${method ?? ''} ${path ?? ''}`);
    }
    expect(operations.sort()).toEqual(documentedOperations());
    expect(await page.textContent('.info .title')).toContain('ecat');

    // One operation opened: its responses and their schemas render too.
    await page.click('.opblock-get:has([data-path="/api/requests/{id}"]) .opblock-summary');
    await page.waitForSelector('.responses-table');
    const responses = await page.locator('.responses-table .response-col_status').allTextContents();
    expect(responses.map((status) => status.trim())).toEqual(
      expect.arrayContaining(['200', '401', '404']),
    );
    await page.screenshot({ path: `${ARTIFACTS}/docs.png`, fullPage: true });

    expect(console).toEqual([]);
    expect(elsewhere).toEqual([]);
    await context.close();
  });
});

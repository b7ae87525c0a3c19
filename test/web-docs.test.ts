// The API's own page, /docs: Swagger UI and the document served by us (no CDN, no inline script),
// behind the page credential like every page, its copy of the document the API's own.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testConfig } from './support/ecat.ts';
import { buildTestServer, useServer } from './support/web.ts';

const TOKEN = 'docs-token';
const PASSWORD = 'docs-secret';
const bearer = { authorization: `Bearer ${TOKEN}` };
const basic = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const web = useServer('web-docs', { API_TOKEN: TOKEN, ADMIN_PASSWORD: PASSWORD });

const DOCS_FILES = [
  '/docs',
  '/docs/openapi.json',
  '/docs/docs-start.js',
  '/docs/swagger-ui.css',
  '/docs/swagger-ui-bundle.js',
  '/docs/favicon-32x32.png',
];

describe('/docs', () => {
  it('is a page of our own files: scripts by src only, under our CSP', async () => {
    const page = await web.app.inject({ url: '/docs', headers: basic });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/script-src 'self' 'nonce-/);
    const scripts = [...page.body.matchAll(/<script([^>]*)>([^<]*)<\/script>/g)];
    expect(scripts.map(([, attributes]) => attributes)).toEqual([
      ' src="/docs/swagger-ui-bundle.js"',
      ' src="/docs/docs-start.js"',
    ]);
    expect(scripts.every(([, , body]) => body!.trim() === '')).toBe(true);
    // Every address the page names is ours.
    const urls = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url);
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.filter((url) => !url!.startsWith('/docs/'))).toEqual([]);

    for (const file of DOCS_FILES.slice(2)) {
      const answer = await web.app.inject({ url: file, headers: basic });
      expect(answer.statusCode, file).toBe(200);
    }
    const start = await web.app.inject({ url: '/docs/docs-start.js', headers: basic });
    expect(start.headers['content-type']).toMatch(/javascript/);
    expect(start.body).toContain("url: '/docs/openapi.json'");
  });

  it('serves the document the API serves, and nothing else of swagger-ui-dist', async () => {
    const shown = await web.app.inject({ url: '/docs/openapi.json', headers: basic });
    const api = await web.app.inject({ url: '/api/openapi.json', headers: bearer });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual(api.json());
    // The package's own page sets Swagger UI up with an inline script and the petstore example.
    for (const file of ['index.html', 'swagger-initializer.js', 'oauth2-redirect.html']) {
      expect((await web.app.inject({ url: `/docs/${file}`, headers: basic })).statusCode).toBe(404);
    }
  });

  it('asks for the admin password, not the API token', async () => {
    for (const url of DOCS_FILES) {
      const anonymous = await web.app.inject({ url });
      expect(anonymous.statusCode, url).toBe(401);
      expect(anonymous.headers['www-authenticate'], url).toMatch(/^Basic/);
      expect((await web.app.inject({ url, headers: bearer })).statusCode, url).toBe(401);
      expect((await web.app.inject({ url, headers: basic })).statusCode, url).toBe(200);
    }
  });
});

describe('/docs with one credential or none', () => {
  let apiOnly: FastifyInstance;
  let local: FastifyInstance;
  beforeAll(async () => {
    apiOnly = await buildTestServer({
      ...web.runtime,
      config: testConfig(web.prefix, { API_TOKEN: TOKEN }),
    });
    local = await buildTestServer({ ...web.runtime, config: testConfig(web.prefix) });
  });
  afterAll(async () => {
    await apiOnly.close();
    await local.close();
  });

  it('is closed like the other pages when only API_TOKEN is set', async () => {
    for (const url of DOCS_FILES) {
      const answer = await apiOnly.inject({ url, headers: bearer });
      expect(answer.statusCode, url).toBe(401);
      expect(answer.body, url).toMatch(/ADMIN_PASSWORD/);
    }
  });

  it('is open to loopback names in local mode, and to them only', async () => {
    for (const url of DOCS_FILES) {
      const loopback = await local.inject({ url, headers: { host: 'localhost:3000' } });
      expect(loopback.statusCode, url).toBe(200);
      const elsewhere = await local.inject({ url, headers: { host: 'docs.example' } });
      expect(elsewhere.statusCode, url).toBe(403);
    }
  });
});

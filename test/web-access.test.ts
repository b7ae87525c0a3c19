// Who may reach what (CONTRACT.md "Credentials"): nothing open by omission, a side without its own
// credential closed, loopback names only in local mode, and slow clients cut off. Traffic goes to
// loopback only, even where the server listens on every interface.
import type { FastifyInstance } from 'fastify';
import { connect, type Socket } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openRuntime, type Runtime } from '../src/wiring/runtime.ts';
import { startHttpServer, type RunningServer } from '../src/adapters/http/server.ts';
import { deletePrefix, requestBody, testConfig, uniquePrefix } from './support/ecat.ts';
import { buildTestServer, checkedResponses, postRequest, type ApiBody } from './support/web.ts';

const prefix = uniquePrefix('web-access');
let runtime: Runtime;

beforeAll(async () => {
  runtime = await openRuntime(testConfig(prefix));
});

afterAll(async () => {
  await runtime.close();
  await deletePrefix(prefix);
});

const TOKEN = 'access-token-1';
const PASSWORD = 'access-password-1';
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = {
  authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`,
};
const json = { 'content-type': 'application/json' };

/** Every kind of route there is, and one there is not. */
const ROUTES: { method: 'GET' | 'POST'; url: string; headers?: Record<string, string> }[] = [
  { method: 'GET', url: '/' },
  { method: 'POST', url: '/', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
  { method: 'GET', url: '/requests' },
  { method: 'GET', url: '/requests/req-00000000-0000-0000-0000-000000000000' },
  { method: 'GET', url: '/admin/queues' },
  { method: 'GET', url: '/metrics' },
  { method: 'GET', url: '/api/requests' },
  { method: 'GET', url: '/api/openapi.json' },
  { method: 'POST', url: '/api/requests', headers: json },
  { method: 'POST', url: '/api/requests/req-x/cancel', headers: json },
  { method: 'GET', url: '/no-such-page' },
  // Percent-encoded paths the router decodes: judged as the route that answers them.
  { method: 'GET', url: '/%61pi/requests' },
  { method: 'GET', url: '/%6detrics' },
];

async function listening(
  extra: Record<string, string>,
): Promise<{ server: RunningServer; base: string; log: string[] }> {
  const log: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => log.push(line) });
  const config = testConfig(prefix, { PORT: '0', ...extra });
  const server = await startHttpServer({ ...runtime, config }, logger, checkedResponses);
  const port = new URL(server.url).port;
  return { server, base: `http://127.0.0.1:${port}`, log };
}

async function statusOf(
  base: string,
  route: (typeof ROUTES)[number],
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${base}${route.url}`, {
    method: route.method,
    headers: { ...route.headers, ...headers },
    ...(route.method === 'POST' ? { body: route.headers === json ? '{}' : 'a=b' } : {}),
  });
  return { status: response.status, body: await response.text() };
}

/** Without a credential: 401 on every route there is (and one there is not), 200 on health. */
async function expectClosedButHealth(base: string): Promise<void> {
  for (const route of ROUTES) {
    const { status } = await statusOf(base, route);
    expect({ ...route, status }).toEqual({ ...route, status: 401 });
  }
  // The NHS.UK frontend's files hold no data, and the sign-in pages need them: open on purpose.
  for (const url of ['/healthz', '/readyz', '/assets/nhsuk-frontend.min.css']) {
    expect((await fetch(`${base}${url}`)).status).toBe(200);
  }
}

describe('bound to every interface with one credential set', () => {
  it('only ADMIN_PASSWORD: from 127.0.0.1 every route but the health checks and assets answers 401', async () => {
    const { server, base, log } = await listening({ HOST: '0.0.0.0', ADMIN_PASSWORD: PASSWORD });
    try {
      await expectClosedButHealth(base);
      // The API stays closed with the admin password too, and says what would open it, however
      // its path is spelt; /metrics needs a token, which the admin password is not.
      for (const url of ['/api/requests', '/%61pi/requests']) {
        const api = await statusOf(base, { method: 'GET', url }, basic);
        expect(api.status).toBe(401);
        expect((JSON.parse(api.body) as ApiBody).errors[0]!.message).toMatch(
          /Set API_TOKEN to open it/,
        );
      }
      expect((await statusOf(base, { method: 'GET', url: '/%6detrics' }, basic)).status).toBe(401);
      expect((await statusOf(base, { method: 'GET', url: '/requests' }, basic)).status).toBe(200);
      const text = log.join('');
      expect(text).toMatch(/access on 0\.0\.0\.0: API closed \(set API_TOKEN\); pages and/);
      expect(text).toMatch(/ADMIN_PASSWORD is set but API_TOKEN is not/);
    } finally {
      await server.stop();
    }
  });

  it('only API_TOKEN: from 127.0.0.1 every route but the health checks and assets answers 401', async () => {
    const { server, base, log } = await listening({ HOST: '0.0.0.0', API_TOKEN: TOKEN });
    try {
      await expectClosedButHealth(base);
      const page = await statusOf(base, { method: 'GET', url: '/' }, bearer(TOKEN));
      expect(page.status).toBe(401);
      expect(page.body).toMatch(/Set ADMIN_PASSWORD to open them/);
      const dashboard = await statusOf(base, { method: 'GET', url: '/admin/queues' }, basic);
      expect(dashboard.status).toBe(401);
      expect(
        (await statusOf(base, { method: 'GET', url: '/api/requests' }, bearer(TOKEN))).status,
      ).toBe(200);
      expect((await statusOf(base, { method: 'GET', url: '/metrics' }, bearer(TOKEN))).status).toBe(
        200,
      );
      expect(log.join('')).toMatch(/API_TOKEN is set but ADMIN_PASSWORD is not/);
    } finally {
      await server.stop();
    }
  });
});

describe('metrics', () => {
  it('METRICS_TOKEN opens /metrics and nothing else', async () => {
    const app = await buildTestServer(
      {
        ...runtime,
        config: testConfig(prefix, { API_TOKEN: TOKEN, METRICS_TOKEN: 'scraper-token' }),
      },
      { logLevel: 'silent' },
    );
    try {
      const scraper = bearer('scraper-token');
      expect((await app.inject({ url: '/metrics', headers: scraper })).statusCode).toBe(200);
      expect((await app.inject({ url: '/metrics', headers: bearer(TOKEN) })).statusCode).toBe(200);
      expect((await app.inject({ url: '/metrics' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/api/requests', headers: scraper })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});

describe('local mode (no credentials)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(runtime);
  });
  afterAll(async () => {
    await app.close();
  });

  it('answers loopback names only, so DNS rebinding reaches nothing', async () => {
    for (const host of [
      'attacker.example',
      'attacker.example:3000',
      '10.0.0.5',
      'localhost.evil',
    ]) {
      for (const url of ['/', '/api/requests', '/admin/queues', '/healthz']) {
        const response = await app.inject({ url, headers: { host } });
        expect({ host, url, status: response.statusCode }).toEqual({ host, url, status: 403 });
      }
    }
    for (const host of [
      'localhost:3000',
      '127.0.0.1:3000',
      '127.1.2.3',
      '[::1]:3000',
      'localhost',
    ]) {
      expect((await app.inject({ url: '/api/requests', headers: { host } })).statusCode).toBe(200);
    }
  });

  it('refuses a bodiless cross-site POST, and takes the same call from a JSON client', async () => {
    const accepted = await postRequest(app, requestBody({ dosServiceId: '6100000001' }));
    expect(accepted.statusCode).toBe(202);
    const { id } = accepted.json<ApiBody>();
    const cancel = `/api/requests/${id}/cancel`;
    // What a form or fetch() on another site can send without a preflight: no JSON type.
    const bodiless = await app.inject({ method: 'POST', url: cancel });
    expect(bodiless.statusCode).toBe(415);
    const asForm = await app.inject({
      method: 'POST',
      url: cancel,
      headers: { 'content-type': 'text/plain', 'sec-fetch-site': 'cross-site' },
    });
    expect(asForm.statusCode).toBe(403);
    for (const site of ['cross-site', 'same-site']) {
      const forged = await app.inject({
        method: 'POST',
        url: cancel,
        headers: { ...json, 'sec-fetch-site': site },
      });
      expect(forged.statusCode).toBe(403);
    }
    expect((await runtime.store.get(id))?.status).toBe('queued');
    const byClient = await app.inject({ method: 'POST', url: cancel, headers: json });
    expect(byClient.statusCode).toBe(200);
    expect(byClient.json<ApiBody>().status).toBe('cancelled');
  });
});

/** Resolves with what the server wrote before it closed the connection. */
function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  return new Promise((resolve) =>
    socket.on('close', () => {
      resolve(received);
    }),
  );
}

function open(base: string): Promise<Socket> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

describe('slow and idle clients', () => {
  it('closes a connection that sends its headers slowly at the configured timeout', async () => {
    const { server, base } = await listening({
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
    });
    const socket = await open(base);
    const ended = closed(socket);
    socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n');
    // One header byte every 200 ms: never idle, never done (node's default waits 60 s).
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('X');
    }, 200);
    try {
      expect(await ended).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      clearInterval(drip);
      socket.destroy();
      await server.stop();
    }
  }, 15_000);

  it('closes a connection that sends nothing', async () => {
    const { server, base } = await listening({
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
    });
    const socket = await open(base);
    try {
      await closed(socket);
      expect(socket.destroyed).toBe(true);
    } finally {
      socket.destroy();
      await server.stop();
    }
  }, 15_000);

  it('takes no more connections than HTTP_MAX_CONNECTIONS', async () => {
    const { server, base } = await listening({ HTTP_MAX_CONNECTIONS: '2' });
    const held = [await open(base), await open(base)];
    try {
      const third = await open(base);
      // Node accepts the TCP connection, then drops it unanswered.
      expect(await closed(third)).toBe('');
      // The two held connections are still served.
      const [first] = held;
      const answer = closed(first!);
      first!.end('GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      expect(await answer).toMatch(/^HTTP\/1\.1 200/);
    } finally {
      for (const socket of held) socket.destroy();
      await server.stop();
    }
  }, 15_000);
});

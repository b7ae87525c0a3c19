// Running the service: metrics read from Redis, the API's edges (empty bodies, content types, rate
// limit, raw CR/LF in a header), Redis on a closed port, and where the server binds.
import { connect, type AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQueue, DEFAULT_RETRY } from '../src/adapters/queues/queues.ts';
import { recordJobsWriter } from '../src/adapters/queues/record-jobs.ts';
import { londonDate } from '../src/domain/dates.ts';
import { createRequestStore } from '../src/adapters/redis/requests/redis-request-store.ts';
import { openRuntime, type Runtime } from '../src/wiring/runtime.ts';
import { bindAddress } from '../src/adapters/http/server.ts';
import { countKeys, deletePrefix, requestBody, testConfig, uniquePrefix } from './support/ecat.ts';
import { freePort } from './support/redis-server.ts';
import { buildTestServer, csrfOf, formFields, postRequest, type ApiBody } from './support/web.ts';
import { ACTORS } from '../src/domain/people/person.ts';

const prefix = uniquePrefix('web-ops');
let runtime: Runtime;
let app: FastifyInstance;
const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  runtime = await openRuntime(testConfig(prefix));
  app = await buildTestServer(runtime);
});

afterAll(async () => {
  await app.close();
  await runtime.close();
  await deletePrefix(prefix);
});

const submit = (body: Record<string, unknown>) => postRequest(app, body);

async function metric(line: string): Promise<number> {
  const text = (await app.inject({ url: '/metrics' })).body;
  const found = text.split('\n').find((candidate) => candidate.startsWith(`${line} `));
  return Number(found?.slice(line.length + 1) ?? Number.NaN);
}

describe('metrics read from Redis at scrape time', () => {
  it('counts overdue requests, queued jobs, intakes, and the emails the worker recorded', async () => {
    const overdueBefore = await metric('ecat_overdue_requests');
    const waitingBefore = await metric('ecat_queue_jobs{state="waiting"}');
    const intakesBefore = await metric('ecat_intake_duration_seconds_count');
    const sentBefore = await metric('ecat_emails_total{outcome="sent"}');
    const today = londonDate(new Date());
    const response = await submit(
      requestBody({ dosServiceId: '9100000001', testDates: { from: today } }),
    );
    expect(response.statusCode).toBe(202);
    // Sent on its first test date: not overdue until tomorrow (CONTRACT.md), so not counted today.
    expect(await metric('ecat_overdue_requests')).toBe(overdueBefore);
    expect(await metric('ecat_queue_jobs{state="waiting"}')).toBe(waitingBefore + 1);
    expect(await metric('ecat_intake_duration_seconds_count')).toBe(intakesBefore + 1);
    expect(
      await metric('ecat_outstanding_requests{environment="INT",urgency="urgent"}'),
    ).toBeGreaterThanOrEqual(1);

    // What the worker does on success, in whichever process it runs: the store counts it.
    await runtime.store.transition(response.json<ApiBody>().id, 'sent', {
      actor: ACTORS.cli,
      event: 'sent',
      reason: 'test',
    });
    expect(await metric('ecat_emails_total{outcome="sent"}')).toBe(sentBefore + 1);
    expect(await metric('ecat_overdue_requests')).toBe(overdueBefore);
  });

  it('keeps one registry per app, so several apps live side by side', async () => {
    const second = await buildTestServer(runtime);
    try {
      expect((await second.inject({ url: '/metrics' })).statusCode).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('the API at its edges', () => {
  it('takes confirm with an empty JSON body; refuses a body that is not JSON', async () => {
    const { id } = (await submit(requestBody({ dosServiceId: '9100000002' }))).json<ApiBody>();
    const confirmed = await app.inject({
      method: 'POST',
      url: `/api/requests/${id}/confirm`,
      headers: json,
      payload: '',
    });
    expect(confirmed.statusCode).toBe(200);
    const unnamed = await postRequest(app, requestBody(), { 'content-type': '' });
    expect(unnamed.statusCode).toBe(415);
    const xml = await postRequest(app, '<request/>', { 'content-type': 'application/xml' });
    expect(xml.statusCode).toBe(415);
    expect(xml.json<ApiBody>().errors[0]!.message).toMatch(/application\/json/);
  });

  it('accepts a charset parameter, and refuses prototype poisoning and a non-object', async () => {
    const withCharset = await postRequest(app, requestBody({ dosServiceId: '9100000003' }), {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(withCharset.statusCode).toBe(202);
    const poisoned = await postRequest(app, '{"__proto__": {"admin": true}}');
    expect(poisoned.statusCode).toBe(400);
    const list = await postRequest(app, '[]');
    expect(list.statusCode).toBe(400);
    expect(list.json<ApiBody>().errors[0]!.message).toMatch(/must be a JSON object/);
  });

  it('checks credentials before anything else, and limits submissions per address', async () => {
    const guarded = await buildTestServer(
      { ...runtime, config: testConfig(prefix, { API_TOKEN: 'edge-token' }) },
      { logLevel: 'silent', rateLimits: { api: 2 } },
    );
    try {
      const anonymous = await postRequest(guarded, 'x'.repeat(70 * 1024), {
        'content-type': 'text/plain',
      });
      expect(anonymous.statusCode).toBe(401);
      // The limit is counted in Redis: the file's earlier posts from this address count too.
      await deletePrefix(`${prefix}:rate-limit`);
      const codes = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await postRequest(guarded, '{}', { authorization: 'Bearer edge-token' });
        codes.push(response.statusCode);
      }
      expect(codes).toEqual([400, 400, 429]);
    } finally {
      await guarded.close();
    }
  });

  it('answers 400 to a raw CR inside a header, before any route runs', async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Note: a\rSet-Cookie: b\r\n\r\n');
      });
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => {
        resolve(data);
      });
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
  });
});

describe('Redis on a closed port', () => {
  it('503 for the API, the form and /readyz, and nothing written anywhere', async () => {
    const port = await freePort();
    const closed = new Redis(`redis://127.0.0.1:${port}`, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    closed.on('error', () => undefined); // every command below fails, and says so
    const queue = createQueue(closed, prefix);
    queue.on('error', () => undefined);
    const store = createRequestStore(
      closed,
      prefix,
      () => new Date(),
      recordJobsWriter(queue, DEFAULT_RETRY, () => new Date()),
    );
    const deps = {
      ...runtime,
      redis: closed,
      queue,
      store,
      intakeDeps: (channel: string) => ({
        ...runtime.intakeDeps(channel),
        queue,
        store,
        redisUrl: `redis://127.0.0.1:${port}`,
      }),
    };
    const away = await buildTestServer(deps);
    const keysBefore = await countKeys(prefix);
    try {
      const api = await postRequest(away, requestBody({ dosServiceId: '9100000009' }));
      expect(api.statusCode).toBe(503);
      expect(api.json<ApiBody>().errors[0]!.message).toMatch(/nothing was stored/);
      expect((await away.inject({ url: '/api/requests' })).statusCode).toBe(503);
      const form = await away.inject({ url: '/' });
      expect(form.statusCode).toBe(200);
      const posted = await away.inject({
        method: 'POST',
        url: '/',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: csrfOf(form.body), ...formFields() }).toString(),
      });
      expect(posted.statusCode).toBe(503);
      expect(posted.body).toContain('value="2000072489"');
      expect((await away.inject({ url: '/readyz' })).statusCode).toBe(503);
      expect((await away.inject({ url: '/healthz' })).statusCode).toBe(200);
      expect(await countKeys(prefix)).toBe(keysBefore);
    } finally {
      await away.close();
      closed.disconnect();
    }
  });
});

describe('where the server binds', () => {
  it('stays on loopback without credentials, whatever HOST says', () => {
    expect(bindAddress(testConfig(prefix))).toMatchObject({ host: '127.0.0.1' });
    expect(bindAddress(testConfig(prefix, { HOST: '0.0.0.0' }))).toEqual({
      host: '127.0.0.1',
      protectedByCredentials: false,
      ignoredHost: '0.0.0.0',
    });
    expect(bindAddress(testConfig(prefix, { HOST: '::1' })).host).toBe('::1');
  });

  it('listens on HOST, or every interface, once credentials are set', () => {
    expect(bindAddress(testConfig(prefix, { API_TOKEN: 't' })).host).toBe('0.0.0.0');
    expect(bindAddress(testConfig(prefix, { ADMIN_PASSWORD: 'p', HOST: '10.0.0.5' })).host).toBe(
      '10.0.0.5',
    );
  });
});

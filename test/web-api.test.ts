import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths, formatLongDate, londonDate } from '../src/domain/dates.ts';
import { referenceFor } from '../src/domain/request/reference.ts';
import { openRuntime, type Runtime } from '../src/wiring/runtime.ts';
import { buildTestServer, postRequest, type ApiBody } from './support/web.ts';
import {
  countKeys,
  deletePrefix,
  requestBody,
  testConfig,
  testDatesIn,
  uniquePrefix,
} from './support/ecat.ts';

const prefix = uniquePrefix('web');
const TOKEN = 'test-token-123';
const PASSWORD = 'admin-pass';
let runtime: Runtime;
let app: FastifyInstance;
const auth = { authorization: `Bearer ${TOKEN}` };
// Confirm and cancel say they are JSON even with no body (CONTRACT.md), as the CLI's client does.
const change = { ...auth, 'content-type': 'application/json' };
const basic = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };

beforeAll(async () => {
  runtime = await openRuntime(testConfig(prefix, { API_TOKEN: TOKEN, ADMIN_PASSWORD: PASSWORD }));
  app = await buildTestServer(runtime);
});

afterAll(async () => {
  await app.close();
  await runtime.close();
  await deletePrefix(prefix);
});

const post = (payload: unknown, headers: Record<string, string> = {}) =>
  postRequest(app, payload, { ...auth, ...headers });
const act = (id: string, action: 'confirm' | 'cancel') =>
  app.inject({ method: 'POST', url: `/api/requests/${id}/${action}`, headers: change });

/** The errors of an answer that must have this status. */
function errorsOf(answer: LightMyRequestResponse, status: number): ApiBody['errors'] {
  expect(answer.statusCode).toBe(status);
  return answer.json<ApiBody>().errors;
}

describe('POST /api/requests', () => {
  it('202 with id, status, urgency and warnings', async () => {
    const testDates = testDatesIn(1);
    const response = await post(requestBody({ dosServiceId: '5000000001', testDates }));
    expect(response.statusCode).toBe(202);
    // Tomorrow is 1 working day ahead, or 0 from a Friday or before a bank holiday.
    const days = runtime.foundation.calendar.workingDaysBetween(
      londonDate(new Date()),
      testDates.from,
    );
    const when = days === 0 ? 'today or the next working day' : 'in 1 working day';
    expect(response.json()).toMatchObject({
      status: 'queued',
      urgency: 'urgent',
      warnings: [
        `The first test date is ${when}: we ask for at least 5 working days, and the BaRS team may not make it.`,
      ],
    });
    expect(response.json<ApiBody>().id).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it('400 for field rules, with {path, message} pairs, writing nothing', async () => {
    const before = await countKeys(prefix);
    const response = await post(requestBody({ dosServiceId: '12ab', surprise: true }));
    expect(response.statusCode).toBe(400);
    expect(response.json<ApiBody>().errors).toEqual(
      expect.arrayContaining([
        {
          path: 'dosServiceId',
          code: 'dos-service-id-digits',
          message: 'DoS Service ID must only include numbers, like 2000072489',
        },
        {
          path: 'surprise',
          code: 'unknown-field',
          message: 'surprise is not a field of a configuration request',
        },
      ]),
    );
    expect(await countKeys(prefix)).toBe(before);
  });

  it('400 for malformed JSON and for CR/LF header injection', async () => {
    const malformed = await post('{"dosServiceId": "1",');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json<ApiBody>().errors[0]!.message).toMatch(/not valid JSON/);
    const injected = await post(requestBody({ serviceName: 'UTC\r\nBcc: attacker@example.com' }));
    expect(errorsOf(injected, 400)).toEqual([
      { path: 'serviceName', code: 'one-line', message: 'Service name must be on one line' },
    ]);
  });

  it('422 when refused: CareConnect missing, PROD without TCC, a past date', async () => {
    const missing = await post(requestBody({ dosServiceId: '1374839566', odsCode: 'RR8' }));
    expect(errorsOf(missing, 422)).toEqual([
      {
        path: 'careConnect',
        code: 'careconnect-not-configured',
        message:
          'DoS has no scheduling endpoint for this service (DoS snapshot), so neither CareConnect nor GP Connect booking is configured. Fix the scheduling endpoint in DoS, or, if that is expected, tell us why as the CareConnect reason (careConnectWaiver)',
      },
    ]);
    const prod = await post(
      requestBody({
        environment: 'PROD',
        endpoint: 'https://BaRS-PROD-Y02494.s.thirdparty.nhs.uk/',
      }),
    );
    expect(errorsOf(prod, 422)).toEqual([
      {
        path: 'tccReference',
        code: 'tcc-reference-for-prod',
        message:
          'Enter the TCC reference: a Prod request needs the Technical Conformance Certificate reference from Solution Assurance',
      },
    ]);
    const past = await post(requestBody({ testDates: testDatesIn(-3) }));
    expect(errorsOf(past, 422)).toEqual([
      {
        path: 'testDates.from',
        code: 'date-past',
        message: 'First test date must be today or in the future',
      },
    ]);
  });

  it('422 for test dates more than 24 months ahead, 20 at once, while /healthz answers', async () => {
    // 9999-12-31 once hung the process for good (the day after it sorted before it).
    const keysBefore = await countKeys(prefix);
    const far = ['9999-12-31', '9999-12-30', '2300-01-01'];
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, (_, i) =>
        post(
          requestBody({ dosServiceId: String(5100000000 + i), testDates: { from: far[i % 3] } }),
        ),
      ),
      app.inject({ url: '/healthz' }),
    ]);
    const health = answers.pop()!;
    expect(health.statusCode).toBe(200);
    const latest = formatLongDate(addMonths(londonDate(new Date()), 24));
    for (const answer of answers) {
      expect(answer.statusCode).toBe(422);
      expect(answer.json<ApiBody>().errors[0]).toEqual({
        path: 'testDates.from',
        code: 'date-too-far',
        message: `First test date must be within the next 24 months, on or before ${latest}`,
      });
    }
    const to = await post(
      requestBody({ testDates: { from: testDatesIn(10).from, to: '9999-12-31' } }),
    );
    expect(errorsOf(to, 422)).toEqual([
      {
        path: 'testDates.to',
        code: 'date-too-far',
        message: `Last test date must be within the next 24 months, on or before ${latest}`,
      },
    ]);
    expect(await countKeys(prefix)).toBe(keysBefore);
  });

  it('409 with the existing id for an outstanding duplicate', async () => {
    const first = await post(requestBody({ dosServiceId: '5000000002' }));
    const second = await post(requestBody({ dosServiceId: '5000000002' }));
    expect(second.statusCode).toBe(409);
    const existingId = first.json<ApiBody>().id;
    expect(second.json<ApiBody>().existingId).toBe(existingId);
    expect(second.json<ApiBody>().errors).toEqual([
      {
        path: 'dosServiceId',
        code: 'duplicate',
        // The reference people use (ECAT-…); the id is in existingId.
        message: `There is already an open INT request for this service: ${referenceFor(existingId)}`,
      },
    ]);
  });

  it('401 without or with a wrong token', async () => {
    expect((await post(requestBody(), { authorization: '' })).statusCode).toBe(401);
    expect((await post(requestBody(), { authorization: 'Bearer nope' })).statusCode).toBe(401);
  });

  it('413 over 64 KiB, and 415 when not JSON', async () => {
    const huge = await post(requestBody({ notes: 'x'.repeat(70 * 1024) }));
    expect(huge.statusCode).toBe(413);
    const form = await post('dosServiceId=1', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.statusCode).toBe(415);
    const text = await post('hello', { 'content-type': 'text/plain' });
    expect(text.statusCode).toBe(415);
  });
});

describe('reading and changing requests', () => {
  it('GET /api/requests/:id gives the request with its history; 404 otherwise', async () => {
    const { id } = (await post(requestBody({ dosServiceId: '5000000003' }))).json<ApiBody>();
    const response = await app.inject({ url: `/api/requests/${id}`, headers: auth });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      id,
      status: 'queued',
      urgency: { level: 'routine' },
      careConnect: { status: 'careconnect' },
      history: [{ event: 'queued' }],
    });
    expect((await app.inject({ url: '/api/requests/req-nope', headers: auth })).statusCode).toBe(
      404,
    );
  });

  it('lists outstanding requests with pages, and refuses an unknown status', async () => {
    for (let i = 0; i < 3; i += 1) await post(requestBody({ dosServiceId: `600000000${i}` }));
    const first = await app.inject({
      url: '/api/requests?status=outstanding&limit=2',
      headers: auth,
    });
    expect(first.statusCode).toBe(200);
    expect(first.json<ApiBody>().items).toHaveLength(2);
    expect(first.json<ApiBody>().next).toMatch(/cursor=2/);
    const second = await app.inject({ url: first.json<ApiBody>().next, headers: auth });
    expect(second.json<ApiBody>().items.length).toBeGreaterThan(0);
    expect(
      (await app.inject({ url: '/api/requests?status=queued', headers: auth })).statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ url: '/api/requests?status=bogus', headers: auth })).statusCode,
    ).toBe(400);
  });

  it('confirms and cancels, with 409 when the change is not allowed', async () => {
    const { id } = (await post(requestBody({ dosServiceId: '5000000004' }))).json<ApiBody>();
    const confirmed = await act(id, 'confirm');
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json<ApiBody>().status).toBe('configured');
    const cancelled = await act(id, 'cancel');
    expect(cancelled.statusCode).toBe(409);
    expect((await act('req-nope', 'cancel')).statusCode).toBe(404);
  });
});

describe('health, metrics, OpenAPI and the dashboard', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
  });

  it('serves Prometheus text whose outstanding gauge moves on confirmation', async () => {
    const gauge = async () => {
      const text = (await app.inject({ url: '/metrics', headers: auth })).body;
      const line = text
        .split('\n')
        .find((l) =>
          l.startsWith('ecat_outstanding_requests{environment="INT",urgency="routine"}'),
        );
      return Number(line?.split(' ')[1]);
    };
    const response = await app.inject({ url: '/metrics', headers: auth });
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const line of response.body.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_][a-z0-9_]*(\{[^}]*\})? -?[\d.e+-]+$/);
    }
    expect(response.body).toContain('ecat_emails_total{outcome="sent"}');
    expect(response.body).toContain('ecat_queue_jobs{state="waiting"}');
    expect(response.body).toContain('ecat_intake_duration_seconds_bucket');
    const before = await gauge();
    const { id } = (await post(requestBody({ dosServiceId: '5000000005' }))).json<ApiBody>();
    expect(await gauge()).toBe(before + 1);
    await act(id, 'confirm');
    expect(await gauge()).toBe(before);
  });

  it('generates the OpenAPI document from the schema', async () => {
    const document = (await app.inject({ url: '/api/openapi.json', headers: auth })).json<{
      openapi: string;
      components: {
        schemas: Record<string, { required: string[]; additionalProperties: boolean }>;
      };
      paths: Record<string, { post: { responses: Record<string, unknown> } }>;
    }>();
    expect(document.openapi).toBe('3.1.0');
    const schema = document.components.schemas.ConfigurationRequest!;
    expect(schema.required).toEqual(
      expect.arrayContaining(['dosServiceId', 'environment', 'endpoint', 'odsCode', 'requester']),
    );
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(document.paths['/api/requests']!.post.responses)).toEqual(
      expect.arrayContaining(['202', '400', '401', '409', '413', '415', '422', '503']),
    );
  });

  it('keeps the dashboard and pages behind the admin password', async () => {
    expect((await app.inject({ url: '/admin/queues' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/requests' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/' })).statusCode).toBe(401);
    const wrong = { authorization: `Basic ${Buffer.from('admin:wrong').toString('base64')}` };
    expect((await app.inject({ url: '/admin/queues', headers: wrong })).statusCode).toBe(401);
    const dashboard = await app.inject({ url: '/admin/queues', headers: basic });
    expect(dashboard.statusCode).toBe(200);
    const queues = await app.inject({ url: '/admin/queues/api/queues', headers: basic });
    expect(queues.statusCode).toBe(200);
    expect(queues.body).toContain('bars-configuration');
  });
});

describe('Redis unreachable', () => {
  it('503 on POST and /readyz, and nothing written', async () => {
    const downPrefix = uniquePrefix('web-down');
    const down = await openRuntime(testConfig(downPrefix));
    const downApp = await buildTestServer(down);
    // Opening the queue may leave its own metadata; the failed POST must add nothing to it.
    const keysBefore = await countKeys(downPrefix);
    down.redis.disconnect();
    try {
      const response = await postRequest(downApp, requestBody());
      expect(response.statusCode).toBe(503);
      expect(response.json<ApiBody>().errors[0]!.message).toMatch(
        /Redis is unreachable; nothing was stored/,
      );
      expect((await downApp.inject({ url: '/readyz' })).statusCode).toBe(503);
      expect(await countKeys(downPrefix)).toBe(keysBefore);
    } finally {
      await downApp.close();
      await down.close().catch(() => undefined);
      await deletePrefix(downPrefix);
    }
  });
});

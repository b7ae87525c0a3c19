// The HTML side through inject on the real Redis: the form's fields come from the schema, every
// refusal comes back as the NHS.UK error summary with the input kept, the outstanding and request
// pages, the admin password, security headers and the NHS.UK assets.
import { describe, expect, it } from 'vitest';
import { londonDate } from '../src/domain/dates.ts';
import { referenceFor } from '../src/domain/request/reference.ts';
import { configurationRequestSchema } from '../src/domain/request/schema.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { deletePrefix, testConfig, uniquePrefix } from './support/ecat.ts';
import { sendForm } from './support/journey.ts';
import { buildTestServer, formFields, useServer, type ApiBody } from './support/web.ts';

const PASSWORD = 'pages-secret';
const basic = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const web = useServer('web-pages', { ADMIN_PASSWORD: PASSWORD }, { rateLimits: { form: 1000 } });

/**
 * The form sent as a person sends it (Continue, then Send request): the page they end on, the
 * request's own page once sent, or the form again with what to fix.
 */
async function submit(fields: Record<string, string>, target = web.app) {
  const { continued, sent } = await sendForm(target, fields, basic);
  if (!sent) return continued;
  if (sent.statusCode !== 303) return sent;
  return target.inject({ url: sent.headers.location!, headers: basic });
}

function dateFields(name: string, iso: string): Record<string, string> {
  const [year, month, day] = iso.split('-');
  return { [`${name}-day`]: day!, [`${name}-month`]: month!, [`${name}-year`]: year! };
}

const idOf = (html: string) => /req-[0-9a-f-]{36}/.exec(html)?.[0] ?? '';

describe('the form', () => {
  it('has a control for every field of the schema, nested ones included', async () => {
    const page = (await web.app.inject({ url: '/', headers: basic })).body;
    const shape = configurationRequestSchema.shape;
    for (const key of Object.keys(shape)) {
      if (key === 'requester') {
        for (const part of Object.keys(shape.requester.shape)) {
          expect(page).toContain(`name="requester.${part}"`);
        }
      } else if (key === 'testDates') {
        for (const part of Object.keys(shape.testDates.unwrap().shape)) {
          for (const box of ['day', 'month', 'year']) {
            expect(page).toContain(`name="testDates-${part}-${box}"`);
          }
        }
      } else if (key === 'careConnectWaiver') {
        // Asked for only where the CareConnect finding needs it (the 422 test below).
        expect(page).not.toContain(`name="${key}"`);
      } else {
        expect(page).toContain(`name="${key}"`);
      }
    }
    expect(page).toContain('Service name (optional)');
    expect(page).not.toContain('TCC reference (optional)');
  });

  it('422: CareConnect missing, shown at the waiver; accepted with a waiver', async () => {
    const fields = formFields({
      dosServiceId: '1374839566',
      odsCode: 'RR8',
      endpoint: 'https://BaRS-INT-RR8.example.thirdparty.nhs.uk/fhir',
    });
    const refused = await submit(fields);
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('nhsuk-error-summary');
    expect(refused.body).toContain('href="#careConnectWaiver"');
    // Now, and only now, the form asks why CareConnect is not set up.
    expect(refused.body).toContain('name="careConnectWaiver"');
    expect(refused.body).toContain(
      'CareConnect is not set up in DoS, and that is expected: tell us why',
    );
    expect(refused.body).toContain('value="1374839566"');
    expect(refused.body).toContain('<title>Error: New request');

    const waived = await submit({
      ...fields,
      careConnectWaiver: 'Booking moves to GP Connect in May',
    });
    expect(waived.statusCode).toBe(200);
    expect(waived.body).toContain('Request sent');
    expect(idOf(waived.body)).not.toBe('');
  });

  it('400: an impossible date is the schema’s error, at the day box, with the boxes kept', async () => {
    const response = await submit(
      formFields({
        'testDates-from-day': '31',
        'testDates-from-month': '2',
        'testDates-from-year': '2030',
      }),
    );
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('href="#testDates-from-day"');
    expect(response.body).toContain('First test date must be a real date');
    expect(response.body).toMatch(
      /id="testDates-from-day"[^>]*value="31"|value="31"[^>]*id="testDates-from-day"/,
    );
  });

  it('409: a second request for the same service and environment names the first', async () => {
    const fields = formFields({ dosServiceId: '8000000001' });
    const first = await submit(fields);
    expect(first.statusCode).toBe(200);
    const second = await submit(fields);
    expect(second.statusCode).toBe(409);
    // Named by the reference a person knows it by.
    expect(second.body).toContain(referenceFor(idOf(first.body)));
    expect(second.body).toContain('href="#dosServiceId"');
  });

  it('403 for a post whose token is missing, and the answers are kept', async () => {
    const response = await web.app.inject({
      method: 'POST',
      url: '/',
      headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(formFields({ dosServiceId: '8000000009' })).toString(),
    });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('value="8000000009"');
  });
});

describe('outstanding requests and one request', () => {
  it('marks overdue rows, counts them, and sorts urgent first', async () => {
    const today = londonDate(new Date());
    const routine = await submit(formFields({ dosServiceId: '8000000002' }));
    const overdue = await submit(
      formFields({ dosServiceId: '8000000003', ...dateFields('testDates-from', today) }),
    );
    expect(routine.statusCode).toBe(200);
    expect(overdue.statusCode).toBe(200);
    const overdueId = idOf(overdue.body);

    const page = await web.app.inject({ url: '/requests?sort=urgency', headers: basic });
    expect(page.statusCode).toBe(200);
    // Testing starts today, but it was sent today: not overdue until tomorrow (CONTRACT.md).
    const row = new RegExp(
      `<tr class="nhsuk-table__row" id="${overdueId}" data-urgency="urgent" role="row">`,
    );
    expect(page.body).toMatch(row);
    expect(page.body).not.toMatch(/\d+ overdue/);
    const urgencies = [...page.body.matchAll(/data-urgency="(\w+)"/g)].map((match) => match[1]);
    expect(urgencies[0]).toBe('urgent');
    expect(urgencies.lastIndexOf('urgent')).toBeLessThan(urgencies.indexOf('routine'));
  });

  it('shows one request with its history, and a 404 page for an unknown one', async () => {
    const accepted = await submit(
      formFields({ dosServiceId: '8000000004', serviceName: 'Riverside UTC' }),
    );
    const id = idOf(accepted.body);
    const page = await web.app.inject({ url: `/requests/${id}`, headers: basic });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Riverside UTC');
    expect(page.body).toContain('ASID:918999198993');
    expect(page.body).toMatch(/<td class="nhsuk-table__cell">Queued<\/td>/);
    const missing = await web.app.inject({
      url: '/requests/req-00000000-0000-0000-0000-000000000000',
      headers: basic,
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/text\/html/);
  });
});

describe('credentials, headers and assets', () => {
  it('asks for the admin password on pages and the dashboard, not on health or the frontend’s files', async () => {
    // The NHS.UK frontend's files hold no data, and the sign-in pages need them: open on purpose.
    expect((await web.app.inject({ url: '/assets/nhsuk-frontend.min.css' })).statusCode).toBe(200);
    for (const url of ['/', '/requests', '/admin/queues']) {
      const response = await web.app.inject({ url });
      expect(response.statusCode).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Basic realm="ecat"/);
      expect((await web.app.inject({ url, headers: basic })).statusCode).toBe(200);
    }
    expect((await web.app.inject({ url: '/healthz' })).statusCode).toBe(200);
    // Without API_TOKEN the API is closed, not open: the admin password does not open it either.
    for (const headers of [{}, basic]) {
      const api = await web.app.inject({ url: '/api/requests', headers });
      expect(api.statusCode).toBe(401);
      expect(api.json<ApiBody>().errors[0]!.message).toMatch(/Set API_TOKEN to open it/);
    }
  });

  it('sets security headers, a CSP nonce its inline script carries, and a request id', async () => {
    const response = await web.app.inject({
      url: '/',
      headers: { ...basic, 'x-request-id': 'trace-12345678' },
    });
    const csp = String(response.headers['content-security-policy']);
    const nonce = /'nonce-([0-9a-f]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(response.body).toContain(`nonce="${nonce}"`);
    expect(csp).toContain("script-src 'self'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('same-origin');
    expect(response.headers['x-request-id']).toBe('trace-12345678');
    const odd = await web.app.inject({ url: '/healthz', headers: { 'x-request-id': 'has space' } });
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves the NHS.UK bundles and images, and nothing else from the package', async () => {
    const get = (url: string) => web.app.inject({ url, headers: basic });
    const css = await get('/assets/nhsuk-frontend.min.css');
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect((await get('/assets/nhsuk-frontend.min.js')).statusCode).toBe(200);
    expect((await get('/assets/images/favicon.svg')).statusCode).toBe(200);
    expect((await get('/assets/template.njk')).statusCode).toBe(404);
    expect((await get('/assets/../package.json')).statusCode).toBe(404);
  });
});

describe('limits and Redis away', () => {
  it('429 once the form has been posted too often from one address', async () => {
    const limited = await buildTestServer(web.runtime, { rateLimits: { form: 2 } });
    // The limit is counted in Redis: the file's earlier posts from this address count too.
    await deletePrefix(`${web.prefix}:rate-limit`);
    try {
      const codes = [];
      for (let i = 0; i < 3; i += 1)
        codes.push((await submit({ dosServiceId: 'x' }, limited)).statusCode);
      expect(codes).toEqual([400, 400, 429]);
    } finally {
      await limited.close();
    }
  });

  it('503: the form comes back with the answers kept and nothing is stored', async () => {
    const downPrefix = uniquePrefix('web-pages-down');
    const down = await openRuntime(testConfig(downPrefix, { ADMIN_PASSWORD: PASSWORD }));
    const downApp = await buildTestServer(down);
    down.redis.disconnect();
    try {
      const response = await submit(formFields({ dosServiceId: '8000000005' }), downApp);
      expect(response.statusCode).toBe(503);
      expect(response.body).toContain('cannot store requests at the moment');
      expect(response.body).toContain('value="8000000005"');
      const requests = await downApp.inject({ url: '/requests', headers: basic });
      expect(requests.statusCode).toBe(503);
      expect(requests.body).toContain('Sorry, there is a problem with the service');
    } finally {
      await downApp.close();
      await down.close().catch(() => undefined);
      await deletePrefix(downPrefix);
    }
  });
});

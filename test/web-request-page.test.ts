// The DoS lead's pages as the NHS.UK service manual would have them, through inject on the real
// Redis: the TCC reference revealed by Prod (and there without JavaScript), the phone keyboards
// and upper-case ODS code; a request's page in words and tags, its urgency as of today, the
// waiver once, no path on our server; the email as the worker sent it (to the outbox here); and
// the "Page not found" page for browsers, JSON for the API.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays, formatLongDate, londonDate } from '../src/domain/dates.ts';
import { referenceFor } from '../src/domain/request/reference.ts';
import { rateUrgency } from '../src/domain/urgency.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { openRuntime, startWorker } from '../src/wiring/runtime.ts';
import { silentLog, until } from './support/delivery.ts';
import { fixedClock, requestBody, testConfig } from './support/ecat.ts';
import { sendForm } from './support/journey.ts';
import { csrfOf, formFields, useServer } from './support/web.ts';

const PASSWORD = 'request-page-secret';
const TOKEN = 'request-page-token';
const basic = { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` };
const browser = { ...basic, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const outbox = await mkdtemp(join(tmpdir(), 'ecat-request-page-'));
const web = useServer(
  'web-request-page',
  { ADMIN_PASSWORD: PASSWORD, API_TOKEN: TOKEN, OUTBOX_DIR: outbox },
  { rateLimits: { form: 1000 } },
);

afterAll(async () => {
  await rm(outbox, { recursive: true, force: true });
});

const get = (url: string) => web.app.inject({ url, headers: basic });

/** Sent through the form (Continue, then Send request); the new request's id. */
async function sent(fields: Record<string, string>): Promise<string> {
  const { id, continued } = await sendForm(web.app, fields, basic);
  if (id === undefined) throw new Error(`not accepted: ${continued.statusCode}`);
  return id;
}

/** Continue on the form (nothing sent): 303 to the check page, or the form with what to fix. */
async function continueWith(fields: Record<string, string>) {
  const form = await get('/');
  return web.app.inject({
    method: 'POST',
    url: '/',
    headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfOf(form.body), ...fields }).toString(),
  });
}

/** The text a page shows for a value autoescaped into it. */
function unescapeHtml(html: string): string {
  return html
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}

const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('the form', () => {
  it('asks for the TCC reference inside the Prod radio, shown without JavaScript', async () => {
    const page = (await get('/')).body;
    const prod = /<input [^>]*id="environment-2"[^>]*>/.exec(page)?.[0] ?? '';
    expect(prod).toContain('value="PROD"');
    expect(prod).toContain('data-aria-controls="conditional-environment-2"');
    const reveal =
      /<div class="nhsuk-radios__conditional[^"]*" id="conditional-environment-2">([\s\S]*?)<\/fieldset>/.exec(
        page,
      );
    expect(reveal?.[1]).toContain('name="tccReference"');
    expect(occurrences(page, 'name="tccReference"')).toBe(1);
    // NHS.UK's CSS hides it only under `.nhsuk-frontend-supported`, which its script sets.
    const css = (await get('/assets/nhsuk-frontend.min.css')).body;
    expect(css).toContain(
      '.nhsuk-frontend-supported .nhsuk-radios__conditional--hidden{display:none}',
    );
    expect(page).toContain('Service name (optional)');
    expect(page).not.toContain('TCC reference (optional)');
  });

  it('opens the Prod radio with the error when the TCC reference is missing', async () => {
    const continued = await continueWith(
      formFields({ dosServiceId: '7100000001', environment: 'PROD' }),
    );
    expect(continued.statusCode).toBe(422);
    expect(continued.body).toContain('href="#tccReference"');
    expect(continued.body).toContain(
      '<div class="nhsuk-radios__conditional" id="conditional-environment-2">',
    );
    expect(continued.body).toMatch(/id="environment-2"[^>]*value="PROD" checked/);
  });

  it('keeps a TCC reference for Prod, and drops one left behind when INT was chosen', async () => {
    const checkPage = async (environment: string) => {
      const continued = await continueWith({
        ...formFields({ dosServiceId: '7100000002', environment }),
        tccReference: 'TCC-2027-042',
      });
      expect(continued.statusCode).toBe(303);
      return (await get(continued.headers.location!)).body;
    };
    expect(await checkPage('PROD')).toContain('TCC-2027-042');
    expect(await checkPage('INT')).not.toContain('TCC-2027-042');
  });

  it('gives the DoS Service ID a numeric keyboard and shows the ODS code upper-case', async () => {
    const page = (await get('/')).body;
    expect(/<input\s[^>]*id="dosServiceId"[^>]*>/.exec(page)?.[0]).toContain('inputmode="numeric"');
    const ods = /<input\s[^>]*id="odsCode"[^>]*>/.exec(page)?.[0] ?? '';
    expect(ods).toContain('ecat-input--uppercase');
    expect(page).toContain('<link rel="stylesheet" href="/assets/ecat.css">');
    const css = await get('/assets/ecat.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    expect(css.body).toMatch(/\.ecat-input--uppercase \{\s*text-transform: uppercase;/);
  });
});

describe('a request’s page', () => {
  it('says the status and urgency in words and tags, and when it was submitted', async () => {
    const id = await sent(formFields({ dosServiceId: '7100000003' }));
    const page = (await get(`/requests/${id}`)).body;
    expect(page).toMatch(/<strong class="nhsuk-tag nhsuk-tag--grey">\s*Queued\s*<\/strong>/);
    expect(page).toMatch(/<strong class="nhsuk-tag nhsuk-tag--grey">\s*Routine\s*<\/strong>/);
    expect(page).toContain('No test dates were proposed.');
    expect(page).toContain(`Submitted on ${formatLongDate(londonDate(new Date()))}.`);
    expect(page).toContain(`<a href="/requests/${id}/email">`);
    expect(page).toContain('<td class="nhsuk-table__cell">Accepted</td>');

    const list = (await get('/requests')).body;
    const row = new RegExp(`<tr class="nhsuk-table__row" id="${id}"[\\s\\S]*?</tr>`).exec(
      list,
    )?.[0];
    expect(row).toMatch(/nhsuk-tag--grey">\s*Routine/);
    expect(row).toMatch(/nhsuk-tag--grey">\s*Queued/);
  });

  it('rates urgency as of today, not as it was when the request came', async () => {
    const today = londonDate(new Date());
    const firstTestDate = addDays(today, 3);
    // Submitted 30 days ago: then testing was weeks away, a routine request.
    const past = await openRuntime(testConfig(web.prefix), {
      now: fixedClock(`${addDays(today, -30)}T12:00:00Z`),
    });
    let id: string;
    try {
      const result = await submitRequest(
        requestBody({ dosServiceId: '7100000004', testDates: { from: firstTestDate } }),
        past.intakeDeps('test'),
      );
      if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
      expect(result.urgency.level).toBe('routine');
      id = result.id;
    } finally {
      await past.close();
    }
    const { calendar, thresholds } = web.runtime.foundation;
    const now = rateUrgency(firstTestDate, today, calendar, thresholds);
    expect(now.level).toBe('urgent');
    const reason = `${now.reason.charAt(0).toUpperCase()}${now.reason.slice(1)}`;

    const page = (await get(`/requests/${id}`)).body;
    expect(page).toMatch(/<strong class="nhsuk-tag nhsuk-tag--red">\s*Urgent\s*<\/strong>/);
    expect(page).toContain(`${reason}, as of today. It was routine when submitted.`);
    expect(page).toContain(`Submitted on ${formatLongDate(addDays(today, -30))}.`);

    const list = (await get('/requests?sort=urgency')).body;
    expect(list).toContain(`id="${id}" data-urgency="urgent"`);
  });

  it('shows the CareConnect waiver once', async () => {
    const waiver = 'Booking moves to GP Connect in May';
    const id = await sent(
      formFields({
        dosServiceId: '1374839566',
        odsCode: 'RR8',
        endpoint: 'https://BaRS-INT-RR8.example.thirdparty.nhs.uk/fhir',
        careConnectWaiver: waiver,
      }),
    );
    const page = unescapeHtml((await get(`/requests/${id}`)).body);
    expect(occurrences(page, waiver)).toBe(1);
    expect(page).toContain('Not configured: waived by the requester.');
  });

  it('answers an unknown request with its own page', async () => {
    const missing = await get('/requests/req-00000000-0000-0000-0000-000000000000/email');
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain('Request not found');
  });
});

describe('the email as sent', () => {
  it('says it is not sent yet, then shows it as the worker sent it, with no server path', async () => {
    const id = await sent(formFields({ dosServiceId: '7100000005', serviceName: 'Riverside UTC' }));
    const before = await get(`/requests/${id}/email`);
    expect(before.statusCode).toBe(200);
    expect(before.body).toContain('This email has not been sent yet.');
    expect(before.body).toMatch(/Sent at[\s\S]*?Not sent yet/);

    const worker = startWorker(web.runtime, silentLog);
    try {
      await until(
        async () => (await web.runtime.store.get(id))?.status === 'sent',
        15_000,
        `${id} to be sent`,
      );
    } finally {
      await worker.stop();
    }
    const files = (await readdir(outbox)).filter((name) => name.endsWith(`${id}.eml`));
    expect(files).toHaveLength(1);
    const mail = await simpleParser(await readFile(join(outbox, files[0]!)));

    const requestPage = (await get(`/requests/${id}`)).body;
    expect(requestPage).toMatch(/<strong class="nhsuk-tag nhsuk-tag--blue">\s*Sent\s*<\/strong>/);
    expect(requestPage).toContain('written to the outbox');
    expect(requestPage).not.toContain(outbox);
    expect(requestPage).toContain('See the email as it was sent to the BaRS team');

    const after = await get(`/requests/${id}/email`);
    expect(after.statusCode).toBe(200);
    const body = unescapeHtml(after.body);
    expect(body).not.toContain('not been sent');
    expect(body).toContain(mail.subject!);
    expect(body).toContain(referenceFor(id));
    expect(body).toContain(web.runtime.config.mail.from);
    expect(body).toContain(web.runtime.config.mail.to);
    expect(body).toContain('"Alex Morgan" <alex.morgan@nhs.net>');
    const sentAt = (await web.runtime.store.get(id))!.history.find((e) => e.event === 'sent')!.at;
    expect(after.body).toContain(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Europe/London',
        dateStyle: 'medium',
        timeStyle: 'short',
      }).format(new Date(sentAt)),
    );
    const shown = /<pre class="ecat-email-text" id="email-text">([\s\S]*?)<\/pre>/.exec(after.body);
    const normalise = (text: string) => text.replace(/\r\n/g, '\n').trimEnd();
    expect(normalise(unescapeHtml(shown?.[1] ?? ''))).toBe(normalise(mail.text ?? ''));
  });
});

describe('page not found', () => {
  it('is an NHS.UK page for a browser, JSON for the API and for scripts', async () => {
    const page = await web.app.inject({ url: '/no-such-page', headers: browser });
    expect(page.statusCode).toBe(404);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<h1 class="nhsuk-heading-l">Page not found</h1>');
    expect(page.body).toContain('<title>Page not found – ');
    const nonce = /'nonce-([0-9a-f]+)'/.exec(String(page.headers['content-security-policy']))?.[1];
    expect(page.body).toContain(`nonce="${nonce}"`);

    for (const [url, headers] of [
      ['/no-such-page', basic],
      ['/no-such-page', { ...basic, accept: '*/*' }],
      ['/api/no-such-thing', { ...browser, authorization: `Bearer ${TOKEN}` }],
    ] as const) {
      const answer = await web.app.inject({ url, headers });
      expect(answer.statusCode, url).toBe(404);
      expect(answer.headers['content-type'], url).toMatch(/^application\/json/);
    }
  });

  it('is still behind the page credential, as the email page is', async () => {
    const anonymous = { accept: browser.accept };
    for (const url of [
      '/no-such-page',
      '/requests/req-00000000-0000-0000-0000-000000000000/email',
    ]) {
      const answer = await web.app.inject({ url, headers: anonymous });
      expect(answer.statusCode, url).toBe(401);
      expect(answer.body).not.toContain('Page not found');
    }
  });
});

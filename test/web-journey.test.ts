// The DoS lead's journey as the NHS.UK service manual has a transaction, without JavaScript:
// the form → mistakes, worded to be acted on → fixed → Continue → check your answers (warnings
// shown before anything is sent) → Send request → the request's own page, with its reference and
// what happens next. Refresh and back never send twice.
import { describe, expect, it } from 'vitest';
import { referenceFor } from '../src/domain/request/reference.ts';
import { requestBody, testDatesIn } from './support/ecat.ts';

const formRequest = (dosServiceId: string) => requestBody({ dosServiceId });
import { csrfOf, formFields, useServer } from './support/web.ts';

const web = useServer('journey');

async function post(url: string, fields: Record<string, string>) {
  const page = await web.app.inject({ url: url.startsWith('/check/') ? url : '/' });
  return web.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfOf(page.body), ...fields }).toString(),
  });
}

/** The summary's messages, as a person reads them. */
function errorSummary(html: string): string[] {
  const summary = /<ul class="nhsuk-list nhsuk-error-summary__list">([\s\S]*?)<\/ul>/.exec(html);
  return [...(summary?.[1] ?? '').matchAll(/<a [^>]*>([^<]*)<\/a>|<li>([^<]*)<\/li>/g)].map((m) =>
    (m[1] ?? m[2] ?? '').trim(),
  );
}

describe('the same through the API', () => {
  const json = { 'content-type': 'application/json' };

  it('answers a dry run with the assessment, and stores nothing', async () => {
    const before = await web.runtime.store.count('all');
    const answer = await web.app.inject({
      method: 'POST',
      url: '/api/requests?dryRun=true',
      headers: json,
      payload: { ...formRequest('6600000010'), testDates: testDatesIn(2) },
    });
    expect(answer.statusCode).toBe(200);
    expect(answer.json()).toMatchObject({ dryRun: true, urgency: 'urgent' });
    expect(answer.json<{ warnings: string[] }>().warnings.join(' ')).toMatch(
      /we ask for at least 5 working days/,
    );
    expect(await web.runtime.store.count('all')).toBe(before);
  });

  it('finds a request by its reference, in any case', async () => {
    const accepted = await web.app.inject({
      method: 'POST',
      url: '/api/requests',
      headers: json,
      payload: formRequest('6600000011'),
    });
    const { id, reference } = accepted.json<{ id: string; reference: string }>();
    expect(reference).toBe(referenceFor(id));
    const found = await web.app.inject({ url: `/api/requests/${reference.toLowerCase()}` });
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({ id, reference });
  });
});

describe('the journey from the form to the request page', () => {
  it('words each mistake so it can be fixed, checks the answers, and sends once', async () => {
    const before = await web.runtime.store.count('all');
    const mistaken = await post(
      '/',
      formFields({
        dosServiceId: '20000724AB',
        endpoint: 'http://bars-int-y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
        'testDates-from-day': '5',
        'testDates-from-month': '',
        'testDates-from-year': '',
      }),
    );
    expect(mistaken.statusCode).toBe(400);
    expect(errorSummary(mistaken.body)).toEqual([
      'DoS Service ID must only include numbers, like 2000072489',
      'Endpoint URL must start with https://',
      'First test date must include a month and year',
    ]);

    // Fixed, with a first test date two working days away: accepted, with the lead-time warning.
    const soon = testDatesIn(2).from;
    const [year, month, day] = soon.split('-');
    const fields = formFields({
      dosServiceId: '6600000001',
      'testDates-from-day': day!,
      'testDates-from-month': month!,
      'testDates-from-year': year!,
    });
    const continued = await post('/', fields);
    expect(continued.statusCode).toBe(303);
    const check = continued.headers.location!;
    expect(check).toMatch(/^\/check\/[A-Za-z0-9_-]{22}$/);
    // Nothing is stored before "Send request".
    expect(await web.runtime.store.count('all')).toBe(before);

    const page = await web.app.inject({ url: check });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Check your answers before sending your request');
    expect(page.body).toContain('6600000001');
    expect(page.body).toMatch(
      /we ask for at least 5 working days, and the BaRS team may not make it/,
    );
    expect(page.body).toContain(`href="/?draft=${check.slice('/check/'.length)}#dosServiceId"`);

    const sent = await post(check, {});
    expect(sent.statusCode).toBe(303);
    const requestPage = sent.headers.location!;
    expect(requestPage).toMatch(/^\/requests\/req-[0-9a-f-]+\?sent=1$/);
    const id = /\/requests\/([^?]+)/.exec(requestPage)![1]!;
    const confirmation = await web.app.inject({ url: requestPage });
    expect(confirmation.body).toContain('Request sent');
    expect(confirmation.body).toContain(referenceFor(id));
    expect(confirmation.body).toContain('What happens next');

    // Back to the check page and "Send request" again, or a refresh: the same request, no other.
    const again = await post(check, {});
    expect(again.statusCode).toBe(303);
    expect(again.headers.location).toBe(`/requests/${id}`);
    expect((await web.app.inject({ url: check })).headers.location).toBe(`/requests/${id}`);
    expect(await web.runtime.store.count('all')).toBe(before + 1);
  });

  it('fills the form in again from the draft when an answer is changed', async () => {
    const continued = await post('/', formFields({ dosServiceId: '6600000002' }));
    const draft = continued.headers.location!.slice('/check/'.length);
    const form = await web.app.inject({ url: `/?draft=${draft}` });
    expect(form.body).toContain('value="6600000002"');
  });

  it('finds a request from the outstanding page by its reference', async () => {
    const { headers } = await post('/', formFields({ dosServiceId: '6600000004' }));
    const sent = await post(headers.location!, {});
    const id = /\/requests\/([^?]+)/.exec(sent.headers.location!)![1]!;
    const listed = await web.app.inject({ url: '/requests' });
    expect(listed.body).toContain('action="/requests/find"');
    const found = await web.app.inject({
      url: `/requests/find?reference=${referenceFor(id).toLowerCase()}`,
    });
    expect(found.statusCode).toBe(303);
    expect(found.headers.location).toBe(`/requests/${id}`);
    const missing = await web.app.inject({ url: '/requests/find?reference=ECAT-000000' });
    expect(missing.statusCode).toBe(404);
  });

  it('says the answers have expired for a draft it does not hold, and sends nothing', async () => {
    const gone = await web.app.inject({ url: '/check/AAAAAAAAAAAAAAAAAAAAAA' });
    expect(gone.statusCode).toBe(404);
    expect(gone.body).toContain('Your answers have expired');
  });

  it('shows a duplicate at Send with its reference, and stores nothing more', async () => {
    const first = await post('/', formFields({ dosServiceId: '6600000003' }));
    await post(first.headers.location!, {});
    const second = await post('/', formFields({ dosServiceId: '6600000003' }));
    const refused = await post(second.headers.location!, {});
    expect(refused.statusCode).toBe(409);
    expect(errorSummary(refused.body)[0]).toMatch(
      /^There is already an open INT request for this service: ECAT-[0-9A-Z]{6}$/,
    );
  });
});

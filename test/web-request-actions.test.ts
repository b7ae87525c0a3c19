// The actions on a request's page, through inject on the real Redis, with a worker sending to a
// loopback SMTP server: each a POST with the page's CSRF token that leads back to the page (303)
// with a banner; refused without the token (403), on a closed request (409), or for what was typed
// (the page again, with an NHS.UK error summary). The history says who did what. Then the same
// pages with people signed in: a requester sees and changes only their own, and what they do is
// done in their name.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whoDid } from '../src/adapters/http/request-view.ts';
import { londonDate } from '../src/domain/dates.ts';
import { ACTORS } from '../src/domain/people/person.ts';
import {
  openRuntime,
  startWorker,
  type RunningWorker,
  type Runtime,
} from '../src/wiring/runtime.ts';
import { silentLog, until } from './support/delivery.ts';
import {
  deletePrefix,
  fixedClock,
  testConfig,
  testDatesIn,
  uniquePrefix,
  VALID_REQUESTER,
} from './support/ecat.ts';
import { sendForm } from './support/journey.ts';
import { person, sessionCookie, useSignIn } from './support/people.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { buildTestServer, csrfOf, formFields } from './support/web.ts';

// Monday 2 March 2026: tested in 40 days is routine; in 3 days, urgent.
const clock = fixedClock('2026-03-02T10:00:00Z');
const BARS_MAILBOX = 'england.bookingandreferralstandard@nhs.net';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The date boxes of the form (and of the page's "Change test dates") for a date. */
function dateBoxes(name: 'from' | 'to', date: string): Record<string, string> {
  const [year = '', month = '', day = ''] = date.split('-');
  return {
    [`testDates-${name}-day`]: String(Number(day)),
    [`testDates-${name}-month`]: String(Number(month)),
    [`testDates-${name}-year`]: year,
  };
}

/** The text a page shows for a value autoescaped into it. */
const unescaped = (html: string) =>
  html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');

/** The history table's rows as [event, by]. */
function historyOf(html: string): [string, string][] {
  const table = /<caption[^>]*>What happened to this request<\/caption>([\s\S]*?)<\/table>/.exec(
    html,
  )?.[1];
  const rows = [...(table ?? '').matchAll(/<tr class="nhsuk-table__row">([\s\S]*?)<\/tr>/g)].slice(
    1,
  );
  return rows.map((row) => {
    const cells = [...(row[1] ?? '').matchAll(/<td class="nhsuk-table__cell">([\s\S]*?)<\/td>/g)];
    return [unescaped(cells[1]?.[1] ?? '').trim(), unescaped(cells.at(-1)?.[1] ?? '').trim()];
  });
}

/** Whether the page's NHS.UK error summary links `message` to the control `#anchor`. */
function summaryLinks(html: string, anchor: string, message: string): boolean {
  const summary = /class="nhsuk-error-summary"[\s\S]*?<\/ul>/.exec(html)?.[0] ?? '';
  const link = new RegExp(
    `<a href="#${anchor}">\\s*${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*</a>`,
  );
  return link.test(unescaped(summary));
}

const addressesOf = (field: ParsedMail['to']): string[] =>
  [field ?? []].flat().flatMap((group) => group.value.map((address) => address.address ?? ''));

describe('in local mode (every role)', () => {
  const prefix = uniquePrefix('web-actions');
  let sink: SmtpSink;
  let runtime: Runtime;
  let app: FastifyInstance;
  let worker: RunningWorker;
  let service = 6_400_000_000;

  beforeAll(async () => {
    sink = await startSmtpSink();
    runtime = await openRuntime(testConfig(prefix, { SMTP_URL: sink.url }), { now: clock });
    app = await buildTestServer(runtime);
    worker = startWorker(runtime, silentLog);
  });
  afterAll(async () => {
    await worker.stop(5000);
    await app.close();
    await runtime.close();
    await sink.close();
    await deletePrefix(prefix);
  });

  /** A request sent through the form, tested in `days` days; its id. */
  async function sent(days = 40): Promise<string> {
    service += 1;
    const { from } = testDatesIn(days, clock);
    const { id } = await sendForm(
      app,
      formFields({ dosServiceId: String(service), ...dateBoxes('from', from) }),
    );
    if (id === undefined) throw new Error('not accepted');
    return id;
  }

  const page = (id: string, query = '') => app.inject({ url: `/requests/${id}${query}` });

  /** Posts an action's form as the page has it: with its CSRF token unless `csrf` is false. */
  async function act(
    id: string,
    action: string,
    fields: Record<string, string> = {},
    options: { csrf?: boolean; token?: string } = {},
  ): Promise<LightMyRequestResponse> {
    // A page open from before the request was closed still has its token: `token` is that one.
    const token = options.token ?? csrfOf((await page(id)).body);
    return app.inject({
      method: 'POST',
      url: `/requests/${id}/${action}`,
      headers: FORM,
      payload: new URLSearchParams({
        ...(options.csrf === false ? {} : { _csrf: token }),
        ...fields,
      }).toString(),
    });
  }

  const emailsFor = (id: string, kind: string) =>
    sink.messages.filter(
      (mail) =>
        mail.headers.get('x-ecat-request-id') === id &&
        mail.headers.get('x-ecat-follow-up') === kind,
    );

  async function emailFor(id: string, kind: string): Promise<ParsedMail> {
    await until(() => emailsFor(id, kind).length > 0, 15_000, `the ${kind} email for ${id}`);
    return emailsFor(id, kind)[0]!;
  }

  it('shows an outstanding request’s actions, each a form with the CSRF token, and who did what', async () => {
    const id = await sent();
    const html = (await page(id)).body;
    for (const action of ['confirm', 'cancel', 'ask-for-changes', 'test-dates', 'withdraw']) {
      const form = new RegExp(
        `<form method="post" action="/requests/${id}/${action}" novalidate>\\s*<input type="hidden" name="_csrf" value="[^"]+">`,
      );
      expect(html, action).toMatch(form);
    }
    for (const button of [
      'Confirm configured',
      'Cancel request',
      'Ask for changes',
      'Change test dates',
      'Withdraw request',
    ]) {
      expect(html).toContain(button);
    }
    // The date boxes start at the request's own dates.
    expect(html).toMatch(/name="testDates-from-day" type="text" value="11"/);
    expect(html).toContain('<th scope="col" class="nhsuk-table__header">By</th>');
    expect(historyOf(html)[0]).toEqual(['Accepted', 'the local operator']);
  });

  it('confirms it configured: 303 to the page with a banner, the requester told, no more actions', async () => {
    const id = await sent();
    const token = csrfOf((await page(id)).body);
    const response = await act(id, 'confirm');
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/requests/${id}?done=configured`);
    const html = (await page(id, '?done=configured')).body;
    expect(html).toContain('nhsuk-notification-banner--success');
    expect(html).toContain('Marked as configured');
    expect(historyOf(html).at(-1)).toEqual(['Configured', 'the local operator']);
    expect(html).not.toContain('Confirm configured');
    expect(html).not.toContain('Change test dates');

    const notice = await emailFor(id, 'configured-by-hand');
    expect(addressesOf(notice.to)).toEqual([VALID_REQUESTER.email]);
    expect(notice.text).toContain('the BaRS team confirmed it');

    // Once configured, nothing more: 409, saying what it is now.
    const again = await act(id, 'cancel', {}, { token });
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('This request cannot be changed');
    expect(again.body).toMatch(/is configured: only a request that is still outstanding/);
  });

  it('cancels it, and refuses any action on it afterwards (409)', async () => {
    const id = await sent();
    const token = csrfOf((await page(id)).body);
    expect((await act(id, 'cancel')).headers.location).toBe(`/requests/${id}?done=cancelled`);
    const stored = await runtime.store.get(id);
    expect(stored?.status).toBe('cancelled');
    expect(stored?.history.at(-1)?.actor).toEqual(ACTORS.localOperator);
    for (const action of ['confirm', 'ask-for-changes', 'withdraw']) {
      const response = await act(id, action, { note: 'late' }, { token });
      expect(response.statusCode, action).toBe(409);
      expect(response.body).toContain('is cancelled');
    }
    const dates = await act(id, 'test-dates', dateBoxes('from', testDatesIn(20, clock).from), {
      token,
    });
    expect(dates.statusCode).toBe(409);
  });

  it('refuses a form without its CSRF token (403), changing nothing', async () => {
    const id = await sent();
    for (const action of ['confirm', 'cancel', 'ask-for-changes', 'test-dates', 'withdraw']) {
      const response = await act(id, action, { note: 'x' }, { csrf: false });
      expect(response.statusCode, action).toBe(403);
      expect(response.body).toContain('The form has expired');
    }
    const stored = await runtime.store.get(id);
    expect(stored?.status).toBe('queued');
    expect(stored?.history.map((entry) => entry.event)).not.toContain('changes-requested');
  });

  it('asks for changes: the note is required, then emailed to the requester, headers and all kept out', async () => {
    const id = await sent();
    const empty = await act(id, 'ask-for-changes', { note: '  ' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('nhsuk-error-summary');
    expect(summaryLinks(empty.body, 'note', 'Enter what needs to change')).toBe(true);
    expect(empty.body).toContain('<title>Error: Request ');

    const control = await act(id, 'ask-for-changes', { note: 'bell \u0007 here' });
    expect(control.statusCode).toBe(400);
    expect(control.body).toContain('What needs to change must not include control characters');
    // What was typed is kept for the person to correct.
    expect(control.body).toContain('bell \u0007 here');

    const note = 'Please check the endpoint.\r\nBcc: someone@example.com\r\nSubject: hijacked';
    const response = await act(id, 'ask-for-changes', { note });
    expect(response.headers.location).toBe(`/requests/${id}?done=changes-requested`);
    const html = (await page(id, '?done=changes-requested')).body;
    expect(html).toContain('We are emailing your note to the requester');
    expect(
      historyOf(html).some(
        ([event, by]) => event === 'Changes asked for' && by === 'the local operator',
      ),
    ).toBe(true);
    expect((await runtime.store.get(id))?.status).toBe('queued');

    const mail = await emailFor(id, 'changes-requested');
    expect(addressesOf(mail.to)).toEqual([VALID_REQUESTER.email]);
    expect(addressesOf(mail.replyTo)).toEqual([BARS_MAILBOX]);
    expect(mail.bcc).toBeUndefined();
    expect(sink.recipientsOf(mail)).toEqual([VALID_REQUESTER.email]);
    expect(mail.subject).toMatch(/^Changes needed: /);
    expect(mail.text).toContain('Please check the endpoint.');
    expect(mail.text).toContain('Bcc: someone@example.com');
  });

  it('changes the test dates: urgency rated again, the groups and metrics follow, the BaRS team told', async () => {
    const metric = async (urgency: string) => {
      const text = (await app.inject({ url: '/metrics' })).body;
      const line = new RegExp(
        `^ecat_outstanding_requests\\{environment="INT",urgency="${urgency}"\\} (\\d+)$`,
        'm',
      );
      return Number(line.exec(text)?.[1]);
    };
    const id = await sent(40);
    const [routineBefore, urgentBefore] = [await metric('routine'), await metric('urgent')];
    const near = testDatesIn(3, clock, 1);
    const response = await act(id, 'test-dates', {
      ...dateBoxes('from', near.from),
      ...dateBoxes('to', near.to!),
    });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe(`/requests/${id}?done=test-dates-changed`);
    const stored = await runtime.store.get(id);
    expect(stored?.urgency.level).toBe('urgent');
    expect(stored?.request.testDates).toEqual(near);
    expect(await metric('routine')).toBe(routineBefore - 1);
    expect(await metric('urgent')).toBe(urgentBefore + 1);

    const html = (await page(id, '?done=test-dates-changed')).body;
    expect(html).toContain('Test dates changed');
    expect(html).toContain('Thursday 5 March 2026');
    expect(historyOf(html).at(-1)).toEqual(['Test dates changed', 'the local operator']);

    const mail = await emailFor(id, 'test-dates-changed');
    expect(addressesOf(mail.to)).toEqual([BARS_MAILBOX]);
    expect(mail.subject).toMatch(/^\[URGENT\] New test dates: /);
    expect(mail.inReplyTo).toBe(stored?.messageId);
    expect(mail.text).toContain('Test dates now:     Thursday 5 March 2026 to Friday 6 March 2026');
  });

  it('shows the page again with an error summary for dates the rules refuse', async () => {
    const id = await sent(40);
    const yesterday = testDatesIn(-1, clock).from;
    const past = await act(id, 'test-dates', dateBoxes('from', yesterday));
    expect(past.statusCode).toBe(400);
    expect(past.body).toContain('nhsuk-error-summary');
    expect(
      summaryLinks(
        past.body,
        'testDates-from-day',
        'First test date must be today or in the future',
      ),
    ).toBe(true);
    // The boxes keep what was typed.
    expect(past.body).toContain(`value="${Number(yesterday.slice(8))}"`);

    const unreal = await act(id, 'test-dates', {
      'testDates-from-day': '30',
      'testDates-from-month': '2',
      'testDates-from-year': '2027',
    });
    expect(unreal.statusCode).toBe(400);
    expect(unreal.body).toContain('First test date must be a real date');

    const order = await act(id, 'test-dates', {
      ...dateBoxes('from', testDatesIn(20, clock).from),
      ...dateBoxes('to', testDatesIn(10, clock).from),
    });
    expect(order.statusCode).toBe(400);
    expect(
      summaryLinks(
        order.body,
        'testDates-to-day',
        'Last test date must be the same as or after the first test date',
      ),
    ).toBe(true);

    expect((await runtime.store.get(id))?.urgency.level).toBe('routine');
  });

  it('withdraws it: cancelled, the BaRS team told why', async () => {
    const id = await sent();
    const response = await act(id, 'withdraw', { reason: 'The service closes in April.' });
    expect(response.headers.location).toBe(`/requests/${id}?done=withdrawn`);
    const html = (await page(id, '?done=withdrawn')).body;
    expect(html).toContain('Request withdrawn');
    expect(historyOf(html).at(-1)).toEqual(['Withdrawn by the requester', 'the local operator']);
    expect((await runtime.store.get(id))?.status).toBe('cancelled');
    const mail = await emailFor(id, 'withdrawn');
    expect(addressesOf(mail.to)).toEqual([BARS_MAILBOX]);
    expect(mail.text).toContain('The service closes in April.');

    const tooLong = await act(await sent(), 'withdraw', { reason: 'x'.repeat(2001) });
    expect(tooLong.statusCode).toBe(400);
    expect(
      summaryLinks(
        tooLong.body,
        'reason',
        'Why you are withdrawing it must be 2,000 characters or fewer',
      ),
    ).toBe(true);
  });

  it('names who did an entry from before people by what it kept, or not at all', () => {
    const at = londonDate(clock());
    const entry = { at, status: 'configured' as const, event: 'configured', reason: 'r' };
    expect(whoDid({ ...entry, details: { by: 'catalogue' } })).toBe('the BaRS proxy');
    expect(whoDid({ ...entry, details: { by: 'hand (cli)' } })).toBe('the command line');
    expect(whoDid(entry)).toBe('—');
    expect(whoDid({ ...entry, actor: ACTORS.worker })).toBe('the worker');
  });
});

describe('with people signed in', () => {
  const web = useSignIn('web-actions-people');
  const ada = person('ada');
  let requestId = '';
  const as = async (login: 'ada' | 'bob' | 'grace', roles: ('requester' | 'bars-team')[]) => ({
    cookie: await sessionCookie(web.runtime, person(login), roles),
    accept: 'text/html',
  });

  beforeAll(async () => {
    const { id } = await sendForm(
      web.app,
      formFields({ dosServiceId: '6500000001', ...dateBoxes('from', testDatesIn(40).from) }),
      await as('ada', ['requester']),
    );
    if (id === undefined) throw new Error('not accepted');
    requestId = id;
  });

  it('fills in a new form with the person’s own details', async () => {
    const form = (await web.app.inject({ url: '/', headers: await as('ada', ['requester']) })).body;
    expect(form).toMatch(/name="requester.name"[^>]* value="Ada Lovelace"/);
    expect(form).toMatch(/name="requester.email"[^>]* value="ada.lovelace@nhs.net"/);
    expect(form).toMatch(/name="requester.organisation"[^>]* value="NHS North West"/);
  });

  it('keeps who submitted it, and names them in the history', async () => {
    const stored = await web.runtime.store.get(requestId);
    expect(stored?.submittedBy).toEqual(ada);
    const html = (
      await web.app.inject({
        url: `/requests/${requestId}`,
        headers: await as('ada', ['requester']),
      })
    ).body;
    expect(historyOf(html)[0]).toEqual(['Accepted', 'Ada Lovelace (ada.lovelace@nhs.net)']);
    // Their own actions, not the BaRS team's.
    expect(html).toContain('Change test dates');
    expect(html).toContain('Withdraw request');
    expect(html).not.toContain('Confirm configured');
  });

  it('refuses another requester the request, its email and its search (403)', async () => {
    const bob = await as('bob', ['requester']);
    for (const url of [
      `/requests/${requestId}`,
      `/requests/${requestId}/email`,
      `/requests/find?reference=${requestId}`,
    ]) {
      const response = await web.app.inject({ url, headers: bob });
      expect(response.statusCode, url).toBe(403);
      expect(response.body).toContain('You cannot see this request');
    }
    const withdraw = await web.app.inject({
      method: 'POST',
      url: `/requests/${requestId}/withdraw`,
      headers: { ...bob, ...FORM },
      payload: '',
    });
    expect(withdraw.statusCode).toBe(403);
    expect((await web.runtime.store.get(requestId))?.status).toBe('queued');
  });

  it('shows the BaRS team only its own actions, and does them in the member’s name', async () => {
    const grace = await as('grace', ['bars-team']);
    const html = (await web.app.inject({ url: `/requests/${requestId}`, headers: grace })).body;
    expect(html).toContain('Ask for changes');
    expect(html).not.toContain('Withdraw request');
    const response = await web.app.inject({
      method: 'POST',
      url: `/requests/${requestId}/ask-for-changes`,
      headers: { ...grace, ...FORM },
      payload: new URLSearchParams({ _csrf: csrfOf(html), note: 'Which supplier?' }).toString(),
    });
    expect(response.statusCode).toBe(303);
    const entry = (await web.runtime.store.get(requestId))?.history.at(-1);
    expect(entry?.actor).toEqual({
      kind: 'person',
      subject: 'grace',
      name: 'Grace Hopper',
      email: 'grace.hopper@nhs.net',
    });
    // A token from Ada's page does not pass under Grace's session.
    const adaPage = (
      await web.app.inject({
        url: `/requests/${requestId}`,
        headers: await as('ada', ['requester']),
      })
    ).body;
    const crossed = await web.app.inject({
      method: 'POST',
      url: `/requests/${requestId}/cancel`,
      headers: { ...grace, ...FORM },
      payload: new URLSearchParams({ _csrf: csrfOf(adaPage) }).toString(),
    });
    expect(crossed.statusCode).toBe(403);
  });
});

// The links in the email (README "Links in the email"): tokens that refuse every change, a
// configure link used once across processes, the email that carries them, and both pages as the
// BaRS team and the requester use them from the email the SMTP sink caught: mark as configured,
// and follow the request, change its test dates or withdraw it.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSignedLinks,
  createUsedLinks,
  emailLinksFor,
} from '../src/adapters/http/signed-links.ts';
import { createTemplateRenderer } from '../src/adapters/mail/nunjucks-renderer.ts';
import { connectCommandRedis, type Redis } from '../src/adapters/redis/connection.ts';
import { createSigner } from '../src/adapters/signing.ts';
import { addDays, londonDate } from '../src/domain/dates.ts';
import { configurationEmailFor } from '../src/domain/email/configuration-email.ts';
import type { LinkClaims } from '../src/domain/links/link-token.ts';
import { ACTORS } from '../src/domain/people/person.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import type { Runtime } from '../src/wiring/runtime.ts';
import { until, useDelivery } from './support/delivery.ts';
import { deletePrefix, REDIS_URL, requestBody, testDatesIn, uniquePrefix } from './support/ecat.ts';
import { buildTestServer, csrfOf } from './support/web.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
const PUBLIC_URL = 'https://ecat.example.nhs.uk';

/** A clock the test moves on: the runtime, the worker and the pages all read it. */
function movableClock(start = Date.now()) {
  let offset = 0;
  return {
    now: () => new Date(start + offset),
    advance(ms: number) {
      offset += ms;
    },
  };
}

const secret = (text: string) => Buffer.from(text.padEnd(32, '.'), 'utf8');

describe('a link token', () => {
  const clock = movableClock(Date.parse('2026-11-24T10:00:00Z'));
  const signer = createSigner([secret('the newest secret')]);
  const links = createSignedLinks(signer, { linkDays: 30, now: clock.now });
  const id = 'req-2f0c7b9e-4a51-4a55-9d3e-0f6d1e1c2b3a';

  it('says which request, what for and until when, with a nonce of its own', () => {
    const token = links.issue(id, 'configure');
    const reading = links.read(token, 'configure');
    expect(reading).toMatchObject({
      ok: true,
      claims: { r: id, a: 'configure', e: clock.now().getTime() + 30 * DAY_MS },
    });
    const again = links.read(links.issue(id, 'configure'), 'configure');
    expect(again.ok && reading.ok && again.claims.n !== reading.claims.n).toBe(true);
    // The requester's lasts 180 days.
    expect(links.read(links.issue(id, 'status'), 'status')).toMatchObject({
      ok: true,
      claims: { a: 'status', e: clock.now().getTime() + 180 * DAY_MS },
    });
  });

  it('is refused with any one character changed, in the payload or the signature', () => {
    const token = links.issue(id, 'configure');
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const accepted: string[] = [];
    for (let i = 0; i < token.length; i += 1) {
      if (token[i] === '.') continue;
      // Every other character at this place, the last one's spare bits included.
      for (const other of alphabet) {
        if (other === token[i]) continue;
        const changed = `${token.slice(0, i)}${other}${token.slice(i + 1)}`;
        if (links.read(changed, 'configure').ok) accepted.push(changed);
      }
    }
    expect(accepted).toEqual([]);
  });

  it('is refused for another page, once expired, in a bad shape, or under an unknown secret', () => {
    const configure = links.issue(id, 'configure');
    expect(links.read(configure, 'status')).toEqual({ ok: false, problem: 'wrong-page' });
    expect(links.read(links.issue(id, 'status'), 'configure')).toEqual({
      ok: false,
      problem: 'wrong-page',
    });
    for (const bad of ['', 'abc', 'a.b.c', 'abc.', '.abc', 'a%20b.c', `${configure}.`]) {
      expect(links.read(bad, 'configure'), bad).toEqual({ ok: false, problem: 'not-valid' });
    }
    const stranger = createSignedLinks(createSigner([secret('another secret')]), {
      linkDays: 30,
      now: clock.now,
    });
    expect(stranger.read(configure, 'configure')).toEqual({ ok: false, problem: 'not-valid' });

    clock.advance(30 * DAY_MS - 1);
    expect(links.read(configure, 'configure').ok).toBe(true);
    clock.advance(1);
    expect(links.read(configure, 'configure')).toEqual({ ok: false, problem: 'expired' });
  });

  it('still opens after the secret is rotated, while the old secret is kept', () => {
    const token = links.issue(id, 'status');
    const rotated = createSignedLinks(
      createSigner([secret('the next secret'), secret('the newest secret')]),
      { linkDays: 30, now: clock.now },
    );
    expect(rotated.read(token, 'status').ok).toBe(true);
  });
});

describe('a configure link is used once', () => {
  const prefix = uniquePrefix('links-used');
  const connections: Redis[] = [];
  beforeAll(async () => {
    connections.push(await connectCommandRedis(REDIS_URL), await connectCommandRedis(REDIS_URL));
  });
  afterAll(async () => {
    for (const redis of connections) redis.disconnect();
    await deletePrefix(prefix);
  });

  it('claims the nonce for the first of two processes, until the link expires', async () => {
    const [one, two] = connections.map((redis) => createUsedLinks(redis, prefix));
    const now = Date.now();
    const claims: LinkClaims = { r: 'req-1', a: 'configure', e: now + 60_000, n: 'n'.repeat(22) };
    const answers = await Promise.all([one!.claim(claims, now), two!.claim(claims, now)]);
    expect(answers.sort()).toEqual([false, true]);
    expect(await one!.isUsed(claims)).toBe(true);
    const ttl = await connections[0]!.pttl(`${prefix}:link-used:${claims.n}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    // A fault after the claim gives it back, so the link works again.
    await two!.release(claims);
    expect(await one!.claim(claims, now)).toBe(true);
  });
});

describe('the email carries the links', () => {
  const renderer = createTemplateRenderer('templates');
  const settings = {
    from: 'ecat@example.nhs.uk',
    to: 'england.bookingandreferralstandard@nhs.net',
  };
  const record = (environment: 'INT' | 'PROD') =>
    ({
      id: 'req-2f0c7b9e-4a51-4a55-9d3e-0f6d1e1c2b3a',
      messageId: '<req-1@example.nhs.uk>',
      createdAt: '2026-11-24T10:00:00.000Z',
      request: {
        ...requestBody(),
        environment,
        ...(environment === 'PROD' ? { tccReference: 'TCC-123' } : {}),
      },
      urgency: { level: 'routine', workingDays: 20, reason: 'testing starts in 20 working days' },
      careConnect: { status: 'careconnect', address: 'ASID:918999198993', detail: 'Found.' },
      warnings: [],
    }) as unknown as RequestRecord;
  const signer = createSigner([secret('email secret')]);
  const make = (publicUrlConfigured: boolean) =>
    emailLinksFor(signer, {
      linkDays: 30,
      now: () => new Date(),
      publicUrl: PUBLIC_URL,
      publicUrlConfigured,
    });

  it('gives the BaRS team "Mark as configured" for the environment and the requester their page', () => {
    for (const [environment, words] of [
      ['INT', 'Mark as configured in INT'],
      ['PROD', 'Mark as configured in Prod'],
    ] as const) {
      const stored = record(environment);
      const email = configurationEmailFor(stored, settings, renderer, make(true)(stored));
      const forTheTeam = email.text.slice(email.text.indexOf('FOR THE BARS TEAM'));
      expect(forTheTeam).toMatch(
        new RegExp(
          `${words} \\(the link works once\\):\\n +${PUBLIC_URL}/link/[\\w-]+\\.[\\w-]+\\n`,
        ),
      );
      expect(email.text).toMatch(
        new RegExp(`Follow your request: ${PUBLIC_URL}/status/[\\w-]+\\.[\\w-]+\\n`),
      );
      expect(email.html).toMatch(
        new RegExp(`<a href="${PUBLIC_URL}/link/[\\w.-]+"[^>]*>${words}</a>`),
      );
      expect(email.html).toMatch(new RegExp(`Follow your request: <a href="${PUBLIC_URL}/status/`));
    }
  });

  it('says the links are unavailable without PUBLIC_URL, and withholds them when shown again', () => {
    const stored = record('INT');
    const unavailable = configurationEmailFor(stored, settings, renderer, make(false)(stored));
    const shown = configurationEmailFor(stored, settings, renderer);
    const sentence =
      'Links are unavailable: this ecat has no PUBLIC_URL. Confirm in ecat or reply to this email.';
    for (const part of [unavailable.text, unavailable.html]) {
      expect(part).toContain(sentence);
      expect(part).not.toMatch(/\/link\/|\/status\/|Follow your request/);
    }
    for (const part of [shown.text, shown.html]) {
      expect(part).not.toContain(sentence);
      expect(part).not.toMatch(/\/link\/|\/status\//);
      expect(part).toContain('(the link is in the email as sent)');
    }
    // The same email otherwise: one Message-ID, one subject.
    expect(shown.messageId).toBe(unavailable.messageId);
    expect(shown.subject).toBe(unavailable.subject);
  });
});

describe('the links from the email, as the BaRS team and the requester use them', () => {
  const delivery = useDelivery();
  const clock = movableClock();
  const apps: FastifyInstance[] = [];
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
  });

  async function serverFor(runtime: Runtime): Promise<FastifyInstance> {
    const app = await buildTestServer(runtime);
    apps.push(app);
    return app;
  }

  async function setUp(name: string) {
    const runtime = await delivery.runtime(name, { env: { PUBLIC_URL }, now: clock.now });
    return { runtime, app: await serverFor(runtime) };
  }

  /** Accepts a request, lets the worker email it, and takes the links from the email caught. */
  async function sentWithLinks(runtime: Runtime, dosServiceId: string) {
    const id = await delivery.accept(
      runtime,
      requestBody({ dosServiceId, testDates: testDatesIn(40, clock.now) }),
    );
    delivery.worker(runtime);
    const mail = await mailAbout(id, /BaRS Endpoint Catalogue: add DoS service/);
    await delivery.waitForStatus(runtime, id, 'sent');
    const text = mail.text ?? '';
    const path = (kind: string) => {
      const found = new RegExp(`${PUBLIC_URL}(/${kind}/[\\w-]+\\.[\\w-]+)`).exec(text)?.[1];
      if (!found) throw new Error(`no /${kind}/ link in the email:\n${text}`);
      return found;
    };
    return { id, configure: path('link'), status: path('status') };
  }

  function mailAbout(id: string, subject: RegExp): Promise<ParsedMail> {
    return until(
      () =>
        delivery.sink.messages.find(
          (mail) =>
            mail.headers.get('x-ecat-request-id') === id && subject.test(mail.subject ?? ''),
        ),
      15_000,
      `an email about ${id} with the subject ${subject}`,
    );
  }

  function post(app: FastifyInstance, url: string, fields: Record<string, string>) {
    return app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });
  }

  /** The page's heading and main text, without the markup. */
  function words(response: LightMyRequestResponse): string {
    return response.body
      .replace(/<script[\s\S]*?<\/script>/g, '')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&#39;|&rsquo;/g, '’')
      .replace(/\s+/g, ' ');
  }

  /** One character of the token changed at `index` from its end (within the part given). */
  function changed(path: string, part: 'payload' | 'signature'): string {
    const [base, token = ''] = [path.slice(0, path.lastIndexOf('/') + 1), path.split('/').pop()];
    const dot = token.indexOf('.');
    const at = part === 'payload' ? Math.floor(dot / 2) : dot + 10;
    const swapped = token[at] === 'A' ? 'B' : 'A';
    return `${base}${token.slice(0, at)}${swapped}${token.slice(at + 1)}`;
  }

  it('marks the request configured once from the email; the requester hears they are live', async () => {
    const { runtime, app } = await setUp('links-confirm');
    const { id, configure, status } = await sentWithLinks(runtime, '2000072489');

    const page = await app.inject({ method: 'GET', url: configure });
    expect(page.statusCode).toBe(200);
    expect(words(page)).toContain('Mark as configured in INT');
    expect(words(page)).toContain('2000072489');
    const csrf = csrfOf(page.body);
    expect(csrf).not.toBe('');

    const marked = await post(app, configure, { _csrf: csrf });
    expect(marked.statusCode).toBe(303);
    expect(marked.headers.location).toBe(`${configure}?done=1`);
    const done = await app.inject({ method: 'GET', url: String(marked.headers.location) });
    expect(done.statusCode).toBe(200);
    expect(words(done)).toContain('Marked as configured');

    const record = await delivery.record(runtime, id);
    expect(record.status).toBe('configured');
    expect(record.history.at(-1)).toMatchObject({
      event: 'configured',
      actor: ACTORS.emailLink,
    });
    // The requester's page says who did it, and offers nothing more to change.
    const followed = await app.inject({ method: 'GET', url: status });
    expect(words(followed)).toContain('the BaRS team, by the email link');
    expect(words(followed)).not.toContain('Change test dates');
    const live = await mailAbout(id, /^You are live/);
    expect(live.to).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });

    // A second use, from the same page, changes nothing.
    const again = await post(app, configure, { _csrf: csrf });
    expect(again.statusCode).toBe(410);
    expect(words(again)).toContain('This link has already been used');
    expect(words(again)).toContain('Nothing has been changed');
    const after = await delivery.record(runtime, id);
    expect(after.status).toBe('configured');
    expect(after.history.filter((entry) => entry.event === 'configured')).toHaveLength(1);
    expect(
      after.history.filter((entry) => entry.actor?.name === ACTORS.emailLink.name),
    ).toHaveLength(1);
    expect((await app.inject({ method: 'GET', url: configure })).statusCode).toBe(410);
  });

  it('refuses a changed, misdirected or expired link with a page saying why, and changes nothing', async () => {
    const { runtime, app } = await setUp('links-refused');
    const { id, configure, status } = await sentWithLinks(runtime, '6800000001');
    const page = await app.inject({ method: 'GET', url: configure });
    const csrf = csrfOf(page.body);
    const before = await delivery.record(runtime, id);

    const refusals: [string, number, string][] = [
      [changed(configure, 'payload'), 400, 'This link is not valid'],
      [changed(configure, 'signature'), 400, 'This link is not valid'],
      [`/link/${status.split('/').pop()}`, 403, 'This link is not valid'],
      ['/link/not-a-token', 400, 'This link is not valid'],
    ];
    for (const [url, code, heading] of refusals) {
      for (const method of ['GET', 'POST'] as const) {
        const answer =
          method === 'GET'
            ? await app.inject({ method, url })
            : await post(app, url, { _csrf: csrf });
        expect([url, method, answer.statusCode]).toEqual([url, method, code]);
        expect(words(answer)).toContain(heading);
        expect(words(answer)).toContain('Nothing has been changed');
      }
    }
    // The configure link does not open the requester's page either.
    const misdirected = await app.inject({
      method: 'GET',
      url: `/status/${configure.split('/').pop()}`,
    });
    expect(misdirected.statusCode).toBe(403);

    clock.advance(31 * DAY_MS);
    try {
      const expired = await post(app, configure, { _csrf: csrf });
      expect(expired.statusCode).toBe(410);
      expect(words(expired)).toContain('This link has expired');
      expect((await app.inject({ method: 'GET', url: configure })).statusCode).toBe(410);
    } finally {
      clock.advance(-31 * DAY_MS);
    }
    expect(await delivery.record(runtime, id)).toEqual(before);
    // Back in its time, the link still works: nothing above used it up.
    expect((await app.inject({ method: 'GET', url: configure })).statusCode).toBe(200);
  });

  it('lets the requester change the test dates (urgency rated again, BaRS team told) and withdraw', async () => {
    const { runtime, app } = await setUp('links-status');
    const { id, status } = await sentWithLinks(runtime, '6800000002');

    const page = await app.inject({ method: 'GET', url: status });
    expect(page.statusCode).toBe(200);
    expect(words(page)).toContain('Change test dates');
    expect(words(page)).toContain('Withdraw this request');
    expect(words(page)).toContain('Routine');
    const csrf = csrfOf(page.body);

    // A date that does not exist: the error summary, and what was typed kept.
    const wrong = await post(app, `${status}/test-dates`, {
      _csrf: csrf,
      'testDates-from-day': '31',
      'testDates-from-month': '2',
      'testDates-from-year': '2027',
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.body).toContain('nhsuk-error-summary');
    expect(wrong.body).toMatch(/name="testDates-from-day"[^>]*value="31"/);
    expect((await delivery.record(runtime, id)).request.testDates).toEqual(
      testDatesIn(40, clock.now),
    );

    const soon = addDays(londonDate(clock.now()), 2);
    const [year, month, day] = soon.split('-');
    const moved = await post(app, `${status}/test-dates`, {
      _csrf: csrf,
      'testDates-from-day': String(Number(day)),
      'testDates-from-month': String(Number(month)),
      'testDates-from-year': year!,
    });
    expect(moved.statusCode).toBe(303);
    const banner = await app.inject({ method: 'GET', url: String(moved.headers.location) });
    expect(words(banner)).toContain('Test dates changed: urgency is now urgent');
    const changedRecord = await delivery.record(runtime, id);
    expect(changedRecord.request.testDates).toEqual({ from: soon });
    expect(changedRecord.urgency.level).toBe('urgent');
    expect(changedRecord.history.at(-1)?.actor).toEqual(ACTORS.requesterLink);
    const told = await mailAbout(id, /New test dates/);
    expect(told.to).toMatchObject({
      value: [{ address: 'england.bookingandreferralstandard@nhs.net' }],
    });

    const withdrawn = await post(app, `${status}/withdraw`, { _csrf: csrf, reason: 'Not needed' });
    expect(withdrawn.statusCode).toBe(303);
    const after = await app.inject({ method: 'GET', url: String(withdrawn.headers.location) });
    expect(words(after)).toContain('Request withdrawn');
    expect(after.body).not.toContain('Change test dates');
    const record = await delivery.record(runtime, id);
    expect(record.status).toBe('cancelled');
    expect(record.history.at(-1)?.actor).toEqual(ACTORS.requesterLink);
    await mailAbout(id, /withdrawn/i);
  });

  it('says the links are unavailable in the email when ecat has no PUBLIC_URL', async () => {
    const runtime = await delivery.runtime('links-no-url', { now: clock.now });
    const id = await delivery.accept(runtime, requestBody({ dosServiceId: '6800000003' }));
    delivery.worker(runtime);
    const mail = await mailAbout(id, /BaRS Endpoint Catalogue: add DoS service/);
    expect(mail.text).toContain(
      'Links are unavailable: this ecat has no PUBLIC_URL. Confirm in ecat or reply to this email.',
    );
    expect(mail.text).not.toMatch(/\/link\/|\/status\//);
  });
});

// Confirmation from the BaRS proxy (msw) on the real Redis: not found twice, then live →
// configured by catalogue and the requester told once; 500s and 429s change nothing.
import { http, HttpResponse } from 'msw';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer } from '../src/adapters/mail/transport.ts';
import { sweepCatalogue } from '../src/use-cases/follow-ups/catalogue-check.ts';
import { chaserJobId } from '../src/adapters/queues/follow-up-jobs.ts';
import { createFollowUps, type FollowUps } from '../src/wiring/follow-ups.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import type { RequestRecord } from '../src/domain/request/record.ts';
import { openRuntime, startWorker, type Runtime } from '../src/wiring/runtime.ts';
import { proxyNotFound, statement } from './catalogue-fixtures.ts';
import { deletePrefix, requestBody, testConfig, uniquePrefix } from './support/ecat.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { useMsw } from './support/msw.ts';
import { CATALOGUE_CHECK_JOB, OVERDUE_SWEEP_JOB } from '../src/ports/jobs.ts';
import { ACTORS } from '../src/domain/people/person.ts';

const BASE = 'https://int.api.service.nhs.uk/booking-and-referral/FHIR/R4';
const TOKEN = 'never-log-this-token';
const prefix = uniquePrefix('catalogue');
let clock = new Date('2027-01-04T10:00:00Z');
let sink: SmtpSink;
let runtime: Runtime;
let followUps: FollowUps;
const logged: string[] = [];

/** Answers per DoS service id, in turn; the last answer repeats. */
const answers = new Map<string, (() => Response)[]>();
const asked: string[] = [];
useMsw([
  http.get(`${BASE}/metadata`, ({ request }) => {
    const target = JSON.parse(
      Buffer.from(request.headers.get('nhsd-target-identifier') ?? '', 'base64').toString(),
    ) as { value: string };
    asked.push(target.value);
    const queue = answers.get(target.value) ?? [proxyNotFound];
    return (queue.length > 1 ? queue.shift()! : queue[0]!)();
  }),
]);

async function sentRequest(dosServiceId: string): Promise<string> {
  const result = await submitRequest(
    requestBody({ dosServiceId, testDates: { from: '2027-03-01' } }),
    runtime.intakeDeps('test'),
  );
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  // As the send job would; the test drives the worker's other jobs by hand.
  await runtime.store.transition(result.id, 'sent', {
    actor: ACTORS.cli,
    event: 'sent',
    reason: 'test',
  });
  return result.id;
}

const record = async (id: string): Promise<RequestRecord> => (await runtime.store.get(id))!;
const later = (minutes: number) => {
  clock = new Date(clock.getTime() + minutes * 60_000);
};

beforeAll(async () => {
  sink = await startSmtpSink();
  const config = testConfig(prefix, {
    SMTP_URL: sink.url,
    CATALOGUE_URL_INT: BASE,
    APIM_ACCESS_TOKEN: TOKEN,
  });
  runtime = await openRuntime(config, { now: () => clock });
  const logs = new PassThrough();
  logs.on('data', (chunk: Buffer) => logged.push(chunk.toString()));
  const mailer = createMailer({ smtpUrl: sink.url, outboxDir: 'var/outbox' });
  followUps = createFollowUps(runtime, mailer, pino({ level: 'debug' }, logs));
  await followUps.ready;
});

afterAll(async () => {
  await followUps.deps.mailer.close();
  await runtime.close();
  await deletePrefix(prefix);
  await sink.close();
});

describe('confirming through the BaRS proxy', () => {
  it('keeps a request outstanding while not found, then marks it configured by catalogue', async () => {
    const id = await sentRequest('6000000001');
    answers.set('6000000001', [proxyNotFound, proxyNotFound, () => HttpResponse.json(statement)]);

    expect(await sweepCatalogue(followUps.deps)).toMatchObject({ absent: [id] });
    // Asked again only once its interval (hourly, weeks before testing) has passed.
    later(30);
    expect(await sweepCatalogue(followUps.deps)).toMatchObject({ absent: [], live: [] });
    later(31);
    expect(await sweepCatalogue(followUps.deps)).toMatchObject({ absent: [id] });
    expect((await record(id)).status).toBe('sent');
    later(61);
    expect(await sweepCatalogue(followUps.deps)).toMatchObject({ live: [id] });
    expect(asked).toEqual(['6000000001', '6000000001', '6000000001']);

    const configured = await record(id);
    expect(configured.status).toBe('configured');
    expect(configured.history.at(-1)).toMatchObject({
      event: 'configured',
      status: 'configured',
      details: { by: 'catalogue', environment: 'INT' },
    });
    expect(configured.history.at(-1)?.reason).toMatch(
      /^confirmed in the BaRS Endpoint Catalogue \(INT\): the proxy answered \/metadata with the receiver's CapabilityStatement/,
    );
    expect(await runtime.queue.getJob(chaserJobId(id))).toBeUndefined();

    // The worker sends the "you are live" notice, once, to the requester alone.
    const worker = startWorker(runtime, pino({ level: 'silent' }));
    try {
      const [notice] = await sink.waitForMessages(1);
      expect(notice!.subject).toBe(
        'You are live in the BaRS Endpoint Catalogue: DoS service 6000000001 (INT)',
      );
      expect(notice!.to).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
      expect(notice!.cc).toBeUndefined();
      expect(notice!.inReplyTo).toBe(configured.messageId);
      // The sweeps run on the follow-up queue, none on the mail queue (whose retention they'd trim).
      expect(await runtime.followUpQueue.getJobScheduler(CATALOGUE_CHECK_JOB)).toBeDefined();
      expect(await runtime.followUpQueue.getJobScheduler(OVERDUE_SWEEP_JOB)).toBeDefined();
      expect(await runtime.queue.getJobSchedulers()).toEqual([]);
      later(120);
      await sweepCatalogue(followUps.deps);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(sink.messages).toHaveLength(1);
      expect(
        (await record(id)).history.filter((e) => e.event === 'configured-notice'),
      ).toHaveLength(1);
    } finally {
      await worker.stop(5000);
    }
  });

  let failing: string;

  it('changes nothing on a 500, and tries again later', async () => {
    const id = await sentRequest('6000000002');
    failing = id;
    answers.set('6000000002', [() => HttpResponse.json({}, { status: 500 })]);
    const before = await record(id);
    later(120);
    expect(await sweepCatalogue(followUps.deps)).toMatchObject({ unavailable: [id] });
    later(61);
    expect(await sweepCatalogue(followUps.deps)).toMatchObject({ unavailable: [id] });
    expect(await record(id)).toEqual(before);
    expect(sink.messages).toHaveLength(1);
    expect(logged.join('')).toContain('check failed, will ask again later: HTTP 500');
  });

  it('stops asking that proxy for as long as a 429 says', async () => {
    const id = await sentRequest('6000000003');
    answers.set('6000000002', [proxyNotFound]);
    answers.set('6000000003', [
      () => new HttpResponse(null, { status: 429, headers: { 'Retry-After': '30' } }),
    ]);
    later(120);
    asked.length = 0;
    const first = await sweepCatalogue(followUps.deps);
    // Nearest testing first; both test on 1 March, so the older request is asked first.
    expect(first).toMatchObject({ absent: [failing], throttled: [id] });
    later(120);
    expect(await sweepCatalogue(followUps.deps)).toMatchObject({
      skipped: expect.arrayContaining([id]) as unknown,
    });
    expect(asked).toEqual(['6000000002', '6000000003']);
    expect((await record(id)).status).toBe('sent');
  });

  it('never logs the API-M credentials', () => {
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join('')).not.toContain(TOKEN);
  });
});

// Chasers and overdue on the real Redis and a loopback SMTP server, with an injected clock:
// delayed jobs are promoted when the clock reaches their moment, as BullMQ would do then.
import type { FastifyInstance } from 'fastify';
import type { ParsedMail } from 'mailparser';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chaserJobId,
  overdueNoticeJobId,
  rescheduleChaser,
} from '../src/adapters/queues/follow-up-jobs.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { PRIORITY } from '../src/adapters/queues/queues.ts';
import { isOverdue, type RequestRecord } from '../src/domain/request/record.ts';
import { addDays, londonDate } from '../src/domain/dates.ts';
import { usage } from '../src/adapters/cli/main.ts';
import { loadConfig } from '../src/wiring/config.ts';
import {
  openRuntime,
  startWorker,
  type RunningWorker,
  type Runtime,
} from '../src/wiring/runtime.ts';
import { buildTestServer } from './support/web.ts';
import {
  deletePrefix,
  ecat,
  requestBody,
  testConfig,
  testEnv,
  uniquePrefix,
} from './support/ecat.ts';
import { until } from './support/poll.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { OVERDUE_NOTICE_JOB, OVERDUE_SWEEP_JOB } from '../src/ports/jobs.ts';
import { ACTORS } from '../src/domain/people/person.ts';

const prefix = uniquePrefix('followup');
let clock = new Date('2027-03-15T10:00:00Z'); // Monday; testing Wednesday 31 March
let sink: SmtpSink;
let runtime: Runtime;
let worker: RunningWorker;

async function record(id: string): Promise<RequestRecord> {
  return (await runtime.store.get(id))!;
}

async function accept(dosServiceId: string, from = '2027-03-31'): Promise<string> {
  const result = await submitRequest(
    requestBody({ dosServiceId, testDates: { from } }),
    runtime.intakeDeps('test'),
  );
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  return result.id;
}

const messagesFor = (id: string): ParsedMail[] =>
  sink.messages.filter((mail) => mail.headers.get('x-ecat-request-id') === id);

/** The request's chaser job, once it has run (`what` names the wait if it never does). */
const finishedChaser = (id: string, what: string) =>
  until(
    async () => {
      const job = await runtime.queue.getJob(chaserJobId(id));
      return job?.finishedOn ? job : undefined;
    },
    15_000,
    what,
  );

/** Runs the overdue sweep now, as its scheduler would, and answers what it returned. */
async function sweep(): Promise<string> {
  const job = await runtime.followUpQueue.add(OVERDUE_SWEEP_JOB, {}, { priority: PRIORITY.high });
  return until(
    async () => {
      const done = await runtime.followUpQueue.getJob(job.id!);
      return done?.finishedOn ? String(done.returnvalue) : undefined;
    },
    15_000,
    'the overdue sweep',
  );
}

beforeAll(async () => {
  sink = await startSmtpSink();
  // The trailing slash is dropped: the notice links to PUBLIC_URL/requests/<id>.
  runtime = await openRuntime(
    testConfig(prefix, { SMTP_URL: sink.url, PUBLIC_URL: 'https://ecat.example.nhs.uk/' }),
    { now: () => clock },
  );
  worker = startWorker(runtime, pino({ level: 'silent' }));
});

afterAll(async () => {
  await worker.stop(5000);
  await runtime.close();
  await deletePrefix(prefix);
  await sink.close();
});

describe('a request 10 working days from testing', () => {
  let live: string;
  let confirmed: string;

  it('is given one delayed chaser, due 09:00 three working days before testing', async () => {
    live = await accept('5000000001');
    confirmed = await accept('5000000002');
    expect((await record(live)).urgency).toMatchObject({ level: 'high', workingDays: 10 });
    const job = (await runtime.queue.getJob(chaserJobId(live)))!;
    expect(job.name).toBe('chaser');
    expect(await job.isDelayed()).toBe(true);
    expect(job.delay).toBe(Date.parse('2027-03-24T09:00:00Z') - clock.getTime());
    expect(job.opts.priority).toBe(PRIORITY.high);
    expect(job.data).toEqual({ requestId: live, sendOn: '2027-03-24' });

    // The original emails go now; nothing else until the chaser's day.
    await sink.waitForMessages(2);
    await until(
      async () => ((await record(confirmed)).status === 'sent' ? true : undefined),
      15_000,
      'both sent',
    );
    expect(await job.isDelayed()).toBe(true);
  });

  it('sends exactly one reminder on the day, threaded under the original; none once confirmed', async () => {
    await runtime.store.transition(confirmed, 'configured', {
      actor: ACTORS.cli,
      event: 'configured',
      reason: 'test',
    });
    clock = new Date('2027-03-24T09:00:00Z');
    for (const id of [live, confirmed])
      await (await runtime.queue.getJob(chaserJobId(id)))!.promote();

    const skipped = await finishedChaser(confirmed, 'the confirmed request’s chaser to finish');
    expect(skipped.returnvalue).toBe('skipped: the request is configured');
    await until(
      async () =>
        (await record(live)).history.some((e) => e.event === 'chaser') ? true : undefined,
      15_000,
      'the chaser',
    );

    const original = (await record(live)).messageId;
    const [first, chaser, ...more] = messagesFor(live);
    expect(more).toEqual([]);
    expect(first!.messageId).toBe(original);
    expect(chaser!.subject).toBe(`Reminder: ${first!.subject}`);
    expect(chaser!.inReplyTo).toBe(original);
    expect(chaser!.references).toEqual(original);
    expect(chaser!.messageId).toBe(original.replace('<req-', '<chaser-req-'));
    expect(chaser!.to).toMatchObject({
      value: [{ address: 'england.bookingandreferralstandard@nhs.net' }],
    });
    expect(chaser!.cc).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    expect(chaser!.text).toContain('Testing starts on Wednesday 31 March 2027, in 3 working days');
    expect(messagesFor(confirmed)).toHaveLength(1);

    // Planned again (as after a change), it still never sends a second reminder.
    const again = await rescheduleChaser(
      runtime.queue,
      await record(live),
      runtime.foundation.calendar,
      runtime.config.chaser,
      new Date('2027-03-23T09:00:00Z'),
    );
    expect(again?.sendOn).toBe('2027-03-24');
    await (await runtime.queue.getJob(chaserJobId(live)))!.promote();
    const rerun = await finishedChaser(live, 'the re-planned chaser');
    expect(rerun.returnvalue).toBe('skipped: a reminder went already');
    expect((await record(live)).history.filter((e) => e.event === 'chaser')).toHaveLength(1);
    expect(messagesFor(live)).toHaveLength(2);
  });

  it('is flagged overdue on the test date, shown everywhere, and its requester alone is told once', async () => {
    clock = new Date('2027-03-30T22:59:00Z'); // 23:59 on the 30th in London (BST)
    expect(await sweep()).toMatch(/^overdue: 0 marked/);
    expect((await record(live)).overdue).toBe(false);

    clock = new Date('2027-03-30T23:05:00Z'); // 00:05 on the 31st in London
    expect(await sweep()).toBe(`overdue: 1 marked (${live}), 1 notices queued`);
    // The notice waits its turn on the mail queue, under the mail limits, like every email.
    const queued = await runtime.queue.getJob(overdueNoticeJobId(live));
    expect(queued?.name).toBe(OVERDUE_NOTICE_JOB);
    await until(
      async () => (await record(live)).history.some((e) => e.event === 'overdue-notice'),
      15_000,
      'the overdue notice sent',
    );
    const flagged = await record(live);
    expect(flagged.overdue).toBe(true);
    expect(flagged.history.map((e) => e.event).slice(-2)).toEqual(['overdue', 'overdue-notice']);
    expect(flagged.history.at(-2)?.reason).toBe(
      'testing was due to start on Wednesday 31 March 2027 and the service is not configured yet',
    );
    const notice = messagesFor(live)[2]!;
    expect(notice.subject).toBe(
      'Overdue: DoS service 5000000001 (INT) is not yet in the BaRS Endpoint Catalogue',
    );
    expect(notice.to).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    expect(notice.cc).toBeUndefined();
    expect(notice.inReplyTo).toBe(flagged.messageId);

    expect(await sweep()).toBe('overdue: 0 marked, 0 notices queued');
    expect(messagesFor(live)).toHaveLength(3);
    expect((await record(confirmed)).overdue).toBe(false);

    const listed = await ecat(['list'], testEnv(prefix));
    expect(listed.stdout.split('\n').find((line) => line.startsWith(live))).toMatch(/OVERDUE$/);
    const app = await buildTestServer(runtime);
    try {
      const page = await app.inject({ url: '/requests' });
      expect(page.body).toContain('1 overdue');
      const metrics = await app.inject({ url: '/metrics' });
      expect(metrics.body).toMatch(/^ecat_overdue_requests 1$/m);
    } finally {
      await app.close();
    }

    // Confirmed at last: no longer overdue.
    await runtime.store.transition(live, 'configured', {
      actor: ACTORS.cli,
      event: 'configured',
      reason: 'test',
    });
    expect((await record(live)).overdue).toBe(false);
  });

  it('records a notice the mail server refuses for good, and queues it no more', async () => {
    clock = new Date('2027-03-15T10:00:00Z');
    const refused = await accept('5000000008');
    await until(async () => (await record(refused)).status === 'sent', 15_000, 'sent');
    sink.recipient = (address) =>
      address === 'alex.morgan@nhs.net'
        ? { kind: 'refuse', code: 550, message: '5.1.1 mailbox unavailable' }
        : { kind: 'accept' };
    try {
      clock = new Date('2027-03-30T23:05:00Z');
      expect(await sweep()).toBe(`overdue: 1 marked (${refused}), 1 notices queued`);
      await until(
        async () => (await record(refused)).history.some((e) => e.event === 'overdue-notice'),
        15_000,
        'the refused notice recorded',
      );
      const notice = (await record(refused)).history.find((e) => e.event === 'overdue-notice');
      expect(notice?.reason).toMatch(
        /^the overdue notice to alex\.morgan@nhs\.net was refused by the mail server: 550/,
      );
      expect(notice?.details).toMatchObject({ delivered: false });
      expect(await sweep()).toBe('overdue: 0 marked, 0 notices queued');
    } finally {
      sink.recipient = () => ({ kind: 'accept' });
    }
  });
});

describe('a request confirmed or cancelled by hand', () => {
  it('loses its waiting chaser, through the API and through the CLI', async () => {
    clock = new Date('2027-03-15T10:00:00Z');
    const byApi = await accept('5000000003');
    const byCli = await accept('5000000004');
    for (const id of [byApi, byCli]) {
      expect(await (await runtime.queue.getJob(chaserJobId(id)))?.isDelayed()).toBe(true);
    }

    const app = await buildTestServer(runtime);
    try {
      const answer = await app.inject({
        method: 'POST',
        url: `/api/requests/${byApi}/confirm`,
        headers: { 'content-type': 'application/json' },
      });
      expect(answer.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const cancelled = await ecat(['cancel', byCli], testEnv(prefix));
    expect(cancelled.code).toBe(0);

    expect(await runtime.queue.getJob(chaserJobId(byApi))).toBeUndefined();
    expect(await runtime.queue.getJob(chaserJobId(byCli))).toBeUndefined();
    expect((await record(byApi)).status).toBe('configured');
    expect((await record(byCli)).status).toBe('cancelled');
  });
});

describe('a request whose test date has come before any sweep has run', () => {
  it('is marked OVERDUE by ecat list and ecat show from the date itself', async () => {
    clock = new Date('2026-06-01T10:00:00Z');
    const result = await submitRequest(
      requestBody({ dosServiceId: '5000000009', testDates: { from: '2026-07-01' } }),
      runtime.intakeDeps('test'),
    );
    if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
    // The ecat commands read the real clock, long past 1 July 2026; the sweep has not flagged it.
    expect((await record(result.id)).overdue).toBe(false);

    const listed = await ecat(['list'], testEnv(prefix));
    expect(listed.stdout.split('\n').find((line) => line.startsWith(result.id))).toMatch(
      /2026-07-01 {2}OVERDUE$/,
    );
    const shown = await ecat(['show', result.id], testEnv(prefix));
    expect(shown.stdout.split('\n')[0]).toMatch(/ \(OVERDUE\)$/);
    const json = await ecat(['show', result.id, '--json'], testEnv(prefix));
    expect(JSON.parse(json.stdout)).toMatchObject({ id: result.id, overdue: true });

    await runtime.store.transition(result.id, 'cancelled', {
      actor: ACTORS.cli,
      event: 'cancelled',
      reason: 'test',
    });
    const after = await ecat(['show', result.id], testEnv(prefix));
    expect(after.stdout.split('\n')[0]).toBe(`${result.id}: cancelled`);
  });
});

describe('overdue as CONTRACT.md defines it: outstanding, first test date come, sent before today', () => {
  const sentOnTheDay = {
    status: 'sent',
    earliestTestDate: '2027-04-14',
    createdAt: '2027-04-14T08:00:00.000Z',
  } as const;

  it('is not overdue on the day it was sent, even on its first test date; overdue the next day', () => {
    expect(isOverdue(sentOnTheDay, '2027-04-14')).toBe(false);
    expect(isOverdue(sentOnTheDay, '2027-04-15')).toBe(true);
    const sentBefore = { ...sentOnTheDay, createdAt: '2027-04-01T08:00:00.000Z' };
    expect(isOverdue(sentBefore, '2027-04-13')).toBe(false);
    expect(isOverdue(sentBefore, '2027-04-14')).toBe(true);
  });

  it('takes the day it was sent in London, not in UTC', () => {
    // 23:30 UTC on the 13th is 00:30 on the 14th in London (BST): sent on the 14th.
    expect(
      isOverdue({ ...sentOnTheDay, createdAt: '2027-04-13T23:30:00.000Z' }, '2027-04-14'),
    ).toBe(false);
    // 23:30 UTC on 1 February is still the 1st in London (GMT): sent the day before testing.
    const winter = { ...sentOnTheDay, earliestTestDate: '2027-02-02' };
    expect(isOverdue({ ...winter, createdAt: '2027-02-01T23:30:00.000Z' }, '2027-02-02')).toBe(
      true,
    );
  });

  it('is never overdue once configured or cancelled, nor without test dates', () => {
    for (const status of ['configured', 'cancelled'] as const) {
      expect(isOverdue({ ...sentOnTheDay, status }, '2027-04-20')).toBe(false);
    }
    const { earliestTestDate: _none, ...undated } = sentOnTheDay;
    expect(isOverdue(undated, '2027-04-20')).toBe(false);
    for (const status of ['queued', 'failed'] as const) {
      expect(isOverdue({ ...sentOnTheDay, status }, '2027-04-20')).toBe(true);
    }
  });
});

/** Every command `ecat` has, from its own usage text: a notice names none of them. */
const CLI_COMMANDS = [...usage().matchAll(/^ {2}ecat (\w+)/gm)].map((match) => match[1]!);

describe('a request sent on the day of its first test date', () => {
  let id: string;
  let app: FastifyInstance;
  let overdueBefore: number;

  beforeAll(async () => {
    app = await buildTestServer(runtime);
  });
  afterAll(async () => {
    await app.close();
  });

  const overdueMetric = async () => {
    const text = (await app.inject({ url: '/metrics' })).body;
    return Number(/^ecat_overdue_requests (\d+)$/m.exec(text)?.[1]);
  };
  const apiOverdue = async () => {
    const one = (await app.inject({ url: `/api/requests/${id}` })).json<{ overdue: boolean }>();
    const listed = (await app.inject({ url: '/api/requests' })).json<{
      items: { id: string; overdue: boolean }[];
    }>();
    return [one.overdue, listed.items.find((item) => item.id === id)?.overdue];
  };

  it('is not overdue that day: no notice, and the API, pages and metrics say so', async () => {
    clock = new Date('2027-04-14T08:00:00Z'); // 09:00 on Wednesday 14 April in London (BST)
    overdueBefore = await overdueMetric();
    id = await accept('5000000010', '2027-04-14');
    await until(async () => (await record(id)).status === 'sent', 15_000, 'sent');

    for (const at of ['2027-04-14T08:00:00Z', '2027-04-14T22:59:00Z']) {
      clock = new Date(at); // in the morning, and at 23:59 in London
      expect(await sweep()).not.toContain(id);
      expect(await runtime.store.overdueIds('2027-04-14')).not.toContain(id);
      expect(await apiOverdue()).toEqual([false, false]);
      expect(await overdueMetric()).toBe(overdueBefore);
      const page = (await app.inject({ url: '/requests' })).body;
      expect(page).toMatch(new RegExp(`<tr class="nhsuk-table__row" id="${id}"`));
      const own = (await app.inject({ url: `/requests/${id}` })).body;
      expect(own).not.toContain('Overdue');
    }
    const stored = await record(id);
    expect(stored.overdue).toBe(false);
    expect(stored.history.map((entry) => entry.event)).toEqual(['queued', 'sent']);
    expect(await runtime.queue.getJob(overdueNoticeJobId(id))).toBeUndefined();
    expect(messagesFor(id)).toHaveLength(1); // the request email alone
  });

  it('is overdue the next day if still outstanding, and its requester is told then, in words', async () => {
    clock = new Date('2027-04-14T23:05:00Z'); // 00:05 on Thursday 15 April in London
    // Shown from the day itself, before any sweep has run.
    expect(await apiOverdue()).toEqual([true, true]);
    expect(await overdueMetric()).toBe(overdueBefore + 1);
    expect((await app.inject({ url: '/requests' })).body).toMatch(
      new RegExp(`<tr class="nhsuk-table__row ecat-overdue" id="${id}"`),
    );

    expect(await sweep()).toBe(`overdue: 1 marked (${id}), 1 notices queued`);
    await until(
      async () => (await record(id)).history.some((e) => e.event === 'overdue-notice'),
      15_000,
      'the overdue notice sent',
    );
    expect((await record(id)).history.at(-2)?.reason).toBe(
      'testing was due to start on Wednesday 14 April 2027 and the service is not configured yet',
    );
    const [, notice, ...more] = messagesFor(id);
    expect(more).toEqual([]);
    expect(notice!.to).toMatchObject({ value: [{ address: 'alex.morgan@nhs.net' }] });
    const page = `https://ecat.example.nhs.uk/requests/${id}`;
    const text = notice!.text ?? '';
    const html = notice!.html || '';
    expect(text).toContain(page);
    expect(html).toContain(`href="${page}"`);
    expect(text).toContain(
      'reply to this email to tell us, and we will mark the request as configured',
    );
    expect(CLI_COMMANDS).toContain('confirm');
    for (const command of CLI_COMMANDS) {
      expect(text).not.toContain(`ecat ${command}`);
      expect(html).not.toContain(`ecat ${command}`);
    }
    expect(html).not.toContain('<code>ecat');

    await runtime.store.transition(id, 'configured', {
      actor: ACTORS.cli,
      event: 'configured',
      reason: 'test',
    });
    expect(await apiOverdue()).toEqual([false, undefined]);
    expect(await overdueMetric()).toBe(overdueBefore);
  });
});

describe('ecat list and ecat show, which read the real clock', () => {
  it('mark a request sent on its first test date OVERDUE only from the next day', async () => {
    const now = new Date();
    const today = londonDate(now);
    const yesterday = addDays(today, -1);
    // Noon UTC is the same date in London, summer or winter.
    clock = new Date(`${yesterday}T12:00:00Z`);
    const sentYesterday = await accept('5000000011', yesterday);
    clock = now;
    const sentToday = await accept('5000000012', today);

    const listed = (await ecat(['list'], testEnv(prefix))).stdout.split('\n');
    const line = (id: string) => listed.find((candidate) => candidate.startsWith(id));
    expect(line(sentToday)).toMatch(new RegExp(`${today}$`));
    expect(line(sentYesterday)).toMatch(new RegExp(`${yesterday} {2}OVERDUE$`));
    const shown = await ecat(['show', sentToday], testEnv(prefix));
    expect(shown.stdout.split('\n')[0]).not.toContain('OVERDUE');
    const json = await ecat(['show', sentToday, '--json'], testEnv(prefix));
    expect(JSON.parse(json.stdout)).toMatchObject({ id: sentToday, overdue: false });
    const before = await ecat(['show', sentYesterday, '--json'], testEnv(prefix));
    expect(JSON.parse(before.stdout)).toMatchObject({ id: sentYesterday, overdue: true });

    for (const id of [sentToday, sentYesterday]) {
      await runtime.store.transition(id, 'cancelled', {
        actor: ACTORS.cli,
        event: 'cancelled',
        reason: 'test',
      });
    }
  });
});

describe('PUBLIC_URL, the address the notice links under', () => {
  it('defaults to the local server, drops a trailing slash and keeps a path', () => {
    expect(loadConfig({}).http.publicUrl).toBe('http://localhost:3000');
    expect(loadConfig({ PUBLIC_URL: 'https://nhs.example.uk/ecat/' }).http.publicUrl).toBe(
      'https://nhs.example.uk/ecat',
    );
  });

  it('refuses what is not an http(s) address a link can be built under, naming the variable', () => {
    for (const value of ['ftp://nhs.example.uk', 'localhost:3000', 'https://nhs.example.uk/?a=1']) {
      expect(() => loadConfig({ PUBLIC_URL: value })).toThrow(/^PUBLIC_URL must /);
    }
    // Credentials in it are refused, and never printed.
    expect(() => loadConfig({ PUBLIC_URL: 'https://user:secret@nhs.example.uk' })).toThrow(
      /^PUBLIC_URL must have no user, password, query or fragment.*\(got 'https:\/\/\*\*\*@/,
    );
  });
});

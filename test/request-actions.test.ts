// The actions on an outstanding request (use-cases/request-actions.ts) on the real Redis, with the
// worker sending to a loopback SMTP server: who did it is in the history, the store files the
// request again where new test dates put it (in one script), the reminder is planned again, and
// each email goes to whom it should, threaded under the original, once, with its own Message-ID.
import type { ParsedMail } from 'mailparser';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chaserJobId, configuredNoticeJobId } from '../src/adapters/queues/follow-up-jobs.ts';
import { requestKeys } from '../src/adapters/redis/requests/keys.ts';
import { defineRequestScripts } from '../src/adapters/redis/requests/scripts.ts';
import { addDays, londonDate } from '../src/domain/dates.ts';
import { ACTORS, personActor, type Person } from '../src/domain/people/person.ts';
import { actionEmailJob, type ActionEmailJobData, type RunningJob } from '../src/ports/jobs.ts';
import {
  askForChanges,
  cancelRequest,
  changeTestDates,
  confirmConfigured,
  withdrawRequest,
  type RequestActionDeps,
} from '../src/use-cases/request-actions.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { createFollowUps } from '../src/wiring/follow-ups.ts';
import { createWiredMailer } from '../src/wiring/mail.ts';
import type { Runtime } from '../src/wiring/runtime.ts';
import { silentLog, until, useDelivery } from './support/delivery.ts';
import {
  deletePrefix,
  fixedClock,
  REDIS_URL,
  requestBody,
  testDatesIn,
  uniquePrefix,
  VALID_REQUESTER,
} from './support/ecat.ts';

const delivery = useDelivery();
// Monday 2 March 2026: a request tested in 40 days is routine, in 3 days urgent, in 14 days high.
const clock = fixedClock('2026-03-02T10:00:00Z');
const today = londonDate(clock());
const BARS_MAILBOX = 'england.bookingandreferralstandard@nhs.net';

const ada: Person = {
  subject: 'ada',
  name: 'Ada Lovelace',
  email: 'ada.lovelace@nhs.net',
  organisation: 'NHS North West',
};
const grace = personActor({ subject: 'grace', name: 'Grace Hopper', email: 'grace@nhs.net' });

interface Fixture {
  runtime: Runtime;
  deps: RequestActionDeps;
  id: string;
}

/** A fresh runtime and one request in it, submitted by Ada, tested in `days` days (or undated). */
async function submitted(name: string, days?: number): Promise<Fixture> {
  const runtime = await delivery.runtime(name, { now: clock });
  const result = await submitRequest(
    requestBody(days === undefined ? {} : { testDates: testDatesIn(days, clock) }),
    runtime.intakeDeps('test'),
    { actor: personActor(ada), submittedBy: ada },
  );
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  const deps = { ...runtime.intakeDeps('test'), followUpJobs: runtime.followUpJobs };
  return { runtime, deps, id: result.id };
}

const addressesOf = (field: ParsedMail['to']): string[] =>
  [field ?? []].flat().flatMap((group) => group.value.map((address) => address.address ?? ''));

/** The emails about the request of one kind (X-Ecat-Follow-Up), once `count` have arrived. */
async function emails(id: string, kind: string, count = 1): Promise<ParsedMail[]> {
  const found = () =>
    delivery.sink.messages.filter(
      (mail) =>
        mail.headers.get('x-ecat-request-id') === id &&
        mail.headers.get('x-ecat-follow-up') === kind,
    );
  await until(() => found().length >= count, 15_000, `${count} ${kind} email(s) for ${id}`);
  return found();
}

async function record(fixture: Fixture) {
  return delivery.record(fixture.runtime, fixture.id);
}

describe('submitting', () => {
  it('keeps the person who submitted it, and names them in the first entry', async () => {
    const fixture = await submitted('actions-submit');
    const stored = await record(fixture);
    expect(stored.submittedBy).toEqual(ada);
    expect(stored.history[0]?.actor).toEqual(personActor(ada));
  });

  it('names the command line when nobody is signed in', async () => {
    const runtime = await delivery.runtime('actions-cli', { now: clock });
    const result = await submitRequest(requestBody(), runtime.intakeDeps('cli'));
    if (result.outcome !== 'accepted') throw new Error(result.outcome);
    const stored = await delivery.record(runtime, result.id);
    expect(stored.submittedBy).toBeUndefined();
    expect(stored.history[0]?.actor).toEqual(ACTORS.cli);
  });
});

describe('confirmConfigured', () => {
  it('makes it configured in the BaRS team member’s name, tells the requester, and takes back the reminder', async () => {
    const fixture = await submitted('actions-confirm', 40);
    const { runtime, deps, id } = fixture;
    expect(await runtime.queue.getJob(chaserJobId(id))).toBeDefined();

    const result = await confirmConfigured(deps, { id, actor: grace });
    expect(result).toMatchObject({ ok: true, record: { status: 'configured' } });
    const entry = (await record(fixture)).history.at(-1);
    expect(entry).toMatchObject({ event: 'configured', actor: grace, details: { by: 'hand' } });
    expect(await runtime.queue.getJob(chaserJobId(id))).toBeUndefined();
    expect(await runtime.queue.getJob(configuredNoticeJobId(id))).toBeDefined();
    expect(await runtime.store.count('outstanding')).toBe(0);

    delivery.worker(runtime);
    const [notice] = await emails(id, 'configured-by-hand');
    expect(addressesOf(notice!.to)).toEqual([VALID_REQUESTER.email]);
    expect(notice!.text).toContain('the BaRS team confirmed it on Monday 2 March 2026');
    expect(notice!.text).not.toContain('BaRS proxy');
    await until(
      async () => (await record(fixture)).history.some((e) => e.event === 'configured-notice'),
      10_000,
      'the notice in the history',
    );
    const told = (await record(fixture)).history.find((e) => e.event === 'configured-notice');
    expect(told?.actor).toEqual(ACTORS.worker);

    expect(await confirmConfigured(deps, { id, actor: grace })).toMatchObject({
      ok: false,
      reason: 'not-allowed',
      record: { status: 'configured' },
    });
    expect(await confirmConfigured(deps, { id: 'req-missing', actor: grace })).toEqual({
      ok: false,
      reason: 'not-found',
    });
  });
});

describe('cancelRequest', () => {
  it('cancels in the actor’s name with the reason, takes back the reminder, and only once', async () => {
    const fixture = await submitted('actions-cancel', 40);
    const { runtime, deps, id } = fixture;
    const result = await cancelRequest(deps, {
      id,
      actor: grace,
      reason: 'a duplicate of another',
    });
    expect(result).toMatchObject({ ok: true, record: { status: 'cancelled' } });
    expect((await record(fixture)).history.at(-1)).toMatchObject({
      event: 'cancelled',
      actor: grace,
      reason: 'cancelled by the BaRS team: a duplicate of another',
    });
    expect(await runtime.queue.getJob(chaserJobId(id))).toBeUndefined();
    expect(await cancelRequest(deps, { id, actor: grace })).toMatchObject({
      ok: false,
      reason: 'not-allowed',
    });
  });
});

describe('askForChanges', () => {
  it('refuses an empty note, control characters and a note over 2,000 characters', async () => {
    const { deps, id } = await submitted('actions-ask-invalid');
    const codes = async (note: string) => {
      const result = await askForChanges(deps, { id, actor: grace, note });
      return result.ok || result.reason !== 'invalid' ? result : result.errors.map((e) => e.code);
    };
    expect(await codes('   ')).toEqual(['required']);
    expect(await codes('fix the \u0007 bell')).toEqual(['control-characters']);
    expect(await codes('x'.repeat(2001))).toEqual(['too-long']);
  });

  it('keeps the status, emails the note to the requester (Reply-To the BaRS mailbox), and cannot add a header', async () => {
    const fixture = await submitted('actions-ask', 40);
    const { runtime, deps, id } = fixture;
    const note =
      'Please check the ODS code.\r\nBcc: someone@example.com\r\nX-Injected: yes\n\nThe endpoint host says Y02494.';
    const result = await askForChanges(deps, { id, actor: grace, note });
    expect(result).toMatchObject({ ok: true, record: { status: 'queued' } });
    const stored = await record(fixture);
    const entry = stored.history.at(-1);
    expect(entry).toMatchObject({ event: 'changes-requested', actor: grace, status: 'queued' });
    expect(entry?.details?.note).toBe(note);

    delivery.worker(runtime);
    const [mail] = await emails(id, 'changes-requested');
    expect(addressesOf(mail!.to)).toEqual([VALID_REQUESTER.email]);
    expect(addressesOf(mail!.replyTo)).toEqual([BARS_MAILBOX]);
    expect(mail!.cc).toBeUndefined();
    expect(mail!.bcc).toBeUndefined();
    expect(mail!.headers.has('x-injected')).toBe(false);
    expect(delivery.sink.recipientsOf(mail!)).toEqual([VALID_REQUESTER.email]);
    expect(mail!.subject).toMatch(/^Changes needed: BaRS Endpoint Catalogue: add DoS service /);
    expect(mail!.inReplyTo).toBe(stored.messageId);
    expect(mail!.text).toContain('Please check the ODS code.');
    expect(mail!.text).toContain('The endpoint host says Y02494.');
    expect(mail!.text).toContain('What the BaRS team asked (Grace Hopper)');
    expect(mail!.text).toContain(`http://localhost:3000/requests/${id}`);
    expect(mail!.html).toContain('Bcc: someone@example.com');

    // Asked again: a second email, with a Message-ID of its own; each written in the history.
    await askForChanges(deps, { id, actor: grace, note: 'And the service name, please.' });
    const both = await emails(id, 'changes-requested', 2);
    expect(new Set(both.map((m) => m.messageId)).size).toBe(2);
    await until(
      async () =>
        (await record(fixture)).history.filter((e) => e.event === 'changes-requested-email')
          .length === 2,
      10_000,
      'both emails in the history',
    );
    const sent = (await record(fixture)).history.filter(
      (e) => e.event === 'changes-requested-email',
    );
    expect(sent.map((e) => e.details?.messageId).sort()).toEqual(
      both.map((m) => m.messageId).sort(),
    );
    expect(sent.every((e) => e.actor?.kind === 'system' && e.actor.name === 'the worker')).toBe(
      true,
    );
  });

  it('sends the same Message-ID on a retry, and once only', async () => {
    const fixture = await submitted('actions-ask-retry');
    const { runtime, deps, id } = fixture;
    await askForChanges(deps, { id, actor: grace, note: 'Which supplier hosts it?' });
    const index = (await record(fixture)).history.length - 1;
    const { mailer } = createWiredMailer(
      runtime.config.mail,
      runtime.redis,
      runtime.config.queuePrefix,
      clock,
    );
    const followUps = createFollowUps(runtime, mailer, silentLog);
    await followUps.ready;
    const handler = followUps.handlers.mail[actionEmailJob('changes-requested')]!;
    const seen: (string | undefined)[] = [];
    delivery.sink.answer = (attempt, mail) => {
      seen.push(mail.messageId);
      return attempt === 1
        ? { kind: 'refuse', code: 451, message: '4.3.0 try again later' }
        : { kind: 'accept' };
    };
    const job = (attemptsMade: number): RunningJob<ActionEmailJobData> => ({
      data: { requestId: id, entry: index },
      attemptsMade,
      opts: { attempts: 6 },
      log: () => Promise.resolve(),
    });
    await expect(handler(job(0))).rejects.toThrow();
    await handler(job(1));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(await handler(job(2))).toBe('skipped: sent already');
    await mailer.close();
  });

  it('does not ask about a request that is no longer outstanding', async () => {
    const { deps, id } = await submitted('actions-ask-closed');
    await cancelRequest(deps, { id, actor: grace });
    expect(await askForChanges(deps, { id, actor: grace, note: 'too late' })).toMatchObject({
      ok: false,
      reason: 'not-allowed',
      record: { status: 'cancelled' },
    });
  });
});

describe('changeTestDates', () => {
  it('rates it again, files it in its new group and test date, plans the reminder again, and tells the BaRS mailbox', async () => {
    const fixture = await submitted('actions-dates', 40);
    const { runtime, deps, id } = fixture;
    const keys = requestKeys(runtime.config.queuePrefix);
    const before = await record(fixture);
    expect(before.urgency.level).toBe('routine');
    expect(await runtime.store.countGroup('INT', 'routine')).toBe(1);
    const firstChaser = (await runtime.queue.getJob(chaserJobId(id)))?.data as { sendOn: string };
    expect(firstChaser.sendOn > today).toBe(true);

    // Moved near: urgent, and a reminder would come too late to be one.
    const near = testDatesIn(3, clock, 1);
    const result = await changeTestDates(deps, { id, actor: personActor(ada), testDates: near });
    expect(result).toMatchObject({
      ok: true,
      record: {
        urgency: { level: 'urgent' },
        earliestTestDate: near.from,
        request: { testDates: near },
      },
    });
    expect(await runtime.store.countGroup('INT', 'routine')).toBe(0);
    expect(await runtime.store.countGroup('INT', 'urgent')).toBe(1);
    expect(await runtime.redis.zscore(keys.byTestDate, id)).toBe(near.from.replaceAll('-', ''));
    expect(await runtime.queue.getJob(chaserJobId(id))).toBeUndefined();
    const entry = (await record(fixture)).history.at(-1);
    expect(entry).toMatchObject({
      event: 'test-dates-changed',
      actor: personActor(ada),
      details: {
        fromBefore: before.earliestTestDate,
        from: near.from,
        to: near.to,
        urgencyBefore: 'routine',
        urgency: 'urgent',
      },
    });
    expect(entry?.reason).toMatch(
      /^test dates changed from .+ to Thursday 5 March 2026 to Friday 6 March 2026; urgency urgent/,
    );

    // Moved out again: high, with a reminder three working days before.
    const later = testDatesIn(14, clock);
    await changeTestDates(deps, { id, actor: personActor(ada), testDates: later });
    expect(await runtime.store.countGroup('INT', 'urgent')).toBe(0);
    expect(await runtime.store.countGroup('INT', 'high')).toBe(1);
    const chaser = await runtime.queue.getJob(chaserJobId(id));
    expect(chaser?.data).toEqual({ requestId: id, sendOn: '2026-03-11' });

    delivery.worker(runtime);
    const told = await emails(id, 'test-dates-changed', 2);
    const urgentMail = told.find((mail) => mail.subject?.startsWith('[URGENT] '));
    const highMail = told.find((mail) => mail.subject?.startsWith('[HIGH] '));
    expect(urgentMail, told.map((m) => m.subject).join(' | ')).toBeDefined();
    expect(highMail, told.map((m) => m.subject).join(' | ')).toBeDefined();
    expect(urgentMail!.subject).toMatch(
      /^\[URGENT\] New test dates: BaRS Endpoint Catalogue: add DoS service 2000072489 \(INT\)/,
    );
    expect(addressesOf(urgentMail!.to)).toEqual([BARS_MAILBOX]);
    expect(addressesOf(urgentMail!.cc)).toEqual([VALID_REQUESTER.email]);
    expect(addressesOf(urgentMail!.replyTo)).toEqual([VALID_REQUESTER.email]);
    expect(urgentMail!.inReplyTo).toBe(before.messageId);
    expect(urgentMail!.text).toContain('Ada Lovelace has changed the proposed test dates');
    expect(urgentMail!.text).toContain(
      'Test dates now:     Thursday 5 March 2026 to Friday 6 March 2026',
    );
    expect(urgentMail!.text).toContain('(it was Routine)');
    expect(urgentMail!.messageId).not.toBe(highMail!.messageId);
    expect(highMail!.text).toContain(
      'Test dates were:    Thursday 5 March 2026 to Friday 6 March 2026',
    );
  });

  it('judges the dates as the request’s rules do', async () => {
    const { deps, id } = await submitted('actions-dates-invalid', 40);
    const refused = async (testDates: { from: string; to?: string }) => {
      const result = await changeTestDates(deps, { id, actor: grace, testDates });
      return result.ok || result.reason !== 'invalid'
        ? result
        : result.errors.map((e) => [e.path, e.code]);
    };
    expect(await refused({ from: addDays(today, -1) })).toEqual([['testDates.from', 'date-past']]);
    expect(await refused({ from: '2026-02-30' })).toEqual([['testDates.from', 'date-real']]);
    expect(await refused({ from: '' })).toEqual([['testDates.from', 'required']]);
    expect(await refused({ from: '2026-3-' })).toEqual([['testDates.from', 'date-parts']]);
    expect(await refused({ from: addDays(today, 10), to: addDays(today, 9) })).toEqual([
      ['testDates.to', 'date-order'],
    ]);
    expect(await refused({ from: '2028-03-03' })).toEqual([['testDates.from', 'date-too-far']]);
    expect(await refused({ from: addDays(today, 10), to: '2028-03-03' })).toEqual([
      ['testDates.to', 'date-too-far'],
    ]);
  });

  it('changes nothing for the same dates, and nothing once the request is closed', async () => {
    const fixture = await submitted('actions-dates-same', 40);
    const { deps, id } = fixture;
    const { history } = await record(fixture);
    const same = (await record(fixture)).request.testDates!;
    expect(await changeTestDates(deps, { id, actor: grace, testDates: same })).toMatchObject({
      ok: true,
    });
    expect((await record(fixture)).history).toHaveLength(history.length);
    await confirmConfigured(deps, { id, actor: grace });
    expect(
      await changeTestDates(deps, { id, actor: grace, testDates: testDatesIn(20, clock) }),
    ).toMatchObject({ ok: false, reason: 'not-allowed' });
    expect(await fixture.runtime.store.countGroup('INT', 'high')).toBe(0);
  });
});

describe('withdrawRequest', () => {
  it('cancels it as withdrawn, takes back the reminder, and tells the BaRS mailbox why', async () => {
    const fixture = await submitted('actions-withdraw', 40);
    const { runtime, deps, id } = fixture;
    const result = await withdrawRequest(deps, {
      id,
      actor: personActor(ada),
      reason: '  Testing moved to another supplier.\u0007\nThank you.  ',
    });
    expect(result).toMatchObject({ ok: true, record: { status: 'cancelled' } });
    expect((await record(fixture)).history.at(-1)).toMatchObject({
      event: 'withdrawn',
      status: 'cancelled',
      actor: personActor(ada),
      details: { note: 'Testing moved to another supplier.\nThank you.' },
    });
    expect(await runtime.queue.getJob(chaserJobId(id))).toBeUndefined();
    expect(await runtime.store.count('outstanding')).toBe(0);

    delivery.worker(runtime);
    const [mail] = await emails(id, 'withdrawn');
    expect(addressesOf(mail!.to)).toEqual([BARS_MAILBOX]);
    expect(addressesOf(mail!.cc)).toEqual([VALID_REQUESTER.email]);
    expect(mail!.subject).toMatch(/^Withdrawn: BaRS Endpoint Catalogue: add DoS service /);
    expect(mail!.text).toContain('Ada Lovelace has withdrawn our request');
    expect(mail!.text).toContain('Testing moved to another supplier.\nThank you.');

    expect(await withdrawRequest(deps, { id, actor: personActor(ada) })).toMatchObject({
      ok: false,
      reason: 'not-allowed',
    });
  });
});

describe('change-test-dates.lua', () => {
  const prefix = uniquePrefix('actions-script');
  const keys = requestKeys(prefix);
  let redis: Redis;
  beforeAll(() => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    redis.disconnect();
    await deletePrefix(prefix);
  });

  it('moves the record between groups and test dates only if it is still the one read', async () => {
    const scripts = defineRequestScripts(redis);
    const [routine, urgent] = [keys.group('INT', 'routine'), keys.group('INT', 'urgent')];
    await redis.set(keys.record('req-a'), '{"v":1}');
    await redis.zadd(routine, 1000, 'req-a');
    await redis.zadd(keys.byTestDate, 20260411, 'req-a');
    const args = (expected: string) => [
      keys.record('req-a'),
      routine,
      urgent,
      keys.byTestDate,
      expected,
      '{"v":2}',
      'req-a',
      '1000',
      '20260305',
    ];
    expect(await scripts.ecatChangeTestDates(...args('{"v":0}'))).toBe(0);
    expect(await redis.zscore(routine, 'req-a')).toBe('1000');
    expect(await scripts.ecatChangeTestDates(...args('{"v":1}'))).toBe(1);
    expect(await redis.get(keys.record('req-a'))).toBe('{"v":2}');
    expect(await redis.zscore(routine, 'req-a')).toBeNull();
    expect(await redis.zscore(urgent, 'req-a')).toBe('1000');
    expect(await redis.zscore(keys.byTestDate, 'req-a')).toBe('20260305');
  });
});

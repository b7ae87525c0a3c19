// Intake and the record store on the real Redis: a request is accepted with its record, indexes
// and job together or not at all; duplicates are answered with the existing id; status changes
// follow canTransition; listing pages through the indexes.
import { referenceFor } from '../src/domain/request/reference.ts';
import { createRequestStore } from '../src/adapters/redis/requests/redis-request-store.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { assessRequest } from '../src/use-cases/assess.ts';
import { newRequestRecord, submitRequest } from '../src/use-cases/submit.ts';
import { PRIORITY, QUEUE_NAME, sendJobId } from '../src/adapters/queues/queues.ts';
import { openRuntime, type Runtime } from '../src/wiring/runtime.ts';
import {
  countKeys,
  deletePrefix,
  fixedClock,
  requestBody,
  testConfig,
  testDatesIn,
  uniquePrefix,
} from './support/ecat.ts';
import { FAST_RETRY } from './support/delivery.ts';
import { SEND_JOB } from '../src/ports/jobs.ts';
import { ACTORS } from '../src/domain/people/person.ts';

const runtimes: Runtime[] = [];
const prefixes: string[] = [];

async function runtimeOn(prefix: string, now?: () => Date): Promise<Runtime> {
  if (!prefixes.includes(prefix)) prefixes.push(prefix);
  const runtime = await openRuntime(testConfig(prefix), {
    retry: FAST_RETRY,
    ...(now ? { now } : {}),
  });
  runtimes.push(runtime);
  return runtime;
}

async function accept(runtime: Runtime, body = requestBody()): Promise<string> {
  const result = await submitRequest(body, runtime.intakeDeps('test'));
  if (result.outcome !== 'accepted') throw new Error(JSON.stringify(result));
  return result.id;
}

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  await Promise.all(prefixes.map((prefix) => deletePrefix(prefix)));
});

const PROD = {
  environment: 'PROD',
  tccReference: 'TCC-2026-001',
  endpoint: 'https://BaRS-PROD-Y02494.example-supplier.thirdparty.nhs.uk/fhir/R4',
};

describe('accepting a request', () => {
  it('writes the record, its indexes and a readable, prioritised job together', async () => {
    const now = fixedClock('2026-12-01T10:00:00Z');
    const runtime = await runtimeOn(uniquePrefix('accept'), now);
    const urgent = await accept(runtime, requestBody({ testDates: testDatesIn(2, now) }));
    const high = await accept(
      runtime,
      requestBody({ dosServiceId: '2000011147', testDates: testDatesIn(14, now) }),
    );
    const routine = await accept(runtime, requestBody({ dosServiceId: '138179' }));

    expect(urgent).toMatch(/^req-[0-9a-f-]{36}$/);
    const record = await runtime.store.get(urgent);
    expect(record).toMatchObject({
      status: 'queued',
      urgency: { level: 'urgent' },
      createdAt: '2026-12-01T10:00:00.000Z',
      messageId: expect.stringMatching(new RegExp(`^<${urgent}@`)) as unknown,
      history: [{ event: 'queued', status: 'queued', at: '2026-12-01T10:00:00.000Z' }],
    });
    expect(record?.history[0]?.reason).toMatch(/through test: urgency urgent/);
    for (const filter of ['queued', 'outstanding', 'all'] as const) {
      expect(await runtime.store.count(filter)).toBe(3);
    }

    for (const [id, level] of [
      [urgent, 'urgent'],
      [high, 'high'],
      [routine, 'routine'],
    ] as const) {
      const job = await runtime.queue.getJob(sendJobId(id));
      expect(job?.id).toBe(`send-${id}`);
      expect(job?.name).toBe(SEND_JOB);
      expect(job?.queueName).toBe(QUEUE_NAME);
      expect(job?.data).toMatchObject({ requestId: id, environment: 'INT', urgency: level });
      expect(job?.opts).toMatchObject({
        priority: PRIORITY[level],
        attempts: FAST_RETRY.attempts,
        backoff: { type: 'exponential', delay: FAST_RETRY.backoffMs },
        removeOnComplete: expect.objectContaining({
          count: expect.any(Number) as unknown,
        }) as unknown,
        removeOnFail: expect.objectContaining({ count: expect.any(Number) as unknown }) as unknown,
      });
    }
    expect(PRIORITY).toEqual({ urgent: 1, high: 2, routine: 3 });
  });

  it('writes nothing for a request that is invalid or refused', async () => {
    const prefix = uniquePrefix('refused');
    const runtime = await runtimeOn(prefix);
    const keysBefore = await countKeys(prefix);
    const invalid = await submitRequest(
      requestBody({ dosServiceId: 'abc' }),
      runtime.intakeDeps('test'),
    );
    expect(invalid.outcome).toBe('invalid');
    const noTcc = await submitRequest(
      requestBody({ ...PROD, tccReference: undefined }),
      runtime.intakeDeps('test'),
    );
    expect(noTcc.outcome).toBe('refused');
    const noCareConnect = await submitRequest(
      requestBody({ dosServiceId: '1374839566', odsCode: 'RR8' }),
      runtime.intakeDeps('test'),
    );
    expect(noCareConnect.outcome).toBe('refused');
    expect(await countKeys(prefix)).toBe(keysBefore);
    expect(await runtime.store.count('all')).toBe(0);
    expect(await runtime.queue.count()).toBe(0);
  });
});

describe('duplicates', () => {
  it('answers a duplicate with the existing id and writes nothing', async () => {
    const prefix = uniquePrefix('duplicate');
    const runtime = await runtimeOn(prefix);
    const first = await accept(runtime);
    const keysBefore = await countKeys(prefix);
    const second = await submitRequest(
      requestBody({ serviceName: 'Again', testDates: testDatesIn(1) }),
      runtime.intakeDeps('test'),
    );
    expect(second).toMatchObject({
      outcome: 'duplicate',
      existingId: first,
      // Named by the reference people use for it; the id is in existingId.
      errors: [
        {
          path: 'dosServiceId',
          code: 'duplicate',
          message: `There is already an open INT request for this service: ${referenceFor(first)}`,
        },
      ],
    });
    expect(await countKeys(prefix)).toBe(keysBefore);
    expect(await runtime.queue.getJobCounts('prioritized', 'waiting', 'delayed')).toEqual({
      prioritized: 1,
      waiting: 0,
      delayed: 0,
    });
    // The same service in the other environment is a different catalogue entry.
    await accept(runtime, requestBody(PROD));
  });

  it('lets exactly one of many simultaneous submissions in, across connections', async () => {
    const prefix = uniquePrefix('race');
    const [a, b, c] = await Promise.all([runtimeOn(prefix), runtimeOn(prefix), runtimeOn(prefix)]);
    const results = await Promise.all(
      [a, b, c, a, b, c, a, b, c].map((runtime) =>
        submitRequest(requestBody(), runtime.intakeDeps('test')),
      ),
    );
    const accepted = results.filter((result) => result.outcome === 'accepted');
    expect(accepted).toHaveLength(1);
    const id = accepted[0]!.id;
    for (const result of results) {
      if (result.outcome !== 'accepted') expect(result).toMatchObject({ existingId: id });
    }
    expect(await a.store.count('all')).toBe(1);
    expect(await a.queue.count()).toBe(1);
  });

  it('accepts many different requests arriving at once, each with its job', async () => {
    const runtime = await runtimeOn(uniquePrefix('together'));
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        submitRequest(
          requestBody({ dosServiceId: String(6_000_000_000 + (i % 50)) }),
          runtime.intakeDeps('test'),
        ),
      ),
    );
    expect(results.filter((result) => result.outcome === 'accepted')).toHaveLength(50);
    expect(results.filter((result) => result.outcome === 'duplicate')).toHaveLength(10);
    expect(await runtime.store.count('queued')).toBe(50);
    expect(await runtime.queue.getJobCountByTypes('prioritized', 'waiting')).toBe(50);
  });

  it('takes back every record of a transaction that had a step fail', async () => {
    const runtime = await runtimeOn(uniquePrefix('undo'));
    const prefix = runtime.config.queuePrefix;
    await runtime.redis.set(`${prefix}:not-a-number`, 'x');
    const assessed = await assessRequest(requestBody(), runtime.intakeDeps('test'));
    if (assessed.outcome !== 'accepted') throw new Error(assessed.outcome);
    const records = ['6100000001', '6100000002', '6100000003'].map((dosServiceId) =>
      newRequestRecord(
        { ...assessed, request: { ...assessed.request, dosServiceId } },
        runtime.intakeDeps('test'),
        { actor: ACTORS.cli },
      ),
    );
    // A store whose jobs step fails for the second record: INCR on a key that holds text.
    const failing = records[1]!.id;
    const store = createRequestStore(
      runtime.redis,
      prefix,
      () => new Date(),
      (multi, { record }) => {
        if (record.id === failing) multi.incr(`${prefix}:not-a-number`);
        return Promise.resolve();
      },
    );
    const outcomes = await Promise.allSettled([
      store.accept({ record: records[0]! }),
      store.acceptMany(records.slice(1).map((record) => ({ record }))),
    ]);
    // The first goes alone; the other two share a transaction, so they fail together and leave
    // nothing behind.
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected']);
    for (const record of records.slice(1)) {
      expect(await runtime.store.get(record.id)).toBeUndefined();
    }
    expect(await runtime.store.count('all')).toBe(1);
    expect(await runtime.store.count('outstanding')).toBe(1);
    expect(await countKeys(`${prefix}:open`)).toBe(1);
    expect(await runtime.queue.count()).toBe(0);
    // And the store goes on working.
    expect(await store.accept({ record: records[2]! })).toEqual({ ok: true });
    expect(await runtime.store.count('all')).toBe(2);
  });

  it('lets a service be requested again once its request is no longer outstanding', async () => {
    const runtime = await runtimeOn(uniquePrefix('again'));
    const first = await accept(runtime);
    expect(
      (
        await runtime.store.transition(first, 'configured', {
          actor: ACTORS.cli,
          event: 'configured',
          reason: 'x',
        })
      ).ok,
    ).toBe(true);
    const second = await accept(runtime);
    expect(second).not.toBe(first);
    expect((await runtime.store.list('outstanding')).items.map((r) => r.id)).toEqual([second]);
  });
});

describe('status changes', () => {
  it('follow canTransition, keep every change in the history, and move the indexes', async () => {
    const runtime = await runtimeOn(uniquePrefix('transitions'));
    const id = await accept(runtime);
    const sent = await runtime.store.transition(id, 'sent', {
      actor: ACTORS.cli,
      event: 'sent',
      reason: 'by test',
    });
    expect(sent).toMatchObject({ ok: true, record: { status: 'sent' } });
    expect(await runtime.store.count('queued')).toBe(0);
    expect(await runtime.store.count('sent')).toBe(1);
    expect(await runtime.store.count('outstanding')).toBe(1);

    const configured = await runtime.store.transition(id, 'configured', {
      actor: ACTORS.cli,
      event: 'configured',
      reason: 'confirmed by hand',
      details: { by: 'alex' },
    });
    expect(configured.ok).toBe(true);
    expect(await runtime.store.count('outstanding')).toBe(0);

    const refused = await runtime.store.transition(id, 'cancelled', {
      actor: ACTORS.cli,
      event: 'cancelled',
      reason: 'too late',
    });
    expect(refused).toMatchObject({ ok: false, reason: 'not-allowed' });
    const record = await runtime.store.get(id);
    expect(record?.status).toBe('configured');
    expect(record?.history.map((entry) => [entry.event, entry.status])).toEqual([
      ['queued', 'queued'],
      ['sent', 'sent'],
      ['configured', 'configured'],
    ]);
    expect(record?.history[2]?.details).toEqual({ by: 'alex' });
    expect(
      await runtime.store.transition('req-missing', 'cancelled', {
        actor: ACTORS.cli,
        event: 'x',
        reason: 'x',
      }),
    ).toEqual({ ok: false, reason: 'not-found' });
  });

  it('lose no change made at the same moment, from one connection or several', async () => {
    const prefix = uniquePrefix('concurrent');
    const [a, b] = await Promise.all([runtimeOn(prefix), runtimeOn(prefix)]);
    const id = await accept(a, requestBody({ notes: 'line one\nline two, “quoted” – £5 😀' }));
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).store.note(id, { actor: ACTORS.cli, event: 'retry', reason: `note ${i}` }),
      ),
    );
    const noted = (await a.store.get(id))!;
    expect(noted.history.filter((entry) => entry.event === 'retry')).toHaveLength(40);
    expect(noted.request.notes).toBe('line one\nline two, “quoted” – £5 😀');

    // A change computed from an earlier read is refused once another connection moved the record
    // on, and is made again from what is there now.
    const earlier = (await a.store.get(id))!;
    await b.store.note(id, { actor: ACTORS.cli, event: 'retry', reason: 'from b, after a read' });
    const latest = await a.store.note(id, {
      actor: ACTORS.cli,
      event: 'retry',
      reason: 'from a, after b',
    });
    expect(latest!.history.length).toBe(earlier.history.length + 2);
    expect(latest!.history.slice(-2).map((entry) => entry.reason)).toEqual([
      'from b, after a read',
      'from a, after b',
    ]);

    // Two ends that exclude each other: exactly one wins, and the indexes follow the winner.
    const outcomes = await Promise.all([
      a.store.transition(id, 'configured', {
        actor: ACTORS.cli,
        event: 'configured',
        reason: 'by a',
      }),
      b.store.transition(id, 'cancelled', {
        actor: ACTORS.cli,
        event: 'cancelled',
        reason: 'by b',
      }),
      a.store.transition(id, 'cancelled', {
        actor: ACTORS.cli,
        event: 'cancelled',
        reason: 'by a',
      }),
      b.store.transition(id, 'configured', {
        actor: ACTORS.cli,
        event: 'configured',
        reason: 'by b',
      }),
    ]);
    const winners = outcomes.filter((outcome) => outcome.ok);
    expect(winners).toHaveLength(1);
    const final = (await a.store.get(id))!;
    expect(final.history.filter((entry) => entry.event !== 'retry').map((e) => e.event)).toEqual([
      'queued',
      final.status,
    ]);
    expect(await a.store.count(final.status)).toBe(1);
    expect(await a.store.count('queued')).toBe(0);
    expect(await a.store.count('outstanding')).toBe(0);
    // The duplicate key went with the outstanding request: the service can be asked for again.
    await accept(b);
  });
});

describe('listing', () => {
  it('pages through an index oldest first with a cursor', async () => {
    // A clock a second apart per reading, so acceptance order is score order.
    let tick = Date.parse('2026-12-01T10:00:00Z');
    const runtime = await runtimeOn(uniquePrefix('list'), () => new Date((tick += 1000)));
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push(await accept(runtime, requestBody({ dosServiceId: String(700 + i) })));
    }
    await runtime.store.transition(ids[3]!, 'cancelled', {
      actor: ACTORS.cli,
      event: 'cancelled',
      reason: 'x',
    });
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await runtime.store.list('outstanding', { limit: 3, cursor });
      expect(page.total).toBe(6);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((record) => record.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== undefined);
    expect(pages).toBe(2);
    expect(seen).toEqual(ids.filter((_, i) => i !== 3));
    expect((await runtime.store.list('cancelled')).items.map((r) => r.id)).toEqual([ids[3]]);
  });
});

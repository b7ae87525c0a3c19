// The queues under load and ordering: urgent requests overtake routine ones already waiting, two
// worker processes on one queue send each of 1,000 requests exactly once, and the sweeps' short
// retention never trims the mail queue's send jobs.
import { afterEach, describe, expect, it } from 'vitest';
import { SWEEP_OPTIONS } from '../src/adapters/queues/follow-up-jobs.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { sendJobId } from '../src/adapters/queues/queues.ts';
import { fixedClock, requestBody, testDatesIn, testEnv } from './support/ecat.ts';
import { spawnTestWorker, type Child } from './support/child-worker.ts';
import { useDelivery, until } from './support/delivery.ts';
import { OVERDUE_SWEEP_JOB } from '../src/ports/jobs.ts';

const delivery = useDelivery();

describe('priority', () => {
  it('sends urgent requests before routine ones already waiting', async () => {
    const now = fixedClock('2026-12-01T10:00:00Z');
    const runtime = await delivery.runtime('priority', { now });
    const routine: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      routine.push(await delivery.accept(runtime, requestBody({ dosServiceId: `30000000${i}` })));
    }
    const high = await delivery.accept(
      runtime,
      requestBody({ dosServiceId: '300000098', testDates: testDatesIn(14, now) }),
    );
    const urgent = await delivery.accept(
      runtime,
      requestBody({ dosServiceId: '300000099', testDates: testDatesIn(1, now) }),
    );
    delivery.worker(runtime, { concurrency: 1 });
    await delivery.sink.waitForMessages(7);
    expect(delivery.sentRequestIds()).toEqual([urgent, high, ...routine]);
  });
});

describe('a queue per kind of work', () => {
  it('keeps a send job (7 days) on the dashboard after more than 100 sweep runs', async () => {
    const runtime = await delivery.runtime('retention');
    const id = await delivery.accept(runtime);
    delivery.worker(runtime);
    await delivery.waitForStatus(runtime, id, 'sent');
    // 101 overdue sweeps, each kept only among the last 100 of its own queue.
    const SWEEPS = 101;
    await runtime.followUpQueue.addBulk(
      Array.from({ length: SWEEPS }, () => ({
        name: OVERDUE_SWEEP_JOB,
        data: {},
        opts: SWEEP_OPTIONS,
      })),
    );
    await until(
      async () =>
        (await runtime.followUpQueue.getJobCounts('waiting', 'prioritized', 'active'))
          .prioritized === 0,
      30_000,
      'the sweeps to run',
    );
    await until(async () => (await runtime.followUpQueue.getCompletedCount()) === 100, 15_000);
    const sendJob = await runtime.queue.getJob(sendJobId(id));
    expect(await sendJob?.getState()).toBe('completed');
    expect(await runtime.queue.getJobCounts('completed')).toEqual({ completed: 1 });
  });
});

describe('two workers on one queue', () => {
  const children: Child[] = [];
  afterEach(() => {
    children.splice(0).forEach((child) => {
      child.kill();
    });
  });

  it('send each of 1,000 requests exactly once', async () => {
    const runtime = await delivery.runtime('two-workers');
    // Two processes, as two deployed workers would be, with BullMQ's own (30 s) job lock.
    const env = testEnv(runtime.config.queuePrefix, {
      SMTP_URL: delivery.sink.url,
      WORKER_CONCURRENCY: '8',
      ECAT_TEST_LOCK_MS: '30000',
      ECAT_TEST_STALLED_MS: '30000',
    });
    children.push(spawnTestWorker(env), spawnTestWorker(env));
    await Promise.all(children.map((child) => child.waitFor('ready')));

    // Submitted while the workers are already taking jobs, in batches of 100 at a time.
    const deps = runtime.intakeDeps('test');
    const ids = new Set<string>();
    for (let batch = 0; batch < 10; batch += 1) {
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          submitRequest(
            requestBody({ dosServiceId: String(4_000_000_000 + batch * 100 + i) }),
            deps,
          ),
        ),
      );
      for (const result of results) if (result.outcome === 'accepted') ids.add(result.id);
    }
    expect(ids.size).toBe(1000);

    await until(async () => (await runtime.store.count('sent')) === 1000, 80_000, '1,000 sent');
    await until(async () => (await runtime.queue.getActiveCount()) === 0, 5_000, 'no active job');
    const sent = delivery.sentRequestIds();
    expect(sent).toHaveLength(1000);
    expect(new Set(sent)).toEqual(ids);
    expect(await runtime.store.count('queued')).toBe(0);
    // Besides the 1,000 sends the workers may have run a follow-up sweep: none failed.
    expect(await runtime.queue.getFailedCount()).toBe(0);
  }, 120_000);
});

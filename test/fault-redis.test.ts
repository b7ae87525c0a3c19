import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submitRequest } from '../src/use-cases/submit.ts';
import { DependencyUnavailableError } from '../src/adapters/redis/connection.ts';
import { sendJobId } from '../src/adapters/queues/queues.ts';
import { openRuntime, startWorker, type Runtime } from '../src/wiring/runtime.ts';
import { requestBody, testConfig, uniquePrefix, acceptMany } from './support/ecat.ts';
import { until } from './support/delivery.ts';
import { createTestRedis, type TestRedis } from './support/redis-server.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';

let redis: TestRedis;
let sink: SmtpSink;

beforeAll(async () => {
  redis = await createTestRedis();
  await redis.start();
  sink = await startSmtpSink();
});

afterAll(async () => {
  await redis.remove();
  await sink.close();
});

async function runtimeFor(prefix: string): Promise<Runtime> {
  return openRuntime(testConfig(prefix, { REDIS_URL: redis.url, SMTP_URL: sink.url }), {
    retry: { attempts: 5, backoffMs: 50 },
  });
}

/** A runtime on a fresh prefix named for the test, and its intake's dependencies. */
async function freshIntake(name: string) {
  const prefix = uniquePrefix(name);
  const runtime = await runtimeFor(prefix);
  return { prefix, runtime, deps: runtime.intakeDeps('test') };
}

/** Every record has its job and every job its record: nothing half-written. */
async function consistency(runtime: Runtime) {
  const records = await runtime.store.list('all', { limit: 500 });
  const jobs = await runtime.queue.getJobs([
    'prioritized',
    'waiting',
    'active',
    'delayed',
    'completed',
  ]);
  const jobIds = new Set(jobs.map((job) => job.id));
  const recordIds = new Set(records.items.map((record) => record.id));
  return {
    records: records.total,
    jobs: jobs.length,
    recordsWithoutJob: records.items.filter(
      (r) => r.status === 'queued' && !jobIds.has(sendJobId(r.id)),
    ).length,
    jobsWithoutRecord: jobs.filter(
      (job) => !recordIds.has((job.data as { requestId: string }).requestId),
    ).length,
  };
}

describe.each(['SIGTERM', 'SIGKILL'] as const)('Redis restarted with %s', (signal) => {
  it('keeps all 100 accepted requests and their jobs, and they are all delivered', async () => {
    const prefix = uniquePrefix(`restart-${signal}`);
    let runtime = await runtimeFor(prefix);
    const ids = await acceptMany(
      runtime,
      100,
      signal === 'SIGTERM' ? 8_000_000_000 : 8_100_000_000,
    );
    await runtime.close();

    await redis.stop(signal);
    await redis.start();

    runtime = await runtimeFor(prefix);
    expect(await consistency(runtime)).toEqual({
      records: 100,
      jobs: 100,
      recordsWithoutJob: 0,
      jobsWithoutRecord: 0,
    });
    const before = sink.messages.length;
    const worker = startWorker(runtime, pino({ level: 'silent' }));
    await sink.waitForMessages(before + 100, 30_000);
    await worker.stop(5000);
    for (const id of ids) expect((await runtime.store.get(id))?.status).toBe('sent');
    await runtime.close();
  });
});

describe('Redis restarted under a running process (an empty script cache)', () => {
  it('gives a request accepted after a refused duplicate its job', async () => {
    const { runtime, deps } = await freshIntake('cold-scripts');
    const first = requestBody({ dosServiceId: '8300000000' });
    expect((await submitRequest(first, deps)).outcome).toBe('accepted');

    await redis.stop('SIGTERM');
    await redis.start();
    // The same connection, reconnected; a restarted Redis has no scripts cached.
    await until(async () => (await runtime.redis.ping().catch(() => '')) === 'PONG');
    // A duplicate's transaction is aborted (WATCH) after its job script went out as EVAL, unrun.
    expect((await submitRequest(first, deps)).outcome).toBe('duplicate');
    const next = await submitRequest(requestBody({ dosServiceId: '8300000001' }), deps);
    expect(next.outcome).toBe('accepted');
    expect(await consistency(runtime)).toEqual({
      records: 2,
      jobs: 2,
      recordsWithoutJob: 0,
      jobsWithoutRecord: 0,
    });
    await runtime.close();
  });
});

describe('Redis killed during intake', () => {
  it('answers unavailable, and leaves no record without its job after it returns', async () => {
    const { prefix, runtime, deps } = await freshIntake('kill-intake');
    const outcomes = await Promise.allSettled(
      Array.from({ length: 60 }, async (_, i) => {
        if (i === 20) await redis.stop('SIGKILL');
        return submitRequest(requestBody({ dosServiceId: String(8_200_000_000 + i) }), deps);
      }),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.length).toBeGreaterThan(0);
    for (const outcome of refused) {
      expect(outcome.reason).toBeInstanceOf(DependencyUnavailableError);
    }
    await runtime.close();

    await redis.start();
    const after = await runtimeFor(prefix);
    const state = await consistency(after);
    expect(state.recordsWithoutJob).toBe(0);
    expect(state.jobsWithoutRecord).toBe(0);
    expect(state.records).toBe(state.jobs);
    await after.close();
  });
});

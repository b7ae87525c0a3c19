// `ecat worker`'s own port (WORKER_PORT): probes and metrics under the web server's rules, the
// drain seen by /readyz, the image's HEALTHCHECK answered by either process; and the oldest
// waiting job, read from the queue's events rather than the job's creation time.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildWorkerServer } from '../src/adapters/http/worker-server.ts';
import { oldestWaitingSeconds } from '../src/adapters/queues/oldest-waiting.ts';
import { createWorkerMetrics } from '../src/adapters/queues/worker-metrics.ts';
import { submitRequest } from '../src/use-cases/submit.ts';
import { openRuntime, type Runtime } from '../src/wiring/runtime.ts';
import { spawnEcat, type Child } from './support/child-worker.ts';
import {
  deletePrefix,
  REDIS_URL,
  requestBody,
  testConfig,
  testEnv,
  uniquePrefix,
} from './support/ecat.ts';
import { until } from './support/poll.ts';
import { freePort } from './support/redis-server.ts';

const silent = pino({ level: 'silent' });
const prefixes: string[] = [];
const runtimes: Runtime[] = [];
const children: Child[] = [];

async function runtimeFor(name: string, env: Record<string, string> = {}): Promise<Runtime> {
  const prefix = uniquePrefix(name);
  prefixes.push(prefix);
  const runtime = await openRuntime(testConfig(prefix, env));
  runtimes.push(runtime);
  return runtime;
}

afterEach(() => {
  for (const child of children.splice(0)) child.kill();
});

afterAll(async () => {
  await Promise.all(runtimes.map((runtime) => runtime.close()));
  for (const prefix of prefixes) await deletePrefix(prefix);
});

describe("the worker's port, behind the web server's gate", () => {
  it('without credentials: probes and metrics on loopback names only, nothing else', async () => {
    const runtime = await runtimeFor('worker-port-local');
    const state = { metrics: createWorkerMetrics().registry, stopping: false };
    const app = await buildWorkerServer(runtime, state, silent);
    try {
      expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
      const metrics = await app.inject({ url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      expect(metrics.body).toContain('process_resident_memory_bytes');
      expect(metrics.body).toContain('# TYPE ecat_worker_jobs_total counter');
      // A name that is not this machine's is refused, as on the web server (DNS rebinding).
      const foreign = await app.inject({ url: '/metrics', headers: { host: 'ecat.example' } });
      expect(foreign.statusCode).toBe(403);
      // Only the three routes: the form, the API and the dashboard are not served here.
      for (const url of ['/', '/api/requests', '/admin/queues', '/requests']) {
        expect((await app.inject({ url })).statusCode, url).toBe(404);
      }
      state.stopping = true;
      const draining = await app.inject({ url: '/readyz' });
      expect(draining.statusCode).toBe(503);
      expect(draining.json()).toEqual({ status: 'stopping' });
      expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('with credentials: /metrics needs METRICS_TOKEN (or API_TOKEN), the probes stay open', async () => {
    const runtime = await runtimeFor('worker-port-tokens', {
      API_TOKEN: 'api-secret',
      METRICS_TOKEN: 'metrics-secret',
    });
    const app = await buildWorkerServer(
      runtime,
      { metrics: createWorkerMetrics().registry, stopping: false },
      silent,
    );
    const host = { host: 'worker.ecat.internal:3001' };
    try {
      expect((await app.inject({ url: '/readyz', headers: host })).statusCode).toBe(200);
      const bare = await app.inject({ url: '/metrics', headers: host });
      expect(bare.statusCode).toBe(401);
      expect(bare.headers['www-authenticate']).toBe('Bearer realm="ecat"');
      const wrong = { ...host, authorization: 'Bearer nope' };
      expect((await app.inject({ url: '/metrics', headers: wrong })).statusCode).toBe(401);
      for (const token of ['metrics-secret', 'api-secret']) {
        const headers = { ...host, authorization: `Bearer ${token}` };
        expect((await app.inject({ url: '/metrics', headers })).statusCode).toBe(200);
      }
    } finally {
      await app.close();
    }
  });
});

/** The image's HEALTHCHECK command, run as Docker would, with `env`. */
function healthcheck(env: Record<string, string>): Promise<number | null> {
  const dockerfile = readFileSync('Dockerfile', 'utf8').replace(/\\\n/g, ' ');
  const command = /HEALTHCHECK .*?CMD (\[.*\])/.exec(dockerfile)?.[1];
  if (!command) throw new Error('no HEALTHCHECK CMD in the Dockerfile');
  const [program, ...args] = JSON.parse(command) as string[];
  expect(program).toBe('node');
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env } });
  return new Promise((resolve) => child.once('exit', resolve));
}

describe('`ecat worker` as a process', () => {
  it('answers on WORKER_PORT, counts the jobs it ends, passes the image health check, drains on SIGTERM', async () => {
    const prefix = uniquePrefix('worker-port-process');
    prefixes.push(prefix);
    const [workerPort, closedPort] = [await freePort(), await freePort()];
    const outbox = await mkdtemp(join(tmpdir(), 'ecat-worker-port-'));
    const worker = spawnEcat(
      ['worker'],
      testEnv(prefix, { WORKER_PORT: String(workerPort), LOG_LEVEL: 'info', OUTBOX_DIR: outbox }),
    );
    children.push(worker);
    await worker.waitFor(`worker health and metrics on http://127.0.0.1:${workerPort}`);
    const base = `http://127.0.0.1:${workerPort}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);

    // One request accepted by this test's process is sent by the child: its counters say so.
    const sender = await openRuntime(testConfig(prefix));
    runtimes.push(sender);
    const accepted = await submitRequest(
      requestBody({ dosServiceId: '9100000077' }),
      sender.intakeDeps('test'),
    );
    expect(accepted.outcome).toBe('accepted');
    const completed = await until(
      async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        const line = text
          .split('\n')
          .find((l) => l.startsWith('ecat_worker_jobs_total{queue="mail",outcome="completed"}'));
        return line?.endsWith(' 1') ? line : undefined;
      },
      20_000,
      'the worker to count its sent email',
    );
    expect(completed).toBeDefined();

    // The image's check: the worker container has nothing on PORT, and passes on WORKER_PORT.
    expect(await healthcheck({ PORT: String(closedPort), WORKER_PORT: String(workerPort) })).toBe(
      0,
    );
    expect(await healthcheck({ PORT: String(closedPort), WORKER_PORT: String(closedPort) })).toBe(
      1,
    );

    worker.process.kill('SIGTERM');
    expect(await worker.exit).toBe(0);
    expect(await healthcheck({ PORT: String(closedPort), WORKER_PORT: String(workerPort) })).toBe(
      1,
    );
    await rm(outbox, { recursive: true, force: true });
  });
});

describe("a worker's job counts", () => {
  it('tells a retried attempt from a job failed for good, and times the finished ones', async () => {
    const prefix = uniquePrefix('worker-counts');
    prefixes.push(prefix);
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue('counted', { connection, prefix });
    const worker = new Worker(
      'counted',
      (job) => {
        if (job.name === 'hopeless') throw new UnrecoverableError('cannot help');
        if (job.name === 'flaky' && job.attemptsMade === 0) throw new Error('not this time');
        return Promise.resolve('done');
      },
      { connection, prefix },
    );
    const metrics = createWorkerMetrics();
    metrics.watch(worker, 'mail');
    const count = async (outcome: string) =>
      (await metrics.registry.getSingleMetric('ecat_worker_jobs_total')!.get()).values.find(
        (value) => value.labels.outcome === outcome,
      )?.value;
    try {
      expect(await count('failed')).toBe(0);
      await queue.add('flaky', {}, { attempts: 2 });
      await queue.add('hopeless', {}, { attempts: 5 });
      await until(
        async () => (await count('completed')) === 1 && (await count('failed')) === 1,
        10_000,
        'both jobs to end',
      );
      expect(await count('retried')).toBe(1);
      const durations = await metrics.registry
        .getSingleMetric('ecat_worker_job_duration_seconds')!
        .get();
      const finished = durations.values.find(
        (value) =>
          (value as { metricName?: string }).metricName ===
          'ecat_worker_job_duration_seconds_count',
      );
      expect(finished?.value).toBe(2);
    } finally {
      await worker.close();
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('the oldest waiting job', () => {
  const prefix = uniquePrefix('oldest-waiting');
  let redis: Redis;
  let queue: Queue;

  beforeAll(() => {
    prefixes.push(prefix);
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    queue = new Queue('waiting-test', { connection: redis, prefix });
  });

  afterAll(async () => {
    await queue.close();
    redis.disconnect();
  });

  it('is 0 when nothing waits, and grows with the age of the earliest due job', async () => {
    expect(await oldestWaitingSeconds(redis, queue)).toBe(0);
    await queue.add('first', {}, { priority: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await queue.add('second', {});
    const age = await oldestWaitingSeconds(redis, queue);
    expect(age).toBeGreaterThanOrEqual(1.1);
    expect(age).toBeLessThan(10);
    await queue.obliterate({ force: true });
    expect(await oldestWaitingSeconds(redis, queue)).toBe(0);
  });

  it('counts from when a delayed job became due, not from when it was added', async () => {
    const job = await queue.add('chaser', {}, { delay: 60_000, priority: 1 });
    await new Promise((resolve) => setTimeout(resolve, 1200));
    expect(await oldestWaitingSeconds(redis, queue)).toBe(0);
    await job.promote();
    // Added 1.2 s ago, due only now: the creation time would read as 1.2 s of waiting.
    expect(Date.now() - job.timestamp).toBeGreaterThanOrEqual(1200);
    expect(await oldestWaitingSeconds(redis, queue)).toBeLessThan(0.5);
  });
});

// Contract test of the queue seam (issue 13): `addJobToTransaction` runs BullMQ's job scripts inside
// our own MULTI through BullMQ's private `runCommand`, so bullmq is pinned to one exact version and
// this file says whether a version keeps the seam working. Re-run it before changing the pin.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { addJobToTransaction } from '../src/adapters/queues/queues.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/ecat.ts';
import { createTestRedis } from './support/redis-server.ts';

const prefix = uniquePrefix('queue-seam');
const JOB_NAME = 'configure-endpoint';

const RETRY: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 25 },
  removeOnComplete: { age: 3600, count: 100 },
  removeOnFail: { age: 7200, count: 100 },
};

// One case per script the seam can run: addStandardJob, addPrioritizedJob, addDelayedJob.
const CASES = [
  { script: 'addStandardJob', state: 'waiting', options: RETRY },
  { script: 'addPrioritizedJob', state: 'prioritized', options: { ...RETRY, priority: 2 } },
  { script: 'addDelayedJob', state: 'delayed', options: { ...RETRY, priority: 1, delay: 400 } },
] as const;

function jobData(id: string) {
  return {
    requestId: `req-${id}`,
    dosServiceId: '2000072489',
    environment: 'INT',
    urgency: 'urgent',
    note: 'Café ✓ "quoted"',
    nested: { list: [1, 'two', null], flag: true },
  };
}

// Every connection and queue a test opens, closed after the file.
const closers: (() => Promise<void>)[] = [];
let queueCount = 0;

/** A queue on a connection of its own (a fresh socket), ready, as `openRuntime` makes one. */
async function openQueue(
  label: string,
  { url = REDIS_URL, keyPrefix = prefix, closeWith = closers } = {},
): Promise<{ redis: Redis; queue: Queue }> {
  const redis = new Redis(url);
  const queue = new Queue(`${label}-${(queueCount += 1)}`, {
    connection: redis,
    prefix: keyPrefix,
  });
  closeWith.push(async () => {
    await queue.close();
    redis.disconnect();
  });
  await queue.waitUntilReady();
  return { redis, queue };
}

afterAll(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await deletePrefix(prefix);
});

async function scan(redis: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

/** The queue's keys, without the prefix and queue name, each with its Redis type. */
async function queueKeys(redis: Redis, queue: Queue): Promise<Record<string, string>> {
  const base = `${queue.opts.prefix}:${queue.name}:`;
  const keys = await scan(redis, `${base}*`);
  const types = await Promise.all(keys.map((key) => redis.type(key)));
  return Object.fromEntries(keys.map((key, i) => [key.slice(base.length), types[i]!]));
}

/**
 * `queue.add` also writes the id into the job's options; the seam passes it beside them, as
 * `new Job(…, jobId)`, so it is left out of the comparison. (A consequence, not compared here:
 * BullMQ checks the id rules, no integers and no `:`, only on `opts.jobId`, and merges the queue's
 * `defaultJobOptions` only in `queue.add`, so the seam does neither.)
 */
function withoutJobId(opts: { jobId?: unknown } | undefined): object | undefined {
  if (opts === undefined) return undefined;
  const { jobId: _jobId, ...rest } = opts;
  return rest;
}

/** Everything a worker, the dashboard or a getter could tell about a job, timestamps aside. */
async function footprint(redis: Redis, queue: Queue, id: string) {
  const job = await queue.getJob(id);
  const {
    timestamp: _timestamp,
    opts,
    ...hash
  } = await redis.hgetall(`${queue.opts.prefix}:${queue.name}:${id}`);
  const events = await redis.xrange(`${queue.opts.prefix}:${queue.name}:events`, '-', '+');
  return {
    state: await queue.getJobState(id),
    id: job?.id,
    name: job?.name,
    data: job?.data as unknown,
    opts: withoutJobId(job?.opts),
    delay: job?.delay,
    priority: job?.priority,
    attemptsMade: job?.attemptsMade,
    hash: { ...hash, opts: withoutJobId(JSON.parse(opts ?? '{}') as { jobId?: unknown }) },
    keys: await queueKeys(redis, queue),
    // Event names in order; their fields carry absolute times, which differ between two adds.
    events: events.map(([, fields]) => fields[fields.indexOf('event') + 1]),
  };
}

describe('a job added through the seam inside an EXECed MULTI', () => {
  it.each(CASES)(
    'is the same as queue.add with the same options ($script, $state)',
    async ({ state, options }) => {
      const seam = await openQueue('seam');
      const reference = await openQueue('reference');
      const id = `${seam.queue.name}-${state}`;
      const recordKey = `${prefix}:record:${seam.queue.name}`;

      const multi = seam.redis.multi();
      multi.set(recordKey, 'the request record');
      await addJobToTransaction(seam.queue, multi, JOB_NAME, jobData(id), options, id);
      // Exactly one command per job, the script, whose reply is the job id: our record and the
      // job are one transaction and nothing else rides along.
      expect(await multi.exec()).toEqual([
        [null, 'OK'],
        [null, id],
      ]);
      await reference.queue.add(JOB_NAME, jobData(id), { ...options, jobId: id });

      const added = await footprint(seam.redis, seam.queue, id);
      expect(added.state).toBe(state);
      expect(added.id).toBe(id);
      expect(added.name).toBe(JOB_NAME);
      expect(added.data).toEqual(jobData(id));
      expect(added.opts).toMatchObject(options);
      expect(added).toEqual(await footprint(reference.redis, reference.queue, id));
      expect(await seam.redis.get(recordKey)).toBe('the request record');
    },
  );

  it('is processed by a real Worker, retries as its options say, and completes', async () => {
    const { redis, queue } = await openQueue('processed');
    const multi = redis.multi();
    multi.set(`${prefix}:record:${queue.name}`, 'the request record');
    const ids = CASES.map(({ state }) => `${queue.name}-${state}`);
    for (const [i, { options }] of CASES.entries()) {
      await addJobToTransaction(queue, multi, JOB_NAME, jobData(ids[i]!), options, ids[i]!);
    }
    expect(await multi.exec()).toEqual([[null, 'OK'], ...ids.map((id) => [null, id])]);

    const seen: { id: string | undefined; attempt: number; data: unknown }[] = [];
    const errors: Error[] = [];
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const worker = new Worker(
      queue.name,
      (job: Job) => {
        seen.push({ id: job.id, attempt: job.attemptsMade + 1, data: job.data });
        // The first attempt fails, so the job's attempts and backoff have to work for it to end.
        if (job.attemptsMade === 0) return Promise.reject(new Error('first attempt fails'));
        return Promise.resolve({ sent: job.id });
      },
      { connection, prefix, concurrency: 1 },
    );
    worker.on('error', (error) => errors.push(error));
    try {
      await vi.waitFor(
        async () => {
          const states = await Promise.all(ids.map((id) => queue.getJobState(id)));
          expect(states).toEqual(ids.map(() => 'completed'));
        },
        { timeout: 15_000, interval: 50 },
      );
    } finally {
      await closeWithin(5_000, () => worker.close());
      connection.disconnect();
    }

    for (const id of ids) {
      const job = await queue.getJob(id);
      expect(job?.returnvalue).toEqual({ sent: id });
      expect(job?.attemptsMade).toBe(2);
      expect(seen.filter((run) => run.id === id)).toEqual([
        { id, attempt: 1, data: jobData(id) },
        { id, attempt: 2, data: jobData(id) },
      ]);
    }
    expect(errors).toEqual([]);
  });
});

describe('a MULTI that does not run leaves no job behind', () => {
  /** Nothing of the job anywhere under the prefix, and the queue's keys as they were. */
  async function expectNoTrace(
    redis: Redis,
    queue: Queue,
    id: string,
    keysBefore: Record<string, string>,
  ) {
    expect(await queue.getJob(id)).toBeUndefined();
    expect(await queue.getJobState(id)).toBe('unknown');
    expect(await scan(redis, `${prefix}:*${id}*`)).toEqual([]);
    expect(await queueKeys(redis, queue)).toEqual(keysBefore);
    expect(Object.values(await queue.getJobCounts()).every((count) => count === 0)).toBe(true);
  }

  it.each(
    CASES.flatMap((aCase) => [
      { ...aCase, how: 'discarded before EXEC', execAfter: false },
      { ...aCase, how: 'discarded by Redis: DISCARD, then EXEC', execAfter: true },
    ]),
  )('$how ($script)', async ({ state, options, execAfter }) => {
    const { redis, queue } = await openQueue(execAfter ? 'redis-discarded' : 'discarded');
    const id = `${queue.name}-${state}`;
    const recordKey = `${prefix}:record:${queue.name}`;
    const keysBefore = await queueKeys(redis, queue);

    const multi = redis.multi();
    multi.set(recordKey, 'the request record');
    await addJobToTransaction(queue, multi, JOB_NAME, jobData(id), options, id);
    multi.discard();
    if (execAfter) await expect(multi.exec()).rejects.toThrow();

    await expectNoTrace(redis, queue, id, keysBefore);
    expect(await redis.exists(recordKey)).toBe(0);
  });

  it.each(CASES)('aborted by WATCH ($script)', async ({ state, options }) => {
    const { redis, queue } = await openQueue('aborted');
    const other = new Redis(REDIS_URL);
    closers.push(() => {
      other.disconnect();
      return Promise.resolve();
    });
    const id = `${queue.name}-${state}`;
    const recordKey = `${prefix}:record:${queue.name}`;
    const keysBefore = await queueKeys(redis, queue);

    await redis.watch(recordKey);
    const multi = redis.multi();
    multi.set(recordKey, 'the request record');
    await addJobToTransaction(queue, multi, JOB_NAME, jobData(id), options, id);
    await other.set(recordKey, 'written by someone else');
    expect(await multi.exec()).toBeNull();

    await expectNoTrace(redis, queue, id, keysBefore);
    expect(await redis.get(recordKey)).toBe('written by someone else');
  });

  it('made before the queue was ready: the seam throws instead of leaving the job out', async () => {
    // ioredis copies a connection's scripts into a MULTI when the MULTI is made; BullMQ defines
    // its scripts on our connection only once the queue is ready (hence the order in openRuntime).
    const redis = new Redis(REDIS_URL);
    const queue = new Queue(`early-${(queueCount += 1)}`, { connection: redis, prefix });
    closers.push(async () => {
      await queue.close();
      redis.disconnect();
    });
    const multi = redis.multi();
    const id = `${queue.name}-early`;
    await expect(
      addJobToTransaction(queue, multi, JOB_NAME, jobData(id), RETRY, id),
    ).rejects.toThrow(TypeError);
    expect(await queue.getJobState(id)).toBe('unknown');
  });

  it('with an id BullMQ refuses (all digits, or a colon): throws, as queue.add does', async () => {
    const { redis, queue } = await openQueue('bad-ids');
    for (const id of ['2000072489', 'send:1']) {
      await expect(queue.add(JOB_NAME, jobData(id), { ...RETRY, jobId: id })).rejects.toThrow();
      const multi = redis.multi();
      await expect(
        addJobToTransaction(queue, multi, JOB_NAME, jobData(id), RETRY, id),
      ).rejects.toThrow();
      multi.discard();
      expect(await queue.getJobState(id)).toBe('unknown');
    }
  });
});

describe('on a Redis that has not cached the job scripts', () => {
  // A hazard of the seam as it is (bullmq 6.7.0, ioredis 6.0.0), pinned so a change shows: ioredis
  // sends a script as EVAL the first time on each socket and as EVALSHA after, whether or not that
  // EVAL ran. A MULTI aborted by WATCH (the store's duplicate check aborts one on purpose) never
  // runs it, so on a cold script cache (a new or restarted Redis, a failover, new script text after
  // a bullmq upgrade) every later MULTI on that connection commits the record and gets NOSCRIPT for
  // the job. The runtime therefore caches every script on each (re)connect (keepScriptsCached in
  // src/adapters/redis/connection.ts; fault-redis.test.ts shows it end to end); this pins the hazard that makes that
  // necessary. A private redis-server, because the shared one has the scripts cached already.
  it('a MULTI after one aborted by WATCH commits without its job (NOSCRIPT in the EXEC reply)', async () => {
    const server = await createTestRedis();
    const closeWith: (() => Promise<void>)[] = [];
    await server.start();
    try {
      const { redis, queue } = await openQueue('cold', {
        url: server.url,
        keyPrefix: 'cold',
        closeWith,
      });
      const other = new Redis(server.url);
      closeWith.push(() => {
        other.disconnect();
        return Promise.resolve();
      });

      await redis.watch('cold:record:1');
      const aborted = redis.multi();
      aborted.set('cold:record:1', 'the first record');
      await addJobToTransaction(queue, aborted, JOB_NAME, jobData('1'), RETRY, 'job-1');
      await other.set('cold:record:1', 'written by someone else');
      expect(await aborted.exec()).toBeNull();

      const next = redis.multi();
      next.set('cold:record:2', 'the second record');
      await addJobToTransaction(queue, next, JOB_NAME, jobData('2'), RETRY, 'job-2');
      const reply = await next.exec();
      expect(reply?.[0]).toEqual([null, 'OK']);
      const [error] = reply?.[1] ?? [];
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message.split(' ')[0]).toBe('NOSCRIPT');
      expect(await redis.get('cold:record:2')).toBe('the second record');
      expect(await queue.getJobState('job-2')).toBe('unknown');
    } finally {
      await Promise.all(closeWith.map((close) => close()));
      await server.remove();
    }
  });
});

describe('the bullmq version', () => {
  it('is the one pinned in package.json, exactly', () => {
    const installed = (createRequire(import.meta.url)('bullmq/package.json') as { version: string })
      .version;
    const manifest = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ) as {
      dependencies: Record<string, string>;
    };
    const pinned = manifest.dependencies.bullmq;
    const advice =
      'the queue seam (addJobToTransaction) uses BullMQ private API: re-run test/queue-transaction-contract.test.ts before changing the pin';
    expect(
      pinned,
      `bullmq is "${pinned}" in package.json, not an exact version; ${advice}`,
    ).toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed, `bullmq ${installed} is installed but ${pinned} is pinned; ${advice}`).toBe(
      pinned,
    );
  });
});

async function closeWithin(ms: number, close: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`close took longer than ${ms} ms`));
    }, ms);
  });
  try {
    await Promise.race([close(), late]);
  } finally {
    clearTimeout(timer);
  }
}

// The limits held in Redis rather than in each process: the pace two limiters on two connections
// share, as two processes would, against the real Redis; and a Redis that stops under a server,
// which must answer a rate-limited post 503 (not 500, and not let it through uncounted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectCommandRedis,
  DependencyUnavailableError,
  type Redis,
} from '../src/adapters/redis/connection.ts';
import { createRedisRateLimiter, paceKeys } from '../src/adapters/redis/rate-limiter.ts';
import { openRuntime } from '../src/wiring/runtime.ts';
import { deletePrefix, REDIS_URL, testConfig, uniquePrefix } from './support/ecat.ts';
import { until } from './support/poll.ts';
import { createTestRedis, type TestRedis } from './support/redis-server.ts';
import { buildTestServer, formFields, postRequest, type ApiBody } from './support/web.ts';
import { mostInAnyWindow } from './support/timing.ts';

describe('the Redis pace', () => {
  const prefix = uniquePrefix('pace');
  const connections: Redis[] = [];

  beforeAll(async () => {
    connections.push(await connectCommandRedis(REDIS_URL), await connectCommandRedis(REDIS_URL));
  });
  afterAll(async () => {
    for (const connection of connections) connection.disconnect();
    await deletePrefix(prefix);
  });

  it('is one budget for two limiters on two connections: at most 5 calls in any 500 ms', async () => {
    const key = paceKeys(prefix).directory('INT');
    const limiters = connections.map((redis) =>
      createRedisRateLimiter(redis, key, { perWindow: 5, windowMs: 500, leaseMs: 5000 }),
    );
    const started = performance.now();
    const calls: number[] = [];
    const call = () => {
      calls.push(performance.now() - started);
      return Promise.resolve();
    };
    await Promise.all(
      limiters.flatMap((limiter) => Array.from({ length: 12 }, () => limiter.run(call))),
    );
    calls.sort((a, b) => a - b);
    expect(calls).toHaveLength(24);
    // Each call is timed while it runs, between Redis letting it start and hearing it finished:
    // the window holds exactly, with no allowance for the trip to Redis and back.
    expect(mostInAnyWindow(calls, 500)).toBeLessThanOrEqual(5);
    // 24 calls at 5 a window need four windows after the first; two budgets would need two.
    expect((calls.at(-1) ?? 0) - (calls[0] ?? 0)).toBeGreaterThanOrEqual(4 * 500 - 50);
    // The log lives under the prefix and goes when idle.
    const ttl = await connections[0]?.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5500);
  });

  it('counts a call until a window after it has finished, not only at its start', async () => {
    const key = paceKeys(prefix).directory('PROD');
    const [one, two] = connections.map((redis) =>
      createRedisRateLimiter(redis, key, { perWindow: 1, windowMs: 200, leaseMs: 5000 }),
    );
    const started = performance.now();
    let finished = 0;
    let second = 0;
    let firstBegan: () => void = () => undefined;
    const firstRunning = new Promise<void>((resolve) => {
      firstBegan = resolve;
    });
    await Promise.all([
      one?.run(async () => {
        firstBegan();
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = performance.now() - started;
      }),
      // Asks once the first has started, while it is still running (however slow the machine).
      firstRunning.then(() =>
        two?.run(() => {
          second = performance.now() - started;
          return Promise.resolve();
        }),
      ),
    ]);
    expect(finished).toBeGreaterThanOrEqual(300);
    expect(second).toBeGreaterThanOrEqual(finished + 200 - 5);
  });

  it('rejects with DependencyUnavailableError when Redis is away, and makes no call', async () => {
    const server = await createTestRedis();
    await server.start();
    const redis = await connectCommandRedis(server.url);
    try {
      const limiter = createRedisRateLimiter(redis, paceKeys(prefix).catalogue, {
        perWindow: 5,
        windowMs: 1000,
        leaseMs: 5000,
      });
      let calls = 0;
      const call = () => {
        calls += 1;
        return Promise.resolve();
      };
      await limiter.run(call);
      await server.stop('SIGTERM');
      await expect(limiter.run(call)).rejects.toBeInstanceOf(DependencyUnavailableError);
      expect(calls).toBe(1);
    } finally {
      redis.disconnect();
      await server.remove();
    }
  });
});

describe('the POST rate limits with Redis stopped', () => {
  let server: TestRedis;
  const prefix = uniquePrefix('rate-limit-down');

  beforeAll(async () => {
    server = await createTestRedis();
    await server.start();
  });
  afterAll(async () => {
    await server.remove();
  });

  it('count in Redis under the prefix, answer 503 with Retry-After while it is away, and count again after', async () => {
    const runtime = await openRuntime(testConfig(prefix, { REDIS_URL: server.url }));
    const app = await buildTestServer(runtime, { rateLimits: { api: 3 } });
    try {
      // `{}` is refused (400) before anything is stored: only the limit touches Redis.
      expect((await postRequest(app, '{}')).statusCode).toBe(400);
      const counter = `${prefix}:rate-limit:POST/api/requests-127.0.0.1`;
      expect(await runtime.redis.get(counter)).toBe('1');

      await server.stop('SIGTERM');
      const api = await postRequest(app, '{}');
      expect(api.statusCode).toBe(503);
      expect(api.headers['retry-after']).toBe('30');
      expect(api.json<ApiBody>().errors[0]?.message).toBe(
        'Redis is unreachable; nothing was stored. Try again shortly.',
      );
      // The form comes back with its answers, as when storing the request fails.
      const form = await app.inject({
        method: 'POST',
        url: '/',
        payload: new URLSearchParams(formFields({ dosServiceId: '8000000077' })).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(form.statusCode).toBe(503);
      expect(form.headers['retry-after']).toBe('30');
      expect(form.body).toContain('cannot store requests at the moment');
      expect(form.body).toContain('value="8000000077"');

      await server.start();
      // Back: counted again from where it was (the AOF kept the first post; the refused ones were
      // not counted), so the third post in the minute is the last one let in.
      await until(
        async () => (await postRequest(app, '{}')).statusCode === 400,
        10_000,
        'the limit to count again',
      );
      expect(await runtime.redis.get(counter)).toBe('2');
      expect((await postRequest(app, '{}')).statusCode).toBe(400);
      expect((await postRequest(app, '{}')).statusCode).toBe(429);
    } finally {
      await app.close();
      await runtime.close().catch(() => undefined);
    }
  });
});

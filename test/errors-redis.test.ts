// Redis failures are classified once, in the Redis adapter, by class, code and the connection's
// own state: against a real ioredis client on a closed port, a closed connection, a Redis that
// stops under it, and real replies from the real Redis.
import { Redis, ReplyError, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcatError } from '../src/domain/errors.ts';
import {
  classifyRedisFailure,
  connectCommandRedis,
  DependencyUnavailableError,
  onRedis,
  type Redis as AnyRedis,
} from '../src/adapters/redis/connection.ts';
import { createRequestStore } from '../src/adapters/redis/requests/redis-request-store.ts';
import { deletePrefix, REDIS_URL, uniquePrefix } from './support/ecat.ts';
import { createTestRedis, freePort, type TestRedis } from './support/redis-server.ts';

const prefix = uniquePrefix('errors-redis');
let redis: AnyRedis;

beforeAll(async () => {
  redis = await connectCommandRedis(REDIS_URL);
});

afterAll(async () => {
  redis.disconnect();
  await deletePrefix(prefix);
});

/** The client the runtime uses for commands, on a port where nothing listens. */
function closedPortClient(port: number, options: RedisOptions = {}) {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  });
  client.on('error', () => undefined);
  return client;
}

function expectUnavailable(error: unknown, where: string) {
  expect(error).toBeInstanceOf(DependencyUnavailableError);
  expect(error).toBeInstanceOf(EcatError);
  const known = error as DependencyUnavailableError;
  expect(known.kind).toBe('unavailable');
  expect(known.retryable).toBe(true);
  expect(known.message).toContain(`Redis is unreachable at ${where}`);
  expect(known.cause).toBeInstanceOf(Error);
}

/** These tests read and count only: no record is accepted, so no job is written. */
const noJobs = () => Promise.resolve();

describe('Redis cannot be reached', () => {
  it('a closed port: connecting fails as unavailable, naming the URL without its password', async () => {
    const port = await freePort();
    const failure = await connectCommandRedis(`redis://:secret@127.0.0.1:${port}`).catch(
      (error: unknown) => error,
    );
    expectUnavailable(failure, 'redis://***@127.0.0.1');
    expect((failure as Error).message).not.toContain('secret');
  });

  it('a closed port: a command refused for want of a connection is unavailable', async () => {
    const port = await freePort();
    const client = closedPortClient(port);
    const failure = await onRedis(client, () => client.get('x')).catch((error: unknown) => error);
    // ioredis's own plain Error, told by the connection's state, not by its text.
    expect(Object.getPrototypeOf((failure as Error).cause)).toBe(Error.prototype);
    expectUnavailable(failure, `redis://127.0.0.1:${port}`);
    client.disconnect();
  });

  it('a closed port with retries: MaxRetriesPerRequestError is unavailable by its class name', async () => {
    const port = await freePort();
    const client = closedPortClient(port, {
      lazyConnect: false,
      enableOfflineQueue: true,
      retryStrategy: () => 50,
    });
    const raw = await client.get('x').catch((error: unknown) => error);
    expect((raw as Error).name).toBe('MaxRetriesPerRequestError');
    // Classified by class even while ioredis is back to connecting.
    expectUnavailable(classifyRedisFailure(raw, client), `redis://127.0.0.1:${port}`);
    client.disconnect();
  });

  it('a connection closed by the process: the store throws DependencyUnavailableError', async () => {
    const client = await connectCommandRedis(REDIS_URL);
    const store = createRequestStore(client, prefix, () => new Date(), noJobs);
    expect(await store.get('req-none')).toBeUndefined();
    client.disconnect();
    expectUnavailable(
      await store.get('req-none').catch((error: unknown) => error),
      'redis://127.0.0.1:6379',
    );
    expectUnavailable(
      await store.list('outstanding').catch((error: unknown) => error),
      'redis://127.0.0.1:6379',
    );
  });

  it('a socket error is unavailable by its code', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    expectUnavailable(classifyRedisFailure(reset, redis), 'redis://127.0.0.1:6379');
  });
});

describe('a Redis that stops under a connected client', () => {
  let server: TestRedis;

  beforeAll(async () => {
    server = await createTestRedis();
    await server.start();
  });

  afterAll(async () => {
    await server.remove();
  });

  it('turns the commands that follow into DependencyUnavailableError', async () => {
    const client = await connectCommandRedis(server.url);
    const store = createRequestStore(client, prefix, () => new Date(), noJobs);
    expect(await store.count('outstanding')).toBe(0);
    await server.stop('SIGKILL');
    const failure = await store.count('outstanding').catch((error: unknown) => error);
    expectUnavailable(failure, server.url);
    client.disconnect();
    // Running again, so remove() has a process to stop (a killed one has no exit code to wait on).
    await server.start();
  });
});

describe('Redis answers', () => {
  it('a reply error that is an answer (WRONGTYPE) is passed through unchanged', async () => {
    const key = `${prefix}:string`;
    await redis.set(key, 'x');
    const failure = await onRedis(redis, () => redis.lpush(key, 'y')).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ReplyError);
    expect(failure).not.toBeInstanceOf(EcatError);
    expect((failure as Error).message).toMatch(/^WRONGTYPE/);
  });

  it('a reply error saying "not now" (LOADING, BUSY) is unavailable by its code', async () => {
    for (const code of ['LOADING', 'BUSY']) {
      const raw = await redis
        .eval(`return redis.error_reply('${code} Redis is busy, try again')`, 0)
        .catch((error: unknown) => error);
      expect(raw).toBeInstanceOf(ReplyError);
      expectUnavailable(classifyRedisFailure(raw, redis), 'redis://127.0.0.1:6379');
    }
  });

  it('a fault of ours while the connection is up is not blamed on Redis', async () => {
    const bug = new TypeError('record is undefined');
    expect(classifyRedisFailure(bug, redis)).toBe(bug);
    // A plain Error too: the connection is ready and writable, so Redis is not the one away.
    const plain = new Error('Connection is closed.');
    expect(classifyRedisFailure(plain, redis)).toBe(plain);
    await expect(
      onRedis(redis, () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });
});

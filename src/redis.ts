// Redis connections. Two kinds (LIBRARIES.md): a command connection that fails fast, for intake
// and reads (a user gets "Redis unreachable" at once, never a hang), and a blocking connection
// for the worker that waits for Redis to come back.
import { Redis } from 'ioredis';
import { withoutCredentials } from './config.ts';

export type { Redis };

/**
 * Redis (or another dependency a command needs) cannot be reached: HTTP 503, CLI exit 3. Raised
 * here, in the Redis adapter, where the failure is recognised.
 */
export class DependencyUnavailableError extends Error {
  override readonly name = 'DependencyUnavailableError';
}

/** Connects now, or throws DependencyUnavailableError naming the URL (without its password). */
export async function connectCommandRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // Keep trying in the background once connected: a long-running server outlives a Redis restart.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  redis.on('error', () => undefined); // surfaced through the failing commands instead
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw unreachable(url, error);
  }
  return redis;
}

/**
 * Puts every Lua script defined on the connection (BullMQ's and ours) into Redis's script cache.
 * ioredis sends a script as EVAL only the first time on a socket and as EVALSHA after, even when
 * that EVAL sat in a MULTI that WATCH aborted and so never ran (the duplicate check aborts one on
 * purpose). On a cold cache — a new or restarted Redis, a failover — the next intake MULTI would
 * then commit its record and fail its job with NOSCRIPT: a request queued with no job.
 */
export async function cacheScripts(redis: Redis): Promise<void> {
  const scripts = Object.values(redis.scriptsSet as Record<string, { lua: string }>);
  await Promise.all(scripts.map((script) => redis.script('LOAD', script.lua)));
}

/**
 * Caches the scripts now and again on every reconnect (a restarted or failed-over Redis has an
 * empty cache). The loads go out first on the new socket, so they reach Redis before any MULTI.
 */
export async function keepScriptsCached(
  redis: Redis,
  onError: (error: unknown) => void,
): Promise<void> {
  redis.on('ready', () => {
    cacheScripts(redis).catch(onError);
  });
  await cacheScripts(redis);
}

/** The worker's connection: BullMQ needs `maxRetriesPerRequest: null` for blocking commands. */
export function createWorkerRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  return redis;
}

export function unreachable(url: string, cause: unknown): DependencyUnavailableError {
  const reason = (cause as Error | undefined)?.message ?? String(cause);
  return new DependencyUnavailableError(
    `Redis is unreachable at ${withoutCredentials(url)} (${reason})`,
    {
      cause,
    },
  );
}

/** True for the errors ioredis gives when the server cannot be reached. */
export function isConnectionError(error: unknown): boolean {
  const message = (error as Error | undefined)?.message ?? '';
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? '';
  return (
    /Connection is closed|Stream isn't writeable|enableOfflineQueue|ECONNREFUSED|ECONNRESET|ETIMEDOUT|MaxRetriesPerRequest|Reached the max retries/i.test(
      message,
    ) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)
  );
}

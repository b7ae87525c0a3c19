// Redis connections. Two kinds (LIBRARIES.md): a command connection that fails fast, for intake
// and reads (a user gets "Redis unreachable" at once, never a hang), and a blocking connection
// for the worker that waits for Redis to come back. Redis failures are classified here, once.
import { Redis, ReplyError } from 'ioredis';
import { EcatError } from '../../domain/errors.ts';
import { withoutCredentials } from '../without-credentials.ts';

export type { Redis };

/**
 * Redis (or another dependency a command needs) cannot be reached: HTTP 503, CLI exit 3. Raised
 * here, in the Redis adapter, where the failure is recognised.
 */
export class DependencyUnavailableError extends EcatError {
  override readonly name = 'DependencyUnavailableError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
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
async function cacheScripts(redis: Redis): Promise<void> {
  const scripts = Object.values<{ lua: string }>(redis.scriptsSet);
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

function unreachable(where: string, cause: unknown): DependencyUnavailableError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new DependencyUnavailableError(
    `Redis is unreachable at ${withoutCredentials(where)} (${reason})`,
    { cause },
  );
}

/**
 * ioredis's own error classes by their names (its public package exports neither): the one it
 * gives when a command ran out of retries, and redis-errors' AbortError, which it aborts a command
 * with when the connection closes under it.
 */
const isNamed = (error: unknown, name: string): error is Error =>
  error instanceof Error && error.name === name;

/** Node's socket errors for a server that cannot be reached or went away. */
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Redis's own answers that mean "not now" (the first word of a reply error is its code): loading
 * its data, busy with a script, a replica without its primary or a demoted primary after a
 * failover, a cluster without its slots.
 */
const UNAVAILABLE_REPLIES = new Set([
  'LOADING',
  'BUSY',
  'MASTERDOWN',
  'READONLY',
  'TRYAGAIN',
  'CLUSTERDOWN',
]);

const isReplyError = (error: unknown): error is Error =>
  error instanceof (ReplyError as typeof Error);

/** Whether the connection could carry a command now: ready, with a socket that still writes. */
function connectionUsable(connection: Redis): boolean {
  return connection.status === 'ready' && connection.stream.writable;
}

/** `redis://host:port` for a connection, as messages show it (never its credentials). */
function whereIs(connection: Redis): string {
  const { host, port, path, tls } = connection.options;
  return path ?? `${tls ? 'rediss' : 'redis'}://${host}:${port}`;
}

/**
 * Whether a command on `connection` failed because Redis cannot be reached or answer now. By class
 * and code, never by message text: MaxRetriesPerRequestError; a ReplyError by its code (its first
 * word); a socket error by its `code`. ioredis rejects a command it could not send or finish
 * ("Connection is closed.", "Stream isn't writeable…") with a plain Error or an AbortError: those
 * are told by the connection's own state, down when the command failed.
 */
function isUnavailableFailure(error: unknown, connection: Redis): boolean {
  if (isNamed(error, 'MaxRetriesPerRequestError')) return true;
  if (isReplyError(error)) return UNAVAILABLE_REPLIES.has(error.message.split(' ', 1)[0] ?? '');
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  const ioredisOwn =
    isNamed(error, 'AbortError') ||
    (error instanceof Error && Object.getPrototypeOf(error) === Error.prototype);
  return ioredisOwn && !connectionUsable(connection);
}

/**
 * A failed command on `connection`, classified once, here: DependencyUnavailableError when Redis
 * cannot be reached or answer now, else the error unchanged (a reply such as WRONGTYPE, or a bug).
 */
export function classifyRedisFailure(error: unknown, connection: Redis): unknown {
  if (error instanceof DependencyUnavailableError || !isUnavailableFailure(error, connection)) {
    return error;
  }
  return unreachable(whereIs(connection), error);
}

/** Runs Redis work on `connection`; a failure of Redis under it becomes DependencyUnavailableError. */
export async function onRedis<T>(connection: Redis, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw classifyRedisFailure(error, connection);
  }
}

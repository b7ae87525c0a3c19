// Redis connections. Two kinds (LIBRARIES.md): a command connection that fails fast, for intake
// and reads (a user gets "Redis unreachable" at once, never a hang), and a blocking connection
// for the worker that waits for Redis to come back. Either is one Redis (a URL), a primary found
// through Sentinel, or a Cluster (settings.ts). Redis failures are classified here, once.
import { Cluster, Redis as OneRedis, ReplyError } from 'ioredis';
import { ConfigError, EcatError } from '../../domain/errors.ts';
import { withoutCredentials } from '../without-credentials.ts';
import {
  clusterOptions,
  reconnectOnReadonly,
  singleUrl,
  standaloneOptions,
  type RedisSettings,
} from './settings.ts';

/** A connection to Redis, whichever kind: ecat's code and BullMQ take either. */
export type Redis = OneRedis | Cluster;

/**
 * Redis (or another dependency a command needs) cannot be reached: HTTP 503, CLI exit 3. Raised
 * here, in the Redis adapter, where the failure is recognised.
 */
export class DependencyUnavailableError extends EcatError {
  override readonly name: string = 'DependencyUnavailableError';
  override readonly kind = 'unavailable';
  override readonly retryable = true;
}

/**
 * A write Redis took that no replica confirmed in time: it stands on the primary, but a failover
 * now could lose it. Unavailable (503, try again) with its own words, as something was written.
 */
export class NotReplicatedError extends DependencyUnavailableError {
  override readonly name = 'NotReplicatedError';
}

/**
 * Connections whose writes must reach a replica: a Sentinel group has replicas by design, and a
 * primary once seen with replicas is expected to keep them. A primary that has lost them all is
 * the one to distrust most: cut off in a failover, still taking writes its successor never sees.
 */
const expectsReplicas = new WeakSet<OneRedis>();

/** Where each connection made here goes, for messages (never its password). */
const described = new WeakMap<Redis, string>();

/** A connection of either kind from settings, with the options `own` adds. */
function createClient(settings: RedisSettings, own: Parameters<typeof standaloneOptions>[1]) {
  const { topology } = settings;
  const client =
    topology.kind === 'cluster'
      ? new Cluster(topology.nodes, clusterOptions(settings, own))
      : topology.kind === 'single'
        ? new OneRedis(topology.url, standaloneOptions(settings, own))
        : new OneRedis(standaloneOptions(settings, own));
  described.set(client, settings.describe);
  if (client instanceof OneRedis && topology.kind === 'sentinel') expectsReplicas.add(client);
  return client;
}

/**
 * Connects now, or throws: DependencyUnavailableError naming where (without its password) when
 * Redis cannot be reached, ConfigError when it refuses the login or its TLS certificate, which
 * waiting will not mend. A URL is one Redis with today's defaults.
 */
export async function connectCommandRedis(where: string | RedisSettings): Promise<Redis> {
  const settings = typeof where === 'string' ? singleUrl(where) : where;
  const redis = createClient(settings, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    // No command waits longer: a socket to a primary that died without closing it would
    // otherwise hold every command behind it (the wedge the failover tests found).
    commandTimeout: settings.commandTimeoutMs,
    // Keep trying in the background once connected: a long-running server outlives a Redis restart.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  // Surfaced through the failing commands instead; the last one explains a failed connect.
  let lastError: unknown;
  redis.on('error', (error: unknown) => {
    lastError = error;
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw refusedOrUnreachable(settings.describe, lastError ?? error);
  }
  return redis;
}

/** The worker's connection: BullMQ needs `maxRetriesPerRequest: null` for blocking commands. */
export function createWorkerRedis(where: string | RedisSettings): Redis {
  const settings = typeof where === 'string' ? singleUrl(where) : where;
  return createClient(settings, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    reconnectOnError: reconnectOnReadonly,
  });
}

/** The primaries, where scripts and checks must reach (one Redis is its own). */
export function primaries(redis: Redis): OneRedis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/**
 * Puts every Lua script defined on the connection (BullMQ's and ours) into Redis's script cache.
 * ioredis sends a script as EVAL only the first time on a socket and as EVALSHA after, even when
 * that EVAL sat in a MULTI that WATCH aborted and so never ran (the duplicate check aborts one on
 * purpose). On a cold cache — a new or restarted Redis, a failover — the next intake MULTI would
 * then commit its record and fail its job with NOSCRIPT: a request queued with no job. In a
 * Cluster each primary gets them (every key is in one slot, but which one's is not known here).
 */
async function cacheScripts(redis: Redis): Promise<void> {
  const scripts = Object.values<{ lua: string }>(redis.scriptsSet);
  await Promise.all(
    primaries(redis).flatMap((node) => scripts.map((script) => node.script('LOAD', script.lua))),
  );
}

/**
 * Caches the scripts now and again on every reconnect (a restarted or failed-over Redis has an
 * empty cache). The loads go out first on the new socket, so they reach Redis before any MULTI.
 */
export async function keepScriptsCached(
  redis: Redis,
  onError: (error: unknown) => void,
): Promise<void> {
  const cache = () => {
    cacheScripts(redis).catch(onError);
  };
  redis.on('ready', cache);
  // A Cluster's new or promoted node.
  if (redis instanceof Cluster) redis.on('+node', cache);
  await cacheScripts(redis);
}

/**
 * Refuses a Redis that evicts keys when its memory is full: a request record, a job or a lock could
 * then vanish without a word. Read from INFO (managed Redis often forbids CONFIG GET), on every
 * primary of a Cluster.
 */
export async function refuseEvictingRedis(redis: Redis, where: string): Promise<void> {
  const policies = await Promise.all(
    primaries(redis).map(async (node) => {
      const info = await node.info('memory');
      return /^maxmemory_policy:(\S+)/m.exec(info)?.[1] ?? 'unknown';
    }),
  );
  const evicting = policies.find((policy) => policy !== 'noeviction');
  if (evicting !== undefined) {
    throw new ConfigError(
      `Redis at ${where} has maxmemory-policy ${evicting}: it may drop requests and jobs when full. Set it to noeviction (a parameter group on managed Redis)`,
    );
  }
}

type ReplicaState = 'none-expected' | 'missing' | 'connected';

/** What a write found of each primary's replicas, so it is asked once (ROLE) per write. */
export type Replicas = ReadonlyMap<OneRedis, ReplicaState>;

/** Whether a primary has replicas to confirm writes: none expected, none connected, or some. */
async function replicasOf(node: OneRedis): Promise<ReplicaState> {
  const role = (await node.call('ROLE')) as [string, number, unknown[]?];
  if ((role[2] ?? []).length > 0) {
    expectsReplicas.add(node);
    return 'connected';
  }
  return expectsReplicas.has(node) ? 'missing' : 'none-expected';
}

/**
 * Before a write that must survive a failover (a request accepted): refused, with nothing written,
 * while a primary that should have replicas has none connected (between a failover and the old
 * primary's return, or on a primary cut off from its successor).
 */
export async function refuseWithoutReplicas(redis: Redis): Promise<Replicas> {
  const nodes = primaries(redis);
  const states = await Promise.all(nodes.map(replicasOf));
  if (states.includes('missing')) {
    throw new NotReplicatedError(
      'No Redis replica is connected, so a request accepted now could be lost in a failover: nothing was stored. Try again shortly',
    );
  }
  return new Map(nodes.map((node, i) => [node, states[i] ?? 'none-expected']));
}

/**
 * After such a write: waits up to `timeoutMs` for a replica of each primary that had some before
 * it to acknowledge this connection's writes (WAIT). Throws NotReplicatedError when none did in
 * time (or went meanwhile): the write stands on the primary, but could be lost with it.
 */
export async function confirmReplicated(
  redis: Redis,
  before: Replicas,
  timeoutMs: number,
): Promise<void> {
  const late = await Promise.all(
    primaries(redis).map(async (node) => {
      if (before.get(node) !== 'connected') return false;
      // On a Cluster's other primaries this connection wrote nothing: WAIT returns at once.
      const acknowledged = (await node.call('WAIT', '1', String(timeoutMs))) as number;
      return acknowledged < 1;
    }),
  );
  if (late.some(Boolean)) {
    throw new NotReplicatedError(
      `Redis took the request, but no replica confirmed it within ${timeoutMs} ms, so a failover now could lose it. Send it again with the same Idempotency-Key to get its answer (without one, a request that was kept answers 409)`,
    );
  }
}

/** Node's and OpenSSL's codes for a TLS handshake or certificate refused. */
const TLS_CODE = /^(ERR_SSL_|ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH)/;

/** Redis's answers to a login it does not accept. */
const AUTH_REPLY = /^(WRONGPASS|NOAUTH|NOPERM)\b|^ERR (invalid password|AUTH)/;

/**
 * A failed connect, said as what it is: a login or certificate refused is configuration (exit 2,
 * one line naming what to check); anything else is Redis not reachable now.
 */
function refusedOrUnreachable(where: string, cause: unknown): Error {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? '';
  const message = cause instanceof Error ? cause.message : String(cause);
  if (TLS_CODE.test(code)) {
    return new ConfigError(
      `Redis at ${where} refused TLS or its certificate was not accepted (${code}: ${message}): check REDIS_TLS_CA_FILE and REDIS_TLS_SERVERNAME`,
      { cause },
    );
  }
  if (AUTH_REPLY.test(message)) {
    return new ConfigError(
      `Redis at ${where} refused the login (${message.split(' ')[0] ?? ''}): check the password in REDIS_URL, or REDIS_USERNAME and REDIS_PASSWORD`,
      { cause },
    );
  }
  return unreachable(where, cause);
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
  // A redirection that reached us: ioredis gave up following them (a slot moving, a failover).
  'MOVED',
  'ASK',
]);

/**
 * ioredis's own failures that carry neither a class nor a code, only these words: a command that
 * outlived its timeout, and a Cluster that cannot route one (redirections without end, every node
 * failing, its slots not known yet). Each means Redis cannot answer now.
 */
const IOREDIS_UNAVAILABLE =
  /^(Command timed out|Too many Cluster redirections|Cluster isn't ready|Failed to refresh slots cache)/;

const isReplyError = (error: unknown): error is Error =>
  error instanceof (ReplyError as typeof Error);

/** Whether the connection could carry a command now: ready, with a socket that still writes. */
function connectionUsable(connection: Redis): boolean {
  if (connection instanceof Cluster) return connection.status === 'ready';
  return connection.status === 'ready' && connection.stream.writable;
}

/** `redis://host:port` for a connection, as messages show it (never its credentials). */
function whereIs(connection: Redis): string {
  const known = described.get(connection);
  if (known !== undefined || connection instanceof Cluster) return known ?? 'the Redis cluster';
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
  if (isNamed(error, 'MaxRetriesPerRequestError') || isNamed(error, 'ClusterAllFailedError')) {
    return true;
  }
  if (error instanceof Error && IOREDIS_UNAVAILABLE.test(error.message)) return true;
  if (isReadonly(error)) return true;
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

/**
 * A write refused by a primary demoted under us (READONLY), alone or inside a MULTI, whose EXEC
 * then aborts with the queued commands' errors: nothing of it was written.
 */
function isReadonly(error: unknown): boolean {
  if (!isReplyError(error)) return false;
  if (error.message.startsWith('READONLY')) return true;
  const queued = (error as { previousErrors?: unknown[] }).previousErrors ?? [];
  return error.message.startsWith('EXECABORT') && queued.some(isReadonly);
}

/** The reconnect under way on each connection, shared by the commands that asked for it. */
const reconnecting = new WeakMap<Redis, Promise<void>>();

/** Resolves at the connection's next 'ready', or after `withinMs`, whichever comes first. */
function nextReady(connection: Redis, withinMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      connection.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, withinMs);
    connection.once('ready', done);
  });
}

/**
 * A fresh socket: after READONLY (Sentinel then names the new primary), or after a command timed
 * out (the socket may lead to a primary that died without closing it). Concurrent callers share
 * one reconnect; it is given up after `withinMs`, leaving the next command to find out.
 */
function renewSocket(connection: Redis, withinMs = 5000): Promise<void> {
  let renewal = reconnecting.get(connection);
  if (renewal === undefined) {
    const ready = nextReady(connection, withinMs);
    connection.disconnect(true);
    renewal = ready.finally(() => reconnecting.delete(connection));
    reconnecting.set(connection, renewal);
  }
  return renewal;
}

/**
 * ioredis refused to send the command at all, as the socket is being replaced (its words: the
 * offline queue is off, so nothing waits for the new one): safe to send again once it is ready.
 */
const NOT_SENT = /^Stream isn't writeable and enableOfflineQueue options is false/;

/**
 * Whether `error` means the work was not done and may be tried once more on a fresh socket: a
 * write refused as READONLY (after a failover, the new socket reaches the new primary), or a
 * command ioredis never sent because the socket was being replaced.
 */
async function readyForRetry(connection: Redis, error: unknown): Promise<boolean> {
  if (isReadonly(error)) {
    await renewSocket(connection);
    return true;
  }
  if (error instanceof Error && NOT_SENT.test(error.message)) {
    await (reconnecting.get(connection) ?? nextReady(connection, 2000));
    return true;
  }
  return false;
}

/**
 * Runs Redis work on `connection`; a failure of Redis under it becomes DependencyUnavailableError.
 * Work that was not done because the socket was being replaced (a failover) is tried once more on
 * the new one, so the user gets an answer rather than a 503.
 */
export async function onRedis<T>(connection: Redis, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (await readyForRetry(connection, error)) {
      try {
        return await work();
      } catch (again) {
        throw classifyRedisFailure(again, connection);
      }
    }
    if (error instanceof Error && error.message.startsWith('Command timed out')) {
      void renewSocket(connection);
    }
    throw classifyRedisFailure(error, connection);
  }
}

// Pacing shared by every process on one Redis: at most N calls to an API in any window, counted in
// a sorted set on Redis's own clock, so web servers and workers on different hosts together keep
// to the API's limit (DoS Search's 10 a second, the BaRS proxy's pace).
//
// A call counts from the moment it may start until the window after it has finished, not just at
// its start: whatever delays it meets on the way (a busy event loop, a slow network), it reaches
// the API somewhere in between, so no window at the API ever holds more than N of them. Counting
// starts alone would let a late call land in the next window's share (seen under load in
// test/many-instances.test.ts). A call whose process dies stops counting when its lease ends.
import { randomUUID } from 'node:crypto';
import type { RateLimiter } from '../../use-cases/rate-limiter.ts';
import { onRedis, type Redis } from './connection.ts';

/**
 * Lets a call start when fewer than N calls are running or finished within the window. Scores are
 * microseconds (TIME's two parts), exact as doubles (about 1.8e15 < 2^53), so no start is rounded
 * out of its window early.
 *
 * KEYS[1] sorted set: call token -> until when it counts: its lease's end while it runs, then
 *         when it finished (finish-pace below); it counts for the window after that
 * ARGV[1] this call's token, ARGV[2] calls allowed per window, ARGV[3] the window (ms),
 * ARGV[4] the lease (ms): the longest a call may run
 * Returns 0 when the call may start now (it is counted from now on), else the ms to wait before
 * asking again: until the earliest finished call leaves the window, or a whole window when every
 * call counted is still running (none can leave sooner).
 */
const TAKE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local window = tonumber(ARGV[3]) * 1000
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + lease * 1000, ARGV[1])
  redis.call('PEXPIRE', KEYS[1], lease + tonumber(ARGV[3]))
  return 0
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
-- A call still running (its score its lease's end) leaves a window after it finishes: not sooner
-- than a window from now.
return math.max(1, math.ceil((math.min(oldest, now) + window - now) / 1000))
`;

/**
 * A call has finished: it counts for one window from now (unless its lease already ran out and
 * it is gone). KEYS[1] as above; ARGV[1] its token, ARGV[2] the window (ms).
 */
const FINISH = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`;

interface PaceCommands {
  ecatTakePace(
    key: string,
    token: string,
    perWindow: number,
    windowMs: number,
    leaseMs: number,
  ): Promise<number>;
  ecatFinishPace(key: string, token: string, windowMs: number): Promise<number>;
}

/** Where each pace is kept: under the prefix, as every ecat key is (one hash slot in a cluster). */
export function paceKeys(prefix: string) {
  return {
    /** One budget per DoS Search environment: INT and PROD are separate APIs with their own limit. */
    directory: (environment: string) => `${prefix}:pace:directory:${environment}`,
    catalogue: `${prefix}:pace:catalogue`,
  };
}

export interface PaceOptions {
  /** Calls in any window, across every process sharing `key`. */
  perWindow: number;
  windowMs: number;
  /** The longest a call may run (its own timeout, and some): a dead process's call counts so long. */
  leaseMs: number;
  /** A test's own wait; a real timer otherwise. */
  sleep?: (ms: number) => Promise<void>;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `run(call)` waits while the window is full (sleeping as long as Redis says, then asking again),
 * runs the call, and says in Redis when it has finished. A Redis outage before the call rejects
 * with DependencyUnavailableError (503, exit 3) and the call is not made.
 */
export function createRedisRateLimiter(
  redis: Redis,
  key: string,
  { perWindow, windowMs, leaseMs, sleep = wait }: PaceOptions,
): RateLimiter {
  if (perWindow < 1) throw new RangeError('a pace needs one call a window at least');
  redis.defineCommand('ecatTakePace', { lua: TAKE, numberOfKeys: 1 });
  redis.defineCommand('ecatFinishPace', { lua: FINISH, numberOfKeys: 1 });
  const commands = redis as unknown as PaceCommands;
  return {
    async run(call) {
      const token = randomUUID();
      for (;;) {
        const waitMs = await onRedis(redis, () =>
          commands.ecatTakePace(key, token, perWindow, windowMs, leaseMs),
        );
        if (waitMs === 0) break;
        await sleep(waitMs);
      }
      try {
        return await call();
      } finally {
        // A finish Redis misses costs only pace: the call then counts until its lease ends.
        await commands.ecatFinishPace(key, token, windowMs).catch(() => undefined);
      }
    },
  };
}

// One sweep at a time across every worker: a scheduler can start the next run while a slow one is
// still going, and two overdue sweeps side by side could email a requester twice.
import { randomUUID } from 'node:crypto';
import type { Redis } from './connection.ts';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

/** Runs `work` holding the lock, or returns undefined at once when another worker holds it. */
export async function withSweepLock<T>(
  redis: Redis,
  key: string,
  ttlMs: number,
  work: () => Promise<T>,
): Promise<T | undefined> {
  const token = randomUUID();
  // The expiry frees the lock if its holder dies mid-sweep.
  const taken = await redis.set(key, token, 'PX', ttlMs, 'NX');
  if (taken === null) return undefined;
  try {
    return await work();
  } finally {
    await redis.eval(RELEASE, 1, key, token);
  }
}

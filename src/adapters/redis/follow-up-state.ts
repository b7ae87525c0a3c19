// The follow-up sweeps' own state in Redis, beside the request records (the same prefix): a lock
// per sweep, a hash of when each request was last asked about in the catalogue, and a key per
// environment while its proxy has asked us to wait.
import { randomUUID } from 'node:crypto';
import type { FollowUpState } from '../../ports/follow-up-state.ts';
import type { Redis } from './connection.ts';

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

export const followUpKeys = (prefix: string) => ({
  lock: (sweep: string) => `${prefix}:followup:lock:${sweep}`,
  /** Hash: request id → when the proxy was last asked about it (ISO). */
  catalogueChecked: `${prefix}:catalogue:checked`,
  /** Set while the proxy of one environment has asked us to wait (429 Retry-After). */
  cataloguePaused: (environment: string) => `${prefix}:catalogue:paused:${environment}`,
});

export function createFollowUpState(redis: Redis, prefix: string): FollowUpState {
  const keys = followUpKeys(prefix);
  return {
    // One sweep at a time across every worker: a scheduler can start the next run while a slow
    // one is still going, and two overdue sweeps side by side could email a requester twice.
    async withSweepLock(sweep, ttlMs, work) {
      const key = keys.lock(sweep);
      const token = randomUUID();
      // The expiry frees the lock if its holder dies mid-sweep.
      const taken = await redis.set(key, token, 'PX', ttlMs, 'NX');
      if (taken === null) return undefined;
      try {
        return await work();
      } finally {
        await redis.eval(RELEASE, 1, key, token);
      }
    },
    catalogueCheckTimes: () => redis.hgetall(keys.catalogueChecked),
    async markCatalogueChecked(requestId, at) {
      await redis.hset(keys.catalogueChecked, requestId, at.toISOString());
    },
    async forgetCatalogueChecks(requestIds) {
      if (requestIds.length > 0) await redis.hdel(keys.catalogueChecked, ...requestIds);
    },
    async isCataloguePaused(environment) {
      return (await redis.exists(keys.cataloguePaused(environment))) === 1;
    },
    async pauseCatalogue(environment, forMs) {
      await redis.set(
        keys.cataloguePaused(environment),
        '1',
        'PX',
        forMs > 1 ? Math.round(forMs) : 1,
      );
    },
  };
}

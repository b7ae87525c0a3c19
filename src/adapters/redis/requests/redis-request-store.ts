// The request records in Redis, behind one port: one JSON document per request (history included),
// sorted-set indexes per status and for "outstanding" (score = acceptance time), and a duplicate
// key per outstanding (dosServiceId, environment). A record and its indexes always change together,
// each change by one named Lua script in ./scripts/. This file composes the parts: accept.ts (new
// requests), change.ts (status, notes and test dates), read.ts (records, pages, counts), and has
// every operation's Redis failures classified (connection.ts): callers see DependencyUnavailableError.
import type { NewRequest, RequestStore } from '../../../ports/request-store.ts';
import { confirmReplicated, onRedis, refuseWithoutReplicas, type Redis } from '../connection.ts';
import { createAccept, type RecordJobsWriter } from './accept.ts';
import { createChanges } from './change.ts';
import { requestKeys } from './keys.ts';
import { createReads } from './read.ts';
import { defineRequestScripts } from './scripts.ts';

export function createRequestStore(
  redis: Redis,
  prefix: string,
  now: () => Date,
  addJobs: RecordJobsWriter,
  /** How long an accepted request waits for a replica to have it (REDIS_WAIT_TIMEOUT_MS). */
  replicaWaitMs = 1000,
): RequestStore {
  const keys = requestKeys(prefix);
  // Defined now, before the runtime caches every script on the connection (wiring/runtime.ts).
  const scripts = defineRequestScripts(redis);
  const acceptOnly = createAccept(redis, keys, scripts, addJobs);
  /** "Accepted" means kept: with replicas, one has the records before anyone is told so. */
  const accept = async (entries: readonly NewRequest[]) => {
    const replicas = await refuseWithoutReplicas(redis);
    const results = await acceptOnly(entries);
    if (results.some((result) => result.ok)) {
      await confirmReplicated(redis, replicas, replicaWaitMs);
    }
    return results;
  };
  const reads = createReads(redis, keys);
  const changes = createChanges(redis, keys, scripts, now);
  const classified =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    (...args: A) =>
      onRedis(redis, () => operation(...args));
  return {
    get: classified(reads.get),
    findByReference: classified(reads.findByReference),
    list: classified(reads.list),
    readAll: classified(reads.readAll),
    count: classified(reads.count),
    overdueIds: classified(reads.overdueIds),
    countGroup: classified(reads.countGroup),
    counters: classified(reads.counters),
    transition: classified(changes.transition),
    changeTestDates: classified(changes.changeTestDates),
    note: classified(changes.note),
    accept: classified(async (request: NewRequest) => {
      const [result] = await accept([request]);
      if (result === undefined)
        throw new Error(`the store gave no result for ${request.record.id}`);
      return result;
    }),
    acceptMany: classified(accept),
    recall: classified(
      async (name: string) => (await redis.get(keys.remembered(name))) ?? undefined,
    ),
  };
}

// The request records in Redis, behind one port: one JSON document per request (history included),
// sorted-set indexes per status and for "outstanding" (score = acceptance time), and a duplicate
// key per outstanding (dosServiceId, environment). A record and its indexes always change together,
// each change by one named Lua script in ./scripts/. This file composes the parts:
// accept.ts (new requests), change.ts (status and notes), read.ts (records, pages, counts), and
// has every operation's Redis failures classified (redis.ts): callers see DependencyUnavailableError.
import type { ChainableCommander } from 'ioredis';
import { onRedis, type Redis } from '../connection.ts';
import { createAccept, type CreateResult, type NewRecord } from './accept.ts';
import { createChanges, type NewEntry, type RecordPatch, type TransitionResult } from './change.ts';
import { requestKeys, type ListFilter, type RequestKeys } from './keys.ts';
import { createReads, type RequestPage } from './read.ts';
import type { RequestRecord, RequestStatus } from '../../../domain/request/record.ts';
import { defineRequestScripts } from './scripts.ts';

export type { ListFilter } from './keys.ts';
export type { CreateResult } from './accept.ts';
export type { TransitionResult } from './change.ts';

export interface RequestStore {
  readonly keys: RequestKeys;
  get(id: string): Promise<RequestRecord | undefined>;
  list(filter: ListFilter, options?: { limit?: number; cursor?: string }): Promise<RequestPage>;
  count(filter: ListFilter): Promise<number>;
  /** Outstanding requests whose earliest test date is on or before `today` (CONTRACT: overdue). */
  overdueIds(today: string): Promise<string[]>;
  countGroup(environment: string, urgency: string): Promise<number>;
  counters(): Promise<{ sent: number; failed: number }>;
  /**
   * Writes a new record with its indexes, and whatever `alsoInTransaction` adds (the job), in one
   * MULTI — unless an outstanding request for the same service and environment exists. The record
   * lands whole or not at all.
   */
  create(
    record: RequestRecord,
    alsoInTransaction: (multi: ChainableCommander) => Promise<unknown>,
  ): Promise<CreateResult>;
  /**
   * `create` for many records in one MULTI (the CSV import). A record whose service and
   * environment already has an outstanding request, in Redis or earlier in the batch, is left out
   * and answered with that request's id.
   */
  createMany(entries: readonly NewRecord[]): Promise<CreateResult[]>;
  transition(
    id: string,
    to: RequestStatus,
    entry: NewEntry,
    patch?: RecordPatch,
  ): Promise<TransitionResult>;
  /**
   * Adds an event that does not change the status (a retry, a re-check, a chaser); with `onlyIf`,
   * only when the record as read just before the write passes it (else undefined, nothing written).
   */
  note(
    id: string,
    entry: NewEntry,
    patch?: RecordPatch,
    onlyIf?: (record: RequestRecord) => boolean,
  ): Promise<RequestRecord | undefined>;
}

export function createRequestStore(redis: Redis, prefix: string, now: () => Date): RequestStore {
  const keys = requestKeys(prefix);
  // Defined now, before the runtime caches every script on the connection (runtime.ts).
  const scripts = defineRequestScripts(redis);
  const accept = createAccept(redis, keys, scripts);
  const reads = createReads(redis, keys);
  const changes = createChanges(redis, keys, scripts, now);
  const classified =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    (...args: A) =>
      onRedis(redis, () => operation(...args));
  return {
    keys,
    get: classified(reads.get),
    list: classified(reads.list),
    count: classified(reads.count),
    overdueIds: classified(reads.overdueIds),
    countGroup: classified(reads.countGroup),
    counters: classified(reads.counters),
    transition: classified(changes.transition),
    note: classified(changes.note),
    create: classified(
      async (record: RequestRecord, alsoInTransaction: NewRecord['alsoInTransaction']) => {
        const [result] = await accept([{ record, alsoInTransaction }]);
        if (result === undefined) throw new Error(`the store gave no result for ${record.id}`);
        return result;
      },
    ),
    createMany: classified(accept),
  };
}

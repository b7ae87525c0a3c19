// The request records in Redis: one JSON document per request (history included), sorted-set
// indexes per status and for "outstanding" (score = acceptance time), and a duplicate key per
// outstanding (dosServiceId, environment). Every change is a WATCH/MULTI transaction, so a record
// and its indexes never disagree.
import type { ChainableCommander } from 'ioredis';
import type { Redis } from '../redis.ts';
import {
  canTransition,
  isOutstanding,
  type HistoryEntry,
  type RequestRecord,
  type RequestStatus,
} from './record.ts';

export type ListFilter = RequestStatus | 'outstanding' | 'all';

export interface RequestPage {
  items: RequestRecord[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
  total: number;
}

export type TransitionResult =
  | { ok: true; record: RequestRecord }
  | { ok: false; reason: 'not-found' }
  | { ok: false; reason: 'not-allowed'; record: RequestRecord };

export interface RequestKeys {
  record(id: string): string;
  index(filter: ListFilter): string;
  /** Outstanding requests of one environment and urgency, for the metrics. */
  group(environment: string, urgency: string): string;
  /** Outstanding requests scored by earliest test date (YYYYMMDD): overdue is a range count. */
  byTestDate: string;
  /** Emails sent and failed, counted where every process can see them. */
  counters: string;
  duplicate(dosServiceId: string, environment: string): string;
}

export function requestKeys(prefix: string): RequestKeys {
  return {
    record: (id) => `${prefix}:request:${id}`,
    index: (filter) => `${prefix}:requests:${filter}`,
    group: (environment, urgency) => `${prefix}:requests:outstanding:${environment}:${urgency}`,
    byTestDate: `${prefix}:requests:outstanding:by-test-date`,
    counters: `${prefix}:counters`,
    duplicate: (dosServiceId, environment) => `${prefix}:open:${dosServiceId}:${environment}`,
  };
}

export function testDateScore(date: string): number {
  return Number(date.replaceAll('-', ''));
}

/**
 * WATCH sections must not interleave on one connection (EXEC clears every WATCH on it), so the
 * transactions of one store run one at a time; other processes are kept apart by WATCH itself.
 */
function serialised() {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };
}

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
   * MULTI — unless an outstanding request for the same service and environment exists.
   */
  create(
    record: RequestRecord,
    alsoInTransaction: (multi: ChainableCommander) => Promise<unknown>,
  ): Promise<{ ok: true } | { ok: false; existingId: string }>;
  transition(
    id: string,
    to: RequestStatus,
    entry: Omit<HistoryEntry, 'at' | 'status'>,
    patch?: Partial<Pick<RequestRecord, 'careConnect' | 'warnings' | 'overdue'>>,
  ): Promise<TransitionResult>;
  /** Adds an event that does not change the status (a retry, a re-check, a chaser). */
  note(
    id: string,
    entry: Omit<HistoryEntry, 'at' | 'status'>,
    patch?: Partial<Pick<RequestRecord, 'careConnect' | 'warnings' | 'overdue'>>,
  ): Promise<RequestRecord | undefined>;
}

export function createRequestStore(redis: Redis, prefix: string, now: () => Date): RequestStore {
  const keys = requestKeys(prefix);
  const exclusive = serialised();

  const parse = (json: string | null): RequestRecord | undefined =>
    json === null ? undefined : (JSON.parse(json) as RequestRecord);

  /** Runs a read-check-write under WATCH, retrying when another writer got there first. */
  async function update<T>(
    id: string,
    change: (record: RequestRecord | undefined, multi: ChainableCommander) => T | 'abort',
  ): Promise<T | 'abort'> {
    return exclusive(async () => {
      for (;;) {
        await redis.watch(keys.record(id));
        const record = parse(await redis.get(keys.record(id)));
        const multi = redis.multi();
        const outcome = change(record, multi);
        if (outcome === 'abort') {
          await redis.unwatch();
          return outcome;
        }
        if ((await multi.exec()) !== null) return outcome;
      }
    });
  }

  function writeIndexes(
    multi: ChainableCommander,
    before: RequestRecord | undefined,
    after: RequestRecord,
  ) {
    const score = Date.parse(after.createdAt);
    if (before && before.status !== after.status) multi.zrem(keys.index(before.status), after.id);
    multi.zadd(keys.index(after.status), score, after.id);
    multi.zadd(keys.index('all'), score, after.id);
    const duplicate = keys.duplicate(after.request.dosServiceId, after.request.environment);
    const group = keys.group(after.request.environment, after.urgency.level);
    if (isOutstanding(after.status)) {
      multi.zadd(keys.index('outstanding'), score, after.id);
      multi.zadd(group, score, after.id);
      if (after.earliestTestDate) {
        multi.zadd(keys.byTestDate, testDateScore(after.earliestTestDate), after.id);
      }
      multi.set(duplicate, after.id);
    } else {
      multi.zrem(keys.index('outstanding'), after.id);
      multi.zrem(group, after.id);
      multi.zrem(keys.byTestDate, after.id);
      if (before && isOutstanding(before.status)) multi.del(duplicate);
    }
  }

  function changed(
    record: RequestRecord,
    status: RequestStatus,
    entry: Omit<HistoryEntry, 'at' | 'status'>,
    patch: Partial<RequestRecord> = {},
  ): RequestRecord {
    const at = now().toISOString();
    return {
      ...record,
      ...patch,
      status,
      updatedAt: at,
      history: [...record.history, { at, status, ...entry }],
    };
  }

  return {
    keys,
    async get(id) {
      return parse(await redis.get(keys.record(id)));
    },
    async count(filter) {
      return redis.zcard(keys.index(filter));
    },
    async overdueIds(today) {
      return redis.zrangebyscore(keys.byTestDate, '-inf', String(testDateScore(today)));
    },
    async countGroup(environment, urgency) {
      return redis.zcard(keys.group(environment, urgency));
    },
    async counters() {
      const values = await redis.hmget(keys.counters, 'sent', 'failed');
      return { sent: Number(values[0] ?? 0), failed: Number(values[1] ?? 0) };
    },
    async list(filter, options = {}) {
      const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
      const offset = Math.max(0, Number.parseInt(options.cursor ?? '0', 10) || 0);
      const index = keys.index(filter);
      const [ids, total] = await Promise.all([
        redis.zrange(index, String(offset), String(offset + limit - 1)),
        redis.zcard(index),
      ]);
      const documents = ids.length === 0 ? [] : await redis.mget(ids.map(keys.record));
      const items = documents.map(parse).filter((r): r is RequestRecord => r !== undefined);
      const next = offset + ids.length;
      return { items, total, ...(next < total ? { nextCursor: String(next) } : {}) };
    },
    async create(record, alsoInTransaction) {
      const duplicate = keys.duplicate(record.request.dosServiceId, record.request.environment);
      return exclusive(async () => {
        for (;;) {
          await redis.watch(duplicate);
          const existingId = await redis.get(duplicate);
          if (existingId !== null) {
            await redis.unwatch();
            return { ok: false as const, existingId };
          }
          const multi = redis.multi();
          multi.set(keys.record(record.id), JSON.stringify(record));
          writeIndexes(multi, undefined, record);
          await alsoInTransaction(multi);
          const result = await multi.exec();
          if (result !== null) {
            const failed = result.find(([error]) => error !== null);
            if (failed) throw failed[0];
            return { ok: true as const };
          }
        }
      });
    },
    async transition(id, to, entry, patch) {
      let result: TransitionResult = { ok: false, reason: 'not-found' };
      await update(id, (record, multi) => {
        if (!record) {
          result = { ok: false, reason: 'not-found' };
          return 'abort';
        }
        if (!canTransition(record.status, to)) {
          result = { ok: false, reason: 'not-allowed', record };
          return 'abort';
        }
        const next = changed(record, to, entry, patch);
        multi.set(keys.record(id), JSON.stringify(next));
        writeIndexes(multi, record, next);
        if (to === 'sent' || to === 'failed') multi.hincrby(keys.counters, to, 1);
        result = { ok: true, record: next };
        return undefined;
      });
      return result;
    },
    async note(id, entry, patch) {
      let updated: RequestRecord | undefined;
      await update(id, (record, multi) => {
        if (!record) return 'abort';
        updated = changed(record, record.status, entry, patch);
        multi.set(keys.record(id), JSON.stringify(updated));
        return undefined;
      });
      return updated;
    },
  };
}

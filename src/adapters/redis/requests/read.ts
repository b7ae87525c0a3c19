// Reading requests: one record, a page of an index or all of it, and the counts the dashboard and
// metrics show. Plain reads, no scripts: ids are read from an index, then their records by MGET.
import type { Redis } from '../connection.ts';
import { submittedBefore, type RequestRecord } from '../../../domain/request/record.ts';
import type { ListFilter, RequestPage } from '../../../ports/request-store.ts';
import { parseRecord, testDateScore, type RequestKeys } from './keys.ts';

/** How many records readAll asks for at a time: one ZRANGE and one MGET each. */
const READ_ALL_CHUNK = 500;

export function createReads(redis: Redis, keys: RequestKeys) {
  return {
    get: async (id: string): Promise<RequestRecord | undefined> => {
      return parseRecord(await redis.get(keys.record(id)));
    },
    findByReference: async (reference: string): Promise<RequestRecord | undefined> => {
      const id = await redis.get(keys.reference(reference));
      return id === null ? undefined : parseRecord(await redis.get(keys.record(id)));
    },
    count: async (filter: ListFilter): Promise<number> => {
      return redis.zcard(keys.index(filter));
    },
    overdueIds: async (today: string): Promise<string[]> => {
      const due = await redis.zrangebyscore(keys.byTestDate, '-inf', String(testDateScore(today)));
      if (due.length === 0) return [];
      // The outstanding index is scored by acceptance time: those accepted today are not overdue
      // yet (CONTRACT.md), and no record need be read to know it. Gone from it meanwhile: skipped.
      const acceptedAt = await redis.zmscore(keys.index('outstanding'), ...due);
      return due.filter((_id, i) => {
        const ms = acceptedAt[i];
        return typeof ms === 'string' && submittedBefore(new Date(Number(ms)), today);
      });
    },
    countGroup: async (environment: string, urgency: string): Promise<number> => {
      return redis.zcard(keys.group(environment, urgency));
    },
    counters: async (): Promise<{ sent: number; failed: number }> => {
      const values = await redis.hmget(keys.counters, 'sent', 'failed');
      return { sent: Number(values[0] ?? 0), failed: Number(values[1] ?? 0) };
    },
    // Chunks by position: a request leaving the index between two chunks can move another past
    // the cut unread until the next read; no page is worth a snapshot of the index for that.
    readAll: async (filter: ListFilter): Promise<RequestRecord[]> => {
      const index = keys.index(filter);
      const records: RequestRecord[] = [];
      for (let offset = 0; ; offset += READ_ALL_CHUNK) {
        const last = offset + READ_ALL_CHUNK - 1;
        const ids = await redis.zrange(index, String(offset), String(last));
        if (ids.length === 0) break;
        const documents = await redis.mget(ids.map((id) => keys.record(id)));
        for (const document of documents) {
          const record = parseRecord(document);
          if (record) records.push(record);
        }
        if (ids.length < READ_ALL_CHUNK) break;
      }
      return records;
    },
    list: async (
      filter: ListFilter,
      options: { limit?: number; cursor?: string } = {},
    ): Promise<RequestPage> => {
      const limit = Math.max(1, Math.min(options.limit ?? 50, 500));
      const offset = Math.max(0, Number.parseInt(options.cursor ?? '0', 10) || 0);
      const index = keys.index(filter);
      const [ids, total] = await Promise.all([
        redis.zrange(index, String(offset), String(offset + limit - 1)),
        redis.zcard(index),
      ]);
      const documents = ids.length === 0 ? [] : await redis.mget(ids.map((id) => keys.record(id)));
      const items = documents.map(parseRecord).filter((r): r is RequestRecord => r !== undefined);
      const next = offset + ids.length;
      return { items, total, ...(next < total ? { nextCursor: String(next) } : {}) };
    },
  };
}

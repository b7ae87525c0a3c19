// Reading requests: one record, a page of an index or all of it, and the counts the dashboard and
// metrics show. Plain reads, no scripts: ids are read from an index, then their records by MGET.
import type { Redis } from '../connection.ts';
import { submittedBefore, type RequestRecord } from '../../../domain/request/record.ts';
import type { ListFilter, RequestPage } from '../../../ports/request-store.ts';
import { parseRecord, testDateScore, type RequestKeys } from './keys.ts';

/** How many records readAll asks for at a time: one ZRANGE and one MGET each. */
const READ_ALL_CHUNK = 500;

/** Records of a page of an index, each as Redis holds it (its JSON) and as read. */
export interface IndexPage {
  stored: { json: string; record: RequestRecord }[];
  /** The cursor after this page (an offset), and whether the page was full. */
  next: string;
  full: boolean;
}

/**
 * A page of an index by position (the cursor an offset), its records read by one MGET. A record
 * gone between the two reads is left out.
 */
export async function readIndexPage(
  redis: Redis,
  keys: RequestKeys,
  index: string,
  options: { limit?: number; cursor?: string },
  defaultLimit: number,
): Promise<IndexPage> {
  const limit = Math.max(1, Math.min(options.limit ?? defaultLimit, 500));
  const offset = Math.max(0, Number.parseInt(options.cursor ?? '0', 10) || 0);
  const ids = await redis.zrange(index, String(offset), String(offset + limit - 1));
  const documents = ids.length === 0 ? [] : await redis.mget(ids.map((id) => keys.record(id)));
  const stored: IndexPage['stored'] = [];
  for (const json of documents) {
    const record = parseRecord(json);
    if (json !== null && record !== undefined) stored.push({ json, record });
  }
  return { stored, next: String(offset + ids.length), full: ids.length === limit };
}

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
      const records: RequestRecord[] = [];
      let cursor = '0';
      for (;;) {
        const page = await readIndexPage(
          redis,
          keys,
          keys.index(filter),
          { cursor },
          READ_ALL_CHUNK,
        );
        records.push(...page.stored.map(({ record }) => record));
        if (!page.full) return records;
        cursor = page.next;
      }
    },
    list: async (
      filter: ListFilter,
      options: { limit?: number; cursor?: string } = {},
    ): Promise<RequestPage> => {
      const index = keys.index(filter);
      const [page, total] = await Promise.all([
        readIndexPage(redis, keys, index, options, 50),
        redis.zcard(index),
      ]);
      const items = page.stored.map(({ record }) => record);
      return { items, total, ...(Number(page.next) < total ? { nextCursor: page.next } : {}) };
    },
  };
}

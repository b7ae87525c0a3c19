// Closed requests out of Redis, for `ecat archive`: read a closed status's index a page at a time
// with each record exactly as stored, then, once the archive file holds them, take each out with
// archive-request.lua, which keeps any record that changed meanwhile. Kept apart from the store
// (redis-request-store.ts): only the command line archives, and it alone needs records as JSON.
import { readFileSync } from 'node:fs';
import { referenceFor } from '../../../domain/request/reference.ts';
import {
  REQUEST_STATUSES,
  type RequestRecord,
  type RequestStatus,
} from '../../../domain/request/record.ts';
import { CLOSED_STATUSES } from '../../../domain/request/archiving.ts';
import { onRedis, type Redis } from '../connection.ts';
import { followUpKeys } from '../follow-up-state.ts';
import { everyIndex, recordPlaces, requestKeys } from './keys.ts';
import { readIndexPage } from './read.ts';

/** A record as Redis holds it: its JSON, byte for byte, and that JSON read. */
export interface StoredRecord {
  json: string;
  record: RequestRecord;
}

export interface ClosedPage {
  items: StoredRecord[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** What became of one record: taken out, kept because it changed, or no longer there. */
export type Removal = 'removed' | 'changed' | 'gone';

export interface RequestArchive {
  /** A page of one status's index, in acceptance order, as list() pages it (by position). */
  closedPage(
    status: RequestStatus,
    options?: { cursor?: string; limit?: number },
  ): Promise<ClosedPage>;
  /** Each record taken out of Redis, on its own and atomically, unless it changed since `json`. */
  remove(items: readonly StoredRecord[]): Promise<Removal[]>;
}

const lua = readFileSync(new URL('./scripts/archive-request.lua', import.meta.url), 'utf8');
/** record, duplicate, reference, catalogue check times, then the indexes (see archiveArgs). */
const NUMBER_OF_KEYS = 4 + REQUEST_STATUSES.length + 4;
const OUTCOMES: Record<number, Removal> = { 1: 'removed', 0: 'changed', [-1]: 'gone' };

interface ArchiveScripts {
  ecatArchiveRequest(...keysThenArgs: string[]): Promise<number>;
}

export function createRequestArchive(redis: Redis, prefix: string): RequestArchive {
  const keys = requestKeys(prefix);
  const catalogueChecked = followUpKeys(prefix).catalogueChecked;
  redis.defineCommand('ecatArchiveRequest', { lua, numberOfKeys: NUMBER_OF_KEYS });
  const scripts = redis as unknown as ArchiveScripts;

  /** KEYS and ARGV of archive-request.lua: every index, whatever the record's status says. */
  const archiveArgs = ({ json, record }: StoredRecord): string[] => {
    const places = recordPlaces(keys, record);
    return [
      places.record,
      places.duplicate,
      keys.reference(referenceFor(record.id)),
      catalogueChecked,
      ...everyIndex(keys, record),
      record.id,
      json,
      ...CLOSED_STATUSES,
    ];
  };

  return {
    closedPage: (status, options = {}) =>
      onRedis(redis, async () => {
        const page = await readIndexPage(redis, keys, keys.index(status), options, 500);
        // A full page may have more after it; the next read says.
        return page.full ? { items: page.stored, nextCursor: page.next } : { items: page.stored };
      }),
    // Sent together (one round trip for the lot), each script atomic on its own record.
    remove: (items) =>
      onRedis(redis, async () => {
        const answers = await Promise.all(
          items.map((item) => scripts.ecatArchiveRequest(...archiveArgs(item))),
        );
        return answers.map((answer) => {
          const outcome = OUTCOMES[answer];
          if (outcome === undefined) throw new Error(`archive-request.lua answered ${answer}`);
          return outcome;
        });
      }),
  };
}
